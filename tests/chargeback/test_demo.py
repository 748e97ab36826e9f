"""The demo: loads, closes its twelve months, writes packs, and can run again."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from chargeback.models import PackFile, Period, Rating

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

    budget = tmp_path / "budget.csv"
    budget.write_text("period,unit_code,amount\n2026-11,WW,100.00\n")
    assert runner.invoke(args=["import", "budget", str(budget)]).exit_code == 0
    again = runner.invoke(args=["demo", "--no-serve"])
    assert again.exit_code == 0, again.output + str(again.exception)
    assert "already imported" in again.stdout
    session.rollback()
    assert session.get(Period, "2026-11").status == "open"
    assert session.scalar(select(func.count()).select_from(PackFile)) == 12
