"""The ``chargeback`` command line (also ``flask --app wsgi ...``).

Exit status: 0 success, 1 refused input (message on stderr, nothing changed), 2 usage
errors (click's own, for an unknown command or kind or a missing argument). Each command
is one unit of work: it commits once at its end, or rolls back whole on a refusal.

This package is a delivery layer, like the web app, the API and the jobs: it never imports
them. The app factory registers this package's commands beside the scheduler's
(``chargeback.jobs.cli``) and the demo's (``chargeback.demo.cli``).

The ``chargeback`` console script loads a command's module only when that command is
invoked (``chargeback.cli.entry``): this package and the command modules import click, Flask's
``flask.cli`` and the vocabularies at the top, and everything heavier (the models, the
services, SQLAlchemy) inside the functions that use it, so ``--help`` costs little more than
Flask's own import. ``tests/chargeback/test_startup.py`` guards that.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING

import click

from chargeback.refusals import CONTENTION, Refused
from rules.vocabulary import period_problem

if TYPE_CHECKING:
    from flask import Flask


def cli_actor() -> str:
    """Who runs the command, for the audit log (``chargeback.access``, imported when a
    command runs: it brings the models and SQLAlchemy's ORM)."""
    from chargeback.access import command_line_actor

    return command_line_actor()


class PeriodType(click.ParamType):
    """A ``YYYY-MM`` argument; anything else is a usage error (exit 2)."""

    name = "YYYY-MM"

    def convert(self, value, param, ctx):
        problem = period_problem(value)
        if problem is None:
            return value
        self.fail(problem, param, ctx)


PERIOD = PeriodType()


def refuse(message: str) -> None:
    """Print to stderr and exit 1: refused input, nothing changed."""
    click.echo(message, err=True)
    sys.exit(1)


def warn(warnings) -> None:
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


@contextmanager
def unit_of_work(refused_suffix: str | None = None, *, writer: bool = True
                 ) -> Iterator[None]:
    """Commit what the block did, or roll it all back: a refusal prints every problem as
    ``line N: column: message`` (or ``where: field: message``) and exits 1.

    A command that writes starts as a writer (SQLite's ``BEGIN IMMEDIATE``), so it waits
    for another process's write instead of failing half-way with "database is locked"; one
    that mostly reads (``writer=False``) does not wait for a close to read. A deadlock or a
    lock wait the database gave up on is a refusal to try again, not a traceback.
    """
    from flask import current_app
    from sqlalchemy.exc import DBAPIError

    from chargeback.db_setup import is_contention, write_transaction
    from chargeback.extensions import db

    db.session.rollback()  # a command starts its own transaction
    try:
        with write_transaction() if writer else nullcontext():
            yield
            db.session.commit()
    except Refused as exc:
        db.session.rollback()
        warn(exc.warnings)
        refuse(str(exc) + (f"\n{refused_suffix}" if refused_suffix else ""))
    except DBAPIError as exc:
        db.session.rollback()
        if not is_contention(exc):
            raise
        refuse(contention_message(exc, current_app.config.get("CHARGEBACK_SQLITE_BUSY_SECONDS")))
    except BaseException:
        db.session.rollback()
        raise


BUSY_SETTING = "CHARGEBACK_SQLITE_BUSY_SECONDS"


def contention_message(error: BaseException, busy_seconds: int | None = None) -> str | None:
    """The one line a command ends with when the database stopped it because of another
    process (SQLite's lock held past the busy timeout; a PostgreSQL deadlock or lock wait),
    or None for any other error. Nothing was changed: the command's transaction is undone.
    """
    from sqlalchemy.exc import DBAPIError

    from chargeback.db_setup import SQLITE_BUSY_SECONDS, is_contention, is_sqlite_busy

    if is_sqlite_busy(error):
        waited = busy_seconds or SQLITE_BUSY_SECONDS
        return (f"the database is busy: another process (the demo, the web app, the scheduler "
                f"or another command) held its write lock for more than {waited} s; nothing "
                f"was changed: run the command again when that is done, or let it wait "
                f"longer with {BUSY_SETTING}=SECONDS")
    if isinstance(error, DBAPIError) and is_contention(error):
        return CONTENTION
    return None


def register_commands(app: Flask) -> None:
    from chargeback.cli import data, people, periods, tokens

    for module in (data, periods, people, tokens):
        for command in module.COMMANDS:
            app.cli.add_command(command)
