"""How a delimited file is written: encoding, delimiter, preamble, header, totals rows.

`sniff(path)` reads the start of a file (and its end, where totals rows are) and returns a
`Sniffed` that says how to read it, with an explicit DuckDB `read_csv` call (no DuckDB sniffing:
it returns no rows at all for some real exports). What it rejects, as `file:line:column` and
what was expected: NUL-filled (sparse) or binary files, duplicate header names, rows with more
or fewer fields than the header, quotes left open. One shape is a totals row rather than a
ragged one: GA4 Explorations end with the grand total's label in one field beyond the header
(`,,,,190426,0.5589,11192,0.0495,Grand total` under 8 columns).

Encodings: UTF-8 (with or without BOM), UTF-16 with a BOM as Excel writes it (Google Ads'
"Excel" download: UTF-16 LE, tabs), else Windows-1252. The sample sizes bound the work: a 5 GB
file is sniffed from its first MiB and last 64 KiB; its middle is checked by DuckDB when read,
and `check_file` finds the place of a problem DuckDB reports.
"""

from __future__ import annotations

import codecs
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from kpiengine.errors import KpiError, Location

from .preamble import Preamble, parse_date_range, read_preamble
from .rows import (
    Record,
    check_width,
    field_columns,
    is_total_label,
    read_records,
    split_lines,
    total_label_sql,
)
from .sql import quote_ident, quote_text, shown

__all__ = ["DELIMITERS", "Sniffed", "TotalRow", "check_file", "sniff"]

DELIMITERS = (",", ";", "\t", "|")
HEAD_BYTES = 1024 * 1024
TAIL_BYTES = 64 * 1024
EXTRA = "__extra"  # the column that holds a label one field beyond the header


@dataclass(frozen=True)
class TotalRow:
    """A totals row: its line, its label, its fields under the header's columns, and whether
    its label is one field beyond the header (GA4 Explorations) rather than in the first."""

    line: int
    label: str
    cells: list[str]
    beyond: bool = False


@dataclass
class Sniffed:
    """What a file's bytes say about how to read it."""

    path: Path
    name: str  # the file as messages name it
    encoding: str  # Python's codec: utf-8, utf-8-sig, utf-16, cp1252
    duckdb_encoding: str | None  # DuckDB's (utf-8, utf-16, latin-1); None: transcode first
    newline: str
    delimiter: str
    header_line: int  # 1-based
    columns: list[str]
    preamble: Preamble
    totals: list[TotalRow] = field(default_factory=list)
    sample: list[Record] = field(default_factory=list)  # data rows from the start of the file
    whole: bool = True  # the sample is the whole file
    header_text: str = ""
    next_table: int | None = None  # the line where another table starts (GA's reports)

    @property
    def skip(self) -> int:
        """Lines before the header."""
        return self.header_line - 1

    @property
    def date_range(self) -> tuple[dt.date, dt.date] | None:
        """The date range the preamble gives (for exports without a date column)."""
        return self.preamble.date_range

    @property
    def beyond(self) -> bool:
        """Whether a totals row has its label one field beyond the header."""
        return any(t.beyond for t in self.totals)

    def location(self, line: int, column: int | None = None) -> Location:
        """`file:line:column` of field `column` (0-based) on a line of the sample, or the
        line's start."""
        if column is None:
            return Location(self.name, line, 1)
        text = self.header_text if line == self.header_line else None
        for record in self.sample:
            if record.line == line:
                text = self._line_text(line)
        columns = field_columns(text or "", self.delimiter)
        return Location(self.name, line, columns[column] if column < len(columns) else 1)

    def _line_text(self, line: int) -> str:
        with self.path.open(encoding=self.encoding, errors="replace", newline="") as handle:
            for number, text in enumerate(handle, start=1):
                if number == line:
                    return text
        return ""

    def read_csv_sql(self, types: dict[str, str] | None = None) -> str:
        """A DuckDB `read_csv` of the data rows, every option explicit; columns as in
        `columns` (an empty name is `column<n>`), VARCHAR unless `types` says otherwise, and
        `__extra` holding a label beyond the header (`WHERE __extra IS NULL` drops it)."""
        if self.duckdb_encoding is None:
            raise ValueError(f"{self.name}: DuckDB cannot read {self.encoding}; transcode it")
        names = self.column_names() + ([EXTRA] if self.beyond else [])
        kinds = ", ".join(
            f"{quote_text(n)}: {quote_text((types or {}).get(n, 'VARCHAR'))}" for n in names
        )
        return (
            f"read_csv({quote_text(str(self.path))}, auto_detect=false, header=false, "
            f"skip={self.header_line}, delim={quote_text(self.delimiter)}, quote='\"', "
            f"escape='\"', encoding={quote_text(self.duckdb_encoding)}, columns={{{kinds}}}, "
            f"null_padding={'true' if self.beyond else 'false'})"
        )

    def column_names(self) -> list[str]:
        return [name or f"column{i}" for i, name in enumerate(self.columns, start=1)]

    def total_sql(self) -> str:
        """SQL true on totals rows: a totals label in the first column, or a label beyond
        the header (the `__extra` column of `read_csv_sql`)."""
        parts = [total_label_sql(self.column_names()[0])]
        if self.beyond:
            parts.append(f"{quote_ident(EXTRA)} IS NOT NULL")
        return "(" + " OR ".join(parts) + ")"


# --- bytes ----------------------------------------------------------------------------------


def _read(path: Path, name: str) -> tuple[bytes, bytes, int]:
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
            tail = b""
            if size > HEAD_BYTES:
                handle.seek(max(HEAD_BYTES, size - TAIL_BYTES))
                tail = handle.read()
    except FileNotFoundError:
        raise KpiError("file not found", Location(name)) from None
    except OSError as exc:
        raise KpiError(f"cannot read the file: {exc.strerror or exc}", Location(name)) from None
    if not head.strip(b" \t\r\n\x00"):
        raise KpiError("the file is empty", Location(name), "export the report again")
    return head, tail, size


def _position(data: bytes, index: int) -> tuple[int, int]:
    """(line, column) of a byte in undecoded data, for messages."""
    line = data.count(b"\n", 0, index) + 1
    return line, index - (data.rfind(b"\n", 0, index) + 1) + 1


def _encoding(head: bytes, name: str) -> tuple[str, str | None]:
    """(Python codec, DuckDB encoding or None) of a file from its first bytes."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "utf-8"
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16", "utf-16"
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16", None  # DuckDB reads little-endian UTF-16 only
    nul = head.find(b"\x00")
    if nul >= 0:
        line, column = _position(head, nul)
        raise KpiError(
            "the file holds NUL bytes: it is not a text export (a sparse or partly written "
            "file, or a binary one)",
            Location(name, line, column),
            "export the report again as CSV",
        )
    controls = sum(head.count(bytes([b])) for b in range(32) if b not in (9, 10, 12, 13))
    if controls > max(8, len(head) // 200):
        raise KpiError(
            "the file is binary, not delimited text",
            Location(name),
            "export the report as CSV (not XLSX, PDF or a zip)",
        )
    try:
        head.decode("utf-8")
        return "utf-8", "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
            return "utf-8", "utf-8"  # a character cut by the sample's end
    if any(0x80 <= b <= 0x9F for b in head):
        return "cp1252", None  # `€` and the quotes of Windows-1252: not in DuckDB's latin-1
    return "cp1252", "latin-1"


def _decode(data: bytes, encoding: str, at_start: bool) -> str:
    if not at_start:
        step = 2 if encoding == "utf-16" else 1
        data = data[len(data) % step :] if step == 2 else data
    codec = "utf-16-le" if encoding == "utf-16" and not at_start else encoding
    return data.decode(codec, errors="replace")


# --- layout ---------------------------------------------------------------------------------


def _delimiter(lines: list[str]) -> str:
    """The delimiter most lines split into the same number (above one) of fields by."""
    body = [line for line in lines[:200] if line.strip() and not line.lstrip().startswith("#")]
    best, best_score = ",", (0, 0)
    for candidate in DELIMITERS:
        widths: dict[int, int] = {}
        for fields in _quick_fields(body, candidate):
            width = len(fields)
            while width > 1 and not fields[width - 1].strip():
                width -= 1
            if width > 1:
                widths[width] = widths.get(width, 0) + 1
        if widths:
            width, count = max(widths.items(), key=lambda item: (item[1], item[0]))
            if (count, width) > best_score:
                best, best_score = candidate, (count, width)
    return best


def _quick_fields(lines: list[str], delimiter: str) -> list[list[str]]:
    import csv  # noqa: PLC0415

    try:
        return list(csv.reader(lines, delimiter=delimiter))
    except csv.Error:
        return []


def _header(records: list[Record]) -> int:
    """Index of the header in the first table: the first run of records between blank and `#`
    lines with records of two fields or more; in it, the first record with as many fields as
    most (a title or a date range before it has fewer, or is a date range)."""
    blocks: list[list[int]] = [[]]
    for i, record in enumerate(records):
        if record.blank or record.comment:
            blocks.append([])
        else:
            blocks[-1].append(i)
    block = next((b for b in blocks if any(records[i].width > 1 for i in b)), None)
    block = block or next((b for b in blocks if b), None)
    if block is None:
        raise KeyError("no record")
    counts: dict[int, int] = {}
    for i in block:
        counts[len(records[i].fields)] = counts.get(len(records[i].fields), 0) + 1
    common = max(counts.items(), key=lambda item: (item[1], item[0]))[0]
    for i in block:
        record = records[i]
        text = ", ".join(f for f in record.fields if f.strip())
        wide = len(record.fields) == common and record.width >= min(common, 2)
        if wide and parse_date_range(text) is None:
            return i
    return block[0]


def _duplicates(columns: list[str], header: Record, line: str, delimiter: str, name: str) -> None:
    seen: dict[str, int] = {}
    for index, column in enumerate(columns):
        key = column.casefold()
        if not key:
            continue
        if key in seen:
            first = seen[key]
            starts = field_columns(line, delimiter)
            raise KpiError(
                f"two columns are named `{shown(column)}`: columns {first + 1} and {index + 1} of "
                f"the header (DuckDB compares names without case)",
                Location(name, header.line, starts[index] if index < len(starts) else 1),
                "rename one of them in the file, or export the report with distinct columns",
            )
        seen[key] = index


def sniff(
    path: Path | str,
    *,
    name: str | None = None,
    delimiter: str | None = None,
    header_line: int | None = None,
    encoding: str | None = None,
    empty_label_is_total: bool = False,
) -> Sniffed:
    """How to read a delimited file; KpiError at `file:line:column` for what cannot be read.

    `delimiter`, `header_line` (1-based) and `encoding` (a Python codec) override what the
    bytes suggest. `empty_label_is_total`: a row with an empty first field is a totals row
    (Universal Analytics writes its totals so).
    """
    path = Path(path)
    name = name or str(path)
    head, tail, size = _read(path, name)
    python, duck = _encoding(head, name) if encoding is None else (encoding, None)
    whole = size <= HEAD_BYTES
    lines = split_lines(_decode(head, python, at_start=True))
    if not whole and len(lines) > 1:
        lines.pop()  # cut by the sample's end
    newline = next((b for b in ("\r\n", "\n", "\r") if lines and lines[0].endswith(b)), "\n")
    delimiter = delimiter or _delimiter(lines)
    records = list(read_records(lines, delimiter, name, complete=whole))
    try:
        index = _header(records) if header_line is None else _record_at(records, header_line)
    except KeyError:
        raise KpiError(
            "no header row: the file has only `#` or blank lines", Location(name, 1, 1)
        ) from None
    header = records[index]
    columns = [f.strip().lstrip("\ufeff").strip() for f in header.fields[: header.width]]
    header_text = lines[header.line - 1]
    _duplicates(columns, header, header_text, delimiter, name)
    sniffed = Sniffed(
        path,
        name,
        python,
        duck,
        newline,
        delimiter,
        header.line,
        columns,
        read_preamble(records[:index]),
        whole=whole,
        header_text=header_text,
    )
    _body(sniffed, records[index + 1 :], lines, empty_label_is_total)
    if tail:
        _tail(sniffed, tail, size, empty_label_is_total)
    return sniffed


def _record_at(records: list[Record], line: int) -> int:
    return next(i for i, r in enumerate(records) if r.line <= line <= r.end_line)


def _body(sniffed: Sniffed, records: list[Record], lines: list[str], empty: bool) -> None:
    """Sort the records after the header into data and totals rows; check their widths."""
    width = len(sniffed.columns)
    after_blank = False
    for record in records:
        if record.blank:
            after_blank = True
            continue
        if record.comment or (after_blank and len(record.fields) not in (width, width + 1)):
            sniffed.next_table = record.line  # GA writes several tables, each after a gap
            break
        total = _total(record, width, empty)
        if total is not None:
            sniffed.totals.append(total)
            continue
        check_width(
            record,
            width,
            sniffed.header_line,
            lines[record.line - 1],
            sniffed.delimiter,
            sniffed.name,
        )
        sniffed.sample.append(record)


def _total(record: Record, width: int, empty: bool) -> TotalRow | None:
    fields = record.fields
    if len(fields) == width + 1 and is_total_label(fields[width]) and fields[width].strip():
        return TotalRow(record.line, fields[width].strip(), fields[:width], beyond=True)
    first = fields[0] if fields else ""
    if first.strip() and is_total_label(first) or empty and not first.strip():
        return TotalRow(record.line, first.strip(), fields[:width])
    return None


def _tail(sniffed: Sniffed, tail: bytes, size: int, empty: bool) -> None:
    """Totals rows in the last bytes of a large file (their lines counted only if found)."""
    lines = split_lines(_decode(tail, sniffed.encoding, at_start=False))[1:]  # first: cut
    if not lines:
        return
    try:
        records = list(read_records(lines, sniffed.delimiter, sniffed.name, complete=False))
    except KpiError:
        return  # the sample may start inside a quoted field: DuckDB checks the quotes
    width = len(sniffed.columns)
    found = [(r, t) for r in records if (t := _total(r, width, empty)) is not None]
    if not found:
        return
    offset = _line_count(sniffed.path, sniffed.encoding, size) - (records[-1].end_line)
    for record, total in found:
        line = record.line + offset
        sniffed.totals.append(TotalRow(line, total.label, total.cells, total.beyond))


def _line_count(path: Path, encoding: str, size: int) -> int:
    """Lines in a file (a last line without a break counts), read in chunks."""
    breaks = 0
    last = ""
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        while chunk := handle.read(1 << 22):
            breaks += chunk.count("\n") + chunk.count("\r") - chunk.count("\r\n")
            if last == "\r" and chunk.startswith("\n"):
                breaks -= 1
            last = chunk[-1]
    return breaks + (last not in ("\n", "\r", ""))


def check_file(sniffed: Sniffed) -> None:
    """Read a whole file as `sniff` reads its start; KpiError at the first problem.

    For the error path: when DuckDB rejects a file, this names the line and column.
    """
    with sniffed.path.open(encoding=sniffed.encoding, errors="strict", newline="") as handle:
        try:
            lines = split_lines(handle.read())
        except UnicodeDecodeError as exc:
            raise KpiError(
                f"the file is not {sniffed.encoding} text (byte {exc.object[exc.start]:#04x})",
                Location(sniffed.name),
                "export the file again as UTF-8",
            ) from None
    records = read_records(lines, sniffed.delimiter, sniffed.name)
    after = [r for r in records if r.line > sniffed.header_line]
    probe = Sniffed(**{**sniffed.__dict__, "totals": [], "sample": []})
    _body(probe, after, lines, empty=False)
