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
`Potential Incomplete Data: true` says Microsoft had not processed all of the range's data (its
Reporting API otherwise refuses the report with `NoCompleteDataAvailable`, "only partial data
is available"): its days from the one `Last Completed Available Day` (a time in GMT) falls on in
the report's time zone, and at least its last day, may still change (`unsettled`, a warning):
when they end the source's data, its period is not complete (`settle`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from kpiengine.errors import KpiError, Location
from kpiengine.fileformats.preamble import range_between
from kpiengine.fileformats.tables import FileTable
from kpiengine.filescan import Scan
from kpiengine.periods import RANGE, Calendar
from kpiengine.table import Frame

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
_STAMPS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y")  # `Last Completed ...`
_OFFSET = re.compile(r"\(\s*(?:GMT|UTC)\s*(?:([+-])\s*(\d{1,2}):?(\d{2}))?\s*\)")
DAY = dt.timedelta(days=1)


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


def unsettled(table: FileTable) -> tuple[dt.date, str] | None:
    """The first day of a report flagged `Potential Incomplete Data: true` that may still
    change, and why (for the warning); None for a report not so flagged or without a range.
    `Last Completed Available Day: 8/1/2025 10:15:00 AM (GMT)` is when Microsoft had
    processed the data: in the report's `Time Zone` (`(GMT+01:00) ...`: its standard offset, an
    hour off in summer time at most), that day was not over; the report's last day is counted
    in whatever the time (its campaigns' time zones may differ from the report's)."""
    head = meta(table)
    span = report_time(table)
    if head.get("potential incomplete data", "").lower() != "true" or span is None:
        return None
    since, stamp = span[1], head.get("last completed available day", "")
    done = _stamp(stamp)
    offset = _OFFSET.match(head.get("time zone", ""))
    if done is not None and offset is not None:
        sign, hours, minutes = offset.groups()
        shift = dt.timedelta(hours=int(hours or 0), minutes=int(minutes or 0))
        since = max(span[0], min(since, (done + (-shift if sign == "-" else shift)).date()))
    after = f" (`Last Completed Available Day: {stamp}`)" if stamp else ""
    return since, after


def _stamp(text: str) -> dt.datetime | None:
    """A `Last Completed Available Day` time (GMT), without its `(GMT)`."""
    text = re.sub(r"\s*\([^)]*\)\s*$", "", text).strip()
    for fmt in _STAMPS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def unsettled_days(tables: list[FileTable]) -> dict[str, tuple[dt.date, str]]:
    """`unsettled` of each file that has such days (file name -> its first, and why)."""
    return {t.name: found for t in tables if (found := unsettled(t)) is not None}


def settled_sql(scan: Scan, tables: list[FileTable], day: str) -> str:
    """SQL true on the rows of days to count (`day`: a row's): not those of the days a report
    flagged `Potential Incomplete Data: true` may still change (`settle`), unless all may."""
    found = unsettled_days(tables)
    since = {t.name: found[t.name][0] for t in tables if t.name in found
             and (span := report_time(t)) is not None and found[t.name][0] > span[0]}  # fmt: skip
    if not since:
        return "TRUE"
    bound = scan.row(lambda t: f"DATE '{since[t.name]}'" if t.name in since else "NULL")
    return f"({bound} IS NULL OR {day} < {bound})"


def settle(
    frame: Frame, tables: list[FileTable], grain: str, calendar: Calendar, by_day: bool
) -> Frame:
    """A warning for each report flagged `Potential Incomplete Data: true` (`unsettled`), at
    that line. When its days that may change end the source's data, the frame's days end the
    day before them: the period holding them is not complete, as a period in progress is not.
    `by_day`: rows of days, those of the days that may change left out (`ads._fetch`: as days
    to come are, so that the value is that of the days counted, and the projection adds the
    others once); rows of longer periods are counted as they stand, their last period kept
    at least one day long. A `range` period (labelled by its days) is left as it is."""
    found = unsettled_days(tables)
    for table in tables:
        if table.name not in found:
            continue
        since, after = found[table.name]
        stated, span = stated_range(table), frame.span
        judged = "; they are counted as they stand"
        if frame.grain != RANGE and span is not None and stated and since <= span[1] <= stated[1]:
            cut = since - DAY
            first = calendar.start_date(calendar.ordinal_of(span[1], grain), grain)
            if not by_day and first < span[1]:
                cut = max(cut, first)
            if span[0] <= cut < span[1]:
                frame.span = (span[0], cut)
                left = ", its rows of later days left out" if by_day else ""
                judged = f"; the data is taken as complete to {cut} only{left}"
        frame.warnings.append(
            KpiError(
                f"Microsoft marks `{table.name}` `Potential Incomplete Data: true`: its numbers "
                f"from {since} on{after} may still change as Microsoft processes them{judged}",
                key_location(table, "Potential Incomplete Data"),
                "download the report again once Microsoft has processed those days (its header "
                "then says `Potential Incomplete Data: false`)",
            )
        )
    return frame
