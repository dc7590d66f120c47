"""The `ads` connector's Microsoft Advertising (Bing Ads) report header (not a plugin module).

Microsoft's reports, from the UI's Reports page and the Reporting API alike, open with quoted
`key: value` lines (`"Report Name: ..."`, `"Report Time: 1/15/2024,1/31/2024"`, `"Time Zone:
..."`, `"Last Completed Available Day: ..."`, `"Report Aggregation: Daily"`, `"Report Filter: "`,
`"Potential Incomplete Data: false"`, `"Rows: 5"`), a blank line, the header and the rows, then
a blank line and `"©2024 Microsoft Corporation. All rights reserved. "` (which the reading layer
takes for the end of the table); a UI report may end its rows with a `Total` row (a totals row:
never counted). `Report Time` is the report's range, month first (one day, or the first and
last day after a comma). `Report Aggregation` says what a `TimePeriod` cell holds: a day
(`Daily`), the Sunday starting a week (`Weekly`; the Monday: `WeeklyStartingMonday`), the first
day of a month (`Monthly`); Microsoft widens a weekly or monthly report's range to whole weeks
or months (`ReportAggregation`: "we don't support partial data aggregation"), so its rows are
whole periods whatever `Report Time` says. `DayOfWeek` and `HourOfDay` segment the whole range
(`1` to `7`, `0` to `23`: the rows are the range's, as a `Summary` report's); `Hourly` cells
(`2024-01-15|7`) and `Yearly` ones (`2024`) are not read (an error saying what to download).
`Rows:` counts the report's rows: a file with others (cut short, edited) is an error.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from kpiengine.errors import KpiError, Location
from kpiengine.fileformats.preamble import range_between
from kpiengine.fileformats.tables import FileTable

Span = tuple[dt.date, dt.date]

#: `Report Aggregation:` -> the period a `TimePeriod` cell starts.
GRAINS = {"daily": "day", "weekly": "week", "weeklystartingmonday": "week", "monthly": "month"}
#: The first day of a weekly report's weeks.
WEEK_STARTS = {"weekly": "sunday", "weeklystartingmonday": "monday"}
#: Aggregations whose `TimePeriod` cells this connector does not read: what they hold.
UNREAD = {
    "hourly": "hours of days (`2024-01-15|7`)",
    "yearly": "years (`2024`)",
}
#: Aggregations whose `TimePeriod` is a segment of the whole range, not a date.
SEGMENTS = ("dayofweek", "hourofday")
_US = ("%m/%d/%Y", "%Y-%m-%d")  # Microsoft's (the SDKs read `Report Time` month first)


def meta(table: FileTable) -> dict[str, str]:
    """The `key: value` lines before the header, keys in lower case."""
    if table.sniffed is None:
        return {}
    return {k.strip().lower(): v.strip() for k, v in table.sniffed.preamble.meta.items()}


def key_location(table: FileTable, key: str) -> Location:
    """Where the line of a preamble key is (`Report Time`), else the header."""
    sniffed = table.sniffed
    if sniffed is not None:
        for line in range(1, sniffed.header_line):
            text = sniffed.line_text(line).lstrip("\ufeff").lstrip().lstrip('"').lower()
            if text.startswith(f"{key.lower()}:"):
                return Location(table.name, line, 1)
    return table.header()


def report_time(table: FileTable) -> Span | None:
    """The range `Report Time:` states (`1/15/2024,1/31/2024`, or one day `2/7/2020`), None
    without one; a value that is no range is an error at its line."""
    text = meta(table).get("report time", "")
    if not text:
        return None
    ends = [p.strip() for p in re.split(r"\s*,\s*|\s+(?:-|–|to)\s+", text) if p.strip()]
    span = None
    if len(ends) in (1, 2):
        first, last = _day(ends[0]), _day(ends[-1])
        span = (first, last) if first and last else range_between(ends[0], ends[-1])
    if span is None or span[0] > span[1]:
        raise KpiError(
            f"the report's `Report Time: {text}` is not a date range this connector reads "
            "(Microsoft writes `Report Time: 1/15/2024,1/31/2024`, month first)",
            key_location(table, "Report Time"),
            "download the report again with a custom date range, or remove the line and name "
            "a day column",
        )
    return span


def stated_range(table: FileTable) -> Span | None:
    """The days a report's rows cover: its `Report Time`, widened to whole weeks or months for
    a weekly or monthly report (Microsoft aggregates no partial week or month)."""
    span = report_time(table)
    kind = meta(table).get("report aggregation", "").replace(" ", "").lower()
    if span is None or GRAINS.get(kind) not in ("week", "month"):
        return span
    first, last = span
    if kind in WEEK_STARTS:
        back = (first.weekday() + 1) % 7 if kind == "weekly" else first.weekday()
        start = first - dt.timedelta(days=back)
        return start, start + dt.timedelta(days=((last - start).days // 7) * 7 + 6)
    following = dt.date(last.year + last.month // 12, last.month % 12 + 1, 1)
    return first.replace(day=1), following - dt.timedelta(days=1)


def week_fix(tables: list[FileTable], week_start: str, grain: str) -> str:
    """The fix for weekly rows that cross the workspace's weeks: its `week_start:`, when the
    report's weeks start on another day (`Weekly`: Sunday)."""
    start = WEEK_STARTS.get(aggregation(tables) or "")
    if start is None or start == week_start:
        return ""
    also = " and evaluate with `--grain week`" if grain != "week" else ""
    why = f"this report's weeks start on {start.title()}s"
    return f", or set `week_start: {start}` in kpi.yaml ({why}){also}"


def _day(text: str) -> dt.date | None:
    for fmt in _US:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def aggregation(tables: list[FileTable]) -> str | None:
    """The `Report Aggregation` of the source's files (lower case, spaces removed), None when
    they state none; files of several aggregations are an error (one `TimePeriod` column
    would mean days in one and weeks in another)."""
    found: dict[str, tuple[FileTable, str]] = {}
    for table in tables:
        value = meta(table).get("report aggregation")
        if value:
            found.setdefault(value.replace(" ", "").lower(), (table, value))
    if len(found) > 1:
        (first, one), (second, two) = list(found.values())[:2]
        raise KpiError(
            f"`{second.name}` is a `Report Aggregation: {two}` report but `{first.name}` is "
            f"`{one}`: the rows of one source must cover the same kind of period",
            key_location(second, "Report Aggregation"),
            "give each report aggregation its own source, or download them alike",
        )
    return next(iter(found), None)


def row_grain(tables: list[FileTable]) -> str | None:
    """The period a `TimePeriod` cell starts, as `Report Aggregation` says; None when it does
    not say (a `Daily` report too: its dates say days)."""
    return GRAINS.get(aggregation(tables) or "")


def check_columns(tables: list[FileTable], columns: dict[str, str], overridden: bool) -> None:
    """The date role of a Microsoft report, by its aggregation: `DayOfWeek` and `HourOfDay`
    cells are segments of the whole range (the role is dropped: the report is the range's),
    `Hourly` cells (`2024-01-15|7`) an error. `overridden`: the date column was named with
    `columns:` (kept as it is)."""
    kind = aggregation(tables)
    date = columns.get("date")
    if date is None or overridden or kind is None:
        return
    if kind in SEGMENTS:
        del columns["date"]  # `1` to `7`, `0` to `23`: the report's range holds them all
        return
    if kind in UNREAD:
        raise KpiError(
            f"a report with `Report Aggregation: {meta(tables[0])['report aggregation']}`: its "
            f"`{date}` cells are {UNREAD[kind]}, which this connector does not read as days",
            key_location(tables[0], "Report Aggregation"),
            "download the report with Daily or Monthly aggregation (Hour of day or Day of week "
            "for segments of the range, Summary for the range's totals)",
        )


def check_rows(tables: list[FileTable], checks: dict[str, Any], files: dict[str, str]) -> None:
    """Each file's data rows (`listed<key>` in the scan's checks; `files`: table name -> key,
    for several files) against the count its `Rows:` line states (a `Total` row counted in
    or not): other rows than the report's are an error at that line."""
    for table in tables:
        stated = meta(table).get("rows", "").replace(",", "")
        if not stated.isdigit():
            continue
        got = int(checks.get(f"listed{files.get(table.name, '')}") or 0)
        if int(stated) in (got, got + len(table.totals)):
            continue
        raise KpiError(
            f"the file has {got} data row{'s' * (got != 1)} but its `Rows:` line says {stated}: "
            f"rows were {'removed' if got < int(stated) else 'added'} after the download, or it "
            "was cut short",
            key_location(table, "Rows"),
            "download the report again, and read it unedited",
        )
