"""``usage_totals`` always equals a ``GROUP BY`` of ``usage_lines``: the close rates usage
from the totals, so a total that drifted from its lines would charge the wrong amount.

Checked after imports that add to the same totals, a ``--replace`` that takes lines away,
imports that fail and roll back (a bad row, the same content under another file name, a
crash after the lines were written), and, on PostgreSQL, two imports and two bare upserts
at once."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from chargeback.extensions import db
from chargeback.importing import totals
from chargeback.models import AuditEntry, Service, UsageLine, UsageTotal
from chargeback.services import importing
from chargeback.services.queries.sql import micros_sum
from tests.chargeback.test_importing import load, reference  # noqa: F401  (fixture)

USAGE = "period,consumer_code,service_code,quantity\n"


def grouped_lines(session) -> dict[tuple, tuple[int, int]]:
    """What the totals must be: the lines summed in millionths and counted."""
    rows = session.execute(
        select(UsageLine.period, UsageLine.service_id, UsageLine.consumer_id,
               micros_sum(UsageLine.quantity), func.count())
        .group_by(UsageLine.period, UsageLine.service_id, UsageLine.consumer_id))
    return {(p, s, c): (int(m), int(n)) for p, s, c, m, n in rows}


def stored_totals(session) -> dict[tuple, tuple[int, int]]:
    return {(t.period, t.service_id, t.consumer_id): (t.quantity_micros, t.lines)
            for t in session.scalars(select(UsageTotal))}


def assert_exact(session) -> dict[tuple, tuple[int, int]]:
    session.expire_all()
    found = stored_totals(session)
    assert found == grouped_lines(session)
    return found


def total_of(session, period: str, consumer: str, service: str) -> tuple[Decimal, int] | None:
    row = session.execute(text(
        "SELECT t.quantity_micros, t.lines FROM usage_totals t "
        "JOIN consumers c ON c.id = t.consumer_id JOIN services s ON s.id = t.service_id "
        "WHERE t.period = :p AND c.code = :c AND s.code = :s"),
        {"p": period, "c": consumer, "s": service}).one_or_none()
    return None if row is None else (Decimal(row[0]).scaleb(-6), row[1])


def stored(session, text_: str, replace: bool = False, name: str | None = None):
    result = load(session, "usage", text_, name, replace=replace)
    assert result.status == "stored", result.errors
    session.commit()
    return result


def test_imports_add_to_the_same_totals(reference):  # noqa: F811
    stored(reference, USAGE + "2026-04,LAB1,DESK,1.5\n2026-04,LAB1,DESK,0.000001\n"
                              "2026-04,LINE2,DESK,2\n2026-05,LAB1,HPC,123456.789012\n")
    stored(reference, USAGE + "2026-04,LAB1,DESK,3\n2026-05,LAB1,HPC,0.000009\n"
                              "2026-04,LINE2,HPC,7.25\n")
    found = assert_exact(reference)
    assert len(found) == 4
    assert total_of(reference, "2026-04", "LAB1", "DESK") == (Decimal("4.500001"), 3)
    assert total_of(reference, "2026-05", "LAB1", "HPC") == (Decimal("123456.789021"), 2)


def test_a_big_batch_is_summed_exactly(reference):  # noqa: F811
    """Past the SQLite path's chunks, and quantities whose doubles are not exact."""
    rows = [f"2026-04,{('LAB1', 'LINE2')[n % 2]},{('DESK', 'HPC')[n % 3 == 0]},{n % 97}.1"
            for n in range(12_000)]
    stored(reference, USAGE + "\n".join(rows) + "\n")
    found = assert_exact(reference)
    assert sum(lines for _, lines in found.values()) == 12_000
    assert sum(micros for micros, _ in found.values()) == sum(
        (n % 97) * 1_000_000 + 100_000 for n in range(12_000))


def test_a_replace_takes_off_what_it_deletes(reference):  # noqa: F811
    """DESK is WW's service, HPC ALT's: replacing WW's April takes every earlier April
    line of DESK off the totals, and a total left with no line goes; ALT's April and WW's
    May are untouched."""
    stored(reference, USAGE + "2026-04,LAB1,DESK,1\n2026-04,LINE2,DESK,3\n"
                              "2026-04,LINE2,HPC,2\n2026-05,LAB1,DESK,4\n")
    stored(reference, USAGE + "2026-04,LAB1,DESK,10\n")
    stored(reference, USAGE + "2026-04,LAB1,DESK,0.5\n", replace=True)
    assert_exact(reference)
    assert total_of(reference, "2026-04", "LAB1", "DESK") == (Decimal("0.500000"), 1)
    assert total_of(reference, "2026-04", "LINE2", "DESK") is None
    assert total_of(reference, "2026-04", "LINE2", "HPC") == (Decimal("2.000000"), 1)
    assert total_of(reference, "2026-05", "LAB1", "DESK") == (Decimal("4.000000"), 1)
    entry = reference.scalar(select(AuditEntry).where(
        AuditEntry.action == "import.usage.replace"))
    assert entry.before["lines"] == 3 and Decimal(entry.before["total"]) == 14


def test_refused_and_rolled_back_imports_change_no_total(reference, monkeypatch):  # noqa: F811
    first = USAGE + "2026-04,LAB1,DESK,1\n2026-04,LINE2,HPC,2\n"
    stored(reference, first)
    before = assert_exact(reference)
    # a bad row: nothing of the batch is stored
    result = load(reference, "usage", USAGE + "2026-04,LAB1,DESK,5\n2026-04,NOPE,DESK,1\n")
    reference.commit()
    assert result.status == "refused"
    assert assert_exact(reference) == before
    # the same rows saved again (other line endings): rolled back after they were written
    result = load(reference, "usage", first.replace("\n", "\r\n"), "again.csv")
    reference.commit()
    assert result.status == "already_imported"
    assert assert_exact(reference) == before
    # a crash after the lines and their totals were written: the transaction rolls back
    monkeypatch.setattr(importing, "_claim_content", _crash)
    with pytest.raises(RuntimeError, match="crash"):
        load(reference, "usage", USAGE + "2026-04,LAB1,DESK,9\n")
    reference.rollback()
    assert assert_exact(reference) == before


def _crash(*_args):
    raise RuntimeError("crash after the lines were written")


def test_the_migration_fills_the_totals_from_the_lines(reference):  # noqa: F811
    """Lines stored before revision 0014 (its downgrade drops the totals, not the lines)
    are summed by its upgrade."""
    stored(reference, USAGE + "2026-04,LAB1,DESK,1.25\n2026-04,LAB1,DESK,2\n"
                              "2026-05,LINE2,HPC,0.000001\n")
    reference.close()
    downgrade(revision="0013")
    assert "usage_totals" not in inspect(db.engine).get_table_names()
    upgrade()
    assert total_of(reference, "2026-04", "LAB1", "DESK") == (Decimal("3.250000"), 2)
    assert len(assert_exact(reference)) == 2


# --- PostgreSQL: at once ----------------------------------------------------------------


def _postgresql_only() -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")


@pytest.mark.postgres
def test_two_imports_at_once_both_count(reference):  # noqa: F811
    """Two threads import into the same month's totals at the same time, each in its own
    session; every line counts once."""
    _postgresql_only()
    files = [USAGE + "".join(f"2026-04,{('LAB1', 'LINE2')[n % 2]},DESK,{n}.{k}\n"
                             for n in range(500)) for k in (1, 2)]
    start, results, engine = threading.Barrier(2), [], db.engine

    def work(body: str) -> None:
        with Session(engine) as own:
            start.wait()
            results.append(load(own, "usage", body).status)
            own.commit()

    threads = [threading.Thread(target=work, args=(body,)) for body in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert results == ["stored", "stored"]
    found = assert_exact(reference)
    assert sum(lines for _, lines in found.values()) == 1000


@pytest.mark.postgres
def test_a_session_holding_older_ids_still_sums_its_whole_batch(reference):  # noqa: F811
    """PostgreSQL hands a session usage line ids a thousand at a time: a session that
    imported before holds the rest of its thousand, below the ids another session has used
    since. A plain file's sums are grouped from the lines above the highest id stored when
    it starts, so those older ids are let go first: every line of the batch is counted."""
    _postgresql_only()
    with db.engine.connect() as one, db.engine.connect() as other:
        first, second = Session(bind=one), Session(bind=other)
        stored(first, USAGE + "2026-04,LAB1,DESK,1\n")
        stored(second, USAGE + "2026-04,LAB1,DESK,2\n")  # the next thousand
        stored(first, USAGE + "2026-04,LINE2,DESK,3\n2026-04,LAB1,HPC,4\n")
        first.close()
        second.close()
    assert_exact(reference)
    assert total_of(reference, "2026-04", "LINE2", "DESK") == (Decimal("3.000000"), 1)
    assert total_of(reference, "2026-04", "LAB1", "DESK") == (Decimal("3.000000"), 2)


@pytest.mark.postgres
def test_two_upserts_at_once_add_up(reference):  # noqa: F811
    """Below the import's own turn-taking: the second upsert of a total waits for the first
    transaction and adds to what it committed (a read-then-write would have lost it, or
    failed on the key)."""
    _postgresql_only()
    service, consumer = (reference.scalar(select(Service.id).where(Service.code == "DESK")),
                         reference.scalar(text("SELECT id FROM consumers WHERE code = 'LAB1'")))
    source = ("SELECT '2026-04' AS period, CAST(:service AS integer) AS service_id, "
              "CAST(:consumer AS integer) AS consumer_id, CAST(:q AS bigint) AS quantity_micros, "
              "1 AS lines")
    engine = db.engine
    first = Session(engine)
    totals.add_grouped(first, source, {"service": service, "consumer": consumer, "q": 1_500_000})
    done = threading.Event()

    def second() -> None:
        with Session(engine) as own:
            totals.add_grouped(own, source, {"service": service, "consumer": consumer,
                                            "q": 2_250_000})
            own.commit()
        done.set()

    thread = threading.Thread(target=second)
    thread.start()
    assert not done.wait(1)  # waits for the first transaction's row
    first.commit()
    first.close()
    thread.join(60)
    assert done.is_set()
    reference.expire_all()
    assert total_of(reference, "2026-04", "LAB1", "DESK") == (Decimal("3.750000"), 2)
