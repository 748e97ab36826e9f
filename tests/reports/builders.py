"""A pack built by hand: the scoring.md worked example (Walla Walla, Altoona) under a group."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal as D

from reports.model import (
    ChargeRow,
    CriterionRow,
    JournalRow,
    Pack,
    PortfolioRow,
    StatementRow,
    SummaryRow,
    TrendRow,
    UnitInOwnTerms,
    UnitScorecard,
)

WW_ATTAINMENT = (D(3) * 75 + D(2) * 80 + D(1) * 100) / D(6)  # 80.8333...
ALT_ATTAINMENT = (D(3) * 100 + D(2) * 76 + D(1) * 70) / D(6)  # 87.0
RD_ATTAINMENT = (D(50000) * WW_ATTAINMENT + D(90000) * ALT_ATTAINMENT) / D(140000)  # 84.797...

FORMULA_NAME = '=HYPERLINK("http://evil.example","click")'


def criterion(**kw) -> CriterionRow:
    base = dict(label="", expr="", direction="higher", method="linear", weight=D(1),
                target=None, floor=None, bands=None, actual=None, score=None, note=None,
                explanation="")
    base.update(kw)
    return CriterionRow(**base)


def ww_card() -> UnitScorecard:
    return UnitScorecard(
        unit="WW", name="Walla Walla", service_model="operational_excellence", version=2,
        effective_from="2026-01", attainment=WW_ATTAINMENT, band="meets",
        criteria=(
            criterion(key="cost_per_seat", label="Cost per seat", expr="desktop_spend / seats",
                      direction="lower", target=D(45), floor=D(65), weight=D(3),
                      actual=D(50), score=D(75), explanation="50 between 65 and 45"),
            criterion(key="availability", label="Availability", expr="availability",
                      target=D("99.5"), floor=D("98.0"), weight=D(2), actual=D("99.2"),
                      score=D("80"), explanation="linear"),
            criterion(key="first_day_fix", label="First-day fix", expr="first_day_fix_pct",
                      method="binary", target=D(80), weight=D(1), actual=D(82),
                      score=D(100), explanation="82 >= 80"),
            criterion(key="tickets", label="Tickets per seat", expr="tickets / seats",
                      direction="lower", target=D(1), floor=D(3), weight=D(2),
                      note="missing measure tickets", explanation="not rated"),
        ))


def alt_card() -> UnitScorecard:
    return UnitScorecard(
        unit="ALT", name="Altoona", service_model="customer_intimacy", version=1,
        effective_from="2026-02", attainment=ALT_ATTAINMENT, band="meets",
        criteria=(
            criterion(key="csat", label="Researcher satisfaction", expr="researcher_csat",
                      target=D("4.5"), floor=D("3.5"), weight=D(3), actual=D("4.6"),
                      score=D(100), explanation="clamped"),
            criterion(key="turnaround", label="Turnaround", expr="turnaround_days",
                      direction="lower", target=D(2), floor=D(7), weight=D(2),
                      actual=D("3.2"), score=D(76)),
            criterion(key="on_budget", label="Spend within budget", expr="spend / budget",
                      direction="lower", method="bands", weight=D(1),
                      bands="1.00 -> 100; 1.05 -> 70; 1.10 -> 40",
                      actual=D(90000) / D(88000), score=D(70)),
        ))


def portfolio() -> tuple[PortfolioRow, ...]:
    zero = D("0.00")
    return (
        PortfolioRow(unit="HOLD", name="Holding IT", parent=None, depth=0, is_group=True,
                     service_model="operational_excellence", billing_mode="chargeback",
                     spend=D("140000.00"), budget=D("138000.00"), charged=D("141000.00"),
                     recovery_pct=D("141000") * 100 / D("140000"), absorbed=D("-1000.00"),
                     internal_eliminated=D("1500.00"), attainment=RD_ATTAINMENT,
                     band="meets", band_counts={"meets": 2}),
        PortfolioRow(unit="RD", name="R&D computing", parent="HOLD", depth=1, is_group=True,
                     service_model="product_leadership", billing_mode="chargeback",
                     spend=D("140000.00"), budget=D("138000.00"), charged=D("141000.00"),
                     recovery_pct=D("141000") * 100 / D("140000"), absorbed=D("-1000.00"),
                     internal_eliminated=D("1500.00"), attainment=RD_ATTAINMENT,
                     band="meets", own_attainment=None, own_band="unrated",
                     band_counts={"exceeds": 0, "meets": 2, "watch": 0, "below": 0,
                                  "unrated": 1}),
        PortfolioRow(unit="WW", name="Walla Walla", parent="RD", depth=2, is_group=False,
                     service_model="operational_excellence", billing_mode="chargeback",
                     spend=D("50000.00"), budget=None, charged=D("51600.00"),
                     recovery_pct=D("103.2"), absorbed=D("-1600.00"),
                     internal_eliminated=zero, attainment=WW_ATTAINMENT, band="meets"),
        PortfolioRow(unit="ALT", name="Altoona", parent="RD", depth=2, is_group=False,
                     service_model="customer_intimacy", billing_mode="showback",
                     spend=D("90000.00"), budget=D("88000.00"), charged=D("89400.00"),
                     recovery_pct=D("89400") * 100 / D("90000"), absorbed=D("600.00"),
                     internal_eliminated=zero, attainment=ALT_ATTAINMENT, band="meets"),
    )


def charge_rows() -> Iterator[ChargeRow]:
    """A generator, like the service layer's: it can be consumed once only."""
    yield ChargeRow(unit="WW", service="DESK", consumer="LAB1", consumer_name="Lab one",
                    method="usage", basis="seat-month", billing_mode="chargeback",
                    quantity=D("1000"), rate=D("45.123456"), amount=D("45123.46"))
    yield ChargeRow(unit="WW", service=None, consumer="PLANT", consumer_name=FORMULA_NAME,
                    method="driver", basis="pool facilities by headcount",
                    billing_mode="chargeback", quantity=D("12.5"), rate=None,
                    amount=D("6476.54"))
    yield ChargeRow(unit="ALT", service=None, consumer="LAB2", consumer_name="Lab two",
                    method="fixed", basis="fixed 100%", billing_mode="showback",
                    quantity=None, rate=None, amount=D("89400.00"))


def journal_rows() -> tuple[JournalRow, ...]:
    return (
        JournalRow(journal="CB-2026-03", period="2026-03", unit="WW", account="6100-LAB1",
                   consumer="LAB1", description="IT charges WW -> LAB1",
                   debit=D("45123.46"), credit=D("0.00"), currency="USD"),
        JournalRow(journal="CB-2026-03", period="2026-03", unit="WW", account="6100-PLANT",
                   consumer="PLANT", description="-5 adjustment @plant",
                   debit=D("6476.54"), credit=D("0.00"), currency="USD"),
        JournalRow(journal="CB-2026-03", period="2026-03", unit="WW", account="4900-WW",
                   consumer=None, description="Recovery WW", debit=D("0.00"),
                   credit=D("51600.00"), currency="USD"),
    )


def statement_rows() -> tuple[StatementRow, ...]:
    """The consumers of ``charge_rows`` (LAB1 and PLANT billed by WW, LAB2 shown back by
    ALT); PLANT is new this month (no prior total)."""
    return (
        StatementRow(consumer="LAB1", name="Lab one", gl_account="6100-LAB1",
                     billed=D("45123.46"), showback=D("0.00"), prior_total=D("40000.00")),
        StatementRow(consumer="LAB2", name="Lab two", gl_account="6100-LAB2",
                     billed=D("0.00"), showback=D("89400.00"), prior_total=D("90000.00")),
        StatementRow(consumer="PLANT", name=FORMULA_NAME, gl_account="-6100-PLANT",
                     billed=D("6476.54"), showback=D("0.00"), prior_total=None),
    )


def make_pack(**changes) -> Pack:
    pack = Pack(
        period="2026-03", status="final", revision=1,
        generated_at=dt.datetime(2026, 4, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        currency="USD", portfolio=portfolio(), charges=charge_rows(), journal=journal_rows(),
        scorecards=(ww_card(), alt_card()),
        notes=("External spend 140,000.00 = charged 139,000.00 + absorbed 1,000.00.",
               "+ internal charges eliminated"),
        summary=summary_rows(), differences=difference_rows(), trend=trend_rows(),
        statements=statement_rows())
    return replace(pack, **changes) if changes else pack


def summary_rows() -> tuple[SummaryRow, ...]:
    return (
        SummaryRow(section="Headline", unit="HOLD", name="Holding IT", figure="Spend",
                   kind="money", value=D("140000.00"), before=D("130000.00"),
                   change=D("10000.00"), detail="prior month 2026-02"),
        SummaryRow(section="Headline", unit="HOLD", name="Holding IT", figure="Variance %",
                   kind="percent", value=D("1.449275362318840579710144928"), detail="of budget"),
        SummaryRow(section="Headline", unit="HOLD", name="Holding IT", figure="Units by band",
                   kind="count", value=3, detail="2 meets, 1 unrated"),
        SummaryRow(section="What changed", unit="WW", name=FORMULA_NAME, figure="Band",
                   kind="text", value="meets", before="watch", detail="=watch -> meets"),
    )


def difference_rows() -> tuple[UnitInOwnTerms, ...]:
    common = dict(group="RD", group_name="R&D computing", meets_from=D(70), exceeds_from=D(90))
    return (
        UnitInOwnTerms(**common, unit="WW", name="Walla Walla",
                       service_model="operational_excellence", weighs_most="Cost per seat",
                       spend=D("50000.00"), budget=None, variance=None,
                       attainment=WW_ATTAINMENT, band="meets", main_service="DESK",
                       main_service_uom="seat-month", main_service_quantity=D("1000"),
                       cost_per_unit=D("50.00"), explanation="=runs operational excellence"),
        UnitInOwnTerms(**common, unit="ALT", name="Altoona", service_model="customer_intimacy",
                       weighs_most="Researcher satisfaction", spend=D("90000.00"),
                       budget=D("88000.00"), variance=D("2000.00"), attainment=ALT_ATTAINMENT,
                       band="meets", main_service=None, main_service_uom=None,
                       main_service_quantity=None, cost_per_unit=None,
                       explanation="Altoona spends 40,000.00 more than Walla Walla because "
                                   "it runs customer intimacy."),
    )


def trend_rows() -> tuple[TrendRow, ...]:
    return tuple(
        TrendRow(period=period, unit="HOLD", name="Holding IT", spend=spend,
                 budget=D("138000.00"), variance=spend - D("138000.00"),
                 variance_pct=(spend - D("138000.00")) * 100 / D("138000.00"),
                 charged=spend, attainment=RD_ATTAINMENT, band="meets")
        for period, spend in (("2026-02", D("130000.00")), ("2026-03", D("140000.00"))))
