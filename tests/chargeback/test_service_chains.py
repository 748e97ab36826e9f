"""Service chains on a small company worked by hand.

Units under HQ: the data center DC, the lab LAB and the analytics unit ANA. Services and
prices: DC-CPU (DC, 0.50 a core-hour), LAB-HPC (LAB, 20.00 a node-hour), LAB-GPU (LAB,
50.00 a GPU-hour), ANA-INSIGHT (ANA, 100.00 a report). Consumers: C-LAB is LAB, C-ANA is
ANA, BIZ a business cost center. Usage in 2026-03:

- C-LAB uses 2,000 core-hours of DC-CPU: DC charges LAB 1,000.00 (internal);
- C-ANA uses 30 node-hours of LAB-HPC: LAB charges ANA 600.00 (internal);
- BIZ uses 12 reports of ANA-INSIGHT: 1,200.00.

LAB's spend in March: 200.00 of staff (external) + DC's 1,000.00 = 1,200.00.

The chain ANA-INSIGHT <- LAB-HPC <- DC-CPU: LAB-HPC charged 600.00 along its link to
ANA-INSIGHT (what it charged ANA), DC-CPU 1,000.00 along its link to LAB-HPC (what it
charged LAB); 1,600.00 in all, the month's internal charges (1,000.00 + 600.00). ANA paid
LAB-HPC 600.00: that is the upstream cost behind ANA-INSIGHT, all of it reached. LAB
charged 600.00 in all (LAB-HPC's 600.00; it under-recovers its 1,200.00), so LAB-HPC's cost
is 1,200.00 x 600 / 600 = 1,200.00, of which DC-CPU's 1,000.00: of the 600.00 LAB-HPC
carried down, 600.00 x 1,000 / 1,200 = 500.00 stands for DC-CPU's charge (reached), and
LAB-HPC's own cost in it is 100.00. Own costs: DC-CPU 500.00 + LAB-HPC 100.00 = 600.00.

When LAB-HPC also serves BIZ (15 node-hours, 300.00), LAB charged 900.00 in all: LAB-HPC's
cost is 1,200.00 x 900 / 900 = 1,200.00 still, and of the 600.00 it carried down to
ANA-INSIGHT, 500.00 stands for DC-CPU's charge, 100.00 is LAB-HPC's own. Links: 1,600.00;
upstream cost behind ANA-INSIGHT: 600.00 (what ANA paid), not 600.00 + 666.67.

With LAB-GPU also depending on DC-CPU, and BIZ using 6 GPU-hours (300.00): DC-CPU's
1,000.00 to LAB is shared by what LAB-HPC (600.00) and LAB-GPU (300.00) charged, 2 : 1:
666.666... and 333.333... -> 666.66 and 333.33 with the cent left going to the larger
remainder: 666.67 and 333.33.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from chargeback.models import AuditEntry, InternalCharge, ServiceDependency
from chargeback.services.importing import import_file
from chargeback.services.queries import chains
from rules import chains as chain_rules
from rules.chains import dependency_cycle
from tests.chargeback.helpers import data_fingerprint
from tests.chargeback.test_close_end_to_end import run

D = Decimal

FILES = {
    "units": """code,name,parent_code,service_model,billing_mode,recovery_account,head_email
HQ,Central IT,,operational_excellence,chargeback,4900-HQ,
DC,Data center,HQ,operational_excellence,chargeback,4900-DC,
LAB,Research lab IT,HQ,product_leadership,chargeback,4900-LAB,
ANA,Analytics,HQ,customer_intimacy,chargeback,4900-ANA,
""",
    "consumers": """code,name,gl_account,unit_code
C-LAB,The lab as a consumer,6900-LAB,LAB
C-ANA,Analytics as a consumer,6900-ANA,ANA
BIZ,Business,6000-BIZ,
""",
    "services": """code,unit_code,name,uom
DC-CPU,DC,Compute,core-hour
LAB-HPC,LAB,HPC cluster,node-hour
LAB-GPU,LAB,GPU cluster,gpu-hour
ANA-INSIGHT,ANA,Insight reports,report
""",
    "rates": """service_code,effective_from,price
DC-CPU,2026-01,0.50
LAB-HPC,2026-01,20.00
LAB-GPU,2026-01,50.00
ANA-INSIGHT,2026-01,100.00
""",
    "spend": """period,unit_code,cost_pool,amount
2026-03,DC,hosting,1000.00
2026-03,LAB,staff,200.00
2026-03,ANA,staff,200.00
""",
}
USAGE = """period,consumer_code,service_code,quantity
2026-03,C-LAB,DC-CPU,2000
2026-03,C-ANA,LAB-HPC,30
2026-03,BIZ,ANA-INSIGHT,12
"""
CHAIN = """service_code,depends_on
LAB-HPC,DC-CPU
ANA-INSIGHT,LAB-HPC
"""


# service levels (the catalog's imports): DC-CPU missed its availability in March, LAB-HPC
# met its queue time, ANA-INSIGHT missed its on-time rate (a result for the whole service)
LEVELS = {
    "offerings": """service_code,code,name
DC-CPU,standard,Standard compute
LAB-HPC,standard,Standard queue
ANA-INSIGHT,standard,Monthly reports
""",
    "sla_targets": """service_code,offering,measure,target,direction
DC-CPU,standard,availability,99.5,higher
LAB-HPC,standard,queue_hours,4,lower
ANA-INSIGHT,standard,on_time_pct,95,higher
""",
    "sla_results": """period,service_code,offering,measure,value
2026-03,DC-CPU,standard,availability,99.2
2026-03,LAB-HPC,standard,queue_hours,3.5
2026-03,ANA-INSIGHT,,on_time_pct,90
""",
}


def load(session, kind: str, text: str, actor: str = "tester"):
    return import_file(session, kind, io.BytesIO(text.encode()), f"{kind}.csv", actor)


def stored(session, kind: str, text: str) -> None:
    result = load(session, kind, text)
    session.commit()
    assert result.status == "stored", result.errors


@pytest.fixture
def company(session):
    for kind, text in FILES.items():
        stored(session, kind, text)
    return session


def close(runner, session, usage: str = USAGE, dependencies: str = CHAIN) -> None:
    stored(session, "usage", usage)
    stored(session, "dependencies", dependencies)
    for kind, text in LEVELS.items():
        stored(session, kind, text)
    run(runner, "close", "2026-03")
    session.expire_all()


def summary(chain) -> list[tuple]:
    return [(link.depth, link.upstream.code, link.upstream.unit, link.downstream, link.amount)
            for link in chain.links]


def reached(chain) -> list[tuple]:
    return [(link.upstream.code, link.downstream, link.reached) for link in chain.links]


def own(chain) -> list[tuple]:
    return [(source.service.code, source.own_cost) for source in chain.sources]


def test_a_chain_of_three_services_adds_up_to_the_cascades_internal_charges(
        company, runner):
    close(runner, company)
    chain = chains.chain_of(company, "2026-03", "ANA-INSIGHT")
    assert (chain.service.code, chain.service.unit) == ("ANA-INSIGHT", "ANA")
    assert summary(chain) == [(1, "LAB-HPC", "LAB", "ANA-INSIGHT", D("600.00")),
                              (2, "DC-CPU", "DC", "LAB-HPC", D("1000.00"))]
    internal = company.scalar(select(func.sum(InternalCharge.amount))
                              .where(InternalCharge.period == "2026-03"))
    assert chain.total == D("1600.00") == internal
    assert reached(chain) == [("LAB-HPC", "ANA-INSIGHT", D("600.00")),
                              ("DC-CPU", "LAB-HPC", D("500.00"))]
    assert own(chain) == [("LAB-HPC", D("100.00")), ("DC-CPU", D("500.00"))]
    assert chain.total_reached == D("600.00")  # what ANA paid LAB-HPC
    middle = chains.chain_of(company, "2026-03", "LAB-HPC")
    assert summary(middle) == [(1, "DC-CPU", "DC", "LAB-HPC", D("1000.00"))]
    assert [s.code for s in middle.feeds] == ["ANA-INSIGHT"]
    source = chains.chain_of(company, "2026-03", "DC-CPU")
    assert source.links == [] and source.total == source.total_reached == D("0.00")
    assert source.sources == []


def test_a_middle_unit_serving_two_consumers_passes_on_only_its_share(company, runner):
    """LAB-HPC also serves BIZ (300.00 of its 900.00): ANA paid 600.00, of which 500.00
    stands for DC-CPU's charge and 100.00 is LAB-HPC's own (worked in the module's
    docstring); the upstream cost behind ANA-INSIGHT is 600.00, not 1,266.67."""
    close(runner, company, usage=USAGE + "2026-03,BIZ,LAB-HPC,15\n")
    chain = chains.chain_of(company, "2026-03", "ANA-INSIGHT")
    assert summary(chain) == [(1, "LAB-HPC", "LAB", "ANA-INSIGHT", D("600.00")),
                              (2, "DC-CPU", "DC", "LAB-HPC", D("1000.00"))]
    assert reached(chain) == [("LAB-HPC", "ANA-INSIGHT", D("600.00")),
                              ("DC-CPU", "LAB-HPC", D("500.00"))]
    assert own(chain) == [("LAB-HPC", D("100.00")), ("DC-CPU", D("500.00"))]
    internal = company.scalar(select(func.sum(InternalCharge.amount))
                              .where(InternalCharge.period == "2026-03"))
    assert (chain.total, chain.total_reached) == (D("1600.00"), D("600.00"))
    assert chain.total == internal
    middle = chains.chain_of(company, "2026-03", "LAB-HPC")  # its own chain: all of it
    assert reached(middle) == [("DC-CPU", "LAB-HPC", D("1000.00"))]
    assert own(middle) == [("DC-CPU", D("1000.00"))]


def test_the_reached_shares_are_capped_at_what_the_middle_service_carried(
        company, runner, tmp_path):
    """LAB also charges BIZ its 200.00 staff pool by a fixed split: LAB charged 800.00 of
    its 1,200.00, LAB-HPC 600.00 of it. LAB-HPC's cost is 1,200.00 x 600 / 800 = 900.00,
    less than DC-CPU's 1,000.00 charge into it: 600.00 x 1,000 / 900 = 666.67 would stand
    for DC-CPU, more than the 600.00 LAB-HPC carried down. The cap holds it to 600.00, and
    LAB-HPC's own cost in it is 0.00: the upstream cost behind ANA-INSIGHT stays 600.00."""
    rules = tmp_path / "rules.json"
    rules.write_text('{"unit": "LAB", "effective_from": "2026-03", "rules": [{"pool": '
                     '"staff", "method": "fixed", "splits": [{"consumer": "BIZ", '
                     '"percent": 100}]}]}')
    run(runner, "rules", "import", str(rules))
    close(runner, company)
    chain = chains.chain_of(company, "2026-03", "ANA-INSIGHT")
    assert reached(chain) == [("LAB-HPC", "ANA-INSIGHT", D("600.00")),
                              ("DC-CPU", "LAB-HPC", D("600.00"))]
    assert own(chain) == [("LAB-HPC", D("0.00")), ("DC-CPU", D("600.00"))]
    assert chain.total_reached == D("600.00")


def levels(chain, code: str) -> list[tuple]:
    found = chain.levels_of(code)
    return [(o.code, t.measure, t.result, t.target, t.status)
            for o in found.offerings for t in o.targets]


def test_the_chain_traces_a_missed_service_level_to_its_source(company, runner):
    close(runner, company)
    chain = chains.chain_of(company, "2026-03", "ANA-INSIGHT")
    assert levels(chain, "ANA-INSIGHT") == [
        ("standard", "on_time_pct", D("90"), D("95"), "missed")]
    assert levels(chain, "LAB-HPC") == [("standard", "queue_hours", D("3.5"), D("4"), "met")]
    assert levels(chain, "DC-CPU") == [
        ("standard", "availability", D("99.2"), D("99.5"), "missed")]
    assert chain.levels_of("DC-CPU").counts() == {"met": 0, "missed": 1, "no result": 0}


def test_a_shared_upstream_is_split_by_what_each_downstream_service_charged(
        company, runner):
    close(runner, company, usage=USAGE + "2026-03,BIZ,LAB-GPU,6\n",
          dependencies=CHAIN + "LAB-GPU,DC-CPU\n")
    assert summary(chains.chain_of(company, "2026-03", "ANA-INSIGHT")) == [
        (1, "LAB-HPC", "LAB", "ANA-INSIGHT", D("600.00")),
        (2, "DC-CPU", "DC", "LAB-HPC", D("666.67"))]
    gpu = chains.chain_of(company, "2026-03", "LAB-GPU")
    assert summary(gpu) == [(1, "DC-CPU", "DC", "LAB-GPU", D("333.33"))]
    assert gpu.total_reached == D("333.33")
    dc_to_lab = company.scalar(select(InternalCharge.amount).where(
        InternalCharge.period == "2026-03",
        InternalCharge.provider_id == _unit_id(company, "DC")))
    assert D("666.67") + D("333.33") == dc_to_lab == D("1000.00")


def _unit_id(session, code):
    from chargeback.models import Unit

    return session.scalar(select(Unit.id).where(Unit.code == code))


def test_a_closed_months_chain_is_what_its_close_froze(company, runner):
    """Dependencies removed, added and re-pointed, a service renamed and a service level
    target lowered after the close leave the month's chain (costs and service levels) as
    it was; the month's seal still verifies."""
    close(runner, company)
    before = {code: chains.chain_of(company, "2026-03", code)
              for code in ("ANA-INSIGHT", "LAB-HPC", "LAB-GPU", "DC-CPU")}
    stored(company, "dependencies", "service_code,depends_on\nANA-INSIGHT,\n"
                                    "LAB-GPU,DC-CPU\nLAB-HPC,ANA-INSIGHT\n")
    stored(company, "services", "code,unit_code,name,uom\nLAB-HPC,LAB,Renamed HPC,node-hour\n")
    stored(company, "sla_targets", "service_code,offering,measure,target,direction\n"
                                   "DC-CPU,standard,availability,99.0,higher\n")
    assert company.scalar(select(func.count()).select_from(ServiceDependency)) == 2
    after = {code: chains.chain_of(company, "2026-03", code) for code in before}
    assert after == before
    run(runner, "verify", "2026-03")


def test_a_cycle_is_refused_naming_its_services_and_nothing_changes(company):
    stored(company, "dependencies", CHAIN)
    before = data_fingerprint()
    result = load(company, "dependencies", "service_code,depends_on\nDC-CPU,ANA-INSIGHT\n")
    company.commit()
    assert result.status == "refused"
    assert result.errors == ["line 2: depends_on: service dependencies would form a cycle: "
                             "ANA-INSIGHT -> DC-CPU -> LAB-HPC -> ANA-INSIGHT"]
    assert data_fingerprint() == before


def test_bad_rows_are_named_by_line_and_column_and_refuse_the_whole_file(company):
    stored(company, "dependencies", CHAIN)
    before = data_fingerprint()
    result = load(company, "dependencies", """service_code,depends_on
ANA-INSIGHT,DC-CPU
NOPE,DC-CPU
ANA-INSIGHT,GONE
DC-CPU,DC-CPU
LAB-GPU,LAB-HPC
ANA-INSIGHT,DC-CPU
ANA-INSIGHT,
""")
    company.commit()
    assert result.status == "refused"
    assert result.errors == [
        "line 3: service_code: unknown service 'NOPE'",
        "line 4: depends_on: unknown service 'GONE'",
        "line 5: depends_on: DC-CPU cannot depend on itself",
        "line 6: depends_on: LAB-GPU and LAB-HPC are both services of LAB: a service "
        "depends on other units' services (only those reach it through an internal charge)",
        "line 7: depends_on: a second row for service_code ANA-INSIGHT, depends_on DC-CPU "
        "(first on line 2)",
        "line 8: depends_on: ANA-INSIGHT is named on line 2 too: a service depends on "
        "nothing (one row, depends_on empty) or on the services its rows name, not both"]
    assert data_fingerprint() == before


def test_an_import_replaces_the_named_services_dependencies_and_is_audited(company):
    stored(company, "dependencies", CHAIN + "LAB-GPU,DC-CPU\n")
    stored(company, "dependencies", "service_code,depends_on\nLAB-GPU,\n")
    names = {(s, u) for s, u in company.execute(
        select(ServiceDependency.service_id, ServiceDependency.upstream_id))}
    assert len(names) == 2  # LAB-HPC's and ANA-INSIGHT's stay; LAB-GPU's went
    entry = company.scalar(select(AuditEntry).where(
        AuditEntry.action == "import.dependencies.replace", AuditEntry.entity_key == "LAB-GPU")
        .order_by(AuditEntry.id.desc()))
    assert (entry.before, entry.after) == ({"depends_on": ["DC-CPU"]}, {"depends_on": []})


def test_a_unit_head_states_the_dependencies_of_their_own_services_only(company):
    text = "service_code,depends_on\nLAB-HPC,DC-CPU\nANA-INSIGHT,LAB-HPC\n"
    before = data_fingerprint()
    result = import_file(company, "dependencies", io.BytesIO(text.encode()), "d.csv",
                         "lab@example.com", allowed_unit_codes={"LAB"})
    company.commit()
    assert result.status == "refused"
    assert result.errors == [
        "line 3: service_code: ANA-INSIGHT is a service of ANA, not one of your units (LAB); "
        "a unit head states the dependencies of their own units' services"]
    assert data_fingerprint() == before


def test_reached_shares_follow_a_diamond_and_split_to_the_cent():
    """R depends on X and Y, Y on X, X on T (all different units, each recovering exactly
    its spend, so a service's cost is its revenue). X charged 300.00 in all: 100.00 to R's
    unit, 60.00 to Y's; Y charged 150.00 in all, 50.00 to R's unit. R's unit paid 150.00
    (X->R 100.00, Y->R 50.00). Y carried 50.00: X->Y stands for 50 x 60 / 150 = 20.00 of it,
    Y's own cost is 30.00. X carried 100.00 + 20.00 = 120.00: T->X stands for
    120 x 10 / 300 = 4.00, X's own cost is 116.00. Own costs: T 4.00 + X 116.00 + Y 30.00 =
    150.00, what R's unit paid. With T charging X 0.01 instead: 120 x 0.01 / 300 = 0.004
    floors to 0.00, the cent goes to the larger remainder, X's own (0.6 against 0.4)."""
    depends_on = {"R": {"X", "Y"}, "Y": {"X"}, "X": {"T"}}
    amounts = {("X", "R"): D("100.00"), ("Y", "R"): D("50.00"), ("X", "Y"): D("60.00"),
               ("T", "X"): D("10.00")}
    revenue = {"R": D("500.00"), "Y": D("150.00"), "X": D("300.00")}
    money = {"X": (D("300.00"), D("300.00")), "Y": (D("150.00"), D("150.00"))}
    links = chain_rules.reach("R", chain_rules.chain("R", depends_on, amounts), revenue, money)
    assert [(link.upstream, link.downstream, link.amount, link.reached) for link in links] == [
        ("X", "R", D("100.00"), D("100.00")), ("Y", "R", D("50.00"), D("50.00")),
        ("T", "X", D("10.00"), D("4.00")), ("X", "Y", D("60.00"), D("20.00"))]
    assert chain_rules.total(links) == D("220.00")
    assert chain_rules.total_reached(links) == D("150.00")
    assert chain_rules.own_costs(links) == {"X": D("116.00"), "Y": D("30.00"), "T": D("4.00")}
    cent = chain_rules.reach("R", chain_rules.chain(
        "R", depends_on, amounts | {("T", "X"): D("0.01")}), revenue, money)
    assert cent[2].reached == D("0.00")
    assert chain_rules.own_costs(cent)["X"] == D("120.00")
    # nothing carried, no revenue or no cost: nothing traced back, all X's own
    nothing = {"T": D("0.00"), chain_rules.OWN: D("5.00")}
    assert chain_rules.traced_back(D("5.00"), {"T": D("10.00")}, D("9"), D("9"),
                                   D("0.00")) == nothing
    assert chain_rules.traced_back(D("5.00"), {"T": D("10.00")}, D("0"), D("9"),
                                   D("3")) == nothing
    assert chain_rules.traced_back(D("0.00"), {"T": D("10.00")}, D("9"), D("9"), D("3")) == {
        "T": D("0.00"), chain_rules.OWN: D("0.00")}


AMOUNT = st.integers(min_value=0, max_value=10**7).map(lambda c: Decimal(c).scaleb(-2))


@st.composite
def random_chains(draw):
    """A chain of service 0 over up to 6 more services: each service i > 0 feeds at least
    one service below it (so all are upstream of 0, no cycle), with any charges, revenues
    and unit spends, recovering or not."""
    size = draw(st.integers(min_value=1, max_value=6))
    depends_on: dict[str, set[str]] = {}
    for i in range(1, size + 1):
        fed = draw(st.sets(st.integers(min_value=0, max_value=i - 1), min_size=1))
        for j in fed:
            depends_on.setdefault(f"S{j}", set()).add(f"S{i}")
    amounts = {(up, down): draw(AMOUNT) for down, ups in depends_on.items() for up in ups}
    codes = [f"S{i}" for i in range(size + 1)]
    revenue = {code: draw(AMOUNT) for code in codes}
    money = {code: (draw(AMOUNT), draw(AMOUNT)) for code in codes}
    return depends_on, amounts, revenue, money


@settings(max_examples=300, deadline=None)
@given(random_chains())
def test_own_costs_add_up_to_what_the_service_paid_and_nothing_exceeds_what_was_carried(
        drawn):
    depends_on, amounts, revenue, money = drawn
    links = chain_rules.reach("S0", chain_rules.chain("S0", depends_on, amounts), revenue,
                              money)
    own = chain_rules.own_costs(links)
    assert sum(own.values(), D("0.00")) == chain_rules.total_reached(links) == sum(
        (link.amount for link in links if link.downstream == "S0"), D("0.00"))
    assert all(value >= 0 for value in own.values())
    carried = {code: sum((lk.reached for lk in links if lk.upstream == code), D("0.00"))
               for code in own}
    for link in links:
        if link.downstream != "S0":
            assert D("0.00") <= link.reached <= carried[link.downstream]
    for code in own:
        into = sum((lk.reached for lk in links if lk.downstream == code), D("0.00"))
        assert into <= carried[code]


def test_the_cycle_rule_is_the_cascades():
    assert dependency_cycle({"B": {"A"}, "C": {"B"}}) is None
    assert dependency_cycle({"B": {"A"}, "A": {"B"}}) == ["A", "B", "A"]


# --- the page and the API, by role ------------------------------------------------------

HEADS = {"cit": ("cit@example.com", "central_it", []),
         "ana": ("ana@example.com", "unit_head", ["ANA"]),
         "dc": ("dc@example.com", "unit_head", ["DC"])}
PASSWORD = "correct horse battery"


@pytest.fixture
def closed(company, runner):
    from chargeback.services.users import create_user
    from tests.conftest import FAST_HASH

    close(runner, company)
    for email, role, units in HEADS.values():
        create_user(company, email, role, PASSWORD, "test", units, hash_method=FAST_HASH)
    company.commit()
    return company


def _client(app, who: str):
    from tests.chargeback.web.conftest import csrf_from

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"email": HEADS[who][0], "password": PASSWORD,
                                           "csrf_token": csrf_from(page)})
    assert response.status_code == 302
    return client


def _token(session, who: str) -> dict:
    from chargeback.models import User
    from chargeback.services import tokens

    user = session.scalar(select(User).where(User.email == HEADS[who][0]))
    _, plaintext = tokens.create(session, user, "chain tests", "test")
    session.commit()
    return {"Authorization": f"Bearer {plaintext}"}


def test_the_api_answers_the_chain_for_central_it_and_the_unit_head(app, closed):
    client = app.test_client()
    url = "/api/v1/services/ANA-INSIGHT/chain/2026-03"
    answer = client.get(url, headers=_token(closed, "cit"))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["service"] == {"code": "ANA-INSIGHT", "name": "Insight reports", "unit": "ANA",
                               "uom": "report"}
    assert [(u["depth"], u["upstream"]["code"], u["upstream"]["unit"], u["feeds"],
             u["charged_along_link"], u["reached_service"]) for u in body["upstream"]] == [
        (1, "LAB-HPC", "LAB", "ANA-INSIGHT", "600.00", "600.00"),
        (2, "DC-CPU", "DC", "LAB-HPC", "1000.00", "500.00")]
    assert (body["internal_charges_along_links"], body["upstream_cost_behind_service"],
            body["currency"], body["feeds"]) == ("1600.00", "600.00", "USD", [])
    assert [(s["upstream"]["code"], s["upstream"]["unit"], s["own_cost_in_it"])
            for s in body["sources"]] == [("LAB-HPC", "LAB", "100.00"),
                                          ("DC-CPU", "DC", "500.00")]
    assert body["service_levels"]["counts"] == {"met": 0, "missed": 1, "no result": 0}
    dc = body["upstream"][1]["service_levels"]
    assert dc["offerings"][0]["targets"][0] | {"name": None} == {
        "measure": "availability", "target": "99.5", "direction": "higher", "result": "99.2",
        "result_from": "offering", "name": None, "status": "missed"}
    assert client.get(url, headers=_token(closed, "ana")).get_json() == body
    refused = client.get(url, headers=_token(closed, "dc"))
    assert refused.status_code == 403
    assert "ANA-INSIGHT is a service of ANA" in refused.get_json()["message"]
    headers = _token(closed, "cit")
    assert client.get("/api/v1/services/NOPE/chain/2026-03",
                      headers=headers).status_code == 404
    assert client.get("/api/v1/services/ANA-INSIGHT/chain/2031-01",
                      headers=headers).status_code == 404
    stored(closed, "spend", "period,unit_code,cost_pool,amount\n2026-04,DC,hosting,1.00\n")
    assert client.get("/api/v1/services/ANA-INSIGHT/chain/2026-04",
                      headers=headers).status_code == 409


def test_the_chain_page_for_central_it_and_for_unit_heads(app, closed):
    url = "/services/ANA-INSIGHT/chain?period=2026-03"
    page = _client(app, "cit").get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-upstream="DC-CPU" data-feeds="LAB-HPC"' in html
    assert "1,600.00" in html and 'href="/units/DC?period=2026-03"' in html
    assert "Charged along this link" in html and "Upstream cost behind ANA-INSIGHT" in html
    assert 'id="chain-reached-total"' in html and "by where it started" in html
    assert 'data-source="LAB-HPC"' in html and 'data-source="DC-CPU"' in html
    sources = html.split('id="chain-sources"')[1]
    assert [row.split('chain-own">')[1].split("<")[0].split()[0]
            for row in sources.split("data-source=")[1:]] == ["100.00", "500.00"]
    assert 'data-measure="availability" data-status="missed"' in html
    assert 'data-measure="queue_hours" data-status="met"' in html
    head = _client(app, "ana")
    html = head.get(url).get_data(as_text=True)
    assert 'data-upstream="DC-CPU"' in html and "1,000.00" in html
    assert 'href="/units/DC' not in html  # no link to a unit outside their units
    assert 'href="/services/DC-CPU/chain' not in html
    unit_page = head.get("/units/ANA?period=2026-03").get_data(as_text=True)
    assert 'href="/services/ANA-INSIGHT/chain?period=2026-03"' in unit_page
    catalog = head.get("/units/ANA/catalog?period=2026-03").get_data(as_text=True)
    assert 'href="/services/ANA-INSIGHT/chain?period=2026-03"' in catalog
    assert _client(app, "dc").get(url).status_code == 403
    assert _client(app, "cit").get("/services/NOPE/chain").status_code == 404


def test_a_longer_chain_takes_no_more_statements(company, runner):
    """The chain is read in a fixed number of statements, whatever its length."""
    from tests.chargeback.test_statement_counts import counting

    close(runner, company)
    chains.chain_of(company, "2026-03", "DC-CPU")  # the connection's own first statements
    counts = {}
    for code in ("LAB-HPC", "ANA-INSIGHT"):  # one link, two links
        company.expire_all()
        with counting() as seen:
            chains.chain_of(company, "2026-03", code)
        counts[code] = len(seen)
    assert counts["LAB-HPC"] == counts["ANA-INSIGHT"] <= 12, counts
