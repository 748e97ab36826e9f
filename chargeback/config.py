"""Configuration read from the environment.

Everything a deployment changes comes from environment variables, so the same code runs the
demo on SQLite and production on PostgreSQL. The secret key is never a constant in the code:
when ``SECRET_KEY`` is unset it is generated once and kept in the instance folder.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _secret_key(instance_path: Path) -> str:
    """Read the key from the environment, else from (or into) ``instance/secret_key``."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'chargeback.db'}"
    # Heroku-style URLs name the old driver; SQLAlchemy wants the psycopg 3 dialect.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def default_fiscal_year_start() -> int:
    """``CHARGEBACK_FISCAL_YEAR_START``: the month (1-12) a fiscal year starts in, January
    unless set. Central IT's setting on the admin page overrides it."""
    text = os.environ.get("CHARGEBACK_FISCAL_YEAR_START", "").strip()
    if not text:
        return 1
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 12:
        raise ValueError(f"CHARGEBACK_FISCAL_YEAR_START must be a month number 1-12, "
                         f"not {text!r}")
    return int(text)


def from_environment(instance_path: str) -> dict:
    """The settings of one app, as a mapping for ``app.config.update``."""
    path = Path(instance_path)
    return {
        "SECRET_KEY": _secret_key(path),
        "SQLALCHEMY_DATABASE_URI": _database_url(path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "CHARGEBACK_PACK_DIR": os.environ.get("CHARGEBACK_PACK_DIR") or str(path / "packs"),
        "CHARGEBACK_CURRENCY": os.environ.get("CHARGEBACK_CURRENCY", "USD"),
        "CHARGEBACK_FISCAL_YEAR_START": default_fiscal_year_start(),
        **_upload_settings(path),
        **_limit_settings(),
        "CHARGEBACK_HTTPS": os.environ.get("CHARGEBACK_HTTPS") == "1",
        "CHARGEBACK_LOCK_WAIT_SECONDS": _int("CHARGEBACK_LOCK_WAIT_SECONDS", 15),
        "CHARGEBACK_SQLITE_BUSY_SECONDS": _positive("CHARGEBACK_SQLITE_BUSY_SECONDS", 30,
                                                    most=24 * 3600),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        **_schedule_settings(),
        **_mail_settings(),
        **_sign_in_settings(),
    }


def _int(name: str, default: int | None) -> int | None:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _positive(name: str, default: int, most: int | None = None) -> int:
    """A whole number above 0 (and at most ``most``) from the environment, else ``default``;
    anything else stops the app at start-up with the setting's name."""
    text = os.environ.get(name, "").strip().replace("_", "")
    if not text:
        return default
    if not text.isascii() or not text.isdigit() or int(text) < 1 or (most and int(text) > most):
        bound = f" and at most {most}" if most else ""
        raise ValueError(f"{name} must be a whole number above 0{bound}, not {text!r}")
    return int(text)


UPLOAD_JOB_BYTES = 5 * 1024 * 1024
UPLOAD_MAX_BYTES = 512 * 1024 * 1024
HARD_MAX_CRITERIA = 1000


def _limit_settings() -> dict:
    """How much input the app takes (docs/security.md, "Input limits"): uploads, the cells and
    workbooks of import files, JSON bodies and files, criteria of a scorecard."""
    from chargeback.importing import limits
    from chargeback.safe_json import MAX_BYTES, MAX_DEPTH
    from rules.scoring import MAX_CRITERIA

    return {
        "MAX_CONTENT_LENGTH": _positive("CHARGEBACK_UPLOAD_MAX_BYTES", UPLOAD_MAX_BYTES),
        "CHARGEBACK_IMPORT_MAX_CELL_CHARS": _positive("CHARGEBACK_IMPORT_MAX_CELL_CHARS",
                                                      limits.CELL_CHARS),
        "CHARGEBACK_XLSX_MAX_BYTES": _positive("CHARGEBACK_XLSX_MAX_BYTES", limits.XLSX_BYTES),
        "CHARGEBACK_XLSX_MAX_ROWS": _positive("CHARGEBACK_XLSX_MAX_ROWS", limits.XLSX_ROWS),
        "CHARGEBACK_XLSX_MAX_CELLS": _positive("CHARGEBACK_XLSX_MAX_CELLS", limits.XLSX_CELLS),
        "CHARGEBACK_JSON_MAX_BYTES": _positive("CHARGEBACK_JSON_MAX_BYTES", MAX_BYTES),
        "CHARGEBACK_JSON_MAX_DEPTH": _positive("CHARGEBACK_JSON_MAX_DEPTH", MAX_DEPTH, 500),
        "CHARGEBACK_MAX_CRITERIA": _positive("CHARGEBACK_MAX_CRITERIA", MAX_CRITERIA,
                                             HARD_MAX_CRITERIA),
    }



def _upload_settings(instance_path: Path) -> dict:
    """Uploads above ``CHARGEBACK_UPLOAD_JOB_BYTES`` (5 MiB) are imported by the job runner,
    not in the request; they wait in ``CHARGEBACK_UPLOAD_DIR`` (the instance folder's
    ``uploads``), which the web app and the runner must share (see docs/imports.md)."""
    return {
        "CHARGEBACK_UPLOAD_JOB_BYTES": _int("CHARGEBACK_UPLOAD_JOB_BYTES", UPLOAD_JOB_BYTES),
        "CHARGEBACK_UPLOAD_DIR": (os.environ.get("CHARGEBACK_UPLOAD_DIR")
                                  or str(instance_path / "uploads")),
    }


def _schedule_settings() -> dict:
    """When the month closes itself and what "ready" means (see docs/scheduler.md)."""
    extra = os.environ.get("CHARGEBACK_READINESS_EXTRA", "")
    return {
        "CHARGEBACK_TIMEZONE": os.environ.get("CHARGEBACK_TIMEZONE", "UTC"),
        "CHARGEBACK_CLOSE_BUSINESS_DAY": _int("CHARGEBACK_CLOSE_BUSINESS_DAY", 3),
        "CHARGEBACK_CLOSE_HOUR": _int("CHARGEBACK_CLOSE_HOUR", 6),
        "CHARGEBACK_CLOSE_ANYWAY_AFTER_DAYS": _int("CHARGEBACK_CLOSE_ANYWAY_AFTER_DAYS", None),
        "CHARGEBACK_PROVISIONAL_HOUR": _int("CHARGEBACK_PROVISIONAL_HOUR", 1),
        "CHARGEBACK_READINESS_EXTRA": tuple(x.strip() for x in extra.split(",") if x.strip()),
        "CHARGEBACK_STALE_MINUTES": _int("CHARGEBACK_STALE_MINUTES", 30),
        "CHARGEBACK_POLL_SECONDS": _int("CHARGEBACK_POLL_SECONDS", 3),
        **_holiday_settings(),
        # How often the scheduler and each `jobs work` worker say they are alive.
        "CHARGEBACK_HEARTBEAT_SECONDS": _positive("CHARGEBACK_HEARTBEAT_SECONDS", 15, 3600),
    }


def _holiday_settings() -> dict:
    """Which days are business days for the close schedule (docs/closing.md, "Business
    days"): a country and subdivision whose public holidays the ``holidays`` package knows,
    and the company's own closing days (YYYY-MM-DD, comma-separated). A value the calendar
    cannot use stops the app at start-up with the setting's name."""
    from chargeback.services.calendar import BusinessCalendar, parse_closing_days

    country = os.environ.get("CHARGEBACK_HOLIDAYS_COUNTRY", "").strip().upper() or None
    subdivision = os.environ.get("CHARGEBACK_HOLIDAYS_SUBDIVISION", "").strip().upper() or None
    try:
        days = parse_closing_days(os.environ.get("CHARGEBACK_CLOSING_DAYS", ""))
    except ValueError as exc:
        raise ValueError(f"CHARGEBACK_CLOSING_DAYS: {exc}") from exc
    try:
        BusinessCalendar(country, subdivision, days)
    except ValueError as exc:
        raise ValueError(f"CHARGEBACK_HOLIDAYS_COUNTRY/SUBDIVISION: {exc}") from exc
    return {"CHARGEBACK_HOLIDAYS_COUNTRY": country,
            "CHARGEBACK_HOLIDAYS_SUBDIVISION": subdivision,
            "CHARGEBACK_CLOSING_DAYS": tuple(sorted(days))}


def _mail_settings() -> dict:
    """SMTP for "the pack is published" mails; mail is off while the host is unset."""
    return {
        "CHARGEBACK_SMTP_HOST": os.environ.get("CHARGEBACK_SMTP_HOST") or None,
        "CHARGEBACK_SMTP_PORT": _int("CHARGEBACK_SMTP_PORT", 25),
        "CHARGEBACK_SMTP_USER": os.environ.get("CHARGEBACK_SMTP_USER") or None,
        "CHARGEBACK_SMTP_PASSWORD": os.environ.get("CHARGEBACK_SMTP_PASSWORD") or None,
        "CHARGEBACK_SMTP_STARTTLS": os.environ.get("CHARGEBACK_SMTP_STARTTLS") == "1",
        "CHARGEBACK_MAIL_FROM": os.environ.get("CHARGEBACK_MAIL_FROM", "chargeback@localhost"),
        "CHARGEBACK_BASE_URL": os.environ.get("CHARGEBACK_BASE_URL", "http://127.0.0.1:5000"),
    }


def _sign_in_settings() -> dict:
    """Sessions, sign-in protection, tokens and reset links (see docs/security.md)."""
    return {
        # A session ends this long after its sign-in, or after this long without a request.
        "CHARGEBACK_SESSION_HOURS": _int("CHARGEBACK_SESSION_HOURS", 12),
        "CHARGEBACK_SESSION_IDLE_MINUTES": _int("CHARGEBACK_SESSION_IDLE_MINUTES", 60),
        # API tokens: the lifetime a new token gets unless its maker says, and the longest.
        "CHARGEBACK_TOKEN_DAYS": _int("CHARGEBACK_TOKEN_DAYS", 90),
        "CHARGEBACK_TOKEN_MAX_DAYS": _int("CHARGEBACK_TOKEN_MAX_DAYS", 365),
        # How many reverse proxies stand in front of the app (Werkzeug's ProxyFix trusts
        # that many X-Forwarded-For/-Proto values); 0: the app is reached directly.
        "CHARGEBACK_TRUSTED_PROXIES": _int("CHARGEBACK_TRUSTED_PROXIES", 0),
        # Failed sign-ins of one account from one client before each next attempt waits
        # (1 s, 2 s, 4 s, ... up to the longest delay); failures older than the window
        # are forgotten.
        "CHARGEBACK_SIGNIN_FREE_FAILURES": _int("CHARGEBACK_SIGNIN_FREE_FAILURES", 3),
        "CHARGEBACK_SIGNIN_MAX_DELAY_SECONDS": _int("CHARGEBACK_SIGNIN_MAX_DELAY_SECONDS", 300),
        "CHARGEBACK_SIGNIN_WINDOW_MINUTES": _int("CHARGEBACK_SIGNIN_WINDOW_MINUTES", 15),
        # Failures of one account from browsers it never signed in from before it is
        # soft-locked for them (its own browsers and the reset link still work), and how
        # long the lock lasts after the last of them.
        "CHARGEBACK_SIGNIN_LOCK_FAILURES": _int("CHARGEBACK_SIGNIN_LOCK_FAILURES", 20),
        "CHARGEBACK_SIGNIN_LOCK_HOURS": _int("CHARGEBACK_SIGNIN_LOCK_HOURS", 24),
        # Failures from one address, whatever the account, within the window.
        "CHARGEBACK_SIGNIN_ADDRESS_FAILURES": _int("CHARGEBACK_SIGNIN_ADDRESS_FAILURES", 100),
        # A "forgot password" link works once, for this long.
        "CHARGEBACK_RESET_LINK_MINUTES": _int("CHARGEBACK_RESET_LINK_MINUTES", 60),
    }
