"""Rows dated by a period of a Google Analytics export, for `ga_export` (not a plugin module).

A table whose time dimension is not Date (`Year month`, `ISO week of ISO year`, `Month`,
`Nth week`...) names each row's days. `read_periods` reads the distinct values of its period
columns once (one small query) and gives each row its days, cut to the export's date range (the
`#` lines). The rows are periods of a request's grain when each lies in one period (`exact`):
months roll up into quarters and years, ISO weeks are the weeks of a Monday calendar; a finer
grain is refused (`check`): days raise `NoDailyValues`, so that the engine leaves a partial
period unprojected; for weeks and longer the table's variables are left out (`Frame.missing`,
naming the first row that lies across two periods), their KPIs undefined while the other
sources stand. Several period columns narrow each other (`Year` and `Month`). Numbers without
their year (`Month` 01-12, `Week` 01-53, `ISO week of the year`) take it from the date range;
one that falls in two of its years is an error.

GA4 numbers `Week` and `Year week` in Sunday-to-Saturday weeks cut at 1 January (week 01 holds
1 January). `Nth week`, `Nth month` and `Nth year` count from the range's start, and GA does not
say whether in calendar weeks (from Sunday) and months or in whole weeks and months from that
day: a row holds the days of both readings, which agree when the range starts on a Sunday, the
1st of a month, 1 January.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from kpiengine.connector import NoDailyValues, Request
from kpiengine.errors import KpiError, Location
from kpiengine.fileformats import CellError
from kpiengine.fileformats.tables import run_sql
from kpiengine.filescan import Scan
from kpiengine.runcache import duckdb_error
from kpiengine.sqlgen import quote_ident, quote_text

from ._ga_headers import FIELDS

YEARLESS = ("month_of_year", "week_of_year", "iso_week")
RELATIVE = ("nth_week", "nth_month", "nth_year")
DAY = dt.timedelta(days=1)
# what a value looks like, for messages
EXPECTED = {
    "month": "a year and month like 202401",
    "year": "a year like 2024",
    "iso_year": "an ISO year like 2024",
    "year_week": "a year and week like 202401",
    "iso_year_week": "an ISO year and week like 202401",
    "month_of_year": "a month number, 01 to 12",
    "week_of_year": "a week number, 01 to 53",
    "iso_week": "an ISO week number, 01 to 53",
    "nth_week": "a number of weeks like 0001",
    "nth_month": "a number of months like 0001",
    "nth_year": "a number of years like 0001",
}
# what to export instead of a period column whose rows are not periods of the grain asked
INSTEAD = {
    "month_of_year": "month",
    "week_of_year": "iso_year_week",
    "iso_week": "iso_year_week",
    "year_week": "iso_year_week",
    "nth_week": "iso_year_week",
    "nth_month": "month",
    "nth_year": "year",
}
STARTS = {
    "nth_week": "on a Sunday",
    "nth_month": "on the 1st of a month",
    "nth_year": "on 1 January",
}


@dataclass(frozen=True)
class Row:
    """The days of the rows with these period cells: `first` to `last` (cut to the range);
    `years`: how many years of the range a number without its year falls in."""

    texts: tuple[str, ...]
    first: dt.date
    last: dt.date
    years: int = 1


@dataclass
class Periods:
    """The period columns of a table and the days of each distinct row."""

    table: Any  # the `_ga_tables.Table`
    headers: list[str]
    fields: list[str]
    rows: list[Row]

    def day(self, scan: Scan) -> str:
        """SQL for the date of each row: the first of its days."""
        if not self.rows:
            return "CAST(NULL AS DATE)"
        cells = [scan.text(h) for h in self.headers]
        whens = []
        for row in self.rows:
            tests = (f"{c} = {quote_text(t)}" for c, t in zip(cells, row.texts, strict=True))
            whens.append(f"WHEN {' AND '.join(tests)} THEN DATE '{row.first.isoformat()}'")
        return f"(CASE {' '.join(whens)} END)"

    def span(self) -> tuple[dt.date, dt.date] | None:
        """The days the rows cover; the export's date range when it says so (GA leaves out
        periods without sessions)."""
        span = self.table.export.date_range
        if not self.rows:
            return span
        first, last = min(r.first for r in self.rows), max(r.last for r in self.rows)
        return (min(first, span[0]), max(last, span[1])) if span else (first, last)

    @property
    def whole_months(self) -> bool:
        """Whether every row is a calendar month, whole."""
        return bool(self.rows) and all(
            r.first.day == 1 and r.last == _next(r.first) - DAY for r in self.rows
        )

    def _crossing(self, request: Request) -> list[Row]:
        """The rows whose days lie in more than one period of the request's grain."""
        if not self.rows:
            return []
        firsts = np.array([r.first for r in self.rows], dtype="datetime64[D]")
        lasts = np.array([r.last for r in self.rows], dtype="datetime64[D]")
        calendar = request.calendar
        same = calendar.ordinals(firsts, request.grain) == calendar.ordinals(lasts, request.grain)
        return [r for r, ok in zip(self.rows, same, strict=True) if not ok]

    def exact(self, request: Request) -> bool:
        """Whether each row lies in one period of the request's grain."""
        return not self._crossing(request)

    def check(self, request: Request) -> str | None:
        """None when each row lies in one period of the request's grain; else why no period
        can count the rows (the variables are left out with it). Days asked for raise
        `NoDailyValues`; a number without its year in two years of the range is an error."""
        crossing = self._crossing(request)
        if not crossing:
            return None
        grain = request.grain
        refuse = NoDailyValues if grain == "day" else KpiError
        row = min(crossing, key=lambda r: r.first)
        where = self._locate(row.texts)
        field, header, text = self.fields[0], self.headers[0], row.texts[0]
        span = self.table.export.date_range
        years = [i for i, f in enumerate(self.fields) if f in YEARLESS]
        if row.years > 1 and years:
            field, header, text = self.fields[years[0]], self.headers[years[0]], row.texts[years[0]]
            within = f" of the export's date range ({span[0]} to {span[1]})" if span else ""
            raise refuse(
                f"`{header}` numbers {_plural(field)} without their year, and `{text}` falls in "
                f"{row.years} years{within}",
                where,
                f"export {self._instead(field)} instead of `{header}`, or one year at a time",
            )
        what = f"`{header}` `{text}` covers {row.first} to {row.last}"
        if field in RELATIVE and span is not None:
            what += f" (counted from the range's start, {span[0]})"
        fix = f"ask for a longer grain than {grain}, or export the report by `Date`"
        if field in STARTS and span is not None and not _aligned(field, span[0]):
            fix = (
                f"export {self._instead(field)} instead: `{header}` rows are calendar periods "
                f"only when the range starts {STARTS[field]}"
            )
        elif field in ("week_of_year", "year_week") and grain == "week":
            fix = (
                f"GA's `{header}` runs Sunday to Saturday: set `week_start: sunday` in kpi.yaml, "
                f"or export {self._instead(field)}"
            )
        if grain == "day":
            raise NoDailyValues(f"{what}, more than one day", where, fix)
        return f"{what} ({where}), more than one {grain}: no {grain} can count its rows; {fix}"

    def _instead(self, field: str) -> str:
        """The column to export instead, as the export's language writes it (and in English)."""
        other = INSTEAD.get(field, "date")
        names = FIELDS[other][1]
        english = names["en"].split("|")[0]
        local = names.get(self.table.export.language, names["en"]).split("|")[0]
        return f"`{local}`" + (f" ({english})" if local != english else "")

    def _locate(self, texts: tuple[str, ...]) -> Location:
        """Where the first row with these period cells is."""
        file = self.table.file
        tests = " AND ".join(
            f"{_cell(h)} = {quote_text(t)}" for h, t in zip(self.headers, texts, strict=True)
        )
        found = file.first_cell(
            self.headers[0], tests, lambda c: c.strip() == texts[0], also=tuple(self.headers[1:])
        )
        return found[0] if found else file.header(self.headers[0])


def read_periods(table: Any, headers: list[str], fields: list[str]) -> Periods:
    """The period columns' distinct rows and their days (an error at the first bad one)."""
    file = table.file
    cells = ", ".join(_cell(h) for h in headers)
    found = run_sql(f"SELECT DISTINCT {cells} FROM {_rows(file)} WHERE {file.keep_sql()}", file)
    periods = Periods(table, headers, fields, [])
    formats = {h: table.format_of(h) for h, f in zip(headers, fields, strict=True) if f == "month"}
    for values in sorted(found):
        texts = tuple(str(v) for v in values)
        periods.rows.append(_row(periods, texts, formats))
    return periods


def _rows(file: Any) -> str:
    """SQL for the file's rows; when DuckDB cannot read it (caching it), its reader, whose error
    `run_sql` then gives as one about the file (where it is), not as DuckDB's own."""
    try:
        return file.relation()
    except duckdb_error():
        return file.reader()


def _cell(header: str) -> str:
    """SQL for a period cell as `Scan.text` reads it: trimmed, '' when empty."""
    return f"coalesce(trim(CAST({quote_ident(header)} AS VARCHAR)), '')"


def _row(periods: Periods, texts: tuple[str, ...], formats: dict[str, Any]) -> Row:
    """The days of the rows with these period cells: each column narrows them."""
    export = periods.table.export
    span: tuple[dt.date, dt.date] | None = export.date_range
    window = span
    yearless: list[tuple[str, int]] = []
    for field, header, text in zip(periods.fields, periods.headers, texts, strict=True):
        if field == "month":
            days = _month(formats[header], text)
        elif field in YEARLESS:
            number = _number(text, 1, 12 if field == "month_of_year" else 53)
            if number is None:
                raise _bad(periods, texts, field, header, text)
            yearless.append((field, number))
            continue
        elif field in RELATIVE:
            if span is None and export.range_error is not None:
                raise export.range_error
            if span is None:
                raise KpiError(
                    f"`{header}` counts from the start date, but the export has no "
                    "`# Start date` line",
                    periods.table.file.header(header),
                    "export the report again keeping the `#` header lines",
                )
            number = _number(text, 0, 100_000)
            days = None if number is None else _relative(field, number, span[0])
        else:
            days = _absolute(field, text)
        if days is None:
            raise _bad(periods, texts, field, header, text)
        window = days if window is None else _overlap(window, days)
        if window is None:
            raise _outside(periods, texts, header, text, span)
    if not yearless:
        assert window is not None
        return Row(texts, window[0], window[1])
    field, number = yearless[0]
    if window is None:
        header = periods.headers[periods.fields.index(field)]
        raise KpiError(
            f"`{header}` numbers {_plural(field)} without their year, and the export has no "
            "`# Start date` and `# End date` lines to tell it",
            periods.table.file.header(header),
            f"export {periods._instead(field)} instead of `{header}`, keeping the `#` lines",
        )
    pieces = [window]
    for field, number in yearless:
        pieces = [
            both
            for piece in pieces
            for days in _in_years(field, number, piece)
            if (both := _overlap(piece, days)) is not None
        ]
    if not pieces:
        header = periods.headers[periods.fields.index(yearless[0][0])]
        raise _outside(periods, texts, header, texts[periods.fields.index(yearless[0][0])], span)
    return Row(texts, min(p[0] for p in pieces), max(p[1] for p in pieces), len(pieces))


# --- the days a value names -------------------------------------------------------------------


def _number(text: str, low: int, high: int) -> int | None:
    """A whole number from `low` to `high` (digits of any script: `۰۱`), else None."""
    try:
        number = int(text.strip())
    except ValueError:
        return None
    return number if low <= number <= high else None


def _month(fmt: Any, text: str) -> tuple[dt.date, dt.date] | None:
    try:
        day = fmt.read(text)
    except CellError:
        return None
    if day is None:
        return None
    return day.replace(day=1), _next(day) - DAY


def _absolute(field: str, text: str) -> tuple[dt.date, dt.date] | None:
    """Year, ISO year, year and week, ISO year and week."""
    digits = text.strip()
    if field in ("year", "iso_year"):
        year = _number(digits, 1000, 9998) if len(digits) == 4 else None
        if year is None:
            return None
        if field == "year":
            return dt.date(year, 1, 1), dt.date(year, 12, 31)
        return dt.date.fromisocalendar(year, 1, 1), dt.date.fromisocalendar(year + 1, 1, 1) - DAY
    number = _number(digits, 100_001, 999_853) if len(digits) == 6 else None
    if number is None:
        return None
    year, week = divmod(number, 100)
    if field == "year_week":
        return _sunday_week(year, week)
    try:
        monday = dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        return None
    return monday, monday + 6 * DAY


def _sunday_week(year: int, week: int) -> tuple[dt.date, dt.date] | None:
    """GA4's week `week` of `year`: Sunday to Saturday, week 01 the one holding 1 January, both
    cut at the year's ends."""
    jan1 = dt.date(year, 1, 1)
    second = jan1 + dt.timedelta(days=(6 - jan1.weekday()) % 7 or 7)  # the first Sunday after
    if week == 1:
        return jan1, second - DAY
    start = second + dt.timedelta(days=7 * (week - 2))
    if week < 1 or start.year != year:
        return None
    return start, min(start + 6 * DAY, dt.date(year, 12, 31))


def _in_years(field: str, number: int, span: tuple[dt.date, dt.date]) -> list[tuple]:
    """The days a number without its year names in each year of `span`."""
    if field == "iso_week":
        out = []
        for year in range(span[0].isocalendar()[0], span[1].isocalendar()[0] + 1):
            try:
                monday = dt.date.fromisocalendar(year, number, 1)
            except ValueError:  # week 53 of a 52-week year
                continue
            out.append((monday, monday + 6 * DAY))
        return out
    years = range(span[0].year, span[1].year + 1)
    if field == "month_of_year":
        return [(dt.date(y, number, 1), _next(dt.date(y, number, 1)) - DAY) for y in years]
    return [w for y in years if (w := _sunday_week(y, number)) is not None]


def _relative(field: str, number: int, start: dt.date) -> tuple[dt.date, dt.date]:
    """The days of both readings of an Nth week, month or year (see the module)."""
    if field == "nth_week":
        sunday = start - dt.timedelta(days=(start.weekday() + 1) % 7)
        return sunday + dt.timedelta(days=7 * number), start + dt.timedelta(days=7 * number + 6)
    months = number if field == "nth_month" else 12 * number
    calendar = _add_months(start.replace(day=1), months)
    if field == "nth_year":
        calendar = calendar.replace(month=1)
    step = 1 if field == "nth_month" else 12
    return calendar, _add_months(start, months + step) - DAY


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    first = dt.date(year, month + 1, 1)
    return first.replace(day=min(day.day, (_next(first) - DAY).day))


def _next(day: dt.date) -> dt.date:
    """The 1st of the month after `day`'s."""
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _overlap(a: tuple[dt.date, dt.date], b: tuple[dt.date, dt.date]) -> tuple | None:
    first, last = max(a[0], b[0]), min(a[1], b[1])
    return (first, last) if first <= last else None


def _aligned(field: str, start: dt.date) -> bool:
    """Whether both readings of an Nth week, month or year agree from this start."""
    if field == "nth_week":
        return start.weekday() == 6
    return start.day == 1 and (field == "nth_month" or start.month == 1)


def _plural(field: str) -> str:
    return "months" if field == "month_of_year" else "weeks"


# --- errors -------------------------------------------------------------------------------------


def _bad(periods: Periods, texts: tuple, field: str, header: str, text: str) -> KpiError:
    fix = "export the report again from Google Analytics, or remove the row"
    if field in YEARLESS:  # a column of another tool named `Month` may hold `202401`
        fix = f"if `{header}` holds years too, say so: `headers: {{{header}: Year month}}`"
    return KpiError(
        f"expected {EXPECTED[field]} in `{header}`, found `{text}`", periods._locate(texts), fix
    )


def _outside(
    periods: Periods, texts: tuple, header: str, text: str, span: tuple | None
) -> KpiError:
    where = f"the export's date range ({span[0]} to {span[1]})" if span else "the other columns"
    return KpiError(
        f"`{header}` `{text}` is outside {where}",
        periods._locate(texts),
        "export the report again: its rows and its `# Start date`/`# End date` lines disagree",
    )
