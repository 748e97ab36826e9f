"""A close that cannot be trusted stops with nothing stored, the month open and no pack."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from chargeback.models import Charge, JournalLine, PackFile, Period, Rating, UnitPeriodResult
from rules import allocation
from tests.chargeback.helpers import data_fingerprint
from tests.chargeback.test_close_end_to_end import load_company, run


@pytest.fixture
def ready(runner, app):
    load_company(runner, ("WW", "ALT", "LAB"))
    return Path(app.config["CHARGEBACK_PACK_DIR"])


def assert_nothing_closed(session, pack_dir: Path, before) -> None:
    session.expire_all()
    assert session.get(Period, "2026-03").status == "open"
    for model in (Charge, JournalLine, Rating, UnitPeriodResult, PackFile):
        assert session.scalar(select(func.count()).select_from(model)) == 0, model
    assert data_fingerprint() == before
    assert not pack_dir.exists() or list(pack_dir.iterdir()) == []


def test_unbalanced_journal_stops_the_close(ready, runner, session, monkeypatch):
    real = allocation.build_journal

    def unbalanced(*args, **kwargs):
        lines, errors = real(*args, **kwargs)
        first = lines[0]
        return [dataclasses.replace(first, debit=first.debit + Decimal("0.01"))] + lines[1:], errors

    monkeypatch.setattr(allocation, "build_journal", unbalanced)
    before = data_fingerprint()
    result = runner.invoke(args=["close", "2026-03"])
    assert result.exit_code == 1
    assert "cannot be closed" in result.stderr and "journal" in result.stderr.lower()
    assert_nothing_closed(session, ready, before)


def test_money_not_conserved_stops_the_close(ready, runner, session, monkeypatch):
    real = allocation.allocate

    def leaky(*args, **kwargs):
        result, errors = real(*args, **kwargs)
        charges = list(result.charges)
        charges[0] = dataclasses.replace(charges[0], amount=charges[0].amount - Decimal("0.01"))
        totals = dict(result.totals)
        return dataclasses.replace(result, charges=tuple(charges), totals=totals), errors

    monkeypatch.setattr(allocation, "allocate", leaky)
    before = data_fingerprint()
    result = runner.invoke(args=["close", "2026-03"])
    assert result.exit_code == 1
    assert "cannot be closed" in result.stderr
    assert_nothing_closed(session, ready, before)


def test_crash_while_writing_the_pack_leaves_no_file_and_an_open_month(
        ready, runner, session, monkeypatch):
    """The real writer fails half-way through the Charges sheet (disk full, say)."""
    from chargeback.services import packs

    real_build = packs.build

    def crashing_build(*args, **kwargs):
        pack = real_build(*args, **kwargs)

        def charges():
            yield from list(pack.charges)[:2]
            raise OSError("disk full while writing the pack")

        return dataclasses.replace(pack, charges=charges())

    monkeypatch.setattr(packs, "build", crashing_build)
    before = data_fingerprint()
    result = runner.invoke(args=["close", "2026-03"])
    assert result.exit_code != 0
    assert isinstance(result.exception, OSError)
    assert_nothing_closed(session, ready, before)


def test_usage_without_a_rate_names_unit_service_and_period(ready, runner, session, tmp_path):
    services = tmp_path / "services.csv"
    services.write_text("code,unit_code,name,uom\nGPU,DC,GPU,gpu-hour\n")
    usage = tmp_path / "usage.csv"
    usage.write_text("period,consumer_code,service_code,quantity\n2026-03,LAB2,GPU,4\n")
    run(runner, "import", "services", str(services))
    run(runner, "import", "usage", str(usage))
    before = data_fingerprint()
    result = runner.invoke(args=["close", "2026-03"])
    assert result.exit_code == 1
    message = result.stderr
    assert "GPU" in message and "DC" in message and "2026-03" in message
    assert_nothing_closed(session, ready, before)


def test_missing_drivers_stop_the_close(ready, runner, session, tmp_path):
    """A driver known from another month, but with no quantity in the month closed."""
    drivers = tmp_path / "drivers.csv"
    drivers.write_text("period,consumer_code,driver,quantity\n2026-04,LINE1,floor_space,10\n")
    run(runner, "import", "drivers", str(drivers))
    rules = tmp_path / "rules.json"
    rules.write_text('{"unit": "WW", "effective_from": "2026-03", "rules": '
                     '[{"pool": "desktop", "method": "driver", "driver": "floor_space"}]}')
    run(runner, "rules", "import", str(rules))
    before = data_fingerprint()
    result = runner.invoke(args=["close", "2026-03"])
    assert result.exit_code == 1
    assert "floor_space" in result.stderr and "WW" in result.stderr
    assert_nothing_closed(session, ready, before)


def test_a_month_without_spend_says_so(ready, runner, tmp_path):
    budget = tmp_path / "budget.csv"
    budget.write_text("period,unit_code,amount\n2026-04,WW,100.00\n")
    run(runner, "import", "budget", str(budget))
    result = runner.invoke(args=["close", "2026-04"])
    assert result.exit_code == 1
    assert "period 2026-04 has no spend yet: import its spend" in result.stderr
