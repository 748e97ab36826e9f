"""JSON from people and programs, parsed within limits: the API's bodies, scorecard and rules
files, the starter scorecard typed on the admin page.

The standard library's parser does the parsing (its C scanner); this module puts bounds
around it, each checked before the parser builds anything:

- **size**: at most ``max_bytes`` bytes (``CHARGEBACK_JSON_MAX_BYTES``), checked first;
- **text**: UTF-8, a byte order mark accepted (as CSV files may have one);
- **depth**: at most ``max_depth`` levels of arrays and objects (``CHARGEBACK_JSON_MAX_DEPTH``),
  counted on the text with its strings taken out, so the recursive parser never meets a
  document deep enough to exhaust the stack (``[[[[...]]]]`` 10,000 deep was a
  ``RecursionError``);
- **count**: at most ``max_values`` values (arrays, objects and the items in them), counted on
  the same text: a body within the size limit cannot become millions of Python objects;
- **numbers** stay exact (``4.5`` is ``Decimal("4.5")``, never a float); ``NaN`` and
  ``Infinity`` are refused; an integer literal of more than 100 digits is read as a
  ``Decimal`` (Python refuses to read integers above 4,300 digits); making a Decimal of
  ``1e999999999`` is cheap, and the fields that use numbers bound them before any arithmetic;
- **keys**: a key twice in one object is refused (the parser would keep the last silently).

A refusal is a ``JsonRefused`` naming the line and column when there is one. ``too_large``
tells the API to answer 413 rather than 400.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from json.decoder import WHITESPACE, scanstring
from json.scanner import py_make_scanner
from typing import Any

MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 32
MAX_VALUES = 500_000


@dataclass(frozen=True)
class JsonLimits:
    max_bytes: int = MAX_BYTES
    max_depth: int = MAX_DEPTH
    max_values: int = MAX_VALUES

    @classmethod
    def from_config(cls, config) -> JsonLimits:
        """The app's settings (``CHARGEBACK_JSON_MAX_BYTES``, ``..._DEPTH``)."""
        return cls(max_bytes=config.get("CHARGEBACK_JSON_MAX_BYTES", MAX_BYTES),
                   max_depth=config.get("CHARGEBACK_JSON_MAX_DEPTH", MAX_DEPTH))


class JsonRefused(ValueError):
    """JSON not accepted: ``message`` says why (with ``line N column C:`` when it has one)."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None,
                 too_large: bool = False):
        self.line, self.column, self.too_large = line, column, too_large
        self.reason = message
        where = f"line {line} column {column}: " if line is not None else ""
        self.message = where + message
        super().__init__(self.message)


def loads(data: bytes | str, limits: JsonLimits | None = None) -> Any:
    """The document in ``data``, or ``JsonRefused``."""
    limits = limits or JsonLimits()
    check_size(len(data) if isinstance(data, bytes)
               else len(data.encode("utf-8", "surrogatepass")), limits)
    text = _text(data)
    _check_shape(text, limits)
    try:
        return json.loads(text, parse_float=Decimal, parse_int=_integer,
                          parse_constant=_constant, object_pairs_hook=_object)
    except _Duplicate:
        raise _duplicate_refusal(text) from None
    except _Constant as exc:
        line, column = _constant_position(text)
        raise JsonRefused(f"{exc} is not a number JSON allows.", line=line,
                          column=column) from None
    except json.JSONDecodeError as exc:
        raise JsonRefused(f"{exc.msg}.", line=exc.lineno, column=exc.colno) from None
    except RecursionError:  # the depth check makes this unreachable; a guard all the same
        raise _too_deep(text, limits) from None


def check_size(size: int, limits: JsonLimits) -> None:
    """Refuse ``size`` bytes of JSON above ``limits.max_bytes`` (before reading them)."""
    if size > limits.max_bytes:
        raise JsonRefused(f"The JSON is {size} bytes, above the limit of {limits.max_bytes} "
                          "bytes (CHARGEBACK_JSON_MAX_BYTES).", too_large=True)


def _text(data: bytes | str) -> str:
    if isinstance(data, str):
        return data[1:] if data.startswith("\ufeff") else data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise JsonRefused(f"not UTF-8 text (byte 0x{data[exc.start]:02X}).", line=line,
                          column=column) from None


_NOT_STRUCTURE = re.compile(r"[^\[\]{},]+")
_STRUCTURE_AND_QUOTES = {c: None for c in range(128) if chr(c) not in '[]{},"'}


def _outside_strings(text: str) -> str:
    """The text with every string taken out (brackets and commas inside them are text):
    escaped backslashes and quotes go first, then everything but brackets, commas and
    quotes (a C-speed ``translate``), and then every other piece split at ``"`` is inside a
    string."""
    if "\\" in text:
        text = text.replace("\\\\", "").replace('\\"', "")
    return "".join(text.translate(_STRUCTURE_AND_QUOTES).split('"')[0::2])


def _check_shape(text: str, limits: JsonLimits) -> None:
    """Depth and count on the structure alone: brackets and commas outside strings."""
    structure = _outside_strings(text)
    if not structure.isascii():  # characters outside strings: invalid, the parser says so
        structure = _NOT_STRUCTURE.sub("", structure)
    values = structure.count(",") + structure.count("[") + structure.count("{")
    if values > limits.max_values:
        raise JsonRefused(f"The JSON holds more than {limits.max_values} values.",
                          too_large=True)
    brackets = structure.replace(",", "")
    if re.search(r"[\[{]{" + str(limits.max_depth + 1) + "}", brackets):
        raise _too_deep(text, limits)
    # Each pass takes out the innermost pairs: a document of depth d is empty after d passes.
    for _ in range(limits.max_depth):
        inner = brackets.replace("[]", "").replace("{}", "")
        if inner == brackets or not inner:
            return  # empty, or brackets that do not match: the parser says where
        brackets = inner
    if brackets.replace("[]", "").replace("{}", "") != brackets:
        raise _too_deep(text, limits)


_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|([\[{])|[\]}]', re.DOTALL)


def _too_deep(text: str, limits: JsonLimits) -> JsonRefused:
    """The refusal, at the bracket that goes one level too deep (a refused document only)."""
    depth = 0
    for found in _STRING_OR_BRACKET.finditer(text):
        if found.group(0)[0] == '"':
            continue
        depth += 1 if found.group(1) else -1
        if depth > limits.max_depth:
            line, column = _line_column(text, found.start())
            return JsonRefused(_deep(limits), line=line, column=column)
    return JsonRefused(_deep(limits))


def _deep(limits: JsonLimits) -> str:
    return (f"the JSON is nested deeper than {limits.max_depth} levels "
            "(CHARGEBACK_JSON_MAX_DEPTH).")


def _integer(text: str) -> int | Decimal:
    return int(text) if len(text) <= 100 else Decimal(text)


class _Constant(Exception):
    pass


def _constant(name: str):
    raise _Constant(name)


_STRING_OR_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)', re.DOTALL)


def _constant_position(text: str) -> tuple[int | None, int | None]:
    """Where the first NaN or Infinity outside a string is (a refused document only)."""
    for found in _STRING_OR_CONSTANT.finditer(text):
        if found.group(1):
            return _line_column(text, found.start(1))
    return None, None


def _line_column(text: str, position: int) -> tuple[int, int]:
    return (text.count("\n", 0, position) + 1,
            position - (text.rfind("\n", 0, position) + 1) + 1)


class _Duplicate(Exception):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise _Duplicate
    return found


class _DuplicateAt(Exception):
    def __init__(self, key: str, position: int):
        self.key, self.position = key, position


def _duplicate_refusal(text: str) -> JsonRefused:
    """Where the first key seen twice in one object is: the document read again by the
    standard library's pure-Python scanner, each object's members walked with their
    positions (only a refused document pays for it)."""
    decoder = json.JSONDecoder(parse_float=Decimal, parse_int=_integer)
    decoder.parse_object = _members
    decoder.scan_once = py_make_scanner(decoder)
    try:
        decoder.decode(text)
    except _DuplicateAt as found:
        line, column = _line_column(text, found.position)
        return JsonRefused(f"the key {found.key!r} appears twice in one object.", line=line,
                           column=column)
    return JsonRefused("a key appears twice in one object.")


def _members(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
    """``json.decoder.JSONObject`` reduced to what finding a duplicate key needs."""
    text, position = s_and_end
    seen: set[str] = set()
    position = WHITESPACE.match(text, position).end()
    if text[position:position + 1] == "}":
        return {}, position + 1
    while True:
        if text[position:position + 1] != '"':
            raise json.JSONDecodeError("Expecting property name", text, position)
        key, after = scanstring(text, position + 1, strict)
        if key in seen:
            raise _DuplicateAt(key, position)
        seen.add(key)
        position = WHITESPACE.match(text, after).end()
        if text[position:position + 1] != ":":
            raise json.JSONDecodeError("Expecting ':' delimiter", text, position)
        position = WHITESPACE.match(text, position + 1).end()
        _, position = scan_once(text, position)
        position = WHITESPACE.match(text, position).end()
        if text[position:position + 1] == "}":
            return {}, position + 1
        if text[position:position + 1] != ",":
            raise json.JSONDecodeError("Expecting ',' delimiter", text, position)
        position = WHITESPACE.match(text, position + 1).end()
