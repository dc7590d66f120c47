"""CSV files of a `sql` source's `files:`, read as the `csv` connector reads them.

kpiengine's reading layer (`kpiengine.fileformats`) reads each file: encoding, delimiter,
preamble, header, totals rows and rows without a value left out, and every column typed by its
cells (the first 2,000 data rows):
- numbers, read by the one number grammar with the file's decimal mark (told by its cells, or
  the source's `decimal:`): BIGINT when every cell is a plain whole number, else DOUBLE
  (`1.500` is 1500, `1.234,56 €` 1234.56, `45%` 0.45; `—`, `n/a` and the other missing marks
  are NULL);
- dates, read by the date detector (or `date_format:`; an order read both day/month and
  month/day is an error): DATE, or TIMESTAMP when the cells have a time, the day and time as
  written (an offset such as `Z` or `-05:00` is dropped, so a row keeps the day it shows);
- anything else (and whole numbers written with a leading zero, `007`): text, trimmed (NULL
  when blank).
When `table:` names the file, its mappings type columns whatever their first cells say: a value
column (`column:` of `map:`) holds numbers, in the mapping's (or the workspace's) currency, or
whole counts (`Reading.counts`: `1.500` orders are 1500 whatever the currency); a `date:` column
dates; a dimension, `where:`, `count:` or `distinct:` column text. A cell that does not read as
its column's type is an error at `file:line:column`. The rows are written once per process
(again when the file changes) as a typed Parquet file, the file every in-process engine then
reads; the date range the file states before its header (`Report Time: ...`, Google Ads' `"June
1, 2024 - July 31, 2024"`) is kept with it, as the `csv` connector keeps it: the span of the rows
of the table `table:` names.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import datetime as dt
import itertools
import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from kpiengine.cellreader import Reader
from kpiengine.errors import KpiError
from kpiengine.fileformats import CellError, DateFormat, compile_format, detect_date_format
from kpiengine.fileformats import read_number as grammar_number
from kpiengine.fileformats.currency import AMBIGUOUS, currency_fits
from kpiengine.fileformats.datespec import date_orders
from kpiengine.fileformats.missing import is_missing, missing_sql
from kpiengine.fileformats.numbers import currency_sql, number_sql
from kpiengine.fileformats.sql import bind_sql, shown
from kpiengine.fileformats.tables import FileTable, open_tables, reencoded, run_sql
from kpiengine.filesource import date_format_of, decimal_of, display
from kpiengine.runcache import active, duckdb_error
from kpiengine.sqlgen import quote_ident, quote_text

from ._sql_files import Reading, TableFile, holding, mapped_reading
from ._sql_totals import checked_totals, subtotal_sql

__all__ = ["Reading", "as_parquet", "holding", "mapped_reading"]

_INTEGER = re.compile(r" *-?(?:0|[1-9][0-9]{0,17}) *")
_INTEGER_SQL = quote_text("^ *-?(?:0|[1-9][0-9]{0,17}) *$")
_TIME = re.compile(r"[0-9]:[0-5][0-9]")
_ZEROS = re.compile(r" *-?0[0-9]+ *")  # an identifier or a code, not a number
#: The time after a day (`%~` of `kpiengine.fileformats.datespec`): hour, minute, second,
#: fraction, and the A or P of AM/PM; a zone after it is not read.
_CLOCK = (
    "(?:^|[ T,])([01]?[0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]|60)(?:[.,]([0-9]{1,9}))?)?"
    "(?:[ \u202f\u00a0]?([AaPp])\\.?[Mm])?"
)
_SIGNAL = re.compile(r"kpi:(bad|cur|retype|undated):([0-9]+)")
_LOCK = threading.Lock()
_Written = tuple[Path, tuple[dt.date, dt.date] | None, tuple[KpiError, ...]]
_CACHE: dict[tuple[object, ...], _Written] = {}
_FOLDER: list[Path] = []
_NAMES = itertools.count()


@dataclass(frozen=True)
class _Column:
    name: str
    kind: str  # text | integer | number | date | timestamp
    decimal: str = "."
    fmt: DateFormat | None = None
    currency: str = ""  # the currency a mapped amount must be in ("": not checked)
    mapped: bool = False  # typed by the source's mappings, not by its first cells
    quantity: str = ""  # what a mapped number column holds (`Reading.quantities`)

    @property
    def reader(self) -> Reader:
        if self.kind in ("date", "timestamp"):
            return Reader("date", fmt=self.fmt)
        return Reader("number", self.decimal, quantity=self.quantity)


def as_parquet(file: TableFile, root: Path, reading: Reading) -> TableFile:
    """The table read from the typed Parquet file of a CSV file (written on first use)."""
    stat = file.path.stat()
    key = (str(file.path), stat.st_mtime_ns, stat.st_size, reading)
    with _LOCK:
        path, stated, warnings = _CACHE.get(key) or (None, None, ())
        if path is None or not path.is_file():
            path, stated, warnings = _write(file.path, display(file.path, root.resolve()), reading)
            for old in [k for k in _CACHE if k[0] == key[0] and k[1:3] != key[1:3]]:
                _CACHE.pop(old)[0].unlink(missing_ok=True)  # the file has changed since
            _CACHE[key] = path, stated, warnings
    return dataclasses.replace(file, path=path, converted=True, stated=stated, warnings=warnings)


def _write(path: Path, name: str, reading: Reading) -> _Written:
    """The typed Parquet file of a CSV file, the date range its preamble states, and the
    warnings of rows beyond its grand total (`_sql_totals`)."""
    table = open_tables(path, name, encoding=reading.encoding)[0]
    stated = table.sniffed.preamble.date_range if table.sniffed is not None else None
    columns = _plan(table, reading)
    if not _FOLDER:
        _FOLDER.append(Path(tempfile.mkdtemp(prefix="kpiengine-sql-")))
        atexit.register(shutil.rmtree, _FOLDER[0], True)
    target = _FOLDER[0] / f"{next(_NAMES)}.parquet"
    partial = target.with_suffix(".partial")
    for _ in range(len(columns) + 2):  # a retry widens one column's type, or reads it anew
        try:
            rows = _rows_sql(table, columns, reading)
            active().duckdb.execute(f"COPY ({rows}) TO {quote_text(str(partial))} (FORMAT parquet)")
            break
        except duckdb_error() as exc:
            partial.unlink(missing_ok=True)
            found = _SIGNAL.search(str(exc))
            # bytes its first ones did not announce (`count(*)` below reads no cell to see them)
            if found is None and reencoded([table], exc):
                continue  # read in the encoding of its every byte
            if found is None:  # the file's own problem, located if it can be; or DuckDB's
                run_sql(f"SELECT count(*) FROM {table.reader()}", table)
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                raise KpiError(
                    f"cannot read the file as a table: {first}", table.header()
                ) from None
            signal, index = found.group(1), int(found.group(2))
            if signal == "undated":
                raise _undated(table, columns, reading) from None
            if signal != "retype":
                raise _bad_cell(table, columns[index], signal) from None
            wider = "number" if columns[index].kind == "integer" else "timestamp"
            columns[index] = dataclasses.replace(columns[index], kind=wider)
    summed = {c.name: (c.decimal, c.currency, c.name in reading.counts) for c in columns
              if c.name in reading.summed and c.kind in ("integer", "number")}  # fmt: skip
    warnings = checked_totals(table, str(partial), summed)
    os.replace(partial, target)
    return target, stated, tuple(warnings)


# --- the type of each column ----------------------------------------------------------------


def _plan(table: FileTable, reading: Reading) -> list[_Column]:
    """Each column's type, from its sampled cells and the source's mappings."""
    numbers = {c: cur for c, cur in reading.numbers if c in table.columns}
    quantities = dict(reading.quantities)
    dates = {c for c in reading.dates if c in table.columns and c not in numbers}
    texts = set(reading.texts) - set(numbers) - dates
    cells = {c: _filled(table.cells(c)) for c in table.columns}
    typed = [
        c for c in table.columns if c not in texts and not any(map(_ZEROS.fullmatch, cells[c]))
    ]
    numeric = [
        c for c in typed if c in numbers or (c not in dates and cells[c] and _numeric(cells[c]))
    ]
    counts = [c for c in reading.counts if c in numbers]  # whole: `1.500` orders are 1500
    # `1.250` KWD: ask `decimal:`
    amounts = {c: code for c, code in numbers.items() if code and c not in counts}
    sampled = [c for c in numeric if c in numbers] or numeric
    decimal = decimal_of(table, sampled, reading.decimal, whole=counts, currency=amounts,
                         quantities=quantities)  # fmt: skip
    plan: dict[str, _Column] = {}
    for column in numeric:
        if column in numbers or all(_number(t, decimal) for t in cells[column]):
            whole = bool(cells[column]) and all(_INTEGER.fullmatch(t) for t in cells[column])
            kind = "integer" if whole else "number"
            mapped, held = column in numbers, quantities.get(column, "")
            # a currency mark is a bad cell in counts and rates: no currency to check there
            code = "" if held in ("count", "rate") else numbers.get(column, "")
            plan[column] = _Column(column, kind, decimal, None, code, mapped, held)
    probes = {
        c: f
        for c in typed
        if c not in plan and (f := _probe(cells[c], reading.date_format)) is not None
    }
    for column in [c for c in table.columns if c in dates or c in probes]:
        twins = _twins(probes[column].spec) if column in probes else set()
        extra = [t for o, f in probes.items() if o != column and f.spec in twins for t in cells[o]]
        fmt = date_format_of([table], column, reading.date_format, extra=extra)
        timed = fmt.grain == "day" and any(_TIME.search(t) for t in cells[column])
        kind = "timestamp" if timed and fmt.kind == "gregorian" else "date"
        plan[column] = _Column(column, kind, fmt=fmt, mapped=column in dates)
    return [plan.get(c, _Column(c, "text")) for c in table.columns]


def _filled(cells: list[str]) -> list[str]:
    """The distinct cells that hold a value, trimmed."""
    return list(dict.fromkeys(c.strip() for c in cells if not is_missing(c)))


def _number(text: str, decimal: str) -> bool:
    if _INTEGER.fullmatch(text):
        return True
    try:
        grammar_number(text, decimal)
    except CellError:
        return False
    return True


def _numeric(cells: list[str]) -> bool:
    """Whether every cell reads as a number with one of the two decimal marks."""
    return any(all(_number(t, d) for t in cells) for d in (".", ","))


def _probe(cells: list[str], option: str | None) -> DateFormat | None:
    """The format that reads every cell (`date_format:` first; the day/month order is settled
    later), or None: the column is not one of dates."""
    if not cells:
        return None
    tried = []
    if option:
        with contextlib.suppress(ValueError):  # reported where a date column uses it
            tried.append(compile_format(option))
    with contextlib.suppress(KpiError):  # no format reads the cells
        tried.append(detect_date_format(cells, day_first=True))
    return next((f for f in tried if all(_reads(f, t) for t in cells)), None)


def _reads(fmt: DateFormat, text: str) -> bool:
    try:
        return fmt.read(text, weekday=False) is not None
    except CellError:
        return False


def _twins(spec: str) -> set[str]:
    """A spec and its twins in the other orders of day, month and year (`%d/%m/%Y` and
    `%m/%d/%Y`; `%d/%m/%y`, `%m/%d/%y` and `%y/%m/%d`: `date_orders`), or day and month
    swapped when they are not apart (`%d%m%Y`)."""
    swapped = spec.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
    return {spec, swapped, *date_orders(spec)}


# --- the rows as SQL ------------------------------------------------------------------------


def _rows_sql(table: FileTable, columns: list[_Column], reading: Reading) -> str:
    """The typed rows; a cell that fails its column's type raises `kpi:<signal>:<index>`, a row
    with values but no date `kpi:undated:<index>` (`_undated`)."""
    inner, outer = [], []
    names = [c.name for c in columns]
    for i, column in enumerate(columns):
        text, value = f"__t{i}", f"__v{i}"
        inner.append(f"{quote_ident(column.name)} AS {text}")
        inner.append(f"{_value_sql(column)} AS {value}")
        checks = _checks_sql(column, text, value)
        dated = [f"__t{names.index(c)}" for c in reading.dated if c in names]
        if column.name == reading.date and column.kind in ("date", "timestamp") and dated:
            cells = " OR ".join(f"trim(coalesce({t}, '')) <> ''" for t in dated)
            checks.append(("undated", f"{value} IS NULL AND ({cells})"))
        cases = "".join(f" WHEN {c} THEN error('kpi:{s}:{i}')" for s, c in checks)
        out = f"CASE{cases} ELSE {value} END" if cases else value
        outer.append(f"{out} AS {quote_ident(column.name)}")
    filled = " OR ".join(f"trim(coalesce({quote_ident(c.name)}, '')) <> ''" for c in columns)
    texts = [c.name for c in columns if c.kind == "text"]
    subtotals = subtotal_sql(table, texts, reading.subtotals)  # `_sql_totals`
    keep = table.keep_sql() + (f" AND NOT {subtotals}" if subtotals else "")
    return (
        f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} FROM {table.reader()} "
        f"WHERE {keep} AND ({filled or 'TRUE'}))"
    )


def _value_sql(column: _Column) -> str:
    name = column.name
    col = quote_ident(name)
    if column.kind == "integer":
        whole = f"regexp_full_match({col}, {_INTEGER_SQL})"
        return f"(CASE WHEN {whole} THEN CAST(trim({col}) AS BIGINT) END)"
    if column.kind == "number":
        return number_sql(name, column.decimal, "VARCHAR", quantity=column.quantity)
    if column.kind in ("date", "timestamp"):
        assert column.fmt is not None
        day = column.fmt.sql(name, "VARCHAR")
        return _timestamp_sql(day, col) if column.kind == "timestamp" else day
    return f"nullif(trim({col}), '')"


def _timestamp_sql(day: str, col: str) -> str:
    """The cell's day (SQL `day`) at the time written after it (`%~`: ISO, `9:00 AM`), its
    offset or zone dropped; midnight when it shows no time."""
    parts = f"regexp_extract({col}, {quote_text(_CLOCK)}, ['h', 'm', 's', 'f', 'p'])"
    hour = "CAST(nullif(t['h'], '') AS INTEGER)"
    hour = (
        f"(CASE WHEN lower(t['p']) = 'p' AND {hour} < 12 THEN {hour} + 12 "
        f"WHEN lower(t['p']) = 'a' AND {hour} = 12 THEN 0 ELSE {hour} END)"
    )
    seconds = (
        f"{hour} * 3600 + CAST(t['m'] AS INTEGER) * 60 "
        "+ least(coalesce(CAST(nullif(t['s'], '') AS DOUBLE), 0), 59) "
        "+ coalesce(CAST(nullif('0.' || t['f'], '0.') AS DOUBLE), 0)"
    )
    micros = f"CASE WHEN t['h'] = '' THEN 0 ELSE CAST(round(({seconds}) * 1e6) AS BIGINT) END"
    return f"(CAST({day} AS TIMESTAMP) + to_microseconds({bind_sql(parts, 't', micros)}))"


def _checks_sql(column: _Column, text: str, value: str) -> list[tuple[str, str]]:
    """(signal, SQL true on the row) of a column's cell: `bad` (not of its type), `cur` (in
    another currency than its mapping's), `retype` (a wider type reads it)."""
    present = f"({value} IS NULL AND NOT {missing_sql(text)})"
    if column.kind == "text":
        return []
    if column.kind == "integer":
        return [("retype", present)]
    checks = [("bad", present)]
    if column.kind == "number" and column.currency:
        fitting = ", ".join(map(quote_text, _fitting(column.currency)))
        mark = currency_sql(text, column.decimal, "VARCHAR")
        checks.append(("cur", f"coalesce({mark} NOT IN ({fitting}), FALSE)"))
    if column.kind == "date" and column.fmt is not None and column.fmt.grain == "day":
        timed = f"regexp_matches({quote_ident(text)}, '[0-9]:[0-5][0-9]')"
        checks.append(("retype", f"coalesce({timed}, FALSE)"))
    return checks


def _fitting(code: str) -> list[str]:
    """The currencies cells may record for `code`: itself and the symbols that may be it."""
    return [code.upper(), *(m for m, codes in AMBIGUOUS.items() if code.upper() in codes)]


# --- the error of a bad cell ----------------------------------------------------------------


def _bad_cell(table: FileTable, column: _Column, signal: str) -> KpiError:
    """The first bad cell's error at `file:line:column` (the error path: the file read again)."""
    reader = column.reader
    name = column.name
    if signal == "cur":
        mark = currency_sql(name, column.decimal, "VARCHAR")
        fitting = ", ".join(map(quote_text, _fitting(column.currency)))
        found = table.first_cell(
            name,
            f"coalesce({mark} NOT IN ({fitting}), FALSE)",
            lambda t: _other_currency(t, column),
        )
        where, text = found or (table.header(name), "")
        code = _currency_of(text, column.decimal) or "another currency"
        return KpiError(
            f"column `{name}` is in {code} but the workspace currency is {column.currency}",
            where,
            "convert it first, or set the workspace `currency:` to match",
        )
    found = table.first_cell(name, reader.bad_sql(name, "VARCHAR", reader.sql(name, "VARCHAR")),
                             lambda t: reader.error(t) is not None)  # fmt: skip
    where, text = found or (table.header(name), "")
    error = reader.error(text)
    why = error.expected.partition(": ")[2] if error is not None else ""
    kind = "dates" if reader.kind == "date" else "numbers"
    first = "" if column.mapped else f" (its first rows hold {kind})"
    if reader.kind == "date":
        fix: str | None = "set the source's `date_format:` if the dates are written otherwise"
    elif error is not None and error.fix:  # a cell its column refuses (`45%` in amounts)
        fix = error.fix
    else:
        fix = None if column.mapped else "correct the cell: every cell of the column is read alike"
    return KpiError(
        f"expected {reader.expected} in column `{name}`{first}, found "
        f"{f'`{shown(text)}`' if text.strip() else 'an empty cell'}" + (f" ({why})" if why else ""),
        where,
        fix,
    )


def _undated(table: FileTable, columns: list[_Column], reading: Reading) -> KpiError:
    """The error of a row with values but no date, at its date cell, as the `csv` connector
    gives it (rows without values, Excel's trailing `,,`, are no data: no error)."""
    date = str(reading.date)
    fmt = next(c.fmt for c in columns if c.name == date)
    assert fmt is not None  # a date column (`_rows_sql`)
    cells = " OR ".join(f"trim(coalesce({quote_ident(c)}, '')) <> ''"
                        for c in reading.dated if c in table.columns)  # fmt: skip
    found = table.first_cell(date, f"{fmt.sql(date, 'VARCHAR')} IS NULL AND ({cells})",
                             lambda _: False)  # fmt: skip
    return KpiError(
        f"a row has values but no date in column `{date}`: no period can count it",
        found[0] if found else table.header(date),
        "fill in the dates, or remove those rows (a subtotal, a note?)",
    )


def _currency_of(text: str, decimal: str) -> str | None:
    try:
        return grammar_number(text, decimal).currency
    except CellError:
        return None


def _other_currency(text: str, column: _Column) -> bool:
    code = _currency_of(text, column.decimal)
    return code is not None and not currency_fits(code, column.currency)
