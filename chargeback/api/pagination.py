"""Cursor pagination: ``?limit=N`` rows a page, ``?cursor=`` from the previous page.

A cursor is opaque to clients (base64 of the list's name and the last row's id), so a page
never shifts when rows are added meanwhile, and a month of a million charge lines pages
by index rather than by ever larger offsets. The answer is ``{"items": [...],
"next_cursor": "..." | null}`` and, when there is a next page, a ``Link: <...>;
rel="next"`` header. The queries page themselves (``services.queries.sql.after``); this
module only reads and writes cursors.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlencode

from flask import request

from chargeback.api.auth import fail


def encode(name: str, last_id: int | None) -> str | None:
    if last_id is None:
        return None
    return base64.urlsafe_b64encode(f"{name}:{last_id}".encode()).decode().rstrip("=")


def decode(name: str, cursor: str | None) -> int | None:
    """The id a cursor of list ``name`` points after; 422 for anything else."""
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, number = text.partition(":")
        if kind == name and number.isdigit() and len(number) < 19:
            return int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    fail(422, "The cursor is not one this list gave.",
         {"cursor": ["Pass the next_cursor of the previous page of the same list."]})
    return None


def link_header(next_cursor: str | None) -> dict[str, str]:
    """``Link: <url>; rel="next"`` for the next page, keeping the other query arguments."""
    if next_cursor is None:
        return {}
    args = request.args.to_dict(flat=False)
    args["cursor"] = [next_cursor]
    return {"Link": f'<{request.base_url}?{urlencode(args, doseq=True)}>; rel="next"'}
