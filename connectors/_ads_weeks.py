"""The `ads` connector's rows of weeks under a header it does not know (not a plugin module).

A `Week` segment's column (`Week`, `Woche`, `segments.week`) dates each row by the first day of
its week, and a row counts only in a period that holds the whole week (`_ads_spans`). The same
column under another header (`週`, `Week (Mon - Sun)`), named with `columns: {date: ...}`, must
not be read as days: a week across two months would count whole in the first. So a date column
whose header the profile does not know, whose sampled dates all fall on one weekday (7 days
apart, or a multiple, where consecutive), holds weeks when its header says so (a word for week
in it) or its report's stated date range does (the first week starts before the range, or the
range ends within the last row's week); with neither, which it is cannot be told and is an
error asking for `columns: {week: ...}` or `columns: {day: ...}`. The sample decides (no
per-row work); a file larger than its sample is checked in the scan (each row on that weekday).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from kpiengine.errors import KpiError
from kpiengine.fileformats import CellError, DateFormat
from kpiengine.fileformats.tables import FileTable

#: `columns:` roles naming the date column with the period each row covers.
DATE_GRAINS = {"day": "day", "week": "week", "month": "month", "quarter": "quarter"}
#: A word for week in a header (English, German, French, Spanish, Italian, Portuguese, Dutch,
#: Japanese, Chinese, Korean, Russian, Polish, Swedish, Danish/Norwegian, Finnish, Turkish).
WEEK_WORD = re.compile(
    r"week|woche|semaine|semana|settimana|週|周|주|недел|tydzie|vecka|uge\b|uke\b|viikko|hafta",
    re.IGNORECASE,
)
_NAMES = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


def _days(table: FileTable, column: str, fmt: DateFormat) -> list[dt.date]:
    out = set()
    for text in table.cells(column):
        try:
            day = fmt.read(text)
        except (CellError, ValueError):
            continue
        if day is not None:
            out.add(day)
    return sorted(out)


def week_rows(tables: list[FileTable], column: str, fmt: DateFormat, stated: list[Any]) -> str:
    """`week` when the date column's rows are weeks (see the module), else `day`; an error
    when its dates could be either."""
    per_file = [_days(t, column, fmt) for t in tables]
    every = sorted({d for days in per_file for d in days})
    if not every or len({d.weekday() for d in every}) != 1:
        return "day"  # days of several weekdays: rows of days
    if WEEK_WORD.search(column):
        return "week"
    if len(every) < 2:
        return "day"  # one date: nothing says it starts a week
    for table, days, span in zip(tables, per_file, stated, strict=True):
        if span is None or not days:
            continue
        if days[0] < span[0] or (table.complete and 0 < (span[1] - days[-1]).days <= 6):
            return "week"  # a week from before the range, or the range ends in the last week
    raise KpiError(
        f"column `{column}` holds only {_NAMES[every[0].weekday()]} ({len(every)} dates from "
        f"{every[0]} to {every[-1]}, 7 days apart or a multiple): whether each row is a day or "
        "a week from that day cannot be told from its header or the report's date range",
        tables[0].header(column),
        f"name the column with the period of its rows in the source's `columns:` option: "
        f"`week: {column}` (a row counts only in periods holding its whole week) or `day: "
        f"{column}`",
    )


def sample_weekday(tables: list[FileTable], column: str, fmt: DateFormat) -> int:
    """The ISO weekday (1 Monday .. 7 Sunday) of the sampled dates of a column of weeks."""
    days = next(d for d in (_days(t, column, fmt) for t in tables) if d)
    return days[0].isoweekday()


def raise_weekday(tables: list[FileTable], column: str, fmt: DateFormat, first: int) -> None:
    """The first row of a column read as weeks from its sample (all on ISO weekday `first`)
    that falls on another day: its rows are not weeks."""
    day = fmt.sql(column, "VARCHAR")
    for table in tables:
        found = table.first_cell(column, f"isodow({day}) <> {first}", lambda _: False)
        if found is not None:
            raise KpiError(
                f"this row is dated `{found[1]}`, not a {_NAMES[first - 1][:-1]} as the first "
                f"rows of column `{column}` are, which were read as weeks from that day",
                found[0],
                f"name the column with the period of its rows in the source's `columns:` "
                f"option: `day: {column}` for rows of days, `week: {column}` for weeks",
            )
    raise KpiError(f"rows of column `{column}` fall on several weekdays")
