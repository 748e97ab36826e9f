"""A unit's scorecard versions beyond the draft form: a submitted one withdrawn by its unit,
any two compared side by side.

Withdrawing is the unit's own step back before central IT decides (``services.scorecards.
withdraw``, audited); comparing reads two versions of one unit and lists the criteria added,
removed and changed (``rules.scorecard_diff``), matched by key.
"""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from chargeback.access import ALL_ROLES, may_edit_scorecard
from chargeback.extensions import db
from chargeback.services import scorecards
from chargeback.services.queries import scorecards as versions
from chargeback.unit_of_work import attempt
from chargeback.web.guards import roles, unit_or_403
from rules.scorecard_diff import compare as diff
from rules.scoring import scorecard_to_dict

bp = Blueprint("scorecard_versions", __name__, template_folder="templates")


@bp.route("/units/<code>/scorecard/withdraw", methods=["POST"])
@roles(*ALL_ROLES)
def withdraw(code: str):
    """Take the unit's submitted version back to draft, to change it before a decision."""
    unit = unit_or_403(code)
    if not may_edit_scorecard(db.session, current_user, unit):
        abort(403)
    waiting = scorecards.pending(db.session, unit.id)
    if waiting is None or waiting.status != "submitted":
        flash("No version of this unit waits for central IT: there is nothing to withdraw.",
              "warning")
        return redirect(url_for("scorecard_editor.edit", code=unit.code))
    _, refusal = attempt(lambda: scorecards.withdraw(db.session, waiting, current_user.email))
    if refusal:
        flash("; ".join(refusal.messages), "danger")
    else:
        flash(f"Version {waiting.version} withdrawn: it is a draft again; change it and "
              "submit it when ready.", "success")
    return redirect(url_for("scorecard_editor.edit", code=unit.code, _anchor="draft"))


@bp.route("/units/<code>/scorecard/compare")
@roles(*ALL_ROLES)
def compare(code: str):
    """Two versions of the unit side by side (``?a=<version>&b=<version>``, numbers)."""
    unit = unit_or_403(code)
    numbers = versions.numbers(db.session, unit.id)
    a, b = _number("a", numbers, 1), _number("b", numbers, 0)
    problem = None
    if len(numbers) < 2:
        problem = f"{unit.code} has {len(numbers)} version(s): there is nothing to compare yet."
    elif a is None or b is None:
        problem = "Choose two versions of this unit."
    elif a == b:
        problem = "Choose two different versions."
    rows, old, new = [], None, None
    if problem is None:
        old, new = _version(unit, a), _version(unit, b)
        rows = diff(_criteria(old, unit.code), _criteria(new, unit.code))
    return render_template("scorecards/compare.html", unit=unit, numbers=numbers, a=a, b=b,
                           old=old, new=new, rows=rows, problem=problem,
                           counts=_counts(rows))


def _number(name: str, numbers: list[int], default_index: int) -> int | None:
    """The version asked for, if the unit has it; by default the two newest."""
    text = request.args.get(name)
    if text is None:
        return numbers[default_index] if len(numbers) > default_index else None
    return int(text) if text.isdigit() and int(text) in numbers else None


def _version(unit, number: int):
    return versions.numbered(db.session, unit.id, number)


def _criteria(version, code: str) -> list[dict]:
    """The version's criteria as the file writes them, numbers as a person writes them
    (4.5, not the stored 4.500000)."""
    criteria = scorecard_to_dict(scorecards.to_rules(version, code))["criteria"]
    for c in criteria:
        for name in ("target", "floor", "weight"):
            if name in c:
                c[name] = _plain(c[name])
        for band in c.get("bands", ()):
            band["at"], band["score"] = _plain(band["at"]), _plain(band["score"])
    return criteria


def _plain(text: str) -> str:
    return format(Decimal(text).normalize(), "f")


def _counts(rows) -> dict[str, int]:
    counts = {"added": 0, "removed": 0, "changed": 0, "same": 0}
    for row in rows:
        counts[row.status] += 1
    return counts
