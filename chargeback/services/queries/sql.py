"""SQL helpers the queries share: exact sums on every database, and one page of a query."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import BigInteger, Select, cast, func, select
from sqlalchemy.orm import Session


def cents_sum(column):
    """SUM of a money column in whole cents: exact on PostgreSQL and on SQLite, whose
    numbers are doubles (exact to the cent below ten thousand billion)."""
    return func.coalesce(func.sum(cast(func.round(column * 100), BigInteger)), 0)


def from_cents(value) -> Decimal:
    return Decimal(int(value)).scaleb(-2)  # exact, with two places


def micros_sum(column):
    """SUM of a quantity (six decimals) in millionths, added as integers.

    On SQLite a stored quantity is a double: each line converts exactly up to about 9e9
    units (2**53 millionths), and the integer sum holds up to 9.2e12 units. PostgreSQL's
    numeric is exact at any size."""
    return func.coalesce(func.sum(cast(func.round(column * 1_000_000), BigInteger)), 0)


def from_micros(value) -> Decimal:
    return Decimal(int(value)).scaleb(-6)  # exact, with six places


@dataclass(frozen=True)
class Page:
    """One page of a list: ``number`` is 1-based and always within 1..pages."""

    items: list
    number: int
    pages: int
    total: int


def page_bounds(total: int, number: int | None, per_page: int) -> tuple[int, int]:
    """(the page to show, how many pages) for ``total`` items: a bad or out-of-range
    ``number`` is the nearest page, and an empty list has one (empty) page."""
    pages = max(1, -(-total // per_page))
    return min(max(number or 1, 1), pages), pages


def page_of(session: Session, query: Select, number: int | None, per_page: int = 50,
            *, scalars: bool = True) -> Page:
    """The ``number``-th slice of ``query``; a bad or out-of-range number is the nearest page."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    number, pages = page_bounds(total, number, per_page)
    sliced = query.limit(per_page).offset((number - 1) * per_page)
    items = list(session.scalars(sliced) if scalars else session.execute(sliced))
    return Page(items, number, pages, total)


def after(session: Session, query: Select, id_column, last_id: int | None, limit: int, *,
          newest_first: bool = False) -> tuple[list, int | None]:
    """Keyset paging for the API: rows after ``last_id`` in id order, and the id the next
    page starts after (None on the last page). A page never shifts when rows are added."""
    if last_id is not None:
        query = query.where(id_column < last_id if newest_first else id_column > last_id)
    order = id_column.desc() if newest_first else id_column
    rows = list(session.execute(query.order_by(order).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, _id_of(rows[-1]) if more else None


def _id_of(row) -> int:
    first = row[0]
    return first if isinstance(first, int) else first.id
