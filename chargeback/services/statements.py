"""Consumer statements: the bill of each cost center for a closed month, as its own workbook.

Only a closed month has statements: its figures are read from what its close froze
(``queries.statements``), so a statement written today and one written after later
imports, new consumers, rates or renames hold the same figures. The command line writes
one file per consumer (``write_all``, after checking the month against its seal, as
``chargeback pack`` does); the web app and the API build one for download (``build``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from chargeback.models import Period
from chargeback.models.types import as_utc
from chargeback.refusals import Conflict, NotFound
from chargeback.services import seal
from chargeback.services.queries import closed_month
from chargeback.services.queries import statements as queries
from chargeback.vocabulary import PERIOD_CLOSED, PERIOD_PUBLISHING
from reports.model import StatementLine

if TYPE_CHECKING:
    from reports.statement import ConsumerStatement

__all__ = ["Header", "StatementRefused", "build", "closed_period", "consumer_of", "filename",
           "header", "workbook_bytes", "write_all"]


class StatementRefused(Conflict):
    """Statements the state of the month does not allow (it is open, or its figures no
    longer match its seal)."""

    def __init__(self, *messages: str):
        super().__init__(*messages, kind="period")


def closed_period(session: Session, period: str) -> Period:
    """The period's row if it is closed: NotFound for a month that does not exist,
    StatementRefused for one that is open (never closed, or reopened) or being closed."""
    row = session.get(Period, period)
    if row is None:
        raise NotFound(f"There is no period {period}: a month exists once data for it is "
                       "imported.", kind="period")
    if row.status == PERIOD_CLOSED:
        return row
    if row.status == PERIOD_PUBLISHING:
        raise StatementRefused(f"period {period} is being closed: its statements exist once "
                               "its pack is published")
    if row.close_count == 0:
        raise StatementRefused(f"period {period} is open: statements are written for closed "
                               f"months only; close it first (`chargeback close {period}`)")
    raise StatementRefused(f"period {period} was reopened and is open: its figures may "
                           "change; close it again to get its statements")


@dataclass(frozen=True)
class Header:
    """What every statement of the month says about the month."""

    period: str
    revision: int
    currency: str
    closed_at: dt.datetime | None
    seal: str | None


def header(session: Session, period: str, default_currency: str) -> Header:
    """The month's revision, currency, close time and seal (it must be closed)."""
    row = closed_period(session, period)
    month = closed_month.load(session, period, default_currency)
    return Header(period=period, revision=month.revision, currency=month.currency,
                  closed_at=as_utc(row.closed_at), seal=month.seal)



def _writer():
    """``reports.statement``, the statement's workbook writer: imported when a statement is
    built or written, not by every page and command that only checks a month (it brings
    openpyxl, a good part of the app's start-up)."""
    from reports import statement

    return statement


def _statement(head: Header, consumer: queries.Consumer,
               lines: tuple[StatementLine, ...]) -> ConsumerStatement:
    return _writer().ConsumerStatement(
        period=head.period, revision=head.revision, currency=head.currency,
        closed_at=head.closed_at, seal=head.seal, consumer=consumer.code, name=consumer.name,
        gl_account=consumer.gl_account, unit=consumer.unit, lines=lines)


def consumer_of(session: Session, period: str, code: str) -> queries.Consumer:
    """The consumer ``code`` as the month's close froze it; NotFound if it had none."""
    found = queries.consumer(session, period, code)
    if found is None:
        raise NotFound(f"There is no consumer {code} in {period}.", kind="consumer")
    return found


def build(session: Session, period: str, consumer: queries.Consumer,
          default_currency: str) -> ConsumerStatement:
    """One consumer's statement of a closed month (``consumer_of`` finds it)."""
    head = header(session, period, default_currency)
    return _statement(head, consumer, queries.lines(session, period, consumer.consumer_id))


def filename(statement: ConsumerStatement) -> str:
    return _writer().statement_filename(statement.period, statement.revision, statement.consumer)


def workbook_bytes(statement: ConsumerStatement) -> bytes:
    """The statement's workbook for a download (a few kilobytes)."""
    return _writer().statement_bytes(statement)


Progress = Callable[[int, int], None]


def write_all(session: Session, period: str, folder: Path, default_currency: str, *,
              codes: Iterable[str] = (), progress: Progress | None = None) -> list[Path]:
    """Write the statement of every consumer of a closed month (or of ``codes``) into
    ``folder``, each file atomically; returns the paths, by consumer code.

    The month must still match its seal. ``progress(done, total)`` is called after each
    file. The month's lines are read in chunks, one consumer's at a time.
    """
    head = header(session, period, default_currency)
    _check_seal(session, period)
    everyone = queries.consumers(session, period)
    wanted = list(dict.fromkeys(codes))
    if wanted:
        known = {c.code: c for c in everyone}
        missing = [code for code in wanted if code not in known]
        if missing:
            raise NotFound(*[f"There is no consumer {code} in {period}." for code in missing],
                           kind="consumer")
        chosen = [known[code] for code in sorted(wanted)]
    else:
        chosen = everyone
    names = _writer().statement_filenames(period, head.revision, [c.code for c in chosen])
    paths = {c.code: Path(folder) / names[c.code] for c in chosen}
    done, total = 0, len(chosen)

    def write(consumer: queries.Consumer, lines: tuple[StatementLine, ...]) -> None:
        nonlocal done
        _writer().write_statement(_statement(head, consumer, lines), paths[consumer.code])
        done += 1
        if progress is not None:
            progress(done, total)

    by_id = {c.consumer_id: c for c in chosen}
    if wanted:
        for consumer in chosen:
            write(consumer, queries.lines(session, period, consumer.consumer_id))
    else:
        charged = set()
        for consumer_id, lines in queries.lines_by_consumer(session, period):
            if consumer_id in by_id:
                charged.add(consumer_id)
                write(by_id[consumer_id], lines)
        for consumer in chosen:
            if consumer.consumer_id not in charged:
                write(consumer, ())
    return [paths[c.code] for c in chosen]


def _check_seal(session: Session, period: str) -> None:
    """A statement is not written from figures the month's seal does not vouch for."""
    _, findings = seal.verify(session, period)
    if findings:
        raise StatementRefused(*[f"the figures of {period} no longer match its seal: {f}"
                                 for f in findings])
