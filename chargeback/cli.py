"""The ``chargeback`` command line (also ``flask --app wsgi ...``).

Exit status: 0 success, 1 refused input (message on stderr, nothing changed), 2 usage
errors (click's own, for an unknown command or kind or a missing argument).
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from chargeback.models import IMPORT_KINDS


def cli_actor() -> str:
    """Who ran a command: the operating-system account, as the audit log records it."""
    try:
        return f"cli:{getpass.getuser()}"
    except OSError:
        return "cli:unknown"


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


def register_commands(app: Flask) -> None:
    for command in (import_command, demo_command):
        app.cli.add_command(command)


def main() -> None:
    """Console script entry point: a Flask group bound to ``create_app``."""
    from chargeback import create_app

    group = FlaskGroup(create_app=lambda: create_app(), add_default_commands=True,
                       add_version_option=False, load_dotenv=False,
                       help="IT holding-company chargeback: import, close, packs, web app.")
    group.main(prog_name="chargeback")
