"""The seals of closed months: a hash chain over what each close froze.

Each close seals its month: one digest per part of the frozen figures (the journal and
the charges of each unit, the unit results, the ratings, the snapshots) and of the audit
entries written since the previous seal, chained to the previous seal. ``chargeback verify``
recomputes them and names the part that differs; a pack's Cover carries its month's seal.
A seal whose publication was undone, or whose month was reopened and closed again, stays
in the chain (``state``), so the links of the later seals still hold.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from chargeback.models.base import Base, created_at_column, one_of

SEAL_STATES = ("current", "superseded", "undone")
GENESIS = "0" * 64
"""The ``previous`` of the first seal: every seal has a predecessor, so ``previous`` is unique."""


class PeriodSeal(Base):
    __tablename__ = "period_seals"
    __table_args__ = (one_of("state", SEAL_STATES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.period"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="current")
    # Unique: two closes can never both chain on one seal (a fork of the chain).
    previous: Mapped[str] = mapped_column(String(64), unique=True)
    seal: Mapped[str] = mapped_column(String(64), unique=True)
    parts: Mapped[dict]  # part name -> {"rows": n, "digest": hex}
    audit_from: Mapped[int] = mapped_column(Integer)  # audit entries after this id ...
    audit_to: Mapped[int] = mapped_column(Integer)  # ... up to this one
    # Ids in that range not visible at the seal (an entry still being written elsewhere,
    # or a rolled-back one): the next seal adopts those that have appeared by then.
    audit_gaps: Mapped[list]
    created_at: Mapped[dt.datetime] = created_at_column()
