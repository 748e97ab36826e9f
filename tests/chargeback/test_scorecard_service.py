"""The scorecard verbs behind the web editor: draft, submit, send back, approve, preview.

On the end-to-end company (tests/chargeback/data/e2e) with 2026-03 closed: ALT has version 1
(approved from 2026-01, rated 87.0 in 2026-03), WW has v1 from 2026-01 and v2 from 2026-04.
"""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from chargeback.models import AuditEntry, Period, Rating, ScorecardVersion, Unit
from chargeback.refusals import Refused
from chargeback.services import scorecards
from chargeback.services.measures import for_unit as measures_for
from chargeback.services.scorecard_preview import preview
from tests.chargeback.helpers import closed_company
from tests.chargeback.test_close_end_to_end import DATA, run

ACTOR = "head@example.com"
ALT_DRAFT = {"unit": "ALT", "effective_from": "2026-04", "criteria": [
    {"key": "csat", "label": "Researcher satisfaction", "expr": "researcher_csat",
     "direction": "higher", "method": "linear", "target": "5.0", "floor": "4.0", "weight": "3"},
    {"key": "turnaround", "label": "Turnaround (days)", "expr": "turnaround_days",
     "direction": "lower", "method": "linear", "target": "2", "floor": "7", "weight": "2"},
    {"key": "on_budget", "label": "Spend within budget", "expr": "spend / budget",
     "direction": "lower", "method": "bands", "weight": "1",
     "bands": [{"at": "1.00", "score": "100"}, {"at": "1.05", "score": "70"}]},
]}


@pytest.fixture
def company(runner, app, session):
    closed_company(runner)
    return session


def unit(session, code: str) -> Unit:
    return session.scalar(select(Unit).where(Unit.code == code))


def actions(session, key: str) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).where(AuditEntry.entity_key == key)
                                .order_by(AuditEntry.id)))


def refused(step, *args) -> Refused:
    """The refusal a step raises (it must raise one)."""
    with pytest.raises(Refused) as caught:
        step(*args)
    return caught.value


def first_field(step, *args) -> str:
    return refused(step, *args).problems[0].field


def draft(**changes) -> dict:
    data = copy.deepcopy(ALT_DRAFT)
    data.update(changes)
    return data


def test_draft_is_created_then_continued_then_submitted_and_approved(company):
    session = company
    alt = unit(session, "ALT")
    created = scorecards.save_draft(session, draft(), ACTOR)
    assert created.version.version == 2 and created.version.status == "draft"
    renamed = draft()
    renamed["criteria"][0]["label"] = "Researchers' satisfaction"
    updated = scorecards.save_draft(session, renamed, ACTOR)  # same keys: replaced in place
    assert updated.version.id == created.version.id
    assert [c.label for c in updated.version.criteria][0] == "Researchers' satisfaction"
    assert scorecards.pending(session, alt.id).id == created.version.id
    scorecards.submit(session, updated.version, ACTOR)
    assert updated.version.status == "submitted" and updated.version.submitted_at is not None
    waiting = refused(scorecards.save_draft, session, draft(), ACTOR)
    assert waiting.reason == "conflict" and waiting.problems[0].field == "status"
    assert first_field(scorecards.approve_submitted, session, updated.version,
                       "cit@example.com", "2026-03") == "effective_from"
    scorecards.approve_submitted(session, updated.version, "cit@example.com", "2026-04")
    version = updated.version
    assert (version.status, version.effective_from, version.approved_by) == (
        "approved", "2026-04", "cit@example.com")
    assert scorecards.in_force(session, alt.id, "2026-04").id == version.id
    assert scorecards.in_force(session, alt.id, "2026-03").version == 1  # March keeps v1
    assert scorecards.pending(session, alt.id) is None
    assert actions(session, "ALT v2") == ["scorecard.create", "scorecard.update",
                                          "scorecard.submit", "scorecard.approve"]
    update = session.scalar(select(AuditEntry).where(AuditEntry.action == "scorecard.update"))
    assert update.before["criteria"][0]["label"] == "Researcher satisfaction"
    assert update.after["criteria"][0]["label"] == "Researchers' satisfaction"


def test_send_back_needs_a_comment_and_returns_a_draft(company):
    session = company
    version = scorecards.save_draft(session, draft(), ACTOR).version
    scorecards.submit(session, version, ACTOR)
    assert first_field(scorecards.send_back, session, version, "cit@example.com",
                       "  ") == "comment"
    assert first_field(scorecards.send_back, session, version, "cit@example.com",
                       "x" * 2001) == "comment"
    scorecards.send_back(session, version, "cit@example.com", "Keep the old csat floor")
    assert version.status == "draft" and version.comment == "Keep the old csat floor"
    again = scorecards.save_draft(session, draft(), ACTOR)
    assert again.version.id == version.id  # editing continues the same draft
    scorecards.submit(session, version, ACTOR)
    assert version.status == "submitted"
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "scorecard.send_back"))
    assert entry.reason == "Keep the old csat floor" and entry.actor == "cit@example.com"


def test_each_step_needs_the_right_status(company):
    session = company
    approved = scorecards.in_force(session, unit(session, "ALT").id, "2026-03")
    assert first_field(scorecards.submit, session, approved, ACTOR) == "status"
    assert first_field(scorecards.send_back, session, approved, ACTOR, "no") == "status"
    assert first_field(scorecards.approve_submitted, session, approved, ACTOR,
                       "2026-04") == "status"
    version = scorecards.save_draft(session, draft(), ACTOR).version
    assert first_field(scorecards.approve_submitted, session, version, ACTOR,
                       "2026-04") == "status"
    assert first_field(scorecards.send_back, session, version, ACTOR, "no") == "status"


def test_a_draft_cannot_be_submitted_once_its_month_closed(company):
    session = company
    version = scorecards.save_draft(session, draft(), ACTOR).version
    session.add(Period(period="2026-04", status="closed"))
    session.flush()
    errors = refused(scorecards.submit, session, version, ACTOR).problems
    assert errors[0].field == "effective_from" and "2026-05" in errors[0].message
    assert version.status == "draft"


def test_validation_is_the_file_import_s_and_stores_nothing(company):
    session = company
    before = session.scalar(select(func.count()).select_from(ScorecardVersion))
    bad = draft()
    bad["criteria"][0]["target"] = "3"  # higher criterion with target below floor 4.0
    errors = refused(scorecards.save_draft, session, bad, ACTOR).problems
    assert [(e.source, e.field, e.key, e.position) for e in errors] == [
        ("criterion csat", "target", "csat", 1)]
    assert "above floor" in errors[0].message
    assert session.scalar(select(func.count()).select_from(ScorecardVersion)) == before
    unknown = draft()
    unknown["criteria"][1]["expr"] = "turnaround_day"
    warned = scorecards.save_draft(session, unknown, ACTOR)
    assert "did you mean turnaround_days" in warned.warnings[0].message


@pytest.mark.parametrize(("field", "value", "message"), [
    ("target", "4.1234567", "at most 6 decimal places"),
    ("weight", "1000000000000000000", "must be less than 10^18"),
    ("label", "x" * 201, "at most 200 characters"),
    ("expr", "a" * 1001, "at most 1000 characters"),
])
def test_what_the_columns_cannot_hold_is_refused_by_field(company, field, value, message):
    data = draft()
    data["criteria"][0][field] = value
    errors = refused(scorecards.check, company, data).problems
    assert any(e.field == field and e.message == message for e in errors), errors


def test_long_key_is_refused(company):
    data = draft()
    data["criteria"][0]["key"] = "k" * 65
    errors = refused(scorecards.check, company, data).problems
    assert any(e.field == "key" and "64" in e.message for e in errors)


def test_approval_months_are_open_ones_after_the_last_close(company):
    session = company
    version = scorecards.save_draft(session, draft(effective_from="2026-08"), ACTOR).version
    assert scorecards.approval_periods(session) == ["2026-04"]
    session.add_all([Period(period="2026-05", status="open"),
                     Period(period="2026-02", status="open")])  # before the close: not offered
    session.flush()
    assert scorecards.approval_periods(session, version) == ["2026-04", "2026-05", "2026-08"]


def test_approving_from_the_same_month_retires_the_earlier_approval(company):
    session = company
    ww = unit(session, "WW")
    v2 = scorecards.in_force(session, ww.id, "2026-04")
    assert v2.version == 2
    data = {"unit": "WW", "effective_from": "2026-04", "criteria": [
        {"key": "availability", "label": "Availability", "expr": "availability",
         "direction": "higher", "method": "binary", "target": "99", "weight": "1"}]}
    version = scorecards.save_draft(session, data, ACTOR).version
    scorecards.submit(session, version, ACTOR)
    scorecards.approve_submitted(session, version, "cit@example.com", "2026-04")
    assert v2.status == "retired"
    assert scorecards.current(session, ww.id).id == version.id
    assert actions(session, "WW v2")[-1] == "scorecard.retire"


def test_current_is_what_rates_the_next_month(company):
    session = company
    assert scorecards.current(session, unit(session, "WW").id).version == 2  # from 2026-04
    assert scorecards.current(session, unit(session, "ALT").id).version == 1
    assert scorecards.current(session, unit(session, "DC").id) is None


@pytest.mark.parametrize("code", ["ALT", "LAB", "WW"])
def test_the_approved_version_previews_exactly_what_the_close_stored(company, code):
    """measures_for rebuilds the close's measures: same actuals, scores and attainment."""
    session = company
    target = unit(session, code)
    version = scorecards.in_force(session, target.id, "2026-03")
    [month] = preview(session, target, scorecards.to_rules(version, code))
    stored = session.scalar(select(Rating).where(Rating.unit_id == target.id,
                                                 Rating.period == "2026-03"))
    assert month.period == "2026-03" and month.approved_version == version.version
    assert month.attainment == stored.attainment == month.approved_attainment
    assert month.band == stored.band and month.change == 0
    for line in month.lines:
        assert line.proposed.score == line.approved.score, line.key
        assert line.proposed.actual == line.approved.actual, line.key
        assert line.proposed.note == line.approved.note, line.key


def test_measures_include_the_ledger_as_the_close_saw_it(company):
    session = company
    measures = measures_for(session, unit(session, "ALT").id, "2026-03")
    assert measures["spend"] == Decimal("90600.00")  # 90000 of labor + 600 charged by DC
    assert measures["spend_pool_internal"] == Decimal("600.00")
    assert measures["budget"] == Decimal("88000.00")
    assert measures["charged"] == Decimal("90600.00")
    assert measures["spend_pool_compute"] == 0  # a pool seen in the ledger, not ALT's
    assert measures["researcher_csat"] == Decimal("4.6")
    assert "budget" not in measures_for(session, unit(session, "LAB").id, "2026-03")


def test_preview_puts_criteria_side_by_side(company):
    session = company
    alt = unit(session, "ALT")
    scorecard, _, _ = scorecards.check(session, draft())
    [month] = preview(session, alt, scorecard)
    assert [line.key for line in month.lines] == ["csat", "turnaround", "on_budget",
                                                 "spend_per_seat"]
    csat = month.lines[0]
    assert csat.proposed.score == 60 and csat.approved.score == 100
    assert month.lines[-1].proposed is None  # only the approved version had it
    assert month.lines[-1].approved.note == "missing measure seats"
    assert month.attainment == Decimal(402) / 6 and month.band == "watch"  # 67.0
    assert month.approved_attainment == 87 and month.change == Decimal(402) / 6 - 87


def test_no_closed_month_no_preview(app, session, runner):
    run(runner, "import", "units", str(DATA / "units.csv"))
    alt = unit(session, "ALT")
    scorecard, _, _ = scorecards.check(session, draft())
    assert preview(session, alt, scorecard) == []
