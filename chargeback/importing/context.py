"""What every kind's handler needs while a batch is read: lookups, errors, the session."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from chargeback.failpoints import failpoint
from chargeback.importing.text import printable
from chargeback.models import Consumer, Offering, Service, Unit, User
from chargeback.models.audit import record
from chargeback.models.periods import lock_from, lock_months
from chargeback.refusals import Problem
from chargeback.vocabulary import FROZEN_STATUSES

MAX_STORED_ERRORS = 1000


@dataclass
class ImportContext:
    session: Session
    batch_id: int
    actor: str
    kind: str = ""
    replace: bool = False
    errors: list[Problem] = field(default_factory=list)
    content: hashlib._Hash = field(default_factory=hashlib.sha256)  # of the parsed rows
    rows_read: int = 0
    closed_rows: int = 0  # bad rows whose only fault is a frozen month (``closed``)
    # Unit codes the importer may name (a unit head's subtree); None: any unit.
    allowed_units: frozenset[str] | None = None
    _units: dict[str, int] | None = None
    _consumers: dict[str, int] | None = None
    _services: dict[str, tuple[int, int]] | None = None
    _offerings: dict[tuple[int, str], int] | None = None
    _users: dict[str, int] | None = None
    _months: dict[str, str] = field(default_factory=dict)  # statuses read under our lock
    _locked_from: str | None = None
    _frozen: str | None = None

    def start_over(self) -> None:
        """Forget what a rolled-back reading of the file counted, hashed and locked (its
        savepoint let the locks go and any month it created), to read the file again."""
        self.rows_read = self.closed_rows = 0
        self.content = hashlib.sha256()
        self._months = {}
        self._locked_from = self._frozen = None

    def error(self, line: int, column: str | None, message: str) -> None:
        """A bad row; its column and message as text either database stores and a terminal
        prints (a header may name a column with a control character in it)."""
        self.errors.append(Problem(kind=self.kind, line=line, column=printable(column, 200),
                                   message=printable(message)))

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
    def offerings(self) -> dict[tuple[int, str], int]:
        """(service id, offering code) -> offering id."""
        if self._offerings is None:
            rows = self.session.execute(select(Offering.service_id, Offering.code, Offering.id))
            self._offerings = {(sid, code): oid for sid, code, oid in rows}
        return self._offerings

    @property
    def users(self) -> dict[str, int]:
        """A user's e-mail address, lower-cased (as users are stored), -> user id."""
        if self._users is None:
            rows = self.session.execute(select(User.email, User.id))
            self._users = {email.lower(): uid for email, uid in rows}
        return self._users

    def service_in_scope(self, line: int, code: str) -> tuple[int, int] | None:
        """The service ``code`` as (service id, unit id), if it is known and its unit is in
        the importer's scope; else None, with the error."""
        found = self.lookup(line, "service_code", self.services, code, "service")
        if found is None:
            return None
        if self.allowed_units is not None:
            unit = next(c for c, i in self.units.items() if i == found[1])
            if unit not in self.allowed_units:
                mine = ", ".join(sorted(self.allowed_units)) or "none"
                self.error(line, "service_code", f"'{code}' is a service of {unit}, not one "
                           f"of your units ({mine}); a unit head imports for their own "
                           "units only")
                return None
        return found

    def open_period(self, line: int, period: str) -> bool:
        """False (with an error) when the row targets a frozen month (``month_status``)."""
        if self.month_status(period) in FROZEN_STATUSES:
            self.closed(line, period)
            return False
        return True

    def closed(self, line: int, period: str) -> None:
        """A row of a frozen month: a bad row, counted apart because a file whose every bad
        row is one may be a stored batch sent again after its month closed (``only_closed``)."""
        self.error(line, "period", closed_period_message(period))
        self.closed_rows += 1

    def only_closed(self) -> bool:
        """Every bad row is a row of a frozen month, and nothing else is wrong."""
        return bool(self.errors) and self.closed_rows == len(self.errors)

    def month_status(self, period: str) -> str:
        """The month's status, read under its lock.

        The month is created (open) if it does not exist and locked until the batch
        commits, so a close cannot freeze it between this check and the batch's rows.
        Months are locked one at a time, in the order the file first names them.
        """
        status = self._months.get(period)
        if status is None:
            self._months.update(lock_months(self.session, {period}))
            status = self._months[period]
            failpoint("import.month-locked")
        return status

    def frozen_from(self, start: str) -> str | None:
        """The latest frozen month, read under the lock of every month from ``start`` on
        (a price from ``start`` changes them all)."""
        if self._locked_from is None or start < self._locked_from:
            self._frozen = lock_from(self.session, start)
            self._locked_from = start
        return self._frozen

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

    def unknown(self, line: int, column: str, what: str, code: str) -> None:
        self.error(line, column, f"unknown {what} '{code}'")

    def lookup(self, line: int, column: str, table: dict, code: str | None, what: str):
        if code is None:
            return None
        found = table.get(code)
        if found is None:
            self.unknown(line, column, what, code)
        return found

    def audit(self, action: str, entity: str, key: str, before, after, reason=None) -> None:
        record(self.session, self.actor, action, entity, key, before, after, reason)


def closed_period_message(period: str) -> str:
    return (f"period {period} is closed; corrections go into an open period, "
            "or central IT reopens it")
