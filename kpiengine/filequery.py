"""Delimited files read and aggregated by DuckDB: sniffing, number and date parsing, GROUP BY.

Connectors for CSV-like exports describe what they want (value expressions per variable, the date
column, the dimension columns) and this module turns it into one SQL query per request, so rows
never become Python objects: only the aggregated table enters Python.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import KpiError, Location, did_you_mean
from .periods import DEFAULT, Calendar
from .runcache import active, duckdb_error
from .sqlgen import (
    AggregateSpec,
    Measure,
    aggregation_sql,
    period_sql,
    quote_ident,
    quote_text,
)
from .table import Frame, span_of

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "Measure",
    "Query",
    "Sniffed",
    "aggregate",
    "aggregate_together",
    "bad_number_sql",
    "date_range_sql",
    "duckdb_module",
    "date_sql",
    "first_bad_rows",
    "first_bad_value",
    "guess_date_format",
    "guess_decimal",
    "number_sql",
    "period_sql",
    "quick_bad_number_sql",
    "quick_number_sql",
    "quote_ident",
    "quote_text",
    "require_column",
    "scan",
    "sniff",
]
SAMPLE_BYTES = 256 * 1024
CACHE_BYTES = 32 * 1024 * 1024
DELIMITERS = (",", ";", "\t", "|")
#: Date formats tried on a sample of values, most specific first.
DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S.%fZ",
    "%Y%m%d",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d %b %Y",
)
_DAY_FIRST = {"%d/%m/%Y": "%m/%d/%Y", "%d/%m/%Y %H:%M": "%m/%d/%Y %H:%M"}
MISSING = ("", "-", "--", "(not set)", "n/a", "N/A")


def duckdb_module() -> duckdb.DuckDBPyConnection:
    """The DuckDB connection of the run in progress (see `kpiengine.runcache`)."""
    return active().duckdb


@dataclass
class Sniffed:
    """What the start of a file says about how to read it."""

    path: Path
    encoding: str  # the DuckDB name: utf-8 | utf-16 | latin-1
    python_encoding: str
    delimiter: str
    skip: int  # lines before the header
    columns: list[str]
    sample: list[list[str]] = field(default_factory=list)
    kind: str = "csv"  # csv | parquet | json
    preamble: list[str] = field(default_factory=list)  # lines before the header

    def location(self, line: int = 0, column: str | None = None) -> Location:
        """file:line:column for a line of the file (1-based) and a column name."""
        col = 0
        if column is not None and line:
            col = self._char_column(line, column)
        return Location(str(self.path), line, col)

    def _char_column(self, line: int, column: str) -> int:
        index = self.columns.index(column) if column in self.columns else 0
        with self.path.open(encoding=self.python_encoding, newline="") as handle:
            for number, text in enumerate(handle, start=1):
                if number == line:
                    return field_start(text, index, self.delimiter)
        return 1

    def relation(self) -> str:
        """SQL for this file's rows, every column as text.

        A file under CACHE_BYTES is read once per process into an in-memory table that later
        queries share; a larger one is streamed from disk by each query.
        """
        reader = self._reader()
        try:
            stat = self.path.stat()
        except OSError:
            return reader
        if stat.st_size > CACHE_BYTES:
            return reader
        cache = active()
        key = (str(self.path), stat.st_mtime_ns, stat.st_size, reader)
        name = cache.file_tables.get(key)
        if name is None:
            name = f"__file_{len(cache.file_tables)}"
            cache.duckdb.sql(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {reader}")
            cache.file_tables[key] = name
        return name

    def _reader(self) -> str:
        if self.kind != "csv":
            reader = "read_parquet" if self.kind == "parquet" else "read_json_auto"
            return f"(SELECT COLUMNS(*)::VARCHAR FROM {reader}({quote_text(str(self.path))}))"
        return (
            f"read_csv({quote_text(str(self.path))}, all_varchar=true, header=true, "
            f"delim={quote_text(self.delimiter)}, skip={self.skip}, encoding="
            f"{quote_text(self.encoding)}, quote='\"', null_padding=true)"
        )


def _encoding(raw: bytes) -> tuple[str, str]:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "utf-16"
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8", "utf-8-sig"
    try:
        raw.decode("utf-8")
        return "utf-8", "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(raw) - 4:  # a multi-byte character cut by the sample's end
            return "utf-8", "utf-8"
        return "latin-1", "cp1252"


def _sniff_typed(path: Path, kind: str) -> Sniffed:
    """Parquet and JSON lines: DuckDB knows the columns; a sample is read for detection."""
    duck = duckdb_module()
    probe = Sniffed(path, "utf-8", "utf-8", ",", 0, [], kind=kind)
    try:
        relation = duck.sql(f"SELECT * FROM {probe.relation()} LIMIT 200")
        probe.columns = list(relation.columns)
        probe.sample = [["" if v is None else str(v) for v in row] for row in relation.fetchall()]
    except duckdb_error() as exc:
        raise KpiError(
            f"cannot read the file: {str(exc).splitlines()[0]}", Location(str(path))
        ) from None
    return probe


def sniff(path: Path, delimiter: str | None = None, skip: int | None = None) -> Sniffed:
    """Encoding (BOM, UTF-8, else Windows-1252), delimiter, and the header line of a file."""
    suffix = path.suffix.lower()
    if suffix == ".parquet" or suffix in (".jsonl", ".ndjson"):
        if not path.is_file():
            raise KpiError("file not found", Location(str(path)))
        return _sniff_typed(path, "parquet" if suffix == ".parquet" else "json")
    try:
        with path.open("rb") as handle:
            raw = handle.read(SAMPLE_BYTES)
    except FileNotFoundError:
        raise KpiError("file not found", Location(str(path))) from None
    except OSError as exc:
        raise KpiError(f"cannot read the file: {exc}", Location(str(path))) from None
    encoding, python_encoding = _encoding(raw)
    text = raw.decode(python_encoding, errors="ignore")
    lines = text.splitlines()
    if len(raw) == SAMPLE_BYTES and lines:
        lines = lines[:-1]  # the last line may be cut
    if not any(line.strip() for line in lines):
        raise KpiError("the file is empty", Location(str(path), 1, 1))
    if delimiter is None:
        delimiter = _delimiter(lines)
    if skip is None:
        skip = _header_line(lines, delimiter)
    import csv  # noqa: PLC0415

    rows = list(csv.reader(lines[skip : skip + 200], delimiter=delimiter))
    if not rows:
        raise KpiError("no header row found", Location(str(path), skip + 1, 1))
    columns = [c.strip() for c in rows[0]]
    return Sniffed(
        path, encoding, python_encoding, delimiter, skip, columns, rows[1:], preamble=lines[:skip]
    )


def _delimiter(lines: list[str]) -> str:
    body = [line for line in lines[:50] if line.strip() and not line.startswith("#")]
    scores = {}
    for candidate in DELIMITERS:
        counts = Counter(line.count(candidate) for line in body)
        common, frequency = counts.most_common(1)[0] if counts else (0, 0)
        scores[candidate] = (frequency if common else 0, common)
    return max(scores, key=lambda d: scores[d])


def field_start(line: str, index: int, delimiter: str) -> int:
    """1-based character column where field `index` starts, quotes taken into account."""
    quoted = False
    field = 0
    for position, char in enumerate(line):
        if field == index:
            return position + 1
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            field += 1
    return len(line) + 1 if field == index else 1


def _width(line: str, delimiter: str) -> int:
    """Number of delimiters outside quotes (-1 for a blank line)."""
    if not line.strip():
        return -1
    quoted, count = False, 0
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            count += 1
    return count


def _header_line(lines: list[str], delimiter: str) -> int:
    """Skip comment lines and report titles: the header is the first line as wide as the body."""
    widths = [_width(line, delimiter) for line in lines[:200]]
    body = Counter(w for w in widths if w > 0)
    if not body:
        return next(i for i, line in enumerate(lines) if line.strip())
    width = body.most_common(1)[0][0]
    for index, line in enumerate(lines):
        if widths[index] == width and not line.lstrip().startswith("#"):
            return index
    return 0


def require_column(sniffed: Sniffed, column: str, what: str = "column") -> str:
    """The column's name as in the file; a clear error (with the closest match) otherwise."""
    if column in sniffed.columns:
        return column
    lowered = {c.lower(): c for c in sniffed.columns}
    if column.lower() in lowered:
        return lowered[column.lower()]
    close = did_you_mean(column, sniffed.columns)
    hint = f"; did you mean `{close}`?" if close else ""
    raise KpiError(
        f"no {what} `{column}`{hint} (columns: {', '.join(sniffed.columns)})",
        Location(str(sniffed.path), sniffed.skip + 1, 1),
    )


# --- values ----------------------------------------------------------------------------------


def guess_decimal(values: list[str]) -> str:
    """',' when the sample's numbers use a decimal comma (`1.234,50`, `12,5`), else '.'."""
    comma = dot = 0
    for value in values:
        text = re.sub(r"[^0-9.,]", "", value)
        if re.search(r",\d{1,2}$", text) or re.search(r"\.\d{3},", text):
            comma += 1
        elif re.search(r"\.\d{1,2}$", text) or re.search(r",\d{3}\.", text):
            dot += 1
        elif re.search(r"\.\d{3}$", text) and text.count(".") > 1:
            comma += 1
    return "," if comma > dot else "."


_MISSING_SQL = ", ".join(quote_text(m) for m in MISSING)


def number_sql(column: str, decimal: str = ".") -> str:
    """SQL turning spreadsheet text into a DOUBLE: `$1,234`, `1 234,50`, `45.6%`, `(1,200)`."""
    c = f"trim({quote_ident(column)})"
    digits = f"regexp_replace({c}, '[^0-9.,]', '', 'g')"
    if decimal == ",":
        digits = f"replace(replace({digits}, '.', ''), ',', '.')"
    else:
        digits = f"replace({digits}, ',', '')"
    sign = f"(CASE WHEN {c} LIKE '(%)' OR {c} LIKE '-%' OR {c} LIKE '%-' THEN -1 ELSE 1 END)"
    percent = f"(CASE WHEN {c} LIKE '%\\%%' ESCAPE '\\' THEN 0.01 ELSE 1 END)"
    return (
        f"(CASE WHEN {c} IS NULL OR {c} IN ({_MISSING_SQL}) THEN NULL "
        f"ELSE {sign} * TRY_CAST({digits} AS DOUBLE) * {percent} END)"
    )


def bad_number_sql(column: str, decimal: str = ".") -> str:
    """SQL true where the text is present but is not a number."""
    c = f"trim({quote_ident(column)})"
    return (
        f"({c} IS NOT NULL AND {c} NOT IN ({_MISSING_SQL}) AND "
        f"(regexp_matches({c}, '[A-Za-z]{{4,}}') OR {number_sql(column, decimal)} IS NULL))"
    )


def quick_number_sql(column: str, decimal: str = ".") -> str:
    """`number_sql`, the same values, faster on a large file: a plain number (`1234`, `-12.50`,
    `1,234.50`: most cells of an export) is cast at once, only the other cells take the regexps;
    and no `IN` list, which DuckDB turns into a join computed on every row."""
    raw = quote_ident(column)
    text = (
        f"replace({raw}, ',', '')"
        if decimal == "."
        else f"replace(replace({raw}, '.', ''), ',', '.')"
    )
    return (
        f"(CASE WHEN {_plain_sql(raw, decimal)} THEN CAST({text} AS DOUBLE) "
        f"ELSE {_parsed_sql(column, decimal)} END)"
    )


def quick_bad_number_sql(column: str, decimal: str = ".") -> str:
    """`bad_number_sql`, the same answers, faster on a large file: a plain number is never bad,
    only the other cells take the regexps (and no `IN`)."""
    c = f"trim({quote_ident(column)})"
    bad = (
        f"{c} IS NOT NULL AND NOT {_missing_sql(c)} AND "
        f"(regexp_matches({c}, '[A-Za-z]{{4,}}') OR {_parsed_sql(column, decimal)} IS NULL)"
    )
    return f"(CASE WHEN {_plain_sql(quote_ident(column), decimal)} THEN FALSE ELSE ({bad}) END)"


def _plain_sql(raw: str, decimal: str) -> str:
    """SQL true on digits, grouped by thousands or not, with decimals or not: `-1,234.5`."""
    group = "," if decimal == "." else "\\."
    mark = "\\." if decimal == "." else ","
    return f"regexp_full_match({raw}, '-?([0-9]+|[0-9]{{1,3}}({group}[0-9]{{3}})+)({mark}[0-9]+)?')"


def _missing_sql(text: str) -> str:
    # not `IN` nor `list_contains`, which DuckDB rewrites as `IN` (6 values: a join)
    return f"list_position([{', '.join(quote_text(m) for m in MISSING)}], {text}) IS NOT NULL"


def _parsed_sql(column: str, decimal: str) -> str:
    """`number_sql` without its `IN` list (the same truth: NULL is tested first)."""
    c = f"trim({quote_ident(column)})"
    digits = f"regexp_replace({c}, '[^0-9.,]', '', 'g')"
    if decimal == ",":
        digits = f"replace(replace({digits}, '.', ''), ',', '.')"
    else:
        digits = f"replace({digits}, ',', '')"
    sign = f"(CASE WHEN {c} LIKE '(%)' OR {c} LIKE '-%' OR {c} LIKE '%-' THEN -1 ELSE 1 END)"
    percent = f"(CASE WHEN {c} LIKE '%\\%%' ESCAPE '\\' THEN 0.01 ELSE 1 END)"
    return (
        f"(CASE WHEN {c} IS NULL OR {_missing_sql(c)} THEN NULL "
        f"ELSE {sign} * TRY_CAST({digits} AS DOUBLE) * {percent} END)"
    )


def guess_date_format(sniffed: Sniffed, column: str, explicit: str | None = None) -> str:
    """The strptime format of a date column, from a sample; ambiguous day/month is an error."""
    if explicit:
        return explicit
    index = sniffed.columns.index(column)
    values = [
        row[index].strip() for row in sniffed.sample if index < len(row) and row[index].strip()
    ]
    scores = {fmt: sum(_fits(v, fmt) for v in values) for fmt in DATE_FORMATS}
    best = max(scores.values(), default=0)
    # the format most values fit; the rows it does not fit are reported with their line later
    fitting = [fmt for fmt in DATE_FORMATS if best and scores[fmt] == best]
    if not fitting:
        example = values[0] if values else ""
        raise KpiError(
            f"cannot read the dates in column `{column}` (e.g. `{example}`)",
            sniffed.location(sniffed.skip + 2, column),
            "set the source option `date_format`, e.g. `date_format: '%d/%m/%Y'`",
        )
    chosen = fitting[0]
    if _DAY_FIRST.get(chosen) in fitting:
        raise KpiError(
            f"the dates in column `{column}` could be day/month or month/day (e.g. `{values[0]}`)",
            sniffed.location(sniffed.skip + 2, column),
            "set the source option `date_format: '%d/%m/%Y'` or `date_format: '%m/%d/%Y'`",
        )
    return chosen


def _fits(value: str, fmt: str) -> bool:
    try:
        dt.datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def date_range_sql(day: str, start: dt.date | None, end: dt.date | None) -> str:
    """SQL keeping the rows within the dates an evaluation needs (TRUE when unbounded)."""
    parts = []
    if start is not None:
        parts.append(f"{day} >= DATE '{start.isoformat()}'")
    if end is not None:
        parts.append(f"{day} <= DATE '{end.isoformat()}'")
    return " AND ".join(parts) or "TRUE"


def date_sql(column: str, fmt: str) -> str:
    """SQL turning the date column's text into a DATE (NULL when it does not fit `fmt`)."""
    return f"CAST(try_strptime(trim({quote_ident(column)}), {quote_text(fmt)}) AS DATE)"


# --- queries ------------------------------------------------------------------------------------


@dataclass
class Query:
    """A file (or several with one layout) and what to aggregate from it."""

    files: list[Sniffed]
    day: str  # SQL for the row's date
    dimensions: dict[str, str]  # workspace dimension -> SQL expression
    measures: dict[str, Measure]
    where: str = "TRUE"
    calendar: Calendar = DEFAULT


def aggregate(query: Query, grain: str, requested: list[str], location: Location) -> Frame:
    """Run the aggregation query over the files (see `kpiengine.sqlgen`) and return its table."""
    duck = duckdb_module()
    rows = " UNION ALL BY NAME ".join(f"SELECT * FROM {f.relation()}" for f in query.files)
    spec = AggregateSpec(
        f"({rows}) AS file_rows", query.day, query.dimensions, query.measures, query.where
    )
    try:
        sql = aggregation_sql(spec, grain, requested, query.calendar)
        result = duck.sql(sql).fetchnumpy()
    except duckdb_error() as exc:
        raise KpiError(f"cannot read the data: {str(exc).splitlines()[0]}", location) from None
    return Frame(
        np.asarray(result["__period"], dtype="datetime64[D]"),
        {d: np.asarray(result[d], dtype=object).astype(str) for d in requested},
        {n: _floats(result[n]) for n in query.measures},
        source=", ".join(str(f.path) for f in query.files),
        span=span_of(_dates(result["__first"]), _dates(result["__last"])),
        grain=grain,
    )


def _dates(column: np.ndarray) -> np.ndarray:
    if isinstance(column, np.ma.MaskedArray):
        return np.ma.filled(column.astype("datetime64[D]"), np.datetime64("NaT"))
    return np.asarray(column, dtype="datetime64[D]")


def aggregate_together(
    queries: list[Query],
    grain: str,
    requested: list[str],
    location: Location,
    shared: dict[str, str] | None = None,
) -> Frame:
    """Several queries over the same files and dimensions (one per date column, say) in one
    scan: each row is read once and becomes one row per query, with that query's day, `where`
    and measures (the other queries' measures NULL), which one GROUP BY aggregates.

    The measure names must differ between the queries. `shared` are columns (name -> SQL,
    names starting with `__`) computed once per row, which the days, wheres, dimensions and
    measures may use: a CASE or a date parsing needed by several of them is evaluated once.
    The result has the rows `aggregate` would give for each query, merged: one row per period
    and segment, NaN for the variables of the queries with no row there.
    """
    files, dimensions = queries[0].files, queries[0].dimensions
    names = [n for q in queries for n in q.measures]
    if len(set(names)) < len(names) or any(q.dimensions != dimensions for q in queries):
        raise ValueError("the queries must share their dimensions and not their measure names")
    rows = " UNION ALL BY NAME ".join(f"SELECT * FROM {f.relation()}" for f in files)
    extra = "".join(f", {sql} AS {quote_ident(name)}" for name, sql in (shared or {}).items())
    dims = {d: f"__dim{i}" for i, d in enumerate(dimensions)}
    measure_of = {n: f"__m{i}" for i, n in enumerate(names)}
    query_of = {n: g for g, q in enumerate(queries) for n in q.measures}
    selects = [f"{expr} AS {dims[d]}" for d, expr in dimensions.items()]
    for g, query in enumerate(queries):
        selects += [f"{query.day} AS __day{g}", f"{query.where} AS __where{g}"]
        selects += [f"{m.expr} AS {measure_of[n]}" for n, m in query.measures.items()]
    # the unnest (one row per query, streamed) also keeps DuckDB from pushing the wheres down
    # below the shared columns, which would compute those twice
    cases = [
        f"CASE __query {' '.join(f'WHEN {g} THEN __{c}{g}' for g in range(len(queries)))} "
        f"END AS __{c}"
        for c in ("day", "where")
    ]
    cases += [
        f"CASE WHEN __query = {query_of[n]} THEN {m} END AS {m}" for n, m in measure_of.items()
    ]
    inner = f"SELECT {', '.join(selects)} FROM (SELECT *{extra} FROM ({rows}))"  # once a row
    relation = (
        f"(SELECT {', '.join([*dims.values(), *cases])} FROM (SELECT unnest(range("
        f"{len(queries)})) AS __query, * FROM ({inner}))) AS file_rows"
    )
    measures = {
        n: Measure(measure_of[n], m.aggregate) for q in queries for n, m in q.measures.items()
    }
    spec = AggregateSpec(relation, "__day", dims, measures, "__where")
    duck = duckdb_module()
    try:
        sql = aggregation_sql(spec, grain, requested, queries[0].calendar)
        result = duck.sql(sql).fetchnumpy()
    except duckdb_error() as exc:
        raise KpiError(f"cannot read the data: {str(exc).splitlines()[0]}", location) from None
    return Frame(
        np.asarray(result["__period"], dtype="datetime64[D]"),
        {d: np.asarray(result[d], dtype=object).astype(str) for d in requested},
        {n: _floats(result[n]) for n in names},
        source=", ".join(str(f.path) for f in files),
        span=span_of(_dates(result["__first"]), _dates(result["__last"])),
        grain=grain,
    )


def scan(
    sniffed: Sniffed,
    aggregates: dict[str, str],
    shared: dict[str, str] | None = None,
    by: str | None = None,
) -> list[dict[str, Any]]:
    """Many aggregates of one file in one scan, e.g. every check of a request at once.

    `aggregates` maps names to SQL aggregates over the file's rows (`count(*) FILTER (WHERE
    bad)`, `min(x)`, `list(x) FILTER (WHERE rare)`, ...); `shared` are columns (name -> SQL,
    names starting with `__`) computed once per row for them to use. `by` is the SQL of a
    grouping key of small cardinality: a result per group (its key as `__by`); without it, one.
    The rows are streamed, never held, but two things cost: `__row` (the row's number, 1 the
    first after the header, its line `sniffed.skip + 1 + __row`) reads the file in order, on one
    thread, so it suits the error path; a DISTINCT aggregate or `histogram` makes DuckDB hold
    every row to feed it apart from the others.
    """
    extra = "".join(f", {sql} AS {quote_ident(name)}" for name, sql in (shared or {}).items())
    numbered = "__row" in " ".join([*aggregates.values(), *(shared or {}).values()])
    rows = f"SELECT {'row_number() OVER () AS __row, ' if numbered else ''}* FROM "
    rows += sniffed.relation()
    columns = [f"{sql} AS {quote_ident(name)}" for name, sql in aggregates.items()]
    if by is not None:
        columns.insert(0, f"{by} AS __by")
    sql = f"SELECT {', '.join(columns)} FROM (SELECT *{extra} FROM ({rows}))"
    if by is not None:
        sql += " GROUP BY __by"
    duck = duckdb_module()
    try:
        relation = duck.sql(sql)
        names = relation.columns
        return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]
    except duckdb_error() as exc:
        raise KpiError(
            f"cannot read the data: {str(exc).splitlines()[0]}", Location(str(sniffed.path))
        ) from None


def _floats(column: np.ndarray) -> np.ndarray:
    if isinstance(column, np.ma.MaskedArray):
        return np.ma.filled(column.astype(float), np.nan)
    return np.asarray(column, dtype=float)


def first_bad_rows(files: list[Sniffed], checks: dict[str, str]) -> dict[str, tuple[Sniffed, int]]:
    """For each check (name -> SQL condition) that fails, its first (file, line): one scan per
    file for all the checks."""
    duck = duckdb_module()
    found: dict[str, tuple[Sniffed, int]] = {}
    names = list(checks)
    for sniffed in files:
        todo = [n for n in names if n not in found]
        if not todo:
            break
        cols = ", ".join(f"min(__row) FILTER (WHERE {checks[n]})" for n in todo)
        sql = (
            f"SELECT {cols} FROM (SELECT row_number() OVER () AS __row, * "
            f"FROM {sniffed.relation()})"
        )
        rows = duck.sql(sql).fetchall()[0]
        for name, row in zip(todo, rows, strict=True):
            if row is not None:
                found[name] = (sniffed, sniffed.skip + 1 + int(row))
    return found


def first_bad_value(
    files: list[Sniffed], column: str, condition: str
) -> tuple[Sniffed, int, str] | None:
    """The first row (file, line, text) where `condition` holds, for an error message."""
    duck = duckdb_module()
    for sniffed in files:
        sql = (
            f"SELECT __row, {quote_ident(column)} FROM (SELECT row_number() OVER () AS __row, * "
            f"FROM {sniffed.relation()}) WHERE {condition} ORDER BY __row LIMIT 1"
        )
        found = duck.sql(sql).fetchall()
        if found:
            return sniffed, sniffed.skip + 1 + int(found[0][0]), str(found[0][1])
    return None
