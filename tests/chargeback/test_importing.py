"""The import contract of interfaces.md, kind by kind, good rows and every class of bad row."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from chargeback.models import (
    AuditEntry,
    Budget,
    Consumer,
    DriverQuantity,
    ImportBatch,
    MetricObservation,
    Period,
    RateCard,
    Service,
    SpendLine,
    Unit,
    UsageLine,
)
from chargeback.refusals import Refused
from chargeback.services.importing import import_file
from tests.chargeback.helpers import data_fingerprint

UNITS = """code,name,parent_code,service_model,billing_mode,recovery_account,head_email
WW,Walla Walla Plant IT,PLANTS,operational_excellence,,4900-WW,ww@example.com
HQ,Central IT,,operational_excellence,chargeback,4900-HQ,
PLANTS,Plants,HQ,operational_excellence,,,
ALT,Altoona R&D Computing,HQ,customer_intimacy,showback,4900-ALT,
"""
CONSUMERS = """code,name,gl_account,unit_code
LAB1,Materials lab,6100-110,
LINE2,Assembly line 2,6200-120,
C-ALT,Altoona as a consumer,6900-ALT,ALT
"""
SERVICES = """code,unit_code,name,uom
DESK,WW,Desktop support,seat-month
HPC,ALT,HPC compute,core-hour
"""
RATES = """service_code,effective_from,price
DESK,2026-01,45.50
HPC,2026-01,0.0375
HPC,2026-05,0.041234
"""


def load(session, kind: str, text: str, name: str | None = None, replace=False):
    stream = io.BytesIO(text.encode("utf-8"))
    return import_file(session, kind, stream, name or f"{kind}.csv", "tester", replace=replace)


@pytest.fixture
def reference(session):
    for kind, text in (("units", UNITS), ("consumers", CONSUMERS), ("services", SERVICES),
                       ("rates", RATES)):
        result = load(session, kind, text)
        assert result.status == "stored", result.errors
    session.commit()
    return session


def refused(session, kind, text, *expected):
    """Import must be refused with exactly these errors and change no data table."""
    before = data_fingerprint()
    result = load(session, kind, text)
    session.commit()
    assert result.status == "refused"
    assert result.errors == list(expected)
    assert data_fingerprint() == before
    batch = session.get(ImportBatch, result.batch_id)
    assert batch.status == "refused" and batch.error_count == len(expected)
    return result


# --- good paths ------------------------------------------------------------------------


def test_units_arrive_in_any_order_and_build_the_tree(reference):
    units = {u.code: u for u in reference.scalars(select(Unit))}
    assert units["WW"].parent.code == "PLANTS"
    assert units["PLANTS"].parent.code == "HQ"
    assert units["HQ"].parent is None
    assert units["ALT"].billing_mode == "showback"
    assert units["WW"].billing_mode == "chargeback"  # the default
    assert units["WW"].head_email == "ww@example.com"


def test_consumers_services_and_rates(reference):
    consumer = reference.scalar(select(Consumer).where(Consumer.code == "C-ALT"))
    assert consumer.unit.code == "ALT"
    assert reference.scalar(select(Service).where(Service.code == "HPC")).uom == "core-hour"
    prices = sorted(reference.scalars(select(RateCard.price)))
    assert prices == [Decimal("0.0375"), Decimal("0.041234"), Decimal("45.5")]


def test_spend_lines_add_up_and_may_be_negative(reference):
    text = """period,unit_code,cost_pool,amount,tower,account,description
2026-03,WW,labor,1000.10,end_user,6010,Salaries
2026-03,WW,labor,1000.10,end_user,6010,Salaries
2026-03,WW,hardware,-250.05,,,Vendor credit
"""
    result = load(reference, "spend", text)
    assert result.status == "stored" and result.rows == 3
    total = reference.scalar(select(func.sum(SpendLine.amount)))
    assert total == Decimal("1750.15")
    assert reference.get(Period, "2026-03").status == "open"


def test_budget_metrics_usage_drivers(reference):
    assert load(reference, "budget", "period,unit_code,amount\n2026-03,WW,88000.00\n").ok
    assert load(reference, "metrics",
                "period,unit_code,measure,value\n2026-03,WW,seats,1000\n"
                "2026-03,WW,availability,99.25\n").ok
    assert load(reference, "usage",
                "period,consumer_code,service_code,quantity\n2026-03,LAB1,DESK,10\n"
                "2026-03,LAB1,DESK,2.5\n2026-03,C-ALT,HPC,1234.123456\n").ok
    assert load(reference, "drivers",
                "period,consumer_code,driver,quantity\n2026-03,LAB1,headcount,12\n"
                "2026-03,LINE2,headcount,30\n").ok
    reference.commit()
    assert reference.scalar(select(Budget.amount)) == Decimal("88000.00")
    assert reference.scalar(select(func.count()).select_from(MetricObservation)) == 2
    quantities = sorted(reference.scalars(select(UsageLine.quantity)))
    assert quantities == [Decimal("2.5"), Decimal("10"), Decimal("1234.123456")]
    assert reference.scalar(select(func.sum(DriverQuantity.quantity))) == Decimal("42")


def test_xlsx_reads_like_csv_with_dates_and_numbers(reference, tmp_path):
    import datetime as dt

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["period", "unit_code", "cost_pool", "amount", "tower"])
    sheet.append([dt.datetime(2026, 3, 1), "WW", "labor", 1234.56, "end_user"])
    sheet.append(["2026-03", "WW", "cloud", 0.1, None])
    # A formula is never evaluated: openpyxl saves no cached value, so the cell reads empty.
    sheet.append(["2026-03", "WW", "cloud", "=1+1", None])
    path = tmp_path / "spend.xlsx"
    book.save(path)
    with path.open("rb") as stream:
        result = import_file(reference, "spend", stream, path.name, "tester")
    assert result.status == "refused"
    assert result.errors == ["line 4: amount: required: the cell is empty"]
    sheet.delete_rows(4)
    book.save(path)
    with path.open("rb") as stream:
        result = import_file(reference, "spend", stream, path.name, "tester")
    assert result.status == "stored", result.errors
    amounts = sorted(reference.scalars(select(SpendLine.amount)))
    assert amounts == [Decimal("0.10"), Decimal("1234.56")]


def test_byte_identical_file_is_recognised_and_changes_nothing(reference):
    text = "period,unit_code,cost_pool,amount\n2026-03,WW,labor,10.00\n"
    first = load(reference, "spend", text)
    reference.commit()
    before = data_fingerprint()
    again = load(reference, "spend", text, name="renamed.csv")
    assert again.status == "already_imported" and again.batch_id == first.batch_id
    assert "already imported" in again.summary()
    assert data_fingerprint() == before
    assert reference.scalar(select(func.count()).select_from(ImportBatch)) == 5


def test_keyed_rows_replace_the_stored_value_and_audit_the_old_one(reference):
    load(reference, "budget", "period,unit_code,amount\n2026-03,WW,100.00\n")
    load(reference, "budget", "period,unit_code,amount\n2026-03,WW,120.00\n2026-04,WW,5.00\n")
    reference.commit()
    assert reference.scalar(select(Budget.amount).where(Budget.period == "2026-03")) == 120
    entry = reference.scalar(select(AuditEntry).where(AuditEntry.action == "import.budget.replace"))
    assert entry.entity_key == "WW/2026-03"
    assert entry.before == {"amount": "100.00"} and entry.after == {"amount": "120.00"}


def test_unit_reimport_moves_and_renames_with_audit(reference):
    load(reference, "units", "code,name,parent_code,service_model\n"
         "WW,Walla Walla IT,HQ,operational_excellence\n")
    reference.commit()
    unit = reference.scalar(select(Unit).where(Unit.code == "WW"))
    assert unit.name == "Walla Walla IT" and unit.parent.code == "HQ"
    entry = reference.scalar(select(AuditEntry).where(AuditEntry.action == "import.units.replace"))
    assert entry.before["parent_code"] == "PLANTS" and entry.after["parent_code"] == "HQ"


def test_replace_swaps_the_lines_of_covered_months_and_units(reference):
    load(reference, "spend", "period,unit_code,cost_pool,amount\n2026-03,WW,labor,10.00\n"
         "2026-03,ALT,labor,7.00\n2026-04,WW,labor,3.00\n")
    result = load(reference, "spend", "period,unit_code,cost_pool,amount\n"
                  "2026-03,WW,labor,99.00\n", replace=True)
    reference.commit()
    assert result.status == "stored"
    rows = sorted(reference.execute(
        select(SpendLine.period, Unit.code, SpendLine.amount)
        .join(Unit, Unit.id == SpendLine.unit_id)).all())
    assert rows == [("2026-03", "ALT", Decimal("7.00")), ("2026-03", "WW", Decimal("99.00")),
                    ("2026-04", "WW", Decimal("3.00"))]


def test_usage_replace_covers_the_providing_unit(reference):
    load(reference, "usage", "period,consumer_code,service_code,quantity\n"
         "2026-03,LAB1,DESK,10\n2026-03,LAB1,HPC,5\n")
    load(reference, "usage", "period,consumer_code,service_code,quantity\n"
         "2026-03,LINE2,DESK,4\n", replace=True)
    reference.commit()
    rows = sorted(reference.execute(select(Service.code, UsageLine.quantity)
                                    .join(Service, Service.id == UsageLine.service_id)).all())
    assert rows == [("DESK", Decimal("4")), ("HPC", Decimal("5"))]


def test_replace_is_refused_for_keyed_kinds(reference):
    with pytest.raises(Refused, match="--replace applies to spend and usage"):
        load(reference, "budget", "period,unit_code,amount\n", replace=True)


# --- bad rows: every class, and nothing stored ----------------------------------------


def test_unknown_codes(reference):
    refused(reference, "spend", "period,unit_code,cost_pool,amount\n2026-03,WW,labor,1.00\n"
            "2026-03,XX,labor,1.00\n",
            "line 3: unit_code: unknown unit 'XX'")
    refused(reference, "usage", "period,consumer_code,service_code,quantity\n"
            "2026-03,NOPE,DESK,1\n2026-03,LAB1,NOPE,1\n",
            "line 2: consumer_code: unknown consumer 'NOPE'",
            "line 3: service_code: unknown service 'NOPE'")
    refused(reference, "services", "code,unit_code,name,uom\nX,ZZ,x,hour\n",
            "line 2: unit_code: unknown unit 'ZZ'")
    refused(reference, "consumers", "code,name,gl_account,unit_code\nX,x,1,ZZ\n",
            "line 2: unit_code: unknown unit 'ZZ'")
    refused(reference, "rates", "service_code,effective_from,price\nZZ,2026-01,1\n",
            "line 2: service_code: unknown service 'ZZ'")
    refused(reference, "units", "code,name,parent_code,service_model\nN,n,ZZ,customer_intimacy\n"
            "M,m,HQ,cost_leadership\n",
            "line 3: service_model: unknown service model 'cost_leadership' (known: "
            "customer_intimacy, operational_excellence, product_leadership, venture)",
            "line 2: parent_code: unknown unit 'ZZ'")


def test_bad_periods(reference):
    refused(reference, "budget", "period,unit_code,amount\n2026-13,WW,1.00\n26-01,WW,1.00\n"
            "2026-1,WW,1.00\n",
            "line 2: period: '2026-13' is not a period: write YYYY-MM, e.g. 2026-03",
            "line 3: period: '26-01' is not a period: write YYYY-MM, e.g. 2026-03",
            "line 4: period: '2026-1' is not a period: write YYYY-MM, e.g. 2026-03")
    refused(reference, "rates", "service_code,effective_from,price\nDESK,March,1\n",
            "line 2: effective_from: 'March' is not a period: write YYYY-MM, e.g. 2026-03")


def test_money_with_more_than_two_decimals(reference):
    refused(reference, "spend", "period,unit_code,cost_pool,amount\n2026-03,WW,labor,1.005\n",
            "line 2: amount: '1.005' has more than 2 decimal places (amounts have at most 2)")
    refused(reference, "budget", "period,unit_code,amount\n2026-03,WW,-1.00\n",
            "line 2: amount: '-1.00' is negative: amounts cannot be negative")
    refused(reference, "rates", "service_code,effective_from,price\nDESK,2026-06,0.1234567\n",
            "line 2: price: '0.1234567' has more than 6 decimal places (prices have at most 6)")


def test_non_numbers(reference):
    refused(reference, "metrics", "period,unit_code,measure,value\n2026-03,WW,seats,many\n"
            "2026-03,WW,csat,NaN\n",
            "line 2: value: 'many' is not a number",
            "line 3: value: 'NaN' is not a finite number")
    refused(reference, "usage", "period,consumer_code,service_code,quantity\n"
            "2026-03,LAB1,DESK,\n2026-03,LAB1,DESK,-1\n",
            "line 2: quantity: required: the cell is empty",
            "line 3: quantity: '-1' is negative: quantities cannot be negative")


def test_unknown_and_missing_columns(reference):
    refused(reference, "spend", "period,unit_code,cost_pool,amount,colour\n2026-03,WW,a,1\n",
            "line 1: colour: unknown column for spend (columns: period, unit_code, cost_pool, "
            "amount, tower, account, description)")
    refused(reference, "spend", "period,unit_code,amount\n2026-03,WW,1\n",
            "line 1: cost_pool: missing required column for spend")
    refused(reference, "budget", "period,unit_code,amount\n2026-03,WW,1.00,extra\n",
            "line 2: column 4: a value beyond the header's columns")


def test_second_row_for_the_same_natural_key(reference):
    refused(reference, "units", "code,name,parent_code,service_model\n"
            "N,n,HQ,customer_intimacy\nN,n2,HQ,customer_intimacy\n",
            "line 3: code: a second row for code N (first on line 2)")
    refused(reference, "consumers", "code,name,gl_account\nA,a,1\nA,b,1\n",
            "line 3: code: a second row for code A (first on line 2)")
    refused(reference, "services", "code,unit_code,name,uom\nS,WW,a,h\nS,WW,b,h\n",
            "line 3: code: a second row for code S (first on line 2)")
    refused(reference, "rates", "service_code,effective_from,price\nDESK,2026-06,1\n"
            "DESK,2026-06,2\n",
            "line 3: effective_from: a second row for service_code DESK, effective_from "
            "2026-06 (first on line 2)")
    refused(reference, "budget", "period,unit_code,amount\n2026-03,WW,1\n2026-03,WW,2\n",
            "line 3: period: a second row for unit_code WW, period 2026-03 (first on line 2)")
    refused(reference, "metrics", "period,unit_code,measure,value\n2026-03,WW,seats,1\n"
            "2026-03,WW,seats,2\n",
            "line 3: measure: a second row for unit_code WW, period 2026-03, measure seats "
            "(first on line 2)")
    refused(reference, "drivers", "period,consumer_code,driver,quantity\n"
            "2026-03,LAB1,headcount,1\n2026-03,LAB1,headcount,2\n",
            "line 3: driver: a second row for consumer_code LAB1, period 2026-03, driver "
            "headcount (first on line 2)")


def test_rows_in_a_closed_period_are_bad_rows(reference):
    load(reference, "spend", "period,unit_code,cost_pool,amount\n2026-03,WW,labor,1.00\n")
    reference.get(Period, "2026-03").status = "closed"
    reference.commit()
    message = ("period 2026-03 is closed; corrections go into an open period, "
               "or central IT reopens it")
    for kind, text in (
        ("spend", "period,unit_code,cost_pool,amount\n2026-03,WW,labor,2.00\n"),
        ("budget", "period,unit_code,amount\n2026-03,WW,1.00\n"),
        ("metrics", "period,unit_code,measure,value\n2026-03,WW,seats,1\n"),
        ("usage", "period,consumer_code,service_code,quantity\n2026-03,LAB1,DESK,1\n"),
        ("drivers", "period,consumer_code,driver,quantity\n2026-03,LAB1,headcount,1\n"),
    ):
        refused(reference, kind, text, f"line 2: period: {message}")
    refused(reference, "rates", "service_code,effective_from,price\nDESK,2026-02,50\n",
            "line 2: effective_from: 2026-02 is not after the last closed period 2026-03: a "
            "new price would change a closed period; make it effective from an open month")
    # An unchanged rate for an earlier month is no change, so it is accepted.
    assert load(reference, "rates", "service_code,effective_from,price\nDESK,2026-01,45.5\n"
                "DESK,2026-04,50\n").status == "stored"


@pytest.mark.parametrize("kind, first, again", [
    ("usage", "period,consumer_code,service_code,quantity\n2026-03,LAB1,DESK,2\n"
              "2026-03,LINE2,DESK,1.5\n",
     # the same rows: CRLF, quoted cells, 2.0 for 2, the columns in another order
     'quantity,period,service_code,consumer_code\r\n"2.0",2026-03,DESK,LAB1\r\n'
     '1.50,"2026-03",DESK,LINE2\r\n'),
    ("spend", "period,unit_code,cost_pool,amount\n2026-03,WW,labor,10.00\n",
     "period,unit_code,cost_pool,amount\r\n2026-03,WW,labor,10\r\n"),
    ("budget", "period,unit_code,amount\n2026-03,WW,100.00\n",
     '"period","unit_code","amount"\n"2026-03","WW","100"\n'),
])
def test_the_same_rows_sent_again_after_their_month_closed_are_already_imported(
        reference, kind, first, again):
    """A stored batch sent again in another form after its month closed is "already
    imported" (as it is while the month is open), not refused for the closed month; a file
    with one row more, or another fault beside the closed month, is still refused."""
    stored = load(reference, kind, first)
    reference.get(Period, "2026-03").status = "closed"
    reference.commit()
    before = data_fingerprint()
    result = load(reference, kind, again, name="re-export.csv")
    assert (result.status, result.batch_id, result.errors) == (
        "already_imported", stored.batch_id, [])
    reference.commit()
    assert data_fingerprint() == before
    closed = ("line 2: period: period 2026-03 is closed; corrections go into an open "
              "period, or central IT reopens it")
    more = again + again.splitlines()[-1].replace("2026-03", "2026-04") + "\n"
    changed = load(reference, kind, more, name="one-more.csv")
    assert changed.status == "refused" and changed.errors[0] == closed


def test_a_closed_months_row_beside_another_fault_is_refused_for_both(reference):
    load(reference, "spend", "period,unit_code,cost_pool,amount\n2026-03,WW,labor,1.00\n")
    reference.get(Period, "2026-03").status = "closed"
    reference.commit()
    refused(reference, "spend", "period,unit_code,cost_pool,amount\n2026-03,WW,labor,1.00\n"
            "2026-04,NOPE,labor,1.00\n",
            "line 2: period: period 2026-03 is closed; corrections go into an open period, "
            "or central IT reopens it", "line 3: unit_code: unknown unit 'NOPE'")


def test_tree_rules_for_units(reference):
    refused(reference, "units", "code,name,parent_code,service_model\n"
            "ROOT2,Another root,,operational_excellence\n",
            "line 2: parent_code: required: the holding company already has a root unit "
            "'HQ'; give this unit a parent")
    refused(reference, "units", "code,name,parent_code,service_model\n"
            "HQ,Central IT,WW,operational_excellence\n",
            "line 2: parent_code: the tree would have a cycle: HQ -> WW -> PLANTS -> HQ")
    refused(reference, "units", "code,name,parent_code,service_model\nX,x,X,customer_intimacy\n",
            "line 2: parent_code: a unit cannot be its own parent")


def test_metric_names_and_ledger_measures(reference):
    refused(reference, "metrics", "period,unit_code,measure,value\n2026-03,WW,Seats,1\n"
            "2026-03,WW,spend,1\n",
            "line 2: measure: 'Seats' is not a valid name: use lower-case letters, digits and _ "
            "and start with a letter",
            "line 3: measure: 'spend' is derived from the ledger and cannot be imported as a "
            "metric")


def test_reserved_cost_pools(reference):
    refused(reference, "spend", "period,unit_code,cost_pool,amount\n2026-03,WW,internal,1.00\n",
            "line 2: cost_pool: 'internal' is reserved for allocation rules (internal charges "
            "received, the whole spend, what usage left unrecovered); use another cost pool code")


def test_file_level_problems(reference):
    refused(reference, "spend", "", "line 1: the file is empty: a header row is required")
    before = data_fingerprint()
    result = import_file(reference, "spend", io.BytesIO(b"period,unit_code\n\xff\xfe,1\n"),
                         "latin.csv", "tester")
    assert result.status == "refused"
    assert any("not UTF-8" in e or "missing required column" in e for e in result.errors)
    assert data_fingerprint() == before


def test_a_late_bad_row_rolls_back_rows_already_written(reference):
    """More rows than one chunk are written before the bad one: all must disappear."""
    lines = [f"2026-03,LAB1,DESK,{i}" for i in range(12_000)] + ["2026-03,LAB1,DESK,x"]
    text = "period,consumer_code,service_code,quantity\n" + "\n".join(lines) + "\n"
    result = refused(reference, "usage", text, "line 12002: quantity: 'x' is not a number")
    assert result.rows == 12_001
    assert reference.scalar(select(func.count()).select_from(UsageLine)) == 0
    assert reference.get(Period, "2026-03") is None


def test_thousands_separators_and_the_callers_stream_stays_open(reference):
    stream = io.BytesIO(b'period,unit_code,cost_pool,amount\n2026-03,WW,labor,"1,234.50"\n')
    result = import_file(reference, "spend", stream, "spend.csv", "tester")
    assert result.status == "stored", result.errors
    assert not stream.closed
    assert reference.scalar(select(SpendLine.amount)) == Decimal("1234.50")
    refused(reference, "spend", 'period,unit_code,cost_pool,amount\n2026-03,WW,labor,"1,23.5"\n',
            "line 2: amount: '1,23.5' is not a number")


def test_a_scoped_importer_may_name_only_their_units(reference):
    text = "period,unit_code,measure,value\n2026-03,ALT,seats,5\n2026-03,WW,seats,1\n"
    before = data_fingerprint()
    result = import_file(reference, "metrics", io.BytesIO(text.encode()), "m.csv", "head",
                         allowed_unit_codes={"ALT"})
    assert result.status == "refused"
    assert result.errors == ["line 3: unit_code: 'WW' is not one of your units (ALT); a unit "
                             "head imports for their own units only"]
    assert data_fingerprint() == before
    ok = import_file(reference, "metrics", io.BytesIO(text.encode()), "m.csv", "central-it")
    assert ok.status == "stored"
