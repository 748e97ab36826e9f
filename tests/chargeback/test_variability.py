"""Customer-introduced variability on the end-to-end company, worked by hand.

The end-to-end company (tests/chargeback/data/e2e) with a desktop service each for ALT and
WW, both in seat-months, before 2026-03 is closed: ALT-DESK "Research desktops" (50.00 a
seat) used by LAB1 for 100 seats, WW-DESK "Plant desktops" (40.00 a seat) used by LINE1 for
200 seats. ALT (customer intimacy) states one stance: it accommodates request variability
on ALT-DESK ("any software a researcher asks for"); its template proposes accommodating
the other four kinds. WW (operational excellence) states all five on WW-DESK: reduce, the
request one "three standard images". DC's CPU (operational excellence) and LAB's PROTO
(product leadership) state nothing: their templates' proposals hold.

So the close freezes 4 services x 5 kinds = 20 stances: 1 + 5 stated, 14 proposed. ALT
spends 90,600.00, WW 50,000.00. ALT and WW share the seat-month, so the compare page tells
ALT-DESK from WW-DESK, each its unit's main service: a seat-month costs 90,600.00 / 100 =
906.00 at ALT and 50,000.00 / 200 = 250.00 at WW. ALT's nearest sibling under GRP is LAB; their
services share no unit of measure, so their main services are told apart: ALT-DESK (its
only usage service) and PROTO; of the kinds, LAB's product-leadership template reduces
arrival, capability and effort, which ALT's accommodates. A seat-month and a project-hour
are not one measure, so no cost is compared and nothing is put down to variability.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from chargeback.models import AuditEntry, ServiceVariability, Unit, VariabilitySnapshot
from chargeback.refusals import Refused
from chargeback.services import packs
from chargeback.services import variability as statements
from chargeback.services.queries import closed_month, portfolio, variability
from tests.chargeback.helpers import write_csv
from tests.chargeback.test_close_end_to_end import load_company, run

ALT_WW = (
    "ALT accommodates request variability on Research desktops (ALT-DESK: any software a "
    "researcher asks for); WW reduces it on Plant desktops (WW-DESK: three standard images).",
    "ALT accommodates arrival, capability, effort and subjective preference variability on "
    "Research desktops (ALT-DESK; as its template proposes, not stated by ALT); WW reduces "
    "them on Plant desktops (WW-DESK).",
    "Accommodating variability costs more to serve than reducing it, which is part of why "
    "a seat-month costs more at ALT (906.00) than at WW (250.00): ALT accommodates arrival, "
    "request, capability, effort and subjective preference variability where WW reduces it.")
ALT_LAB = (
    "ALT accommodates arrival, capability and effort variability on Research desktops "
    "(ALT-DESK; as its template proposes, not stated by ALT); LAB reduces them on Prototype "
    "engineering (PROTO; as its template proposes, not stated by LAB). ALT-DESK and PROTO "
    "are measured in different units (seat-month, project-hour), so no cost of one unit of "
    "service is compared, and the difference in spend, which may be one of size, is not put "
    "down to variability.")


def state(session, code: str, *said: tuple[str, str, str | None, str | None]) -> int:
    unit = session.scalar(select(Unit).where(Unit.code == code))
    changed = statements.state(session, unit, [
        statements.Statement(service=s, kind=k, stance=stance, note=note)
        for s, k, stance, note in said], "head@example.com")
    session.commit()
    return changed


def add_desks(runner, tmp_path) -> None:
    """The two desktop services, their rates and March's usage (see the module's text)."""
    files = {
        "services": "code,unit_code,name,uom\nALT-DESK,ALT,Research desktops,seat-month\n"
                    "WW-DESK,WW,Plant desktops,seat-month\n",
        "rates": "service_code,effective_from,price\nALT-DESK,2026-01,50\nWW-DESK,2026-01,40\n",
        "usage": "period,consumer_code,service_code,quantity\n2026-03,LAB1,ALT-DESK,100\n"
                 "2026-03,LINE1,WW-DESK,200\n"}
    for kind, text in files.items():
        run(runner, "import", kind, str(write_csv(tmp_path, f"desk-{kind}.csv", text)))


WW_FIVE = [("WW-DESK", "request", "reduce", "three standard images")] + [
    ("WW-DESK", kind, "reduce", None)
    for kind in ("arrival", "capability", "effort", "subjective_preference")]


@pytest.fixture
def desks(runner, app, session, tmp_path):
    """The company with the desks and the stances stated, and 2026-03 closed."""
    load_company(runner)
    add_desks(runner, tmp_path)
    state(session, "ALT", ("ALT-DESK", "request", "accommodate",
                           "any software a researcher asks for"))
    state(session, "WW", *WW_FIVE)
    run(runner, "close", "2026-03")
    return closed_month.load(session, "2026-03", "USD")


def frozen_rows(session) -> list[tuple]:
    return [tuple(r) for r in session.execute(
        select(VariabilitySnapshot.service_code, VariabilitySnapshot.kind,
               VariabilitySnapshot.stance, VariabilitySnapshot.note, VariabilitySnapshot.source)
        .where(VariabilitySnapshot.period == "2026-03")
        .order_by(VariabilitySnapshot.service_code, VariabilitySnapshot.kind))]


def test_the_close_freezes_every_services_stances(desks, session):
    rows = frozen_rows(session)
    assert len(rows) == 20
    assert sum(1 for r in rows if r[4] == "stated") == 6
    by = {(r[0], r[1]): r[2:] for r in rows}
    assert by["ALT-DESK", "request"] == ("accommodate", "any software a researcher asks for",
                                         "stated")
    assert by["ALT-DESK", "effort"] == ("accommodate", None, "template")
    assert by["WW-DESK", "request"] == ("reduce", "three standard images", "stated")
    assert by["CPU", "arrival"] == ("reduce", None, "template")
    assert by["PROTO", "request"] == ("accommodate", None, "template")
    assert by["PROTO", "effort"] == ("reduce", None, "template")


def test_the_compare_page_explains_the_difference_with_the_stances(desks, session):
    rows, _ = portfolio.rows(desks)
    found = portfolio.compare(session, desks, rows, "ALT", "WW")
    assert (found.variability.a.code, found.variability.b.code) == ("ALT-DESK", "WW-DESK")
    assert found.sentences[-3:] == ALT_WW
    # the other way round: the same stances, WW's first, and still ALT's seat costs more
    back = portfolio.compare(session, desks, rows, "WW", "ALT")
    assert back.sentences[-3] == (
        "WW reduces request variability on Plant desktops (WW-DESK: three standard images); "
        "ALT accommodates it on Research desktops (ALT-DESK: any software a researcher asks "
        "for).")
    assert back.sentences[-1].startswith(
        "Accommodating variability costs more to serve than reducing it, which is part of "
        "why a seat-month costs more at ALT (906.00)")
    # a group offers no service: nothing on variability, the rest as before
    grp = portfolio.compare(session, desks, rows, "GRP", "WW")
    assert grp.variability is None and not any("variability" in s for s in grp.sentences)


def test_why_they_differ_tells_alt_from_lab(desks, session):
    pack = packs.build(session, "2026-03", "USD")
    alt = next(r for r in pack.differences if r.unit == "ALT")
    assert alt.explanation.endswith(ALT_LAB)
    ww = next(r for r in pack.differences if r.unit == "WW")  # its siblings offer no service
    assert "variability" not in ww.explanation


def outputs(session, client=None) -> dict:
    rows, _ = portfolio.rows(closed_month.load(session, "2026-03", "USD"))
    month = closed_month.load(session, "2026-03", "USD")
    found = {"compare": portfolio.compare(session, month, rows, "ALT", "WW").sentences,
             "pack": [r.explanation for r in packs.build(session, "2026-03", "USD").differences],
             "frozen": variability.frozen(session, "2026-03", ["ALT", "WW", "DC", "LAB"])}
    if client is not None:
        for url in ("/portfolio/compare?a=ALT&b=WW&period=2026-03",
                    "/units/ALT/variability?period=2026-03"):
            html = client.get(url).get_data(as_text=True)
            found[url] = html[html.index("<main"):html.index("</main>")]
    return found


def test_a_closed_month_keeps_the_stances_it_closed_with(desks, session, app):
    """Change every stance, withdraw one, and move WW to customer intimacy after the close:
    the month's compare sentences, pack explanations and frozen stances stay as they were;
    today's view shows the change."""
    from chargeback.services.users import create_user
    from tests.chargeback.web.conftest import USERS, sign_in
    from tests.conftest import FAST_HASH

    create_user(session, USERS["central_it"][0], "central_it", "correct horse battery",
                "test", hash_method=FAST_HASH)
    session.commit()
    client = sign_in(app.test_client(), "central_it")
    before = outputs(session, client)
    assert "any software a researcher asks for" in before["/units/ALT/variability?period=2026-03"]
    assert "three standard images" in before["/portfolio/compare?a=ALT&b=WW&period=2026-03"]
    state(session, "ALT", ("ALT-DESK", "request", "reduce", "one image"),
          ("ALT-DESK", "arrival", "reduce", "booked slots"))
    state(session, "WW", ("WW-DESK", "request", "accommodate", "anything"),
          ("WW-DESK", "effort", None, None))
    session.execute(update(Unit).where(Unit.code == "WW")
                    .values(service_model_code="customer_intimacy"))
    session.commit()
    assert outputs(session, client) == before
    ww = session.scalar(select(Unit).where(Unit.code == "WW"))
    today = {k: s for k, s in variability.today(session, ww)[0].stances()}
    assert (today["request"].stance, today["request"].note) == ("accommodate", "anything")
    # withdrawn: WW's template today (customer intimacy) proposes accommodating effort
    assert (today["effort"].stance, today["effort"].source) == ("accommodate", "template")


def test_a_statement_with_any_fault_stores_nothing(desks, session):
    stored = session.scalar(select(func.count()).select_from(ServiceVariability))
    unit = session.scalar(select(Unit).where(Unit.code == "WW"))
    with pytest.raises(Refused) as refused:
        statements.state(session, unit, [
            statements.Statement(service="WW-DESK", kind="arrival", stance="accommodate",
                                 field="a."),
            statements.Statement(service="WW-DESK", kind="request", stance="tolerate",
                                 field="b."),
            statements.Statement(service="ALT-DESK", kind="effort", stance="reduce",
                                 field="c."),
            statements.Statement(service="WW-DESK", kind="effort", stance="reduce",
                                 note="x" * 201, field="d."),
            statements.Statement(service="WW-DESK", kind="arrival", stance="reduce",
                                 field="e."),
            statements.Statement(service="WW-DESK", kind="capability", stance=None,
                                 note="a note without a stance", field="f.")],
            "ww@example.com")
    session.rollback()
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("b.stance", "'tolerate' is not a stance: write reduce or accommodate"),
        ("c.service", "WW has no service 'ALT-DESK'"),
        ("d.note", "at most 200 characters (this one has 201)"),
        ("e.kind", "arrival of WW-DESK is stated twice"),
        ("f.stance", "a note says how a stance is kept: choose reduce or accommodate, or "
                     "clear the note")]
    assert session.scalar(select(func.count()).select_from(ServiceVariability)) == stored


def test_each_change_is_audited_and_saying_the_same_again_changes_nothing(desks, session):
    assert state(session, "WW", *WW_FIVE) == 0
    assert state(session, "WW", ("WW-DESK", "request", "reduce", "two standard images"),
                 ("WW-DESK", "arrival", None, None)) == 2
    entries = [(e.entity_key, e.before, e.after) for e in session.scalars(
        select(AuditEntry).where(AuditEntry.action == "variability.state")
        .order_by(AuditEntry.id.desc()).limit(2))]
    assert entries == [
        ("WW-DESK/arrival", {"stance": "reduce", "note": None}, None),
        ("WW-DESK/request", {"stance": "reduce", "note": "three standard images"},
         {"stance": "reduce", "note": "two standard images"})]


def test_months_closed_before_the_migration_get_their_templates_proposals(runner, app, session):
    """A month closed at revision 0016 had no stances: the upgrade gives each of its
    services its unit's template's proposals, by the model the unit had at the close."""
    from flask_migrate import downgrade, upgrade

    from chargeback.extensions import db

    load_company(runner)
    run(runner, "close", "2026-03")
    closed = frozen_rows(session)
    session.commit()
    db.session.remove()
    downgrade(revision="0016")
    upgrade()
    db.session.remove()
    assert frozen_rows(db.session) == closed
    assert len(closed) == 10 and {r[4] for r in closed} == {"template"}
    from chargeback.services import seal

    assert seal.verify(db.session, "2026-03")[1] == []  # the seal's digest agrees


def test_two_statements_for_one_unit_at_once_take_turns(runner, app, session):
    """On PostgreSQL two heads saving the same new stance at once: the second waits for the
    first (the unit's service rows are locked) and then changes its row, instead of
    inserting the same (service, kind) again and failing."""
    import threading
    import time

    from sqlalchemy.orm import Session

    from chargeback.extensions import db

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: nothing to race")
    load_company(runner)

    def say(where: Session, stance: str) -> None:
        unit = where.scalar(select(Unit).where(Unit.code == "LAB"))
        statements.state(where, unit, [statements.Statement(
            service="PROTO", kind="arrival", stance=stance)], "test")

    first, second = Session(db.engine), Session(db.engine)
    try:
        say(first, "accommodate")  # not committed yet: it holds LAB's service rows
        worker = threading.Thread(target=lambda: (say(second, "reduce"), second.commit()))
        worker.start()
        time.sleep(0.5)
        assert worker.is_alive()  # waiting for the first
        first.commit()
        worker.join(30)
        assert not worker.is_alive()
    finally:
        first.close()
        second.close()
    session.rollback()
    assert [(r.kind, r.stance) for r in session.scalars(select(ServiceVariability))] == [
        ("arrival", "reduce")]


def test_the_seal_vouches_for_the_frozen_stances(desks, session):
    """A stance changed behind the product's back is found by the seal's check; a seal
    made before the stances were sealed (its parts without them) does not vouch for them,
    and says nothing of them."""
    from chargeback.models import PeriodSeal
    from chargeback.services import seal

    assert seal.verify(session, "2026-03")[1] == []
    session.execute(update(VariabilitySnapshot).where(
        VariabilitySnapshot.service_code == "WW-DESK", VariabilitySnapshot.kind == "request")
        .values(stance="accommodate"))
    findings = seal.verify(session, "2026-03")[1]
    assert [f.part for f in findings] == ["variability"]
    assert findings[0].message.startswith("the services' stances on variability")
    row = session.scalar(select(PeriodSeal).where(PeriodSeal.period == "2026-03"))
    row.parts = {k: v for k, v in row.parts.items() if k != "variability"}
    row.seal = seal.chain_digest(row.previous, row.period, row.revision, row.parts)
    session.flush()
    assert seal.verify(session, "2026-03")[1] == []
