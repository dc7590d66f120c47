"""Spreadsheet error values in the `count:` and `distinct:` columns of a `sql` source's `files:`
(not a plugin module).

A cell holding `#N/A`, `#DIV/0!` or another spreadsheet error value (`ERRORS` of
`kpiengine.fileformats.missing`) says a formula failed: its row's id is unknown, so the row can
be neither counted nor left out. The `csv` connector makes it an error at the cell; so does a
`sql` source reading CSV or Parquet files (`files:`), with the same message and place:
- the query the source already runs counts such cells, a hidden measure per column,
  `__sheet COLUMN`, summed over the rows of the dates asked for, whatever `where:` keeps (as the
  `csv` connector checks every row of the column). The test is a `LIKE '%#%'` per cell (every
  error value has a `#`); only a cell holding one is matched against the error values;
- only when a count is not zero are the files read again, to name the first such cell's
  `file:line:column` (`kpiengine.cellreader.raise_spreadsheet_errors`).
A database's own tables (no `files:`) are not checked: a database has no formulas.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from kpiengine.cellreader import raise_spreadsheet_errors
from kpiengine.connector import Mapping
from kpiengine.errors import KpiError
from kpiengine.fileformats.missing import ERROR_PATTERN, ERRORS
from kpiengine.fileformats.sql import anchored
from kpiengine.fileformats.tables import open_tables
from kpiengine.filesource import display
from kpiengine.model import Aggregate
from kpiengine.sqlgen import quote_text

#: the hidden measure of a column's spreadsheet error values
SHEET = "__sheet "
RULE = Aggregate()  # summed over time and segments


def with_error_counts(
    wanted: dict[str, Mapping], rules: dict[str, Aggregate], files: bool
) -> tuple[dict[str, Mapping], dict[str, Aggregate]]:
    """`wanted` and `rules` with a hidden measure per `count:` or `distinct:` column of the
    mappings when the source reads `files:` (dated as the first mapping reading it)."""
    if not files:
        return wanted, rules
    wanted, rules = dict(wanted), dict(rules)
    for mapping in list(wanted.values()):
        column = mapping.distinct if mapping.distinct is not None else mapping.present
        if column is None or SHEET + column in wanted:
            continue
        # a row count, so that rows dated by another column count nothing (`absent`)
        hidden = dataclasses.replace(mapping, count=True, present=None, distinct=None, where={})
        wanted[SHEET + column], rules[SHEET + column] = hidden, RULE
    return wanted, rules


def error_sql(text: str, dialect: str) -> str:
    """SQL 1.0 where `text` (a cell as VARCHAR) is a spreadsheet error value, else 0.0: DuckDB
    matches `ERROR_PATTERN` (every whitespace around), other engines the trimmed text in any
    case; on the cells holding a `#` only."""
    if dialect == "duckdb":
        error = f"regexp_full_match({text}, {quote_text(anchored(ERROR_PATTERN))})"
    else:
        error = f"UPPER(TRIM({text})) IN ({', '.join(quote_text(e) for e in ERRORS)})"
    return f"(CASE WHEN {text} LIKE '%#%' AND {error} THEN 1.0 ELSE 0.0 END)"


def raise_sheet_errors(conn: Any, data: dict[str, Any]) -> None:
    """The error of the first spreadsheet error value of a column whose count (in `data`, the
    query's columns) is not zero, its file read again; `conn` is the `sql.SqlConnector`."""
    columns = [
        n.removeprefix(SHEET)
        for n in data
        if n.startswith(SHEET) and np.nansum(np.array(data[n], dtype=float)) > 0
    ]
    if not columns:
        return
    table = conn.option("table")
    root = conn.config.root.resolve()
    tables = [
        open_tables(f.path, display(f.path, root), encoding=conn.reading.encoding)[0]
        for f in conn.files
        if not table or f.name == table
    ]
    raise_spreadsheet_errors(tables, columns)  # raises at the first cell
    # not found in the files: a `query:` computes the column (or renames it)
    mapping = next(m for m in conn._mappings().values() if columns[0] in (m.distinct, m.present))
    raise KpiError(
        f"source `{conn.config.name}`: column `{columns[0]}` of {conn._named()} holds a "
        "spreadsheet error value (a formula failed, such as `#N/A`): its rows cannot be "
        "counted, nor left out",
        mapping.location,
        "fix the formula and export again, or empty the cells of rows without one",
    )
