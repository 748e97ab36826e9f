"""Holding-wide settings with their defaults: band thresholds, the currency and the month
the fiscal year starts in.

Central IT changes them from the web app (``set_thresholds``, ``set_currency``,
``set_fiscal_year_start``); every change goes to the audit log with the old and the new
value. A close keeps the settings it used on its month, so new values apply to the periods
closed from then on.
"""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy.orm import Session

from chargeback.config import default_fiscal_year_start
from chargeback.models import Setting
from chargeback.models.audit import record
from chargeback.refusals import Refused
from rules.model import BandThresholds
from rules.vocabulary import BAND_LIMITS

DEFAULT_THRESHOLDS = BandThresholds()
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
HUNDRED = Decimal(100)


class SettingRefused(Refused):
    """A value the settings do not allow (thresholds out of order, a bad currency code)."""

    def __init__(self, message: str):
        super().__init__(message, kind="setting")


def _get(session: Session, key: str) -> str | None:
    row = session.get(Setting, key)
    return row.value if row else None


def _put(session: Session, key: str, value: str) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


def thresholds(session: Session) -> BandThresholds:
    values = {name: _get(session, f"band_{name}") for name in BAND_LIMITS}
    return BandThresholds(**{name: Decimal(v) if v is not None
                             else getattr(DEFAULT_THRESHOLDS, name)
                             for name, v in values.items()})


def currency(session: Session, default: str = "USD") -> str:
    """The setting stored by central IT, else the deployment's ``CHARGEBACK_CURRENCY``."""
    return _get(session, "currency") or default


def threshold_problem(exceeds: Decimal, meets: Decimal, watch: Decimal) -> str | None:
    """Why these limits cannot be the bands, or None: each in 0..100, exceeds > meets > watch."""
    for name, value in zip(BAND_LIMITS, (exceeds, meets, watch), strict=True):
        if not isinstance(value, Decimal) or not value.is_finite():
            return f"{name} must be a number"
        if not Decimal(0) <= value <= HUNDRED:
            return f"{name} must be between 0 and 100"
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -2:
            return f"{name} has at most 2 decimal places"
    if not exceeds > meets > watch:
        return "the limits must go down: exceeds above meets, meets above watch"
    return None


def set_thresholds(session: Session, exceeds: Decimal, meets: Decimal, watch: Decimal,
                   actor: str) -> BandThresholds:
    """Store new band limits; raise SettingRefused when they are not in order."""
    problem = threshold_problem(exceeds, meets, watch)
    if problem:
        raise SettingRefused(problem)
    before = thresholds(session)
    new = {"exceeds": exceeds, "meets": meets, "watch": watch}
    for name, value in new.items():
        _put(session, f"band_{name}", _plain(value))
    record(session, actor, "settings.bands", "settings", "bands",
           before={n: _plain(getattr(before, n)) for n in BAND_LIMITS},
           after={n: _plain(v) for n, v in new.items()})
    session.flush()
    return thresholds(session)


def set_currency(session: Session, code: str, actor: str, default: str = "USD") -> str:
    """Store the holding company's currency (ISO 4217 style: three capital letters)."""
    code = (code or "").strip().upper()
    if not CURRENCY_RE.match(code):
        raise SettingRefused("the currency is three letters, e.g. USD or EUR")
    before = currency(session, default)
    _put(session, "currency", code)
    record(session, actor, "settings.currency", "settings", "currency",
           before={"currency": before}, after={"currency": code})
    session.flush()
    return code


def fiscal_year_start(session: Session) -> int:
    """The month (1-12) the fiscal year starts in: central IT's setting, else the
    deployment's ``CHARGEBACK_FISCAL_YEAR_START`` (January by default)."""
    stored = _get(session, "fiscal_year_start")
    return int(stored) if stored else default_fiscal_year_start()


def set_fiscal_year_start(session: Session, month: object, actor: str) -> int:
    """Store the fiscal year's first month; months closed earlier keep the one they used."""
    text = str(month).strip() if month is not None else ""
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 12):
        raise SettingRefused("the fiscal year starts in a month: a number from 1 (January) "
                             "to 12 (December)")
    before = fiscal_year_start(session)
    _put(session, "fiscal_year_start", str(int(text)))
    record(session, actor, "settings.fiscal_year_start", "settings", "fiscal_year_start",
           before={"fiscal_year_start": before}, after={"fiscal_year_start": int(text)})
    session.flush()
    return int(text)


def _plain(value: Decimal) -> str:
    """``90`` rather than ``9E+1`` or ``90.00``: the text a person would type."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def limits_to_store(limits: BandThresholds) -> dict[str, str]:
    """Band limits as a close keeps them on its month (decimal text)."""
    return {name: str(getattr(limits, name)) for name in BAND_LIMITS}
