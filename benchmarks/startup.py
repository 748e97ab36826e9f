"""Start-up benchmark: how long a command takes before it does anything.

    python benchmarks/startup.py [--repeat 7] [--json benchmarks/out/startup.json]

Each case is a fresh interpreter (a subprocess), run ``--repeat`` times; the best run counts
(the least disturbed by the other processes on the machine). Wall time is measured around
the subprocess, CPU time (user + system) from the children's resource usage: on a shared
machine the CPU seconds are the steadier figure.

The baseline is measured in the same run, on the same interpreter: ``python -c pass`` (the
interpreter alone) and ``python -c "import click"`` (the least a click command line can
cost). Each case is printed with its absolute times and as a ratio to both.

Cases: ``chargeback --help``, a few commands' ``--help`` (a command module is imported only
when it is invoked), commands that run: ``jobs list`` (on the light app most commands get,
``create_app(web=False, migrations=False)``), ``db current`` (that app with Flask-Migrate)
and ``openapi print`` (the whole app, as the demo gets it), and the two factories alone.
The app gets its settings from a temporary folder (a SQLite file whose tables are created
before the clock starts, a secret key), so nothing in the working tree is touched.

Goals (issue 10): ``chargeback --help`` under 0.5 s, any command's start-up under 1 s. Each
goal is judged on the best wall time and on the best CPU time; the exit status is 1 when a
CPU time misses its goal (wall time on a shared machine says as much about the neighbours
as about the code).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HELP_GOAL = 0.5
COMMAND_GOAL = 1.0
ENTRY = "import sys; from chargeback import main; sys.argv[0] = 'chargeback'; main()"
CREATE_APP = "from chargeback import create_app; create_app()"
LIGHT_APP = "from chargeback import create_app; create_app(web=False, migrations=False)"
TABLES = ("import os, sqlalchemy, chargeback.models; from chargeback.models.base import Base; "
          "Base.metadata.create_all(sqlalchemy.create_engine(os.environ['DATABASE_URL']))")

BASELINES = (
    ("python -c pass", ["-c", "pass"]),
    ("python -c 'import click'", ["-c", "import click"]),
)
CASES = (
    ("chargeback --help", ["-c", ENTRY, "--help"], HELP_GOAL),
    ("chargeback import --help", ["-c", ENTRY, "import", "--help"], COMMAND_GOAL),
    ("chargeback close --help", ["-c", ENTRY, "close", "--help"], COMMAND_GOAL),
    ("chargeback jobs --help", ["-c", ENTRY, "jobs", "--help"], COMMAND_GOAL),
    ("chargeback user add --help", ["-c", ENTRY, "user", "add", "--help"], COMMAND_GOAL),
    ("chargeback db --help", ["-c", ENTRY, "db", "--help"], COMMAND_GOAL),
    ("chargeback jobs list (light app)", ["-c", ENTRY, "jobs", "list"], COMMAND_GOAL),
    ("chargeback db current (+ migrations)", ["-c", ENTRY, "db", "current"], COMMAND_GOAL),
    ("chargeback openapi print (whole app)", ["-c", ENTRY, "openapi", "print"], COMMAND_GOAL),
    ("create_app(web=False, migrations=False)", ["-c", LIGHT_APP], COMMAND_GOAL),
    ("create_app() (whole, with migrations)", ["-c", CREATE_APP], COMMAND_GOAL),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chargeback-startup-") as folder:
        env = _environment(Path(folder))
        _run(["-c", TABLES], env)  # the tables a running command reads, not measured
        for argv in (["-c", ENTRY, "--help"], ["-c", CREATE_APP]):
            _run(argv, env)  # write and warm the bytecode caches, not measured
        figures = {name: best(argv, env, args.repeat) for name, argv in BASELINES}
        figures.update({name: best(argv, env, args.repeat) for name, argv, _ in CASES})
    missed = report(figures, args.repeat)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))
    sys.exit(1 if missed else 0)


def _environment(folder: Path) -> dict[str, str]:
    """The app's settings point into ``folder``: a SQLite file, the packs' folder. Python
    writes its bytecode caches (``__pycache__``), as an installed app has them: with
    ``PYTHONDONTWRITEBYTECODE`` set (some shells and containers set it) every run would
    compile the project's modules from source, about a third of a whole app's start-up."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update({"DATABASE_URL": f"sqlite:///{folder / 'startup.db'}",
                "SECRET_KEY": "startup-benchmark",
                "CHARGEBACK_PACK_DIR": str(folder / "packs")})
    return env


def best(argv: list[str], env: dict[str, str], repeat: int) -> dict[str, float]:
    """The best wall and the best CPU seconds of ``repeat`` fresh interpreters."""
    runs = [_run(argv, env) for _ in range(repeat)]
    return {"wall": min(r[0] for r in runs), "cpu": min(r[1] for r in runs)}


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *argv], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def report(figures: dict[str, dict[str, float]], repeat: int) -> list[str]:
    """Print the table; return the cases whose CPU time missed their goal. The ratios are
    of wall times, to ``python -c pass`` and to ``python -c 'import click'``."""
    bare, click_only = (figures[name] for name, _ in BASELINES)
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.2f}; best of {repeat} runs each")
    print(f"{'case':<42}{'wall s':>8}{'cpu s':>8}{'x pass':>8}{'x click':>9}  goal")
    missed = []
    goals = {name: goal for name, _, goal in CASES}
    for name, figure in figures.items():
        goal = goals.get(name)
        verdict = ""
        if goal is not None:
            wall_ok, cpu_ok = figure["wall"] < goal, figure["cpu"] < goal
            verdict = (f"< {goal} s: wall {'PASS' if wall_ok else 'FAIL'}, "
                       f"cpu {'PASS' if cpu_ok else 'FAIL'}")
            if not cpu_ok:
                missed.append(name)
        print(f"{name:<42}{figure['wall']:>8.3f}{figure['cpu']:>8.3f}"
              f"{figure['wall'] / bare['wall']:>8.1f}{figure['wall'] / click_only['wall']:>9.1f}"
              f"  {verdict}")
    return missed


if __name__ == "__main__":
    main()
