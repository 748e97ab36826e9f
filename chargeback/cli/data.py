"""Putting data in: import files, scorecard files and allocation rule files."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from chargeback.cli import cli_actor, refuse, unit_of_work, warn
from chargeback.vocabulary import IMPORT_KINDS, REPLACEABLE_KINDS


class ImportCommand(click.Command):
    """``import``, whose help lists every kind with its columns, read from the importer's own
    schemas (``importing.schemas.columns``) when the help is printed: never a copy that could
    drift, and nothing imported for the command line's listing."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from chargeback.importing.schemas import columns

        rows = []
        for kind in IMPORT_KINDS:
            required, optional = columns(kind)
            rows.append((kind, ", ".join(required)
                         + (f" (optional: {', '.join(optional)})" if optional else "")))
        with formatter.section("Kinds and the columns of their header row"):
            formatter.write_dl(rows)
        super().format_epilog(ctx, formatter)


@click.command("import", cls=ImportCommand,
               epilog="The files' format, column by column: docs/spec/interfaces.md "
                      "(\"Import files\") and docs/imports.md.")
@click.argument("kind", type=click.Choice(IMPORT_KINDS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True,
              help="spend/usage: replace the stored lines of the months and units the file covers")
@with_appcontext
def import_command(kind: str, file: Path, replace: bool) -> None:
    """Import one FILE (CSV or XLSX) of KIND as one batch."""
    from chargeback.extensions import db
    from chargeback.importing.limits import ImportLimits
    from chargeback.services.importing import import_file

    if replace and kind not in REPLACEABLE_KINDS:
        raise click.UsageError("--replace applies to spend and usage files only")
    with unit_of_work(), file.open("rb") as stream, \
            TerminalProgress(file) as bar:
        result = import_file(db.session, kind, stream, file.name, cli_actor(), replace=replace,
                             progress=bar, limits=ImportLimits.from_config(current_app.config))
    if not result.ok:  # the refused batch is kept, with its errors, as a record
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


def read_json(file: Path):
    """JSON with decimals kept exact (4.5 stays Decimal('4.5'), never a float), read within
    the app's limits (size, depth, count; a key twice refused; a byte order mark accepted:
    ``chargeback.safe_json``)."""
    from chargeback.safe_json import JsonLimits, JsonRefused, check_size, loads

    limits = JsonLimits.from_config(current_app.config)
    try:
        check_size(file.stat().st_size, limits)  # before the file is read
        return loads(file.read_bytes(), limits)
    except JsonRefused as exc:
        refuse(f"{file.name}: not accepted as JSON: {exc.message}")


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

    data = read_json(file)
    with unit_of_work(f"{file.name}: refused; nothing stored"):
        result = save_version(db.session, data, cli_actor(), status="approved",
                              source=file.name,
                              max_criteria=current_app.config["CHARGEBACK_MAX_CRITERIA"])
        version = result.version
        summary = (f"{file.name}: scorecard version {version.version} of "
                   f"{len(version.criteria)} criteria approved, in force from "
                   f"{version.effective_from}")
    warn(result.warnings)
    click.echo(summary)


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

    data = read_json(file)
    with unit_of_work(f"{file.name}: refused; nothing stored"):
        rule_set = save_rules(db.session, data, cli_actor())
        summary = (f"{file.name}: {len(rule_set.rules)} rule(s) stored, in force from "
                   f"{rule_set.effective_from}")
    click.echo(summary)


COMMANDS = (import_command, scorecard_group, rules_group)
