"""The ``chargeback`` command line (also ``flask --app wsgi ...``).

Exit status: 0 success, 1 refused input (message on stderr, nothing changed), 2 usage
errors (click's own, for an unknown command or kind or a missing argument).
"""

from __future__ import annotations

import getpass
import json
import sys
from decimal import Decimal
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from chargeback.vocabulary import IMPORT_KINDS, ROLES
from rules.vocabulary import is_period


def cli_actor() -> str:
    """Who ran a command: the operating-system account, as the audit log records it."""
    try:
        return f"cli:{getpass.getuser()}"
    except OSError:
        return "cli:unknown"


class PeriodType(click.ParamType):
    """A ``YYYY-MM`` argument; anything else is a usage error (exit 2)."""

    name = "YYYY-MM"

    def convert(self, value, param, ctx):
        if is_period(value):
            return value
        self.fail(f"'{value}' is not a period: write YYYY-MM, e.g. 2026-03", param, ctx)


PERIOD = PeriodType()


def refuse(message: str) -> None:
    """Print to stderr and exit 1: refused input, nothing changed."""
    click.echo(message, err=True)
    sys.exit(1)


@click.command("import")
@click.argument("kind", type=click.Choice(IMPORT_KINDS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True,
              help="spend/usage: replace the stored lines of the months and units the file covers")
@with_appcontext
def import_command(kind: str, file: Path, replace: bool) -> None:
    """Import one FILE (CSV or XLSX) of KIND as one batch."""
    from chargeback.extensions import db
    from chargeback.services.importing import import_file

    if replace and kind not in ("spend", "usage"):
        raise click.UsageError("--replace applies to spend and usage files only")
    with file.open("rb") as stream, TerminalProgress(file) as bar:
        result = import_file(db.session, kind, stream, file.name, cli_actor(), replace=replace,
                             progress=bar)
    db.session.commit()
    if not result.ok:
        click.echo("\n".join(result.errors), err=True)
        refuse(result.summary())
    click.echo(result.summary())


class TerminalProgress:
    """A terminal bar for files of 5 MB and more; small files import in a blink."""

    def __init__(self, file: Path):
        self.size = file.stat().st_size
        self.bar = None

    def __enter__(self):
        if self.size >= 5_000_000 and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=self.size, unit="B", unit_scale=True, desc="importing")
        return self

    def __call__(self, position: int) -> None:
        if self.bar is not None:
            self.bar.update(position - self.bar.n)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()


@click.command("demo")
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="serve the web app when the demo is loaded")
@click.option("--port", default=5000, show_default=True, help="port on 127.0.0.1")
@with_appcontext
def demo_command(serve: bool, port: int) -> None:
    """Load the demo holding company, close its months, write their packs, serve the app."""
    from flask import current_app

    from chargeback.demo import ensure_demo_users, run_demo
    from chargeback.extensions import db

    run_demo(echo=click.echo)
    logins = ensure_demo_users(db.session, click.echo)
    click.echo("Sign in with (passwords are new on every run of the demo):")
    for email, role, password in logins:
        click.echo(f"  {role:<11} {email:<26} {password}")
    if serve:
        from werkzeug.serving import run_simple

        from chargeback.scheduler import start_in_background

        app = current_app._get_current_object()
        scheduler = start_in_background(app)
        click.echo(f"Serving the web app at http://127.0.0.1:{port}/ with the scheduler "
                   "(Ctrl+C to stop)")
        try:
            run_simple("127.0.0.1", port, app, threaded=True)
        finally:
            scheduler.shutdown(wait=True)


def _read_json(file: Path):
    """JSON with decimals kept exact (4.5 stays Decimal('4.5'), never a float)."""
    try:
        return json.loads(file.read_text(encoding="utf-8"), parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        refuse(f"{file.name}: not a JSON file ({exc})")


@click.group("scorecard")
def scorecard_group() -> None:
    """Scorecard versions (a unit's own definition of success)."""


@scorecard_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def scorecard_import(file: Path) -> None:
    """Store a scorecard FILE (JSON) as an approved version: the command line is central IT's."""
    from chargeback.extensions import db
    from chargeback.services.scorecards import save_version

    result = save_version(db.session, _read_json(file), cli_actor(), status="approved",
                          source=file.name)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not result.ok:
        db.session.rollback()
        refuse("\n".join(map(str, result.errors)) + f"\n{file.name}: refused; nothing stored")
    db.session.commit()
    version = result.version
    click.echo(f"{file.name}: scorecard version {version.version} of "
               f"{version.criteria and len(version.criteria)} criteria approved, "
               f"in force from {version.effective_from}")


@click.group("rules")
def rules_group() -> None:
    """Allocation rules (how a unit shares its cost over consumers)."""


@rules_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def rules_import(file: Path) -> None:
    """Store a unit's allocation rules FILE (JSON)."""
    from chargeback.extensions import db
    from chargeback.services.allocation_rules import save_rules

    rule_set, errors = save_rules(db.session, _read_json(file), cli_actor())
    if errors:
        db.session.rollback()
        refuse("\n".join(map(str, errors)) + f"\n{file.name}: refused; nothing stored")
    db.session.commit()
    click.echo(f"{file.name}: {len(rule_set.rules)} rule(s) stored, in force from "
               f"{rule_set.effective_from}")


@click.command("close")
@click.argument("period", type=PERIOD)
@with_appcontext
def close_command(period: str) -> None:
    """Allocate, rate, check, freeze PERIOD and write its pack; prints the pack's path."""
    from chargeback.services.close_runner import close_and_publish

    click.echo(str(close_and_publish(period, cli_actor(), refuse)))


@click.command("reopen")
@click.argument("period", type=PERIOD)
@click.option("--reason", required=True, help="why the month is reopened (audit log)")
@with_appcontext
def reopen_command(period: str, reason: str) -> None:
    """Reopen a closed PERIOD for corrections (recorded with who and why)."""
    from chargeback.extensions import db
    from chargeback.services.closing import reopen_period
    from chargeback.services.periods import PeriodRefused

    try:
        reopen_period(db.session, period, reason, cli_actor())
    except PeriodRefused as exc:
        db.session.rollback()
        refuse(str(exc))
    db.session.commit()
    click.echo(f"period {period} reopened")


@click.command("pack")
@click.argument("period", type=PERIOD)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="where to write (default: the pack folder, the close's file name)")
@with_appcontext
def pack_command(period: str, out: Path | None) -> None:
    """Write the pack of a closed PERIOD again, from its stored figures."""
    from chargeback.services.close_runner import rewrite_pack

    click.echo(str(rewrite_pack(period, out, refuse)))


@click.group("user")
def user_group() -> None:
    """People who sign in to the web app."""


@user_group.command("add")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--unit", "units", multiple=True, metavar="CODE",
              help="a unit in the user's scope (repeat; required for unit_head)")
@with_appcontext
def user_add(email: str, role: str, units: tuple[str, ...]) -> None:
    """Add a user. The password is one line of standard input; when standard input is a
    terminal or the line is empty, a password is generated and printed once."""
    from chargeback.extensions import db
    from chargeback.services.users import UserRefused, create_user, generate_password

    password = "" if sys.stdin.isatty() else sys.stdin.readline().rstrip("\r\n")
    generated = not password
    if generated:
        password = generate_password()
    try:
        user = create_user(db.session, email, role, password, cli_actor(), list(units))
    except UserRefused as exc:
        db.session.rollback()
        refuse(str(exc))
    db.session.commit()
    click.echo(f"user {user.email} added as {role}"
               + (f" for {', '.join(units)}" if units else ""))
    if generated:
        click.echo(f"password (shown once): {password}")


@click.command("scheduler")
@click.option("--once", is_flag=True,
              help="catch up on due months and queued requests, then exit")
@with_appcontext
def scheduler_command(once: bool) -> None:
    """Run the scheduler process (closes months, nightly provisional packs, run-now requests)."""
    import logging

    from flask import current_app

    from chargeback import scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    scheduler.run(current_app._get_current_object(), once=once)


@click.group("jobs")
def jobs_group() -> None:
    """Scheduled jobs and their runs."""


@jobs_group.command("list")
@click.option("--limit", default=20, show_default=True)
@with_appcontext
def jobs_list(limit: int) -> None:
    """The latest job runs."""
    from sqlalchemy import select

    from chargeback.extensions import db
    from chargeback.models import JobRun

    runs = db.session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(limit)).all()
    if not runs:
        click.echo("no job runs yet")
    for run in runs:
        click.echo(f"{run.id:>5} {run.job:<12} {run.period or '-':<8} {run.status:<9} "
                   f"{run.progress:>3}% {run.created_at:%Y-%m-%d %H:%M} {run.message or ''}")


@jobs_group.command("run")
@click.argument("job", type=click.Choice(("close-month", "provisional")))
@click.option("--period", type=PERIOD, help="the month (default: what is due)")
@with_appcontext
def jobs_run(job: str, period: str | None) -> None:
    """Run JOB now, in this process."""
    from flask import current_app

    from chargeback import jobs

    jobs.bind(current_app._get_current_object())
    outcomes = jobs.run_now(job, period, cli_actor())
    if not outcomes:
        click.echo(f"{job}: nothing is due")
    for outcome in outcomes:
        click.echo(f"{outcome.job} {outcome.period or '-'}: {outcome.status}: {outcome.message}")
    if any(o.status == "failed" for o in outcomes):
        sys.exit(1)


def register_commands(app: Flask) -> None:
    from chargeback.api.cli import token_group

    for command in (import_command, demo_command, scorecard_group, rules_group, close_command,
                    reopen_command, pack_command, user_group, scheduler_command, jobs_group,
                    token_group):
        app.cli.add_command(command)


def main() -> None:
    """Console script entry point: a Flask group bound to ``create_app``."""
    from chargeback import create_app

    group = FlaskGroup(create_app=lambda: create_app(), add_default_commands=True,
                       add_version_option=False, load_dotenv=False,
                       help="IT holding-company chargeback: import, close, packs, web app.")
    group.main(prog_name="chargeback")
