"""The `csv` connector's subtotal rows: a totals label in a dimension column (not a plugin module).

A file may add, beside its channels' rows of a day, a row whose `Channel` cell says `Total`
(`Gesamt`, `合計` ...: a label the reading layer knows): summed with the others, every total would
count its rows twice. Such a column is found from the rows of the file's first 256 KiB (free: the
sniffed rows, not only the 2,000 of the sample) and, for a dimension, anywhere in the file: in the
grouped answer when the request groups by it (free), else counted in the scan (`watch_labels`); the
request is then scanned again without those rows. The rows are left out of every variable and, on
the side, each summed variable's subtotals are added up per period: where they differ from the rows
(by more than half a percent: rounded cells), the file is read again by day, and a day whose
subtotals differ both from that day's rows and from every row since the subtotal rows before them (a
month's total on its last day) is a KPI016 warning at its first subtotal row (a filtered export, a
total of other rows). The first column's labels are the totals rule's (`FileTable.keep_sql`): not
seen here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from kpiengine.errors import KpiError
from kpiengine.fileformats import DateFormat
from kpiengine.fileformats.rows import is_total_label, total_label_sql
from kpiengine.fileformats.sql import Expr
from kpiengine.fileformats.tables import FileTable, run_sql
from kpiengine.filescan import Scan
from kpiengine.model import Aggregate
from kpiengine.sqlgen import quote_ident
from kpiengine.table import Frame

PREFIX = "__subtotal "
TOLERANCE = 0.005  # cells rounded for display: as KPI305 allows


def sampled(tables: list[FileTable], columns: list[str]) -> list[str]:
    """The columns (not a file's first) where a row of the first 256 KiB holds a totals label."""
    found = []
    for column in columns:
        for table in tables:
            if column in table.columns[1:] and any(map(is_total_label, _head(table, column))):
                found.append(column)
                break
    return found


def _head(table: FileTable, column: str) -> set[str]:
    """The distinct cells of a column in the file's sniffed rows (a typed file's sample)."""
    if table.sniffed is None:
        return set(table.cells(column))
    index = table.columns.index(column)
    return {r.fields[index] for r in table.sniffed.sample if index < len(r.fields)}


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
        self.unseen: list[str] = []
        #: variable -> its day and value (SQL of the scan's rows), its date column and format
        self.read: dict[str, tuple[str, str, tuple[str, DateFormat]]] = {}

    def watch(
        self, day: str, measures: dict[str, tuple[str, Aggregate]], dated: tuple[str, DateFormat]
    ) -> None:
        """Sum the summed `measures` of the subtotal rows too, dated by `day` (SQL of the
        scan's rows; `dated`: its column and date format, to find a row of the file). Called
        once per date column: each variable keeps its own."""
        self.read.update({v: (day, sql, dated) for v, (sql, _) in measures.items()})
        summed = {f"{PREFIX}{v}": m for v, m in measures.items() if m[1].time == "sum"}
        if self.columns and summed:
            self.scan.role(day, summed, where=self.rows)

    def watch_labels(self, columns: Iterable[str]) -> None:
        """Count the rows whose label in `columns` (dimensions not grouped by, of files larger
        than their first 256 KiB) is a totals label: `found` names those columns."""
        self.unseen = [c for c in columns if c not in self.columns]
        for column in self.unseen:
            label = total_label_sql(Expr(self.scan.text(column)))
            self.scan.check(f"{PREFIX}{column}", "count", label)

    def found(self, frame: Frame, dims: dict[str, str], checks: dict[str, Any]) -> list[str]:
        """The label columns of subtotal rows past the sample (`labelled` in the grouped
        answer, `watch_labels`): the request must be scanned again without those rows."""
        counted = [c for c in self.unseen if checks.get(f"{PREFIX}{c}")]
        return [*labelled(frame, dims, self.columns), *counted]

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
            off = periods[said & ~_close(totals, parts)]
            if off.size and (day := self._unequal_day(variable, periods, off)):
                frame.warnings.append(self._warning(variable, *day))
        grouped = [n for n, c in dims.items() if c in self.columns and n in frame.dims]
        if grouped:  # the `Total` segments hold no values of their own: not segments
            total = np.vectorize(is_total_label, otypes=[bool])
            frame = frame.subset(~np.logical_or.reduce([total(frame.dims[n]) for n in grouped]))
        return frame

    def _unequal_day(
        self, variable: str, periods: np.ndarray, off: np.ndarray
    ) -> tuple[str, float, float] | None:
        """The first day of the `off` periods (of `periods`, their sorted starts) whose subtotal
        rows do not add up to its other rows, with both sums: the file read again by day (an
        error path: those periods' sums differ)."""
        dated_by, value, _ = self.read[variable]
        rows = " UNION ALL ".join(
            f"SELECT {dated_by} AS d, {self.rows} AS s, {value} AS v FROM "
            f"({self.scan.rows_sql(t)}) WHERE {t.keep_sql()}"
            for t in self.scan.tables
        )
        # a day's subtotals total that day's rows, or every row since the last subtotal row
        # before them (a month's total on its last day)
        days = (
            "SELECT d, sum(v) FILTER (WHERE s) AS st, coalesce(sum(v) FILTER (WHERE NOT s), 0) "
            f"AS r, bool_or(s) AS has FROM ({rows}) WHERE d IS NOT NULL GROUP BY d"
        )
        sums = run_sql(
            "SELECT d, st, r, c - coalesce(lag(c) OVER (ORDER BY d), 0) FROM (SELECT *, sum(r) "
            f"OVER (ORDER BY d) AS c FROM ({days})) WHERE has ORDER BY d",
            self.scan.tables[0],
        )
        for day, total, parts, since in sums:
            period = periods[np.searchsorted(periods, np.datetime64(day, "D"), "right") - 1]
            if total is None or period not in off or _close(total, since):
                continue
            if not _close(total, parts):
                return str(day)[:10], total, parts
        return None

    def _warning(self, variable: str, day: str, total: float, parts: float) -> KpiError:
        table, column = self._where()
        place = first = None
        if table is not None:  # the first subtotal row of that day
            place = table.header(column)
            text = Expr(f"trim(CAST({quote_ident(column)} AS VARCHAR))")
            date, fmt = self.read[variable][2]
            on_day = f"{fmt.sql(date, 'VARCHAR')} = DATE '{day}'"
            bad = f"{total_label_sql(text)} AND {on_day}"
            first = table.first_cell(column, bad, is_total_label, also=(date,))
        return KpiError(
            f"`{variable}` on {day}: the subtotal rows (a totals label in column `{column}`, "
            f"the day's first one here) add up to {total:,.10g}, the rows they total to "
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


def _close(totals: Any, parts: Any) -> Any:
    """Whether subtotals and the rows they total agree, within rounding (`TOLERANCE`): numbers
    or arrays of them."""
    return np.abs(totals - parts) <= TOLERANCE * np.abs(totals)
