"""Cell values made safe for Excel: text that is never a formula, legal sheet names.

Text
----
Every text cell is a string cell (``t="inlineStr"`` in write-only mode), never a formula:
openpyxl would otherwise turn a string starting with ``=`` into a formula. Text whose
first character is ``=``, ``+``, ``-``, ``@`` (or their full-width forms), a tab, a
carriage return or a line feed, or whose first non-blank character is one of
``= + - @``, is also given a style with ``quotePrefix`` set: Excel shows it as text and
keeps it text when somebody edits the cell (the leading-apostrophe convention, without
changing the text). The text read back is the original text.

Characters that XML 1.0 cannot carry (the control characters other than tab, line feed
and carriage return) are replaced with U+FFFD; a carriage return (alone or before a line
feed) is written as a line feed, which is what any XML reader would make of it; an empty
string is an empty cell.

Formulas
--------
The pack writes a few formulas on purpose: the totals rows (``SUBTOTAL``) and the Cover's
check rows. A formula is a ``Formula`` made by the pack's own code from sheet names and
cell references (``range_reference``); text from the data never becomes one.

Printed headers and footers
---------------------------
``header_text`` makes text safe for a header or footer: ``&`` starts a code there
(``&P`` the page number), so an ``&`` of the text is doubled.

Sheet names
-----------
``legal_sheet_names`` turns unit codes into legal, distinct Excel sheet names, in order:

1. each of ``[ ] : * ? / \\`` and each control character becomes ``_``;
2. the name is cut to 31 characters (Excel counts UTF-16 code units);
3. a leading or trailing apostrophe ``'`` becomes ``_``; an empty (or blank) name is ``_``;
4. a name equal, ignoring case, to a reserved name (``History``, the pack's own sheets
   ``Cover``, ``Statements``, ``Portfolio``, ``Charges``, ``Charges (2)``, ... ``Journal``)
   or to a name given to an earlier code gets the suffix ``~2``, or ``~3``, ... (the first
   that is free), the name being cut so that name and suffix fit in 31 characters.

Codes are taken in the order given (the pack's scorecard order), so the same pack always
gets the same names.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment

SHEET_NAME_LIMIT = 31
EXCEL_RESERVED_SHEET_NAMES = ("History",)

_FORMULA_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
_BLANK_STARTS = frozenset("\t\r\n")
_SHEET_ILLEGAL = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")


# --------------------------------------------------------------------------- text


def clean_text(value: str) -> str:
    """``value`` as a cell can hold it: the characters XML cannot carry replaced by U+FFFD,
    line breaks as LF (an XML reader turns a raw CR into LF anyway)."""
    if type(value) is not str:
        raise TypeError(f"text expected, got {type(value).__name__}: {value!r}")
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if ILLEGAL_CHARACTERS_RE.search(value):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return value


def needs_quote(text: str) -> bool:
    """True when a spreadsheet could take ``text`` for a formula."""
    if not text:
        return False
    first = text[0]
    if first in _FORMULA_STARTS or first in _BLANK_STARTS:
        return True
    if first == " ":
        stripped = text.lstrip(" \t\r\n")
        return bool(stripped) and stripped[0] in _FORMULA_STARTS
    return False


def text_cell(ws, value: str | None, alignment: Alignment | None = None) -> Cell | None:
    """A new string-typed cell for ``ws`` holding ``value`` (quote-prefixed if needed)."""
    if value is None or value == "":
        return None
    text = clean_text(value)
    cell = WriteOnlyCell(ws, text)
    cell.data_type = "s"  # never "f", whatever the text starts with
    if needs_quote(text):
        cell.quotePrefix = True
    if alignment is not None:
        cell.alignment = alignment
    return cell


class TextWriter:
    """Text values of one column made ready for ``ws.append``, fast.

    Calling it returns ``None`` (an empty cell) for ``None`` or ``""``, the string itself
    when it is harmless and needs no style, else one reused string-typed cell carrying the
    shared style (quote prefix, alignment). The reused cell is safe because a write-only
    sheet serialises a row before ``append`` returns, and because it always carries a
    style, openpyxl never reuses it for the next value of the row. The one exception is
    text that is an error code (``#N/A``, ``#REF!``, ...) in a column without alignment:
    openpyxl would write it as an error value, so it goes in an unstyled string-typed
    cell, which openpyxl may then reuse for the row's next value; that is harmless, as
    every call sets the cell's value and type again.

    A column repeats its values (unit and consumer codes, methods, a service's basis), so
    what a text becomes is remembered: a repeated value costs one dictionary lookup, not
    the checks again. The memory is bounded (``REMEMBERED`` values, then it starts over).
    """

    REMEMBERED = 50_000

    __slots__ = ("_plain", "_quoted", "_seen", "_text", "_ws")

    def __init__(self, ws, alignment: Alignment | None = None) -> None:
        self._ws = ws
        self._quoted = WriteOnlyCell(ws)
        self._quoted.quotePrefix = True
        self._plain = None
        if alignment is not None:
            self._quoted.alignment = alignment
            self._plain = WriteOnlyCell(ws)
            self._plain.alignment = alignment
        self._text = None  # an unstyled string-typed cell, made when first needed
        self._seen: dict[str, tuple[str, Cell | None]] = {}

    def __call__(self, value: str | None) -> str | Cell | None:
        if value is None or value == "":
            return None
        known = self._seen.get(value)
        if known is None:
            known = self._prepare(value)
        text, cell = known
        if cell is None:
            return text
        cell.value = text
        cell.data_type = "s"
        return cell

    def _prepare(self, value: str) -> tuple[str, Cell | None]:
        """(the text to write, the styled cell to carry it or None for a plain string)."""
        text = clean_text(value)
        cell = self._quoted if needs_quote(text) else self._plain
        if cell is None and text in ERROR_CODES:
            # openpyxl would make a plain "#N/A" an error value: a string cell keeps it text
            if self._text is None:
                self._text = WriteOnlyCell(self._ws)
            cell = self._text
        prepared = (text, cell)
        if len(self._seen) >= self.REMEMBERED:
            self._seen.clear()
        self._seen[value] = prepared
        return prepared


# -------------------------------------------------------------------------- numbers


def number(value: object) -> Decimal | int:
    """``value`` checked for a number cell: a finite Decimal or an int, never a float."""
    kind = type(value)
    if kind is Decimal:
        if not value.is_finite():  # type: ignore[union-attr]
            raise ValueError(f"a number cell cannot hold {value}")
        return value  # type: ignore[return-value]
    if kind is int:
        return value  # type: ignore[return-value]
    raise TypeError(f"Decimal or int expected, got {kind.__name__}: {value!r}")


def one_decimal(value: object) -> Decimal | int:
    """A value shown with one decimal, fitted to what a cell holds without changing its
    rounding.

    A cell holds a double (15 significant digits survive); a Decimal of 28 digits just
    under a half (``84.8499999999999999``) could be stored as ``84.85`` and then show
    ``84.9``. The value is cut toward zero to 15 significant digits (never to fewer than
    2 decimals): the cut keeps it on the same side of every ``x.x5``, so a reader
    rounding the cell half-up to one decimal gets exactly the figure the rules give.
    """
    value = number(value)
    if type(value) is int:
        return value
    exponent = min(value.adjusted() - 14, -2)
    if value.as_tuple().exponent >= exponent:
        return value
    return value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_DOWN)


def excel_datetime(value: dt.datetime) -> dt.datetime:
    """A datetime Excel can hold: an aware one is converted to UTC and made naive."""
    if not isinstance(value, dt.datetime):
        raise TypeError(f"datetime expected, got {type(value).__name__}")
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.replace(tzinfo=None)


# ------------------------------------------------------------------------- formulas


@dataclass(frozen=True, slots=True)
class Formula:
    """A formula cell's text, ``=`` included, and the number format its result is shown in.

    Only the pack's own code makes one (totals, checks), from ``range_reference``s; a
    table writes it as a formula cell. Text values are never turned into a Formula.
    """

    text: str
    number_format: str = "General"

    def __post_init__(self) -> None:
        if type(self.text) is not str or not self.text.startswith("="):
            raise ValueError(f"a formula starts with '=', not {self.text!r}")


def range_reference(sheet: str, column: str, first: int, last: int) -> str:
    """``'Charges (2)'!$J$2:$J$124``: an absolute reference to rows ``first``..``last`` of
    ``column`` on ``sheet`` (the name always quoted, its apostrophes doubled)."""
    if first < 1 or last < first:
        raise ValueError(f"rows {first}..{last} are not a range")
    quoted = "'" + sheet.replace("'", "''") + "'"
    return f"{quoted}!${column}${first}:${column}${last}"


def header_text(value: str) -> str:
    """``value`` for a printed header or footer: ``&`` doubled, line breaks as spaces."""
    return clean_text(value).replace("&", "&&").replace("\n", " ")


# ---------------------------------------------------------------------- sheet names


def _units(text: str) -> int:
    """Length as Excel counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> str:
    if _units(text) <= limit:
        return text
    out, used = [], 0
    for char in text:
        size = 2 if ord(char) > 0xFFFF else 1
        if used + size > limit:
            break
        out.append(char)
        used += size
    return "".join(out)


def legal_sheet_name(code: str) -> str:
    """Steps 1 to 3 of the rule (no collision check): a legal name for ``code``."""
    name = _cut(_SHEET_ILLEGAL.sub("_", code), SHEET_NAME_LIMIT)
    if not name.strip():
        return "_"
    if name.startswith("'"):
        name = "_" + name[1:]
    if name.endswith("'"):
        name = name[:-1] + "_"
    return name


def legal_sheet_names(
    codes: Sequence[str],
    *,
    reserved: Iterable[str] = (),
    is_reserved: Callable[[str], bool] | None = None,
) -> list[str]:
    """Legal, distinct sheet names for ``codes``, in order (the rule is in the module doc).

    ``reserved`` are names already in use (compared ignoring case, like Excel);
    ``is_reserved`` may reserve a whole family of names (it gets the casefolded name).
    """
    taken = {name.casefold() for name in (*EXCEL_RESERVED_SHEET_NAMES, *reserved)}

    def free(name: str) -> bool:
        key = name.casefold()
        return key not in taken and not (is_reserved and is_reserved(key))

    names = []
    for code in codes:
        base = legal_sheet_name(code)
        name, n = base, 1
        while not free(name):
            n += 1
            suffix = f"~{n}"
            name = _cut(base, SHEET_NAME_LIMIT - len(suffix)) + suffix
        taken.add(name.casefold())
        names.append(name)
    return names
