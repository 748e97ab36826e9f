"""Start-up: the command line loads only what the invoked command needs, and nothing builds
rule-engine's parser before an expression is parsed.

The import graph is read from ``sys.modules`` of a fresh interpreter (a subprocess): this
test process has imported everything already. How fast start-up is lives in
``benchmarks/startup.py``; these tests check what is loaded, which does not depend on the
machine's load.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from flask.cli import FlaskGroup

from chargeback import create_app
from chargeback.cli.entry import COMMANDS, HELP, command_group

ROOT = Path(__file__).resolve().parents[2]

HEAVY = (
    # what the app and the commands' work need, never a listing or a command's --help
    "chargeback.models", "chargeback.services", "chargeback.importing", "chargeback.access",
    "chargeback.extensions", "chargeback.unit_of_work", "chargeback.db_setup",
    "chargeback.config", "chargeback.web", "chargeback.api", "chargeback.jobs",
    "chargeback.demo", "reports", "rules.scoring", "rules.expressions",
    "sqlalchemy", "flask_sqlalchemy", "flask_migrate", "alembic", "flask_smorest",
    "marshmallow", "flask_login", "flask_wtf", "flask_limiter", "flask_talisman",
    "apscheduler", "openpyxl", "python_calamine", "rule_engine", "pandas", "tqdm", "psycopg",
)

# This package's commands and groups, and a subcommand of each group.
OWN_COMMANDS = (
    ["import"], ["scorecard"], ["scorecard", "import"], ["rules"], ["rules", "import"],
    ["close"], ["reopen"], ["pack"], ["statements"], ["verify"], ["user"], ["user", "add"], ["token"],
    ["token", "create"], ["token", "revoke"], ["token", "list"],
)


def fresh_python(code: str, tmp_path: Path) -> dict:
    """Run ``code`` in a new interpreter (settings pointing into ``tmp_path``) and return
    the JSON it prints on its last line."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'startup.db'}",
           "SECRET_KEY": "startup-test", "CHARGEBACK_PACK_DIR": str(tmp_path / "packs")}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


INVOKE_HELP = """
    import contextlib, io, json, sys
    from chargeback import main

    HEAVY = {heavy!r}
    printed = []
    for args in {invocations!r}:
        sys.argv = ["chargeback", *args, "--help"]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                main()
            except SystemExit as exit:
                assert exit.code in (0, None), (args, exit.code)
        printed.append(out.getvalue())
    loaded = sorted(m for m in sys.modules
                    if any(m == h or m.startswith(h + ".") for h in HEAVY))
    print(json.dumps({{"loaded": loaded, "printed": printed}}))
"""


def test_help_loads_no_command_and_nothing_heavy(tmp_path):
    """``chargeback --help`` lists every command without importing any command module, the
    app factory's layers or the libraries they use."""
    found = fresh_python(INVOKE_HELP.format(heavy=HEAVY + ("chargeback.cli.data",
                                                           "chargeback.cli.periods",
                                                           "chargeback.cli.people",
                                                           "chargeback.cli.tokens"),
                                            invocations=[[]]), tmp_path)
    assert found["loaded"] == []
    listing = found["printed"][0]
    assert HELP in listing
    for name in COMMANDS:
        assert f"\n  {name} " in listing, name


def test_own_commands_help_loads_nothing_heavy(tmp_path):
    """Each of this package's commands (and a subcommand of each group) answers ``--help``
    from its own module: no model, service, database library or rule engine."""
    found = fresh_python(INVOKE_HELP.format(heavy=HEAVY, invocations=OWN_COMMANDS), tmp_path)
    assert found["loaded"] == []
    assert all(printed.startswith("Usage: chargeback ") for printed in found["printed"])


def test_creating_the_app_does_not_build_the_parser(tmp_path):
    """The app is made without importing rule-engine (importing it builds its parser); the
    first parse imports it, once, and every later parse reuses it."""
    found = fresh_python("""
        import json, sys
        from chargeback import create_app
        from rules import expressions

        create_app()
        before = ("rule_engine" in sys.modules, expressions._engine.cache_info().currsize)
        parsed, errors = expressions.parse("desktop_spend / seats")
        again, _ = expressions.parse("spend / budget")
        after = ("rule_engine" in sys.modules, expressions._engine.cache_info().currsize)
        print(json.dumps({"before": before, "after": after, "errors": [str(e) for e in errors],
                          "order": parsed.order + again.order}))
    """, tmp_path)
    assert found["before"] == [False, 0]
    assert found["after"] == [True, 1]
    assert found["errors"] == [] and found["order"] == ["desktop_spend", "seats", "spend",
                                                        "budget"]


def test_first_parses_from_many_threads_at_once(tmp_path):
    """Web workers' threads may all make their first parse together: each gets its own
    right answer (refusals included) and one rule-engine is imported for all of them."""
    found = fresh_python("""
        import json, threading
        from decimal import Decimal
        from rules import expressions

        texts = [f"m{i} / (n{i} + 1)" if i % 3 else f"m{i} / (n{i} +" for i in range(12)]
        start, results = threading.Barrier(len(texts)), {}

        def first_parse(text):
            start.wait()
            parsed, errors = expressions.parse(text)
            results[text] = (str(expressions.evaluate(parsed, {parsed.order[0]: Decimal(6),
                                                               parsed.order[1]: Decimal(2)})[0])
                             if parsed else [e.message for e in errors])

        threads = [threading.Thread(target=first_parse, args=(t,)) for t in texts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(json.dumps({"results": results,
                          "engines": expressions._engine.cache_info().currsize}))
    """, tmp_path)
    assert found["engines"] == 1
    for i in range(12):
        if i % 3:
            assert found["results"][f"m{i} / (n{i} + 1)"] == "2"
        else:
            assert found["results"][f"m{i} / (n{i} +"] == ["syntax error (incomplete expression)"]


@pytest.fixture
def bare_app(tmp_path):
    """An app whose database is never opened: listing commands needs no schema."""
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'unused.db'}",
                       "SECRET_KEY": "startup-test", "TESTING": True,
                       "CHARGEBACK_PACK_DIR": str(tmp_path / "packs")})


@pytest.mark.parametrize("width", [80, 50])
def test_lazy_listing_is_flasks_eager_listing(bare_app, width):
    """``chargeback --help`` prints exactly what Flask's own group printed after creating the
    app (every command, the same summaries shortened the same way), at any width."""
    eager = FlaskGroup(create_app=lambda: bare_app, add_default_commands=True,
                       add_version_option=False, load_dotenv=False, help=HELP)
    lazy = command_group(create_app=lambda: bare_app)
    runner = CliRunner()
    expected = runner.invoke(eager, ["--help"], prog_name="chargeback", terminal_width=width)
    got = runner.invoke(lazy, ["--help"], prog_name="chargeback", terminal_width=width)
    assert expected.exit_code == got.exit_code == 0
    assert got.output == expected.output


def test_each_lazy_command_is_the_one_the_app_registers(bare_app):
    """Every entry loads the very command ``create_app`` (or a ``flask.commands`` plugin)
    registers under that name, and its stored summary is the first paragraph of its help;
    the app registers no command the table leaves out."""
    group = FlaskGroup(create_app=lambda: bare_app)
    with click.Context(group) as ctx:
        registered = {name: group.get_command(ctx, name) for name in group.list_commands(ctx)}
    flask_own = {"run", "shell", "routes"}
    assert set(registered) - flask_own == set(COMMANDS)
    for name, lazy in COMMANDS.items():
        command = lazy.load()
        assert command is registered[name], name
        first_paragraph = (command.short_help or command.help).partition("\n\n")[0]
        assert lazy.summary == " ".join(first_paragraph.split()), name


def test_lazy_command_runs_with_the_app(tmp_path):
    """A command loaded by import path still gets the app when it runs: ``openapi print``
    (flask-smorest's, registered lazily) prints the app's API description."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'startup.db'}",
           "SECRET_KEY": "startup-test", "CHARGEBACK_PACK_DIR": str(tmp_path / "packs")}
    script = Path(sys.executable).with_name("chargeback")
    done = subprocess.run([str(script), "openapi", "print"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "/api/v1/" in json.dumps(json.loads(done.stdout)["paths"])
