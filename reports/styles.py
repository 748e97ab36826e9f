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
HEADER_FONT = Font(name="Calibri", size=11, bold=True)  # the workbook's font, in bold
HEADER_FILL = PatternFill(fill_type="solid", fgColor="DDEBF7")
HEADER_BORDER = Border(bottom=Side(style="thin"))
HEADER_ALIGNMENT = Alignment(vertical="bottom")

# Long text (the Cover's values, a unit sheet's labels and explanations) wraps inside its
# column instead of spilling over; a table that wraps sets every cell at the top of its row.
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
LEFT_TOP = Alignment(horizontal="left", vertical="top")  # the Cover's numbers, beside text

# The row that closes a table (a totals row, a unit's attainment): bold, ruled above.
CLOSING_FONT = Font(name="Calibri", size=11, bold=True)
CLOSING_BORDER = Border(top=Side(style="thin"))

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
WIDTH_STATUS = 12

# Row heights (points) for wrapped text: a line of the default font (Calibri 11) takes 14
# points, plus 3 for the cell's padding (one line: Excel's default 15 + 2). A column w
# characters wide (a width counts digits, 7 pixels each) holds about 1.15 w characters of
# text a line: prose averages under 6.5 pixels a character; the estimate errs on the tall
# side rather than cut text short.
LINE_HEIGHT = 14
ROW_PADDING = 3
CHARACTERS_PER_WIDTH = 1.15

# Printing: A4 landscape, half-inch side margins. A column of width w takes about 7 w + 5
# pixels at 96 per inch (Calibri 11's digits are 7 pixels wide, plus the cell padding),
# so the printable width is 10.69 inches = 1026 pixels at 100 %. A table is fitted to
# the page width while that keeps its scale at or above MIN_SCALE percent; a wider one is
# printed at a fixed scale and continues on a second page across. SAFETY leaves room for
# the printer's own rounding.
PAPER_A4 = "9"
PRINTABLE_WIDTH_PX = 1026
MARGIN_SIDE_IN = 0.5
MARGIN_TOP_IN = 0.75
MARGIN_HEADER_IN = 0.3
MIN_SCALE = 60
SAFETY = 0.95


def column_pixels(width: float) -> int:
    """A column's width in pixels at 100 %, from its width in characters."""
    return int(width * 7 + 5)
