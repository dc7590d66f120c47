"""Long files for the `csv` connector (not a plugin module): the rows a scan reads.

A long file's value column holds every metric's values; only the rows of the metrics mapped
are read, so that a text value of another metric (`Top campaign,Spring Sale`) is no bad cell.
The test is loose (case and every whitespace aside): a row whose name differs from a mapped
one only so is read, and the mapping's own exact test names it (`Scan.rows`).
"""

from __future__ import annotations

from collections.abc import Iterable

from kpiengine.cellreader import as_text, trim_sql
from kpiengine.fileformats.tables import FileTable
from kpiengine.sqlgen import quote_text


def long_rows(layout: FileTable, column: str, metrics: Iterable[str]) -> str:
    """SQL true on the rows whose `column` names one of `metrics`, loosely."""
    names = sorted({m.strip().lower() for m in metrics})
    if not names:
        return "TRUE"
    text = trim_sql(as_text(column, layout.type_of(column)), True)
    return f"coalesce(lower({text}) IN ({', '.join(map(quote_text, names))}), FALSE)"
