"""Closing, reopening and verifying months, and writing a closed month's pack again."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from chargeback.cli import PERIOD, cli_actor, refuse, unit_of_work


def _pack_dir() -> Path:
    return Path(current_app.config["CHARGEBACK_PACK_DIR"])


def _currency() -> str:
    return current_app.config["CHARGEBACK_CURRENCY"]


@click.command("close")
@click.argument("period", type=PERIOD)
@with_appcontext
def close_command(period: str) -> None:
    """Allocate, rate, check, freeze and seal PERIOD and publish its pack; prints its path."""
    from chargeback.extensions import db
    from chargeback.services.publication import close_and_publish

    with unit_of_work():
        path = close_and_publish(db.session, period, cli_actor(), pack_dir=_pack_dir(),
                                 default_currency=_currency())
    click.echo(str(path))


@click.command("reopen")
@click.argument("period", type=PERIOD)
@click.option("--reason", required=True, help="why the month is reopened (audit log)")
@with_appcontext
def reopen_command(period: str, reason: str) -> None:
    """Reopen a closed PERIOD for corrections (recorded with who and why)."""
    from chargeback.extensions import db
    from chargeback.services.closing import reopen_period

    with unit_of_work():
        reopen_period(db.session, period, reason, cli_actor())
    click.echo(f"period {period} reopened")


@click.command("pack")
@click.argument("period", type=PERIOD)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="write a copy here (the published pack itself is never overwritten)")
@click.option("--restore", is_flag=True,
              help="the published file changed: set it aside and write the pack again "
                   "(same figures, new checksum recorded and audited)")
@with_appcontext
def pack_command(period: str, out: Path | None, restore: bool) -> None:
    """Write the pack of a closed PERIOD again, from its frozen figures.

    Without --out: a published pack that is missing is written again; one that is there
    and intact is left as it is; one that changed since it was published is only replaced
    with --restore, which keeps the changed file beside it. The month must still match its
    seal.
    """
    from chargeback.extensions import db
    from chargeback.services.publication import rewrite_pack

    if restore and out is not None:
        raise click.UsageError("--restore writes the published pack in place; --out writes "
                               "a copy: give one of them")
    # A copy (--out) only reads the database; the published file is rewritten by one
    # writer at a time (a restore of a missing or changed pack records its checksum).
    with unit_of_work(writer=out is None):
        path, what = rewrite_pack(db.session, period, out, cli_actor(),
                                  default_currency=_currency(), restore=restore)
    click.echo(what, err=True)
    click.echo(str(path))


@click.command("statements")
@click.argument("period", type=PERIOD)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="the folder to write them into (default: statements/YYYY-MM in the pack "
                   "folder); created if missing")
@click.option("--consumer", "consumers", multiple=True, metavar="CODE",
              help="only this consumer's statement (may be repeated)")
@with_appcontext
def statements_command(period: str, out: Path | None, consumers: tuple[str, ...]) -> None:
    """Write the statement of each consumer of a closed PERIOD: one workbook per consumer.

    Each file (statement-YYYY-MM-CODE.xlsx) holds every charge line to the consumer by
    providing unit and service, the subtotals by unit and the totals, from the month's
    frozen figures; prints the paths. The month must be closed and match its seal.
    """
    from chargeback.extensions import db
    from chargeback.services.statements import write_all

    folder = out if out is not None else _pack_dir() / "statements" / period
    with unit_of_work(writer=False), _StatementsProgress() as progress:
        paths = write_all(db.session, period, folder, _currency(), codes=consumers,
                          progress=progress)
    for path in paths:
        click.echo(str(path))
    click.echo(f"{len(paths)} statement(s) of {period} written to {folder}", err=True)


class _StatementsProgress:
    """A terminal bar (stderr) once writing takes more than a moment: many consumers."""

    def __init__(self):
        self.bar = None

    def __enter__(self):
        return self

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=" statements", desc="writing", delay=0.5)
        if self.bar is not None:
            self.bar.update(done - self.bar.n)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()


@click.command("verify")
@click.argument("period", type=PERIOD, required=False)
@with_appcontext
def verify_command(period: str | None) -> None:
    """Recompute the seals of the closed months (or of PERIOD) and check every published
    pack file against its recorded checksum; name what differs (exit 1)."""
    from chargeback.extensions import db
    from chargeback.services import publication, seal
    from chargeback.services.queries import packs as pack_files

    with unit_of_work(writer=False):  # _finish takes the write lock if it has work
        publication.finish_interrupted(db.session)
    checked, findings = seal.verify(db.session, period)
    files, file_findings = pack_files.check_files(db.session, period)
    db.session.rollback()
    problems = [str(f) for f in findings] + [str(f) for f in file_findings]
    if not checked:
        refuse("\n".join([*problems, f"no sealed close{' of ' + period if period else ''} "
                                      "to verify"]))
    if problems:
        refuse("\n".join(problems) + _verdict(findings, file_findings))
    months = sorted({s.period for s in checked})
    click.echo(f"{len(checked)} seal(s) of {len(months)} month(s) verified: every sealed "
               f"figure and audit entry is as it was closed; {len(files)} pack file(s) "
               "match their recorded checksums")


def _verdict(findings: list, file_findings: list) -> str:
    parts = []
    if findings:
        parts.append(f"{len(findings)} difference(s) from the seals: these figures are not "
                     "the ones that were closed")
    if file_findings:
        parts.append(f"{len(file_findings)} pack file(s) missing or changed")
    return "\n" + "; ".join(parts)


COMMANDS = (close_command, reopen_command, pack_command, statements_command, verify_command)
