"""Number formats, the header style and column widths of the pack.

Every style object here is created once, at import; a sheet makes one template cell per
column from them and reuses it for every row (see ``reports.sheets._table``), so a
million charge lines cost no per-cell ``Font()`` or number-format lookup.
"""

from __future__ import annotations

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

# Number formats, by what a column holds.
MONEY = "#,##0.00"  # spend, budget, amounts, debit, credit
RATE = "0.000000"  # prices: at most 6 decimals, all shown
QUANTITY = "#,##0.00####"  # usage and driver quantities: 2 to 6 decimals shown
DECIMAL = "#,##0.00####"  # measure values, targets, floors, weights
ONE_DECIMAL = "0.0"  # Recovery %, Attainment, Score: unrounded value, one decimal shown
INTEGER = "0"  # levels, band counts, revision, line counts
DATETIME = "yyyy-mm-dd hh:mm:ss"

# The header row: bold on a pale fill with a rule under it.
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill(fill_type="solid", fgColor="DDEBF7")
HEADER_BORDER = Border(bottom=Side(style="thin"))
HEADER_ALIGNMENT = Alignment(vertical="bottom")

# Long text on the Cover wraps inside its column instead of spilling over.
WRAP = Alignment(wrap_text=True, vertical="top")

# Column widths (Excel character units). Widths are fixed: a streamed sheet cannot be
# measured before it is written.
WIDTH_CODE = 14
WIDTH_NAME = 30
WIDTH_SHORT = 12
WIDTH_MONEY = 16
WIDTH_NUMBER = 14
WIDTH_SMALL = 9
WIDTH_TEXT = 40
WIDTH_LONG = 60
WIDTH_STATUS = 14
