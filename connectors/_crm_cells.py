"""Cells the `crm` connector refuses that the reading layer lets through (not a plugin module):
text holding a NUL byte.

The reading layer stops at a NUL in a file's first bytes (`fileformats.encodings`: the file is a
sparse, partly written or binary one); one further down, in a quoted cell, DuckDB reads as a
character like any other: `\\x00Email Marketing` would be a channel of its own (`values:`
renames `Email Marketing`), `Closed\\x00won` an unknown stage. The connector's text columns (its
roles, dimensions and `map:` columns) are checked in its one scan, a count; only when there are
some is the first one looked for, and the error is the reading layer's, at the NUL's
`file:line:column`. A date or an amount holding one is already no date or number.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NoReturn

from kpiengine.connector import Mapping
from kpiengine.errors import KpiError, Location
from kpiengine.fileformats.tables import FileTable
from kpiengine.filesource import require
from kpiengine.sqlgen import quote_ident

NUL = "chr(0)"
#: The words of `fileformats.encodings` for a NUL in a file's first bytes.
NUL_MESSAGE = (
    "the file holds NUL bytes: it is not a text export (a sparse or partly written file, or a "
    "binary one)"
)
NUL_FIX = "export the report again as CSV"


def text_columns(
    layout: FileTable, columns: Iterable[str], read: set[str], mappings: Iterable[Mapping]
) -> list[str]:
    """The text columns a scan reads: `columns` (roles, dimensions) but those `read` by a
    grammar (dates, amounts), and the `map:` entries' `where`, `count` and `distinct` columns."""
    mapped = [c for m in mappings for c in (*m.where, m.present, m.distinct) if c]
    return sorted((set(columns) - read) | {require(layout, c) for c in mapped})


def nul_sql(columns: Iterable[str], table: FileTable) -> str:
    """SQL true on a row of `table` whose cell of one of `columns` holds a NUL (text columns:
    DuckDB reads no NUL as a number or a date)."""
    tests = [
        f"contains({quote_ident(c)}, {NUL})"
        for c in dict.fromkeys(columns)
        if c in table.columns and table.type_of(c).upper() == "VARCHAR"
    ]
    return f"({' OR '.join(tests)})" if tests else "FALSE"


def raise_nul(tables: Sequence[FileTable], columns: Iterable[str]) -> NoReturn:
    """The error of the first cell of `columns` holding a NUL (files in order; in a file, the
    first line, then the leftmost column)."""
    for table in tables:
        found: list[tuple[int, int, Location]] = []
        for column in dict.fromkeys(columns):
            if column not in table.columns:
                continue
            bad = f"contains({quote_ident(column)}, {NUL})"  # on the cells as written
            cell = table.first_cell(column, bad, lambda t: "\x00" in t)
            if cell is not None:
                where = cell[0]
                found.append((where.line, table.columns.index(column), where))
        if found:
            raise KpiError(NUL_MESSAGE, _at_nul(table, min(found)[2]), NUL_FIX)
    raise KpiError(NUL_MESSAGE, Location(tables[0].name), NUL_FIX)  # not found again


def _at_nul(table: FileTable, cell: Location) -> Location:
    """The place of the NUL in a cell (at `cell`): on its line, from the cell's start (the
    cell's own place when its NUL is on a later line, or the file is not delimited text)."""
    if table.sniffed is None or not cell.line or not cell.column:
        return cell
    found = table.sniffed.line_text(cell.line).find("\x00", cell.column - 1)
    return cell.shifted(found + 1 - cell.column) if found >= 0 else cell
