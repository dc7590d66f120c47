"""The aggregation query every SQL-speaking source runs, written once and translated per dialect.

The query follows the engine's roll-up rules exactly: each variable is aggregated over time within
each period at the finest segment (time rule), then across segments to the requested dimensions
(segment rule). `last`/`first` keep the rows of the last (first) day with data. The SQL is written
in DuckDB's dialect and translated by sqlglot for the others.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import KpiError
from .model import Aggregate
from .periods import DEFAULT, Calendar

#: Dialects whose generated SQL runs in the test suite; the others are generated only.
TESTED_DIALECTS = ("duckdb", "postgres")
GENERATED_DIALECTS = ("bigquery", "snowflake", "trino", "spark")
_TIME = {"sum": "SUM", "mean": "AVG", "min": "MIN", "max": "MAX"}


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class Measure:
    """One variable to aggregate: a SQL value expression (per row) and its roll-up rule."""

    expr: str
    aggregate: Aggregate


@dataclass
class AggregateSpec:
    """What to aggregate from which rows."""

    relation: str  # a table name or a parenthesised subquery
    day: str  # SQL for the row's date (a DATE)
    dimensions: dict[str, str]  # workspace dimension -> SQL expression (the finest segment)
    measures: dict[str, Measure]
    where: str = "TRUE"


def period_sql(day: str, grain: str, calendar: Calendar = DEFAULT) -> str:
    """SQL for the first day of the period containing `day`, in the calendar's weeks and
    (fiscal) quarters and years."""
    if grain == "day":
        return day
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
    """One query: `__period`, the requested dimensions, one column per measure, and the first
    and last dates with data (`__first`, `__last`) behind each row."""
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
    stocks = [n for n in names if n not in plain]
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
    union = " UNION ALL ".join(
        f"SELECT {keys}, "
        + ", ".join(
            quote_ident(n) if n in cols else f"CAST(NULL AS DOUBLE) AS {quote_ident(n)}"
            for n in names
        )
        + f", __first, __last FROM {table}"
        for table, cols in branches
    )
    outer = ", ".join(["__period", *(quote_ident(d) for d in requested)])
    rules = ", ".join(
        f"{_TIME[spec.measures[n].aggregate.segments]}({quote_ident(n)}) AS {quote_ident(n)}"
        for n in names
    )
    return (
        f"WITH {', '.join(ctes)} SELECT {outer}, {rules}, MIN(__first) AS __first, "
        f"MAX(__last) AS __last FROM ({union}) AS cells GROUP BY {outer} ORDER BY {outer}"
    )


def translate(sql: str, dialect: str) -> str:
    """The query in another SQL dialect (postgres, bigquery, snowflake, trino, spark)."""
    if dialect == "duckdb":
        return sql
    try:
        import sqlglot  # noqa: PLC0415 - only SQL sources pay for the import
    except ImportError:
        raise KpiError(
            f"{dialect} SQL needs the `sqlglot` package", fix='pip install "kpiengine[sql]"'
        ) from None
    return sqlglot.transpile(sql, read="duckdb", write=dialect)[0]
