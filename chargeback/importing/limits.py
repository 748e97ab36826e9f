"""How much an import file may hold, checked while it is read (``readers``).

The defaults are the app's settings' defaults (``chargeback.config``); the delivery layers
pass the app's own values (``ImportLimits.from_config``), so the importing layer reads no
configuration itself. See docs/security.md, "Input limits".
"""

from __future__ import annotations

from dataclasses import dataclass

CELL_CHARS = 32_767  # Excel's own limit of the characters in a cell
XLSX_BYTES = 256 * 1024 * 1024
XLSX_ROWS = 1_048_576  # Excel's own limit of the rows of a sheet
XLSX_CELLS = 4_000_000
LINE_CELLS = 32  # a CSV line holds at most this many cells' worth of characters


@dataclass(frozen=True)
class ImportLimits:
    cell_chars: int = CELL_CHARS
    """Characters in one cell (``CHARGEBACK_IMPORT_MAX_CELL_CHARS``)."""
    xlsx_bytes: int = XLSX_BYTES
    """Bytes an XLSX workbook unpacks to, all its parts (``CHARGEBACK_XLSX_MAX_BYTES``)."""
    xlsx_rows: int = XLSX_ROWS
    """Rows of the sheet, up to its last cell (``CHARGEBACK_XLSX_MAX_ROWS``)."""
    xlsx_cells: int = XLSX_CELLS
    """Rows times columns of the area a sheet's cells span, which the reader holds in memory
    (``CHARGEBACK_XLSX_MAX_CELLS``)."""

    @property
    def line_chars(self) -> int:
        """Characters in one physical line of a CSV file."""
        return LINE_CELLS * self.cell_chars

    @classmethod
    def from_config(cls, config) -> ImportLimits:
        return cls(cell_chars=config.get("CHARGEBACK_IMPORT_MAX_CELL_CHARS", CELL_CHARS),
                   xlsx_bytes=config.get("CHARGEBACK_XLSX_MAX_BYTES", XLSX_BYTES),
                   xlsx_rows=config.get("CHARGEBACK_XLSX_MAX_ROWS", XLSX_ROWS),
                   xlsx_cells=config.get("CHARGEBACK_XLSX_MAX_CELLS", XLSX_CELLS))
