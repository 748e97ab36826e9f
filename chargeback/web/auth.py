"""Signing in and out, the second step, and "forgot password".

- Failed sign-ins are counted in the database (``services.sign_in``), so every worker sees
  the same counts: a growing delay per account and client, a soft lock of the account for
  browsers it does not know, a limit per address. A refused attempt is 429 with
  ``Retry-After``. A browser that signed in to an account gets a signed *device cookie*
  (path ``/login``) that keeps it out of the account's soft lock: a stranger's failures
  never lock out the owner's own browsers.
- A sign-in starts a server-side session (``services.sessions``) and a new session cookie:
  everything the visitor's cookie held before is dropped, the CSRF token included.
- ``next`` is followed only when it is a path on this site (``safe_next``).
"""

from __future__ import annotations

import datetime as dt
import secrets
import time

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeSerializer
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from chargeback.extensions import db
from chargeback.services import password_reset, sessions, sign_in, two_factor
from chargeback.services.queries import people
from chargeback.services.users import authenticate, reset_password
from chargeback.unit_of_work import attempt, keep_refused

bp = Blueprint("auth", __name__)

DEVICE_COOKIE = "cb_device"
DEVICE_DAYS = 365
SECOND_STEP_SECONDS = 300  # the code must follow the password within five minutes


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class CodeForm(FlaskForm):
    code = StringField("Code from your authenticator app",
                       validators=[DataRequired(), Length(max=12)])


class ForgotForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])


class ResetForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=200)])
    again = PasswordField("The new password again", validators=[
        DataRequired(), EqualTo("password", "The two passwords differ.")])


def _hash_method() -> str:
    return current_app.config.get("CHARGEBACK_PASSWORD_HASH", "scrypt")


def _policy() -> sign_in.Policy:
    return sign_in.Policy.from_config(current_app.config)


# --- the device cookie --------------------------------------------------------------------


def _devices() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="chargeback.device")


def _device_of(user) -> str | None:
    """The id of this browser if it signed in to ``user``'s account before."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if user is None or not raw or len(raw) > 500:
        return None
    try:
        data = _devices().loads(raw)
    except BadSignature:
        return None
    if isinstance(data, dict) and data.get("u") == user.id and isinstance(data.get("d"), str):
        return data["d"][:64]
    return None


def _remember_device(response, user, device: str | None) -> None:
    value = _devices().dumps({"u": user.id, "d": device or secrets.token_urlsafe(16)})
    response.set_cookie(DEVICE_COOKIE, value, max_age=DEVICE_DAYS * 86400, path="/login",
                        secure=current_app.config.get("CHARGEBACK_HTTPS", False),
                        httponly=True, samesite="Lax")


# --- answers ------------------------------------------------------------------------------


def too_many(refusal: sign_in.Refusal):
    """429 with Retry-After; the soft lock says how its owner lifts it."""
    if refusal.locked:
        text = ("This account is locked for browsers it has not signed in from, after many "
                "failed sign-ins. Its owner can lift the lock at once with a new password: "
                "use “Forgot your password?” to get a link by e-mail. A browser that signed "
                "in to it before is not locked.")
    else:
        text = (f"Too many failed sign-ins: wait {_duration(refusal.retry_after)} and try "
                "again.")
    response = make_response(render_template("error.html", status=429,
                                             title="Too many attempts", text=text), 429)
    response.headers["Retry-After"] = str(refusal.retry_after)
    return response


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    if seconds < 5400:
        return f"{round(seconds / 60)} minutes"
    return f"{round(seconds / 3600)} hours"


def _address() -> str | None:
    return request.remote_addr


def _finish_sign_in(user, target: str | None, device: str | None):
    """A new session: the old cookie's content (CSRF token included) is dropped."""
    session.clear()
    g.pop("csrf_token", None)
    login_user(user)
    session["sid"] = sessions.start(db.session, user, _address())
    if two_factor.must_set_up(db.session, user):
        flash("Your role requires two-step sign-in: set it up to go on.", "warning")
        response = redirect(url_for("profile.two_step"))
    else:
        response = redirect(safe_next(target))
    _remember_device(response, user, device)
    return response


# --- sign in ------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home"))
    form = LoginForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("auth/login.html", form=form), status
    email = sign_in.normal(form.email.data)
    known = people.by_email(db.session, email)
    device = _device_of(known)
    client = sign_in.client_key(_address(), device)
    refusal = sign_in.claim(db.session, _policy(), email, client, trusted=device is not None,
                            address=_address())
    if refusal:
        return too_many(refusal)
    user = authenticate(db.session, email, form.password.data, hash_method=_hash_method())
    if user is None:
        keep_refused()  # the failure stays counted
        flash("E-mail or password is not right.", "danger")
        return render_template("auth/login.html", form=form), 401
    sign_in.forgive(db.session, email, client, trusted=device is not None, address=_address())
    if user.totp_enabled:
        session.clear()
        g.pop("csrf_token", None)
        session["second_step"] = {"u": user.id, "at": int(time.time()),
                                  "next": request.args.get("next"), "device": device}
        return redirect(url_for("auth.second_step"))
    return _finish_sign_in(user, request.args.get("next"), device)


@bp.route("/login/code", methods=["GET", "POST"])
def second_step():
    pending = session.get("second_step")
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > SECOND_STEP_SECONDS:
        session.pop("second_step", None)
        flash("Sign in again: the code must follow the password within five minutes.", "info")
        return redirect(url_for("auth.login"))
    user = people.active_user(db.session, pending["u"])
    if user is None or not user.totp_enabled:
        session.pop("second_step", None)
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("auth/code.html", form=form), status
    refusal = sign_in.claim(db.session, _policy(), user.email, sign_in.TOTP_CLIENT,
                            trusted=True, address=_address())
    if refusal:
        return too_many(refusal)
    if not two_factor.verify(db.session, user, form.code.data):
        keep_refused()
        form.code.errors = ["This code is not right (or was used already): type the one "
                            "your app shows now."]
        return render_template("auth/code.html", form=form), 401
    sign_in.forgive(db.session, user.email, sign_in.TOTP_CLIENT, trusted=True,
                    address=_address())
    return _finish_sign_in(user, pending.get("next"), pending.get("device"))


# --- where to go after signing in ---------------------------------------------------------

_URL_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                      "-._~:/?#[]@!$&'()*+,;=%")


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site, else the start page. Refused: anything
    but printable ASCII (a control character such as a tab or a line feed, which browsers
    drop, a space, a non-ASCII character), a backslash (which browsers read as ``/``), a
    start other than one ``/`` (``//host``, ``/\\host``, ``https://host``, ``javascript:``)
    and more than 2,000 characters."""
    if not target or len(target) > 2000 or not set(target) <= _URL_SAFE:
        return url_for("home")
    if not target.startswith("/") or target.startswith("//"):
        return url_for("home")
    return target


# --- sign out -----------------------------------------------------------------------------


@bp.route("/logout", methods=["POST"])
def logout():
    sessions.end(db.session, session.get("sid"))
    logout_user()
    session.clear()
    flash("Signed out.", "info")
    return redirect(url_for("auth.login"))


# --- forgot password ----------------------------------------------------------------------


@bp.route("/forgot", methods=["GET", "POST"])
def forgot():
    """Ask for a link to set a new password. A server without mail settings offers no
    form and sends nothing: it says to ask an admin, and a POST (an old page, a script)
    gets the same page, never word of a link on its way (the same for every address)."""
    form = ForgotForm()
    mail_on = bool(current_app.config.get("CHARGEBACK_SMTP_HOST"))
    if not mail_on:
        return render_template("auth/forgot.html", form=None, mail_on=False,
                               asked=request.method == "POST")
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("auth/forgot.html", form=form, mail_on=mail_on), status
    password_reset.request_link(db.session, form.email.data, current_app.config)
    minutes = current_app.config.get("CHARGEBACK_RESET_LINK_MINUTES", 60)
    flash(f"If {form.email.data.strip()} is a user's address, a link to set a new password "
          f"is on its way: it works once, within {minutes} minutes.", "info")
    return redirect(url_for("auth.login"))


def _reset_user(token: str):
    minutes = current_app.config.get("CHARGEBACK_RESET_LINK_MINUTES", 60)
    return password_reset.user_for(db.session, token, current_app.secret_key,
                                   dt.timedelta(minutes=minutes))


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    user = _reset_user(token)
    if user is None:
        return render_template(
            "error.html", status=404, title="This link does not work",
            text="A link to set a new password works once, and for a limited time. Ask for "
                 "a new one with “Forgot your password?” on the sign-in page."), 404
    form = ResetForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return _no_store(render_template("auth/reset.html", form=form, user=user), status)
    _, refusal = attempt(lambda: reset_password(db.session, user, form.password.data,
                                                hash_method=_hash_method()))
    if refusal:
        form.password.errors = refusal.messages
        return _no_store(render_template("auth/reset.html", form=form, user=user), 400)
    if current_user.is_authenticated:
        logout_user()
    session.clear()
    flash("New password set: sign in with it. Every session and API token of the account "
          "was ended.", "success")
    return redirect(url_for("auth.login"))


def _no_store(html: str, status: int):
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"
    return response

