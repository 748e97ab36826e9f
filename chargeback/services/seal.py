"""Sealing a closed month: a hash chain over what its close froze and over the audit log.

A close computes one digest per part of its month (the journal lines and the charge lines
of each unit, the unit results, the ratings with their criteria, the snapshots, the
settings it was closed with) and one over the audit entries written since the previous
seal, then chains them to the previous seal: ``seal = sha256(previous, period, revision,
parts)``. ``verify`` recomputes every part from the database and names what differs, so a
journal line changed behind the product's back is found, and a re-written pack refuses to
re-issue figures its seal does not vouch for. The pack's Cover carries the seal.

Values are hashed as the database hands them back (one text per value), so a seal made on
PostgreSQL is checked on PostgreSQL and one made on SQLite on SQLite.

Audit entries: a seal covers the ids after the previous seal's last, up to the last id
visible when it was made. An id in that range that is not visible yet (a transaction still
running elsewhere) is a gap; the next seal covers it if it has appeared by then.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from chargeback.models import (
    AuditEntry,
    Charge,
    ConsumerSnapshot,
    CriterionResultRow,
    InternalCharge,
    JournalLine,
    OfferingSnapshot,
    Period,
    PeriodSeal,
    Rating,
    ServiceDependencySnapshot,
    ServiceSnapshot,
    SlaResult,
    UnitPeriodResult,
    UnitPeriodSpend,
    UnitTreeSnapshot,
    VariabilitySnapshot,
)
from chargeback.models.seals import GENESIS

CHUNK = 10_000


# --- turning rows into text, the same way every time ------------------------------------


def _text(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return str(value)


def _line(row: Iterable) -> bytes:
    return ("\x1f".join(_text(v) for v in row) + "\x1e").encode()


class _Digest:
    """A running sha256 of rows, and how many went in."""

    def __init__(self):
        self.hash, self.rows = hashlib.sha256(), 0

    def add(self, row: Iterable) -> None:
        self.hash.update(_line(row))
        self.rows += 1

    def value(self) -> dict:
        return {"rows": self.rows, "digest": self.hash.hexdigest()}


# --- the parts of a month ---------------------------------------------------------------

PER_UNIT = (("journal", JournalLine, (
    JournalLine.id, JournalLine.journal, JournalLine.account, JournalLine.consumer_id,
    JournalLine.description, JournalLine.debit, JournalLine.credit, JournalLine.currency)),
            ("charges", Charge, (
    Charge.id, Charge.consumer_id, Charge.service_id, Charge.method, Charge.basis,
    Charge.quantity, Charge.rate, Charge.amount, Charge.pool, Charge.driver,
    Charge.percent)))
"""Parts kept per providing unit, so ``verify`` names the unit whose lines changed."""

WHOLE = {
    "results": (UnitPeriodResult, (
        UnitPeriodResult.id, UnitPeriodResult.unit_id, UnitPeriodResult.spend,
        UnitPeriodResult.internal_received, UnitPeriodResult.budget, UnitPeriodResult.charged,
        UnitPeriodResult.charged_external, UnitPeriodResult.absorbed)),
    "spend": (UnitPeriodSpend, (
        UnitPeriodSpend.id, UnitPeriodSpend.unit_id, UnitPeriodSpend.dimension,
        UnitPeriodSpend.code, UnitPeriodSpend.amount)),
    "internal": (InternalCharge, (
        InternalCharge.id, InternalCharge.provider_id, InternalCharge.receiver_id,
        InternalCharge.amount)),
    "ratings": (Rating, (
        Rating.id, Rating.unit_id, Rating.scorecard_version_id, Rating.scorecard_version,
        Rating.scorecard_from, Rating.attainment, Rating.band)),
    "tree": (UnitTreeSnapshot, (
        UnitTreeSnapshot.id, UnitTreeSnapshot.unit_id, UnitTreeSnapshot.unit_code,
        UnitTreeSnapshot.parent_code, UnitTreeSnapshot.name,
        UnitTreeSnapshot.service_model_code, UnitTreeSnapshot.service_model_name,
        UnitTreeSnapshot.billing_mode)),
    "consumers": (ConsumerSnapshot, (
        ConsumerSnapshot.id, ConsumerSnapshot.consumer_id, ConsumerSnapshot.code,
        ConsumerSnapshot.name, ConsumerSnapshot.gl_account, ConsumerSnapshot.unit_code)),
    "services": (ServiceSnapshot, (
        ServiceSnapshot.id, ServiceSnapshot.service_id, ServiceSnapshot.code,
        ServiceSnapshot.unit_code, ServiceSnapshot.name, ServiceSnapshot.uom,
        ServiceSnapshot.price, ServiceSnapshot.price_from)),
    # by service and kind, not by row id: a month closed before revision 0018 got these
    # rows from the migration, in an order of its own
    "variability": (VariabilitySnapshot, (
        VariabilitySnapshot.service_id, VariabilitySnapshot.kind,
        VariabilitySnapshot.service_code, VariabilitySnapshot.unit_code,
        VariabilitySnapshot.stance, VariabilitySnapshot.note, VariabilitySnapshot.source)),
    # the service catalog as the close froze it (revision 0017): each service's owner, and
    # its offerings with their service level targets
    "owners": (ServiceSnapshot, (ServiceSnapshot.service_id, ServiceSnapshot.owner_email)),
    "offerings": (OfferingSnapshot, (
        OfferingSnapshot.service_id, OfferingSnapshot.offering, OfferingSnapshot.measure,
        OfferingSnapshot.offering_name, OfferingSnapshot.target, OfferingSnapshot.direction)),
    "dependencies": (ServiceDependencySnapshot, (
        ServiceDependencySnapshot.id, ServiceDependencySnapshot.service_id,
        ServiceDependencySnapshot.upstream_id, ServiceDependencySnapshot.service_code,
        ServiceDependencySnapshot.upstream_code)),
    # the month's service level results (sealed since the catalog): not a snapshot, the
    # import refuses a closed month's, so the live rows are the month's (a rating reads them)
    "sla_results": (SlaResult, (
        SlaResult.service_id, SlaResult.offering, SlaResult.measure, SlaResult.value)),
}
ORDER = {"variability": (VariabilitySnapshot.service_id, VariabilitySnapshot.kind),
         "offerings": (OfferingSnapshot.service_id, OfferingSnapshot.offering,
                       OfferingSnapshot.measure),
         "sla_results": (SlaResult.service_id, SlaResult.offering, SlaResult.measure)}
"""How a part's rows are read in a fixed order, when not by their first column."""
LATER_PARTS = frozenset({"variability", "owners", "offerings", "dependencies", "sla_results"})
"""Parts added after seals were first made: a seal made before a part existed does not
vouch for it, so its absence from an older seal is no finding (``_check_parts``)."""
CRITERIA = (CriterionResultRow.id, CriterionResultRow.rating_id, CriterionResultRow.position,
            CriterionResultRow.key, CriterionResultRow.label, CriterionResultRow.expr,
            CriterionResultRow.direction, CriterionResultRow.method, CriterionResultRow.weight,
            CriterionResultRow.target, CriterionResultRow.floor, CriterionResultRow.bands,
            CriterionResultRow.actual, CriterionResultRow.score, CriterionResultRow.note,
            CriterionResultRow.explanation)
AUDIT = (AuditEntry.id, AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.entity,
         AuditEntry.entity_key, AuditEntry.before, AuditEntry.after, AuditEntry.reason)


def month_parts(session: Session, period: str) -> dict[str, dict]:
    """Part name -> {"rows", "digest"} of everything the close of ``period`` froze."""
    code_of = dict(session.execute(select(UnitTreeSnapshot.unit_id, UnitTreeSnapshot.unit_code)
                                   .where(UnitTreeSnapshot.period == period)).all())
    parts: dict[str, dict] = {}
    for name, model, columns in PER_UNIT:
        digests: dict[str, _Digest] = defaultdict(_Digest)
        for row in _rows(session, select(model.unit_id, *columns)
                         .where(model.period == period).order_by(model.unit_id, model.id)):
            digests[code_of.get(row[0], f"#{row[0]}")].add(row[1:])
        parts.update({f"{name}:{code}": d.value() for code, d in digests.items()})
    for name, (model, columns) in WHOLE.items():
        digest = _Digest()
        for row in _rows(session, select(*columns).where(model.period == period)
                         .order_by(*ORDER.get(name, columns[:1]))):
            digest.add(row)
        if name == "ratings":
            for row in _rows(session, select(*CRITERIA).join(
                    Rating, Rating.id == CriterionResultRow.rating_id)
                    .where(Rating.period == period).order_by(CriterionResultRow.id)):
                digest.add(row)
        parts[name] = digest.value()
    settings = session.execute(select(Period.currency, Period.band_limits, Period.computed_at,
                                      Period.close_count).where(Period.period == period)).one()
    digest = _Digest()
    digest.add(settings)
    parts["settings"] = digest.value()
    return parts


def _rows(session: Session, query) -> Iterator:
    yield from session.execute(query).yield_per(CHUNK)


def _audit_digest(session: Session, earlier: Iterable[int], first: int, last: int,
                  left_out: set[int] = frozenset()) -> tuple[_Digest, list[int], set[int]]:
    """The digest of the audit entries with the ``earlier`` ids (those there now), then of
    the ids in (first, last] but ``left_out``; which earlier ids were there, and which ids
    of the range. A seal and its check read the entries this one way."""
    wanted = sorted(set(earlier))
    digest, found, seen = _Digest(), [], set()
    if wanted:
        for row in _rows(session, select(*AUDIT).where(AuditEntry.id.in_(wanted))
                         .order_by(AuditEntry.id)):
            digest.add(row)
            found.append(row[0])
    for row in _rows(session, select(*AUDIT).where(AuditEntry.id > first,
                                                   AuditEntry.id <= last)
                     .order_by(AuditEntry.id)):
        if row[0] not in left_out:
            digest.add(row)
            seen.add(row[0])
    return digest, found, seen


def _audit_part(session: Session, first: int, last: int, gaps: Iterable[int]
                ) -> tuple[dict, list[int], list[int]]:
    """The digest of the audit entries with ids in (first, last] and of earlier ``gaps``
    that have appeared since; the ids in the range not there (yet); the gaps adopted."""
    digest, adopted, seen = _audit_digest(session, gaps, first, last)
    missing = [i for i in range(first + 1, last + 1) if i not in seen]
    return {**digest.value(), "adopted": adopted}, missing, adopted


def chain_digest(previous: str, period: str, revision: int, parts: dict) -> str:
    text = json.dumps({"previous": previous, "period": period, "revision": revision,
                       "parts": parts}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# --- sealing ----------------------------------------------------------------------------


def _lock_chain(session: Session) -> None:
    """One seal at a time: the chain must not fork. PostgreSQL: a transaction-level advisory
    lock (held to the commit); SQLite has one writer at a time already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(0x5EA1)))


def latest(session: Session) -> PeriodSeal | None:
    return session.scalar(select(PeriodSeal).order_by(PeriodSeal.id.desc()).limit(1))


def seal_month(session: Session, period: str, revision: int) -> PeriodSeal:
    """Seal what the close of ``period`` just froze (flushed, not yet committed)."""
    session.flush()
    _lock_chain(session)
    before = latest(session)
    first = before.audit_to if before else 0
    last = max(session.scalar(select(func.max(AuditEntry.id))) or 0, first)
    parts = month_parts(session, period)
    parts["audit"], missing, _ = _audit_part(session, first, last,
                                             before.audit_gaps if before else ())
    previous = before.seal if before else GENESIS
    session.execute(update(PeriodSeal).where(PeriodSeal.period == period,
                                             PeriodSeal.state == "current")
                    .values(state="superseded"))
    row = PeriodSeal(period=period, revision=revision, state="current", previous=previous,
                     seal=chain_digest(previous, period, revision, parts), parts=parts,
                     audit_from=first, audit_to=last, audit_gaps=missing)
    session.add(row)
    session.flush()
    return row


# --- verifying --------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One thing that differs from a seal, in words a person can act on."""

    period: str
    revision: int
    part: str
    message: str

    def __str__(self) -> str:
        return f"{self.period} r{self.revision}: {self.part}: {self.message}"


def verify(session: Session, period: str | None = None) -> tuple[list[PeriodSeal], list[Finding]]:
    """Check the chain and recompute the sealed parts (of ``period``, else of every month):
    (the seals checked, what differs). A month reopened and closed again is checked against
    its latest seal; its earlier ones only for their links and their audit entries."""
    seals = list(session.scalars(select(PeriodSeal).order_by(PeriodSeal.id)))
    checked, findings = [], []
    for before, row in zip([None, *seals], seals, strict=False):
        if period is None or row.period == period:
            checked.append(row)
            findings += _check_seal(session, row, before.seal if before else GENESIS)
    return checked, findings


def _check_seal(session: Session, row: PeriodSeal, expected: str) -> list[Finding]:
    """One seal: its link to the seal before it, its own digest, the audit entries it
    covered and, for the month's current seal, the figures."""
    findings = []
    if row.previous != expected:
        findings.append(Finding(row.period, row.revision, "chain", (
            f"links to {row.previous[:12]}..., but the seal before it is {expected[:12]}...")))
    if chain_digest(row.previous, row.period, row.revision, row.parts) != row.seal:
        findings.append(Finding(row.period, row.revision, "seal",
                                "the stored parts no longer give the stored seal"))
    findings += _check_audit(session, row)
    if row.state == "current":
        findings += _check_parts(session, row)
    return findings


def _check_parts(session: Session, row: PeriodSeal) -> list[Finding]:
    now = month_parts(session, row.period)
    sealed = {k: v for k, v in row.parts.items() if k != "audit"}
    findings = []
    for part in sorted(set(sealed) | set(now)):
        if part in LATER_PARTS and part not in sealed:
            continue
        was, found = sealed.get(part), now.get(part)
        if was == found:
            continue
        findings.append(Finding(row.period, row.revision, part, _difference(part, was, found)))
    return findings


def _difference(part: str, was: dict | None, found: dict | None) -> str:
    what = _described(part)
    if was is None:
        return f"{what}: {found['rows']} line(s) that the seal does not have"
    if found is None:
        return f"{what}: the seal has {was['rows']} line(s), the database none"
    if was["rows"] != found["rows"]:
        return f"{what}: {found['rows']} line(s) where the seal has {was['rows']}"
    return f"{what}: the {found['rows']} line(s) differ from what was sealed"


def _described(part: str) -> str:
    name, _, unit = part.partition(":")
    words = {"journal": "journal lines", "charges": "charge lines", "results": "unit results",
             "spend": "spend by pool and tower", "internal": "internal charges",
             "ratings": "ratings and criterion results", "tree": "the tree snapshot",
             "consumers": "the consumer snapshot", "services": "the service snapshot",
             "variability": "the services' stances on variability",
             "owners": "the services' owners", "offerings": "the offerings and targets",
             "dependencies": "the service dependencies snapshot",
             "sla_results": "the service level results",
             "settings": "the settings of the close"}.get(name, name)
    return f"{words} of {unit}" if unit else words


def _check_audit(session: Session, row: PeriodSeal) -> list[Finding]:
    """The entries the seal covered: its range but for the gaps it left to the next seal,
    and the earlier gaps it adopted."""
    sealed = row.parts.get("audit", {})
    digest, _, _ = _audit_digest(session, sealed.get("adopted", ()), row.audit_from,
                                 row.audit_to, set(row.audit_gaps))
    found = digest.value()
    if found == {"rows": sealed.get("rows"), "digest": sealed.get("digest")}:
        return []
    return [Finding(row.period, row.revision, "audit", (
        f"audit entries {row.audit_from + 1}..{row.audit_to}: {found['rows']} entries where "
        f"the seal has {sealed.get('rows')}, or their content changed"))]


def mark_undone(session: Session, period: str) -> None:
    """A publication that was undone: its seal stays in the chain, its figures are gone."""
    session.execute(update(PeriodSeal).where(PeriodSeal.period == period,
                                             PeriodSeal.state == "current")
                    .values(state="undone"))
