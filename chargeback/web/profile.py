"""The profile page: who you are, your password, your sessions, your personal API tokens
and your two-step sign-in.

A token is made here (or with ``chargeback token create``) and shown once, on the answer
page, which is never cached; only its hash is stored, so it is never shown again and
never put in a flash message (flashes travel in the session cookie). A token acts with
its owner's role and units; revoking it stops it at once; it expires after the days its
maker chose (90 unless said). Each person sees and revokes only their own tokens
(another's token id is 404).

Changing the password needs the current one; it ends every other session and revokes
every token. "Sign out everywhere" ends every session of the user, this one too.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from chargeback import access
from chargeback.access import ALL_ROLES
from chargeback.extensions import db
from chargeback.services import sessions, tokens, two_factor
from chargeback.services.users import change_own_password
from chargeback.unit_of_work import attempt
from chargeback.web.guards import roles

bp = Blueprint("profile", __name__, template_folder="templates")


def _max_days() -> int:
    return current_app.config.get("CHARGEBACK_TOKEN_MAX_DAYS", tokens.MAX_DAYS)


def _default_days() -> int:
    return current_app.config.get("CHARGEBACK_TOKEN_DAYS", tokens.DEFAULT_DAYS)


class TokenForm(FlaskForm):
    name = StringField("Name", validators=[
        DataRequired("Give the token a name: the script or system that will use it."),
        Length(max=tokens.NAME_LIMIT)])
    days = IntegerField("Works for (days)", validators=[Optional()])

    def validate_days(self, field):
        if field.data is not None and not 1 <= field.data <= _max_days():
            raise ValidationError(f"A token works 1 to {_max_days()} days.")


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=200)])
    new = PasswordField("New password", validators=[DataRequired(), Length(max=200)])
    again = PasswordField("The new password again", validators=[
        DataRequired(), EqualTo("new", "The two new passwords differ.")])


class CodeForm(FlaskForm):
    code = StringField("Code from the app", validators=[DataRequired(), Length(max=12)])


def _page(form: TokenForm | None = None, status: int = 200, new_token: str | None = None,
          new_name: str | None = None, password_form: PasswordChangeForm | None = None):
    if form is None:
        form = TokenForm(formdata=None)
    if form.days.data is None:
        form.days.data = _default_days()
    response = make_response(render_template(
        "profile/index.html", form=form, tokens=tokens.tokens_of(db.session, current_user),
        new_token=new_token, new_name=new_name, expired=tokens.expired,
        password_form=password_form or PasswordChangeForm(formdata=None),
        sessions_count=sessions.count(db.session, current_user),
        two_step_required=two_factor.required_for(db.session, current_user),
        max_days=_max_days(), sees_all=access.sees_every_unit(current_user),
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
    made, refusal = attempt(lambda: tokens.create(
        db.session, current_user, form.name.data, current_user.email, form.days.data,
        default_days=_default_days(), max_days=_max_days()))
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


@bp.post("/profile/password")
@roles(*ALL_ROLES)
def password():
    """Change one's own password: this browser stays signed in, every other session ends
    and every API token is revoked."""
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return _page(password_form=form, status=400)
    _, refusal = attempt(lambda: change_own_password(
        db.session, current_user, form.current.data, form.new.data,
        keep_session=session.get("sid"),
        hash_method=current_app.config.get("CHARGEBACK_PASSWORD_HASH", "scrypt")))
    if refusal:
        field = form.current if "current password" in " ".join(refusal.messages) else form.new
        field.errors = list(refusal.messages)
        return _page(password_form=form, status=400)
    flash("Password changed. Every other session was signed out and your API tokens were "
          "revoked: make new ones for your scripts.", "success")
    return redirect(url_for("profile.index"))


@bp.post("/profile/sign-out-everywhere")
@roles(*ALL_ROLES)
def sign_out_everywhere():
    """End every session of the user, in every browser, this one too."""
    ended = sessions.end_all(db.session, current_user)
    logout_user()
    session.clear()
    flash(f"Signed out everywhere ({ended} session{'s' if ended != 1 else ''} ended). "
          "Your API tokens still work: revoke them on your profile if needed.", "info")
    return redirect(url_for("auth.login"))


# --- two-step sign-in ---------------------------------------------------------------------


def _two_step_page(form: CodeForm | None = None, status: int = 200):
    qr = None
    if current_user.totp_secret and not current_user.totp_enabled:
        import segno  # the QR code: only on this page, not at every start-up

        qr = segno.make(two_factor.provisioning_uri(current_user), error="m").svg_data_uri(
            scale=5, border=2)
    response = make_response(render_template(
        "profile/two_step.html", form=form or CodeForm(formdata=None), qr=qr,
        required=two_factor.required_for(db.session, current_user)), status)
    response.headers["Cache-Control"] = "no-store"  # the secret is on the page
    return response


@bp.route("/profile/two-step", methods=["GET", "POST"])
@roles(*ALL_ROLES)
def two_step():
    """The second step's page; a POST confirms a code of the new secret to turn it on."""
    if request.method == "GET":
        return _two_step_page()
    form = CodeForm()
    if not form.validate_on_submit():
        return _two_step_page(form, 400)
    if not two_factor.confirm(db.session, current_user, form.code.data):
        form.code.errors = ["This code is not right: type the one the app shows now (the "
                            "phone's clock must be right)."]
        return _two_step_page(form, 400)
    flash("Two-step sign-in is on: from now on a sign-in asks for a code from the app.",
          "success")
    return redirect(url_for("profile.index"))


@bp.post("/profile/two-step/new")
@roles(*ALL_ROLES)
def two_step_new():
    """A new secret, not yet in force: shown as a QR code until a code of it is typed."""
    if not FlaskForm().validate_on_submit():
        return _two_step_page(status=400)
    _, refusal = attempt(lambda: two_factor.start_setup(db.session, current_user))
    if refusal:
        flash(" ".join(refusal.messages), "danger")
    return redirect(url_for("profile.two_step"))


@bp.post("/profile/two-step/off")
@roles(*ALL_ROLES)
def two_step_off():
    """Turn the second step off, with a code from the app."""
    form = CodeForm()
    if not form.validate_on_submit():
        return _two_step_page(form, 400)
    if not two_factor.verify(db.session, current_user, form.code.data):
        form.code.errors = ["This code is not right: type the one the app shows now."]
        return _two_step_page(form, 400)
    _, refusal = attempt(lambda: two_factor.turn_off(db.session, current_user,
                                                     current_user.email))
    if refusal:
        flash(" ".join(refusal.messages), "danger")
        return redirect(url_for("profile.two_step"))
    flash("Two-step sign-in is off.", "info")
    return redirect(url_for("profile.index"))
