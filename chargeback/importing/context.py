"""What every kind's handler needs while a batch is read: lookups, errors, the session."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from chargeback.models import Consumer, Period, Service, Unit
from chargeback.services.audit import record

MAX_STORED_ERRORS = 1000


@dataclass
class ImportContext:
    session: Session
    batch_id: int
    actor: str
    replace: bool = False
    errors: list[str] = field(default_factory=list)
    rows_read: int = 0
    # Unit codes the importer may name (a unit head's subtree); None: any unit.
    allowed_units: frozenset[str] | None = None
    _units: dict[str, int] | None = None
    _consumers: dict[str, int] | None = None
    _services: dict[str, tuple[int, int]] | None = None
    _periods: dict[str, str] | None = None

    def error(self, line: int, column: str, message: str) -> None:
        self.errors.append(f"line {line}: {column}: {message}")

    @property
    def units(self) -> dict[str, int]:
        if self._units is None:
            self._units = {c: i for c, i in self.session.execute(select(Unit.code, Unit.id))}
        return self._units

    @property
    def consumers(self) -> dict[str, int]:
        if self._consumers is None:
            rows = self.session.execute(select(Consumer.code, Consumer.id))
            self._consumers = {code: cid for code, cid in rows}
        return self._consumers

    @property
    def services(self) -> dict[str, tuple[int, int]]:
        """Service code -> (service id, providing unit id)."""
        if self._services is None:
            rows = self.session.execute(select(Service.code, Service.id, Service.unit_id))
            self._services = {code: (sid, uid) for code, sid, uid in rows}
        return self._services

    @property
    def periods(self) -> dict[str, str]:
        if self._periods is None:
            rows = self.session.execute(select(Period.period, Period.status))
            self._periods = {period: status for period, status in rows}
        return self._periods

    def latest_closed(self) -> str | None:
        closed = [p for p, status in self.periods.items() if status == "closed"]
        return max(closed) if closed else None

    def open_period(self, line: int, period: str) -> bool:
        """False (with an error) when the row targets a closed period."""
        if self.periods.get(period) == "closed":
            self.error(line, "period", f"period {period} is closed; corrections go into an "
                       "open period, or central IT reopens it")
            return False
        return True

    def in_scope(self, line: int, code: str | None) -> bool:
        """False (with an error) when a known unit outside the importer's scope is named."""
        if self.allowed_units is None or code is None or code in self.allowed_units:
            return True
        if code not in self.units:
            return True  # the lookup reports an unknown code in its own words
        mine = ", ".join(sorted(self.allowed_units)) or "none"
        self.error(line, "unit_code", f"'{code}' is not one of your units ({mine}); "
                   "a unit head imports for their own units only")
        return False

    def lookup(self, line: int, column: str, table: dict, code: str | None, what: str):
        if code is None:
            return None
        found = table.get(code)
        if found is None:
            self.error(line, column, f"unknown {what} '{code}'")
        return found

    def ensure_periods(self, periods: set[str]) -> None:
        """Create the open months a batch brings; a refused batch rolls them back too."""
        new = sorted(p for p in periods if p not in self.periods)
        if new:
            self.session.execute(insert(Period), [{"period": p, "status": "open"} for p in new])
            self.periods.update(dict.fromkeys(new, "open"))

    def audit(self, action: str, entity: str, key: str, before, after, reason=None) -> None:
        record(self.session, self.actor, action, entity, key, before, after, reason)
