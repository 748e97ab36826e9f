"""Start-up: the command line loads only what the invoked command needs, and nothing builds
rule-engine's parser before an expression is parsed.

The import graph is read from ``sys.modules`` of a fresh interpreter (a subprocess): this
test process has imported everything already. How fast start-up is lives in
``benchmarks/startup.py``; these tests check what is loaded, which does not depend on the
machine's load.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import click
import flask_smorest
import pytest
import sqlalchemy
from click.testing import CliRunner
from flask.cli import ScriptInfo

from chargeback import create_app
from chargeback.api.extension import ChargebackApi
from chargeback.cli.entry import COMMANDS, EPILOG, HELP, command_group
from chargeback.importing.schemas import columns
from chargeback.models.base import Base
from chargeback.vocabulary import IMPORT_KINDS

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
    ["scorecard"], ["scorecard", "import"], ["rules"], ["rules", "import"],
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


def test_import_help_reads_the_columns_from_the_importer(tmp_path):
    """``chargeback import --help`` lists every kind with its columns, read from the
    importer's schemas when the help is printed (marshmallow and those schemas, then), and
    nothing else heavy: no model, SQLAlchemy or app."""
    found = fresh_python(INVOKE_HELP.format(heavy=HEAVY, invocations=[["import"]]), tmp_path)
    allowed = ("chargeback.importing", "chargeback.importing.schemas",
               "chargeback.importing.fields", "chargeback.importing.text", "marshmallow")
    assert [m for m in found["loaded"] if not m.startswith(allowed)] == []
    printed = found["printed"][0]
    for kind in IMPORT_KINDS:
        required, optional = columns(kind)
        line = next(line for line in printed.splitlines() if line.startswith(f"  {kind} "))
        assert line.split()[1].rstrip(",") == required[0], kind
        assert all(name in " ".join(printed.split()) for name in required + optional), kind


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
def test_lazy_listing_is_clicks_eager_listing(bare_app, width):
    """``chargeback --help`` prints exactly what click's own group prints with every command
    loaded (the same summaries shortened the same way, at any width), and no option or
    command of Flask's own (``--app``, ``run``, ``shell``, ``routes``)."""
    eager = click.Group(help=HELP, epilog=EPILOG,
                        commands={name: lazy.load() for name, lazy in COMMANDS.items()})
    lazy = command_group(make_app=lambda **_parts: bare_app)
    runner = CliRunner()
    expected = runner.invoke(eager, ["--help"], prog_name="chargeback", terminal_width=width)
    got = runner.invoke(lazy, ["--help"], prog_name="chargeback", terminal_width=width)
    assert expected.exit_code == got.exit_code == 0
    assert got.output == expected.output
    for flasks_own in ("--app", "--env-file", "--debug", "  run ", "  shell ", "  routes ",
                       "  limiter "):
        assert flasks_own not in got.output
    for flasks_own in (["routes"], ["run"], ["shell"], ["--app", "wsgi", "routes"]):
        assert runner.invoke(lazy, flasks_own, prog_name="chargeback").exit_code == 2


def test_each_lazy_command_is_the_one_the_app_registers(bare_app):
    """Every entry loads the very command ``create_app`` registers under that name (for
    ``flask --app wsgi``), and its stored summary is the first paragraph of its help; the
    app registers no command the table leaves out."""
    registered = bare_app.cli.commands
    assert set(registered) == set(COMMANDS)
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


WEB_ONLY = (
    # what pages and the API need, never a command that serves neither
    "chargeback.web", "chargeback.api", "flask_smorest", "apispec", "marshmallow",
    "flask_login", "flask_wtf", "wtforms", "flask_limiter", "flask_talisman",
)
NEVER_AT_START = (
    # what only some work needs (a pack, a statement, a parse, a migration, a QR code, a
    # password to judge, a progress bar): not even the whole app imports it to start
    "openpyxl", "reports.pack", "reports.statement", "reports.styles", "rule_engine",
    "flask_migrate", "alembic", "segno", "zxcvbn", "tqdm", "pandas", "apscheduler",
    "chargeback.jobs.targets",
)

RUN_COMMAND = """
    import contextlib, io, json, sys

    from chargeback import main
    sys.argv = ["chargeback", *{args!r}]
    out = io.StringIO()
    status = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            main()
        except SystemExit as exit:
            status = exit.code or 0
    watched = {watched!r}
    loaded = sorted(m for m in sys.modules
                    if any(m == w or m.startswith(w + ".") for w in watched))
    print(json.dumps({{"loaded": loaded, "printed": out.getvalue(), "status": status}}))
"""


@pytest.mark.parametrize(("args", "status", "says"), [
    (["jobs", "list"], 0, "no job runs yet"), (["token", "list"], 0, ""),
    (["verify"], 1, "no sealed close to verify")])
def test_a_command_that_serves_nothing_runs_without_the_web(tmp_path, args, status, says):
    """A command that neither serves pages nor the API runs on ``create_app(web=False,
    migrations=False)``: no blueprint, no flask-smorest, no security extension, no
    Flask-Migrate, nothing only some other work needs."""
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'startup.db'}")
    Base.metadata.create_all(engine)  # the tables, so that the command has something to read
    engine.dispose()
    found = fresh_python(RUN_COMMAND.format(args=args,
                                            watched=WEB_ONLY + NEVER_AT_START), tmp_path)
    assert found["loaded"] == []
    assert (found["status"], says in found["printed"]) == (status, True), found["printed"]


def test_the_whole_app_starts_without_what_only_work_needs(tmp_path):
    """``create_app()`` (gunicorn's, the tests', the demo's and ``openapi``'s app) imports
    neither the pack and statement writers and openpyxl, nor rule-engine, the job targets,
    the QR code or the password estimator: the pages that use them import them. It binds
    Flask-Migrate (``flask --app wsgi db``) unless told not to."""
    found = fresh_python(f"""
        import json, sys
        from chargeback import create_app

        app = create_app(migrations=False)
        watched = {NEVER_AT_START!r}
        print(json.dumps({{"loaded": sorted(m for m in sys.modules if any(
                               m == w or m.startswith(w + ".") for w in watched)),
                           "blueprints": len(app.blueprints),
                           "migrate": "migrate" in app.extensions}}))
    """, tmp_path)
    assert found["loaded"] == []
    assert found["blueprints"] > 10 and found["migrate"] is False


def test_the_light_app_and_migrations_bound_later(tmp_path):
    """``create_app(web=False, migrations=False)`` has the database and the commands but no
    page, API or static route; ``bind_migrations`` (what the demo calls before it migrates)
    makes ``flask_migrate.upgrade`` work on it, once."""
    from flask_migrate import upgrade
    from sqlalchemy import inspect

    from chargeback import bind_migrations
    from chargeback.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'light.db'}",
                      "SECRET_KEY": "startup-test", "CHARGEBACK_PACK_DIR": str(tmp_path)},
                     web=False, migrations=False)
    assert app.blueprints == {} and list(app.url_map.iter_rules()) == []
    assert "migrate" not in app.extensions and "close" in app.cli.commands
    bind_migrations(app)
    bound = app.extensions["migrate"]
    bind_migrations(app)
    assert app.extensions["migrate"] is bound
    with app.app_context():
        upgrade()
        assert "job_runs" in inspect(db.engine).get_table_names()


def test_each_command_gets_the_app_it_needs():
    """The console script makes the whole app for the commands that serve or describe pages
    and the API, Flask-Migrate for ``db``, and the light app for every other."""
    made = []
    group = command_group(make_app=lambda **parts: made.append(parts))
    whole = {"demo", "openapi"}
    for name, lazy in COMMANDS.items():
        with click.Context(group, obj=None) as ctx:
            group.get_command(ctx, name)
            ctx.find_object(ScriptInfo).create_app()
        assert made[-1] == {"web": name in whole, "migrations": name == "db"}, name
        assert lazy.web == (name in whole)


def test_job_targets_found_by_their_old_and_new_references():
    """``chargeback.jobs`` imports nothing, yet a job stored as ``chargeback.jobs:close_month``
    (what schedulers stored before the targets moved) runs the same function as
    ``chargeback.jobs.targets:close_month``; a name that is no target stays an error."""
    from apscheduler.util import ref_to_obj

    from chargeback import jobs
    from chargeback.jobs import targets

    assert ref_to_obj("chargeback.jobs:close_month") is targets.close_month
    assert ref_to_obj("chargeback.jobs.targets:process_requests") is jobs.process_requests
    with pytest.raises(AttributeError):
        jobs.no_such_job  # noqa: B018


@pytest.mark.parametrize("enabled", [True, False])
def test_building_the_app_leaves_the_garbage_collector_as_it_was(tmp_path, enabled):
    """``create_app`` pauses the cyclic collector while it imports and wires the layers
    (nothing it makes is garbage) and leaves it as it found it, on or off, even when the
    build fails."""
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'unused.db'}",
                    "SECRET_KEY": "startup-test"}, web=False, migrations=False)
        assert gc.isenabled() is enabled
        with pytest.raises(TypeError):
            create_app(config=42, web=False, migrations=False)  # the settings fail
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def _whole_app(tmp_path):
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'unused.db'}",
                       "SECRET_KEY": "startup-test", "TESTING": True,
                       "CHARGEBACK_PACK_DIR": str(tmp_path / "packs")})


def test_the_api_is_described_when_its_document_is_first_read(tmp_path, monkeypatch):
    """Building the app routes the API's blueprints but leaves the OpenAPI document to its
    first reader; the document is then exactly the one flask-smorest's own, eager
    ``register_blueprint`` makes, every blueprint with its tag, in the same order."""
    api = _whole_app(tmp_path).extensions["chargeback-api"]
    assert [name for _, name, _ in api._undocumented]  # nothing described yet
    lazy = json.dumps(api.spec.to_dict(), sort_keys=False)
    assert not api._undocumented

    monkeypatch.setattr(ChargebackApi, "register_blueprint", flask_smorest.Api.register_blueprint)
    eager_api = _whole_app(tmp_path / "eager").extensions["chargeback-api"]
    assert not eager_api._undocumented
    assert lazy == json.dumps(eager_api.spec.to_dict(), sort_keys=False)
    tags = [tag["name"] for tag in json.loads(lazy)["tags"]]
    assert len(tags) == len(set(tags)) >= 9


def test_two_first_readers_of_the_api_document_both_get_all_of_it(tmp_path):
    """The document is described once: a second thread reading it meanwhile waits for it."""
    api = _whole_app(tmp_path).extensions["chargeback-api"]
    start = threading.Barrier(4)
    documents = []

    def read():
        start.wait()
        documents.append(json.dumps(api.spec.to_dict()))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(documents) == 4 and len(set(documents)) == 1
    assert len(json.loads(documents[0])["paths"]) > 30
