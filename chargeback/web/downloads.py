"""Downloads of what a page shows, as CSV or XLSX (``reports.export``).

Each download is the page's own query, with the page's own guard and arguments (period,
filters, search), never a wider one: a unit head's downloads hold their units' rows only,
and a closed month is read from what its close froze (the read model), as the page and the
pack read it. The URL ends in ``.csv`` or ``.xlsx`` (any other ending is no route: 404);
the answer is an attachment that is not cached.

| page | download |
|---|---|
| ``/portfolio`` | ``/portfolio/export.<fmt>``: the rows shown, the pack's Portfolio columns |
| ``/units/<code>`` | ``/units/<code>/export.<fmt>``: its rating (the pack's unit sheet), spend by month, charges by service and by consumer |
| ``/units/<code>/charges`` | ``/units/<code>/charges/export.<fmt>``: every line, the pack's Charges columns |
| ``/imports/<id>`` | ``/imports/<id>/errors.<fmt>``: the stored row errors |
| ``/audit`` | ``/audit/export.<fmt>``: the entries the search and filters keep |
| ``/imports`` | ``/imports/samples/<kind>.<fmt>``: a sample file of each kind |

The writers (openpyxl) are imported when a download is asked for, not when the app starts.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Response

FORMATS = "csv, xlsx"  # for the URL converter: <any(csv, xlsx):fmt>
CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def send(fmt: str, name: str, sections: Sequence) -> Response:
    """``sections`` (``reports.export.Section``) as the attachment ``<name>.<fmt>``."""
    from reports import export

    body = export.xlsx_bytes(sections) if fmt == "xlsx" else export.csv_bytes(sections)
    return attachment(fmt, name, body)


def attachment(fmt: str, name: str, body: bytes) -> Response:
    """``body`` as the attachment ``<name>.<fmt>``, never cached; the name keeps letters,
    digits, ``-``, ``_`` and ``.`` only (it comes from codes and periods)."""
    mimetype = XLSX_MIMETYPE if fmt == "xlsx" else CSV_MIMETYPE
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_"
                   for ch in name)[:120]
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{safe}.{fmt}"',
        "Cache-Control": "no-store"})
