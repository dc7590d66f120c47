"""Text date columns of a `sql` source's table (not a plugin module).

The query takes a row's day as `CAST(column AS DATE)`. On a text column the database reads
the text in its own order: PostgreSQL's `DateStyle` reads `05/01/2024`, meant as 5 January,
as 1 May, and refuses `13/01/2024` with a bare "date/time field value out of range". A text
date is read only as ISO (`2024-01-05`, every engine reads it alike): before the first query,
a text date column is searched for one cell that is not (one `LIMIT 1` query per column,
only for text columns), and such a cell is an error naming the column, the table and the
cell, whose fix converts the column in a `query:` in the database's own SQL.
"""

from __future__ import annotations

import re
from typing import Any
from weakref import WeakSet

from kpiengine.errors import KpiError
from kpiengine.sqlgen import quote_ident, translate

from ._sql_types import _bare

_TEXT = re.compile(r"varchar|text|string|character varying|char|bpchar|nvarchar|fixedstring")
_CELL = re.compile(r"\d{1,2}([./-])\d{1,2}\1\d{4}")
_checked: WeakSet[Any] = WeakSet()


def _is_text(type_name: str) -> bool:
    return _TEXT.match(_bare(type_name)) is not None


def refuse_text_dates(source: Any) -> None:
    """Raise KpiError when a text date column of `source` (a SqlConnector) holds a date that
    is not ISO (once per source)."""
    if source in _checked or not source.runnable:
        return
    default = str(source.option("date"))
    columns = dict.fromkeys(m.date or default for m in source._mappings().values())
    source.columns()  # their types
    for column in columns or [default]:
        if not _is_text(source._types.get(column, "")):
            continue
        text = f"TRIM(CAST({quote_ident(column)} AS VARCHAR))"
        sql = f"SELECT {text} FROM {source.relation} WHERE NOT {text} LIKE '____-__-__%' LIMIT 1"
        _, rows, _ = source._run(translate(sql, source.dialect))
        if rows and rows[0][0] is not None:
            raise _error(source, column, str(rows[0][0]))
    _checked.add(source)


def _error(source: Any, column: str, cell: str) -> KpiError:
    found = _CELL.fullmatch(cell)
    fix = "convert the column to a date in a `query:`, or store dates as ISO (2024-01-05)"
    if found is not None:
        pattern = "%d{0}%m{0}%Y".format(found[1])
        name = column if re.fullmatch(r"[a-z_][a-z0-9_]*", column) else quote_ident(column)
        cast = f"CAST(STRPTIME({name}, '{pattern}') AS DATE) AS {name}"
        if source.dialect == "clickhouse":  # sqlglot writes no ClickHouse function for it
            cast = f"toDate(parseDateTime({name}, '{pattern}')) AS {name}"
        cast = translate(f"SELECT {cast}", source.dialect).removeprefix("SELECT ")
        fix = (
            f"convert the column in a `query:`, e.g. `{cast}` when `{cell}` is day, month, "
            "year (swap day and month when the month comes first), or store dates as ISO "
            "(2024-01-05)"
        )
    key = "date" if column == str(source.option("date")) else None
    return source.error(
        f"column `{column}` of {source._named()} holds dates as text, such as `{cell}`, which "
        "the database would read in its own day and month order: a text date is read only as "
        "ISO (`2024-01-05`)",
        key,
        fix,
    )
