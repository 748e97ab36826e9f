"""The service catalog: owners, offerings, service level targets and results, worked by hand.

The end-to-end company (tests/chargeback/data/e2e): DC's compute service CPU gets an owner
(ops@example.com), two offerings and four targets, and 2026-03's results:

=========  ==============  ======  ========  ===========================  ======
offering   measure         target  better    result used                  status
=========  ==============  ======  ========  ===========================  ======
priority   availability    99.9    higher    99.7 (service-wide)          missed
priority   response_hours  4       lower     5 (its own)                  missed
standard   availability    99.5    higher    99.7 (service-wide)          met
standard   response_hours  8       lower     6 (its own)                  met
=========  ==============  ======  ========  ===========================  ======

DC's scorecard from 2026-03 reads two of them:

- ``sla.CPU.availability`` (the service-wide result, 99.7), linear from 99.0 to 99.9,
  weight 2: 100 * (99.7 - 99.0) / 0.9 = 77.777...;
- ``sla.CPU.priority.response_hours`` (5), lower, linear from 8 to 4, weight 1:
  100 * (8 - 5) / 4 = 75;
- attainment (2 * 77.777... + 75) / 3 = 76.851..., 76.9: "meets" (limits 100/70/50).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from chargeback.models import CriterionResultRow, Offering, Rating, Service, SlaResult, Unit
from chargeback.services import measures, scorecards
from chargeback.services.queries import service_levels
from chargeback.services.users import create_user
from tests.chargeback.helpers import data_fingerprint, write_csv
from tests.chargeback.test_close_end_to_end import load_company, one_decimal, run
from tests.chargeback.test_importing import load

D = Decimal

OFFERINGS = """service_code,code,name
CPU,standard,Standard compute
CPU,priority,Priority compute with 4-hour response
"""
TARGETS = """service_code,offering,measure,target,direction
CPU,standard,availability,99.5,higher
CPU,standard,response_hours,8,lower
CPU,priority,availability,99.9,higher
CPU,priority,response_hours,4,lower
"""
RESULTS = """period,service_code,offering,measure,value
2026-03,CPU,,availability,99.7
2026-03,CPU,priority,response_hours,5
2026-03,CPU,standard,response_hours,6
"""
DC_SCORECARD = {
    "unit": "DC", "effective_from": "2026-03",
    "criteria": [
        {"key": "availability", "label": "Compute availability",
         "expr": "sla.CPU.availability", "direction": "higher", "method": "linear",
         "target": 99.9, "floor": 99.0, "weight": 2},
        {"key": "priority_response", "label": "Priority response (hours)",
         "expr": "sla.CPU.priority.response_hours", "direction": "lower", "method": "linear",
         "target": 4, "floor": 8, "weight": 1},
    ]}


def add_catalog(session, runner, tmp_path) -> None:
    """The catalog of the module's docstring, through the command line."""
    create_user(session, "ops@example.com", "central_it", "a long enough pass phrase 1",
                "test", hash_method="scrypt:1024:8:1")
    session.commit()
    services = "code,unit_code,name,uom,owner_email\nCPU,DC,Compute,core-hour,Ops@Example.com\n"
    for kind, text in (("services", services), ("offerings", OFFERINGS),
                       ("sla_targets", TARGETS), ("sla_results", RESULTS)):
        run(runner, "import", kind, str(write_csv(tmp_path, f"{kind}.csv", text)))


@pytest.fixture
def catalog(runner, app, session, tmp_path):
    load_company(runner)
    add_catalog(session, runner, tmp_path)
    return session


def checks(catalog_) -> dict[tuple[str, str], tuple]:
    (cpu,) = [s for s in catalog_.services if s.code == "CPU"]
    return {(o.code, t.measure): (t.target, t.direction, t.result, t.result_from, t.status)
            for o in cpu.offerings for t in o.targets}


HAND_WORKED = {
    ("priority", "availability"): (D("99.9"), "higher", D("99.7"), "service", "missed"),
    ("priority", "response_hours"): (D(4), "lower", D(5), "offering", "missed"),
    ("standard", "availability"): (D("99.5"), "higher", D("99.7"), "service", "met"),
    ("standard", "response_hours"): (D(8), "lower", D(6), "offering", "met"),
}


def test_an_open_month_checks_each_target_against_its_result(catalog):
    found = service_levels.catalog_of(catalog, "DC", "2026-03")
    assert not found.frozen
    assert checks(found) == HAND_WORKED
    (cpu,) = found.services
    assert cpu.owner_email == "ops@example.com"
    assert [(o.code, o.name) for o in cpu.offerings] == [
        ("priority", "Priority compute with 4-hour response"), ("standard", "Standard compute")]
    assert cpu.counts() == {"met": 2, "missed": 2, "no result": 0}
    assert {r.name: r.value for r in cpu.results} == {
        "sla.CPU.availability": D("99.7"), "sla.CPU.priority.response_hours": D(5),
        "sla.CPU.standard.response_hours": D(6)}


def test_a_unit_gets_its_services_results_as_sla_measures(catalog):
    dc = catalog.scalar(select(Unit.id).where(Unit.code == "DC"))
    names = measures.known_names(catalog, dc)
    assert {"sla.CPU.availability", "sla.CPU.priority.availability",
            "sla.CPU.priority.response_hours", "sla.CPU.standard.response_hours"} <= names
    alt = catalog.scalar(select(Unit.id).where(Unit.code == "ALT"))
    assert not {n for n in measures.known_names(catalog, alt) if n.startswith("sla.")}


def test_the_close_rates_with_sla_criteria(catalog, runner):
    scorecards.save_version(catalog, DC_SCORECARD, "test", status="approved")
    catalog.commit()
    run(runner, "close", "2026-03")
    dc = catalog.scalar(select(Unit.id).where(Unit.code == "DC"))
    rating = catalog.scalar(select(Rating).where(Rating.unit_id == dc,
                                                 Rating.period == "2026-03"))
    scores = {r.key: (r.actual, one_decimal(r.score)) for r in catalog.scalars(
        select(CriterionResultRow).where(CriterionResultRow.rating_id == rating.id))}
    assert scores == {"availability": (D("99.7"), D("77.8")),
                      "priority_response": (D(5), D("75.0"))}
    assert one_decimal(rating.attainment) == D("76.9") and rating.band == "meets"
    # the preview and what-if read the same frozen measures
    assert measures.for_unit(catalog, dc, "2026-03")["sla.CPU.availability"] == D("99.7")


def test_a_closed_month_keeps_its_catalog_whatever_changes_later(catalog, runner, tmp_path):
    run(runner, "close", "2026-03")
    before = service_levels.catalog_of(catalog, "DC", "2026-03")
    assert before.frozen and checks(before) == HAND_WORKED
    create_user(catalog, "new.owner@example.com", "central_it", "a long enough pass phrase 2",
                "test", hash_method="scrypt:1024:8:1")
    catalog.commit()
    later = {
        "services": "code,unit_code,name,uom,owner_email\n"
                    "CPU,DC,Compute renamed,core-hour,new.owner@example.com\n",
        "offerings": "service_code,code,name\nCPU,standard,Standard renamed\n"
                     "CPU,gold,Gold compute\n",
        "sla_targets": "service_code,offering,measure,target,direction\n"
                       "CPU,standard,availability,99.8,higher\n"
                       "CPU,gold,availability,99.99,higher\n",
        "sla_results": "period,service_code,offering,measure,value\n"
                       "2026-04,CPU,,availability,99.1\n",
    }
    for kind, text in later.items():
        run(runner, "import", kind, str(write_csv(tmp_path, f"later-{kind}.csv", text)))
    assert service_levels.catalog_of(catalog, "DC", "2026-03") == before
    now = service_levels.catalog_of(catalog, "DC", "2026-04")
    (cpu,) = now.services
    assert (cpu.name, cpu.owner_email) == ("Compute renamed", "new.owner@example.com")
    assert checks(now)[("standard", "availability")] == (
        D("99.8"), "higher", D("99.1"), "service", "missed")
    assert checks(now)[("gold", "availability")][-1] == "missed"
    assert checks(now)[("priority", "response_hours")][-1] == "no result"
    # the chain view's read: any unit's services by id, the same figures
    cpu_id = catalog.scalar(select(Service.id).where(Service.code == "CPU"))
    assert service_levels.service_levels(catalog, [cpu_id], "2026-03") == {
        cpu_id: before.services[0]}


def test_a_closed_month_refuses_service_level_results(catalog, runner):
    run(runner, "close", "2026-03")
    before = data_fingerprint()
    result = load(catalog, "sla_results", "period,service_code,offering,measure,value\n"
                                          "2026-03,CPU,,availability,99.99\n")
    catalog.commit()
    assert result.status == "refused"
    assert result.errors == ["line 2: period: period 2026-03 is closed; corrections go into "
                             "an open period, or central IT reopens it"]
    assert data_fingerprint() == before


@pytest.mark.parametrize(("kind", "text", "error"), [
    ("services", "code,unit_code,name,uom,owner_email\nCPU,DC,Compute,core-hour,nobody@x.org\n",
     "line 2: owner_email: no user has the e-mail address 'nobody@x.org': add the user first "
     "(Admin, Users)"),
    ("services", "code,unit_code,name,uom,owner_email\nCPU,DC,Compute,core-hour,not-mail\n",
     "line 2: owner_email: not an e-mail address"),
    ("offerings", "service_code,code,name\nCPU,Gold,Gold\n",
     "line 2: code: 'Gold' is not a valid name: use lower-case letters, digits and _ and "
     "start with a letter"),
    ("offerings", "service_code,code,name\nNOPE,gold,Gold\n",
     "line 2: service_code: unknown service 'NOPE'"),
    ("sla_targets", "service_code,offering,measure,target,direction\n"
                    "CPU,gold,availability,99,higher\n",
     "line 2: offering: unknown offering 'gold' of CPU (its offerings: priority, standard)"),
    ("sla_targets", "service_code,offering,measure,target,direction\n"
                    "CPU,standard,availability,99,up\n",
     "line 2: direction: 'up' must be higher or lower"),
    ("sla_results", "period,service_code,offering,measure,value\n"
                    "2026-04,CPU,gold,availability,99\n",
     "line 2: offering: unknown offering 'gold' of CPU (its offerings: priority, standard)"),
    ("sla_results", "period,service_code,offering,measure,value\n"
                    "2026-04,CPU,,availability,high\n",
     "line 2: value: 'high' is not a number"),
])
def test_a_bad_catalog_row_refuses_the_batch(catalog, kind, text, error):
    before = data_fingerprint()
    result = load(catalog, kind, text)
    catalog.commit()
    assert result.status == "refused" and result.errors == [error]
    assert data_fingerprint() == before


def test_a_services_file_without_owner_email_keeps_the_owners(catalog):
    assert load(catalog, "services", "code,unit_code,name,uom\nCPU,DC,Compute,core-hour\n"
                ).status in ("stored", "already_imported")
    catalog.commit()
    cpu = catalog.scalar(select(Service).where(Service.code == "CPU"))
    assert cpu.owner_id is not None
    result = load(catalog, "services", "code,unit_code,name,uom,owner_email\n"
                                       "CPU,DC,Compute,core-hour,\n")
    catalog.commit()
    assert result.status == "stored"
    catalog.refresh(cpu)
    assert cpu.owner_id is None  # an empty cell: no owner


def test_a_result_imported_again_replaces_the_value(catalog):
    result = load(catalog, "sla_results", "period,service_code,offering,measure,value\n"
                                          "2026-03,CPU,,availability,99.8\n")
    catalog.commit()
    assert result.status == "stored"
    values = catalog.scalars(select(SlaResult.value).where(
        SlaResult.offering == "", SlaResult.measure == "availability"))
    assert list(values) == [D("99.8")]
    assert catalog.scalar(select(Offering.name).where(Offering.code == "standard")) == \
        "Standard compute"


def test_the_seal_vouches_for_the_frozen_catalog(catalog, runner):
    """An owner or a target of the frozen catalog changed behind the product's back is
    found by the seal's check; a seal made before the catalog was sealed says nothing."""
    from sqlalchemy import update

    from chargeback.models import OfferingSnapshot, PeriodSeal, ServiceSnapshot
    from chargeback.services import seal

    run(runner, "close", "2026-03")
    assert seal.verify(catalog, "2026-03")[1] == []
    catalog.execute(update(OfferingSnapshot).where(OfferingSnapshot.measure == "availability",
                                                   OfferingSnapshot.offering == "priority")
                    .values(target=D("99.0")))
    catalog.execute(update(ServiceSnapshot).where(ServiceSnapshot.code == "CPU")
                    .values(owner_email="someone@else.example"))
    findings = seal.verify(catalog, "2026-03")[1]
    assert sorted(f.part for f in findings) == ["offerings", "owners"]
    row = catalog.scalar(select(PeriodSeal).where(PeriodSeal.period == "2026-03"))
    row.parts = {k: v for k, v in row.parts.items() if k not in ("offerings", "owners")}
    row.seal = seal.chain_digest(row.previous, row.period, row.revision, row.parts)
    catalog.flush()
    assert seal.verify(catalog, "2026-03")[1] == []


def test_the_seal_vouches_for_a_closed_months_results(catalog, runner):
    """A closed month's service level results are read from the live table (the import
    refuses a closed month's): one changed behind the product's back is found by the seal's
    check and by ``chargeback verify``; a seal made before results were sealed says nothing."""
    from sqlalchemy import update

    from chargeback.models import PeriodSeal
    from chargeback.services import seal

    run(runner, "close", "2026-03")
    assert seal.verify(catalog, "2026-03")[1] == []
    catalog.execute(update(SlaResult).where(SlaResult.period == "2026-03",
                                            SlaResult.measure == "availability")
                    .values(value=D("100")))
    catalog.commit()
    findings = seal.verify(catalog, "2026-03")[1]
    assert [(f.part, f.message) for f in findings] == [
        ("sla_results", "the service level results: the 3 line(s) differ from what was "
                        "sealed")]
    checked = runner.invoke(args=["verify", "2026-03"])
    assert checked.exit_code == 1
    assert "2026-03 r1: sla_results: the service level results" in checked.stderr
    row = catalog.scalar(select(PeriodSeal).where(PeriodSeal.period == "2026-03"))
    row.parts = {k: v for k, v in row.parts.items() if k != "sla_results"}
    row.seal = seal.chain_digest(row.previous, row.period, row.revision, row.parts)
    catalog.commit()
    assert seal.verify(catalog, "2026-03")[1] == []
