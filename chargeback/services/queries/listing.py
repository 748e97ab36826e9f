"""Lists people search, filter and sort: one definition per list, one way to apply it.

A list page describes itself with a ``ListSpec``: the columns ``q`` searches, the filters
(each a fixed set of values, so a filter never takes free text into a query), and the sort
keys, a whitelist: ``?sort=`` picks one of them by name and never names a column. Unique
columns (``tiebreak``) end every order, so pages never overlap nor skip a row however many
rows share a value. ``parse`` turns the query string (``q``, ``sort``, ``dir``, ``page``
and the filters) into a ``ListQuery``; anything it does not know is left out with a note
for the page, never an error, so that a shared URL always opens.

Most lists are SQL queries (``select_page``). A list the app already holds in memory in an
order SQL cannot give (the tree of units) uses the same spec with Python callables
instead of columns (``rows_page``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, case, or_
from sqlalchemy.orm import Session

from chargeback.services.queries.sql import Page, page_bounds, page_of

SEARCH_LIMIT = 100  # characters of ``q`` kept
PER_PAGE = 50
DIRECTIONS = ("asc", "desc")


@dataclass(frozen=True)
class Sort:
    """A sort key's label and what it orders by: SQL expressions, or for an in-memory
    list one callable giving a row's value. ``nullable`` puts empty values last in
    either direction, on every database."""

    label: str
    by: tuple = ()
    nullable: bool = False


@dataclass(frozen=True)
class Filter:
    """A filter: its label, the values it accepts ``(value, label)``, and ``where``: a
    value -> an SQL condition (or, for an in-memory list, a predicate on a row)."""

    label: str
    choices: tuple[tuple[str, str], ...]
    where: Callable[[str], Any]

    def accepts(self, value: str) -> bool:
        return any(value == choice for choice, _ in self.choices)


@dataclass(frozen=True)
class ListSpec:
    sorts: Mapping[str, Sort]
    default_sort: str
    default_dir: str = "asc"
    search: tuple = ()  # SQL columns (or callables giving a row's text) that ``q`` matches
    search_label: str = "Search"
    filters: Mapping[str, Filter] = field(default_factory=dict)
    tiebreak: tuple = ()  # SQL expressions (fixed direction) that make the order total
    per_page: int = PER_PAGE

    def __post_init__(self):
        if self.default_sort not in self.sorts or self.default_dir not in DIRECTIONS:
            raise ValueError(f"bad default order {self.default_sort} {self.default_dir}")


@dataclass(frozen=True)
class ListQuery:
    """What a visitor asked of a list, every value checked against its spec."""

    q: str
    sort: str
    dir: str
    page: int
    filters: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    default_sort: str = ""
    default_dir: str = ""

    def value(self, name: str) -> str:
        return dict(self.filters).get(name, "")

    @property
    def narrowed(self) -> bool:
        """True when a search or a filter leaves rows out."""
        return bool(self.q or self.filters)

    def args(self, **changes) -> dict[str, str]:
        """The query string of this list (page left out), with ``changes``: what a link to
        another page or order of the same list carries. Defaults are left out."""
        found = {"q": self.q, **dict(self.filters)}
        if (self.sort, self.dir) != (self.default_sort, self.default_dir):
            found.update(sort=self.sort, dir=self.dir)
        found.update(changes)
        return {key: value for key, value in found.items() if value not in ("", None)}

    def sorted_by(self, key: str, **extra) -> dict[str, str]:
        """The args of a column header's link: sort by ``key``, flipping the direction when
        the list is already sorted by it (``extra``: other values the link carries)."""
        flip = "desc" if self.dir == "asc" else "asc"
        direction = flip if self.sort == key else "asc"
        return self.args(**extra, sort=key, dir=direction)


def clean_search(text: str) -> str:
    """``q`` as searched: printable characters only (PostgreSQL refuses a NUL), trimmed,
    at most ``SEARCH_LIMIT`` characters."""
    return "".join(ch for ch in text if ch.isprintable()).strip()[:SEARCH_LIMIT]


def parse(spec: ListSpec, args: Mapping[str, str]) -> ListQuery:
    """The visitor's query string as a ``ListQuery``; an unknown sort key, direction or
    filter value is dropped with a note, a bad page number is page 1."""
    notes = []
    sort = args.get("sort") or spec.default_sort
    if sort not in spec.sorts:
        notes.append(f"{_printable(sort)} is not a sort key here: sorted by "
                     f"{spec.sorts[spec.default_sort].label.lower()}.")
        sort = spec.default_sort
    direction = args.get("dir") or (spec.default_dir if sort == spec.default_sort else "asc")
    if direction not in DIRECTIONS:
        notes.append(f"{_printable(direction)} is not a direction (asc or desc).")
        direction = "asc"
    filters = []
    for name, kind in spec.filters.items():
        value = (args.get(name) or "").strip()
        if value and not kind.accepts(value):
            notes.append(f"{_printable(value)} is not one of the {kind.label.lower()} "
                         "values: that filter is left out.")
        elif value:
            filters.append((name, value))
    try:
        page = int(args.get("page") or 1)
    except (TypeError, ValueError):
        page = 1
    return ListQuery(q=clean_search(args.get("q") or ""), sort=sort, dir=direction,
                     page=page, filters=tuple(filters), notes=tuple(notes),
                     default_sort=spec.default_sort, default_dir=spec.default_dir)


def _printable(value: str) -> str:
    return repr(clean_search(value)[:40])


# --- SQL lists ----------------------------------------------------------------------------


def _like(text: str) -> str:
    """``%text%`` with LIKE's own wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def narrow(spec: ListSpec, query: Select, asked: ListQuery) -> Select:
    """``query`` with the search (any searched column contains ``q``, any case) and the
    filters applied: what a download of the list takes too, without the page."""
    if asked.q and spec.search:
        pattern = _like(asked.q)
        query = query.where(or_(*(column.ilike(pattern, escape="\\")
                                  for column in spec.search)))
    for name, value in asked.filters:
        query = query.where(spec.filters[name].where(value))
    return query


def ordered(spec: ListSpec, query: Select, asked: ListQuery) -> Select:
    """``query`` in the asked order, ended by the tiebreak (a total, stable order)."""
    chosen = spec.sorts[asked.sort]
    terms = []
    for column in chosen.by:
        if chosen.nullable:
            terms.append(case((column.is_(None), 1), else_=0))
        terms.append(column.desc() if asked.dir == "desc" else column.asc())
    return query.order_by(*terms, *spec.tiebreak)


def select_page(session: Session, spec: ListSpec, query: Select, asked: ListQuery, *,
                scalars: bool = True) -> Page:
    """One page of ``query`` searched, filtered and sorted as asked."""
    return page_of(session, ordered(spec, narrow(spec, query, asked), asked), asked.page,
                   spec.per_page, scalars=scalars)


# --- lists held in memory -----------------------------------------------------------------


def rows_page(spec: ListSpec, rows: Iterable, asked: ListQuery) -> Page:
    """One page of ``rows`` searched, filtered and sorted as asked, the spec's ``search``
    and ``by`` being callables on a row. Rows that sort equal keep the order given."""
    kept = [row for row in rows if _matches(spec, row, asked)]
    chosen = spec.sorts[asked.sort]
    if chosen.by:
        value = chosen.by[0]
        kept.sort(key=lambda row: _sort_value(value(row), asked.dir),
                  reverse=asked.dir == "desc")
    number, pages = page_bounds(len(kept), asked.page, spec.per_page)
    start = (number - 1) * spec.per_page
    return Page(kept[start:start + spec.per_page], number, pages, len(kept))


def _matches(spec: ListSpec, row, asked: ListQuery) -> bool:
    if asked.q and spec.search:
        needle = asked.q.casefold()
        if not any(needle in (text(row) or "").casefold() for text in spec.search):
            return False
    return all(spec.filters[name].where(value)(row) for name, value in asked.filters)


def _sort_value(value, direction: str) -> tuple:
    """Empty values last in either direction; text compared without case."""
    missing = value is None
    if isinstance(value, str):
        value = value.casefold()
    last = (not missing) if direction == "desc" else missing
    return (last, 0 if missing else value)


def choices(values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Filter choices whose label is the value, underscores read as spaces."""
    return tuple((value, value.replace("_", " ")) for value in values)
