"""What a unit's services do with customer-introduced variability, and the form to say it.

``/units/<code>/variability`` shows, for each of the unit's services, each of Frei's five
kinds of variability (``rules.variability``) with its stance: reduce or accommodate, and
how. A kind the unit has not stated shows its service model's template's proposal, marked
as such. The unit's head (and central IT, admin) may state or change each stance on the
same page; a refused form is shown again with each problem next to its field, and nothing
is stored. With ``?period=`` it shows a closed month's stances as its close froze them,
read-only: those are what the compare page and the pack explain that month with.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from chargeback.access import ALL_ROLES, may_state_variability
from chargeback.extensions import db
from chargeback.services import variability as statements
from chargeback.services.queries import closed_month, periods, tree, variability
from chargeback.unit_of_work import attempt
from chargeback.web.guards import roles, unit_or_403
from chargeback.web.portfolio import printable
from rules import variability as rv

bp = Blueprint("variability", __name__, template_folder="templates")


@bp.route("/units/<code>/variability", methods=["GET", "POST"])
@roles(*ALL_ROLES)
def edit(code: str):
    unit = unit_or_403(code)
    may_edit = may_state_variability(db.session, current_user, unit)
    if request.method == "POST":
        if not may_edit:
            abort(403)
        _, refused = attempt(lambda: statements.state(
            db.session, unit, list(_statements(unit)), current_user.email))
        if refused is None:
            flash(f"The stances of {unit.code}'s services on variability are saved.", "success")
            return redirect(url_for("variability.edit", code=unit.code))
        errors = {p.field: p.message for p in refused.problems}
        return _page(unit, may_edit, form=request.form, errors=errors, status=409,
                     elsewhere=_not_on_the_form(unit, errors))
    return _page(unit, may_edit)


def _statements(unit):
    """The form as statements: ``s-<i>-code`` names the i-th service, ``s-<i>-<kind>-stance``
    its stance ("" leaves the kind to the template) and ``s-<i>-<kind>-note`` how."""
    index = 0
    while (service := request.form.get(f"s-{index}-code")) is not None:
        for kind in rv.KINDS:
            prefix = f"s-{index}-{kind}-"
            stance = request.form.get(prefix + "stance", "").strip() or None
            yield statements.Statement(service=service.strip(), kind=kind, stance=stance,
                                       note=_one_line(request.form.get(prefix + "note")),
                                       field=prefix)
        index += 1


def _one_line(note: str | None) -> str | None:
    """The note's box wraps long notes over lines; a line break typed in it (Enter) is a
    space, since a note is one line of text. Any other control character is still refused
    by its field."""
    if note is None:
        return None
    return " ".join(part.strip() for part in note.replace("\r\n", "\n").split("\n"))


def _not_on_the_form(unit, errors: dict[str, str]) -> list[str]:
    """The problems no field of the form shows (a service the unit does not offer, named
    by a hand-made post): said above the form, so none is lost."""
    fields = {f"s-{i}-{kind}-{name}" for i, _ in enumerate(variability.today(db.session, unit))
              for kind in rv.KINDS for name in ("stance", "note")}
    return [message for field, message in errors.items() if field not in fields]


def _page(unit, may_edit: bool, *, form=None, errors=None, status: int = 200,
          elsewhere: list[str] = ()):
    closed = periods.closed(db.session)
    asked = (request.args.get("period") or "").strip()
    warnings: list[str] = []
    if asked and asked not in closed:
        warnings.append(f"{printable(asked, 20)} is not a closed period: showing today's "
                        "stances.")
    if asked in closed:
        node = closed_month.node_of(db.session, asked, unit.id)
        services = variability.frozen(db.session, asked, [unit.code])[unit.code]
        return render_template("units/variability.html", unit=unit, period=asked, node=node,
                               closed=closed, services=services, kinds=rv.KINDS,
                               below=variability.units_below(db.session, unit, asked),
                               words=rv.KIND_WORDS, means=rv.KIND_MEANS, may_edit=False,
                               warnings=warnings, proposal={}), status
    models = tree.service_model_names(db.session)
    return render_template(
        "units/variability.html", unit=unit, period=None, node=None, closed=closed,
        services=variability.today(db.session, unit), kinds=rv.KINDS, words=rv.KIND_WORDS,
        below=variability.units_below(db.session, unit),
        means=rv.KIND_MEANS, may_edit=may_edit, form=form, errors=errors or {},
        note_length=rv.NOTE_LENGTH,
        elsewhere=elsewhere,
        warnings=warnings, proposal=rv.proposal(unit.service_model_code),
        model_name=models.get(unit.service_model_code, unit.service_model_code)), status
