"""The SQL of a scan (`kpiengine.filescan`): the rows of each file, one GROUP BY, the roll-up.
(A little longer than 420 lines: the rows' flags and the query they feed are one piece.)

Each row is read once, in one projection per file (a cell and its value share DuckDB's work: the
number grammar's tiers, the currency of the amounts), with its bad-cell flag; the rows of every
file are grouped once, by the period (or day) of every role at once and by segment, and each role
then rolls up that small table by its own periods and time rules. Distinct counts come from
grouping sets of the rows: a role's period and segment, and its period alone (the total).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .cellreader import Reader, trimmed_sql
from .fileformats.columntypes import FLOAT_TYPES
from .fileformats.currency import AMBIGUOUS
from .fileformats.dateformat import is_typed_day
from .fileformats.numbers import NO_CURRENCY_SQL, currency_sql, fast_sql
from .fileformats.percents import flag_sql, is_percent, slot
from .fileformats.sql import WHITESPACE, Expr
from .fileformats.tables import FileTable
from .model import DISTINCT, Aggregate
from .periods import Calendar
from .sqlgen import date_range_sql, exact_sum_sql, period_sql, quote_ident, quote_text, sums_exactly

__all__ = ["Read", "Role", "ScanQuery"]

#: Day cells for at most this many segments (the bound of a partial period's daily values).
DAY_CELLS_SEGMENTS = 50


@dataclass
class Read:
    column: str
    reader: Callable[[FileTable], Reader]
    name: str  # the row column of the value (quoted)
    index: int  # names its raw cell `__raw<i>`, bad flag `__b<i>`, currency `__cur<i>`
    currency: str | None = None  # the currency the cells must be in ("" = any, one)


@dataclass
class Role:
    day: str
    where: str
    measures: dict[str, tuple[str, Aggregate]]
    daily: bool = False  # given by day, whatever the request (a stock's flows)


class ScanQuery:
    """The query-writing half of `kpiengine.filescan.Scan` (its state is set there)."""

    tables: list[FileTable]
    grain: str
    calendar: Calendar
    start: dt.date | None
    end: dt.date | None
    keep: str
    _row: dict[str, Callable[[FileTable], str]]
    _derived: dict[str, str]
    _reads: dict[tuple[str, str, Any], Read]
    _checks: dict[str, tuple[str, str]]
    _roles: list[Role]
    _dims: dict[str, str]
    #: dimensions read as trimmed text (raw row column, empty value): without distinct counts
    #: grouped raw and trimmed after (a trim per group, not per row)
    _dim_texts: dict[str, tuple[str, str]]
    _texts: dict[tuple[str, str], str]
    _day_cells: bool = False  # set by `parts`
    _exact: dict[str, str] = {}  # by `parts`: integer, DECIMAL reads summed as they are
    _same: dict[str, str] = {}  # by `parts`: a check's name -> the one it is aggregated as
    _by_id: list[tuple[int, str, int]]  # (measure, variable, role): distinct, over windows
    #: typed columns read as they are, without a test per row: float columns (their sums tell
    #: whether a NaN or infinity is there) and date columns (their first and last days tell
    #: whether a day lies beyond the grammar's years); if so the scan runs again, testing each
    #: cell (NaN is missing; an infinity or such a day is a bad cell, named by its row)
    trust_types: bool = True

    def trusted(self, reader: Reader, type_: str) -> bool:
        """Whether a column is a float or date column DuckDB typed, read without per-row tests."""
        if not self.trust_types:
            return False
        if reader.kind == "date":
            return is_typed_day(type_)
        return reader.kind == "number" and type_.upper() in FLOAT_TYPES

    def value_sql(self, reader: Reader, column: str, type_: str) -> str:
        """SQL for a read cell's value (`trust_types`; `+-5` is flagged by `percents.flag_sql`)."""
        if self.trusted(reader, type_):
            kind = "DATE" if reader.kind == "date" else "DOUBLE"
            return f"CAST({quote_ident(column)} AS {kind})"
        return reader.sql(column, type_, signs=False)  # with the column's quantity

    def _measures(self) -> list[tuple[str, str, Aggregate, int, bool]]:
        """(variable, SQL, rule, role, daily) of every measure."""
        return [
            (n, sql, rule, i, role.daily)
            for i, role in enumerate(self._roles)
            for n, (sql, rule) in role.measures.items()
        ]

    def sql(self) -> str:
        """The query: kind 0 rows are periods, 1 the checks, 2 the daily measures."""
        cells, answer = self.parts()
        return f"WITH cells AS MATERIALIZED ({cells}) {answer}"

    def parts(self) -> tuple[str, str]:
        """The query in two: the cells (the one pass over the rows) and the answer over them.

        Each row is read once and grouped by the period (or day) of every role at once and by
        segment: deals by close month, create month and channel together, a small table each
        role then rolls up by its own period. No row is read twice, none duplicated. With
        `day_cells`, the cells are days whatever the grain and dates asked (the answer picks
        those): another request of the run (a partial period's days) reads the same cells."""
        day_cells = self._day_cells = self.day_cells()
        reads = list(self._reads.values())
        number = [r for r in reads if r.reader(self.tables[0]).kind == "number"]
        self._exact = {r.name: f"__e{r.index}" for r in number
                       if sums_exactly(t.type_of(r.column) for t in self.tables)}  # fmt: skip
        checks = {"__bad": ("bit_or", "__bad")} if reads else {}  # see `_table_sql`
        checks |= {f"__cur{r.index}{e}": (e, f"__cur{r.index}") for r in reads
                   if r.currency == "" for e in ("min", "max")}  # fmt: skip
        groups = {group for group, _ in self.percent_slots().values()} - {0}
        checks |= {f"__pct{g}": ("bit_or", f"__pm{g}") for g in sorted(groups)}
        checks |= {f"__c_{n}": c for n, c in self._checks.items()}
        # how far the data goes beyond the dates asked for (`Scan.role`): from the day cells,
        # which hold every day, else counted on the rows
        spans: dict[str, str] = {}
        if self.start is not None or self.end is not None:
            for r, role in enumerate(self._roles):
                if day_cells:
                    spans |= {
                        f"__c___span_lo{r}": f"min(__t{r})",
                        f"__c___span_hi{r}": f"max(__t{r})",
                    }
                    continue
                dated = _when(role.where, role.day)
                checks[f"__c___span_lo{r}"] = ("min", dated)
                checks[f"__c___span_hi{r}"] = ("max", dated)
        # a trusted float column's sum: that of a measure summing it, else a sum of its own
        summed = {sql: k for k, (_, sql, rule, _, _) in enumerate(self._measures())
                  if rule.time in ("sum", "mean")}  # fmt: skip
        finite: dict[str, str] = {}
        for read in reads:
            if not any(self.trusted(read.reader(t), t.type_of(read.column)) for t in self.tables):
                continue
            if read.reader(self.tables[0]).kind == "date":  # its first and last days
                checks |= {f"__day{e}{read.index}": (e, read.name) for e in ("min", "max")}
            elif read.name in summed:
                finite[f"__fin{read.index}"] = f"sum(__m{summed[read.name]})"
            else:
                checks[f"__fin{read.index}"] = ("sum", read.name)
        rows = " UNION ALL BY NAME ".join(self._table_sql(t) for t in self.tables)
        derived = "".join(f", {sql} AS {quote_ident(n)}" for n, sql in self._derived.items())
        expand, keys = [], []
        for r, role in enumerate(self._roles):
            # a row's key for a role is NULL unless the role counts it (its rows, in the dates
            # asked): the role's cells are then those with a key, and need no other test
            day = f"__d{r}"
            expand.append(f"{role.day} AS {day}")
            keep = role.where
            if not role.daily and not day_cells:
                keep = _both(keep, date_range_sql(day, self.start, self.end))
            key = day if self._by_day(role) else period_sql(day, self.grain, self.calendar)
            expand.append(f"{_when(keep, key)} AS __t{r}")
            keys.append(f"__t{r}")
            if self._distinct(role):
                expand.append(
                    f"{_when(keep, period_sql(day, self.grain, self.calendar))} AS __p{r}"
                )
        dims = [f"__g{i}" for i in range(len(self._dims))]
        late = {} if any(self._distinct(r) for r in self._roles) else self._dim_texts
        for g, (name, sql) in zip(dims, self._dims.items(), strict=True):
            expand.append(f"{late[name][0] if name in late else sql} AS {g}")
        trims = {g: late[name][1] for g, name in zip(dims, self._dims, strict=True) if name in late}
        for k, (_, sql, rule, _, _) in enumerate(self._measures()):  # exact sums: `exact_sum_sql`
            exact = exact_sum_sql(sql, self._exact) if rule.time in ("sum", "mean") else None
            expand.append(f"{exact or sql} AS __v{k}")
        kept: dict[tuple[str, str], str] = {}  # a check two rules ask for is aggregated once
        same = self._same = {n: kept.setdefault(check, n) for n, check in checks.items()}
        once = {n: check for n, check in checks.items() if same[n] == n}
        expand += [f"{sql} AS {quote_ident(n)}" for n, (_, sql) in once.items()]
        first = f"SELECT {', '.join(expand)} FROM (SELECT *{derived} FROM ({rows}))"
        cells = self._cells_sql(first, keys, dims, once)
        if trims:
            trimmed = ", ".join(f"{trimmed_sql(g, e, True)} AS {g}" for g, e in trims.items())
            cells = f"SELECT * REPLACE ({trimmed}) FROM ({cells})"
        return cells, self._answer_sql(dims, checks, finite | spans)

    def day_cells(self) -> bool:
        """Whether the cells are days: one role, no distinct count, at most
        `DAY_CELLS_SEGMENTS` segments in the sampled rows (so the days stay a small table)."""
        if len(self._roles) != 1 or self._distinct(self._roles[0]):
            return False
        texts = {sql: column for (column, _), sql in self._texts.items()}
        if any(sql not in texts for sql in self._dims.values()):
            return False
        columns = [texts[sql] for sql in self._dims.values()]
        seen = set()
        for table in self.tables:
            cells = [
                table.cells(c) if c in table.columns else [""] * len(table.sample) for c in columns
            ]
            seen |= {tuple(v.strip(WHITESPACE) for v in row) for row in zip(*cells, strict=True)}
            if len(seen) > DAY_CELLS_SEGMENTS:
                return False
        return True

    def _by_day(self, role: Role) -> bool:
        """A role whose rules need its days (first, last; daily measures), or day cells."""
        if self._day_cells:
            return True
        return role.daily or any(
            rule.time in ("last", "first") for _, rule in role.measures.values()
        )

    def _distinct(self, role: Role) -> bool:
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
        for k, _, r in self._by_id:  # and by id, for windows (`filescan.Scan.window_parts`)
            sets += [[f"__p{r}", *dims, f"__v{k}"]] + ([[f"__p{r}", f"__v{k}"]] if dims else [])
        ids = [f"__v{k}" for k, _, _ in self._by_id]
        aggs += [f"GROUPING({', '.join(ids)}) AS __gw"] if ids else []
        aggs.append(f"GROUPING({keys[0]}) AS __gd")
        aggs += [f"GROUPING(__p{r}) AS __gp{r}" for r in distinct]
        aggs.append(f"GROUPING({', '.join(dims)}) AS __gs" if dims else "0 AS __gs")
        columns = [*keys, *(f"__p{r}" for r in distinct), *dims, *ids]
        listed = ", ".join(f"({', '.join(s)})" for s in sets)
        return (
            f"SELECT {', '.join(columns)}, {', '.join(aggs)} FROM ({first}) "
            f"GROUP BY GROUPING SETS ({listed})"
        )

    def _answer_sql(
        self, dims: list[str], checks: dict[str, tuple[str, str]], finite: dict[str, str]
    ) -> str:
        names = self._dims
        named = [f"{g} AS {quote_ident(d)}" for g, d in zip(dims, names, strict=True)]
        measures = self._measures()
        parts, daily = [], []
        for r, role in enumerate(self._roles):
            mine = [(k, v, rule) for k, (v, _, rule, i, d) in enumerate(measures)
                    if i == r and not d and rule.time != DISTINCT]  # fmt: skip
            days = [(k, v) for k, (v, _, _, i, d) in enumerate(measures) if i == r and d]
            where = f"__gd = 0 AND __t{r} IS NOT NULL"
            if not role.daily and self._day_cells:  # the dates asked, of cells of any date
                where = _both(where, date_range_sql(f"__t{r}", self.start, self.end))
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
                    + (f" AND __gw = {2 ** len(self._by_id) - 1}" if self._by_id else "")
                )
        values = [quote_ident(v) for v, *_, d in measures if not d]
        outer = ", ".join(["__period", *(quote_ident(d) for d in names), "__total"])
        merged = "".join(f"max({v}) AS {v}, " for v in values)
        answer = [
            f"SELECT 0 AS __kind, {outer}, {merged}min(__first) AS __first, max(__last) AS "
            f"__last FROM ({' UNION ALL BY NAME '.join(parts)}) GROUP BY {outer}"
        ] if parts else []  # fmt: skip
        reduce = {"count": "sum", "sum": "sum", "min": "min", "max": "max", "bit_or": "bit_or"}
        rolled = "".join(
            f", {reduce[c]}({quote_ident(self._same[n])}) AS {quote_ident(n)}"
            for n, (c, _) in checks.items()
        )
        rolled += "".join(f", {sql} AS {quote_ident(n)}" for n, sql in finite.items())
        empty = "CAST(NULL AS DATE) AS __period, NULL::BOOLEAN AS __total, NULL::DATE AS __first"
        tail = [f"SELECT 1 AS __kind, {empty}, NULL::DATE AS __last{rolled} FROM cells WHERE "
                "__gd = 0"]  # fmt: skip
        order = ", ".join(["__kind", "__total", "__period", *(quote_ident(d) for d in names)])
        union = " UNION ALL BY NAME ".join([*answer, *tail, *daily])
        return f"SELECT * FROM ({union}) ORDER BY {order}"

    def _table_sql(self, table: FileTable) -> str:
        """A table's rows in one projection (a cell and its value share DuckDB's work), with
        `__bad`: bit 0 a bad cell or currency, then each text number's `percents.flag_sql`."""
        slots = self.percent_slots()
        inner = [f"{make(table)} AS {quote_ident(n)}" for n, make in self._row.items()]
        raws, flags, kept = [], [], []
        packed: dict[int, list[str]] = {}
        for read in self._reads.values():
            i, type_ = read.index, table.type_of(read.column)
            inner.append(f"{quote_ident(read.column)} AS __raw{i}")
            if f"__e{i}" in self._exact.values():  # summed as it is (`parts`)
                inner.append(f"{quote_ident(read.column)} AS __e{i}")
            raws.append(f"__raw{i}")
            reader = read.reader(table)
            if i in slots and self._percents(read, table):
                inner.append(f"{fast_sql(read.column, reader.decimal)} AS __c{i}")
                raws.append(f"__c{i}")
                asked = (reader.decimal, _fitting(read.currency)) if read.currency else None
                packed.setdefault(slots[i][0], []).append(flag_sql(
                    f"__raw{i}", read.name, f"__c{i}", slots[i][1], self.percent_seen(read), asked
                ))  # fmt: skip
                if read.currency != "":
                    continue  # its currency is in its flags
            else:
                flag = reader.bad_sql(Expr(f"__raw{i}"), type_, read.name)
                # a typed column DuckDB read, or a float column its sum checks: no test per row
                if flag != "FALSE" and not self.trusted(reader, type_):
                    flags.append(flag)
            if read.currency is None:
                continue
            mark = NO_CURRENCY_SQL
            if reader.kind == "number":
                mark = currency_sql(read.column, reader.decimal, type_)
            if read.currency and mark == NO_CURRENCY_SQL:
                continue  # a typed number records no currency: it cannot be another one
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
        bad = [f"CAST(({' OR '.join(flags)}) AS BIGINT)"] if flags else []
        columns = [f"* EXCLUDE ({', '.join(raws)})"]
        columns.append(f"({' | '.join([*bad, *packed.pop(0, [])]) or '0'}) AS __bad")
        columns += [f"({' | '.join(k)}) AS __pm{g}" for g, k in packed.items()]
        return f"SELECT {', '.join(columns)} FROM ({body})"

    def _percents(self, read: Read, table: FileTable) -> bool:
        """Whether a read's cells are flagged by `percents.flag_sql`: text numbers."""
        return read.reader(table).kind == "number" and table.type_of(read.column) == "VARCHAR"

    def percent_slots(self) -> dict[int, tuple[int, int]]:
        """Where each text number read's flags are: read index -> `percents.slot`."""
        reads = [r for r in self._reads.values() if any(self._percents(r, t) for t in self.tables)]
        return {r.index: slot(k) for k, r in enumerate(reads)}

    def percent_seen(self, read: Read) -> bool:
        """Whether a read's sampled cells show a percent sign (see `percents.flag_sql`)."""
        cells = (c for t in self.tables if read.column in t.columns for c in t.cells(read.column))
        return any(map(is_percent, cells))

    def rows_sql(self, table: FileTable) -> str:
        """A table's data rows with the scan's row and derived columns (an error path's query)."""
        derived = "".join(f", {sql} AS {quote_ident(n)}" for n, sql in self._derived.items())
        return f"SELECT *{derived} FROM ({self._table_sql(table)})"

    # --- running it -----------------------------------------------------------------------------

    def _kept(self, table: FileTable) -> str:
        keep = table.keep_sql()
        return keep if self.keep == "TRUE" else f"{keep} AND ({self.keep})"


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
