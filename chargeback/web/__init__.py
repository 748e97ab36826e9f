"""Server-rendered pages: unit heads define success, central IT reviews, finance downloads.

``register_web`` binds the security extensions (login, CSRF, rate limits, security headers)
and the blueprints. Every route declares who may use it (``guards.roles``, over
``chargeback.access``); the authorization test walks the URL map so that a route without a
rule fails it. Views never commit: the request is one unit of work (``unit_of_work``).
"""

from __future__ import annotations

from flask import Flask, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from chargeback.extensions import csrf, db, limiter, login, talisman
from chargeback.services import sessions, two_factor

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


class RowId(IntegerConverter):
    """``<int:...>`` in the web app's routes: a row id from 1 to 2**31 - 1, so an id no
    database integer holds is no page (404), never a database error (500)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def register_web(app: Flask) -> None:
    app.url_map.converters["int"] = RowId  # before any route is added
    https = app.config.get("CHARGEBACK_HTTPS", False)
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config["SESSION_COOKIE_SECURE"] = https
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)  # Retry-After on its 429s
    _trust_proxies(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login.init_app(app)
    login.login_view = "auth.login"
    login.login_message_category = "info"
    # HTTPS is enforced below (pages redirect, the API refuses), not by Talisman.
    talisman.init_app(app, content_security_policy=CSP, force_https=False,
                      session_cookie_secure=https, strict_transport_security=https,
                      frame_options="DENY", referrer_policy="same-origin")
    if https:
        app.before_request(_https_only)
    app.before_request(_second_step_first)

    from chargeback.web import (
        admin,
        approvals,
        audit,
        auth,
        chains,
        data,
        directory,
        help_pages,
        jobs,
        portfolio,
        profile,
        scorecard_editor,
        scorecard_versions,
        service_catalog,
        statements,
        units,
        variability,
    )

    for module in (auth, portfolio, units, service_catalog, chains, directory, scorecard_editor,
                   scorecard_versions, approvals, data, statements, jobs, admin, audit, profile,
                   help_pages, variability):
        app.register_blueprint(module.bp)
    app.add_url_rule("/", "home", home)
    _error_pages(app)
    app.jinja_env.globals.update(nav_items=nav_items, may_edit_scorecard=may_edit_scorecard,
                                 nav_badge=nav_badge,
                                 **vocabulary_globals())
    app.jinja_env.filters.update(template_filters())


def _trust_proxies(app: Flask) -> None:
    """Behind ``CHARGEBACK_TRUSTED_PROXIES`` reverse proxies, the client's address and
    scheme are the ones the proxies pass on (X-Forwarded-For, -Proto), so sign-in limits
    count each client, not the proxy; with 0 (the default) those headers are ignored."""
    hops = int(app.config.get("CHARGEBACK_TRUSTED_PROXIES") or 0)
    if hops > 0 and not getattr(app.wsgi_app, "chargeback_proxies", 0):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0)
        app.wsgi_app.chargeback_proxies = hops


def _https_only():
    """With ``CHARGEBACK_HTTPS``: a page asked over plain http is redirected to https; an
    API call is refused (403), so a script sending its token over plain http fails at
    once instead of working through a redirect."""
    if current_app.debug or request.is_secure \
            or request.headers.get("X-Forwarded-Proto", "http") == "https":
        return None
    if request.path == "/api" or request.path.startswith("/api/"):
        response = jsonify(message="This server answers over HTTPS only: call it with "
                                   "https://. A token sent over plain http may have been "
                                   "seen on the way: revoke it and make a new one.",
                           errors={})
        response.status_code = 403
        return response
    return redirect(request.url.replace("http://", "https://", 1), code=302)


def _second_step_first():
    """A user whose role requires two-step sign-in and who has not set it up may only
    set it up (or sign out)."""
    if request.endpoint in ("static", "auth.logout", "profile.two_step", "profile.two_step_new") \
            or not current_user.is_authenticated:
        return None
    if request.path.startswith("/api/"):
        return None
    if two_factor.must_set_up(db.session, current_user):
        return redirect(url_for("profile.two_step"))
    return None


@login.user_loader
def load_user(user_id: str):
    """The user of a session that is still on the server (``services.sessions``): signed
    out, expired, idle too long, ended by a password, role or deactivation: nobody."""
    try:
        number = int(user_id)
    except (TypeError, ValueError):
        return None
    return sessions.user_of(db.session, session.get("sid"), number,
                            sessions.Limits.from_config(current_app.config))


def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("portfolio.index"))




def may_edit_scorecard(unit) -> bool:
    """For a page's link to the scorecard editor: "Edit scorecard" or just "Scorecard"."""
    from chargeback.access import may_edit_scorecard as allowed

    return current_user.is_authenticated and allowed(db.session, current_user, unit)


def nav_badge(endpoint: str) -> int | None:
    """A count beside a menu item: the scorecard versions waiting, on Approvals (only the
    roles that see that item see it)."""
    if endpoint != "approvals.index" or not current_user.is_authenticated \
            or current_user.role not in ("admin", "central_it"):
        return None
    from chargeback.services.scorecards import waiting_count

    return waiting_count(db.session)


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
        items += [("audit.index", "Audit"), ("admin.index", "Administration")]
    return items


def _error_pages(app: Flask) -> None:
    messages = {
        400: ("Bad request", "The form was not accepted: reload the page and try again."),
        403: ("Not allowed", "Your role or unit scope does not include this page."),
        404: ("Not found", "There is nothing at this address."),
        413: ("File too large", "The file is larger than the upload limit."),
        429: ("Too many attempts", "Too many attempts: wait a while and try again."),
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
    from chargeback.web.currency import money_filter, price_filter
    from chargeback.web.formatting import band_class, number, one_decimal, percent

    return {"money": money_filter, "price": price_filter, "number": number, "one_decimal": one_decimal, "percent": percent,
            "band_class": band_class}
