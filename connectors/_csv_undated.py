"""Rows of a `csv` source with values but no date (not a plugin module).

A row whose date cell is empty but whose cells hold values a mapping reads (a subtotal, a row
whose date was lost) cannot be counted in any period: an error at its cell, never a silent drop.
Rows without values (Excel's trailing `,,`) are no data, and a row a mapping's `where:` leaves
out is none of its rows: a pending order without a payment date, an open deal without a close
date is no error.
"""

from __future__ import annotations

from kpiengine.cellreader import trimmed_sql
from kpiengine.errors import KpiError
from kpiengine.fileformats import DateFormat
from kpiengine.fileformats.tables import FileTable
from kpiengine.sqlgen import quote_ident, quote_text


def raise_undated(
    tables: list[FileTable],
    date: str,
    fmt: DateFormat,
    mappings: list[tuple[list[str], dict[str, list[str]]]],
) -> None:
    """Raise the error of the first row with values but no date in column `date`; `mappings`:
    each one's value columns and `where:` (the rows it takes)."""
    takes = []
    for columns, where in mappings:
        tests = [f"{_text(c)} <> ''" for c in columns]
        filled = " OR ".join(tests) or "FALSE"
        if where:
            chosen = [
                f"{_text(c)} IN ({', '.join(map(quote_text, vs))})" for c, vs in where.items()
            ]
            filled = " AND ".join([*chosen, f"({filled})"])
        takes.append(f"({filled})")
    bad = f"{fmt.sql(date, 'VARCHAR')} IS NULL AND ({' OR '.join(takes) or 'FALSE'})"
    read = tuple(dict.fromkeys(c for columns, _ in mappings for c in columns if c != date))
    message = f"a row has values but no date in column `{date}`: no period can count it"
    fix = "fill in the dates, or remove those rows (a subtotal, a note?)"
    for table in tables:  # the row's other cells tell its line from other undated rows'
        also = tuple(c for c in read if c in table.columns)
        cell = table.first_cell(date, bad, lambda _: False, also)
        if cell is not None:
            raise KpiError(message, cell[0], fix)


def _text(column: str) -> str:
    """A cell's text trimmed as the scan's `where:` tests trim it (`paid\t` is `paid`)."""
    return trimmed_sql(f"CAST({quote_ident(column)} AS VARCHAR)", "", True)
