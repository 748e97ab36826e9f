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

from chargeback.importing.fields import PERIOD_RE
from chargeback.models import IMPORT_KINDS


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
        if isinstance(value, str) and PERIOD_RE.match(value):
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
@with_appcontext
def demo_command() -> None:
    """Load the demo holding company into the configured database."""
    from chargeback.demo import run_demo

    run_demo(echo=click.echo)


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


def register_commands(app: Flask) -> None:
    for command in (import_command, demo_command, scorecard_group, rules_group, close_command,
                    reopen_command, pack_command):
        app.cli.add_command(command)


def main() -> None:
    """Console script entry point: a Flask group bound to ``create_app``."""
    from chargeback import create_app

    group = FlaskGroup(create_app=lambda: create_app(), add_default_commands=True,
                       add_version_option=False, load_dotenv=False,
                       help="IT holding-company chargeback: import, close, packs, web app.")
    group.main(prog_name="chargeback")
