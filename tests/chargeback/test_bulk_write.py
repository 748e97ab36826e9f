"""Many rows in one go (COPY on PostgreSQL, the driver's executemany on SQLite) read back
exactly as an ORM insert would have stored them."""

from __future__ import annotations

from decimal import Decimal as D

from sqlalchemy import insert, select

from chargeback.bulk_write import write_rows
from chargeback.models import Charge, Consumer, Period, Unit

COLUMNS = ("period", "unit_id", "consumer_id", "service_id", "method", "basis", "quantity",
           "rate", "amount", "pool", "driver", "percent")


def test_rows_come_back_as_written_in_chunks(session, monkeypatch):
    monkeypatch.setattr("chargeback.bulk_write.CHUNK", 3)
    session.add(Period(period="2026-03", status="open"))
    unit = Unit(code="DC", name="Data center", service_model_code="operational_excellence",
                billing_mode="chargeback")
    session.add(unit)
    session.flush()
    consumer = Consumer(code="LAB1", name="Lab", gl_account="6100")
    session.add(consumer)
    session.flush()
    rows = [("2026-03", unit.id, consumer.id, None, "driver", f"pool hw by heads {n}",
             D(n) / 3 if n % 2 else None, None, D(f"{n}.{n:02d}") * (-1 if n == 4 else 1),
             "hw", "heads", None) for n in range(1, 8)]
    rows[2] = rows[2][:9] + (None, None, D("33.333333"))
    assert write_rows(session, Charge.__table__, COLUMNS, iter(rows)) == 7
    stored = session.execute(select(*(getattr(Charge, c) for c in COLUMNS))
                             .order_by(Charge.id)).all()
    assert [tuple(r) for r in stored] == [_as_stored(r) for r in rows]
    # The same as what an ordinary insert stores and reads back:
    session.execute(insert(Charge.__table__), [dict(zip(COLUMNS, rows[3], strict=True))])
    again = session.execute(select(Charge.amount, Charge.quantity)
                            .order_by(Charge.id.desc()).limit(1)).one()
    assert tuple(again) == (stored[3].amount, stored[3].quantity)


def _as_stored(row: tuple) -> tuple:
    """Money at two places, quantities and percentages at six, as the columns hold them."""
    places = {"quantity": 6, "rate": 6, "amount": 2, "percent": 6}
    return tuple(value.quantize(D(1).scaleb(-places[c])) if c in places and value is not None
                 else value for c, value in zip(COLUMNS, row, strict=True))


def test_nothing_to_write(session):
    assert write_rows(session, Charge.__table__, COLUMNS, []) == 0


def test_the_close_checks_what_foreign_keys_would_have(session):
    """Charge and journal lines have no foreign keys (they are written in bulk); the close
    checks every line's unit, consumer and service set-based and refuses a dangling one."""
    import pytest

    from chargeback.services.closing import CloseRefused, check_references

    session.add(Period(period="2026-03", status="open"))
    unit = Unit(code="DC", name="Data center", service_model_code="operational_excellence",
                billing_mode="chargeback")
    session.add(unit)
    session.flush()
    row = ("2026-03", unit.id, 999_999, None, "fixed", "pool hw fixed 100%", None, None,
           D("1.00"), "hw", None, D(100))
    write_rows(session, Charge.__table__, COLUMNS, [row])
    with pytest.raises(CloseRefused) as refused:
        check_references(session, "2026-03")
    assert "charges name consumer_id 999999, which does not exist" in str(refused.value)
    check_references(session, "2026-04")  # another month's lines are not looked at
