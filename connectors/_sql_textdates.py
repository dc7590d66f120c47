"""Text date columns of a `sql` source's table (not a plugin module).

The query takes a row's day as `CAST(column AS DATE)`. On a text column the database reads
the text in its own order: PostgreSQL's `DateStyle` reads `05/01/2024`, meant as 5 January,
as 1 May, and refuses `13/01/2024` with a bare "date/time field value out of range". A text
date is read only as ISO (`2024-01-05`, every engine reads it alike): before the first query,
a text date column is searched for one cell that is not (`_sql_dates`), and such a cell is an
error naming the column, the table and the cell: a date in another order or form gets a fix
converting the column in a `query:` in the database's own SQL, a cell that is no date (`A`)
is said to be none. A blank cell is no date, as NULL is (`day_sql`).
"""

from __future__ import annotations

import re
from typing import Any

from kpiengine.errors import KpiError
from kpiengine.fileformats.dateguess import spec_of
from kpiengine.sqlgen import quote_ident, translate

from ._sql_types import _bare

_TEXT = re.compile(r"varchar|text|string|character varying|char|bpchar|nvarchar|fixedstring")
_CELL = re.compile(r"\d{1,2}([./-])\d{1,2}\1\d{4}")
#: other numeric forms of a date: `2024/01/05`, `2024.01.05`, `20240105`
_FORMS = (
    (re.compile(r"\d{4}([./])\d{1,2}\1\d{1,2}"), "%Y{0}%m{0}%d"),
    (re.compile(r"\d{8}"), "%Y%m%d"),
)


def is_text(type_name: str) -> bool:
    """Whether a column of this type (as the engine names it) holds text."""
    return _TEXT.match(_bare(type_name)) is not None


def blank_as_null(sql: str) -> str:
    """A text date cell's SQL with a blank cell as NULL: no date, as the file connectors read
    an empty cell (without it, the database's cast of '' fails)."""
    return f"NULLIF(TRIM(CAST({sql} AS VARCHAR)), '')"


def cell_sql(column: str) -> str:
    """A text date column's cell, trimmed."""
    return f"TRIM(CAST({quote_ident(column)} AS VARCHAR))"


def iso_sql(column: str) -> str:
    """SQL true on a text cell that holds an ISO date (`2024-01-05`, a time after it)."""
    return f"{cell_sql(column)} LIKE '____-__-__%'"


def not_iso_sql(column: str) -> str:
    """SQL true on a text cell that holds something other than an ISO date (blank: no date)."""
    return f"({cell_sql(column)} <> '' AND NOT {iso_sql(column)})"


def text_error(source: Any, column: str, cell: str, dated: bool, where: Any) -> KpiError:
    """The error of a text date cell that is not ISO (`dated`: some cell of the column is);
    `where`: `date` or the mapping whose own `date:` the column is."""
    named = source._named()
    if spec_of(cell) is None and _CELL.fullmatch(cell) is None and not _other(cell):
        columns = [c for c in source.columns() if c != column]
        if not dated:
            message = (
                f"column `{column}` of {named} holds no dates but text such as `{cell}`: a "
                "date column holds DATE or TIMESTAMP values, or ISO text (`2024-01-05`)"
            )
            fix = f"name the column of the rows' dates (columns: {', '.join(columns)})"
        else:
            message = (
                f"column `{column}` of {named} holds `{cell}`, which is not a date: a text "
                "date is read as ISO (`2024-01-05`)"
            )
            fix = "correct the cell, or leave such rows out in a `query:` (`WHERE ...`)"
        return located(source, message, where, fix)
    found = _CELL.fullmatch(cell)
    fix = "convert the column to a date in a `query:`, or store dates as ISO (2024-01-05)"
    name = column if re.fullmatch(r"[a-z_][a-z0-9_]*", column) else quote_ident(column)
    if found is not None:
        cast = _cast(source, name, "%d{0}%m{0}%Y".format(found[1]))
        fix = (
            f"convert the column in a `query:`, e.g. `{cast}` when `{cell}` is day, month, "
            "year (swap day and month when the month comes first), or store dates as ISO "
            "(2024-01-05)"
        )
        message = (
            f"column `{column}` of {named} holds dates as text, such as `{cell}`, which "
            "the database would read in its own day and month order: a text date is read "
            "only as ISO (`2024-01-05`)"
        )
        return located(source, message, where, fix)
    spec = _other(cell) or spec_of(cell)
    if spec is not None:
        fix = (
            f"convert the column in a `query:`, e.g. `{_cast(source, name, spec)}`, or store "
            "dates as ISO (2024-01-05)"
        )
    message = (
        f"column `{column}` of {named} holds dates as text written otherwise than ISO, such "
        f"as `{cell}`: a text date is read only as ISO (`2024-01-05`)"
    )
    return located(source, message, where, fix)


def _other(cell: str) -> str | None:
    """The strptime spec of a date written with numbers in another form, or None."""
    for pattern, spec in _FORMS:
        found = pattern.fullmatch(cell)
        if found is not None:
            return spec.format(*found.groups())
    return None


def _cast(source: Any, name: str, pattern: str) -> str:
    """`name` converted from text written as `pattern` to a DATE, in the source's SQL."""
    cast = f"CAST(STRPTIME({name}, '{pattern}') AS DATE) AS {name}"
    if source.dialect == "clickhouse":  # sqlglot writes no ClickHouse function for it
        cast = f"toDate(parseDateTime({name}, '{pattern}')) AS {name}"
    return translate(f"SELECT {cast}", source.dialect).removeprefix("SELECT ")


def located(source: Any, message: str, where: Any, fix: str | None) -> KpiError:
    """The source's error (its URL's secrets hidden) at `where`: the name of one of its
    options, or a Location (a mapping's)."""
    if isinstance(where, str):
        return source.error(message, where, fix)
    error: KpiError = source.error(message, None, fix)
    error.location = where
    return error
