"""The ``chargeback`` console script's commands, each by import path and summary.

Every command the app factory registers (this package's, the scheduler's, the demo's, and
the ones Flask-Migrate and flask-smorest add) is named here, so ``chargeback --help`` lists them all without creating the app, and a command's
module is imported only when that command runs (``chargeback.cli.lazy``). The scheduler's and
the demo's commands are named by import path only: this package does not import the other
delivery layers.

A new command goes into its module's ``COMMANDS`` (which ``create_app`` registers, for
``flask --app wsgi``), into this table and into ``docs/cli.md``;
``tests/chargeback/test_startup.py`` fails until the first two agree, summary included, and
``tests/chargeback/test_cli_help.py`` until the document names it and its options.
"""

from __future__ import annotations

from collections.abc import Callable

from chargeback.cli.lazy import LazyCommand, LazyFlaskGroup

HELP = "IT holding-company chargeback: import, close, packs, web app."
EPILOG = ("A command's options: chargeback COMMAND --help. Every command, its options and "
          "exit statuses: docs/cli.md.")

COMMANDS: dict[str, LazyCommand] = {
    "import": LazyCommand("chargeback.cli.data:import_command",
                          "Import one FILE (CSV or XLSX) of KIND as one batch."),
    "scorecard": LazyCommand("chargeback.cli.data:scorecard_group",
                             "Scorecard versions (a unit's own definition of success)."),
    "rules": LazyCommand("chargeback.cli.data:rules_group",
                         "Allocation rules (how a unit shares its cost over consumers)."),
    "close": LazyCommand("chargeback.cli.periods:close_command",
                         "Allocate, rate, check, freeze and seal PERIOD and publish its pack; "
                         "prints its path."),
    "reopen": LazyCommand("chargeback.cli.periods:reopen_command",
                          "Reopen a closed PERIOD for corrections (recorded with who and why)."),
    "pack": LazyCommand("chargeback.cli.periods:pack_command",
                        "Write the pack of a closed PERIOD again, from its frozen figures."),
    "statements": LazyCommand("chargeback.cli.periods:statements_command",
                              "Write the statement of each consumer of a closed PERIOD: one "
                              "workbook per consumer."),
    "verify": LazyCommand("chargeback.cli.periods:verify_command",
                          "Recompute the seals of the closed months (or of PERIOD) and check "
                          "every published pack file against its recorded checksum; name what "
                          "differs (exit 1)."),
    "user": LazyCommand("chargeback.cli.people:user_group",
                        "People who sign in to the web app."),
    "token": LazyCommand("chargeback.cli.tokens:token_group",
                         "Personal API tokens (Authorization: Bearer ...)."),
    "scheduler": LazyCommand("chargeback.jobs.cli:scheduler_command",
                             "Run the scheduler process (closes months, nightly provisional "
                             "packs, run-now requests)."),
    "jobs": LazyCommand("chargeback.jobs.cli:jobs_group", "Scheduled jobs and their runs."),
    "demo": LazyCommand("chargeback.demo.cli:demo_command",
                        "Load the demo holding company, close its months, write their packs, "
                        "serve the app.", web=True),
    # Added by the extensions' init_app (Flask-Migrate, flask-smorest): the database's
    # migrations and the API's description are the product's too.
    "db": LazyCommand("flask_migrate.cli:db", "Perform database migrations.", migrations=True),
    "openapi": LazyCommand("flask_smorest.spec:openapi_cli", "OpenAPI commands.", web=True),
}
"""Flask's own commands (``run``, ``shell``, ``routes``) and the plugins' (Flask-Limiter's
``limiter``) are not the product's: ``flask --app wsgi ...`` has them."""


def command_group(make_app: Callable) -> LazyFlaskGroup:
    """The console script's group: the commands above and nothing of Flask's own, the app
    made by ``make_app(web=..., migrations=...)`` when a command runs, with the parts that
    command needs."""
    return LazyFlaskGroup(COMMANDS, make_app=make_app, add_version_option=False,
                          load_dotenv=False, help=HELP, epilog=EPILOG)
