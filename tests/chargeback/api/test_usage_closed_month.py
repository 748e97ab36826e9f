"""The usage lines of a closed month never move (the style of
test_closed_month_never_moves.py, for the usage API, its CSV and the drill-down page).

The company's March usage is split into many lines and closed; every usage output of the
month is kept, then one change after another is made (consumers renamed and moved under
another unit, a service renamed and moved to another unit, units renamed and moved, a new
rate, usage imported into April, a late import into March refused) and after each one
every output is compared with what it was right after the close, byte for byte.
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from chargeback.extensions import db
from chargeback.models import Consumer, Service, Unit
from chargeback.services import units_admin
from chargeback.services.importing import import_file
from chargeback.services.units_admin import UnitFields
from tests.chargeback.test_closed_month_never_moves import page_figures
from tests.chargeback.usage_split import LINES, split_march_usage

MONTH = "2026-03"
API = ("/api/v1/usage?period={m}&limit=1000", "/api/v1/usage?period={m}&limit=7",
       "/api/v1/usage?period={m}&unit=DC&limit=1000",
       "/api/v1/usage?period={m}&consumer=LAB1&service=CPU",
       "/api/v1/usage.csv?period={m}", "/api/v1/usage.csv?period={m}&unit=LAB")
PAGES = ("/units/DC/charges/usage?period={m}&consumer=C-ALT&service=CPU",
         "/units/DC/charges/usage?period={m}&consumer=C-ALT&service=CPU&page=3",
         "/units/LAB/charges/usage?period={m}&consumer=LAB1&service=PROTO",
         "/units/DC/charges?period={m}")


def import_text(kind: str, text: str, *, ok: bool = True) -> None:
    result = import_file(db.session, kind, io.BytesIO(text.encode()), f"{kind}.csv", "test")
    assert result.ok is ok, result.errors
    db.session.commit() if ok else db.session.rollback()


def rename_and_move(code: str, name: str, parent: str) -> None:
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    units_admin.update_unit(db.session, unit, UnitFields(
        name=name, parent_code=parent, service_model=unit.service_model_code,
        billing_mode="showback" if unit.billing_mode == "chargeback" else "chargeback",
        recovery_account=unit.recovery_account), "test")
    db.session.commit()


CHANGES = {
    "consumers renamed, C-ALT moved under WW": lambda: import_text(
        "consumers", "code,name,gl_account,unit_code\nLAB1,Renamed lab,6100-999,\n"
                     "C-ALT,Renamed computing,6900-XXX,WW\n"),
    "CPU renamed and moved to LAB": lambda: import_text(
        "services", "code,unit_code,name,uom\nCPU,LAB,Renamed compute,vCPU-hour\n"),
    "DC renamed and moved under GRP": lambda: rename_and_move("DC", "Renamed DC", "GRP"),
    "LAB renamed and moved under HQ": lambda: rename_and_move("LAB", "Renamed lab", "HQ"),
    "a new rate": lambda: import_text("rates", "service_code,effective_from,price\n"
                                               "CPU,2026-04,1.5\n"),
    "usage imported into April": lambda: import_text(
        "usage", "period,consumer_code,service_code,quantity\n2026-04,LAB1,CPU,7\n"
                 "2026-04,C-ALT,CPU,3\n"),
    "a late usage import into March, refused": lambda: import_text(
        "usage", "period,consumer_code,service_code,quantity\n2026-03,LAB1,CPU,5\n", ok=False),
}


@pytest.fixture
def outputs(company, users, runner, tmp_path, api, signed_in):
    split_march_usage(runner, tmp_path)
    client, web = api("central_it"), signed_in("central_it")

    def read() -> dict:
        found = {}
        for url in API:
            response = client.get(url.format(m=MONTH))
            assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
            found[url] = (response.get_data(), response.headers.get("Link"))
        found.update({url: page_figures(web, url.format(m=MONTH)) for url in PAGES})
        return found

    return read


def test_nothing_done_after_a_close_changes_the_months_usage_lines(outputs):
    baseline = outputs()
    assert baseline[API[0]][0].count(b'"id"') == LINES
    assert b"Renamed" not in b"".join(body for body, _ in
                                      (baseline[url] for url in API))
    for change, make in CHANGES.items():
        make()
        now = outputs()
        for name, value in baseline.items():
            assert now[name] == value, f"{name} of the closed month changed after: {change}"
    # the changes did land: today's tables say otherwise than the closed month
    cpu = db.session.scalar(select(Service).where(Service.code == "CPU"))
    assert (cpu.name, cpu.unit.code) == ("Renamed compute", "LAB")
    lab1 = db.session.scalar(select(Consumer).where(Consumer.code == "LAB1"))
    assert lab1.name == "Renamed lab"
