"""Files as tables DuckDB reads: delimited files as `sniff` finds them, Parquet, JSON lines.
The module is longer than most: a table's SQL and its error paths (a bad cell's place, a file
read again in the encoding of its every byte) share the table's reading, kept in one place.

`open_tables(path, name)` gives a file's tables (a GA export may hold several), each a
`FileTable`: its columns, the DuckDB type each is read as, a sample of its data rows as text,
its totals rows, the SQL of its rows (`relation`, `keep_sql`) and where a cell is in the file.

A delimited file is read by DuckDB as it is when it can be: a copy is written (UTF-8, the same
lines) only for encodings DuckDB cannot read (UTF-16 big-endian, Windows-1252 with `€` or curly
quotes) and for a table followed by another one in the same file (the copy stops before it).
When DuckDB finds bytes its first ones did not announce (`é` in an ASCII start), the encoding is
decided from every byte and the query run again (`_reencode`; a scan's: `reencoded`); a query
not run again names the first such byte and the encoding to set (`_unreadable`).
Columns are text unless a connector asks for a type its sample supports (`typed`): numbers and
ISO dates that DuckDB then parses itself, never cast to text. A small file is read once per run
into a temporary table shared by the run's queries.

A file larger than its sample tells its decimal mark by its marked cells (`marked_cells`: one
query, distinct cells of every shape) when the sample's cells cannot (`filesource.decimal_of`).

The error path, `first_cell`, finds the first data row whose cell fails a check, and its
`file:line:column`: DuckDB gives the cell's text, Python's `csv` module the line it is on.
"""

from __future__ import annotations

import atexit
import dataclasses
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kpiengine.errors import KpiError, Location
from kpiengine.runcache import active, duckdb_error

from .encodings import file_encoding, not_as_told, read_text
from .rows import is_total_label, read_records, split_lines, total_label_sql
from .sniff import EXTRA, Sniffed, TotalRow, sniff
from .sql import Expr, quote_ident, quote_text
from .typedfiles import json_error, json_shape, retyped, typed_table

__all__ = ["CACHE_BYTES", "FileTable", "open_tables", "reencoded", "run_sql"]

#: Files up to this size are read once per run into a temporary table.
CACHE_BYTES = 32 * 1024 * 1024
TYPED = {".parquet": "parquet", ".jsonl": "json", ".ndjson": "json"}
SAMPLE_ROWS = 2000
#: At most this many distinct cells with a mark are read from a whole file (`marked_cells`).
MARKED_CELLS = 1000
_MARK = "[.,\uff0c\uff0e]"  # a decimal or grouping mark, as `decimals.guess_decimal` finds it
_PLAIN_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]{1,3})?")
_ISO_DAY = re.compile(
    r"[12][0-9]{3}-[01][0-9]-[0-3][0-9](?:[ T](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?)?"
)
_COPIES: list[Path] = []
_SERIAL = "does not support null_padding in conjunction with quoted new lines"  # DuckDB's
#: DuckDB's words for bytes its `encoding` does not read.
_NOT_ENCODED = re.compile(r"not (utf-8|latin-1|utf-16) encoded|invalid unicode", re.IGNORECASE)
#: JSON types read as DuckDB types them; any other is read as text (see `FileTable.reader`).
_JSON_PLAIN = frozenset(["VARCHAR", "BIGINT", "DOUBLE", "UBIGINT", "HUGEINT", "DATE", "TIMESTAMP"])


@dataclass
class FileTable:
    """One table of a file: what DuckDB reads and where its cells are."""

    name: str  # the file as messages name it
    path: Path  # the file DuckDB reads (a UTF-8 copy, or the file itself)
    kind: str  # csv | parquet | json
    columns: list[str]
    types: dict[str, str] = field(default_factory=dict)  # column -> DuckDB type (default text)
    sniffed: Sniffed | None = None
    sample: list[list[str]] = field(default_factory=list)  # data rows, cells as text
    native: dict[str, str] = field(default_factory=dict)  # typed files: the file's own types
    as_text: frozenset[str] = frozenset()  # JSON columns read as written (see `reader`)
    empty_total: bool = False  # a row with an empty first field totals the others (UA)
    # `marked_cells` by columns, read once (shared by the table's typed copies)
    marked: dict[tuple[str, ...], list[tuple[str, str]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def totals(self) -> list[TotalRow]:
        return self.sniffed.totals if self.sniffed else []

    @property
    def header_line(self) -> int:
        return self.sniffed.header_line if self.sniffed else 1

    def type_of(self, column: str) -> str:
        if column in self.types or column in self.native:
            return self.types.get(column) or self.native[column]
        folded = {c.casefold(): t for c, t in self.native.items()}  # spelt as another file
        return folded.get(column.casefold(), "VARCHAR")

    def cells(self, column: str, limit: int | None = None) -> list[str]:
        """The sampled data rows' cells of a column (text; '' for a missing one)."""
        index = self.columns.index(column)
        out = [row[index] if index < len(row) else "" for row in self.sample]
        return out[:limit] if limit else out

    @property
    def complete(self) -> bool:
        """Whether the sample holds every data row (the file is no larger than its sniff)."""
        if self.sniffed is None:
            return len(self.sample) < SAMPLE_ROWS
        return self.sniffed.whole and len(self.sniffed.sample) <= SAMPLE_ROWS

    def marked_cells(self, columns: list[str]) -> list[tuple[str, str]]:
        """(column, text) of the distinct cells of text columns holding a mark (`.`, `,` or
        their full-width forms) in every data row, not only the sample's: one query, at most
        `MARKED_CELLS`, taken in turns from each column's shapes (digits as `9`, runs of more
        than four as four, a lone `0` before a mark and only zeros after one flagged), so a
        shape one row in a million has is among them; within a shape, cells spread over their
        values (by hash). Read once per table and columns."""
        key = tuple(columns)
        if key not in self.marked:
            self.marked[key] = self._marked(columns) if columns else []
        return self.marked[key]

    def _marked(self, columns: list[str]) -> list[tuple[str, str]]:
        text = self.typed(dict.fromkeys(columns, "VARCHAR")) if self.kind == "csv" else self
        indexes = ", ".join(str(i) for i in range(len(columns)))
        cells = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR)" for c in columns)
        digits = "regexp_replace(regexp_replace(v, '[0-9]', '9', 'g'), '9{5,}', '9999', 'g')"
        zero = f"CASE WHEN regexp_matches(v, '(^|[^0-9])0{_MARK}') THEN ' 0.' ELSE '' END"
        zeros = f"CASE WHEN regexp_matches(v, '{_MARK}0+([^0-9]|$)') THEN ' .0' ELSE '' END"
        shape = f"{digits} || {zero} || {zeros}"
        sql = (
            f"SELECT i, v FROM (SELECT i, v, {shape} AS shape, row_number() OVER "
            f"(PARTITION BY i, {shape} ORDER BY hash(v), v) AS n FROM (SELECT DISTINCT i, v "
            f"FROM (SELECT UNNEST([{indexes}]) AS i, UNNEST([{cells}]) AS v "
            f"FROM {text.reader()} WHERE {text.keep_sql()}) WHERE regexp_matches(v, '{_MARK}'))) "
            f"ORDER BY n, i, shape LIMIT {MARKED_CELLS}"
        )
        return [(columns[i], str(v)) for i, v in run_sql(sql, self)]

    def typed(self, types: dict[str, str]) -> FileTable:
        """This table read with `types` for some columns (a delimited file's text otherwise)."""
        return dataclasses.replace(self, types={**self.types, **types})

    def suits(self, column: str, type_: str) -> bool:
        """Whether DuckDB can read a delimited file's column as `type_` (DOUBLE or TIMESTAMP),
        judged on the sample and the totals rows: plain numbers (`-12.5`, `1e3`) or ISO days
        with or without a time (`2024-02-20 17:31`)."""
        if self.kind != "csv" or column not in self.columns:
            return False
        index = self.columns.index(column)
        pattern = _PLAIN_NUMBER if type_ == "DOUBLE" else _ISO_DAY
        cells = self.cells(column) + [
            t.cells[index] if index < len(t.cells) else "" for t in self.totals
        ]
        filled = [c for c in cells if c != ""]
        return bool(filled) and all(pattern.fullmatch(c) for c in filled)

    # --- SQL ----------------------------------------------------------------------------------

    def reader(self) -> str:
        """DuckDB's reading of the file (every column, typed as `types` says)."""
        if self.kind == "csv":
            assert self.sniffed is not None  # a delimited file is sniffed
            return self.sniffed.read_csv_sql({c: t for c, t in self.types.items()})
        if self.kind == "parquet":
            return f"read_parquet({quote_text(str(self.path))})"
        if not self.as_text:
            return f"read_json_auto({quote_text(str(self.path))})"
        # cells of mixed types (`1234.5` and `"1,000.50"`), booleans, timestamps with an offset
        # (DuckDB would move `23:30-05:00` to the next UTC day): read as written, as text
        columns = ", ".join(f"{quote_text(c)}: {quote_text(t)}" for c, t in self.native.items())
        return f"read_json({quote_text(str(self.path))}, columns = {{{columns}}})"

    def relation(self) -> str:
        """SQL for the file's rows: a run's temporary table for a small file."""
        reader = self.reader()
        try:
            stat = self.path.stat()
        except OSError:
            return reader
        if stat.st_size > CACHE_BYTES:
            return reader
        cache = active()
        key = (str(self.path), stat.st_mtime_ns, stat.st_size, reader)
        table = cache.file_tables.get(key)
        if table is None:
            table = f"__file_{len(cache.file_tables)}"
            # DuckDB's error is the caller's: a typed column it cannot convert is read again
            try:
                cache.duckdb.sql(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {reader}")
            except duckdb_error() as exc:
                if _reencode(self, exc) is None:
                    raise
                return self.relation()  # read in the encoding of its every byte
            cache.file_tables[key] = table
        return table

    def keep_sql(self) -> str:
        """SQL true on data rows (not totals rows). Totals rows are where exports write them, at
        the start or the end: when `sniff` found none there, no row is tested."""
        if self.sniffed is None or not (self.sniffed.totals or self.empty_total):
            return "TRUE"
        first = quote_ident(self.columns[0])
        if self.type_of(self.columns[0]) != "VARCHAR":
            first = f"CAST({first} AS VARCHAR)"
        parts = [total_label_sql(Expr(first))]
        if self.sniffed.beyond:
            parts.append(f"{quote_ident(EXTRA)} IS NOT NULL")
        if self.empty_total:
            parts.append(f"coalesce(trim({first}), '') = ''")
        return f"NOT ({' OR '.join(parts)})"

    # --- places ---------------------------------------------------------------------------------

    def location(self, line: int, column: str | None = None) -> Location:
        """`file:line:column` of a column's cell on a line (a row number for typed files)."""
        if self.sniffed is None:
            return Location(self.name, line, 1) if self.kind == "json" else Location(self.name)
        index = self.columns.index(column) if column in self.columns else None
        return self.sniffed.location(line, index)

    def header(self, column: str | None = None) -> Location:
        """Where a column's name is in the header (the header line for None)."""
        return self.location(self.header_line, column)

    def first_cell(
        self, column: str, bad: str, check: Callable[[str], bool], also: tuple[str, ...] = ()
    ) -> tuple[Location, str] | None:
        """The first data row whose `column` cell is bad: its place and text. `bad` is SQL on
        the columns read as text, `check(text)` its Python twin (the same grammar); the cells
        of the columns `also` must then hold the texts DuckDB found (a test of several)."""
        columns = [column, *also]
        text_table = self.typed(dict.fromkeys([*self.types, *columns], "VARCHAR"))  # as written
        cols = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR)" for c in columns)
        if self.sniffed is None:  # Parquet, JSON lines: DuckDB numbers the rows
            # their typed columns as text, as `bad` reads them (an infinite float is `inf`)
            as_text = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}"
                                for c in dict.fromkeys(columns))  # fmt: skip
            sql = (
                f"SELECT __row, {cols} FROM (SELECT row_number() OVER () AS __row, * REPLACE "
                f"({as_text}) FROM {text_table.reader()}) WHERE {bad} ORDER BY __row LIMIT 1"
            )
            found = run_sql(sql, self)
            if not found:
                return None
            row, text = found[0][0], found[0][1]
            return self.location(int(row), column), "" if text is None else str(text)
        sql = f"SELECT {cols} FROM {text_table.reader()} WHERE {text_table.keep_sql()} AND {bad} "
        sql += "LIMIT 1"
        found = run_sql(sql, self)
        if not found:
            return None
        texts = ["" if v is None else str(v) for v in found[0]]
        index = [self.columns.index(c) for c in columns]

        def same(fields: list[str]) -> bool:
            return all(
                i < len(fields) and fields[i] == t for i, t in zip(index, texts, strict=True)
            )

        line = self._line_of(same) or (None if also else self._line_of(_cell(index[0], check)))
        if line is None:
            return Location(self.name), texts[0]
        return self.location(line, column), texts[0]

    def _line_of(self, match: Callable[[list[str]], bool]) -> int | None:
        """The line of the first data record whose fields match: not a totals row `keep_sql`
        leaves out (one past the sample, when the sample holds none, is a row the query read)."""
        sniffed = self.sniffed
        assert sniffed is not None
        totals = {t.line for t in sniffed.totals}
        labelled = bool(sniffed.totals)  # `keep_sql` leaves out every labelled row, else none
        with sniffed.path.open(encoding=sniffed.encoding, errors="replace", newline="") as f:
            for record in read_records(f, sniffed.delimiter, self.name, text_of=sniffed.line_text):
                if record.line <= sniffed.header_line or record.line in totals or record.blank:
                    continue
                fields = record.fields
                if labelled and fields and is_total_label(fields[0]):
                    continue
                if match(fields):
                    return record.line
        return None


def _cell(index: int, check: Callable[[str], bool]) -> Callable[[list[str]], bool]:
    return lambda fields: index < len(fields) and check(fields[index])


def run_sql(sql: str, table: FileTable) -> list[tuple]:
    """Rows of a query on a file; DuckDB's own errors become a message about the file."""
    try:
        return active().duckdb.sql(sql).fetchall()
    except duckdb_error() as exc:
        changed = _reencode(table, exc)
        if changed is None:
            raise _unreadable(table, exc) from None
    return run_sql(sql.replace(*changed), table)  # read in the encoding of its every byte


def reencoded(tables: list[FileTable], exc: Exception) -> bool:
    """Whether DuckDB failed on bytes the first ones of a file of `tables` (one query's) did
    not announce: that file is read in the encoding of its every byte from now on."""
    named = [t for t in tables if t.sniffed is not None and str(t.sniffed.path) in str(exc)]
    return any(_reencode(t, exc) is not None for t in named or tables)


def _reencode(table: FileTable, exc: Exception) -> tuple[str, str] | None:
    """When DuckDB found bytes the file's first ones did not announce: its encoding decided
    from every byte (the table's `Sniffed` changed in place, so that its typed copies read it
    so too), and the start of its `read_csv` before and after; None for another failure or a
    told encoding (KpiError at the first byte no encoding reads)."""
    sniffed = table.sniffed
    if table.kind == "json":  # a cell past the type sample: its column read as text
        before = table.reader()
        return (before, table.reader()) if retyped(table, exc) else None
    if sniffed is not None and not sniffed.serial and _SERIAL in str(exc):
        before, sniffed.serial = sniffed.reading(), True  # quoted line breaks past the sample
        return before, sniffed.reading()
    if sniffed is None or sniffed.told or not _NOT_ENCODED.search(str(exc)):
        return None
    whole = file_encoding(sniffed.path, sniffed.name)
    if (whole.codec, whole.duckdb) == (sniffed.encoding, sniffed.duckdb_encoding):
        return None
    before = sniffed.reading()
    sniffed.encoding, sniffed.duckdb_encoding = whole.codec, whole.duckdb
    if whole.duckdb is None:  # Windows-1252 with `€`: read from a UTF-8 copy
        sniffed.path = _copy(sniffed).path
        sniffed.encoding, sniffed.duckdb_encoding = "utf-8", "utf-8"
    return before, sniffed.reading()


def _unreadable(table: FileTable, exc: Exception) -> KpiError:
    """The error of a file DuckDB cannot read: located by reading it again in Python."""
    if table.sniffed is not None:
        from .sniff import check_file  # noqa: PLC0415 - the error path only

        sniffed = table.sniffed
        if not sniffed.told and _NOT_ENCODED.search(str(exc)):  # a query not run again
            belied = not_as_told(sniffed.path, sniffed.name, sniffed.duckdb_encoding)
            if belied is not None:
                return belied
        check_file(table.sniffed)
        return KpiError(
            "cannot read the file as delimited text",
            Location(table.name),
            "export it again as CSV, or set the source's `delimiter:`",
        )
    located = json_error(table, exc)
    if located is not None:
        return located
    what = "Parquet" if table.kind == "parquet" else "JSON"
    first = str(exc).splitlines()[0] if str(exc) else ""
    detail = " (it is empty)" if "empty" in first.lower() else ""
    return KpiError(f"cannot read the file as {what}{detail}", Location(table.name))


# --- opening files ------------------------------------------------------------------------


def open_tables(
    path: Path,
    name: str,
    *,
    delimiter: str | None = None,
    header_line: int | None = None,
    encoding: str | None = None,
    empty_label_is_total: bool = False,
    every_table: bool = False,
) -> list[FileTable]:
    """The tables of a file: the first (or each one, `every_table`); see the module."""
    kind = TYPED.get(path.suffix.lower())
    if path.suffix.lower() == ".json" and path.is_file() and json_shape(path) == "json":
        kind = "json"  # JSON lines, or an array of objects (else delimited text named .json)
    if kind is not None:
        return [_typed_table(path, name, kind)]

    def read(line: int | None, empty: bool = empty_label_is_total) -> Sniffed:  # from `line` on
        return sniff(path, name=name, delimiter=delimiter, header_line=line, encoding=encoding,
                     empty_label_is_total=empty, every_table=every_table)  # fmt: skip

    first = read(header_line)
    tables = [_csv_table(first, empty_label_is_total)]
    sniffed = first
    while every_table and sniffed.next_table is not None:
        line = _next_header(sniffed)
        if line is None:
            break
        sniffed = read(line)
        sniffed.preamble = first.preamble  # the file's `#` block, not the table before
        tables.append(_csv_table(sniffed, empty_label_is_total))
    return tables


def _next_header(sniffed: Sniffed) -> int | None:
    """The header line of the table after this one: past `#` and blank lines."""
    assert sniffed.next_table is not None
    with sniffed.path.open(encoding=sniffed.encoding, errors="replace", newline="") as handle:
        for number, text in enumerate(handle, start=1):
            body = text.strip().strip('"').strip()
            if (
                number >= sniffed.next_table
                and body.strip(sniffed.delimiter + " ")
                and not (body.startswith("#"))
            ):
                return number
    return None


def _csv_table(sniffed: Sniffed, empty_total: bool) -> FileTable:
    if sniffed.duckdb_encoding is None or sniffed.next_table is not None:
        sniffed = _copy(sniffed)
    columns = sniffed.column_names()
    sample = [r.fields[: len(columns)] for r in sniffed.sample[:SAMPLE_ROWS]]
    return FileTable(
        sniffed.name, sniffed.path, "csv", columns, sniffed=sniffed, sample=sample,
        empty_total=empty_total,
    )  # fmt: skip


def _copy(sniffed: Sniffed) -> Sniffed:
    """A UTF-8 copy of the file with the same lines, cut before the next table."""
    lines = split_lines(read_text(sniffed.path, sniffed.name, sniffed.encoding, sniffed.told))
    if sniffed.next_table is not None:
        lines = lines[: sniffed.next_table - 1]
        blank = re.compile(f'[\\s"{re.escape(sniffed.delimiter)}]*')
        while lines and blank.fullmatch(lines[-1]):
            lines.pop()  # the gap before the next table: not rows
    if not _COPIES:
        _COPIES.append(Path(tempfile.mkdtemp(prefix="kpiengine-")))
        atexit.register(shutil.rmtree, _COPIES[0], True)
    target = _COPIES[0] / f"{len(list(_COPIES[0].iterdir()))}.csv"
    target.write_text("".join(lines), encoding="utf-8", newline="")
    return dataclasses.replace(
        sniffed, path=target, encoding="utf-8", duckdb_encoding="utf-8", next_table=None
    )


def _typed_table(path: Path, name: str, kind: str) -> FileTable:
    """Parquet and JSON: DuckDB knows the columns and their types (`typedfiles`)."""
    table = FileTable(name, path, kind, [])
    rows = typed_table(table, SAMPLE_ROWS, _JSON_PLAIN, lambda exc: _unreadable(table, exc))
    table.sample = [["" if v is None else str(v) for v in row] for row in rows]
    return table
