"""Server-rendered pages: unit heads define success, central IT reviews, finance downloads.

``register_web`` binds the security extensions (login, CSRF, rate limits, security headers)
and the blueprints. Every route declares who may use it (``guards.roles``, over
``chargeback.access``); the authorization test walks the URL map so that a route without a
rule fails it. Views never commit: the request is one unit of work (``unit_of_work``).
"""

from __future__ import annotations

from flask import Flask, redirect, render_template, url_for
from flask_login import current_user

from chargeback.extensions import csrf, db, limiter, login, talisman
from chargeback.services.queries import people

CSP = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "style-src": "'self'",
    "script-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def register_web(app: Flask) -> None:
    https = app.config.get("CHARGEBACK_HTTPS", False)
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config["SESSION_COOKIE_SECURE"] = https
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    csrf.init_app(app)
    limiter.init_app(app)
    login.init_app(app)
    login.login_view = "auth.login"
    login.login_message_category = "info"
    talisman.init_app(app, content_security_policy=CSP, force_https=https,
                      session_cookie_secure=https, strict_transport_security=https,
                      frame_options="DENY", referrer_policy="same-origin")

    from chargeback.web import (
        admin,
        approvals,
        auth,
        data,
        jobs,
        portfolio,
        profile,
        scorecard_editor,
        statements,
        units,
    )

    for module in (auth, portfolio, units, scorecard_editor, approvals, data, statements, jobs,
                   admin, profile):
        app.register_blueprint(module.bp)
    app.add_url_rule("/", "home", home)
    _error_pages(app)
    app.jinja_env.globals.update(nav_items=nav_items, **vocabulary_globals())
    app.jinja_env.filters.update(template_filters())


@login.user_loader
def load_user(user_id: str):
    return people.active_user(db.session, int(user_id))


def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("portfolio.index"))




def nav_items() -> list[tuple[str, str]]:
    """The menu for the signed-in user's role: only what they may open."""
    if not current_user.is_authenticated:
        return []
    role = current_user.role
    items = [("portfolio.index", "Portfolio")]
    if role == "unit_head":
        items.append(("units.index", "My units"))
    else:
        items.append(("units.index", "Units"))
    if role in ("admin", "central_it"):
        items.append(("approvals.index", "Approvals"))
    items.append(("data.imports", "Imports"))
    items.append(("statements.index", "Statements"))  # a unit head: their units' own bills
    if role in ("admin", "central_it", "finance"):  # packs hold every unit's figures
        items += [("data.packs", "Packs"), ("data.periods", "Periods"), ("jobs.index", "Jobs")]
    if role in ("admin", "central_it"):
        items.append(("admin.index", "Administration"))
    return items


def _error_pages(app: Flask) -> None:
    messages = {
        400: ("Bad request", "The form was not accepted: reload the page and try again."),
        403: ("Not allowed", "Your role or unit scope does not include this page."),
        404: ("Not found", "There is nothing at this address."),
        413: ("File too large", "The file is larger than the upload limit."),
        429: ("Too many attempts", "Too many failed sign-ins: wait 15 minutes and try again."),
        500: ("Something went wrong", "The error was logged; nothing was half-saved."),
    }
    for status, (title, text) in messages.items():
        def page(error, status=status, title=title, text=text):
            return render_template("error.html", status=status, title=title, text=text), status
        app.register_error_handler(status, page)


def vocabulary_globals() -> dict:
    """The rules' words, for forms: the scoring methods (read from their registry at each
    page, so a method added there shows without more) and which of them use which field."""
    from rules.methods import METHODS, users_of
    from rules.vocabulary import DIRECTIONS

    return {"method_options": lambda: [(name, name) for name in METHODS],
            "method_users": users_of, "directions": [(d, d) for d in DIRECTIONS]}


def template_filters() -> dict:
    from chargeback.web.formatting import band_class, money, number, one_decimal, percent

    return {"money": money, "number": number, "one_decimal": one_decimal, "percent": percent,
            "band_class": band_class}
