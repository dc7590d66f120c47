"""One scan of a source's files: every variable aggregated and every cell checked at once.

A connector describes what it reads in a `Scan`: the cells each row needs (numbers, dates,
durations, text, read by the grammar of `kpiengine.fileformats`), its variables as SQL over
them, the date that dates each variable (a role: deals won by close date, opportunities by
create date), the requested dimensions and checks of its own (unknown stages, currencies).
`Scan.run` writes one DuckDB query that reads each row once and groups it by day and segment,
counting the cells that fail their grammar in the same pass (DuckDB's cheap `TRY_CAST` reads
most cells, the full grammar only the others); the small table of days is then rolled up to the
requested periods by each variable's time rule, and distinct counts come from grouping sets of
the rows themselves, never added up; over windows (`windows`: `Request.windows`), from grouping
sets by id too, in the same pass (`window_parts`). Only when a check fails (or a segment's label
holds a NUL: `scanerrors`) is a file read again, to name the first bad cell's `file:line:column`
(`FileTable.first_cell`). (A little longer than 420 lines: what a scan reads, and its run.)
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .cellreader import Reader, as_text, raise_spreadsheet_errors, spaced, trimmed_sql
from .distinct import ROLLING, Event, window_kind, window_rows
from .errors import KpiError, Location
from .fileformats.columntypes import holds_numbers
from .fileformats.dateformat import in_years
from .fileformats.missing import NO_VALUE_PATTERN
from .fileformats.percents import BAD
from .fileformats.sql import anchored
from .fileformats.tables import FileTable, reencoded
from .model import DISTINCT, Aggregate
from .periods import DEFAULT, Calendar
from .rowdates import date_grain_of, span_of
from .runcache import active, duckdb_error
from .scanerrors import ScanErrors, _unreadable
from .scanquery import Read, Role
from .sqlgen import quote_ident, quote_text, window_group_sql
from .table import Frame

__all__ = ["Reader", "Scan", "Scanned"]

_CONVERTING = re.compile(r'Error when converting column "((?:[^"]|"")*)"')


@dataclass
class Scanned:
    """The answer of a scan: the frame, the checks' values, the daily measures."""

    frame: Frame
    checks: dict[str, Any]
    days: np.ndarray = field(default_factory=lambda: np.array([], dtype="datetime64[D]"))
    day_dims: dict[str, np.ndarray] = field(default_factory=dict)
    day_values: dict[str, np.ndarray] = field(default_factory=dict)


class Scan(ScanErrors):
    """What one query reads from a source's tables (files of one layout); see the module."""

    def __init__(
        self,
        tables: list[FileTable],
        grain: str,
        calendar: Calendar = DEFAULT,
        start: dt.date | None = None,
        end: dt.date | None = None,
        source: str = "",
        keep: str = "TRUE",
        windows: dict[str, tuple[str, ...]] | None = None,
    ):
        self.tables = tables
        self.windows = dict(windows or {})  # distinct counts over windows, counted by id
        self._by_id: list[tuple[int, str, int]] = []
        self.grain, self.calendar, self.start, self.end = grain, calendar, start, end
        self.source = source
        self.keep = keep  # SQL on the file's columns: the data rows (beside the totals rule)
        self._row: dict[str, Callable[[FileTable], str]] = {}  # read once per row
        self._derived: dict[str, str] = {}  # computed from the row columns
        self._reads: dict[tuple[str, str, Any], Read] = {}
        self._checks: dict[str, tuple[str, str]] = {}  # name -> (reduce, SQL per row)
        self._roles: list[Role] = []
        self._dims: dict[str, str] = {}
        self._dim_texts: dict[str, tuple[str, str]] = {}
        self._dim_columns: dict[str, list[str]] = {}  # a NUL in a label: `_raise_nul_labels`
        self._texts: dict[tuple[str, str], str] = {}
        self._watched: dict[tuple[str, str], tuple[int, Location | None]] = {}  # `where` values
        self._ids: dict[str, str] = {}  # `rows`' `present` columns: their no-value test

    # --- what to read ---------------------------------------------------------------------------

    def row(self, sql: str | Callable[[FileTable], str]) -> str:
        """A column computed once per row from the file's columns (SQL, or SQL per table)."""
        name = f"__r{len(self._row)}"
        self._row[name] = sql if callable(sql) else lambda _table: sql
        return quote_ident(name)

    def derive(self, sql: str) -> str:
        """A column computed once per row from the columns `row` and `read` give."""
        name = f"__x{len(self._derived)}"
        self._derived[name] = sql
        return quote_ident(name)

    def read(
        self,
        column: str,
        reader: Reader | Callable[[FileTable], Reader],
        currency: str | None = None,
    ) -> str:
        """A column's value on each row, every bad cell counted (and the file's first named
        when there is one). `currency`: the cells' currency must be this one ("" for any one:
        a column must not mix currencies)."""
        of = reader if callable(reader) else lambda _table: reader
        key = (column, repr([of(t) for t in self.tables]), currency)
        for table in self.tables:  # a typed file's BOOLEAN or STRUCT column: no numbers at all
            type_ = table.type_of(column)
            if of(table).kind == "number" and not holds_numbers(type_):
                what = of(table).what or "numbers"
                raise KpiError(f"expected {what} in column `{column}`, found {type_} values",
                               table.location(1, column))  # fmt: skip
        if key not in self._reads:
            name = self.row(lambda t: self.value_sql(of(t), column, t.type_of(column)))
            self._reads[key] = Read(column, of, name, len(self._reads), currency)
        return self._reads[key].name

    def text(self, column: str, empty: str = "") -> str:
        """A column's trimmed text (`empty` for an empty cell): dimensions, `where` tests."""
        if (column, empty) not in self._texts:
            self._texts[column, empty] = self.row(
                lambda t: trimmed_sql(as_text(column, t.type_of(column)), empty, spaced(t, column))
            )
        return self._texts[column, empty]

    def rows(
        self, where: dict[str, list[str]], present: str | None = None, at: Location | None = None
    ) -> str:
        """SQL true on the rows a `map:` entry takes: those whose `where` columns (headers)
        hold a listed value and, for `count: COLUMN`, whose `present` column has a value (not
        empty, not a missing-value mark such as `—` or `n/a`). Values compare exactly; one
        that matches no cell while a cell differs from it only in case is an error (at `at`,
        the entry's place in kpi.yaml), not a silent zero. A `present` cell holding a
        spreadsheet error (`#N/A`: the value is unknown) is an error at the cell: counted by
        the scan (on the rows the one no-value regex matches), named on the error path."""
        tests = [
            f"{self.text(column)} IN ({', '.join(map(quote_text, values))})"
            for column, values in where.items()
        ]
        for column, values in where.items():
            for value in values:
                self._watch(column, value, at)
        if present is not None:  # a spreadsheet error (`#N/A`) is neither: an error, counted
            text, pattern = self.text(present), quote_text(anchored(NO_VALUE_PATTERN))
            if present not in self._ids:
                self._ids[present] = self.derive(f"regexp_full_match({text}, {pattern})")
                self.check(f"__id {present}", "count", f"{self._ids[present]} AND "
                           f"starts_with({text}, '#')")  # fmt: skip
            tests.append(f"NOT {self._ids[present]}")
        return " AND ".join(tests) or "TRUE"

    def _watch(self, column: str, value: str, at: Location | None) -> None:
        if (column, value) in self._watched:
            return
        n = len(self._watched)
        self._watched[column, value] = (n, at)
        text, wanted = self.text(column), quote_text(value)
        self._checks[f"__w{n}"] = ("count", f"{text} = {wanted}")
        self._checks[f"__v{n}"] = (
            "min",
            f"CASE WHEN lower({text}) = lower({wanted}) THEN {text} END",
        )

    def check(self, name: str, reduce: str, sql: str) -> None:
        """A check of the connector's: `reduce` (count, sum, min, max) of `sql` over every
        data row, read from `Scanned.checks[name]`."""
        self._checks[name] = (reduce, sql)

    def role(
        self,
        day: str,
        measures: dict[str, tuple[str, Aggregate]],
        where: str = "TRUE",
        daily: bool = False,
    ) -> None:
        """Variables dated by `day` (on the rows where `where` holds): name -> (SQL, rule).

        With dates asked for, the first and last of its days over the whole file say how far
        the data goes (`ScanQuery.parts`): June asked alone is complete when July has rows."""
        self._roles.append(Role(day, where, measures, daily))
        self._by_id = [(k, v, r) for k, (v, _, rule, r, d) in enumerate(self._measures())
                       if rule.time == DISTINCT and not d and self.windows.get(v)]  # fmt: skip

    def dimension(self, name: str, sql: str, renames: dict[str, str] | None = None) -> None:
        """A dimension: SQL on the row columns (`text` of a column: trimmed after grouping).
        `renames` (the source's `values:`) rename values before rows are grouped, so that a
        mean or a distinct count of a merged segment reads all its rows."""
        if renames:
            pairs = ", ".join(f"{quote_text(k)}: {quote_text(v)}" for k, v in renames.items())
            sql = f"coalesce(MAP {{{pairs}}}[{sql}], {sql})"
        self._dims[name] = sql
        read = [c for (c, _), text in self._texts.items() if text in sql]  # `"__r3"`: quoted
        self._dim_columns[name] = list(dict.fromkeys(read))
        column = next(((c, e) for (c, e), s in self._texts.items() if s == sql), None)
        if column is not None:
            raw = self.row(lambda t: as_text(column[0], t.type_of(column[0])))
            self._dim_texts[name] = (raw, column[1])

    # --- the query ------------------------------------------------------------------------------

    def run(self) -> Scanned:
        """The answer; the first bad cell's error when there is one (see `try_run`)."""
        scanned = self.try_run()
        assert scanned is not None  # no retry: an answer or an error
        return scanned

    def try_run(self, retry: Callable[[set[str]], bool] | None = None) -> Scanned | None:
        """Run the query (retyping a column DuckDB could not read as a number or date), raise
        the first bad cell's error, and return the answer. With bad cells, `retry(columns)`
        may read those columns otherwise (a date format detected again) and return True: the
        answer is then None, and the scan is to be built again. A file DuckDB finds in another
        encoding than its first bytes tell is read again in the one of its every byte."""
        for _ in range(len(self.tables[0].columns) + len(self.tables) + 2):
            try:
                result = self._execute()
                break
            except duckdb_error() as exc:
                if os.environ.get("KPIENGINE_DEBUG_SQL"):  # for developers: DuckDB's own words
                    print(exc, file=sys.stderr)
                if self.trust_types:  # a typed day DuckDB cannot hand over (`infinity`)
                    self.trust_types = False
                    continue
                if not self._retype(exc) and not reencoded(self.tables, exc):
                    raise _unreadable(self.tables, exc) from None
        kind = np.asarray(_filled(result["__kind"], -1))
        checks = {
            n: _scalar(result[n][kind == 1])
            for n in result
            if n.startswith(("__bad", "__cur", "__c_", "__fin", "__pct", "__day"))
        }
        if "__bad" in checks:  # bad cells and the first twenty columns' kinds, in one integer
            flags = checks["__pct0"] = checks["__bad"] or 0
            shifts = [s for g, s in self.percent_slots().values() if g == 0]
            checks["__bad"] = flags & (1 | sum(BAD << s for s in shifts))
        if not all(map(_trusted_check, checks.items())):
            self.trust_types = False  # a NaN, an infinity, a day of year 999: test each cell
            return self.try_run(retry)
        failing = self._failing() if retry is not None and checks.get("__bad") else []
        if failing and retry is not None and retry({r.column for r in failing}):
            return None  # the connector reads those columns otherwise now: ask again
        self._raise_bad_cells(checks)
        raise_spreadsheet_errors(self.tables, [c for c in self._ids if checks[f"__c___id {c}"]])
        self._raise_mixed_percents(checks)
        unmatched = self._unmatched(checks)  # a `where` value no cell holds
        self._raise_nul_labels(result)  # a NUL beyond the bytes the reading layer tests
        rows = kind == 0
        names = [v for v, *_, daily in self._measures() if not daily]
        frame = Frame(
            _dates(result["__period"][rows]),
            {d: _texts(result[d][rows]) for d in self._dims},
            {
                v: _floats(result[v][rows]) if v in result else np.full(int(rows.sum()), np.nan)
                for v in names
            },  # fmt: skip
            source=self.source,
            span=self._span(
                checks, span_of(_dates(result["__first"][rows]), _dates(result["__last"][rows]))
            ),
            grain=self.grain,
            date_grain=date_grain_of(
                _dates(result["__first"][rows]), _dates(result["__last"][rows])
            ),
            totals=np.asarray(_filled(result["__total"][rows], False), dtype=bool),
            warnings=unmatched,
        )
        if self._by_id:  # the windows' rows, from the events of their ids
            events = self._events(result, kind == 3)
            window_rows(frame, events, self.windows, self.grain, self.calendar)
        days = kind == 2
        daily = [v for v, *_, d in self._measures() if d]
        return Scanned(
            frame,
            {n.removeprefix("__c_"): v for n, v in checks.items() if n.startswith("__c_")},
            _dates(result["__period"][days]) if daily else np.array([], "datetime64[D]"),
            {d: _texts(result[d][days]) for d in self._dims} if daily else {},
            {v: _floats(result[v][days]) for v in daily},
        )

    def _answer_sql(
        self, dims: list[str], checks: dict[str, tuple[str, str]], finite: dict[str, str]
    ) -> str:
        answer = super()._answer_sql(dims, checks, finite)
        if not self._by_id:
            return answer
        return " UNION ALL BY NAME ".join([f"SELECT * FROM ({answer})", *self.window_parts(dims)])

    def window_parts(self, dims: list[str]) -> list[str]:
        """Rows of kind 3: the events (`kpiengine.distinct.Event`) of the distinct counts over
        windows, from the cells of their ids (grouping sets of period, segment and id, and of
        period and id: the total; `__gw` tells them): the first period of each (fiscal) year,
        quarter or month an id is seen in, or each period it is seen in and the next one."""
        shown = [
            f"coalesce({g}, '') AS {quote_ident(d)}" for g, d in zip(dims, self._dims, strict=True)
        ]
        names = "".join(f"{quote_ident(d)}, " for d in self._dims)
        total = "__gs > 0" if dims else "FALSE"
        parts = []
        for j, (k, variable, r) in enumerate(self._by_id):
            mask = 2 ** len(self._by_id) - 1 - 2 ** (len(self._by_id) - 1 - j)
            where = f"__gw = {mask} AND __p{r} IS NOT NULL AND __v{k} IS NOT NULL"
            kinds = {w for t in self.windows[variable] if (w := window_kind(t, self.grain))}
            for kind in sorted(kinds):
                if kind == ROLLING:
                    keys = ", ".join(["__gs", *dims, f"__v{k}"])
                    following = f"lead(__p{r}) OVER (PARTITION BY {keys} ORDER BY __p{r})"
                    inner = f"SELECT __p{r} AS __period, {following} AS __wb"
                    grouped = ""
                else:
                    group = window_group_sql(f"__p{r}", self.grain, kind, self.calendar)
                    inner = f"SELECT min(__p{r}) AS __period, NULL::DATE AS __wb"
                    grouped = f" GROUP BY {', '.join([group, f'__v{k}', '__gs', *dims])}"
                inner += "".join(f", {c}" for c in shown)
                parts.append(
                    f"SELECT 3 AS __kind, {quote_text(variable)} AS __wvar, {quote_text(kind)} "
                    f"AS __wkind, __period, __wb, {names}__total, count(*) AS __wn FROM ({inner}, "
                    f"{total} AS __total FROM cells WHERE {where}{grouped}) GROUP BY ALL"
                )
        return parts

    def _events(self, result: dict[str, np.ndarray], rows: np.ndarray) -> list[Event]:
        """The events of the answer's `rows` (see `window_parts`)."""
        texts = [_texts(result[n][rows]).tolist() for n in ["__wvar", "__wkind", *self._dims]]
        days = [_dates(result[n][rows]).tolist() for n in ("__period", "__wb")]  # NULL: None
        totals = np.asarray(_filled(result["__total"][rows], False), dtype=bool).tolist()
        read = [*texts[:2], *days, totals, _floats(result["__wn"][rows]).tolist(), *texts[2:]]
        return [
            Event(v, kind, a, b, tuple(dims), total, n)
            for v, kind, a, b, total, n, *dims in zip(*read, strict=True)
        ]

    def _span(
        self, checks: dict[str, Any], asked: tuple[dt.date, dt.date] | None
    ) -> tuple[dt.date, dt.date] | None:
        """The days of the rows asked for, widened to those of the whole file (see `role`)."""
        ends = [
            (checks.get(f"__c___span_lo{r}"), checks.get(f"__c___span_hi{r}"))
            for r in range(len(self._roles))
        ]
        known = [(lo, hi) for lo, hi in ends if lo is not None and hi is not None]
        if asked is None or not known:
            return asked
        return min(asked[0], *(lo for lo, _ in known)), max(asked[1], *(hi for _, hi in known))

    def _execute(self) -> dict[str, np.ndarray]:
        """The query's answer. Day cells are kept for the run (a temporary table): a second
        request on the same rows (a partial period's daily values) reads them, not the files."""
        cells, answer = self.parts()
        cache = active()
        if not self._day_cells:
            return cache.duckdb.sql(f"WITH cells AS MATERIALIZED ({cells}) {answer}").fetchnumpy()
        key = (cells, *(_identity(t.path) for t in self.tables))
        table = cache.scan_cells.get(key)
        if table is None:
            table = f"__cells_{len(cache.scan_cells)}"
            cache.duckdb.sql(f"CREATE OR REPLACE TEMP TABLE {table} AS {cells}")
            cache.scan_cells[key] = table
        return cache.duckdb.sql(f"WITH cells AS (SELECT * FROM {table}) {answer}").fetchnumpy()

    def _retype(self, exc: Exception) -> bool:
        """A typed column DuckDB could not convert: read it as text (True), else False."""
        found = _CONVERTING.search(str(exc))
        if found is None:
            return False
        column = found.group(1).replace('""', '"')
        if not any(t.types.get(column, "VARCHAR") != "VARCHAR" for t in self.tables):
            return False
        self.tables = [
            t.typed({column: "VARCHAR"}) if column in t.types else t for t in self.tables
        ]
        return True


def _identity(path: Path) -> tuple[str, int, int]:
    """A file as it is now: a changed file is not the one whose cells were kept."""
    try:
        stat = path.stat()
    except OSError:
        return (str(path), -1, -1)
    return (str(path), stat.st_mtime_ns, stat.st_size)


def _trusted_check(check: tuple[str, Any]) -> bool:
    """Whether a check of a column read without per-row tests (`ScanQuery.trust_types`)
    passes: a float sum is finite, a first or last day within the grammar's years (a day past
    Python's years may come as a number)."""
    name, value = check
    if value is None or not name.startswith(("__fin", "__day")):
        return True
    return math.isfinite(value) if name.startswith("__fin") else in_years(value)


def _filled(column: np.ndarray, value: Any) -> np.ndarray:
    if isinstance(column, np.ma.MaskedArray):
        return np.ma.filled(column, value)
    return np.asarray(column)


def _scalar(column: np.ndarray) -> Any:
    if not len(column) or (isinstance(column, np.ma.MaskedArray) and column.mask.all()):
        return None
    value = column[0]
    value = value.item() if hasattr(value, "item") else value
    return value.date() if isinstance(value, dt.datetime) else value  # a DATE check


def _dates(column: np.ndarray) -> np.ndarray:
    if isinstance(column, np.ma.MaskedArray):
        return np.ma.filled(column.astype("datetime64[D]"), np.datetime64("NaT"))
    return np.asarray(column, dtype="datetime64[D]")


def _floats(column: np.ndarray) -> np.ndarray:
    if isinstance(column, np.ma.MaskedArray):
        return np.ma.filled(column.astype(float), np.nan)
    return np.asarray(column, dtype=float)


def _texts(column: np.ndarray) -> np.ndarray:
    return np.asarray(_filled(column, ""), dtype=object).astype(str)
