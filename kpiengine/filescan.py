"""One scan of a source's files: every variable aggregated and every cell checked at once.

A connector describes what it reads in a `Scan`: the cells each row needs (numbers, dates,
durations, text, read by the grammar of `kpiengine.fileformats`), its variables as SQL over
them, the date that dates each variable (a role: deals won by close date, opportunities by
create date), the requested dimensions and checks of its own (unknown stages, currencies).
`Scan.run` writes one DuckDB query that reads each row once and groups it by day and segment,
counting the cells that fail their grammar in the same pass (DuckDB's cheap `TRY_CAST` reads
most cells, the full grammar only the others); the small table of days is then rolled up to the
requested periods by each variable's time rule, and distinct counts come from grouping sets of
the rows themselves, never added up. Only when a check fails is a file read again, to name the
first bad cell's `file:line:column` (`FileTable.first_cell`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import KpiError, Location
from .fileformats import CellError, DateFormat, currency_fits, read_number
from .fileformats.currency import AMBIGUOUS
from .fileformats.durations import bad_duration_sql, duration_sql, parse_duration
from .fileformats.numbers import bad_number_sql, currency_sql, number_sql
from .fileformats.sql import Expr, shown
from .fileformats.tables import FileTable, run_sql
from .model import DISTINCT, Aggregate
from .periods import DEFAULT, Calendar
from .runcache import active, duckdb_error
from .sqlgen import period_sql, quote_ident, quote_text
from .table import Frame, span_of

__all__ = ["Reader", "Scan", "Scanned"]

_CONVERTING = re.compile(r'Error when converting column "((?:[^"]|"")*)"')


@dataclass(frozen=True)
class Reader:
    """How a column's cells are read: `number` (a decimal mark), `date` (a format),
    `duration` (seconds) or `text` (trimmed)."""

    kind: str
    decimal: str = "."
    fmt: DateFormat | None = None

    def sql(self, column: str, type_: str) -> str:
        if self.kind == "number":
            return number_sql(column, self.decimal, type_)
        if self.kind == "duration":
            return duration_sql(_text(column, type_), self.decimal)
        if self.kind == "date":
            assert self.fmt is not None
            return self.fmt.sql(column, type_)
        return f"trim({_text(column, type_)})"

    def bad_sql(self, column: str, type_: str, value: str) -> str:
        if self.kind == "number":
            return bad_number_sql(column, self.decimal, type_, value)
        if self.kind == "duration":
            return bad_duration_sql(_text(column, type_), self.decimal, value)
        if self.kind == "date":
            assert self.fmt is not None
            if type_.upper() == "DATE" or type_.upper().startswith("TIMESTAMP"):
                return "FALSE"  # DuckDB read the dates
            return self.fmt.bad_sql(_text(column, type_), "VARCHAR", value)
        return "FALSE"  # text is never bad

    def error(self, text: str) -> CellError | None:
        """Why a cell is bad (Python's reading, the same grammar), or None when it is good."""
        try:
            if self.kind == "number":
                read_number(text, self.decimal)
            elif self.kind == "duration":
                parse_duration(text, self.decimal)
            elif self.kind == "date":
                assert self.fmt is not None
                self.fmt.read(text)
        except CellError as exc:
            return exc
        return None

    @property
    def expected(self) -> str:
        if self.kind == "date":
            assert self.fmt is not None
            return f"a date like {self.fmt.spec.replace('%~', '')}"
        if self.kind == "duration":
            return "a duration like 00:02:13 (or seconds)"
        return "a number"


def _text(column: str, type_: str) -> str:
    col = str(column) if isinstance(column, Expr) else quote_ident(column)
    return Expr(col if type_.upper() == "VARCHAR" else f"CAST({col} AS VARCHAR)")


@dataclass
class _Read:
    column: str
    reader: Callable[[FileTable], Reader]
    name: str  # the row column of the value (quoted)
    index: int  # names its raw cell `__raw<i>`, bad flag `__b<i>`, currency `__cur<i>`
    currency: str | None = None  # the currency the cells must be in ("" = any, one)


@dataclass
class _Role:
    day: str
    where: str
    measures: dict[str, tuple[str, Aggregate]]
    daily: bool = False  # given by day, whatever the request (a stock's flows)


@dataclass
class Scanned:
    """The answer of a scan: the frame, the checks' values, the daily measures."""

    frame: Frame
    checks: dict[str, Any]
    days: np.ndarray = field(default_factory=lambda: np.array([], dtype="datetime64[D]"))
    day_dims: dict[str, np.ndarray] = field(default_factory=dict)
    day_values: dict[str, np.ndarray] = field(default_factory=dict)


class Scan:
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
    ):
        self.tables = tables
        self.grain, self.calendar, self.start, self.end = grain, calendar, start, end
        self.source = source
        self.keep = keep  # SQL on the file's columns: the data rows (beside the totals rule)
        self._row: dict[str, Callable[[FileTable], str]] = {}  # read once per row
        self._derived: dict[str, str] = {}  # computed from the row columns
        self._reads: dict[tuple[str, str, Any], _Read] = {}
        self._checks: dict[str, tuple[str, str]] = {}  # name -> (reduce, SQL per row)
        self._roles: list[_Role] = []
        self._dims: dict[str, str] = {}
        self._texts: dict[tuple[str, str], str] = {}

    # --- what to read ---------------------------------------------------------------------------

    def row(self, sql: str | Callable[[FileTable], str]) -> str:
        """A column computed once per row from the file's columns (SQL, or SQL per table)."""
        name = f"__r{len(self._row)}"
        self._row[name] = sql if callable(sql) else _constant(sql)
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
        of = reader if callable(reader) else _same(reader)
        key = (column, repr([of(t) for t in self.tables]), currency)
        if key not in self._reads:
            name = self.row(lambda t: of(t).sql(column, t.type_of(column)))
            self._reads[key] = _Read(column, of, name, len(self._reads), currency)
        return self._reads[key].name

    def text(self, column: str, empty: str = "") -> str:
        """A column's trimmed text (`empty` for an empty cell): dimensions, `where` tests."""
        if (column, empty) not in self._texts:
            self._texts[column, empty] = self.row(
                lambda t: (
                    f"coalesce(nullif(trim({_text(column, t.type_of(column))}), ''), "
                    f"{quote_text(empty)})"
                )
            )
        return self._texts[column, empty]

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
        """Variables dated by `day` (on the rows where `where` holds): name -> (SQL, rule)."""
        self._roles.append(_Role(day, where, measures, daily))

    def dimension(self, name: str, sql: str) -> None:
        self._dims[name] = sql

    # --- the query ------------------------------------------------------------------------------

    def _measures(self) -> list[tuple[str, str, Aggregate, int, bool]]:
        """(variable, SQL, rule, role, daily) of every measure."""
        return [
            (n, sql, rule, i, role.daily)
            for i, role in enumerate(self._roles)
            for n, (sql, rule) in role.measures.items()
        ]

    def sql(self) -> str:
        """The query: kind 0 rows are periods, 1 the checks, 2 the daily measures.

        Each row is read once and grouped by the period (or day) of every role at once and by
        segment: deals by close month, create month and channel together, a small table each
        role then rolls up by its own period. No row is read twice, none duplicated."""
        reads = list(self._reads.values())
        checks = {"__bad": ("count", "__bad")} if reads else {}
        checks |= {
            f"__cur{r.index}{e}": (e, f"__cur{r.index}")
            for r in reads
            if r.currency == ""
            for e in ("min", "max")
        }
        checks |= {f"__c_{n}": c for n, c in self._checks.items()}
        rows = " UNION ALL BY NAME ".join(self._table_sql(t) for t in self.tables)
        derived = "".join(f", {sql} AS {quote_ident(n)}" for n, sql in self._derived.items())
        expand, keys = [], []
        for r, role in enumerate(self._roles):
            # a row's key for a role is NULL unless the role counts it (its rows, in the dates
            # asked): the role's cells are then those with a key, and need no other test
            day = f"__d{r}"
            expand.append(f"{role.day} AS {day}")
            keep = role.where
            if not role.daily:
                keep = _both(keep, _range_sql(day, self.start, self.end))
            key = day if self._by_day(role) else period_sql(day, self.grain, self.calendar)
            expand.append(f"{_when(keep, key)} AS __t{r}")
            keys.append(f"__t{r}")
            if self._distinct(role):
                expand.append(
                    f"{_when(keep, period_sql(day, self.grain, self.calendar))} AS __p{r}"
                )
        dims = [f"__g{i}" for i in range(len(self._dims))]
        expand += [f"{sql} AS {g}" for g, sql in zip(dims, self._dims.values(), strict=True)]
        for k, (_, sql, _, _, _) in enumerate(self._measures()):
            expand.append(f"{sql} AS __v{k}")
        expand += [f"{sql} AS {quote_ident(n)}" for n, (_, sql) in checks.items()]
        first = f"SELECT {', '.join(expand)} FROM (SELECT *{derived} FROM ({rows}))"
        return self._answer_sql(self._cells_sql(first, keys, dims, checks), dims, checks)

    def _by_day(self, role: _Role) -> bool:
        """A role whose rules need its days (first, last; daily measures)."""
        return role.daily or any(
            rule.time in ("last", "first") for _, rule in role.measures.values()
        )

    def _distinct(self, role: _Role) -> bool:
        return any(rule.time == DISTINCT for _, rule in role.measures.values())

    def _cells_sql(
        self, first: str, keys: list[str], dims: list[str], checks: dict[str, tuple[str, str]]
    ) -> str:
        """The one GROUP BY over the rows, by every role's period (or day) and segment
        (`__gd` 0); distinct counts by grouping sets of their role's period and segment, and
        of the period alone (`__gs` > 0: the total)."""
        aggs = []
        for r, role in enumerate(self._roles):
            if not self._by_day(role) or self._distinct(role):
                aggs += [f"min(__d{r}) AS __lo{r}", f"max(__d{r}) AS __hi{r}"]
        for k, (_, _, rule, _, _) in enumerate(self._measures()):
            time = rule.time
            if time == DISTINCT:
                aggs.append(f"CAST(count(DISTINCT __v{k}) AS DOUBLE) AS __m{k}")
            elif time in ("min", "max"):
                aggs.append(f"{time}(__v{k}) AS __m{k}")
            else:
                aggs.append(f"sum(__v{k}) AS __m{k}")
                if time == "mean":
                    aggs.append(f"count(__v{k}) AS __n{k}")
        for name, (reduce, _) in checks.items():
            q = quote_ident(name)
            aggs.append(f"count(*) FILTER (WHERE {q}) AS {q}" if reduce == "count" else
                        f"{reduce}({q}) AS {q}")  # fmt: skip
        main = [*keys, *dims]
        distinct = [r for r, role in enumerate(self._roles) if self._distinct(role)]
        if not distinct:
            aggs.append("0 AS __gd")
            return f"SELECT {', '.join(main)}, {', '.join(aggs)} FROM ({first}) GROUP BY ALL"
        sets = [main]
        for r in distinct:
            sets += [[f"__p{r}", *dims]] + ([[f"__p{r}"]] if dims else [])
        aggs.append(f"GROUPING({keys[0]}) AS __gd")
        aggs += [f"GROUPING(__p{r}) AS __gp{r}" for r in distinct]
        aggs.append(f"GROUPING({', '.join(dims)}) AS __gs" if dims else "0 AS __gs")
        columns = [*keys, *(f"__p{r}" for r in distinct), *dims]
        listed = ", ".join(f"({', '.join(s)})" for s in sets)
        return (
            f"SELECT {', '.join(columns)}, {', '.join(aggs)} FROM ({first}) "
            f"GROUP BY GROUPING SETS ({listed})"
        )

    def _answer_sql(self, cells: str, dims: list[str], checks: dict[str, tuple[str, str]]) -> str:
        names = self._dims
        named = [f"{g} AS {quote_ident(d)}" for g, d in zip(dims, names, strict=True)]
        measures = self._measures()
        parts, daily = [], []
        for r, role in enumerate(self._roles):
            mine = [(k, v, rule) for k, (v, _, rule, i, d) in enumerate(measures)
                    if i == r and not d and rule.time != DISTINCT]  # fmt: skip
            days = [(k, v) for k, (v, _, _, i, d) in enumerate(measures) if i == r and d]
            where = f"__gd = 0 AND __t{r} IS NOT NULL"
            if not self._by_day(role):
                if mine:
                    values = [f"{_rule_sql(rule, k)} AS {quote_ident(v)}" for k, v, rule in mine]
                    parts.append(
                        f"SELECT {', '.join([f'__t{r} AS __period', *named, *values])}, "
                        f"min(__lo{r}) AS __first, max(__hi{r}) AS __last, FALSE AS __total "
                        f"FROM cells WHERE {where} GROUP BY ALL"
                    )
                continue
            sums = []
            for k, _, rule in mine:
                if rule.time in ("min", "max"):
                    sums.append(f"{rule.time}(__m{k}) AS __m{k}")
                else:
                    sums.append(f"sum(__m{k}) AS __m{k}")
                    sums += [f"sum(__n{k}) AS __n{k}"] if rule.time == "mean" else []
            sums += [f"sum(__m{k}) AS __m{k}" for k, _ in days]
            by_day = (
                f"SELECT {', '.join([f'__t{r} AS __day', *dims, *sums])} FROM cells WHERE "
                f"{where} GROUP BY ALL"
            )
            if days:
                daily.append(
                    "SELECT 2 AS __kind, __day AS __period, "
                    + ", ".join([*named, *(f"__m{k} AS {quote_ident(v)}" for k, v in days)])
                    + f" FROM ({by_day})"
                )
            if mine:
                period = period_sql("__day", self.grain, self.calendar)
                values = [f"{_rule_sql(rule, k)} AS {quote_ident(v)}" for k, v, rule in mine]
                parts.append(
                    f"SELECT {', '.join([f'{period} AS __period', *named, *values])}, "
                    "min(__day) AS __first, max(__day) AS __last, FALSE AS __total "
                    f"FROM ({by_day}) GROUP BY ALL"
                )
        for r in range(len(self._roles)):
            counted = [f"__m{k} AS {quote_ident(v)}" for k, (v, _, rule, i, _) in
                       enumerate(measures) if i == r and rule.time == DISTINCT]  # fmt: skip
            if counted:
                shown = [f"coalesce({g}, '') AS {quote_ident(d)}" for g, d in
                         zip(dims, names, strict=True)]  # fmt: skip
                parts.append(
                    f"SELECT {', '.join([f'__p{r} AS __period', *shown, *counted])}, "
                    f"__lo{r} AS __first, __hi{r} AS __last, __gs > 0 AS __total FROM cells "
                    f"WHERE __gp{r} = 0 AND __p{r} IS NOT NULL"
                )
        values = [quote_ident(v) for v, *_, d in measures if not d]
        outer = ", ".join(["__period", *(quote_ident(d) for d in names), "__total"])
        merged = "".join(f"max({v}) AS {v}, " for v in values)
        answer = [
            f"SELECT 0 AS __kind, {outer}, {merged}min(__first) AS __first, max(__last) AS "
            f"__last FROM ({' UNION ALL BY NAME '.join(parts)}) GROUP BY {outer}"
        ] if parts else []  # fmt: skip
        reduce = {"count": "sum", "sum": "sum", "min": "min", "max": "max"}
        rolled = "".join(
            f", {reduce[c]}({quote_ident(n)}) AS {quote_ident(n)}" for n, (c, _) in checks.items()
        )
        empty = "CAST(NULL AS DATE) AS __period, NULL::BOOLEAN AS __total, NULL::DATE AS __first"
        tail = [f"SELECT 1 AS __kind, {empty}, NULL::DATE AS __last{rolled} FROM cells WHERE "
                "__gd = 0"]  # fmt: skip
        order = ", ".join(["__kind", "__total", "__period", *(quote_ident(d) for d in names)])
        union = " UNION ALL BY NAME ".join([*answer, *tail, *daily])
        return f"WITH cells AS MATERIALIZED ({cells}) SELECT * FROM ({union}) ORDER BY {order}"

    def _table_sql(self, table: FileTable) -> str:
        """A table's rows: the row columns and currencies (read in one projection: a cell and
        its value share DuckDB's work), then the row's bad-cell flag."""
        inner = [f"{make(table)} AS {quote_ident(n)}" for n, make in self._row.items()]
        raws, flags, kept = [], [], []
        for read in self._reads.values():
            i, type_ = read.index, table.type_of(read.column)
            inner.append(f"{quote_ident(read.column)} AS __raw{i}")
            raws.append(f"__raw{i}")
            reader = read.reader(table)
            flags.append(reader.bad_sql(Expr(f"__raw{i}"), type_, read.name))
            if read.currency is None:
                continue
            mark = "CAST(NULL AS VARCHAR)"
            if reader.kind == "number":
                mark = currency_sql(read.column, reader.decimal, type_)
            inner.append(f"{mark} AS __cur{i}")
            if read.currency:
                fitting = ", ".join(quote_text(c) for c in _fitting(read.currency))
                flags.append(f"coalesce(__cur{i} NOT IN ({fitting}), FALSE)")
                raws.append(f"__cur{i}")
            else:
                kept.append(f"__cur{i}")
        body = f"SELECT {', '.join(inner)} FROM {table.relation()} WHERE {self._kept(table)}"
        if not raws:
            return body
        return (
            f"SELECT * EXCLUDE ({', '.join(raws)}), ({' OR '.join(flags)}) AS __bad FROM ({body})"
        )

    def rows_sql(self, table: FileTable) -> str:
        """A table's data rows with the scan's row and derived columns (an error path's
        query, e.g. the unknown stages)."""
        derived = "".join(f", {sql} AS {quote_ident(n)}" for n, sql in self._derived.items())
        return f"SELECT *{derived} FROM ({self._table_sql(table)})"

    # --- running it -----------------------------------------------------------------------------

    def _kept(self, table: FileTable) -> str:
        keep = table.keep_sql()
        return keep if self.keep == "TRUE" else f"{keep} AND ({self.keep})"

    def run(self) -> Scanned:
        """The answer; the first bad cell's error when there is one (see `try_run`)."""
        scanned = self.try_run()
        assert scanned is not None  # no retry: an answer or an error
        return scanned

    def try_run(self, retry: Callable[[set[str]], bool] | None = None) -> Scanned | None:
        """Run the query (retyping a column DuckDB could not read as a number or date), raise
        the first bad cell's error, and return the answer. With bad cells, `retry(columns)`
        may read those columns otherwise (a date format detected again) and return True: the
        answer is then None, and the scan is to be built again."""
        for _ in range(len(self.tables[0].columns) + 1):
            try:
                result = active().duckdb.sql(self.sql()).fetchnumpy()
                break
            except duckdb_error() as exc:
                if os.environ.get("KPIENGINE_DEBUG_SQL"):  # for developers: DuckDB's own words
                    print(exc, file=sys.stderr)
                if not self._retype(exc):
                    raise _unreadable(self.tables, exc) from None
        kind = np.asarray(_filled(result["__kind"], -1))
        checks = {
            n: _scalar(result[n][kind == 1])
            for n in result
            if n.startswith(("__bad", "__cur", "__c_"))
        }
        failing = self._failing() if retry is not None and checks.get("__bad") else []
        if failing and retry is not None and retry({r.column for r in failing}):
            return None  # the connector reads those columns otherwise now: ask again
        self._raise_bad_cells(checks)
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
            span=span_of(_dates(result["__first"][rows]), _dates(result["__last"][rows])),
            grain=self.grain,
            totals=np.asarray(_filled(result["__total"][rows], False), dtype=bool),
        )
        days = kind == 2
        daily = [v for v, *_, d in self._measures() if d]
        return Scanned(
            frame,
            {n.removeprefix("__c_"): v for n, v in checks.items() if n.startswith("__c_")},
            _dates(result["__period"][days]) if daily else np.array([], "datetime64[D]"),
            {d: _texts(result[d][days]) for d in self._dims} if daily else {},
            {v: _floats(result[v][days]) for v in daily},
        )

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

    def _failing(self) -> list[_Read]:
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

    def _first_bad(self, failing: list[_Read]) -> None:
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
                error = reader.error(text)
                why = error.expected.partition(": ")[2] if error is not None else ""
                raise KpiError(
                    f"expected {reader.expected} in column `{read.column}`, found "
                    f"{f'`{shown(text)}`' if text.strip() else 'an empty cell'}"
                    + (f" ({why})" if why else ""),
                    where,
                    "set the source's `date_format:`" if reader.kind == "date" else None,
                )

    def _check_currency(self, read: _Read, codes: set[str]) -> None:
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

    def _codes(self, read: _Read) -> set[str]:
        found: set[str] = set()
        for table in self.tables:
            reader = read.reader(table)
            mark = currency_sql(read.column, reader.decimal, table.type_of(read.column))
            sql = f"SELECT DISTINCT {mark} FROM {table.relation()} WHERE {self._kept(table)}"
            found |= {str(r[0]) for r in run_sql(sql, table) if r[0] is not None}
        return found

    def _first_with(self, read: _Read, code: str) -> tuple[Location, str]:
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


def _same(reader: Reader) -> Callable[[FileTable], Reader]:
    return lambda _table: reader


def _constant(sql: str) -> Callable[[FileTable], str]:
    return lambda _table: sql


def _is_bad(reader: Reader) -> Callable[[str], bool]:
    return lambda text: reader.error(text) is not None


def _has_currency(decimal: str, code: str) -> Callable[[str], bool]:
    def check(text: str) -> bool:
        try:
            return read_number(text, decimal).currency == code
        except CellError:
            return False

    return check


def _both(*conditions: str) -> str:
    kept = [c for c in conditions if c != "TRUE"]
    return " AND ".join(f"({c})" for c in kept) if kept else "TRUE"


def _when(condition: str, sql: str) -> str:
    return sql if condition == "TRUE" else f"CASE WHEN {condition} THEN {sql} END"


def _rule_sql(rule: Aggregate, k: int) -> str:
    """A measure's value over the cells of a period, by its time rule."""
    time = rule.time
    if time in ("sum", "min", "max"):
        return f"{time}(__m{k})"
    if time == "mean":
        return f"sum(__m{k}) / nullif(sum(__n{k}), 0)"
    edge = "arg_max" if time == "last" else "arg_min"
    return f"{edge}(__m{k}, __day) FILTER (WHERE __m{k} IS NOT NULL)"


def _fitting(code: str) -> list[str]:
    """The currencies recorded in cells that fit `code`: itself and the symbols that may be it."""
    return [code.upper(), *(m for m, codes in AMBIGUOUS.items() if code.upper() in codes)]


def _range_sql(day: str, start: dt.date | None, end: dt.date | None) -> str:
    parts = [f"{day} >= DATE '{start.isoformat()}'"] if start else []
    parts += [f"{day} <= DATE '{end.isoformat()}'"] if end else []
    return f"({' AND '.join(parts)})" if parts else "TRUE"


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
