"""Totals rows of a `sql` source's CSV `files:`, as the `csv` connector reads them (not a plugin
module).

- A grand totals row (`Total`, `Grand total`, `Gesamt` ...: the file's one plain totals row,
  `_csv_totals.grand_total`) is left out of the rows by the reading layer; here each summed
  column's total cell is compared with its rows' sum (one aggregate over the typed Parquet
  file, only for a file with a grand total), within the rounding the cells' written decimals
  allow: rows short of the total are an error at the total's cell, rows beyond it a warning
  (KPI016), the rows counted, in the `csv` connector's words. Compared: the columns of
  `Reading.summed` (read by a variable summed over time and segments, without `where:`,
  `count:` or `distinct:`), not a percent column, not one whose total is in another currency.
- A subtotal row (a totals label such as `Total` in a text column other than the first, beside
  the rows it totals: `_csv_subtotals`) is left out of the rows: the columns where a sampled
  row holds one (free), and those `Reading.subtotals` names (a dimension whose grouped answer
  showed a totals label beyond the sample: `_csv_subtotals.labelled`).
"""

from __future__ import annotations

from collections.abc import Iterable

from kpiengine.errors import KpiError
from kpiengine.fileformats.rows import total_label_sql
from kpiengine.fileformats.sql import Expr
from kpiengine.fileformats.tables import FileTable
from kpiengine.runcache import active
from kpiengine.sqlgen import quote_ident, quote_text

from ._csv_rounding import close, places, rounding
from ._csv_subtotals import sampled
from ._csv_totals import _totals, gap_error, grand_total


def subtotal_sql(table: FileTable, texts: Iterable[str], named: Iterable[str]) -> str | None:
    """SQL true on the subtotal rows (a totals label in one of the `texts` columns the sample
    shows one in, or in a column `named`), or None: no such column."""
    columns = sampled([table], list(texts))
    columns += [c for c in named if c in table.columns[1:] and c not in columns]
    if not columns:
        return None
    tests = [total_label_sql(Expr(f"trim({quote_ident(c)})")) for c in columns]
    return f"({' OR '.join(tests)})"


def checked_totals(
    table: FileTable,
    parquet: str,
    columns: dict[str, tuple[str, str, bool]],
) -> list[KpiError]:
    """The warnings of rows beyond the file's grand total (KpiError raised at a total its rows
    fall short of). `columns`: each summed column -> (decimal mark, currency, whole counts);
    `parquet`: the typed rows."""
    row = grand_total(table)
    if row is None or not columns:
        return []
    compared = {}
    for name, (decimal, currency, whole) in columns.items():
        found = _totals([table], [row], name, {table.name: decimal}, currency)
        if found is not None:
            compared[name] = (found[0], decimal, whole)
    if not compared:
        return []
    sums = ", ".join(f"sum({quote_ident(c)})" for c in compared)
    count, *got = (
        active()
        .duckdb.execute(f"SELECT count(*), {sums} FROM read_parquet({quote_text(parquet)})")
        .fetchall()[0]
    )
    warnings = []
    for (name, (total, decimal, whole)), added in zip(compared.items(), got, strict=True):
        index = table.columns.index(name)
        text = row.cells[index] if index < len(row.cells) else ""
        rows = table.cells(name)
        allowed = 0.5 * 10.0 ** -places(text, decimal)
        if not whole:
            digits = max((places(c, decimal) for c in rows), default=0)
            allowed += rounding(int(count), 10.0**-digits)
        value = float(added or 0.0)
        if close(value, total.value, allowed):
            continue
        error = gap_error(table, row, name, int(count), value, total.value, decimal)
        if abs(total.value) > abs(value):
            raise error
        warnings.append(error)
    return warnings
