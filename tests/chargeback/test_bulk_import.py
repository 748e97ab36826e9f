"""The bulk path of spend and usage lines (``chargeback.importing.lines``): staging and one
set-based insert on PostgreSQL, ``executemany`` on SQLite; the same errors, on the same lines,
in the same order as the per-row path, all or nothing across chunks; and what the foreign
keys the lines tables no longer have used to guarantee."""

from __future__ import annotations

import hashlib
import io
import random
from decimal import Decimal

import psycopg
import pytest
from marshmallow import ValidationError
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from chargeback.extensions import db
from chargeback.importing import plain_csv
from chargeback.importing.fields import Money, Price, Quantity
from chargeback.importing.readers import open_table
from chargeback.importing.schemas import RowValidator, canonical_number, converter
from chargeback.models import ImportBatch, Period, SpendLine, UsageLine
from chargeback.services.importing import canonical_row, import_file
from tests.chargeback.helpers import data_fingerprint
from tests.chargeback.test_importing import load, reference, refused  # noqa: F401  (fixture)

USAGE = "period,consumer_code,service_code,quantity\n"
CLOSED = "period 2026-03 is closed; corrections go into an open period, or central IT reopens it"


def usage_file(rows: int, bad: dict[int, str] | None = None) -> str:
    """``rows`` good usage rows (line 2 to rows + 1), with ``bad`` lines replaced."""
    bad = bad or {}
    lines = [bad.get(line, f"2026-04,{'LAB1' if line % 2 else 'LINE2'},DESK,{line % 97}.5")
             for line in range(2, rows + 2)]
    return USAGE + "\n".join(lines) + "\n"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


# --- line numbers and order of errors ----------------------------------------------------


def test_a_bad_cell_past_the_first_chunk_is_reported_on_its_line(reference):  # noqa: F811
    result = refused(reference, "usage", usage_file(20_000, {12_345: "2026-04,LAB1,DESK,x"}),
                     "line 12345: quantity: 'x' is not a number")
    assert result.rows == 20_000


def test_an_unknown_code_found_by_join_is_reported_on_its_line(reference):  # noqa: F811
    refused(reference, "usage", usage_file(20_000, {12_345: "2026-04,NOPE,DESK,1"}),
            "line 12345: consumer_code: unknown consumer 'NOPE'")


def test_cell_errors_and_reference_errors_interleave_in_line_order(reference):  # noqa: F811
    """Cell errors are found while reading, unknown codes and closed months by one query
    after it (on PostgreSQL): each row still gets the errors the per-row path gave it, in
    the same order within the row, and the list is in line order."""
    load(reference, "usage", USAGE + "2026-03,LAB1,DESK,1\n")
    reference.get(Period, "2026-03").status = "closed"
    reference.commit()
    text_ = usage_file(16_000, {
        2: "2026-04,LAB1,NOPE,1",
        7: "2026-04,LAB1,DESK,-2",
        9: "2026-04,LAB1,DESK,1,extra",
        15_000: "2026-04,WHO,WHAT,1",
        15_001: "2026-03,LAB1,DESK,1",
        15_002: "2026-03,WHO,DESK,1",
        15_003: "2026-13,LAB1,DESK,",
    })
    refused(reference, "usage", text_,
            "line 2: service_code: unknown service 'NOPE'",
            "line 7: quantity: '-2' is negative: quantities cannot be negative",
            "line 9: column 5: a value beyond the header's columns",
            "line 15000: consumer_code: unknown consumer 'WHO'",
            "line 15000: service_code: unknown service 'WHAT'",
            f"line 15001: period: {CLOSED}",
            "line 15002: consumer_code: unknown consumer 'WHO'",
            "line 15003: period: '2026-13' is not a period: write YYYY-MM, e.g. 2026-03",
            "line 15003: quantity: required: the cell is empty")


def test_rows_before_a_broken_line_keep_their_reference_errors(reference):  # noqa: F811
    before = data_fingerprint()
    stream = io.BytesIO((USAGE + "2026-04,NOPE,DESK,1\n2026-04,LAB1,DESK,1\n"
                         "2026-04,LAB1,DESK,\"1\x00\"\n").encode())
    result = import_file(reference, "usage", stream, "usage.csv", "tester")
    reference.commit()
    assert result.status == "refused"
    assert result.errors[0] == "line 2: consumer_code: unknown consumer 'NOPE'"
    assert result.errors[1:] == ["line 4: quantity: contains a control character (U+0000), "
                                 "which is not text: is this a binary file or a broken export?"]
    assert data_fingerprint() == before


def test_a_spend_row_outside_the_importers_units_is_refused_in_words(reference):  # noqa: F811
    text_ = ("period,unit_code,cost_pool,amount\n2026-04,ALT,labor,1.00\n"
             "2026-04,WW,labor,2.00\n2026-04,NOPE,labor,3.00\n")
    before = data_fingerprint()
    result = import_file(reference, "spend", io.BytesIO(text_.encode()), "s.csv", "head",
                         allowed_unit_codes={"ALT"})
    assert result.errors == [
        "line 3: unit_code: 'WW' is not one of your units (ALT); a unit head imports for "
        "their own units only",
        "line 4: unit_code: unknown unit 'NOPE'"]
    assert data_fingerprint() == before
    ok = import_file(reference, "spend", io.BytesIO(text_.replace("NOPE", "ALT").encode()),
                     "s.csv", "head", allowed_unit_codes={"ALT", "WW"})
    assert ok.status == "stored" and ok.rows == 3, ok.errors


def test_a_number_too_large_for_decimal_arithmetic_is_a_bad_cell(reference):  # noqa: F811
    refused(reference, "usage", USAGE + "2026-04,LAB1,DESK,9e999999999\n",
            "line 2: quantity: '9e999999999' is not a plain decimal number: write it without "
            "an exponent (digits 0-9, an optional sign and decimal point)")


# --- all or nothing, and what is stored --------------------------------------------------


def test_a_bad_last_row_stores_nothing_of_three_chunks(reference):  # noqa: F811
    """The rows of earlier chunks are written (SQLite) or staged (PostgreSQL) before the
    last row's unknown code is found: none stays, nor the month they created."""
    rows = 3 * 5000 + 1
    text_ = usage_file(rows, {rows + 1: "2026-04,LAB1,GONE,1"}).replace("2026-04", "2026-07")
    result = refused(reference, "usage", text_, f"line {rows + 1}: service_code: unknown "
                     "service 'GONE'")
    assert result.rows == rows
    assert count(UsageLine) == 0
    assert reference.get(Period, "2026-07") is None


def test_every_row_of_many_chunks_is_stored_with_its_exact_quantity(reference):  # noqa: F811
    rows = 12_001
    result = load(reference, "usage", usage_file(rows))
    reference.commit()
    assert result.status == "stored" and result.rows == rows, result.errors[:3]
    stored = reference.execute(select(func.count(), func.sum(UsageLine.quantity)).where(
        UsageLine.batch_id == result.batch_id)).one()
    expected = sum(Decimal(f"{line % 97}.5") for line in range(2, rows + 2))
    assert stored == (rows, expected)


def test_optional_spend_cells_are_stored_as_missing_values(reference):  # noqa: F811
    result = load(reference, "spend",
                  "period,unit_code,cost_pool,amount,tower,account,description\n"
                  "2026-04,WW,labor,-1.50,,,\n"
                  "2026-04,WW,labor,2,end_user,6020,\"Tab\there, \\\\ back\"\n")
    reference.commit()
    assert result.status == "stored", result.errors
    rows = reference.execute(select(SpendLine.amount, SpendLine.tower, SpendLine.account,
                                    SpendLine.description).order_by(SpendLine.id)).all()
    assert rows == [(Decimal("-1.50"), None, None, None),
                    (Decimal("2.00"), "end_user", "6020", "Tab\there, \\\\ back")]


def test_the_content_checksum_is_the_per_row_paths(reference):  # noqa: F811
    """A batch's content checksum is what "already imported" compares across versions: the
    bulk path must compute exactly what the per-row validator's values give."""
    text_ = ("period,unit_code,cost_pool,amount,description\n"
             "2026-04,WW,labor,\"1,234.50\",\n2026-04, ALT ,travel,007.10,Trip\n")
    result = load(reference, "spend", text_)
    reference.commit()
    table = open_table(io.BytesIO(text_.encode()), "s.csv")
    validator = RowValidator("spend", table.header)
    digest = hashlib.sha256()
    for _, cells in table.rows:
        values, errors = validator.validate(cells)
        assert not errors
        digest.update(canonical_row(values))
    assert reference.get(ImportBatch, result.batch_id).content_sha256 == digest.hexdigest()


# --- the cell checks of the fast path -----------------------------------------------------


@pytest.mark.parametrize("field", [Money(negative=True), Money(), Price(), Quantity(),
                                   Quantity(negative=True)],
                         ids=["amount", "budget", "price", "quantity", "value"])
def test_fast_number_checks_accept_and_refuse_what_the_field_does(field):
    """Plain numbers skip the marshmallow field; every other spelling goes through it. On
    random cells, both converters give the field's value (or its error), and the text one
    the value's canonical spelling."""
    rng = random.Random(10)
    as_text, as_decimal = converter(field, numbers_as_text=True), converter(field)
    accepted = 0
    for _ in range(20_000):
        cell = "".join(rng.choice("0123456789.-" if rng.random() < 0.9 else ",e+ _")
                       for _ in range(rng.randint(1, 20))).strip()
        if not cell:
            continue
        try:
            expected = field.deserialize(cell)
        except ValidationError as exc:
            for convert in (as_text, as_decimal):
                with pytest.raises(ValidationError) as caught:
                    convert(cell)
                assert caught.value.messages == exc.messages
            continue
        accepted += 1
        decimal = as_decimal(cell)
        assert (decimal, str(decimal)) == (expected, str(expected)), cell
        assert as_text(cell) == canonical_number(expected), cell
    assert accepted > 1000


# --- the guarantees of the dropped foreign keys -------------------------------------------


@pytest.mark.parametrize(("table", "key"), [
    ("consumers", "code = 'LAB1'"), ("services", "code = 'NEWS'"), ("units", "code = 'LEAF'"),
    ("periods", "period = '2026-04'"), ("import_batches", "kind = 'usage'")])
def test_a_row_that_lines_name_cannot_be_deleted(reference, table, key):  # noqa: F811
    """Named only by lines (no other table's foreign key would refuse first): the trigger
    refuses the delete while lines name the row, and lets it go once they are gone."""
    load(reference, "units", "code,name,parent_code,service_model\n"
         "LEAF,Leaf,HQ,customer_intimacy\n")
    load(reference, "services", "code,unit_code,name,uom\nNEWS,WW,News,hour\n")
    load(reference, "usage", USAGE + "2026-04,LAB1,NEWS,1\n")
    load(reference, "spend", "period,unit_code,cost_pool,amount\n2026-04,LEAF,labor,1.00\n")
    reference.commit()
    with pytest.raises(IntegrityError, match="still names"):
        reference.execute(text(f"DELETE FROM {table} WHERE {key}"))
    reference.rollback()
    reference.execute(text("DELETE FROM usage_lines"))
    reference.execute(text("DELETE FROM spend_lines"))
    assert reference.execute(text(f"DELETE FROM {table} WHERE {key}")).rowcount >= 1
    reference.rollback()


def test_a_referenced_key_cannot_change_either(reference):  # noqa: F811
    load(reference, "usage", USAGE + "2026-04,LAB1,DESK,1\n")
    reference.commit()
    with pytest.raises(IntegrityError, match="still names"):
        reference.execute(text("UPDATE consumers SET id = id + 1000 WHERE code = 'LAB1'"))
    reference.rollback()
    reference.execute(text("UPDATE consumers SET name = 'renamed' WHERE code = 'LAB1'"))
    reference.commit()


# --- PostgreSQL: COPY into a staging table, then one set-based insert ---------------------


def _recorded(monkeypatch, reference, body: str):  # noqa: F811
    """Import ``body`` as usage; (its result, the COPY statements, the other statements)."""
    copies = []
    real_copy = psycopg.Cursor.copy

    def recording_copy(cursor, statement, *args, **kwargs):
        copies.append(str(statement))
        return real_copy(cursor, statement, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "copy", recording_copy)
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        result = load(reference, "usage", body)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return result, copies, statements


@pytest.mark.postgres
def test_postgresql_stages_with_copy_and_inserts_in_one_statement(reference, monkeypatch):  # noqa: F811
    """A file that is not plain (here one quoted cell) goes through the staging table."""
    if not is_postgresql():
        pytest.skip("the staging path is PostgreSQL's")
    result, copies, statements = _recorded(monkeypatch, reference, usage_file(
        12_000, {5: '2026-04,"LAB1",DESK,1'}))
    assert result.status == "stored", result.errors[:3]
    assert copies == ["COPY import_stage (line, period, consumer_code, service_code, quantity) "
                      "FROM STDIN"]
    writes = [s for s in statements if s.startswith("INSERT INTO usage_lines")]
    assert len(writes) == 1 and "FROM import_stage s JOIN consumers" in writes[0], writes
    assert any(s.startswith("CREATE TEMPORARY TABLE import_stage") and "ON COMMIT DROP" in s
               for s in statements)
    assert count(UsageLine) == 12_000


@pytest.mark.postgres
def test_postgresql_copies_a_plain_usage_file_straight_into_its_table(reference, monkeypatch):  # noqa: F811
    """A plain usage CSV (``plain_csv``): one COPY into usage_lines, no staging table, no
    INSERT of lines; the lines and the month's totals are the file's."""
    if not is_postgresql():
        pytest.skip("COPY is PostgreSQL's")
    result, copies, statements = _recorded(monkeypatch, reference, usage_file(12_000))
    assert result.status == "stored", result.errors[:3]
    assert copies == ["COPY usage_lines (period, consumer_id, service_id, quantity, batch_id) "
                      "FROM STDIN"]
    assert not any("import_stage" in s or s.startswith("INSERT INTO usage_lines")
                   for s in statements)
    assert count(UsageLine) == 12_000
    expected = sum(Decimal(f"{line % 97}.5") for line in range(2, 12_002))
    assert db.session.scalar(select(func.sum(UsageLine.quantity))) == expected
    micros, lines = db.session.execute(text(
        "SELECT sum(quantity_micros), sum(lines) FROM usage_totals")).one()
    assert (Decimal(micros).scaleb(-6), lines) == (expected, 12_000)


PLAIN_ROWS = 60_000  # more than one block (1 MiB) of the plain path


@pytest.mark.parametrize("where", ["first block", "second block"])
def test_a_plain_file_with_one_bad_row_is_read_again_and_refused_on_its_line(
        reference, where):  # noqa: F811
    """The plain path stops at the block with a bad row, drops what it wrote and the file is
    read again by the per-row path: the same error, nothing stored, the months it created
    gone with it."""
    line = 300 if where == "first block" else 55_000
    body = usage_file(PLAIN_ROWS, {line: "2026-04,LAB1,DESK,1.5x"})
    assert len(body.encode()) > plain_csv.BLOCK  # two blocks
    months = count(Period)
    result = refused(reference, "usage", body, f"line {line}: quantity: '1.5x' is not a number")
    assert result.rows == PLAIN_ROWS
    assert count(UsageLine) == 0
    assert count(Period) == months


@pytest.mark.parametrize("other", [
    pytest.param(lambda body: body.replace("LAB1", '"LAB1"'), id="quoted cells"),
    pytest.param(lambda body: body.replace("\n", "\r\n", 1) + "\n", id="blank line"),
    pytest.param(lambda body: body.replace(",1.5\n", ",1.50\n").replace("\n", "\r\n"),
                 id="CRLF and 1.50"),
])
def test_a_plain_file_and_the_same_rows_read_row_by_row_are_the_same_content(
        reference, other):  # noqa: F811
    """The plain path's content checksum is the per-row reader's: the same rows spelled
    another way (read row by row, or plainly) are "already imported"."""
    body = usage_file(3_000)
    first = load(reference, "usage", body)
    assert first.status == "stored", first.errors[:3]
    again = load(reference, "usage", other(body))
    assert (again.status, again.batch_id) == ("already_imported", first.batch_id)


@pytest.mark.postgres
def test_postgresql_holds_what_an_uncommitted_batch_names(reference):  # noqa: F811
    """A foreign key would keep LINE2 from being deleted while a batch naming it is not yet
    committed; the batch holds it FOR KEY SHARE instead: the delete waits (here, gives up
    after a second), and once the batch is committed the trigger refuses it."""
    if not is_postgresql():
        pytest.skip("SQLite has one writer at a time")
    result = load(reference, "usage", USAGE + "2026-04,LINE2,DESK,1\n")
    assert result.status == "stored"
    with db.engine.connect() as other:
        other.exec_driver_sql("SET lock_timeout = '1s'")
        with pytest.raises(OperationalError, match="lock"):
            other.exec_driver_sql("DELETE FROM consumers WHERE code = 'LINE2'")
        other.rollback()
        reference.commit()
        with pytest.raises(IntegrityError, match="still names"):
            other.exec_driver_sql("DELETE FROM consumers WHERE code = 'LINE2'")
