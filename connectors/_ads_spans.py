"""The `ads` connector's rows that cover more than a day (not a plugin module): Google Ads rows
of a `Week`, `Month` or `Quarter` segment (dated by their first day, cut to the report's date
range: Google counts only the range's days) and Meta rows from `Reporting starts` to `Reporting
ends`.

A row counts only in a period that holds all of its days. When one lies across two periods of
the grain asked for, no period can count it: days asked for raise `NoDailyValues` (a row of a
whole month is monthly data, dated on its first day; the engine leaves a partial period
unprojected); otherwise Google's and Meta's rows alike leave every period the source covers
without a value, and say why (`unanswered`: the first such row, where it is, its days,
and the fix), so that its KPIs are undefined with a finding and the other sources stand.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from kpiengine.connector import NoDailyValues
from kpiengine.errors import KpiError
from kpiengine.fileformats.tables import FileTable
from kpiengine.filescan import Scan
from kpiengine.monthgaps import holes
from kpiengine.periods import RANGE, Calendar
from kpiengine.rowdates import joined_range, period_so_far
from kpiengine.sqlgen import period_sql
from kpiengine.table import Frame
from kpiengine.undatedfiles import across, at_grain, undatable

from ._ads_checks import span_why
from ._ads_config import AdsConfig
from ._ads_microsoft import week_fix
from ._ads_profiles import MICROSOFT

_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def end_of(day: dt.date, grain: str) -> dt.date:
    """The last day of a row of a `grain` segment dated `day` (`end_sql` in Python)."""
    if grain == "week":
        return day + dt.timedelta(days=6)
    if grain not in _MONTHS:
        return day
    months = (day.month - 1) // _MONTHS[grain] * _MONTHS[grain] + _MONTHS[grain]
    return dt.date(day.year + months // 12, months % 12 + 1, 1) - dt.timedelta(days=1)


def end_sql(day: str, grain: str) -> str:
    """SQL: the last day of a row of a `grain` segment dated `day` (a DATE): a week's sixth
    day after it, the last day of its (calendar) month, quarter or year."""
    if grain == "week":
        return f"CAST({day} + INTERVAL 6 DAY AS DATE)"
    if grain not in _MONTHS:
        return day
    start = f"date_trunc('{grain}', {day})"
    return f"CAST({start} + INTERVAL {_MONTHS[grain]} MONTH - INTERVAL 1 DAY AS DATE)"


def cut(day: str, grain: str, first: str, last: str) -> tuple[str, str]:
    """SQL of the first and last day of a `grain` row dated `day`, cut to its report's range
    from `first` to `last` (DATE SQL; NULL for a file without a stated range)."""
    end = end_sql(day, grain)
    return f"greatest({day}, coalesce({first}, {day}))", f"least({end}, coalesce({last}, {end}))"


def overlaps(first: str, last: str, bounds: tuple[dt.date | None, dt.date | None]) -> str:
    """SQL true when a row from `first` to `last` (DATEs) has days within the dates asked for:
    a row starting before them counts too (its last days are asked for)."""
    start, end = bounds
    tests = [f"{last} >= DATE '{start.isoformat()}'"] if start else []
    tests += [f"{first} <= DATE '{end.isoformat()}'"] if end else []
    return "(" + " AND ".join(tests) + ")" if tests else "TRUE"


def crossing_sql(
    first: str, last: str, grain: str, calendar: Calendar, bounds: tuple[Any, Any]
) -> str:
    """SQL true on a row (from `first` to `last`, DATEs) with days asked for that the periods
    of `grain` cannot hold: its days lie in two of them. When days are asked for, a row of a
    whole month is monthly data (dated on its first day, as months are), not an error."""
    crossing = f"{period_sql(first, grain, calendar)} <> {period_sql(last, grain, calendar)}"
    if grain == "day":
        crossing += (
            f" AND NOT ({first} = date_trunc('month', {first}) AND {last} = last_day({first}))"
        )
    return f"({crossing}) AND {overlaps(first, last, bounds)}"


class RowSpans(AdsConfig):
    """The days each row covers, and the first that periods of the grain cannot hold."""

    def _row_grain(self) -> str:
        """The period one row of the date column covers (`_row_grain_of`)."""
        return self._row_grain_of(self.columns["date"])

    def _row_days(self, scan: Scan, days: dict[str, str]) -> tuple[str, str | None]:
        """SQL of each row's first and last day in the scan (last None: rows are days)."""
        column, end = self.columns["date"], self.columns.get("date_end")
        if end:
            return days[column], days[end]
        grain = self._row_grain()
        if grain == "day":
            return days[column], None
        ranges = self._ranges_of(column)

        def stated(i: int) -> str:  # the first (1) or last (2) day of each file's range
            return scan.row(lambda t: f"DATE '{ranges[t.name][i]}'" if t.name in ranges else "NULL")

        return cut(days[column], grain, stated(1), stated(2))

    def _crossing(
        self,
        tables: list[FileTable],
        grain: str,
        calendar: Calendar,
        bounds: tuple[Any, Any],
        summary: str,
    ) -> str:
        """Why no period of `grain` can count the source's rows: the first across two of
        them, with its file, line, days and the fix (Meta's: `span_why`). Raises for days
        asked for. `summary`: SQL true on Meta's summary rows."""
        column, end = self.columns["date"], self.columns.get("date_end")
        fmt = self._format(column)
        day = fmt.sql(column, "VARCHAR")
        if end:
            stop = self._format(end).sql(end, "VARCHAR")
            crossing = crossing_sql(day, stop, grain, calendar, bounds)
            names = tuple(self._names(self.layout))
            why = span_why(tables, (column, fmt), (end, self._format(end)),
                           f"NOT {summary} AND {crossing}", names, grain, calendar)  # fmt: skip
            if why is not None:
                return why
            tables = []  # span_why found none: a row's two cells could not be told
        row_grain, ranges = self._row_grain(), self._ranges_of(column)
        for table in tables:
            stated = ranges.get(table.name)
            limits = [f"DATE '{d}'" if stated else "NULL" for d in (stated or (0, 0, 0))[1:]]
            bad = crossing_sql(*cut(day, row_grain, *limits), grain, calendar, bounds)
            found = table.first_cell(column, bad, lambda _: False)
            if found is None:
                continue
            where, text = found
            start = fmt.read(text)
            assert start is not None  # `bad` is false on a missing date
            first, last = start, end_of(start, row_grain)
            if stated:
                first, last = max(first, stated[1]), min(last, stated[2])
            what = f"the {row_grain} of `{text}` ({first} to {last})"
            fix = "download the report segmented by Day (Segment > Time > Day)"
            if self.platform == MICROSOFT:
                fix = "download the report with Daily aggregation (`Report Aggregation: Daily`)"
            if grain == "day":
                raise NoDailyValues(f"this row holds {what}, more than one day", where, fix)
            one, two = (calendar.label(calendar.ordinal_of(d, grain), grain) for d in (first, last))
            if calendar.ordinal_of(first, row_grain) == calendar.ordinal_of(last, row_grain):
                fix += f", or evaluate with `--grain {row_grain}`"
            elif self.platform == MICROSOFT:  # `Weekly`: weeks from Sunday
                fix += week_fix(self.tables, calendar.week_start, grain)
            elif row_grain == "week" and start.weekday() in _WEEK_STARTS:  # Sunday weeks
                fix += _week_start(_WEEK_STARTS[start.weekday()], calendar.week_start, grain)
            return (
                f"a row lies across two {grain}s, so no {grain} can count this source's rows: "
                f"the first, at {where}, holds {what}, partly in {one} and partly in {two}, and "
                f"its numbers cannot be split between them; {fix}"
            )
        raise KpiError(f"rows of column `{column}` lie across two {grain}s")


#: Weekdays (`date.weekday()`) a workspace's weeks can start on: its `week_start:` values.
_WEEK_STARTS = {0: "monday", 6: "sunday"}


def _week_start(start: str, week_start: str, grain: str) -> str:
    """The fix for rows of weeks from another day than the workspace's weeks start on."""
    if start == week_start:
        return ""
    also = " and evaluate with `--grain week`" if grain != "week" else ""
    return f", or set `week_start: {start}` in kpi.yaml (this report's weeks start on " \
        f"{start.title()}s){also}"  # fmt: skip


def unanswered(wanted: list[str], span: tuple[Any, Any], why: str) -> Frame:
    """The answer of a source whose rows no period of the grain can count: the days `span`
    covers without a value (NaN: its KPIs are undefined there, never counted short or with
    another period's days), and `why` for each variable (`Frame.missing`, a finding)."""
    dates = np.array(span, dtype="datetime64[D]")
    values = {v: np.full(len(dates), np.nan) for v in wanted}
    return Frame(dates, {}, values, span=span, missing=dict.fromkeys(wanted, why))


def mixed(tables: list[FileTable], spans: list[Any], grain: str, calendar: Calendar) -> None:
    """Raise when reports without days leave days between them uncovered and one lies across
    two periods of `grain` beside one that is one period, whole or so far (15 June to 15 July
    beside August by month): no period of the grain counts its rows, and one range over them all
    would hold days no file covers (as `ga_export` refuses such files; by day, the range is
    unknown: `Frame.holes`). Files each within one period roll up into it
    (`kpiengine.undatedfiles.at_grain`: Feb's report counts in the first quarter)."""
    if grain == RANGE or len(spans) < 2 or joined_range(spans) is not None:
        return
    if at_grain(spans, grain, calendar):
        return
    hole = holes([(t.name, s, True) for t, s in zip(tables, spans, strict=True)])[0]
    one = [period_so_far(s, grain, calendar) for s in spans]
    if all(one) or not any(one):
        return
    ranged = across(spans, grain, calendar)
    ranged = next(i for i, o in enumerate(one) if not o) if ranged is None else ranged
    dated = next(i for i, o in enumerate(one) if o)
    raise undatable(tables[ranged].name, spans[ranged], tables[dated].name, grain,
                    hole[:2], "the Day segment")  # fmt: skip
