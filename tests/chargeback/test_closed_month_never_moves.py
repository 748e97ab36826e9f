"""A closed month is a fact finance has booked: nothing done after its close changes any
figure of it, on any page, API answer, export or pack.

Hypothesis drives a random sequence of later changes (consumers moved under other units,
units moved and renamed, services renamed, new rates, new scorecard versions, stances on
variability stated and service models changed, new band limits and currency, imports into
open months, service dependencies removed and re-pointed) and, after each one, every
output of the closed month is compared with what it was right after the close: byte for byte for the API
and its CSV and FOCUS exports (the usage lines too) and its consumer statements' list, cell
for cell for a pack written again and for every consumer's statement, and the month's part
of the portfolio, unit, charge and usage drill-down pages.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import select

from chargeback.extensions import db
from chargeback.models import Unit
from chargeback.services import scorecards, tokens, units_admin
from chargeback.services import settings as holding
from chargeback.services import variability as stances
from chargeback.services.importing import import_file
from chargeback.services.units_admin import UnitFields
from chargeback.services.users import create_user
from rules import variability
from tests.chargeback.test_close_end_to_end import DATA, load_company
from tests.conftest import FAST_HASH, empty_tables

MONTH = "2026-03"
UNITS = ("HQ", "DC", "GRP", "ALT", "LAB", "WW")
CONSUMERS = ("LAB1", "LAB2", "LINE1", "LINE2", "C-ALT")
API = ("/api/v1/portfolio?period={m}", "/api/v1/ratings?period={m}",
       "/api/v1/ratings/{m}/ALT", "/api/v1/ratings/{m}/WW", "/api/v1/units/ALT/spend?period={m}",
       "/api/v1/charges?period={m}&limit=1000", "/api/v1/journal?period={m}&limit=1000",
       "/api/v1/charges.csv?period={m}", "/api/v1/charges/focus.csv?period={m}",
       "/api/v1/journal.csv?period={m}", "/api/v1/usage?period={m}&limit=1000",
       "/api/v1/usage.csv?period={m}", "/api/v1/periods/{m}/statements",
       "/api/v1/units/DC/variability?period={m}", "/api/v1/units/LAB/variability?period={m}",
       "/api/v1/services/PROTO/chain/{m}", "/api/v1/services/CPU/chain/{m}")
PAGES = ("/portfolio?period={m}", "/portfolio/compare?a=ALT&b=WW&period={m}",
         "/portfolio/compare?a=DC&b=LAB&period={m}", "/units/DC/variability?period={m}",
         "/units/DC/charges?period={m}",
         "/units/DC/charges/usage?period={m}&consumer=LAB1&service=CPU",
         "/services/PROTO/chain?period={m}")
_CSRF = re.compile(r'name="csrf_token" value="[^"]*"')


def _region(html: str, start: str, end: str) -> str:
    return html[html.index(start):html.index(end, html.index(start))]


def page_figures(client, url: str) -> str:
    """The month's part of a page: its main content (no session or CSRF token in it)."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return _CSRF.sub("", _region(response.get_data(as_text=True), "<main", "</main>"))


def unit_figures(client, code: str) -> str:
    """A unit page's closed month: the unit as it stood then, and everything of the month
    (what changed since is said beside it, outside these)."""
    html = client.get(f"/units/{code}?period={MONTH}").get_data(as_text=True)
    return (_region(html, '<div id="unit-at-close">', "</div>")
            + _region(html, '<div id="closed-month"', "</main>"))


def pack_cells(runner, folder: Path, name: str) -> list:
    out = folder / name
    result = runner.invoke(args=["pack", MONTH, "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    book = openpyxl.load_workbook(out)
    return [(sheet.title, [tuple(r) for r in sheet.iter_rows(values_only=True)])
            for sheet in book.worksheets]


def statement_cells(runner, folder: Path) -> dict:
    """Every cell of every consumer's statement of the month (``chargeback statements``)."""
    result = runner.invoke(args=["statements", MONTH, "--out", str(folder)])
    assert result.exit_code == 0, result.stderr
    return {path.name: [(ws.title, [tuple(r) for r in ws.iter_rows(values_only=True)])
                        for ws in openpyxl.load_workbook(path).worksheets]
            for path in sorted(folder.iterdir())}


def import_text(kind: str, text: str) -> None:
    result = import_file(db.session, kind, io.BytesIO(text.encode()), f"{kind}.csv", "test")
    assert result.ok, result.errors
    db.session.commit()


class LaterChanges(RuleBasedStateMachine):
    """Close March, remember every output of it, then change things and compare."""

    def __init__(self):
        super().__init__()
        self.app, self.runner, self.folder = CONTEXT["app"], CONTEXT["runner"], CONTEXT["tmp"]
        self.step = 0

    @initialize()
    def close_the_month(self):
        empty_tables()
        load_company(self.runner)
        import_text("dependencies", "service_code,depends_on\nPROTO,CPU\n")
        self._cli("close", MONTH)
        user = create_user(db.session, "cit@example.com", "central_it", "a long password",
                           "test", hash_method=FAST_HASH)
        _, self.token = tokens.create(db.session, user, "frozen", "test")
        db.session.commit()
        self.web = self.app.test_client()
        page = self.web.get("/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        assert self.web.post("/login", data={"email": "cit@example.com",
                                             "password": "a long password",
                                             "csrf_token": csrf}).status_code == 302
        self.baseline = self.outputs()

    def _cli(self, *args):
        result = self.runner.invoke(args=list(args))
        assert result.exit_code == 0, (args, result.output, result.stderr)

    def outputs(self) -> dict:
        self.step += 1
        api = self.app.test_client()
        headers = {"Authorization": f"Bearer {self.token}"}
        found = {}
        for url in API:
            response = api.get(url.format(m=MONTH), headers=headers)
            assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
            found[url] = response.get_data()
        found.update({url: page_figures(self.web, url.format(m=MONTH)) for url in PAGES})
        found.update({f"unit {code}": unit_figures(self.web, code) for code in UNITS})
        found["pack"] = pack_cells(self.runner, self.folder, f"pack-{self.step}.xlsx")
        found["statements"] = statement_cells(self.runner, self.folder / f"bills-{self.step}")
        return found

    @invariant()
    def the_closed_month_is_unchanged(self):
        if not hasattr(self, "baseline"):
            return
        now = self.outputs()
        for name, value in self.baseline.items():
            assert now[name] == value, f"{name} of the closed month changed"

    # --- what people do after the close ----------------------------------------------

    @rule(consumer=st.sampled_from(CONSUMERS), unit=st.sampled_from((*UNITS, "")))
    def move_a_consumer(self, consumer, unit):
        rows = (DATA / "consumers.csv").read_text().splitlines()
        moved = [",".join(r.split(",")[:3] + [unit]) if r.startswith(consumer + ",") else r
                 for r in rows]
        import_text("consumers", "\n".join(moved) + f"\n{consumer}X,Renamed,9999,\n")

    @rule(code=st.sampled_from(("ALT", "LAB", "WW", "DC")), name=st.text(
        alphabet="abcdefghij ", min_size=1, max_size=12).map(str.strip).filter(bool),
        parent=st.sampled_from(("HQ", "GRP")))
    def rename_and_move_a_unit(self, code, name, parent):
        unit = db.session.scalar(select(Unit).where(Unit.code == code))
        units_admin.update_unit(db.session, unit, UnitFields(
            name=name, parent_code=parent, service_model=unit.service_model_code,
            billing_mode="showback" if unit.billing_mode == "chargeback" else "chargeback",
            recovery_account=unit.recovery_account), "test")
        db.session.commit()

    @rule(price=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9"), places=2),
          month=st.sampled_from(("2026-04", "2026-05")))
    def a_new_rate(self, price, month):
        import_text("rates", f"service_code,effective_from,price\nCPU,{month},{price}\n")

    @rule()
    def rename_a_service(self):
        import_text("services", "code,unit_code,name,uom\nCPU,DC,Renamed compute,vCPU-hour\n")

    @rule(depends=st.sampled_from(("", "CPU")), back=st.booleans())
    def change_the_dependencies(self, depends, back):
        """PROTO depends on CPU or on nothing; when on nothing, CPU may depend on PROTO."""
        back = "PROTO" if back and not depends else ""
        import_text("dependencies", f"service_code,depends_on\nPROTO,{depends}\nCPU,{back}\n")

    @rule(goal=st.sampled_from(("4.0", "4.8")))
    def a_new_scorecard_version(self, goal):
        scorecards.save_version(db.session, {
            "unit": "ALT", "effective_from": "2026-04", "criteria": [
                {"key": "csat", "label": "Researcher satisfaction", "expr": "researcher_csat",
                 "direction": "higher", "method": "linear", "target": goal, "floor": "3",
                 "weight": "1"}]}, "test", status="approved")
        db.session.commit()

    @rule(service=st.sampled_from((("DC", "CPU"), ("LAB", "PROTO"))),
          kind=st.sampled_from(variability.KINDS),
          stance=st.sampled_from((*variability.STANCES, None)),
          model=st.sampled_from(("customer_intimacy", "operational_excellence")))
    def state_a_stance_and_change_the_model(self, service, kind, stance, model):
        unit = db.session.scalar(select(Unit).where(Unit.code == service[0]))
        stances.state(db.session, unit, [stances.Statement(
            service=service[1], kind=kind, stance=stance,
            note="said later" if stance else None)], "test")  # no note without a stance
        unit.service_model_code = model
        db.session.commit()

    @rule(exceeds=st.sampled_from(("95", "80")))
    def new_band_limits(self, exceeds):
        holding.set_thresholds(db.session, Decimal(exceeds), Decimal("60"), Decimal("40"),
                               "test")
        db.session.commit()

    @rule(code=st.sampled_from(("EUR", "GBP")))
    def a_new_currency(self, code):
        holding.set_currency(db.session, code, "test")
        db.session.commit()

    @rule(amount=st.integers(min_value=1, max_value=99_999))
    def imports_into_an_open_month(self, amount):
        import_text("spend", f"period,unit_code,cost_pool,amount\n2026-04,ALT,labor,{amount}\n"
                             f"2026-04,DC,compute,{amount}.5\n")
        import_text("usage", "period,consumer_code,service_code,quantity\n"
                             f"2026-04,LAB1,CPU,{amount}\n")
        import_text("metrics", f"period,unit_code,measure,value\n2026-04,ALT,seats,{amount}\n")


CONTEXT: dict = {}


@pytest.mark.slow
def test_nothing_done_after_a_close_changes_any_figure_of_the_month(app, runner, tmp_path):
    CONTEXT.update(app=app, runner=runner, tmp=tmp_path)
    machine = LaterChanges.TestCase
    machine.settings = settings(max_examples=4, stateful_step_count=6, deadline=None,
                                suppress_health_check=list(HealthCheck), database=None)
    machine().runTest()
