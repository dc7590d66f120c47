"""Cells the `crm` connector refuses that the reading layer lets through (not a plugin module):
text holding a NUL byte.

The reading layer stops at a NUL in a file's first bytes (`fileformats.encodings`: the file is a
sparse, partly written or binary one); one further down, in a quoted cell, DuckDB reads as a
character like any other. A segment's label holding one (`\\x00Email Marketing` beside `Email
Marketing`) is found in the scan's grouped output (`kpiengine.scanerrors`), and a stage holding
one (`Closed\\x00won`) is no known stage, so the scan's count of unknown stages finds its deal:
neither costs a test per row; the error is then the reading layer's, at the NUL's
`file:line:column` (`raise_nul_stage`), not a stage to class. The text columns of the `map:`
entries asked for (`where`, `count`, `distinct`: a `where` cell holding a NUL would leave its
row out silently) show in no grouped output: they alone are tested on every row, by a request
that maps them (`nul_sql`). A NUL in a cell that neither classes a deal nor names a segment of
the answer (an id, a column no request breaks down by, a contact's lifecycle stage) changes no
number and is not looked for. A date or an amount holding one is already no date or number.
"""

from __future__ import annotations

from collections.abc import Iterable

from kpiengine.connector import Mapping
from kpiengine.fileformats.tables import FileTable, run_sql
from kpiengine.filescan import Scan
from kpiengine.filesource import require
from kpiengine.scanerrors import raise_nul
from kpiengine.sqlgen import quote_ident


def mapped_texts(layout: FileTable, mappings: Iterable[Mapping]) -> list[str]:
    """The `where`, `count` and `distinct` columns of `map:` entries."""
    named = [c for m in mappings for c in (*m.where, m.present, m.distinct) if c]
    return sorted({require(layout, c) for c in named})


def nul_sql(columns: Iterable[str], table: FileTable) -> str:
    """SQL true on a row of `table` whose cell of one of `columns` holds a NUL (text columns:
    DuckDB reads no NUL as a number or a date)."""
    tests = [
        f"contains({quote_ident(c)}, chr(0))"
        for c in dict.fromkeys(columns)
        if c in table.columns and table.type_of(c).upper() == "VARCHAR"
    ]
    return f"({' OR '.join(tests)})" if tests else "FALSE"


def raise_nul_stage(scan: Scan, unknown: str, stage: str) -> None:
    """The reading layer's error when a deal the scan's SQL `unknown` holds for (a stage not
    classed) has a NUL in its `stage` cell: at the first stage cell holding one."""
    text = scan.text(stage)
    for table in scan.tables:
        sql = (
            f"SELECT 1 FROM ({scan.rows_sql(table)}) WHERE ({unknown}) AND "
            f"contains({text}, chr(0)) LIMIT 1"
        )
        if stage in table.columns and run_sql(sql, table):
            raise_nul(scan.tables, [stage])
