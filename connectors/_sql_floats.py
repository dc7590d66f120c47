"""NaN and infinities in the number columns a `sql` source reads (not a plugin module).

Float columns of DuckDB, ClickHouse, Spark, PostgreSQL and Snowflake can hold NaN and the two
infinities. The `csv` connector's number grammar reads a missing cell as missing and an `inf`
cell as an error; the `sql` connector does the same with the database's values, in the query:
- NaN is missing: NULL before the aggregation, so a month's sum (mean, last value) is that of
  its other rows: `NULLIF(x, 'NaN')` where NaN equals itself (DuckDB, PostgreSQL, Spark,
  Snowflake), `x + NULLIF(isnan(x), 1)` where it equals nothing (ClickHouse, BigQuery, Trino);
- an infinity is an error naming the column, the table (or the query) and the first day it
  is on, found by the same query: a hidden measure per mapped column, `__inf VARIABLE`, the
  least `yyyymmdd * 2 (+ 1 for -inf)` of its infinite values (MIN over time and segments).
Both are written in DuckDB's dialect, as the whole query is, in forms sqlglot translates to
each engine's own functions; one CASE-free expression per row each (tests/test_sql_renames.py
takes the query's one CASE for a renamed segment's).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from kpiengine.connector import Mapping
from kpiengine.errors import Location
from kpiengine.model import Aggregate

#: the hidden measure of a variable's infinite values
PREFIX = "__inf "
RULE = Aggregate("min", "min")
# `{x}` a DOUBLE as NULL when it is NaN. NaN equals itself in DuckDB, PostgreSQL, Spark and
# Snowflake: NULLIF. In ClickHouse, BigQuery and Trino it equals nothing: `x + 0`, the 0 NULL
# when x is NaN.
_NAN_EQUALS_NAN = ("duckdb", "postgres", "spark", "snowflake")
_NAN, _NAN_IEEE = (
    "NULLIF({x}, CAST('NaN' AS DOUBLE))",
    "({x} + NULLIF(CAST(isnan({x}) AS INTEGER), 1))",
)
# whether `{x}` is infinite: DuckDB's own name, which sqlglot writes as isInfinite, IS_INF; else
# a comparison with infinity (PostgreSQL, Spark, Snowflake have no function for it)
_INF = {
    "duckdb": "isinf({x})",
    "clickhouse": "isinf({x})",
    "bigquery": "isinf({x})",
    "trino": "is_infinite({x})",
}
_INF_DEFAULT = "(abs({x}) = CAST('inf' AS DOUBLE))"


def finite_sql(value: str, dialect: str) -> str:
    """`value` (a DOUBLE) with NaN as NULL: a missing value."""
    return (_NAN if dialect in _NAN_EQUALS_NAN else _NAN_IEEE).format(x=value)


def infinite_sql(value: str, day: str, condition: str, dialect: str) -> str:
    """The hidden measure of `value`'s infinite values on the rows `condition` keeps: the row's
    day as yyyymmdd, times 2, plus 1 for -inf (the least is the first day); NULL otherwise."""
    test = _INF.get(dialect, _INF_DEFAULT).format(x=value)
    keep = test if condition == "TRUE" else f"({condition}) AND {test}"
    stamp = " + ".join(
        f"EXTRACT({part} FROM {day}) * {scale}"
        for part, scale in (("YEAR", 20000), ("MONTH", 200), ("DAY", 2))
    )
    only = f"NULLIF(CAST({keep} AS INTEGER), 0)"  # 1 on those rows, else NULL
    return f"CAST({only} * ({stamp} + CAST({value} < 0 AS INTEGER)) AS DOUBLE)"


def infinity_error(
    data: dict[str, Any], mappings: dict[str, Mapping], named: str
) -> tuple[str, Location, str] | None:
    """(message, where in kpi.yaml, fix) for the first infinite value the query found (the first
    day; on one day, the first variable's), or None. `data`: the query's columns; `named` what
    the source reads (`table `deals` (exports/deals.csv)`, `the query`)."""
    found = []
    for order, name in enumerate(n for n in data if n.startswith(PREFIX)):
        stamps = [float(v) for v in data[name] if v is not None]
        stamps = [v for v in stamps if not math.isnan(v)]
        if stamps:
            found.append((int(min(stamps)), order, mappings[name.removeprefix(PREFIX)]))
    if not found:
        return None
    stamp, _, mapping = min(found)
    day, sign = divmod(stamp, 2)
    date = dt.date(day // 10000, day // 100 % 100, day % 100)
    return (
        f"expected a number in column `{mapping.column}` of {named}, found "
        f"`{'-inf' if sign else 'inf'}` on {date.isoformat()}",
        mapping.location,
        "store a missing value as NULL (NaN reads as missing); an infinity often comes from a "
        "division by zero",
    )
