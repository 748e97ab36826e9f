"""Central IT's desk for scorecard versions: approve from an open month, or send back.

A unit head submits a version from the scorecard editor; here central IT (or an admin)
reviews it beside the version in force and the preview over the last closed months, then
approves it, choosing the month it takes effect from (never a closed one), or sends it back
to the unit as a draft with a comment saying what to change. Both go in the audit log.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from chargeback.access import MANAGE
from chargeback.extensions import db
from chargeback.services import notify, scorecards
from chargeback.services.queries import scorecards as versions
from chargeback.services.scorecard_preview import preview
from chargeback.unit_of_work import attempt
from chargeback.web.guards import page_and_pages, roles

bp = Blueprint("approvals", __name__, template_folder="templates")

PER_PAGE = 50
RECENT = 20


class ApproveForm(FlaskForm):
    effective_from = SelectField("Take effect from", choices=[])


class SendBackForm(FlaskForm):
    comment = TextAreaField("Comment for the unit head", validators=[
        DataRequired(message="Say what to change: a comment is required."),
        Length(max=scorecards.COMMENT_LIMIT)])


@bp.route("/approvals")
@roles(*MANAGE)
def index():
    """Every submitted version, oldest first, and the latest decisions."""
    waiting = scorecards.submitted(db.session)
    page, pages = page_and_pages(len(waiting), PER_PAGE)
    return render_template("approvals/index.html",
                           waiting=waiting[(page - 1) * PER_PAGE:page * PER_PAGE],
                           total=len(waiting), page=page, pages=pages,
                           recent=versions.recent_decisions(db.session, RECENT))


@bp.route("/approvals/<int:version_id>")
@roles(*MANAGE)
def review(version_id: int):
    found = _waiting(version_id)
    if found is None:
        return redirect(url_for(".index"))
    version, unit = found
    return _review_page(version, unit, *_forms(version))


@bp.route("/approvals/<int:version_id>/approve", methods=["POST"])
@roles(*MANAGE)
def approve(version_id: int):
    found = _waiting(version_id)
    if found is None:
        return redirect(url_for(".index"))
    version, unit = found
    approve_form, send_back_form = _forms(version)
    if not approve_form.validate_on_submit():
        return _review_page(version, unit, approve_form, send_back_form), 400
    _, refusal = attempt(lambda: scorecards.approve_submitted(
        db.session, version, current_user.email, approve_form.effective_from.data))
    if refusal:
        approve_form.effective_from.errors = [p.message for p in refusal.problems]
        return _review_page(version, unit, approve_form, send_back_form), 400
    _mail(version, unit, "approved")
    flash(f"{unit.code} version {version.version} approved: it rates {unit.code} from "
          f"{version.effective_from} on.", "success")
    return redirect(url_for(".index"))


@bp.route("/approvals/<int:version_id>/send-back", methods=["POST"])
@roles(*MANAGE)
def send_back(version_id: int):
    found = _waiting(version_id)
    if found is None:
        return redirect(url_for(".index"))
    version, unit = found
    approve_form, send_back_form = _forms(version)
    if not send_back_form.validate_on_submit():
        return _review_page(version, unit, approve_form, send_back_form), 400
    _, refusal = attempt(lambda: scorecards.send_back(
        db.session, version, current_user.email, send_back_form.comment.data))
    if refusal:
        send_back_form.comment.errors = [p.message for p in refusal.problems]
        return _review_page(version, unit, approve_form, send_back_form), 400
    _mail(version, unit, "sent_back")
    flash(f"{unit.code} version {version.version} sent back to the unit as a draft, with "
          "your comment.", "success")
    return redirect(url_for(".index"))


def _mail(version, unit, step: str) -> None:
    """Tell the unit head, once the decision is committed (a mail cannot be taken back)."""
    db.session.commit()
    notify.scorecard_step(db.session, version, unit, step, current_app.config)


def _waiting(version_id: int):
    """The version and its unit when it waits for a decision; else None, and a message."""
    version, unit = versions.version(db.session, version_id)
    if version.status != "submitted":
        flash(f"{unit.code} version {version.version} is {version.status}: there is nothing "
              "to decide.", "info")
        return None
    return version, unit


def _forms(version) -> tuple[ApproveForm, SendBackForm]:
    """The two forms; the months offered are the open ones after the last close."""
    approve_form = ApproveForm()
    choices = scorecards.approval_periods(db.session, version)
    approve_form.effective_from.choices = [(p, p) for p in choices]
    if request.method == "GET":
        approve_form.effective_from.data = (version.effective_from
                                            if version.effective_from in choices else choices[0])
    return approve_form, SendBackForm()


def _review_page(version, unit, approve_form: ApproveForm,
                 send_back_form: SendBackForm):
    current = scorecards.current(db.session, unit.id)
    previews = preview(db.session, unit, scorecards.to_rules(version, unit.code))
    return render_template("approvals/review.html", version=version, unit=unit,
                           current=current, previews=previews, approve_form=approve_form,
                           send_back_form=send_back_form)
