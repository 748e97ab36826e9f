"""The profile page: who you are, and your personal API tokens.

A token is made here (or with ``chargeback token create``) and shown once, on the answer
page, which is never cached; only its hash is stored, so it is never shown again and
never put in a flash message (flashes travel in the session cookie). A token acts with
its owner's role and units; revoking it stops it at once. Each person sees and revokes
only their own tokens (another's token id is 404).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from chargeback import access
from chargeback.access import ALL_ROLES
from chargeback.extensions import db
from chargeback.services import tokens
from chargeback.unit_of_work import attempt
from chargeback.web.guards import roles

bp = Blueprint("profile", __name__, template_folder="templates")


class TokenForm(FlaskForm):
    name = StringField("Name", validators=[
        DataRequired("Give the token a name: the script or system that will use it."),
        Length(max=tokens.NAME_LIMIT)])


def _page(form: TokenForm, status: int = 200, new_token: str | None = None,
          new_name: str | None = None):
    response = make_response(render_template(
        "profile/index.html", form=form, tokens=tokens.tokens_of(db.session, current_user),
        new_token=new_token, new_name=new_name,
        sees_all=access.sees_every_unit(current_user),
        units=sorted(u.code for u in current_user.units)), status)
    if new_token:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/profile", methods=["GET", "POST"])
@roles(*ALL_ROLES)
def index():
    """The page; a POST makes a token and shows it this once."""
    form = TokenForm()
    if request.method == "GET":
        return _page(form)
    if not form.validate_on_submit():
        return _page(form, 400)
    made, refusal = attempt(lambda: tokens.create(db.session, current_user, form.name.data,
                                                  current_user.email))
    if refusal:
        form.name.errors = refusal.messages
        return _page(form, 400)
    token, plaintext = made
    return _page(TokenForm(formdata=None), new_token=plaintext, new_name=token.name)


@bp.post("/profile/tokens/<int(max=2147483647):token_id>/revoke")
@roles(*ALL_ROLES)
def revoke(token_id: int):
    token = tokens.owned(db.session, current_user, token_id)
    if token is None:
        abort(404)
    if token.revoked_at is not None:
        flash(f"Token “{token.name}” was already revoked.", "info")
        return redirect(url_for("profile.index"))
    tokens.revoke(db.session, token, current_user.email)
    flash(f"Token “{token.name}” revoked: it no longer works.", "success")
    return redirect(url_for("profile.index"))
