"""The `ads` connector's cross-checks on its scan (not a plugin module): one currency, one kind
of result (else why `Results` are no conversions), rows within one period (totals rows against
their rows: `_ads_totals`).

Each check reads the scan's aggregates (sums, counts, the first and last value in sort order);
only when one fails is a file read again, to name the line (`FileTable.first_cell`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kpiengine.connector import NoDailyValues
from kpiengine.errors import KpiError, Location
from kpiengine.fileformats import DateFormat
from kpiengine.fileformats.tables import FileTable, run_sql
from kpiengine.periods import GRAINS, Calendar
from kpiengine.sqlgen import quote_ident, quote_text

from ._ads_profiles import CODE


def _first(tables: list[FileTable], column: str, sql: str, text: str) -> Location:
    """Where a cell with `text` (by `sql` on the column) is first."""
    for table in tables:
        cell = table.first_cell(column, sql, lambda t: t.strip().upper() == text.upper())
        if cell is not None:
            return cell[0]
    return tables[0].header(column)


def check_codes(
    tables: list[FileTable],
    column: str | None,
    checks: dict[str, Any],
    declared: list[tuple[str, Location]],
    workspace: str | None,
) -> None:
    """One currency code in the code column and the declared ones, the workspace's."""
    seen = [c for c in (checks.get("code_min"), checks.get("code_max")) if c]
    codes = {c.upper() for c in seen} | {c for c, _ in declared}
    if not codes or (len(codes) == 1 and CODE.match(next(iter(codes))) and
                     (not workspace or codes == {workspace.upper()})):  # fmt: skip
        return
    listed: list[tuple[str, Location]] = []
    for table in tables:
        if column is None:
            break
        c = quote_ident(column)
        sql = (
            f"SELECT upper(trim({c})), count(*) FROM {table.relation()} WHERE {table.keep_sql()} "
            f"AND coalesce(trim({c}), '') NOT IN ('', '--', '-') GROUP BY 1"
        )
        for code, _ in run_sql(sql, table):
            where = _first(tables, column, f"upper(trim({c})) = {quote_text(str(code))}", code)
            listed.append((str(code), where))
    listed = sorted(listed, key=lambda item: (item[1].file, item[1].line)) + declared
    for code, where in listed:
        if not CODE.match(code):
            raise KpiError(f"expected a currency code such as USD, found `{code}`", where)
    names = sorted({code for code, _ in listed})
    if len(names) > 1:
        second = next(where for code, where in listed if code != listed[0][0])
        raise KpiError(
            f"the report mixes currencies ({', '.join(names)}) and there is no rate table",
            second,
            "export each currency's accounts as their own source in one currency, or convert "
            "the amounts first",
        )
    if names and workspace and names[0] != workspace.upper():
        raise KpiError(
            f"the report's amounts are in {names[0]} but the workspace currency is {workspace} "
            "(no rate table to convert them)",
            listed[0][1],
            "convert the amounts first, or set the workspace `currency:` to match",
        )


def kinds_why(
    tables: list[FileTable], kind: str, results: str, checks: dict[str, Any]
) -> str | None:
    """Why Meta's `Results` cannot be conversions: they count each campaign's own objective,
    and only one kind can be added up (the second kind's first row named); None when one."""
    low, high = checks.get("kind_min"), checks.get("kind_max")
    if low is None or low == high:
        return None
    c = quote_ident(kind)
    kinds = {
        str(row[0])
        for table in tables
        for row in run_sql(
            f"SELECT DISTINCT trim({c}) FROM {table.relation()} WHERE {table.keep_sql()} AND "
            f"coalesce(trim({c}), '') <> ''",
            table,
        )
    }
    found = sorted(
        (where.line, value, where)
        for value in kinds
        for where in [_first(tables, kind, f"trim({c}) = {quote_text(value)}", value)]
    )
    return (
        f"`{results}` counts different results ({', '.join(sorted(kinds))}; another than the "
        f"first at {found[1][2]}): they cannot be added up as conversions; {ONE_KIND}"
    )


#: What to do when Meta's `Results` are of several kinds.
ONE_KIND = (
    "name a column counting one action, e.g. `columns: {conversions: Purchases}`, or export "
    "campaigns with one objective"
)


def floor(day: dt.date, grain: str) -> dt.date:
    """The earliest start of a `grain` period (a row's date) that still overlaps a range
    starting on `day`: a week may start six days before it, a month on its first day."""
    if grain == "week":
        return day - dt.timedelta(days=6)
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return dt.date(day.year, 1, 1) if grain == "year" else day


def raise_undated(tables: list[FileTable], column: str, fmt: DateFormat) -> None:
    """The first row without a day in a report by day (Google's `Total:` lines are not rows):
    no period can count it, and leaving it out would lose its numbers."""
    day = fmt.sql(column, "VARCHAR")
    for table in tables:
        found = table.first_cell(column, f"{day} IS NULL", lambda _: False)
        if found is not None:
            raise KpiError(
                f"a row has values but no day in column `{column}`: no period can count it",
                found[0],
                "fill in its day, or remove the row (a subtotal, a note?)",
            )
    raise KpiError(f"rows without a day in column `{column}`")


def raise_outside(
    tables: list[FileTable],
    column: str,
    fmt: DateFormat,
    ranges: dict[str, tuple[dt.date, dt.date, dt.date]],
) -> None:
    """The first row dated outside its report's stated date range (Google's title lines,
    Meta's summary row). `ranges`: table name -> (earliest date a row may have, the range's
    first and last day)."""
    day = fmt.sql(column, "VARCHAR")
    for table in tables:
        if table.name not in ranges:
            continue
        low, first, last = ranges[table.name]
        bad = f"({day} < DATE '{low}' OR {day} > DATE '{last}')"
        found = table.first_cell(column, bad, lambda _: False)
        if found is not None:
            where, text = found
            raise KpiError(
                f"this row is dated `{text}` ({fmt.read(text)} read as `{fmt.written}`), outside "
                f"the report's date range {first} to {last}",
                where,
                "set the source's `date_format:` if the day and month are the other way round, "
                "or download the report again",
            )
    raise KpiError(f"rows dated outside their report's date range in column `{column}`")


def span_why(
    tables: list[FileTable],
    start: tuple[str, DateFormat],
    end: tuple[str, DateFormat],
    crossing: str,
    names: tuple[str, ...],
    grain: str,
    calendar: Calendar,
) -> str | None:
    """Why no period of `grain` can count Meta rows dated from `Reporting starts` to
    `Reporting ends` (`start`, `end`: column and format; `crossing`: SQL true on the rows
    across two periods): the first such row, where it is, its days and the fix naming the
    grain whose periods hold it (a week's row across two months: `--grain week`), as Google's
    rows of weeks say (`_ads_spans`); None when no row's cells can be told. Days asked for
    raise `NoDailyValues`."""
    (begins, fmt), (ends, stop) = start, end
    for table in tables:  # the names tell a row from the summary row of the same dates
        first = table.first_cell(begins, crossing, lambda _: False, also=(ends, *names))
        last = table.first_cell(ends, crossing, lambda _: False, also=(begins, *names))
        if first is None or last is None:
            continue
        what = f"this row covers {first[1]} to {last[1]}"
        fix = "export with a daily breakdown (Breakdown > By time > Day)"
        since, until = fmt.read(first[1]), stop.read(last[1])
        held = None  # the finest grain whose periods hold the row
        if since is not None and until is not None:
            same = (g for g in GRAINS[1:] if calendar.ordinal_of(since, g) ==
                    calendar.ordinal_of(until, g))  # fmt: skip
            held = next(same, None)
        if grain == "day":  # no export of other ranges helps: days, or a grain holding it
            also = f"evaluate with `--grain {held}`" if held else "ask for a coarser grain"
            raise NoDailyValues(f"{what}, more than one day", last[0], f"{fix}, or {also}")
        fix += f", or evaluate with `--grain {held}`" if held else ", or ask for a coarser grain"
        covers = f"covers {first[1]} to {last[1]}"
        if since and until and held and GRAINS.index(held) < GRAINS.index(grain):
            labels = (calendar.label(calendar.ordinal_of(d, grain), grain) for d in [since, until])
            one, two = labels
            covers += f", a {held} partly in {one} and partly in {two}"
        else:
            covers += f", more than one {grain}"
        # the source's variables are then undefined with this reason (`_ads_spans.unanswered`)
        return (
            f"a row lies across {grain}s, so no {grain} can count this source's rows: the "
            f"first, at {first[0]}, {covers}, and its numbers cannot be split between them; "
            f"{fix}"
        )
    return None
