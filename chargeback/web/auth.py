"""Signing in and out. Failed sign-ins are rate limited per e-mail and per address."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from chargeback.extensions import db, limiter
from chargeback.services.users import authenticate

bp = Blueprint("auth", __name__)

FAILED_SIGN_INS = "10 per 15 minutes"


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


def _email_key() -> str:
    return "email:" + (request.form.get("email") or "").strip().lower()


def _failed(response) -> bool:
    """Only a refused sign-in counts against the limits; a good one redirects (302)."""
    return request.method == "POST" and response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(FAILED_SIGN_INS, methods=["POST"], deduct_when=_failed)
@limiter.limit(FAILED_SIGN_INS, key_func=_email_key, methods=["POST"], deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data,
                            hash_method=current_app.config.get("CHARGEBACK_PASSWORD_HASH",
                                                               "scrypt"))
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash("E-mail or password is not right.", "danger")
        return render_template("auth/login.html", form=form), 401
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status




def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("home")


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash("Signed out.", "info")
    return redirect(url_for("auth.login"))


