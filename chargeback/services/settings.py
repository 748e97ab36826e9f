"""Holding-wide settings with their defaults: band thresholds and the currency."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from chargeback.models import Setting
from rules.model import BandThresholds

DEFAULT_THRESHOLDS = BandThresholds()


def _get(session: Session, key: str) -> str | None:
    row = session.get(Setting, key)
    return row.value if row else None


def thresholds(session: Session) -> BandThresholds:
    values = {name: _get(session, f"band_{name}") for name in ("exceeds", "meets", "watch")}
    return BandThresholds(**{name: Decimal(v) if v is not None else getattr(DEFAULT_THRESHOLDS, name)
                             for name, v in values.items()})


def currency(session: Session, default: str = "USD") -> str:
    """The setting stored by central IT, else the deployment's ``CHARGEBACK_CURRENCY``."""
    return _get(session, "currency") or default
