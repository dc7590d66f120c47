"""The `csv` connector's `rows:` option, what each row covers (not a plugin module).

Without it, rows whose dates are all the first day of a month (or all the last day), over two
months or more, are read as monthly rows (`kpiengine.rowdates.date_grain_of`), and so are dates
that name months (`2024-03`). `rows: day` reads the rows as days whatever their dates (a sparse
daily log, a report filtered to the 1st): a day without a row had none, and the month the data
ends in is partial. `rows: month` reads each row as its month's total, even a single row: every
date must then be a month's first day (or every one its last), and the first that is not is an
error at its cell. Weeks are not offered: a row of a week may lie across two months, which the
csv connector cannot count (the `ads` connector's `_ads_spans` can).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from kpiengine.connector import NoDailyValues, Option, SourceConfig
from kpiengine.errors import KpiError
from kpiengine.fileformats import CellError, DateFormat
from kpiengine.fileformats.tables import FileTable
from kpiengine.filescan import Scan
from kpiengine.periods import counts_whole
from kpiengine.table import Frame

ROWS = ("day", "month")
#: The Python and SQL tests of a day that is not on a month's first day, or not on its last.
_OFF: dict[str, tuple[Callable[[dt.date], bool], str]] = {
    "first": (lambda d: d.day != 1, "dayofmonth({0}) <> 1"),
    "last": (lambda d: (d + dt.timedelta(days=1)).day != 1, "{0} <> last_day({0})"),
}


def rows_option() -> Option:
    """The `rows` option of the `csv` connector."""
    return Option(
        "rows",
        "what each row covers, `day` or `month` (default: `month` when every date is the first "
        "of a month, or every one the last, in two months or more, else `day`)",
        kind="text",
        choices=ROWS,
    )


def watch(scan: Scan, days: dict[str, str], declared: str | None) -> None:
    """With `rows: month`, count the rows of each date column (`days`: column -> its SQL date)
    that are not on a month's first day, and those not on its last (`settle` reads them)."""
    if declared != "month":
        return
    for column, day in days.items():
        for side, (_, sql) in _OFF.items():
            scan.check(f"rows {side} {column}", "count", sql.format(day))


def settle(
    config: SourceConfig,
    tables: list[FileTable],
    formats: dict[str, DateFormat],
    frame: Frame,
    checks: dict[str, Any],
    grain: str,
) -> None:
    """Set what the rows of a frame asked for by `grain` are (`Frame.date_grain`): as `rows:`
    declares (rows of months dated as months: `checks`, the scan's), else as their dates say
    (rows read as months by their first days, asked for by day or week: `NoDailyValues`)."""
    declared = config.options.get("rows")
    named = [c for c, f in formats.items() if f.grain == "month"]  # `2024-03`: months
    if declared == "day":
        if named:
            raise config.error(
                f"`rows: day` says each row is a day, but the dates of column `{named[0]}` "
                f"name months (written as `{formats[named[0]].written}`)",
                "rows",
                "remove `rows: day` (rows dated by month are months), or export the data by day",
            )
        frame.date_grain = "day"
    elif declared == "month":
        for column, fmt in formats.items():
            _check_months(config, tables, column, fmt, checks)
        frame.date_grain = "month"
    elif named:
        frame.date_grain = "month"
    elif frame.date_grain == "month" and not counts_whole("month", grain):
        raise _guessed(config, frame, grain)


def _guessed(config: SourceConfig, frame: Frame, grain: str) -> NoDailyValues:
    """Rows read as months by their dates alone, asked for by `grain` (a day, a week): what
    the engine says of monthly rows, and that `rows: day` reads them as days."""
    side = "first" if frame.span is None or frame.span[0].day == 1 else "last"
    return NoDailyValues(
        f"its rows are whole months, which no {grain} can count (read as months since every "
        f"date is a month's {side} day)",
        config.location,
        "if the rows are days, say so with the source option `rows: day`; else evaluate by "
        "month or longer (`--grain month`)",
    )


def _check_months(
    config: SourceConfig,
    tables: list[FileTable],
    column: str,
    fmt: DateFormat,
    checks: dict[str, Any],
) -> None:
    """Raise at the first cell of `column` that is not dated as the source's months are:
    on their first day, or (when fewer rows are not) on their last."""
    off = {side: checks.get(f"rows {side} {column}") or 0 for side in _OFF}
    if not off["first"] or not off["last"]:
        return
    side = "first" if off["first"] <= off["last"] else "last"
    test, sql = _OFF[side]
    bad = sql.format(fmt.sql(column, "VARCHAR"))

    def python_twin(text: str) -> bool:
        try:
            day = fmt.read(text)
        except (CellError, ValueError):
            return False
        return day is not None and test(day)

    for table in tables:
        found = table.first_cell(column, bad, python_twin)
        if found is not None:
            where, text = found
            raise KpiError(
                f"source `{config.name}`: `rows: month` says each row is a month, but `{text}` "
                f"is not a month's {side} day (rows of months are dated all on their month's "
                "first day, or all on its last)",
                where,
                f"date the row on its month's {side} day, or remove `rows: month` "
                "(`rows: day` reads the rows as days)",
            )
