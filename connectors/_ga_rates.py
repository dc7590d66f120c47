"""The rate columns of a Google Analytics export, for `ga_export` (not a plugin module).

The interface writes a rate as a percentage with its sign (`15.24%`, `52,88 %`, `۵۷٫۹۵٪`), GA4's
Explorations as a fraction (`0.5712`), and Universal Analytics' API (the Sheets add-on, connectors
built on it) as a percentage without the sign (`ga:bounceRate` = `66.30434782608695`). So:
- a cell written with `%` is a percentage, always (the number grammar reads `15.24%` as
  0.1524): Universal Analytics' Goal Conversion Rate adds up every goal and often exceeds 100%
  (`221.74%`), which is no reason to read the column otherwise;
- a column without `%` cells is of fractions, unless one of its cells is above 1: then of
  percentages without the sign (x 0.01). The sampled rows decide first; the scan counts every
  row, and a column read as fractions that holds a cell above 1 is scanned again;
- a column mixing `%` cells with plain numbers above 1 (`50.00%` beside `50`) is an error at
  the first such cell, as in every file: the scan's (`kpiengine.fileformats.percents`), before
  any rescaling here. A plain cell within ±1 beside percentages is the fraction it shows.
"""

from __future__ import annotations

import math
from typing import Any

from kpiengine.fileformats import CellError, read_number
from kpiengine.fileformats.percents import is_percent, percent_sql
from kpiengine.filescan import Scan


def rate_sql(table: Any, scan: Scan, header: str, value: str) -> str:
    """SQL for a rate column's value as a fraction (`value`: its cells read as numbers); the
    scan finds its largest cell without `%` (`checked`)."""
    scale = table.percent.setdefault(header, sampled_scale(table, header))
    plain = f"(CASE WHEN NOT ({percent_sql(scan.text(header))}) THEN abs({value}) END)"
    scan.check(f"rate {header}", "max", plain)
    return value if scale == 1.0 else f"({value} * {scale!r})"


def sampled_scale(table: Any, header: str) -> float:
    """1, or 0.01 for a column of percentages without the `%` sign: a sampled cell (or a totals
    cell) above 1 and none with `%`."""
    index = table.headers.index(header)
    cells = table.file.cells(header) + [t.cells[index] for t in table.file.totals
                                        if index < len(t.cells)]  # fmt: skip
    if any(is_percent(c) for c in cells):
        return 1.0
    values = [_plain(c, table.export.decimal) for c in cells]
    return 0.01 if max((v for v in values if not math.isnan(v)), default=0) > 1 else 1.0


def checked(table: Any, checks: dict[str, Any]) -> list[str]:
    """The rate columns read as fractions that turned out to hold percentages without `%`: a
    cell without `%` above 1 (to scan again, x 0.01). Cells with `%` never count: a column
    holding both is the scan's error."""
    return [
        header
        for header, scale in table.percent.items()
        if scale == 1.0 and (checks.get(f"rate {header}") or 0) > 1
    ]


def _plain(text: str, decimal: str) -> float:
    """The absolute value of a cell without `%` (NaN when missing, bad or a percentage)."""
    if is_percent(text):
        return math.nan
    try:
        return abs(read_number(text, decimal).value)
    except CellError:
        return math.nan
