"""What a cell's text may hold, and how a cell is shown in an error message.

A file is read as UTF-8 with Python's ``surrogateescape``: a byte that is not UTF-8 becomes
a lone surrogate (``\\udce9`` for 0xE9) in the cell it stands in, so it is reported by the
cell's own check, at its true line and column, rather than by the decoder, which reads
ahead of the CSV reader. A control character (C0 but tab, line feed and carriage return;
DEL; C1) is no text a person typed: a binary file or a broken export. Neither database
could be trusted with them (PostgreSQL refuses NUL in text), and the content checksum uses
two of them as separators.

A cell quoted in a message is shortened and its odd characters escaped, so a 1 GB cell makes
a message of a few dozen characters, and a stored message is text either database keeps.
"""

from __future__ import annotations

import re

_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
UTF8_HINT = "save the file as UTF-8 (in Excel: CSV UTF-8)"
SHOWN_CHARS = 40
MESSAGE_CHARS = 1000


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be a cell's text, or None."""
    found = _NOT_TEXT.search(text)
    if found is None:
        return None
    character = found.group()
    if "\udc80" <= character <= "\udcff":
        return f"is not UTF-8 text (byte 0x{ord(character) - 0xDC00:02X}): {UTF8_HINT}"
    if "\ud800" <= character <= "\udfff":
        return "is not valid Unicode text (a lone surrogate)"
    return (f"contains a control character (U+{ord(character):04X}), which is not text: is "
            "this a binary file or a broken export?")


def is_text(text: str) -> bool:
    """True when ``text`` has no character ``text_problem`` refuses (the fast path)."""
    return _NOT_TEXT.search(text) is None


def undecodable_byte(text: str) -> int | None:
    """The first byte the UTF-8 decoder could not read, as ``surrogateescape`` kept it."""
    for character in text:
        if "\udc80" <= character <= "\udcff":
            return ord(character) - 0xDC00
    return None


def escaped(text: str) -> str:
    """``text`` with control characters and undecodable bytes written as escapes."""
    if _NOT_TEXT.search(text) is None:
        return text
    return _NOT_TEXT.sub(_escape, text)


def _escape(found: re.Match) -> str:
    code = ord(found.group())
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def quoted(value: object) -> str:
    """A cell for a message: ``'abc'``, or ``'1111111111…' (100,000 characters)``."""
    text = str(value)
    if len(text) <= SHOWN_CHARS:
        return f"'{escaped(text)}'"
    return f"'{escaped(text[:SHOWN_CHARS])}…' ({len(text):,} characters)"


def printable(text: str | None, limit: int = MESSAGE_CHARS) -> str | None:
    """A message or column name as text a database stores and a terminal prints."""
    if text is None:
        return None
    text = escaped(text)
    return text if len(text) <= limit else text[:limit] + "…"
