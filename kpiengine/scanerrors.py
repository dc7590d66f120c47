"""The error path of a scan (`kpiengine.filescan`): which column holds a bad cell, and where.

The scan counts the rows with a bad cell (or an amount in another currency) as it aggregates;
only then are the files read again: one query counts the bad cells by column, then each failing
column's first bad cell is found (`FileTable.first_cell`: DuckDB gives its text, Python's `csv`
module its line), and the error names the file, line, column and what was expected.

A NUL byte beyond the first bytes the reading layer tests (`fileformats.encodings`) is read by
DuckDB as a character like any other: `\\x00Email Marketing` would be a segment of its own. The
segments' labels are in the grouped output (a few rows), so a NUL is looked for there, at no
cost per row; only when one holds it are the files read again for the first cell holding one,
and the error is the reading layer's, at the NUL's `file:line:column`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NoReturn

import numpy as np

from .cellreader import Reader
from .errors import KpiError, Location, did_you_mean
from .fileformats import CellError, currency_fits, read_number
from .fileformats.numbers import currency_sql
from .fileformats.percents import (
    MIXED,
    PERCENT,
    PLAIN_ABOVE_ONE,
    is_percent,
    kind_sql,
    mixed_message,
    percent_sql,
    plain_above_one,
)
from .fileformats.rows import is_total_label, note_under
from .fileformats.sql import shown
from .fileformats.tables import FileTable, run_sql
from .scanquery import Read, ScanQuery, _fitting
from .sqlgen import quote_ident, quote_text

__all__ = ["NUL_FIX", "NUL_MESSAGE", "ScanErrors", "raise_nul", "unmatched_value"]

#: The words of `fileformats.encodings` for a NUL in a file's first bytes.
NUL_MESSAGE = (
    "the file holds NUL bytes: it is not a text export (a sparse or partly written file, or a "
    "binary one)"
)
NUL_FIX = "export the report again as CSV"


def unmatched_value(
    value: str,
    column: str,
    source: str,
    other: str | None,
    seen: Iterable[str],
    at: Location | None,
) -> KpiError:
    """The warning of a `where:` value no row of `column` holds, with the closest of the cells
    `seen`; raised, naming the cell to write, when `other` differs from it only in case."""
    if other is not None:
        raise KpiError(
            f"`where:` value `{value}` matches no cell of column `{column}` in {source}; "
            f"`{other}` differs only in case (values compare exactly)",
            at,
            f"write `{other}`",
        )
    close = did_you_mean(value, [s for s in seen if s])
    return KpiError(
        f"`where:` value `{value}` matches no row of column `{column}`, so what it selects "
        f"counts 0{f'; did you mean `{close}`?' if close else ''}",
        at,
        f"write a value of the column{f' (`{close}`)' if close else ''}, or remove it",
    )


class ScanErrors(ScanQuery):
    """The error-path half of `kpiengine.filescan.Scan`."""

    source: str
    _dim_columns: dict[str, list[str]]  # the columns each dimension's label is read from
    _watched: dict[tuple[str, str], tuple[int, Location | None]]  # `where` values

    def _unmatched(self, checks: dict[str, Any]) -> list[KpiError]:
        """A `where` value no cell of the scan holds: an error when a cell differs from it only
        in case, else a warning (a typo, or a value the export has not got: the variable is 0),
        with the closest of the sampled cells."""
        warnings = []
        for (column, value), (n, at) in self._watched.items():
            if checks.get(f"__c___w{n}"):
                continue
            other = checks.get(f"__c___v{n}")
            seen = {c.strip() for t in self.tables if column in t.columns for c in t.cells(column)}
            warnings.append(unmatched_value(value, column, self.source, other, seen, at))
        return warnings

    def _raise_nul_labels(self, result: dict[str, np.ndarray]) -> None:
        """A NUL in a segment's label (the grouped output: its rows are few): the error of
        the first cell holding one among the columns of the dimensions showing it."""
        showing = [d for d in self._dims if _holds_nul(result[d])]
        if showing:
            raise_nul(self.tables, [c for d in showing for c in self._dim_columns.get(d, [])])

    def _raise_bad_cells(self, checks: dict[str, Any]) -> None:
        """The error of the first bad cell, when the scan counted some: which columns have
        them is counted again (the error path), then each one's first is found."""
        if checks.get("__bad"):
            failing = self._failing()
            self._first_bad(failing)
            for read in failing:  # no bad cell: a cell in another currency
                self._check_currency(read, self._codes(read))
        for read in self._reads.values():
            if read.currency == "":
                low, high = checks.get(f"__cur{read.index}min"), checks.get(f"__cur{read.index}max")
                if low != high:
                    self._check_currency(read, self._codes(read))

    def _failing(self) -> list[Read]:
        """The reads with a bad cell, or a cell in another currency than asked: one scan."""
        counts: dict[int, int] = {}
        for table in self.tables:
            parts = []
            for read in self._reads.values():
                if read.column not in table.columns:
                    continue
                reader = read.reader(table)
                type_ = table.type_of(read.column)
                bad = reader.bad_sql(read.column, type_, reader.sql(read.column, type_))
                if read.currency and reader.kind == "number":
                    fitting = ", ".join(quote_text(c) for c in _fitting(read.currency))
                    mark = currency_sql(read.column, reader.decimal, type_)
                    bad = f"({bad} OR coalesce({mark} NOT IN ({fitting}), FALSE))"
                parts.append((read.index, f"count(*) FILTER (WHERE {bad})"))
            if not parts:
                continue
            sql = f"SELECT {', '.join(p for _, p in parts)} FROM {table.relation()} WHERE "
            [row] = run_sql(sql + self._kept(table), table)
            for (index, _), n in zip(parts, row, strict=True):
                counts[index] = counts.get(index, 0) + int(n or 0)
        return [r for r in self._reads.values() if counts.get(r.index)]

    def _first_bad(self, failing: list[Read]) -> None:
        """Raise the error of the first bad cell among the failing columns (files in order)."""
        for table in self.tables:
            found = []
            for read in failing:
                if read.column not in table.columns:
                    continue
                reader = read.reader(table)
                bad = reader.bad_sql(read.column, "VARCHAR", reader.sql(read.column, "VARCHAR"))
                cell = table.first_cell(read.column, bad, _is_bad(reader))
                if cell is not None:
                    found.append((cell[0].line, cell, read, reader))
            if found:
                _, (where, text), read, reader = min(found, key=lambda f: f[0])
                if table.sniffed is not None and where.line:  # `Exported from …,,,` under
                    note = note_under(table.sniffed, where.line, len(table.columns))  # the rows
                    if note is not None:  # not a date to read otherwise
                        raise note
                error = reader.error(text)
                why = error.expected.partition(": ")[2] if error is not None else ""
                fix = error.fix if error is not None else None  # the cell's own (ISO weeks)
                if reader.kind == "date" and (fix is None or "`date_format:`" in fix):
                    fix = (
                        "set the source's `date_format:` if the dates are written otherwise "
                        "(years 1000 to 2999 are read as dates)"
                    )
                if is_total_label(text):  # a totals row the sample did not show: read as data
                    fix = (
                        "a totals row between the data rows: remove it (every sum is the rows'), "
                        "or keep totals rows at the start or the end of the file"
                    )
                raise KpiError(
                    f"expected {reader.expected} in column `{read.column}`, found "
                    f"{f'`{shown(text)}`' if text.strip() else 'an empty cell'}"
                    + (f" ({why})" if why else ""),
                    where,
                    fix,
                )

    def _raise_mixed_percents(self, checks: dict[str, Any]) -> None:
        """The error of a column mixing percentages with plain numbers beyond ±1 (the scan's
        flags, `percents.flag_sql`), naming the first plain cell and a percentage: the cells
        are read again to find them."""
        slots = self.percent_slots()
        for read in self._reads.values():
            if read.index not in slots:
                continue
            group, shift = slots[read.index]
            kinds = (checks.get(f"__pct{group}") or 0) >> shift
            if kinds & MIXED != MIXED and (self.percent_seen(read) or not kinds & PERCENT):
                continue  # read again: a mix, or a percentage where the sample showed none
            plain = percent = None
            for table in self.tables:
                if not self._percents(read, table):
                    continue
                reader = read.reader(table)
                value = reader.sql(read.column, "VARCHAR")
                kind = kind_sql(value, percent_sql(quote_ident(read.column)))
                decimal = reader.decimal
                if plain is None:
                    cell = table.first_cell(
                        read.column, f"{kind} = {PLAIN_ABOVE_ONE}", _plain_above_one(decimal)
                    )
                    plain = (cell, decimal) if cell is not None else None
                if percent is None:
                    cell = table.first_cell(read.column, f"{kind} = {PERCENT}", _percent(decimal))
                    percent = (cell, decimal) if cell is not None else None
            if plain is None or percent is None:
                continue  # percentages and plain numbers within ±1 only
            ((where, text), mark), ((place, sign), sign_mark) = plain, percent
            message, fix = mixed_message(
                read.column,
                (text, read_number(text, mark).value),
                (sign, read_number(sign, sign_mark).value),
                place.line if place.file == where.file else 0,
            )
            raise KpiError(message, where, fix)

    def _check_currency(self, read: Read, codes: set[str]) -> None:
        """One currency in a column, and the one asked for (`read.currency`) if any."""
        one = any(all(currency_fits(c, code) for c in codes) for code in codes)
        if len(codes) > 1 and not one:
            second = sorted(codes, key=lambda c: self._first_with(read, c)[0].line)[-1]
            where, _ = self._first_with(read, second)
            raise KpiError(
                f"column `{read.column}` mixes currencies ({', '.join(sorted(codes))}) and "
                "there is no rate table",
                where,
                "export the amounts in one currency, or convert them first",
            )
        wanted = read.currency
        for code in codes:
            if wanted and not currency_fits(code, wanted):
                where, _ = self._first_with(read, code)
                raise KpiError(
                    f"column `{read.column}` is in {code} but the workspace currency is {wanted}",
                    where,
                    "convert it first, or set the workspace `currency:` to match",
                )

    def _codes(self, read: Read) -> set[str]:
        found: set[str] = set()
        for table in self.tables:
            reader = read.reader(table)
            mark = currency_sql(read.column, reader.decimal, table.type_of(read.column))
            sql = f"SELECT DISTINCT {mark} FROM {table.relation()} WHERE {self._kept(table)}"
            found |= {str(r[0]) for r in run_sql(sql, table) if r[0] is not None}
        return found

    def _first_with(self, read: Read, code: str) -> tuple[Location, str]:
        for table in self.tables:
            reader = read.reader(table)
            mark = currency_sql(read.column, reader.decimal, "VARCHAR")
            cell = table.first_cell(
                read.column,
                f"{mark} = {quote_text(code)}",
                _has_currency(reader.decimal, code),
            )
            if cell is not None:
                return cell
        return Location(self.source), ""


def _holds_nul(labels: np.ndarray) -> bool:
    return "\x00" in "".join(v for v in labels.tolist() if isinstance(v, str))


def raise_nul(tables: Sequence[FileTable], columns: Iterable[str]) -> NoReturn:
    """The reading layer's error for a NUL, at the first cell of `columns` holding one (files
    in order; in a file, the first line, then the leftmost column): the files are read again."""
    for table in tables:
        found: list[tuple[int, int, Location]] = []
        for column in dict.fromkeys(columns):
            if column not in table.columns:
                continue
            bad = f"contains({quote_ident(column)}, chr(0))"  # on the cells as written
            cell = table.first_cell(column, bad, lambda t: "\x00" in t)
            if cell is not None:
                where = cell[0]
                found.append((where.line or 0, table.columns.index(column), where))
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


def _is_bad(reader: Reader) -> Callable[[str], bool]:
    return lambda text: reader.error(text) is not None


def _plain_above_one(decimal: str) -> Callable[[str], bool]:
    return lambda text: plain_above_one(text, decimal)


def _percent(decimal: str) -> Callable[[str], bool]:
    def check(text: str) -> bool:
        try:
            return is_percent(text) and not math.isnan(read_number(text, decimal).value)
        except CellError:
            return False

    return check


def _has_currency(decimal: str, code: str) -> Callable[[str], bool]:
    def check(text: str) -> bool:
        try:
            return read_number(text, decimal).currency == code
        except CellError:
            return False

    return check


def _unreadable(tables: list[FileTable], exc: Exception) -> KpiError:
    from .fileformats.tables import _unreadable as located  # noqa: PLC0415 - the error path

    return located(tables[0], exc) if len(tables) == 1 else _each(tables, exc)


def _each(tables: list[FileTable], exc: Exception) -> KpiError:
    from .fileformats.tables import _unreadable as located  # noqa: PLC0415 - the error path

    for table in tables:
        try:
            run_sql(f"SELECT count(*) FROM {table.reader()}", table)
        except KpiError as error:
            return error
    return located(tables[0], exc)
