"""The pack's native charts (openpyxl chart objects, not pictures), placed on the Summary
below its table, one under the other, inside its print area.

- **Spend against budget by unit**: clustered bars of each unit's Spend and Budget, from
  the ``Why they differ`` sheet (every unit under a group; a group's bar is its subtree).
- **Attainment against the band limits**: each unit's attainment against its own
  scorecard as bars, the Meets and Exceeds limits the month was rated with as lines.
- **The holding company's trend**: Spend, Budget and Charged of the top unit over the
  months of the ``Trend`` sheet.

Charts only point at cells of the workbook, so a spreadsheet program draws them from the
same figures the tables show, and redraws them if a reader filters or edits.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.utils import get_column_letter

from reports.cells import range_reference
from reports.sheets import differences, trend

WIDTH_CM, HEIGHT_CM = 22, 7
ROWS_TALL = 15  # rows of the default height (15 pt, 0.53 cm) a chart and its gap take
PER_PAGE = 2  # two charts and the repeated heading row fit a landscape A4 page


def _ref(title: str, column: int, first: int, last: int) -> Reference:
    return Reference(range_string=range_reference(title, get_column_letter(column), first, last))


def spend_against_budget(units: int) -> BarChart:
    """Bars of Spend and Budget for the ``units`` rows of Why they differ."""
    chart = BarChart()
    chart.type, chart.grouping = "col", "clustered"
    chart.title = "Spend against budget by unit"
    chart.y_axis.title = "Money"
    for column in (differences.SPEND, differences.BUDGET):
        chart.add_data(_ref(differences.TITLE, column, 1, units + 1), titles_from_data=True)
    chart.set_categories(_ref(differences.TITLE, 2, 2, units + 1))
    _size(chart)
    return chart


def attainment_against_bands(units: int) -> BarChart:
    """Bars of each unit's attainment; lines at the Meets and Exceeds limits."""
    bars = BarChart()
    bars.type = "col"
    bars.title = "Attainment by unit against its own scorecard and the band limits"
    bars.y_axis.title = "Attainment"
    bars.y_axis.scaling.min, bars.y_axis.scaling.max = 0, 100
    bars.add_data(_ref(differences.TITLE, differences.ATTAINMENT, 1, units + 1),
                  titles_from_data=True)
    bars.set_categories(_ref(differences.TITLE, 2, 2, units + 1))
    limits = LineChart()
    for column in (differences.MEETS, differences.EXCEEDS):
        limits.add_data(_ref(differences.TITLE, column, 1, units + 1), titles_from_data=True)
    bars += limits
    _size(bars)
    return bars


def holding_trend(first_row: int, months: int, name: str) -> LineChart:
    """Lines of Spend, Budget and Charged of the top unit's rows of the Trend sheet."""
    chart = LineChart()
    chart.title = f"{name}: the last {months} closed months"
    chart.y_axis.title = "Money"
    last = first_row + months - 1
    for column in (trend.SPEND, trend.BUDGET, trend.CHARGED):
        chart.add_data(_ref(trend.TITLE, column, first_row, last))
    for series, title in zip(chart.series, ("Spend", "Budget", "Charged"), strict=True):
        series.tx = SeriesLabel(v=title)
    chart.set_categories(_ref(trend.TITLE, trend.PERIOD, first_row, last))
    _size(chart)
    return chart


def _size(chart) -> None:
    chart.width, chart.height = WIDTH_CM, HEIGHT_CM
