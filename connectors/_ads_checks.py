"""The `ads` connector's cross-checks on its scan (not a plugin module): totals and summary rows
against the rows they total, one currency, one kind of result, rows within one period.

Each check reads the scan's aggregates (sums, counts, the first and last value in sort order);
only when one fails is a file read again, to name the line (`FileTable.first_cell`).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from kpiengine.connector import NoDailyValues
from kpiengine.errors import KpiError, Location
from kpiengine.fileformats import CellError, DateFormat, read_number
from kpiengine.fileformats.tables import FileTable, run_sql
from kpiengine.sqlgen import quote_ident, quote_text

from ._ads_profiles import (
    ACCOUNT_TOTALS,
    ALL_WORDS,
    CAMPAIGNS_WORDS,
    CODE,
    GOOGLE,
    SHOWN_TOTALS,
    TOTAL_LABEL,
)


def scope(label: str, platform: str) -> str | None:
    """Which rows a totals row totals: `shown` (every row of its file), `account`, or the name
    of a campaign type (lowercase, as the rows would write it); None when the label says
    neither (it is then not checked)."""
    if platform != GOOGLE:
        return "shown"
    kind = " ".join(TOTAL_LABEL.sub("", label).split()).lower()
    if kind in ACCOUNT_TOTALS:
        return "account"
    if kind in SHOWN_TOTALS or kind.split(" ", 1)[0] in ALL_WORDS:
        return "shown"
    for word in CAMPAIGNS_WORDS:  # `Search campaigns`, `campagnes Search`
        kind = kind.removesuffix(f" {word}").removeprefix(f"{word} ")
    return kind.strip() or None


def check_totals(
    totals: list[tuple[FileTable, int, str, list[str]]],
    metrics: dict[str, tuple[str, int]],
    checks: dict[str, Any],
    decimals: dict[str, str],
    types: set[str],
    platform: str,
    files: dict[str, str] | None = None,
) -> None:
    """Total (summary) rows must match the sum of the rows they total, beyond rounding.

    `totals`: (table, line, label, cells) of each; `metrics`: column -> (name in the checks,
    field index); the checks hold `sum_<name>` and `rows` for every row, `sum_<name>_<type>`
    and `rows_<type>` by campaign type, each followed by the file's key in `files` (table name
    -> key; none for one file): a file's totals total its own rows. An account total may count
    what a filter hid: it is checked only without a total of the rows shown in its file. A
    type's total is checked only when rows of that type are there to add up."""
    files = files or {}
    scopes = [scope(label, platform) for _, _, label, _ in totals]
    shown = {t.name for (t, *_), where in zip(totals, scopes, strict=True) if where == "shown"}
    order = sorted(zip(totals, scopes, strict=True), key=lambda t: t[1] not in ("shown", "account"))
    for (table, line, label, cells), where in order:
        if where is None or (where == "account" and table.name in shown):
            continue
        if where not in ("shown", "account") and where not in types:
            continue  # no campaign type column to tell the rows of this total
        suffix = ("" if where in ("shown", "account") else f"_{where}") + files.get(table.name, "")
        count = checks.get(f"rows{suffix}") or 0
        if where not in ("shown", "account") and not count:
            continue  # never compare a total with a type no row has
        for column, (name, index) in metrics.items():
            text = cells[index] if index < len(cells) else ""
            try:
                expected = read_number(text, decimals[table.name]).value
            except CellError as exc:
                raise exc.at(table.location(line, column)) from None
            if math.isnan(expected):
                continue
            got = checks.get(f"sum_{name}{suffix}") or 0.0
            if abs(got - expected) > 0.005 * (count + 1) + 1e-9 * abs(expected):
                what = f"`{label}`" if platform == GOOGLE else "the summary row"
                mine = " in this file" if table.name in files else ""
                raise KpiError(
                    f"the rows{mine} add up to {got:,.2f} in column `{column}` but {what} says "
                    f"{expected:,.2f}",
                    table.location(line, column),
                    "the export was edited or is incomplete: download it again (without filters "
                    "hiding rows)",
                )


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


def check_kinds(tables: list[FileTable], kind: str, results: str, checks: dict[str, Any]) -> None:
    """Meta's `Results` count each campaign's own objective: one kind only can be added up."""
    low, high = checks.get("kind_min"), checks.get("kind_max")
    if low is None or low == high:
        return
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
    raise KpiError(
        f"`{results}` counts different results ({', '.join(sorted(kinds))}): they cannot be "
        "added up as conversions",
        found[1][2],
        "name a column counting one action, e.g. `columns: {conversions: Purchases}`, or export "
        "campaigns with one objective",
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
                f"this row is dated `{text}` ({fmt.read(text)} read as `{fmt.spec}`), outside "
                f"the report's date range {first} to {last}",
                where,
                "set the source's `date_format:` if the day and month are the other way round, "
                "or download the report again",
            )
    raise KpiError(f"rows dated outside their report's date range in column `{column}`")


def raise_span(
    tables: list[FileTable],
    start: str,
    end: str,
    crossing: str,
    names: tuple[str, ...],
    grain: str,
) -> None:
    """Meta rows dated from `Reporting starts` to `Reporting ends` must each fall in one
    period (`crossing`: SQL true on those that do not): the first that does not."""
    for table in tables:  # the names tell a row from the summary row of the same dates
        first = table.first_cell(start, crossing, lambda _: False, also=(end, *names))
        last = table.first_cell(end, crossing, lambda _: False, also=(start, *names))
        if first is not None and last is not None:
            whole = "export whole months" if grain == "day" else "ask for a coarser grain"
            raise NoDailyValues(  # the engine leaves the source's variables out, and says why
                f"this row covers {first[1]} to {last[1]}, more than one {grain}",
                last[0],
                f"export with a daily breakdown (Breakdown > By time > Day), or {whole}",
            )
