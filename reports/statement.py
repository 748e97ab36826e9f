"""A consumer's statement: the bill of one cost center for one closed month, as a workbook.

Three sheets, each a table with its header in row 1 (read by header name, like the pack):

- ``Statement``: ``Item`` / ``Value``, the header block (consumer, name, GL account, the
  unit it is if it is one, period, currency, revision, when the close froze the figures,
  the close's seal) and the totals (``Billed``, ``Showback``, ``Total``, charge lines);
- ``By unit``: one row per providing unit with its charge lines, billed, showback and
  total (the subtotals);
- ``Charges``: every charge line to the consumer, by providing unit and service, in the
  order given (the service layer sorts).

Numbers are number cells with the pack's formats, text is never a formula
(``reports.sheets._table``), and the file is written atomically like a pack
(``reports.pack.write_atomically``). The totals are the lines' sums, in ``Decimal``.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from hashlib import sha256
from pathlib import Path

from reports import styles as s
from reports.model import StatementLine
from reports.pack import write_atomically
from reports.sheets._table import Column, Table
from rules.vocabulary import is_period

ZERO = Decimal("0.00")
SHOWBACK = "showback"

STATEMENT_TITLE = "Statement"
BY_UNIT_TITLE = "By unit"
CHARGES_TITLE = "Charges"

STATEMENT_COLUMNS = (
    Column("Item", "text", 20),
    Column("Value", "any", 70),
)
BY_UNIT_COLUMNS = (
    Column("Unit", "text", s.WIDTH_CODE),
    Column("Unit name", "text", s.WIDTH_NAME),
    Column("Billing mode", "text", s.WIDTH_SHORT),
    Column("Charge lines", "integer", s.WIDTH_SHORT),
    Column("Billed", "money", s.WIDTH_MONEY),
    Column("Showback", "money", s.WIDTH_MONEY),
    Column("Total", "money", s.WIDTH_MONEY),
)
CHARGES_COLUMNS = (
    Column("Unit", "text", s.WIDTH_CODE),
    Column("Unit name", "text", s.WIDTH_NAME),
    Column("Service", "text", s.WIDTH_CODE),
    Column("Service name", "text", s.WIDTH_NAME),
    Column("Method", "text", s.WIDTH_SMALL),
    Column("Basis", "text", s.WIDTH_TEXT),
    Column("Quantity", "quantity", s.WIDTH_NUMBER),
    Column("Rate", "rate", s.WIDTH_NUMBER),
    Column("Amount", "money", s.WIDTH_MONEY),
    Column("Billing mode", "text", s.WIDTH_SHORT),
)

GUIDES = {
    STATEMENT_TITLE: "This sheet: whose bill this is, for which closed month, and its totals. "
                     "Billed is what chargeback units charged (posted to the journal), "
                     "Showback what showback units computed (shown, not posted).",
    BY_UNIT_TITLE: "One row per providing unit: its charge lines to this consumer and their "
                   "sum, as Billed or Showback by the unit's billing mode.",
    CHARGES_TITLE: "Every charge line to this consumer, by providing unit and service: "
                   "Quantity x Rate for usage, the split's basis for a driver or fixed "
                   "split, and the Amount charged.",
}

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
FILE_CODE_LIMIT = 64


@dataclass(frozen=True, kw_only=True)
class ConsumerStatement:
    """The bill of one consumer for one closed month."""

    period: str
    revision: int
    currency: str
    closed_at: dt.datetime | None  # when the close froze the figures
    seal: str | None
    consumer: str
    name: str
    gl_account: str
    unit: str | None  # the unit the consumer is, for a unit's own cost center
    lines: tuple[StatementLine, ...]


@dataclass(frozen=True, kw_only=True)
class UnitSubtotal:
    unit: str
    unit_name: str
    billing_mode: str
    lines: int
    billed: Decimal
    showback: Decimal

    @property
    def total(self) -> Decimal:
        return self.billed + self.showback


def subtotals(statement: ConsumerStatement) -> list[UnitSubtotal]:
    """Per providing unit, in the order the units first appear in the lines."""
    found: dict[str, UnitSubtotal] = {}
    for line in statement.lines:
        shown = line.billing_mode == SHOWBACK
        before = found.get(line.unit)
        found[line.unit] = UnitSubtotal(
            unit=line.unit, unit_name=line.unit_name, billing_mode=line.billing_mode,
            lines=(before.lines if before else 0) + 1,
            billed=(before.billed if before else ZERO) + (ZERO if shown else line.amount),
            showback=(before.showback if before else ZERO) + (line.amount if shown else ZERO))
    return list(found.values())


def totals(statement: ConsumerStatement) -> tuple[Decimal, Decimal]:
    """(billed, showback) of the whole statement."""
    units = subtotals(statement)
    return (sum((u.billed for u in units), ZERO), sum((u.showback for u in units), ZERO))


def file_code(code: str, *, digest: bool = False) -> str:
    """``code`` as a file name can carry it on any system: letters, digits, ``_ . -``
    kept. Otherwise (or when cut to 64 characters, or when it starts with a dot) each
    other character becomes ``_`` and a short digest of the code is added, so two codes
    never share a file name; ``digest`` adds it anyway."""
    safe = _UNSAFE.sub("_", code)[:FILE_CODE_LIMIT]
    if safe == code and code and not code.startswith(".") and not digest:
        return code
    return f"{safe.lstrip('.') or '_'}-{sha256(code.encode('utf-8')).hexdigest()[:8]}"


def statement_filename(period: str, revision: int, code: str, *, digest: bool = False) -> str:
    """``statement-YYYY-MM-<code>.xlsx``; after a reopening, ``statement-YYYY-MM-rN-<code>
    .xlsx`` (the pack's revision rule). The code is made file-safe (``file_code``)."""
    if not is_period(period):
        raise ValueError(f"period must be YYYY-MM, not {period!r}")
    if type(revision) is not int or revision < 1:
        raise ValueError(f"revision must be an integer >= 1, not {revision!r}")
    suffix = "" if revision == 1 else f"-r{revision}"
    return f"statement-{period}{suffix}-{file_code(code, digest=digest)}.xlsx"


def statement_filenames(period: str, revision: int, codes: Iterable[str]) -> dict[str, str]:
    """Code -> file name for statements written into one folder: names that would be
    the same ignoring case (one file on Windows and macOS: ``LAB1`` and ``lab1``) get the
    code's digest too."""
    names = {code: statement_filename(period, revision, code) for code in codes}
    clashes = Counter(name.casefold() for name in names.values())
    return {code: statement_filename(period, revision, code, digest=True)
            if clashes[name.casefold()] > 1 else name for code, name in names.items()}


def write_statement(statement: ConsumerStatement, path: Path) -> Path:
    """Write the consumer's statement to ``path`` atomically; returns ``path``."""
    return write_atomically(path, lambda workbook: _fill(workbook, statement))


def statement_bytes(statement: ConsumerStatement) -> bytes:
    """The workbook as bytes, for a download: written in a temporary folder, read back."""
    with tempfile.TemporaryDirectory(prefix="statement-") as folder:
        return write_statement(statement, Path(folder) / "statement.xlsx").read_bytes()


def _fill(workbook, statement: ConsumerStatement) -> None:
    units = subtotals(statement)  # checks every line before a sheet is written
    billed = sum((u.billed for u in units), ZERO)
    showback = sum((u.showback for u in units), ZERO)
    header = Table(workbook, STATEMENT_TITLE, STATEMENT_COLUMNS, provisional=False)
    rows: list[Sequence[object]] = [
        ("Consumer", statement.consumer),
        ("Name", statement.name),
        ("GL account", statement.gl_account),
        ("Unit", statement.unit),
        ("Period", statement.period),
        ("Currency", statement.currency),
        ("Revision", statement.revision),
        ("Closed at", statement.closed_at),
        ("Seal", statement.seal),
        ("Billed", billed),
        ("Showback", showback),
        ("Total", billed + showback),
        ("Charge lines", len(statement.lines)),
        *((f"Sheet {title}", text) for title, text in GUIDES.items()),
    ]
    for row in rows:
        header.append(row)
    header.finish()

    by_unit = Table(workbook, BY_UNIT_TITLE, BY_UNIT_COLUMNS, provisional=False)
    for u in units:
        by_unit.append((u.unit, u.unit_name, u.billing_mode, u.lines, u.billed, u.showback,
                        u.total))
    by_unit.finish()

    lines = Table(workbook, CHARGES_TITLE, CHARGES_COLUMNS, provisional=False)
    for line in statement.lines:
        lines.append((line.unit, line.unit_name, line.service, line.service_name, line.method,
                      line.basis, line.quantity, line.rate, line.amount, line.billing_mode))
    lines.finish()
