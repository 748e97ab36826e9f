"""The demo: loads, closes its twelve months, writes packs, and can run again."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from chargeback.models import CriterionResultRow, PackFile, Period, Rating, Unit
from chargeback.services import packs as packs_service
from chargeback.services.queries import closed_month, portfolio, service_levels

pytestmark = pytest.mark.slow


def test_demo_runs_twice_and_leaves_a_users_new_month_alone(runner, session, app, tmp_path):
    first = runner.invoke(args=["demo", "--no-serve"])
    assert first.exit_code == 0, first.output + str(first.exception)
    assert "12 months are closed" in first.stdout
    closed = session.scalars(select(Period.period).where(Period.status == "closed")).all()
    assert len(closed) == 12
    packs = session.scalars(select(PackFile.path)).all()
    assert len(packs) == 12 and all(Path(p).exists() for p in packs)
    assert session.scalar(select(func.count()).select_from(Rating)) >= 12 * 5
    logins = [line for line in first.stdout.splitlines() if "@demo.example" in line]
    assert len(logins) == 5
    # the catalog: ALT's second scorecard rates the HPC cluster's availability, a service
    # level result (sla_results.csv: 99.74 in 2026-10), and its catalog page's figures
    hpc = session.execute(select(CriterionResultRow.actual, CriterionResultRow.score).join(
        Rating).join(Unit, Unit.id == Rating.unit_id).where(
        Unit.code == "ALT", Rating.period == "2026-10",
        CriterionResultRow.key == "hpc_availability")).one()
    assert hpc.actual == Decimal("99.74") and hpc.score == 100
    catalog = service_levels.catalog_of(session, "ALT", "2026-10")
    assert catalog.frozen
    by_code = {s.code: s for s in catalog.services}
    assert by_code["ALT-HPC"].owner_email == "alt-head@demo.example"
    assert [o.code for o in by_code["ALT-HPC"].offerings] == ["priority", "standard"]
    # variability (data/variability.csv): Altoona accommodates request variability on its
    # workstations where Walla Walla reduces it to three standard images; the pack's Why
    # they differ tells Walla Walla from Decatur by the walk-up desk
    month = closed_month.load(session, "2026-10", "USD")
    rows, _ = portfolio.rows(month)
    compared = portfolio.compare(session, month, rows, "ALT", "WW").sentences
    assert ("ALT accommodates request variability on Research workstation support (ALT-WS: "
            "any software stack a lab asks for); WW reduces it on Plant desktop support "
            "(WW-DESK: three standard images).") in compared
    ww = next(r for r in packs_service.build(session, "2026-10", "USD").differences
              if r.unit == "WW")
    assert "DEC accommodates it on Plant desktop support (DEC-DESK: a walk-up desk on every " \
           "shift)" in ww.explanation
    # WW spends more in total, but a seat-month costs more at DEC (the pack's cost per unit,
    # 130.9432 against 124.7206): the sentence decides on that, never on the totals
    dec_line = ("Accommodating variability costs more to serve than reducing it, which is part "
                "of why a seat-month costs more at DEC (130.9432) than at WW (124.7206): DEC "
                "accommodates arrival variability where WW reduces it.")
    assert ww.cost_per_unit == Decimal("124.7206")
    assert ww.explanation.endswith(dec_line)
    dec_ww = portfolio.compare(session, month, rows, "DEC", "WW")
    assert dec_ww.difference < 0 and dec_ww.sentences[-1] == dec_line
    assert not any("spends more although" in s for s in dec_ww.sentences)
    # judged by DC's scorecard RND is rated on 1 of its 4 criteria: a score, no band
    pack = packs_service.build(session, "2026-10", "USD")
    dc_rnd = next(p for p in pack.judged_by_each_other if p.units == ("DC", "RND"))
    assert ("Judged by DC's scorecard, RND would score 100.0 (rated on 1 of 4 criteria: too "
            "few criteria measurable to band)") in dc_rnd.sentence
    assert "(exceeds)" not in dc_rnd.sentence

    budget = tmp_path / "budget.csv"
    budget.write_text("period,unit_code,amount\n2026-11,WW,100.00\n")
    assert runner.invoke(args=["import", "budget", str(budget)]).exit_code == 0
    again = runner.invoke(args=["demo", "--no-serve"])
    assert again.exit_code == 0, again.output + str(again.exception)
    assert "already imported" in again.stdout
    assert "stance(s) stated" not in again.stdout  # the units' stances are kept
    session.rollback()
    assert session.get(Period, "2026-11").status == "open"
    assert session.scalar(select(func.count()).select_from(PackFile)) == 12
