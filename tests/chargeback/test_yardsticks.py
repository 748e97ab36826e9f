"""Another yardstick, side by side, on the end-to-end company (2026-03 closed), by hand.

The month's measures (``tests/chargeback/data/e2e``): ALT spends 90,000 of its own plus
600 charged by DC (10,000 CPU hours at 0.06), so spend 90,600 against a budget of 88,000
(ratio 1.0295...), charged 90,600 (it shares all its spend), researcher_csat 4.6,
turnaround_days 3.2, no seats. WW spends 50,000 against 52,000 (ratio 0.9615...), seats
1,000, desktop_spend 50,000, availability 99.2, first_day_fix_pct 82. LAB has
prototypes_shipped 3 and time_to_market_days 20 and no budget.

Own ratings (stored by the close): ALT 87.0 (meets), WW 80.8 (meets), LAB
(75 + 80) / 2 = 77.5 (meets).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from chargeback.models import Rating, Unit
from chargeback.refusals import Conflict, NotFound
from chargeback.services import packs
from chargeback.services.queries import closed_month, yardsticks
from tests.chargeback.helpers import closed_company
from tests.chargeback.test_close_end_to_end import one_decimal


@pytest.fixture
def book(runner, app, session):
    closed_company(runner)
    month = closed_month.load(session, "2026-03", "USD")
    return yardsticks.Book(session, month)


def scores(what_if) -> dict[str, Decimal | None]:
    return {c.key: c.score for c in what_if.criteria}


def test_alt_by_ww_scorecard_lacks_every_measure(book):
    """WW's three criteria need desktop_spend, seats, availability, first_day_fix_pct:
    ALT has none, so each is not rated (with its reason) and the what-if is unrated."""
    found = book.judge("ALT", book.other_scorecard("WW"))
    assert found.yardstick.version == 1 and found.yardstick.effective_from == "2026-01"
    assert found.yardstick.title == "WW's scorecard (version 1, from 2026-01)"
    assert scores(found) == {"cost_per_seat": None, "availability": None,
                             "first_day_fix": None}
    assert [c.note for c in found.not_rated] == [
        "missing measure desktop_spend", "missing measure availability",
        "missing measure first_day_fix_pct"]
    assert found.attainment is None and found.band == "unrated"
    assert one_decimal(found.own.attainment) == Decimal("87.0") and found.own.band == "meets"
    # criterion by criterion: WW's three, then ALT's own four, none sharing a key
    assert [(line.key, line.judged is not None, line.own is not None)
            for line in found.lines] == [
        ("cost_per_seat", True, False), ("availability", True, False),
        ("first_day_fix", True, False), ("csat", False, True), ("turnaround", False, True),
        ("on_budget", False, True), ("spend_per_seat", False, True)]


def test_ww_by_alt_scorecard(book):
    """ALT's scorecard on WW: csat and turnaround not rated (WW measures neither);
    on_budget 50,000 / 52,000 = 0.9615 <= 1.00 -> 100; spend per seat 50,000 / 1,000 = 50,
    linear lower from 200 to 100 -> clamped to 100; attainment (100 + 100) / 2 = 100."""
    found = book.judge("WW", book.other_scorecard("ALT"))
    assert scores(found) == {"csat": None, "turnaround": None, "on_budget": Decimal(100),
                             "spend_per_seat": Decimal(100)}
    actual = {c.key: c.actual for c in found.criteria}
    assert actual["spend_per_seat"] == Decimal(50)
    assert actual["on_budget"].quantize(Decimal("0.0001")) == Decimal("0.9615")
    assert found.attainment == Decimal(100) and found.band == "exceeds"
    assert one_decimal(found.own.attainment) == Decimal("80.8")
    # rated on 2 of 4 criteria, but they weigh 1 + 1 = 2 of ALT's 3 + 2 + 1 + 1 = 7: less
    # than half the yardstick, so the 100.0 is shown without a band
    assert found.rated_count == 2 and not found.banded


def test_a_what_if_is_banded_only_on_half_the_weight():
    from types import SimpleNamespace as C

    def rows(*pairs):
        return tuple(C(weight=Decimal(w), score=s) for w, s in pairs)

    # 3 of 6 by weight (one criterion of four by count): exactly half, banded
    assert yardsticks.banded_by_weight(rows((3, Decimal(50)), (1, None), (1, None), (1, None)))
    # 2 of 5 by weight (two of three by count): not banded
    assert not yardsticks.banded_by_weight(rows((1, Decimal(90)), (1, Decimal(90)), (3, None)))
    assert not yardsticks.banded_by_weight(rows())


def test_alt_by_the_operational_excellence_template(book, session):
    """The built-in template: cost per seat, availability and first-day fix not rated;
    cost recovery charged / spend = 90,600 / 90,600 = 1 -> 100; on budget 1.0295 <= 1.05
    -> 70; attainment (100 + 70) / 2 = 85.0 (meets)."""
    found = book.judge("ALT", yardsticks.model_template(session, "operational_excellence"))
    assert scores(found) == {"cost_per_seat": None, "availability": None,
                             "first_day_fix": None, "cost_recovery": Decimal(100),
                             "on_budget": Decimal(70)}
    assert found.attainment == Decimal(85) and found.band == "meets"
    assert found.yardstick.version is None
    assert found.rated_count == 2 and not found.banded  # weight 2 of 8
    # on_budget is on both sides: one line, ALT's own score 70 beside the template's 70
    line = next(line for line in found.lines if line.key == "on_budget")
    assert line.judged.score == line.own.score == Decimal(70)


def test_a_unit_by_its_own_scorecard_is_its_stored_rating(book, session):
    for code in ("ALT", "WW", "LAB"):
        found = book.judge(code, book.other_scorecard(code))
        stored = session.scalar(select(Rating).join(Unit, Unit.id == Rating.unit_id)
                                .where(Unit.code == code, Rating.period == "2026-03"))
        assert (found.attainment, found.band) == (stored.attainment, stored.band)
        assert [(c.key, c.actual, c.score, c.note, c.explanation) for c in found.criteria] \
            == [(c.key, c.actual, c.score, c.note, c.explanation) for c in stored.results]


def test_nothing_is_stored(book, session):
    before = session.scalar(select(Rating.id).order_by(Rating.id.desc()).limit(1))
    book.judge("ALT", book.other_scorecard("WW"))
    session.flush()
    assert session.scalar(select(Rating.id).order_by(Rating.id.desc()).limit(1)) == before


def test_refusals(book, session):
    with pytest.raises(Conflict, match="DC was not rated in 2026-03"):
        book.other_scorecard("DC")
    with pytest.raises(NotFound, match="NOPE was not in the tree"):
        book.other_scorecard("NOPE")
    with pytest.raises(NotFound, match="no service model 'nope'"):
        yardsticks.model_template(session, "nope")
    refused = yardsticks.attempt(book, "ALT", scorecard_of="DC")
    assert refused.what_if is None
    assert refused.reason == "DC was not rated in 2026-03: it had no scorecard in force."


def test_why_they_differ_has_one_line_per_pair_of_different_models(book, session):
    """GRP: ALT (customer intimacy) and LAB (product leadership); HQ: GRP against DC and
    against WW (DC and WW, both operational excellence, make no pair)."""
    month = book.month
    pack = packs.build(session, "2026-03", "USD")
    pairs = {(p.group, p.units): p for p in pack.judged_by_each_other}
    assert list(pairs) == [("HQ", ("DC", "GRP")), ("HQ", ("GRP", "WW")),
                           ("GRP", ("ALT", "LAB"))]
    alt_lab = pairs["GRP", ("ALT", "LAB")]
    assert alt_lab.models == ("customer_intimacy", "product_leadership")
    assert alt_lab.sentence == (
        "What-if, never a rating: judged by LAB's scorecard, ALT could not be rated at all "
        "(rated on 0 of 2 criteria) and on its own it scores 87.0 (meets); 2 of LAB's 2 "
        "criteria cannot be measured at ALT (missing measure prototypes_shipped, missing "
        "measure time_to_market_days). Judged by ALT's scorecard, LAB could not be rated at "
        "all (rated on 0 of 4 criteria) and on its own it scores 77.5 (meets); 4 of ALT's 4 criteria cannot be measured at LAB (missing measure "
        "researcher_csat, missing measure turnaround_days, missing measure budget, missing "
        "measure seats).")
    assert pairs["HQ", ("DC", "GRP")].sentence == (
        "What-if, never a rating: DC cannot be judged by GRP's scorecard (GRP was not rated "
        "in 2026-03: it had no scorecard in force). GRP cannot be judged by DC's scorecard "
        "(DC was not rated in 2026-03: it had no scorecard in force).")
    assert month.period == "2026-03"


def test_the_pack_sheet_prints_each_pair_after_the_units(book, session, tmp_path):
    import openpyxl

    from reports.sheets.differences import JUDGED_BY_EACH_OTHER
    from tests.chargeback.test_close_end_to_end import table

    path = tmp_path / "pack.xlsx"
    packs.write(session, "2026-03", path, "USD")
    rows = table(openpyxl.load_workbook(path)["Why they differ"])
    units = [r["Unit"] for r in rows if r["Name"] != JUDGED_BY_EACH_OTHER]
    pairs = [r for r in rows if r["Name"] == JUDGED_BY_EACH_OTHER]
    assert units == ["DC", "GRP", "WW", "ALT", "LAB"]  # the charts read these rows only
    assert rows[:len(units)] == [r for r in rows if r["Unit"] in units]
    assert [(r["Group"], r["Unit"], r["Service model"]) for r in pairs] == [
        ("HQ", "DC / GRP", "operational excellence / customer intimacy"),
        ("HQ", "GRP / WW", "customer intimacy / operational excellence"),
        ("GRP", "ALT / LAB", "customer intimacy / product leadership")]
    assert all(r["Spend"] is None and r["Attainment"] is None for r in pairs)
    assert pairs[2]["Explanation"].startswith("What-if, never a rating: judged by LAB's")


def test_the_pack_line_says_on_how_many_criteria_and_bands_only_on_half_the_weight(book):
    """WW by ALT's scorecard: 100.0 on 2 of 4 criteria weighing 2 of 7, no band; ALT by the
    customer intimacy template: 87.0 on 3 of 4 weighing 6 of 7, banded."""
    sentence = yardsticks.pair_sentence(
        yardsticks.attempt(book, "WW", scorecard_of="ALT"),
        yardsticks.attempt(book, "ALT", template="customer_intimacy"))
    assert sentence.startswith(
        "What-if, never a rating: judged by ALT's scorecard, WW would score 100.0 (rated on "
        "2 of 4 criteria: too few criteria measurable to band) and on its own it scores 80.8 "
        "(meets); 2 of ALT's 4 criteria cannot be measured at WW")
    assert "exceeds" not in sentence
    assert ("Judged by customer_intimacy's scorecard, ALT would score 87.0 (meets, rated on 3 "
            "of 4 criteria)") in sentence
