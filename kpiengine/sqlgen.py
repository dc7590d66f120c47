"""The aggregation query every SQL-speaking source runs, written once and translated per dialect.

The query follows the engine's roll-up rules exactly: each variable is aggregated over time within
each period at the finest segment (time rule), then across segments to the requested dimensions
(segment rule). `last`/`first` keep the rows of the last (first) day with data. A `distinct` count
is never added up: it is counted at the requested grain for each requested segment and for the
total (rows flagged `__total`), from the rows themselves. The SQL is written in DuckDB's dialect
and translated by sqlglot for the others.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import KpiError
from .periods import DEFAULT, RANGE, Calendar

if TYPE_CHECKING:  # the model pulls sympy in: SQL generation only needs the rule's names
    from .model import Aggregate

#: Dialects whose generated SQL runs in the test suite (Snowflake on fakesnow, ClickHouse on chDB,
#: Spark local); the others are generated only (and compared with committed snapshots).
TESTED_DIALECTS = ("duckdb", "postgres", "clickhouse", "spark", "snowflake")
GENERATED_DIALECTS = ("bigquery", "trino")
_TIME = {"sum": "SUM", "mean": "AVG", "min": "MIN", "max": "MAX"}
DISTINCT = "distinct"  # kpiengine.model.DISTINCT, without importing the model
ROLLING = "rolling"  # the events of rolling windows (`AggregateSpec.windows`)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class Measure:
    """One variable to aggregate: a SQL value expression (per row) and its roll-up rule;
    `exact`: the expression is a column of integers or DECIMALs, aggregated in its own type and
    converted to DOUBLE once rolled up (a sum of 100,001 x 0.10 is 10000.1)."""

    expr: str
    aggregate: Aggregate
    exact: bool = False


@dataclass
class AggregateSpec:
    """What to aggregate from which rows."""

    relation: str  # a table name or a parenthesised subquery
    day: str  # SQL for the row's date (a DATE)
    dimensions: dict[str, str]  # workspace dimension -> SQL expression (the finest segment)
    measures: dict[str, Measure]
    where: str = "TRUE"
    #: SQL of rows `__lo`, `__hi`: the first and last days of all the data, whatever `where`
    #: keeps; given, the answer has one more row (`__period` NULL) with them as `__first`,
    #: `__last`, so that a period is partial only where the data stops, not the dates asked
    extent: str | None = None
    #: distinct measures counted over windows: measure -> the periods their windows run in
    #: (`year`, `quarter`, `month`) or `rolling` (`kpiengine.distinct.window_kind`); given, the
    #: answer has rows of events (`__wvar` set, see `_window_ctes`)
    windows: dict[str, tuple[str, ...]] = field(default_factory=dict)


def where_value(condition: str, value: str, time: str) -> str:
    """A mapped value on the rows a `where:` keeps: 0 on the others for a sum (nothing
    happened there), nothing (NULL) for any other rule: a mean, minimum, maximum, first or last
    value is not pulled towards 0 by the rows left out."""
    other = " ELSE 0.0" if time == "sum" else ""
    return f"(CASE WHEN {condition} THEN {value}{other} END)"


def sums_exactly(types: Iterable[str]) -> bool:
    """Whether DuckDB is to sum columns of these types in their own, exactly, without overflow:
    a DECIMAL of at most 18 digits (its sum has 38). Integers are summed as DOUBLE, exact below
    2^53 (9e15 clicks) and faster than HUGEINT sums (a tenth of a 5M-row scan)."""
    for type_ in types:
        name = type_.upper().replace(" ", "")
        found = re.fullmatch(r"(?:DECIMAL|NUMERIC)\((\d+)(?:,\d+)?\)", name)
        if name != "DECIMAL" and not (found and int(found[1]) <= 18):
            return False
    return True


def exact_sum_sql(sql: str, exact: dict[str, str]) -> str | None:
    """A summed measure's SQL reading a typed column as it is (`exact`: the SQL of a read's
    DOUBLE value -> that of its column), so that DuckDB sums integers and DECIMALs exactly and
    converts once aggregated, not per row (100,001 x 0.10 is 10000.1, not 10000.100000000153).
    Only a measure that is a value itself or `where_value` of it; None for any other (a scale,
    a sum of columns: summed as DOUBLE)."""
    if sql in exact:
        return exact[sql]
    for value, column in exact.items():
        found = re.fullmatch(
            rf"\(CASE WHEN (.*) THEN {re.escape(value)}( ELSE 0\.0)? END\)", sql, re.S
        )
        if found is not None and value not in found.group(1):
            other = " ELSE 0" if found.group(2) else ""
            return f"(CASE WHEN {found.group(1)} THEN {column}{other} END)"
    return None


def date_range_sql(day: str, start: dt.date | None, end: dt.date | None) -> str:
    """SQL keeping the rows within the dates an evaluation needs (TRUE when unbounded)."""
    parts = []
    if start is not None:
        parts.append(f"{day} >= DATE '{start.isoformat()}'")
    if end is not None:
        parts.append(f"{day} <= DATE '{end.isoformat()}'")
    return " AND ".join(parts) or "TRUE"


def period_sql(day: str, grain: str, calendar: Calendar = DEFAULT) -> str:
    """SQL for the first day of the period containing `day`, in the calendar's weeks and
    (fiscal) quarters and years."""
    if grain == "day":
        return day
    if grain == RANGE:  # the one period of an undated export: every row is in it
        first = calendar.start_date(0, RANGE)
        return f"CAST({quote_text(first.isoformat())} AS DATE)"
    if grain == "week" and calendar.week_start == "sunday":
        return f"CAST(DATE_TRUNC('week', {day} + INTERVAL 1 DAY) - INTERVAL 1 DAY AS DATE)"
    months = calendar.fiscal_year_start - 1 if grain in ("quarter", "year") else 0
    if months:
        shifted = f"{day} - INTERVAL {months} MONTH"
        return f"CAST(DATE_TRUNC({quote_text(grain)}, {shifted}) + INTERVAL {months} MONTH AS DATE)"
    return f"CAST(DATE_TRUNC({quote_text(grain)}, {day}) AS DATE)"


def aggregation_sql(
    spec: AggregateSpec, grain: str, requested: list[str], calendar: Calendar = DEFAULT
) -> str:
    """One query: `__period`, the requested dimensions, one column per measure, the first and
    last dates with data (`__first`, `__last`) behind each row, and `__total`: true on the rows
    of distinct counts for every requested dimension at once (the other rows are false)."""
    fine = [quote_ident(d) for d in spec.dimensions]
    dims = "".join(
        f", COALESCE(CAST({expr} AS VARCHAR), '') AS {quote_ident(name)}"
        for name, expr in spec.dimensions.items()
    )
    values = "".join(f", {m.expr} AS {quote_ident(n)}" for n, m in spec.measures.items())
    ctes = [
        "base AS (SELECT "
        f"{period_sql(spec.day, grain, calendar)} AS __period, {spec.day} AS __day{dims}{values} "
        f"FROM {spec.relation} WHERE ({spec.where}) AND {spec.day} IS NOT NULL)"
    ]
    keys = ", ".join(["__period", *fine])
    names = list(spec.measures)
    plain = [n for n, m in spec.measures.items() if m.aggregate.time in _TIME]
    distinct = [n for n, m in spec.measures.items() if m.aggregate.time == DISTINCT]
    stocks = [n for n in names if n not in plain and n not in distinct]
    branches = []
    if plain:
        cols = ", ".join(
            f"{_TIME[spec.measures[n].aggregate.time]}({quote_ident(n)}) AS {quote_ident(n)}"
            for n in plain
        )
        ctes.append(
            f"plain AS (SELECT {keys}, {cols}, MIN(__day) AS __first, MAX(__day) AS __last "
            f"FROM base GROUP BY {keys})"
        )
        branches.append(("plain", plain))
    if stocks:
        sums = ", ".join(f"SUM({quote_ident(n)}) AS {quote_ident(n)}" for n in stocks)
        ctes.append(f"days AS (SELECT {keys}, __day, {sums} FROM base GROUP BY {keys}, __day)")
        for i, name in enumerate(stocks):
            edge = "MAX" if spec.measures[name].aggregate.time == "last" else "MIN"
            join = " AND ".join(f"d.{k} = e.{k}" for k in ["__period", *fine])
            ctes.append(
                f"stock{i} AS (SELECT d.__period{''.join(f', d.{k}' for k in fine)}, "
                f"d.{quote_ident(name)}, e.__first, e.__last FROM days d JOIN (SELECT {keys}, "
                f"{edge}(__day) AS __edge, MIN(__day) AS __first, MAX(__day) AS __last "
                f"FROM days WHERE {quote_ident(name)} IS NOT NULL GROUP BY {keys}) e "
                f"ON {join} AND d.__day = e.__edge)"
            )
            branches.append((f"stock{i}", [name]))
    wanted = [quote_ident(d) for d in requested]
    outer = ", ".join(["__period", *wanted])
    if distinct:
        ctes.append(_distinct_cte(spec, distinct, wanted))
    windowed, events = _window_ctes(spec, grain, calendar, wanted)
    ctes += windowed
    union = " UNION ALL ".join(
        f"SELECT {keys}, "
        + ", ".join(
            quote_ident(n) if n in cols else f"{_null(spec, n, branches)} AS {quote_ident(n)}"
            for n in names
        )
        + f", __first, __last FROM {table}"
        for table, cols in branches
    )
    rules = ", ".join(
        _double(f"{_TIME.get(spec.measures[n].aggregate.segments, 'MAX')}({quote_ident(n)})",
                spec.measures[n]) + f" AS {quote_ident(n)}"
        for n in names
    )  # fmt: skip
    parts = []
    if union:
        parts.append(
            f"SELECT {outer}, {rules}, MIN(__first) AS __first, MAX(__last) AS __last, "
            f"FALSE AS __total FROM ({union}) AS cells GROUP BY {outer}"
        )
    if distinct:
        counted = ", ".join(
            quote_ident(n) if n in distinct else f"CAST(NULL AS DOUBLE) AS {quote_ident(n)}"
            for n in names
        )
        parts.append(f"SELECT {outer}, {counted}, __first, __last, __total FROM counted")
    answer = parts[0]
    if len(parts) > 1:  # one row per period and segment: the counts beside the other measures
        merged = ", ".join(f"MAX({quote_ident(n)}) AS {quote_ident(n)}" for n in names)
        answer = (
            f"SELECT {outer}, {merged}, MIN(__first) AS __first, MAX(__last) AS __last, "
            f"__total FROM ({' UNION ALL '.join(parts)}) AS parts GROUP BY {outer}, __total"
        )
    more = _NO_EVENT if events else ""
    query = f"SELECT *{more} FROM ({answer}) AS answer"
    if spec.extent is not None:
        blanks = "".join(f"NULL AS {name}, " for name in [*wanted, *map(quote_ident, names)])
        query += (
            f" UNION ALL SELECT NULL AS __period, {blanks}MIN(__lo) AS __first, "
            f"MAX(__hi) AS __last, NULL AS __total{more} FROM ({spec.extent}) AS extent"
        )
    nothing = "".join(f"CAST(NULL AS DOUBLE) AS {quote_ident(n)}, " for n in names)
    for table, variable, kind, following in events:
        query += (
            f" UNION ALL SELECT __wa AS __period, {''.join(f'{d}, ' for d in wanted)}{nothing}"
            "CAST(NULL AS DATE) AS __first, CAST(NULL AS DATE) AS __last, __total, "
            f"{quote_text(variable)} AS __wvar, {quote_text(kind)} AS __wkind, "
            f"{following} AS __wb, CAST(__wn AS DOUBLE) AS __wn FROM {table}"
        )
    return f"WITH {', '.join(ctes)} {query} ORDER BY __total, {outer}"


def _null(spec: AggregateSpec, name: str, branches: list[tuple[str, list[str]]]) -> str:
    """A measure's NULL in a branch of the union that does not aggregate it: a DOUBLE, or for
    an exact one a NULL of its aggregate's own type (of any engine, a DECIMAL's precision too):
    its column in no row of the branch holding it (PostgreSQL takes two untyped NULLs of a
    union for text, which a DECIMAL then does not match)."""
    if not spec.measures[name].exact:
        return "CAST(NULL AS DOUBLE)"
    home = next(table for table, cols in branches if name in cols)
    return f"(SELECT {quote_ident(name)} FROM {home} WHERE FALSE)"


def _double(sql: str, measure: Measure) -> str:
    """An aggregate of a measure as DOUBLE: an exact one converted only now."""
    return f"CAST({sql} AS DOUBLE)" if measure.exact else sql


def _distinct_cte(spec: AggregateSpec, distinct: list[str], wanted: list[str]) -> str:
    """Distinct counts by period and requested segment, and by period alone (`__total`): a
    grouping set each, from the rows."""
    counts = ", ".join(
        f"CAST(COUNT(DISTINCT {quote_ident(n)}) AS DOUBLE) AS {quote_ident(n)}" for n in distinct
    )
    if not wanted:
        return (
            f"counted AS (SELECT __period, {counts}, MIN(__day) AS __first, MAX(__day) AS "
            "__last, FALSE AS __total FROM base GROUP BY __period)"
        )
    shown = ", ".join(f"COALESCE({d}, '') AS {d}" for d in wanted)
    return (
        f"counted AS (SELECT __period, {shown}, {counts}, MIN(__day) AS __first, "
        f"MAX(__day) AS __last, GROUPING({', '.join(wanted)}) > 0 AS __total FROM base "
        f"GROUP BY GROUPING SETS ((__period, {', '.join(wanted)}), (__period)))"
    )


#: The event columns of the rows that are no events (see `_window_ctes`).
_NO_EVENT = (
    ", CAST(NULL AS VARCHAR) AS __wvar, CAST(NULL AS VARCHAR) AS __wkind, "
    "CAST(NULL AS DATE) AS __wb, CAST(NULL AS DOUBLE) AS __wn"
)


def window_group_sql(period: str, grain: str, outer: str, calendar: Calendar = DEFAULT) -> str:
    """SQL for the first day of the `outer` period (year, quarter, month) that the period
    starting on `period` belongs to: the one it starts in; a week's is its Thursday's
    (`kpiengine.distinct.outer_of`)."""
    if grain == "week":
        period = f"({period} + INTERVAL {4 if calendar.week_start == 'sunday' else 3} DAY)"
    return period_sql(period, outer, calendar)


def _window_ctes(
    spec: AggregateSpec, grain: str, calendar: Calendar, wanted: list[str]
) -> tuple[list[str], list[tuple[str, str, str, str]]]:
    """The events of each distinct measure counted over windows (`kpiengine.distinct.Event`),
    per requested segment and for the total: the ids by the first period of each (fiscal) year,
    quarter or month they are seen in, counted (`__wa`); for rolling windows, by each period
    they are seen in and the next one (`__wa`, `__wb`, by LEAD over the ids' periods). The
    CTEs and (CTE, measure, kind, SQL of `__wb`) of each."""
    ctes: list[str] = []
    events: list[tuple[str, str, str, str]] = []
    dims = ", ".join(wanted)
    shown = "".join(f"COALESCE({d}, '') AS {d}, " for d in wanted)
    total = f"GROUPING({dims}) > 0" if wanted else "FALSE"
    for name, kinds in spec.windows.items():
        if spec.measures.get(name) is None or spec.measures[name].aggregate.time != DISTINCT:
            continue
        ids = f"SELECT __period, {''.join(f'{d}, ' for d in wanted)}{quote_ident(name)} AS __wid "
        ids += f"FROM base WHERE {quote_ident(name)} IS NOT NULL"
        for kind in sorted(set(kinds)):
            cte = f"w{len(events)}"
            keys = ["__wg" if kind != ROLLING else "__period", *wanted, "__wid"]
            sets = f"({', '.join(keys)})" + (f", ({keys[0]}, __wid)" if wanted else "")
            if kind == ROLLING:  # each id once a period, then the next period it is seen in
                seen = (
                    f"SELECT __period, {shown}{total} AS __total, __wid FROM ({ids}) AS r "
                    f"GROUP BY GROUPING SETS ({sets})"
                )
                inner = (
                    f"SELECT __period AS __wa, LEAD(__period) OVER (PARTITION BY __total, "
                    f"{dims + ', ' if dims else ''}__wid ORDER BY __period) AS __wb, "
                    f"{''.join(f'{d}, ' for d in wanted)}__total FROM ({seen}) AS s"
                )
                keep = ["__wa", "__wb", *wanted, "__total"]
            else:  # each id once a year (quarter, month): its first period there
                group = window_group_sql("__period", grain, kind, calendar)
                inner = (
                    f"SELECT MIN(__period) AS __wa, {shown}{total} AS __total FROM (SELECT "
                    f"{group} AS __wg, {ids.removeprefix('SELECT ')}) AS r GROUP BY GROUPING "
                    f"SETS ({sets})"
                )
                keep = ["__wa", *wanted, "__total"]
            ctes.append(
                f"{cte} AS (SELECT {', '.join(keep)}, COUNT(*) AS __wn FROM ({inner}) AS i "
                f"GROUP BY {', '.join(keep)})"
            )
            events.append((cte, name, kind, "__wb" if "__wb" in keep else "CAST(NULL AS DATE)"))
    return ctes, events


def translate(sql: str, dialect: str) -> str:
    """The query in another dialect (postgres, clickhouse, spark, snowflake, bigquery, trino)."""
    if dialect == "duckdb":
        return sql
    try:
        import sqlglot  # noqa: PLC0415 - only SQL sources pay for the import
    except ImportError:
        raise KpiError(
            f"{dialect} SQL needs the `sqlglot` package", fix='pip install "kpiengine[sql]"'
        ) from None
    return sqlglot.transpile(sql, read="duckdb", write=dialect)[0]
