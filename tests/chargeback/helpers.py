"""Small helpers to write import files and count what a database holds."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from chargeback.extensions import db
from chargeback.models import Base


def write_csv(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


def data_fingerprint() -> dict[str, tuple]:
    """Row count and the sum of every numeric column of every data table."""
    prints = {}
    for table in Base.metadata.sorted_tables:
        if table.name in ("import_batches", "import_batch_errors", "user_sessions",
                          "sign_in_throttles", "scorecard_form_inputs"):
            # bookkeeping of imports and sign-ins; a form kept for the page after a POST
            continue
        sums = [func.sum(c) for c in table.columns if _numeric(c)]
        row = db.session.execute(select(func.count(), *sums).select_from(table)).one()
        prints[table.name] = tuple(row)
    return prints


def _numeric(column) -> bool:
    try:
        kind = column.type.python_type.__name__
    except NotImplementedError:
        return False
    return kind in ("Decimal", "int") and not column.primary_key and not column.foreign_keys


def closed_company(runner) -> None:
    """The end-to-end company (``test_close_end_to_end``) loaded and 2026-03 closed through
    the command line, its pack written; built once per session (``tests.snapshots``)."""
    from tests.chargeback.test_close_end_to_end import load_company, run
    from tests.snapshots import built_once

    def load_and_close():
        load_company(runner)
        run(runner, "close", "2026-03")

    built_once("company closed 2026-03", load_and_close)
