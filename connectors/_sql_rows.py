"""What the rows of a `sql` source give its aggregation, beside their mapped values (not a
plugin module): a segment's renamed text, a variable's value on rows dated by another column,
which distinct counts are read from a column of counts, the first and last days of all the
rows, not only of those in the dates asked for, and the windows of distinct counts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from kpiengine.connector import Mapping, Request
from kpiengine.distinct import Event, rows_counted, window_kind, window_rows
from kpiengine.fileformats.missing import MISSING, missing_sql
from kpiengine.fileformats.sql import Expr
from kpiengine.model import DISTINCT
from kpiengine.sqlgen import quote_text
from kpiengine.table import Frame


def renamed_sql(sql: str, renames: dict[str, str]) -> str:
    """`sql` as the text its segment shows (NULL as '', as in `aggregation_sql`), a value that
    `renames` names replaced by its new name. Values compare exactly, case included, as in the
    file connectors (which trim cells first; this connector shows cells untrimmed). Keys and
    names are SQL string literals, re-quoted by sqlglot for each dialect it translates to."""
    text = f"COALESCE(CAST({sql} AS VARCHAR), '')"
    cases = " ".join(f"WHEN {quote_text(k)} THEN {quote_text(v)}" for k, v in renames.items())
    return f"(CASE {text} {cases} ELSE {text} END)"


def given(request: Request, mappings: dict[str, Mapping]) -> list[str]:
    """The distinct counts mapped to a column of counts (`kpiengine.distinct.given`); counting
    rows of one is an error."""
    found = []
    for variable, rule in request.variables.items():
        mapping = mappings.get(variable)
        if rule.time != DISTINCT or (mapping is not None and mapping.distinct is not None):
            continue
        if mapping is not None and mapping.count:
            raise rows_counted(variable, mapping.location)
        found.append(variable)
    return found


def present_sql(text: str, dialect: str, files: bool) -> str:
    """SQL true where `text` (a cell as VARCHAR) holds a value, for `count: COLUMN`: not NULL,
    not blank; with `files:`, not a missing-value mark either (`—`, `n/a`, `(not set)`:
    `kpiengine.fileformats.missing`, as the `csv` connector counts), DuckDB's test exactly,
    the trimmed text in any case elsewhere (a database's own tables: blank, and a float's or
    NUMERIC's NaN, whose text is `NaN` or `nan`: missing, as the sums read it)."""
    if not files:
        return f"(NULLIF(TRIM({text}), '') IS NOT NULL AND LOWER(TRIM({text})) <> 'nan')"
    if dialect == "duckdb":
        return f"NOT {missing_sql(Expr(text))}"
    marks = ", ".join(quote_text(m) for m in MISSING)
    return f"({text} IS NOT NULL AND LOWER(TRIM({text})) NOT IN ({marks}))"


def absent(mapping: Mapping, time: str, exact: bool = False) -> str:
    """A variable's value on rows dated by another column: no event (0) for a sum, as on a day
    without rows; no value for a distinct count, a mean, a stock (`exact`: of the column's
    integer or DECIMAL type, untyped: `_sql_types`)."""
    if exact:
        return "0" if time == "sum" else "NULL"
    if mapping.distinct is not None:
        return "NULL"
    return "0.0" if time == "sum" or mapping.count else "CAST(NULL AS DOUBLE)"


def only_sql(conditions: list[str]) -> str:
    """The WHERE clause keeping the rows any of `conditions` (SQL) holds for; "" (every row)
    for no condition or one that is TRUE."""
    if not conditions or "TRUE" in conditions:
        return ""
    return " WHERE " + " OR ".join(f"({c})" for c in dict.fromkeys(conditions))


def extent_sql(days: list[tuple[str, str]], relation: str) -> str:
    """The `AggregateSpec.extent` of a table: one MIN and MAX per date column (`days`: SQL on
    the rows of `relation`, and the WHERE clause of the rows it dates, `only_sql`) over all
    those rows. June asked alone is complete when the table has rows in July, as the file
    connectors read it (`kpiengine.filescan`)."""
    return " UNION ALL ".join(
        f"SELECT MIN({day}) AS __lo, MAX({day}) AS __hi FROM {relation}{where}"
        for day, where in days
    )


def widened(
    span: tuple[dt.date, dt.date] | None, names: list[str], edges: list[tuple]
) -> tuple[dt.date, dt.date] | None:
    """`span`, the days of the rows asked for, widened to the first and last days of all the
    rows (the `extent` row of `aggregation_sql`); None stays None, as in the file connectors: no
    rows were asked for."""
    for edge in edges:
        first, last = (edge[names.index(n)] for n in ("__first", "__last"))
        if span is not None and first is not None and last is not None:
            span = (min(span[0], _date(first)), max(span[1], _date(last)))
    return span


def _date(value: Any) -> dt.date:
    """A DATE as an engine returns it (a date, a datetime, numpy's date)."""
    return np.datetime64(value, "D").item()


def id_windows(request: Request, mappings: dict[str, Mapping]) -> dict[str, tuple[str, ...]]:
    """The periods the windows asked of the distinct counts this source counts from ids
    (`distinct:`) run in (`AggregateSpec.windows`)."""
    return {
        v: tuple(k for t in tokens if (k := window_kind(t, request.grain)) is not None)
        for v, tokens in request.windows.items()
        if v in request.variables and (m := mappings.get(v)) is not None and m.distinct
    }


def window_events(names: list[str], rows: list[tuple]) -> tuple[list[tuple], list[tuple]]:
    """The answer's rows, and apart its rows of window events (`__wvar` set)."""
    if "__wvar" not in names:
        return rows, []
    at = names.index("__wvar")
    return [r for r in rows if r[at] is None], [r for r in rows if r[at] is not None]


def with_windows(frame: Frame, names: list[str], rows: list[tuple], request: Request) -> Frame:
    """`frame` with its windows' rows (`kpiengine.distinct.window_rows`) from the event rows."""
    if not rows:
        return frame
    at = {n: i for i, n in enumerate(names)}
    events = [
        Event(
            str(r[at["__wvar"]]),
            str(r[at["__wkind"]]),
            _date(r[at["__period"]]),
            None if r[at["__wb"]] is None else _date(r[at["__wb"]]),
            tuple("" if r[at[d]] is None else str(r[at[d]]) for d in request.dimensions),
            bool(r[at["__total"]]),
            float(r[at["__wn"]]),
        )
        for r in rows
    ]
    window_rows(frame, events, request.windows, request.grain, request.calendar)
    return frame
