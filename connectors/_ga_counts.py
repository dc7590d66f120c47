"""Counts of a Google Analytics export are never negative, for `ga_export` (not a plugin module).

GA never writes a negative count of sessions, users, views, events or conversions: such a cell
was edited by hand (or made to add up to a total) and is an error at its `file:line:column`, as
a cell the number grammar rejects is. The scan reads each count column's least value
(`Table.value` asks for it); the file is read again, to find the cell, only when it is below 0.
Money may be negative (refunds), rates and averages are other checks'.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from kpiengine.errors import KpiError
from kpiengine.fileformats import CellError, read_number
from kpiengine.filescan import Reader

#: Kinds of columns (`_ga_headers.KIND`) of counts.
COUNTS = ("count", "users")


def check_signs(table: Any, checks: dict[str, Any]) -> None:
    """Raise at the first negative cell of a count column the scan read (a `_ga_tables.Table`;
    `checks`: the scan's, with `least COLUMN`)."""
    for header in sorted(table.read):
        least = checks.get(f"least {header}")
        if table.kind(header) not in COUNTS or least is None or not least < 0:
            continue
        reader = table.reader(header)
        bad = f"({reader.sql(header, 'VARCHAR')}) < 0"
        found = table.file.first_cell(header, bad, partial(_negative, reader=reader))
        where, text = found if found is not None else (table.file.header(header), "")
        raise KpiError(
            f"`{text}` in column `{header}` is not a count (0 or more): Google Analytics never "
            "writes a negative count",
            where,
            "export the report again, or correct the cell (a count is 0 or more)",
        )


def _negative(text: str, reader: Reader) -> bool:
    try:
        return read_number(text, reader.decimal, reader.quantity).value < 0
    except CellError:
        return False
