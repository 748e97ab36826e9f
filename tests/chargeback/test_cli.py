"""The command line as a person runs it: exit codes, messages, and the console script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from chargeback.models import SpendLine, Unit
from tests.chargeback.helpers import write_csv

UNITS = "code,name,parent_code,service_model\nHQ,Central IT,,operational_excellence\n" \
        "WW,Walla Walla,HQ,operational_excellence\n"


def test_import_good_bad_and_again(runner, session, tmp_path):
    units = write_csv(tmp_path, "units.csv", UNITS)
    result = runner.invoke(args=["import", "units", str(units)])
    assert result.exit_code == 0, result.output
    assert "2 units rows imported" in result.stdout

    again = runner.invoke(args=["import", "units", str(units)])
    assert again.exit_code == 0 and "already imported" in again.stdout

    bad = write_csv(tmp_path, "spend.csv",
                    "period,unit_code,cost_pool,amount\n2026-03,WW,labor,1.00\n"
                    "2026-03,WW,labor,1.001\n")
    refused = runner.invoke(args=["import", "spend", str(bad)])
    assert refused.exit_code == 1
    assert "line 3: amount: '1.001' has more than 2 decimal places" in refused.stderr
    assert "nothing was stored" in refused.stderr
    assert session.scalar(select(func.count()).select_from(SpendLine)) == 0


def test_usage_errors_exit_2(runner, tmp_path):
    units = write_csv(tmp_path, "units.csv", UNITS)
    assert runner.invoke(args=["import", "nonsense", str(units)]).exit_code == 2
    assert runner.invoke(args=["import", "units"]).exit_code == 2
    assert runner.invoke(args=["import", "units", str(tmp_path / "missing.csv")]).exit_code == 2
    assert runner.invoke(args=["import", "units", str(units), "--replace"]).exit_code == 2
    assert runner.invoke(args=["no-such-command"]).exit_code == 2


@pytest.mark.parametrize("args", [["close", "1800-01"], ["verify", "3000-01"],
                                  ["jobs", "run", "close-month", "--period", "1899-12"]])
def test_a_month_out_of_range_is_told_the_range(runner, args):
    """Written as YYYY-MM already: the usage error names the range kept, not the form."""
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert f"'{args[-1]}' is outside the periods kept (1900-01 to 2999-12)" in result.stderr
    assert "write YYYY-MM" not in result.stderr


@pytest.mark.slow
def test_console_script_end_to_end(tmp_path):
    """``chargeback db upgrade`` then an import, in a separate process, as a user runs it."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
           "SECRET_KEY": "x", "CHARGEBACK_PACK_DIR": str(tmp_path / "packs")}
    script = Path(sys.executable).with_name("chargeback")

    def run(*args):
        return subprocess.run([str(script), *args], env=env, capture_output=True, text=True,
                              timeout=120)

    assert run("db", "upgrade").returncode == 0
    units = write_csv(tmp_path, "units.csv", UNITS)
    done = run("import", "units", str(units))
    assert done.returncode == 0, done.stderr
    bad = write_csv(tmp_path, "bad.csv", "code,name,parent_code,service_model,colour\n")
    refused = run("import", "units", str(bad))
    assert refused.returncode == 1
    assert "line 1: colour: unknown column for units" in refused.stderr
    assert run("import", "bogus", str(units)).returncode == 2
    flask = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "import", "units",
                            str(units)], env=env, capture_output=True, text=True, timeout=120,
                           cwd=Path(__file__).resolve().parents[2])
    assert flask.returncode == 0 and "already imported" in flask.stdout


def test_units_visible_after_cli_import(runner, session, tmp_path):
    runner.invoke(args=["import", "units", str(write_csv(tmp_path, "u.csv", UNITS))])
    assert sorted(session.scalars(select(Unit.code))) == ["HQ", "WW"]
