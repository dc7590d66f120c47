"""The `csv` connector's subtotal rows: a totals label in a dimension column (not a plugin module).

A file may add, beside its channels' rows of a day, a row whose `Channel` cell says `Total`
(`Gesamt`, `合計` ...: a label the reading layer knows): summed with the others, every total
would count its rows twice. Such a column is found from the sampled rows (the first 256 KiB,
free) and, for a dimension the request groups by, from the grouped answer (free; the request
is then scanned again without those rows). The rows are left out of every variable and, on the
side, each summed variable's subtotals are added up per period: where they differ from the rows
they total (by more than half a percent: rounded cells), a KPI016 warning names the first such
row (a filtered export, a total of other rows). The first column's labels are the totals rule's
(`FileTable.keep_sql`): not seen here.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from kpiengine.errors import KpiError
from kpiengine.fileformats.rows import is_total_label, total_label_sql
from kpiengine.fileformats.sql import Expr
from kpiengine.fileformats.tables import FileTable
from kpiengine.filescan import Scan
from kpiengine.model import Aggregate
from kpiengine.sqlgen import quote_ident
from kpiengine.table import Frame

PREFIX = "__subtotal "
TOLERANCE = 0.005  # cells rounded for display: as KPI305 allows


def sampled(tables: list[FileTable], columns: list[str]) -> list[str]:
    """The columns (not a file's first) where a sampled row holds a totals label."""
    found = []
    for column in columns:
        for table in tables:
            if column in table.columns[1:] and any(map(is_total_label, table.cells(column))):
                found.append(column)
                break
    return found


def labelled(frame: Frame, dims: dict[str, str], known: Iterable[str]) -> list[str]:
    """The columns of the grouped dimensions (name -> column) whose answer holds a totals label,
    but those `known`: subtotal rows the sample did not show."""
    known = set(known)
    return [
        column
        for name, column in dims.items()
        if column not in known
        and name in frame.dims
        and any(map(is_total_label, np.unique(frame.dims[name].astype(str))))
    ]


class Subtotals:
    """The subtotal rows of the `columns` of one scan: left out, and added up on the side."""

    def __init__(self, scan: Scan, columns: list[str]) -> None:
        self.scan, self.columns = scan, columns
        tests = [total_label_sql(Expr(scan.text(c))) for c in columns]
        self.rows = f"({' OR '.join(tests)})" if tests else "FALSE"
        self.keep = f"NOT {self.rows}" if tests else "TRUE"

    def watch(self, day: str, measures: dict[str, tuple[str, Aggregate]]) -> None:
        """Sum the summed `measures` of the subtotal rows too, dated by `day`."""
        summed = {f"{PREFIX}{v}": m for v, m in measures.items() if m[1].time == "sum"}
        if self.columns and summed:
            self.scan.role(day, summed, where=self.rows)

    def found(self, frame: Frame, dims: dict[str, str]) -> list[str]:
        """`labelled` beyond the sample: the request must be scanned again without them."""
        return labelled(frame, dims, self.columns)

    def settle(self, frame: Frame, dims: dict[str, str]) -> Frame:
        """The frame without the subtotal rows' segments and sums; a warning per variable
        whose subtotals differ from its rows in some period."""
        sums = {v.removeprefix(PREFIX): frame.values.pop(v) for v in list(frame.values)
                if v.startswith(PREFIX)}  # fmt: skip
        if not self.columns:
            return frame
        periods, index = np.unique(frame.dates, return_inverse=True)
        for variable, stated in sums.items():
            rows = np.asarray(frame.values[variable], dtype=float)
            totals = np.bincount(index, np.nan_to_num(stated), len(periods))
            parts = np.bincount(index, np.nan_to_num(rows), len(periods))
            said = np.bincount(index, np.isfinite(stated), len(periods)) > 0
            off = np.flatnonzero(said & (np.abs(totals - parts) > TOLERANCE * np.abs(totals)))
            if off.size:
                day = str(periods[off[0]])[:10]
                frame.warnings.append(self._warning(variable, day, totals[off[0]], parts[off[0]]))
        grouped = [n for n, c in dims.items() if c in self.columns and n in frame.dims]
        if grouped:  # the `Total` segments hold no values of their own: not segments
            total = np.vectorize(is_total_label, otypes=[bool])
            frame = frame.subset(~np.logical_or.reduce([total(frame.dims[n]) for n in grouped]))
        return frame

    def _warning(self, variable: str, day: str, total: float, parts: float) -> KpiError:
        table, column = self._where()
        place = first = None
        if table is not None:
            place = table.header(column)
            text = Expr(f"trim(CAST({quote_ident(column)} AS VARCHAR))")
            first = table.first_cell(column, total_label_sql(text), is_total_label)
        return KpiError(
            f"`{variable}` in the period from {day}: the subtotal rows (a totals label in column "
            f"`{column}`, the first one here) add up to {total:,.10g}, the rows they total to "
            f"{parts:,.10g}; the subtotal rows are left out, the rows counted",
            first[0] if first is not None else place,
            "check that the export holds every row (no filter, no row limit)",
        )

    def _where(self) -> tuple[FileTable | None, str]:
        for column in self.columns:
            for table in self.scan.tables:
                if column in table.columns:
                    return table, column
        return None, self.columns[0]
