"""Every import kind against every class of bad row that applies to it.

For each (kind, class) one file with a good row and one bad row: the batch is refused with
``line 3: <column>: ...`` and not one data row (count and sums of every table) changes.
"""

from __future__ import annotations

import io

import pytest

from chargeback.models import Period
from chargeback.services.importing import import_file
from tests.chargeback.helpers import data_fingerprint
from tests.chargeback.test_importing import load, reference  # noqa: F401  (fixture)

GOOD = {
    "units": ("code,name,parent_code,service_model", "NEW,New unit,HQ,customer_intimacy"),
    "consumers": ("code,name,gl_account,unit_code", "NEWC,New consumer,6100-9,"),
    "services": ("code,unit_code,name,uom", "NEWS,WW,New service,hour"),
    "rates": ("service_code,effective_from,price", "DESK,2026-06,50"),
    "spend": ("period,unit_code,cost_pool,amount", "2026-04,WW,labor,10.00"),
    "budget": ("period,unit_code,amount", "2026-04,WW,10.00"),
    "metrics": ("period,unit_code,measure,value", "2026-04,WW,seats,10"),
    "usage": ("period,consumer_code,service_code,quantity", "2026-04,LAB1,DESK,10"),
    "drivers": ("period,consumer_code,driver,quantity", "2026-04,LAB1,headcount,10"),
    "offerings": ("service_code,code,name", "HPC,gold,Gold"),
    "sla_targets": ("service_code,offering,measure,target,direction",
                    "HPC,standard,availability,99.5,higher"),
    "sla_results": ("period,service_code,offering,measure,value",
                    "2026-04,HPC,standard,availability,99.7"),
    "dependencies": ("service_code,depends_on", "HPC,DESK"),
}
# What a kind needs stored before its good row can be (an offering for targets, results).
BEFORE = {"sla_targets": ("offerings", "service_code,code,name\nHPC,standard,Standard\n"),
          "sla_results": ("offerings", "service_code,code,name\nHPC,standard,Standard\n")}

# class -> kind -> (bad row, the column its error names)
BAD = {
    "unknown code": {
        "units": ("X1,x,NOPE,customer_intimacy", "parent_code"),
        "consumers": ("X1,x,1,NOPE", "unit_code"),
        "services": ("X1,NOPE,x,hour", "unit_code"),
        "rates": ("NOPE,2026-06,1", "service_code"),
        "spend": ("2026-04,NOPE,labor,1.00", "unit_code"),
        "budget": ("2026-04,NOPE,1.00", "unit_code"),
        "metrics": ("2026-04,NOPE,seats,1", "unit_code"),
        "usage": ("2026-04,NOPE,DESK,1", "consumer_code"),
        "drivers": ("2026-04,NOPE,headcount,1", "consumer_code"),
        "offerings": ("NOPE,gold,Gold", "service_code"),
        "sla_targets": ("HPC,nope,availability,99,higher", "offering"),
        "sla_results": ("2026-04,NOPE,,availability,99", "service_code"),
        "dependencies": ("DESK,NOPE", "depends_on"),
    },
    "bad period": {
        "rates": ("DESK,2026-00,1", "effective_from"),
        "spend": ("2026/04,WW,labor,1.00", "period"),
        "budget": ("April,WW,1.00", "period"),
        "metrics": ("2026-4,WW,seats,1", "period"),
        "usage": ("26-04,LAB1,DESK,1", "period"),
        "drivers": ("2026-13,LAB1,headcount,1", "period"),
        "sla_results": ("2026-4,HPC,standard,availability,99", "period"),
    },
    "too many decimals": {
        "rates": ("DESK,2026-06,1.1234567", "price"),
        "spend": ("2026-04,WW,labor,1.001", "amount"),
        "budget": ("2026-04,WW,1.001", "amount"),
        "metrics": ("2026-04,WW,seats,1.1234567", "value"),
        "usage": ("2026-04,LAB1,DESK,1.1234567", "quantity"),
        "drivers": ("2026-04,LAB1,headcount,1.1234567", "quantity"),
        "sla_targets": ("HPC,standard,response_hours,1.1234567,lower", "target"),
        "sla_results": ("2026-04,HPC,,availability,99.1234567", "value"),
    },
    "not a number": {
        "rates": ("DESK,2026-06,cheap", "price"),
        "spend": ("2026-04,WW,labor,ten", "amount"),
        "budget": ("2026-04,WW,1O.00", "amount"),
        "metrics": ("2026-04,WW,seats,n/a", "value"),
        "usage": ("2026-04,LAB1,DESK,12 h", "quantity"),
        "drivers": ("2026-04,LAB1,headcount,?", "quantity"),
        "sla_targets": ("HPC,standard,response_hours,fast,lower", "target"),
        "sla_results": ("2026-04,HPC,,availability,n/a", "value"),
    },
    "missing value": {
        "units": ("X1,,HQ,customer_intimacy", "name"),
        "consumers": ("X1,x,,", "gl_account"),
        "services": ("X1,WW,x,", "uom"),
        "rates": ("DESK,2026-06,", "price"),
        "spend": ("2026-04,WW,,1.00", "cost_pool"),
        "budget": ("2026-04,,1.00", "unit_code"),
        "metrics": ("2026-04,WW,,1", "measure"),
        "usage": ("2026-04,LAB1,,1", "service_code"),
        "drivers": (",LAB1,headcount,1", "period"),
        "offerings": ("HPC,silver,", "name"),
        "sla_targets": ("HPC,standard,response_hours,4,", "direction"),
        "sla_results": ("2026-04,HPC,standard,,99", "measure"),
        "dependencies": (",HPC", "service_code"),
    },
    "second row for a key": {
        "units": ("NEW,Again,HQ,customer_intimacy", "code"),
        "consumers": ("NEWC,Again,6100-9,", "code"),
        "services": ("NEWS,WW,Again,hour", "code"),
        "rates": ("DESK,2026-06,51", "effective_from"),
        "budget": ("2026-04,WW,11.00", "period"),
        "metrics": ("2026-04,WW,seats,11", "measure"),
        "drivers": ("2026-04,LAB1,headcount,11", "driver"),
        "offerings": ("HPC,gold,Gold again", "code"),
        "sla_targets": ("HPC,standard,availability,99.9,higher", "measure"),
        "sla_results": ("2026-04,HPC,standard,availability,99.8", "measure"),
        "dependencies": ("HPC,DESK", "depends_on"),
    },
    # A percentage (availability, *_pct) outside 0..100, a time (*_hours) below 0.
    "percentage over 100": {
        "sla_targets": ("HPC,standard,uptime_pct,140,higher", "target"),
        "sla_results": ("2026-04,HPC,,availability,100.001", "value"),
    },
    "percentage below 0": {
        "sla_targets": ("HPC,standard,on_time_pct,-1,higher", "target"),
        "sla_results": ("2026-04,HPC,,availability,-5", "value"),
    },
    "negative time": {
        "sla_targets": ("HPC,standard,response_hours,-4,lower", "target"),
        "sla_results": ("2026-04,HPC,standard,resolution_hours,-0.5", "value"),
    },
    "closed period": {
        "spend": ("2026-03,WW,labor,1.00", "period"),
        "budget": ("2026-03,ALT,1.00", "period"),
        "metrics": ("2026-03,WW,seats,1", "period"),
        "usage": ("2026-03,LAB1,DESK,1", "period"),
        "drivers": ("2026-03,LAB1,headcount,1", "period"),
        "rates": ("DESK,2026-03,99", "effective_from"),
        "sla_results": ("2026-03,HPC,standard,availability,99", "period"),
    },
}


def prepare(session, kind: str) -> None:
    if kind in BEFORE:
        before_kind, text = BEFORE[kind]
        result = import_file(session, before_kind, io.BytesIO(text.encode()), "before.csv",
                             "tester")
        assert result.status == "stored", result.errors
        session.commit()
CASES = [(cls, kind) for cls, kinds in BAD.items() for kind in kinds]


@pytest.mark.parametrize(("bad_class", "kind"), CASES, ids=[f"{k}-{c}" for c, k in CASES])
def test_bad_row_refuses_the_whole_batch(reference, bad_class, kind):  # noqa: F811
    if bad_class == "closed period":
        load(reference, "spend", "period,unit_code,cost_pool,amount\n2026-03,WW,labor,1.00\n")
        reference.get(Period, "2026-03").status = "closed"
        reference.commit()
    prepare(reference, kind)
    header, good = GOOD[kind]
    row, column = BAD[bad_class][kind]
    text = f"{header}\n{good}\n{row}\n"
    before = data_fingerprint()
    result = import_file(reference, kind, io.BytesIO(text.encode()), f"{kind}.csv", "tester")
    reference.commit()
    assert result.status == "refused"
    assert [e.split(":")[:2] for e in result.errors] == [["line 3", f" {column}"]], \
        result.errors
    assert data_fingerprint() == before


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_unknown_and_missing_columns_for_every_kind(reference, kind):  # noqa: F811
    prepare(reference, kind)
    header, good = GOOD[kind]
    for text, expected in (
        (f"{header},extra\n{good},x\n", "line 1: extra: unknown column"),
        (",".join(header.split(",")[1:]) + "\n" + ",".join(good.split(",")[1:]) + "\n",
         f"line 1: {header.split(',')[0]}: missing required column"),
    ):
        before = data_fingerprint()
        result = import_file(reference, kind, io.BytesIO(text.encode()), "f.csv", "tester")
        assert result.status == "refused"
        assert result.errors[0].startswith(expected), result.errors
        assert data_fingerprint() == before


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_the_good_row_alone_is_stored(reference, kind):  # noqa: F811
    prepare(reference, kind)
    header, good = GOOD[kind]
    result = import_file(reference, kind, io.BytesIO(f"{header}\n{good}\n".encode()), "f.csv",
                         "tester")
    assert result.status == "stored" and result.rows == 1, result.errors
