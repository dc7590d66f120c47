"""The `csv` connector's grand-totals rows against the rows they total (not a plugin module;
longer than 420 lines: grand, group and summary totals share their reading and messages).

A spreadsheet saved with its totals row (`Total`, `Grand total`, `Gesamt`, `合計` ...: a label
the reading layer knows, in the first field) says what its rows add up to. The scan leaves that
row out of the sums; here each summed column's total cell (the number grammar, with the file's
decimal mark) is compared with the rows' sum, within the rounding the cells' written decimals
allow (`_csv_rounding`): the total's, and the rows' but in a column of whole counts (Excel saves
what it shows): as the square root of their number where they show differing values, up to
every row's half unit where they show one (the values shown counted only when a gap needs it).
A disagreement means something:
- rows short of the total: an error giving the gap (an export cut short, `first 500 rows`,
  rows filtered out or deleted): every sum of the file would be silently smaller;
- rows beyond it: a warning (KPI016), the rows counted: rows added or edited after the total
  was written, a total whose range left rows out, or rows there twice.

A file's grand total is its one plain totals row (`Total`, `Grand totals (16 records)`; not a
`Subtotal`, not `Total: Search campaigns`) before or after all its data rows: a file with
several, or with one between rows (a group's), is not compared so, nor is a source of several
files unless each has one (their totals are then compared with all the rows). An unlabelled
summary row (Meta's: `_csv_summary`) is left out of the scan and compared as a grand total,
whatever the dates asked; rows that do not make it, either way, are an error at its line.
Its other totals rows are compared with the rows they follow (`group_totals`: a group's, a
running total, all the rows), on the sampled rows: a KPI016 warning where none add up, never a
silent drop.
Compared: each variable summing one column of a wide file (no `where:`, `count:` or
`distinct:`; not a mean, not a percent column) when the request's dates hold every row. The
sums are the scan's answer (for a file larger than its sample, the scan counts its rows too:
the rows' rounding); only when they disagree are the files read again, each file's rows summed
alone, so that the message names the file and gives the rows' own sums (a variable dated by a
column of its own leaves rows without that date out of the answer, not out of the total).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kpiengine.connector import Request
from kpiengine.errors import KpiError
from kpiengine.fileformats import CellError, Number, currency_fits, read_number
from kpiengine.fileformats.percents import is_percent
from kpiengine.fileformats.rows import SUBTOTAL_LABELS
from kpiengine.fileformats.sniff import TotalRow
from kpiengine.fileformats.tables import FileTable, run_sql
from kpiengine.filescan import Scan, Scanned
from kpiengine.filesource import find, require
from kpiengine.table import Frame

from ._csv_rounding import close, file_squares, places, rounding, squares
from ._csv_summary import WHY, Summary, leave_out, settle, summaries

ROWS = "grand total rows"  # the scan's count of data rows, for files larger than their sample
#: Totals labels (`kpiengine.fileformats.rows.TOTAL_LABELS`) of a group's rows, not all of them.
SUBTOTALS = frozenset(SUBTOTAL_LABELS)
SHORT = (
    "rows are missing: export the report again with all its rows (no row limit such as the "
    "first 500 rows, no filter), or correct the totals row if it is out of date"
)
MORE = (
    "rows added or edited after the total was written, a total leaving rows out, or a row "
    "there twice? Correct the rows or the totals row"
)
_COUNTED = re.compile(r"\s*\([^()]*\)\s*$")  # `Grand Totals (16 records)`
_SCOPE = re.compile("[:\uff1a]")  # `Total: Search campaigns`


def grand_total(table: FileTable) -> TotalRow | None:
    """The file's grand totals row: its one plain totals row, before or after every data row."""
    sniffed = table.sniffed
    if sniffed is None or not sniffed.sample or not sniffed.totals:
        return None
    plain = [t for t in sniffed.totals if not t.beyond and _plain(t.label)]
    first, last = sniffed.sample[0].line, sniffed.sample[-1].line
    if len(plain) != 1 or first < plain[0].line < last:
        return None  # totals of groups (or a group's, between rows)
    return plain[0]


def _plain(label: str) -> bool:
    """Whether a totals label totals every row: no subtotal, no scope after a colon."""
    head, *scope = _SCOPE.split(_COUNTED.sub("", label), maxsplit=1)
    return (
        bool(label)
        and " ".join(head.split()).lower() not in SUBTOTALS
        and not (scope and scope[0].strip())
    )


def _shown(value: float, digits: int) -> str:
    return f"{value:,.{min(digits, 6)}f}"


@dataclass
class Column:
    """A column compared: the variable summing it, its scan SQL and role, each file's total."""

    name: str  # as the first file spells it
    variable: str
    sql: str  # the variable's value on a row (scaled)
    scale: float
    role: int  # the index of its date's role in the scan
    whole: bool  # whole counts: rows hold no rounded displays
    totals: list[Number | None] = field(default_factory=list)  # each file's total cell


@dataclass
class Totals:
    """The grand totals rows of a source's files and the columns compared with them."""

    tables: list[FileTable]
    rows: list[TotalRow | None]  # None: a file without one (beside another's summary row)
    decimals: dict[str, str]
    request: Request
    columns: list[Column]
    counted: bool  # the scan counts the rows (a file larger than its sample)
    summaries: list[Summary | None]  # each file's unlabelled summary row (`_csv_summary`)

    @classmethod
    def watch(
        cls,
        conn: Any,  # the `csv_files.CsvConnector`
        request: Request,
        scan: Scan,
        roles: dict[str, dict[str, tuple[str, Any]]],
        decimals: dict[str, str],
    ) -> Totals | None:
        """The totals to compare after `scan` has run (None: none to compare): every file's
        grand total, the plain sums of columns; a file larger than its sample has its rows
        counted by the scan. Unlabelled summary rows are left out of the scan here."""
        tables = conn.tables
        if not tables or conn._long():
            return None
        found: list[TotalRow | None] = [grand_total(t) for t in tables]
        notes = summaries(conn, request, decimals)
        if any(notes):  # left out of the scan; compared as totals rows, whatever the dates
            scan.keep = leave_out([s for s in notes if s], tables, scan.keep)
            found = [r or (s.row if s else None) for r, s in zip(found, notes, strict=True)]
        if not all(found) and not any(notes):
            return None
        whole = conn._whole()
        columns: dict[str, Column] = {}
        for name, (variable, sql, role) in summed(conn, request, roles).items():
            if any(s and name.casefold() not in map(str.casefold, s.summed) for s in notes):
                continue  # a summary row's reach or rate: no sum of its rows (`_csv_summary`)
            mapping = conn.mappings[variable]
            mine = [t for t, r in zip(tables, found, strict=True) if r is not None]
            rows = [r for r in found if r is not None]
            read = _totals(mine, rows, name, decimals, conn._currency(mapping))
            if read is not None:  # each file's total (None: a file without a totals row)
                told = iter(read)
                totals = [next(told) if r is not None else None for r in found]
                columns[name] = Column(name, variable, sql, mapping.scale, role, name in whole,
                                       totals)  # fmt: skip
        if not columns:
            return None
        counted = not all(t.sniffed is not None and t.sniffed.whole for t in tables)
        if counted:
            scan.check(ROWS, "count", "TRUE")
        return cls(tables, found, decimals, request, list(columns.values()), counted, notes)

    def check(self, scan: Scan, scanned: Scanned, frame: Frame) -> list[KpiError]:
        """The warnings of rows beyond their totals; KpiError at a total its rows fall short of.
        Compared when the request's dates hold every row: the answer's sums, and where they
        disagree, each file's rows summed again."""
        checks, start, end = scanned.checks, self.request.start, self.request.end
        noted = [s for s in self.summaries if s]
        n = (checks.get(ROWS) or 0) if self.counted else sum(_rows(t) for t in self.tables)
        n -= 0 if self.counted else len(noted)  # summary rows are sampled rows: not data
        settle(frame, self.tables, self.summaries)  # their days against the rows'
        off = []
        for column in self.columns:
            if not all(self.rows):
                off.append(column)  # some files have no totals row: each file's, read again
                continue
            if start is not None or end is not None:
                r = column.role
                lo, hi = checks.get(f"__span_lo{r}"), checks.get(f"__span_hi{r}")
                if lo is None or hi is None or (start and lo < start) or (end and hi > end):
                    if noted:  # a summary row left out is checked whatever the dates asked
                        off.append(column)
                    continue  # the dates asked cut the file: its total is not theirs
            values = frame.values.get(column.variable)
            if values is None:
                continue
            if frame.totals is not None and len(frame.totals) == len(values):
                values = values[~frame.totals]
            got = float(np.nansum(values)) / column.scale
            expected = sum(t.value for t in column.totals if t is not None)
            allowed = sum(self._allowed(column, i) for i in range(len(column.totals)))
            unit = max(self._unit(column, i) for i in range(len(self.tables)))
            if not self._rounded(scan, column, range(len(self.tables)), n, unit, got, expected,
                                 allowed):  # fmt: skip
                off.append(column)
        return self._files(scan, off) if off else []

    def _rounded(
        self, scan: Scan, column: Column, files: Any, n: int, unit: float, got: float,
        expected: float, allowed: float,
    ) -> bool:  # fmt: skip
        """Whether `got` is `expected` within the totals' rounding (`allowed`) and the `n` rows'
        (of the `files`) in `unit`: as differing values, else (counted then) as those shown."""
        if close(got, expected, allowed + rounding(n, unit)):
            return True
        if not unit:
            return False
        cells = []
        for i in files:
            table, noted = self.tables[i], self.summaries[i]
            cells.append((table, find(table, [column.name]) or column.name,
                          noted.row.line if noted else None))  # fmt: skip
        return close(got, expected, allowed + rounding(n, unit, file_squares(cells, scan.keep)))

    def _allowed(self, column: Column, index: int) -> float:
        """The rounding a file's total cell may carry: half its last written digit."""
        decimal = self.decimals[self.tables[index].name]
        return 0.5 * 10.0 ** -places(self._cell(index, column), decimal)

    def _unit(self, column: Column, index: int) -> float:
        """A file's rows' last written digit in a column (0: whole counts, no rounding)."""
        if column.whole:
            return 0.0
        table, decimal = self.tables[index], self.decimals[self.tables[index].name]
        cells = table.cells(find(table, [column.name]) or column.name)
        return 10.0 ** -max((places(c, decimal) for c in cells), default=0)

    def _cell(self, index: int, column: Column) -> str:
        """A file's total cell of a column."""
        row = self.rows[index]
        table, cells = self.tables[index], row.cells if row is not None else []
        at = table.columns.index(find(table, [column.name]) or column.name)
        return cells[at] if at < len(cells) else ""

    def _files(self, scan: Scan, off: list[Column]) -> list[KpiError]:
        """Each file's rows summed again (the columns whose sums disagree with the totals):
        KpiError at the first total its rows fall short of, else a warning for each one they
        exceed (an error too at a summary row: a row left out must be one)."""
        sums = ", ".join(f"sum({c.sql})" for c in off)
        warnings = []
        for index, table in enumerate(scan.tables):
            if self.rows[index] is None:
                continue
            (count, *found), *_ = run_sql(f"SELECT count(*), {sums} FROM ({scan.rows_sql(table)})",
                                          table)  # fmt: skip
            for column, added in zip(off, found, strict=True):
                got = (added or 0.0) / column.scale
                total = column.totals[index]
                if total is None:
                    continue
                allowed, unit = self._allowed(column, index), self._unit(column, index)
                if self._rounded(scan, column, [index], int(count), unit, got, total.value,
                                 allowed):  # fmt: skip
                    continue
                warning = self._message(column, index, int(count), got, total.value)
                if abs(total.value) <= abs(got) and self.summaries[index] is None:
                    warnings.append(warning)
                    continue
                raise warning
        return warnings

    def _message(
        self, column: Column, index: int, count: int, got: float, expected: float
    ) -> KpiError:
        table = self.tables[index]
        name = find(table, [column.name]) or column.name
        mine = " in this file" if len(self.tables) > 1 else ""
        decimal, row = self.decimals[table.name], self.rows[index]
        assert row is not None  # `_files` compares the files with a totals row
        return gap_error(table, row, name, count, got, expected, decimal, mine)


def summed(
    conn: Any, request: Request, roles: dict[str, dict[str, tuple[str, Any]]]
) -> dict[str, tuple[str, str, int]]:
    """The columns a totals row can be compared in (column -> variable, its SQL, its date's
    role): each summing one column of a wide file, without `where:`, `count:`, `distinct:`."""
    columns: dict[str, tuple[str, str, int]] = {}
    for role, measures in enumerate(roles.values()):
        for variable, (sql, _) in measures.items():
            mapping, rule = conn.mappings.get(variable), request.variables.get(variable)
            if (
                mapping is None
                or rule is None
                or (rule.time, rule.segments) != ("sum", "sum")
                or not mapping.column
                or mapping.count
                or mapping.distinct
                or mapping.where
                or not mapping.scale
            ):
                continue
            columns.setdefault(require(conn.layout, mapping.column), (variable, sql, role))
    return columns


def group_totals(
    conn: Any, request: Request, roles: dict[str, dict[str, tuple[str, Any]]],
    decimals: dict[str, str],
) -> list[KpiError]:  # fmt: skip
    """KPI016 warnings for the totals rows that are not a file's grand total (`grand_total`)
    and that no rows they follow add up to: the rows since the totals row before (a group's
    subtotal) or every row above (a running total); one at the start or the end, all the rows
    (`Total` twice). Each is left out of the sums: a row it should total is missing, or the
    totals row is wrong. A totals row naming its scope (`Total: Search`) at the start, or at
    the end of a file without groups, totals rows its label picks: not compared. Read from
    the sample (a file that has such rows only: no cost to others); in a file larger than it,
    rows up to its last row."""
    if conn._long():
        return []
    columns, whole = summed(conn, request, roles), conn._whole()
    warnings = []
    for table in conn.tables:
        sniffed, grand = table.sniffed, grand_total(table)
        if sniffed is None or not sniffed.sample or not columns:
            continue
        rows, first, last = sniffed.sample, sniffed.sample[0].line, sniffed.sample[-1].line
        inner = [t for t in sniffed.totals if t is not grand and (sniffed.whole or t.line < last)]
        grouped = any(first < t.line < last for t in sniffed.totals)  # groups' totals
        for row in sorted(inner, key=lambda t: t.line):
            if (row.line < first or not grouped) and not _plain(row.label):
                continue  # `Total: Search` at the start or end: the rows its label picks
            before = max((t.line for t in sniffed.totals if t.line < row.line), default=0)
            above = [r for r in rows if r.line < row.line]
            since = [r for r in above if r.line > before]
            groups = [rows] if row.line < first else [since, above] if before > first else [above]
            for name in columns:
                decimal = decimals[table.name]
                warning = _group_total(table, row, name, groups, decimal, name in whole)
                if warning is not None:
                    warnings.append(warning)
                    break
    return warnings


def _group_total(
    table: FileTable, row: TotalRow, name: str, groups: list[list[Any]], decimal: str,
    whole: bool,
) -> KpiError | None:  # fmt: skip
    """The warning of a totals row's cell that none of the `groups` of rows add up to, within
    the rounding of the cells (none in the rows of a column of `whole` counts)."""
    found = find(table, [name])
    if found is None:
        return None
    index = table.columns.index(found)
    text = row.cells[index] if index < len(row.cells) else ""
    try:
        total = read_number(text, decimal).value
    except CellError:
        total = math.nan
    if math.isnan(total) or is_percent(text):
        return None  # nothing said in this column, or a rate
    sums = []
    for group in groups:
        cells = [r.fields[index] if index < len(r.fields) else "" for r in group]
        try:
            values = [read_number(c, decimal).value for c in cells]
        except CellError:
            return None  # a bad cell: the scan says where
        digits = max((places(c, decimal) for c in cells), default=0)
        unit = 0.0 if whole else 10.0**-digits  # a row's last written digit
        allowed = 0.5 * 10.0 ** -places(text, decimal)
        allowed += rounding(len(cells), unit, squares(cells))
        got = math.fsum(v for v in values if not math.isnan(v))
        if close(got, total, allowed):
            return None
        sums.append((len(cells), got, group[0].line if group else row.line))
    digits = max(places(text, decimal), *(places(c, decimal) for c in table.cells(found)[:100]))
    count, got, start = sums[0]
    rows = f"the {count:,} {'row' if count == 1 else 'rows'}"
    said = f"{rows} from line {start} add{'s' * (count == 1)} up to {_shown(got, digits)}"
    if len(sums) > 1:
        said += f" (all {sums[1][0]:,} above it: {_shown(sums[1][1], digits)})"
    return KpiError(
        f"`{row.label}` says {_shown(total, digits)} in column `{found}` but {said}; the totals "
        "row is left out of the sums, the rows counted",
        table.location(row.line, found),
        "a totals row between the data rows totals those before it: correct it, or remove it "
        "(a row it totals missing?)",
    )


def gap_error(
    table: FileTable, row: TotalRow, name: str, count: int, got: float, expected: float,
    decimal: str, mine: str = "",
) -> KpiError:  # fmt: skip
    """The error (rows short of the total) or warning (rows beyond it) of `count` rows adding
    up to `got` in column `name` where the totals `row` says `expected`, shown with the
    decimals the cells are written with."""
    index = table.columns.index(name)
    cells = [row.cells[index] if index < len(row.cells) else "", *table.cells(name)[:100]]
    digits = max(places(c, decimal) for c in cells)
    by = f"`{row.label}`" if row.label else f"the row on line {row.line}, without labels,"
    said = (
        f"the {count:,} {'row' if count == 1 else 'rows'}{mine} add{'s' * (count == 1)} up to "
        f"{_shown(got, digits)} in column `{name}` but {by} says {_shown(expected, digits)}"
    )
    where = table.location(row.line, name)
    gap = _shown(abs(expected - got), digits)
    if not row.label:  # an unlabelled summary row: left out only when it is one
        less = "less" if abs(expected) <= abs(got) else "more"
        return KpiError(f"{said}, {gap} {less}: it is no summary of them", where, WHY)
    if abs(expected) <= abs(got):
        return KpiError(f"{said}, {gap} less; the rows are counted", where, MORE)
    return KpiError(f"{said}, {gap} more", where, SHORT)


def _totals(
    tables: list[FileTable], rows: list[TotalRow], column: str, decimals: dict[str, str],
    currency: str,
) -> list[Number] | None:  # fmt: skip
    """Each file's total of a column, or None when one cannot be compared: empty, not a number,
    a percentage (a rate's total is no sum), another currency than the column's."""
    out = []
    for table, row in zip(tables, rows, strict=True):
        name = find(table, [column])
        if name is None:
            return None
        index = table.columns.index(name)
        text = row.cells[index] if index < len(row.cells) else ""
        if any(map(is_percent, table.cells(name))) or is_percent(text):
            return None
        try:
            number = read_number(text, decimals[table.name])
        except CellError:
            return None  # a note in the totals row: it totals nothing here
        mark = number.currency
        if math.isnan(number.value) or (currency and mark and not currency_fits(mark, currency)):
            return None
        out.append(number)
    return out


def _rows(table: FileTable) -> int:
    """The data rows of a file its sniff read whole."""
    return len(table.sniffed.sample) if table.sniffed is not None else 0
