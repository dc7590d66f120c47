"""How a delimited file is written: encoding, delimiter, preamble, header, totals rows (it is
longer than most: a large file's start, end and whole are read by one rule, `_body`).

`sniff(path)` reads the start of a file (and its end, where totals rows are) and returns a
`Sniffed` that says how to read it, down to an explicit DuckDB `read_csv` call (DuckDB's own
sniffer returns no rows at all for some real exports). It rejects, at `file:line:column` and
saying what was expected: NUL-filled or binary files (`encodings`), duplicate header names,
rows with more or fewer fields than the header, quotes left open (`rows`). One shape is a
totals row rather than a ragged one: GA4 Explorations end with the grand total's label one
field beyond the header (`,,,,190426,0.5589,11192,0.0495,Grand total` under 8 columns).

A 5 GB file is sniffed from its first 256 KiB and last 64 KiB: DuckDB checks the rest as it reads
it (every option strict), and when it rejects the file, `check_file` finds the place. An encoding
the bytes between belie is decided from the whole file (`tables`, `encodings.file_encoding`). A
table that may end before the last bytes (GA writes several) is read to its end (`check_file`);
a later table is sniffed from its header on. Not UTF-8: Windows-1252 or cp850 (`is_oem`).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kpiengine.errors import KpiError, Location

from .encodings import HEAD_BYTES, decode, detect_encoding, file_encoding, read_sample, tail_fits
from .preamble import Preamble, parse_date_range, read_preamble
from .rows import (
    Record,
    check_width,
    ends_table,
    field_place,
    is_name,
    is_total_label,
    may_end_table,
    read_records,
    reads_as_data,
    record_text,
    same_names,
    split_lines,
    total_label_sql,
)
from .sql import quote_ident, quote_text

__all__ = ["DELIMITERS", "EXTRA", "HEAD_BYTES", "Sniffed", "TotalRow", "check_file", "sniff"]

DELIMITERS = (",", ";", "\t", "|")
EXTRA = "__extra"  # the column of a label one field beyond the header


@dataclass(frozen=True)
class TotalRow:
    """A totals row: its line, label and fields under the header's columns, and whether the
    label is one field beyond the header (GA4 Explorations) rather than the first field."""

    line: int
    label: str
    cells: list[str]
    beyond: bool = False


@dataclass
class Sniffed:
    """What a file's bytes say about how to read it."""

    path: Path
    name: str  # the file as messages name it
    encoding: str  # Python's codec: utf-8, utf-8-sig, utf-16, cp1252, cp850
    duckdb_encoding: str | None  # DuckDB's (utf-8, utf-16, latin-1); None: transcode first
    newline: str
    delimiter: str
    header_line: int  # 1-based
    columns: list[str]  # the header's names, without the empty ones Excel pads it with
    width: int  # the header's fields, padding included
    preamble: Preamble
    header_text: str = ""
    totals: list[TotalRow] = field(default_factory=list)
    sample: list[Record] = field(default_factory=list)  # data rows from the start of the file
    whole: bool = True  # the sample is the whole file
    next_table: int | None = None  # where another table starts (GA writes several)
    told: bool = False  # the encoding is the source's `encoding:`, not detected
    serial: bool = False  # read by one thread: padding and quoted line breaks (`tables`)

    @property
    def date_range(self) -> tuple[dt.date, dt.date] | None:
        """The date range the preamble gives (for exports without a date column)."""
        return self.preamble.date_range

    @property
    def beyond(self) -> bool:
        """Whether a totals row has its label one field beyond the header."""
        return any(t.beyond for t in self.totals)

    def line_text(self, line: int, record: bool = False) -> str:
        """A physical line of the file, or (`record`) the lines of the record starting there, to
        where its quotes close (for the place of a problem: read again, not kept)."""
        if line == self.header_line and not record:
            return self.header_text
        with self.path.open(encoding=self.encoding, errors="replace", newline="") as handle:
            lines = itertools.islice(handle, line - 1, None)
            return record_text(lines, self.delimiter) if record else next(lines, "")

    def location(self, line: int, field_index: int | None = None) -> Location:
        """`file:line:column` of a field (0-based) of the record starting on a line (the field
        may be on a later line: a quoted field before it holds line breaks), or of its start."""
        if field_index is None:
            return Location(self.name, line, 1)
        down, column = field_place(self.line_text(line, True), self.delimiter, field_index)
        return Location(self.name, line + down, column)

    def column_names(self) -> list[str]:
        """The columns as `read_csv_sql` names them: an empty name is `column<n>`."""
        return [name or f"column{i}" for i, name in enumerate(self.columns, start=1)]

    def read_csv_sql(self, types: dict[str, str] | None = None) -> str:
        """A DuckDB `read_csv` of the data rows, every option explicit and strict: the
        columns (VARCHAR unless `types` says otherwise), `__pad<n>` for Excel's padding and
        `__extra` for a label beyond the header (`total_sql` finds its row)."""
        if self.duckdb_encoding is None:
            raise ValueError(f"{self.name}: DuckDB cannot read {self.encoding}; transcode it")
        names = self.column_names()
        names += [f"__pad{i}" for i in range(len(names) + 1, self.width + 1)]
        names += [EXTRA] if self.beyond else []
        typed = [f"{quote_text(n)}: {quote_text((types or {}).get(n, 'VARCHAR'))}" for n in names]
        listed = ", ".join(typed)
        padding = self.beyond or self.width > len(self.columns)
        return f"{self.reading()}, columns={{{listed}}}, null_padding={str(padding).lower()})"

    def reading(self) -> str:
        """`read_csv_sql` up to the encoding (and `serial`): what `tables` may change."""
        return (
            f"read_csv({quote_text(str(self.path))}, auto_detect=false, header=false, "
            f"skip={self.header_line}, delim={quote_text(self.delimiter)}, quote='\"', "
            f"escape='\"', encoding={quote_text(str(self.duckdb_encoding))}"
        ) + (", parallel=false" if self.serial else "")

    def total_sql(self) -> str:
        """SQL true on totals rows: a totals label in the first column, or a label beyond
        the header (the `__extra` column of `read_csv_sql`)."""
        parts = [total_label_sql(self.column_names()[0])]
        if self.beyond:
            parts.append(f"{quote_ident(EXTRA)} IS NOT NULL")
        return "(" + " OR ".join(parts) + ")"


def sniff(
    path: Path | str,
    *,
    name: str | None = None,
    delimiter: str | None = None,
    header_line: int | None = None,
    encoding: str | None = None,
    empty_label_is_total: bool = False,
    every_table: bool = False,
) -> Sniffed:
    """How to read a delimited file; KpiError at `file:line:column` for what cannot be read.

    `delimiter`, `header_line` (1-based) and `encoding` (a Python codec) override what the
    bytes suggest. `empty_label_is_total`: a row with an empty first field is a totals row
    (Universal Analytics writes its totals so). `every_table`: the file may hold several.
    """
    path = Path(path)
    name = name or str(path)
    head, tail, size = read_sample(path, name)
    python, duck = detect_encoding(head, name) if encoding is None else (encoding, None)
    if encoding is None and tail and not tail_fits(tail, python, duck):
        python, duck = file_encoding(path, name)[:2]  # the end belies the start
    whole = size <= HEAD_BYTES
    lines = split_lines(decode(head, python))
    if not whole and len(lines) > 1:
        lines.pop()  # cut by the sample's end
    first = 1  # the line of lines[0]; a header far in (past a preamble's 99 lines): from it on
    if header_line and not whole and header_line > min(len(lines), max(len(lines) // 2, 99)):
        lines, whole, first = *_lines_at(path, python, header_line), header_line
    text_of: Callable[[int], str] = lambda n: lines[n - first]  # noqa: E731
    newline = next((b for b in ("\r\n", "\n", "\r") if lines and lines[0].endswith(b)), "\n")
    delimiter = delimiter or _delimiter(lines)
    read = read_records(lines, delimiter, name, first, complete=whole)
    records = list(_one_ending(read, text_of, name))
    try:
        index = _header(records) if header_line is None else _record_at(records, header_line)
        index = _names_above(records, index) if header_line is None else index
    except (KeyError, StopIteration):
        raise KpiError("no header row in the file", Location(name, 1, 1)) from None
    header = records[index]
    columns = [f.strip().lstrip("\ufeff").strip() for f in header.fields[: header.width]]
    _duplicates(columns, header, text_of(header.line), delimiter, name)
    later = every_table and header_line  # a later table: its `#` block, not the rows before
    gap = max((i + 1 for i, r in enumerate(records[:index]) if r.blank), default=0) if later else 0
    preamble = read_preamble(records[gap:index])
    sniffed = Sniffed(
        path, name, python, duck, newline, delimiter, header.line, columns,
        _padding(records[index + 1 :], header), preamble, text_of(header.line), whole=whole,
    )  # fmt: skip
    sniffed.told = encoding is not None
    _body(sniffed, records[index + 1 :], text_of, empty_label_is_total)
    more = not whole and sniffed.next_table is None  # the table goes on past the first bytes
    ends = more and not _tail(sniffed, tail, empty_label_is_total, first + len(lines))
    cut = size - len(tail) + tail.find(b"\n") + 1  # `_tail` reads the lines from here on
    between = more and every_table and (first > 1 or may_end_table(sniffed, HEAD_BYTES - 1, cut))
    if ends or between:
        ended = check_file(sniffed, empty_label_is_total)  # a pass over the file
        sniffed.next_table, sniffed.totals = ended.next_table, ended.totals
    padded = sniffed.beyond or sniffed.width > len(columns)  # DuckDB's parallel reading cannot
    sniffed.serial = padded and any(r.end_line > r.line for r in sniffed.sample)  # pad those
    return sniffed


def _lines_at(path: Path, codec: str, line: int) -> tuple[list[str], bool]:
    """About `HEAD_BYTES` of a file's lines from `line` on, and whether they reach its end."""
    with path.open(encoding=codec, errors="replace", newline="") as handle:
        next(itertools.islice(handle, line - 2, None), None)  # past the lines above `line`
        lines = handle.readlines(HEAD_BYTES)
        return lines, not handle.read(1)


def check_file(sniffed: Sniffed, empty_label_is_total: bool = False) -> Sniffed:
    """Read a whole table as `sniff` reads its start: KpiError at the first problem (DuckDB's,
    at its line and column), else where the next table starts and its totals (no sample)."""
    probe = dataclasses.replace(sniffed, totals=[], sample=[])
    with sniffed.path.open(encoding=sniffed.encoding, errors="replace", newline="") as handle:
        last = [""]  # the line read last: a record's last line when the record is read

        def lines() -> Iterator[str]:
            for text in handle:
                last[0] = text
                yield text

        records = read_records(lines(), sniffed.delimiter, sniffed.name, text_of=probe.line_text)
        checked = _one_ending(records, lambda _: last[0], sniffed.name)
        after = (r for r in checked if r.line > sniffed.header_line)
        _body(probe, after, probe.line_text, empty_label_is_total, keep=False)
    return probe


# --- layout ---------------------------------------------------------------------------------

_ENDINGS = {"\r\n": "CRLF (`\\r\\n`, Windows)", "\n": "LF (`\\n`)", "\r": "CR (`\\r`)"}


def _ending(text: str) -> str:
    if text.endswith("\n"):  # tests, not a copy: the sniff asks this of every line it reads
        return "\r\n" if text.endswith("\r\n") else "\n"
    return "\r" if text.endswith("\r") else ""


def _one_ending(
    records: Iterable[Record], text_of: Callable[[int], str], name: str
) -> Iterator[Record]:
    """The records, checked to end their lines alike (a line break inside a quoted field may
    differ): DuckDB cannot read a file mixing `\\r\\n` and `\\n` (it stops, or reads no row
    at all when the preamble's lines end otherwise than the rows'), so the line where the
    ending changes is an error."""
    first: tuple[str, int] | None = None
    for record in records:
        text = text_of(record.end_line)
        ending = _ending(text)
        if ending and first is None:
            first = ending, record.end_line
        elif ending and first is not None and ending != first[0]:
            raise KpiError(
                f"the line ends with {_ENDINGS[ending]} but the lines before it end with "
                f"{_ENDINGS[first[0]]} (from line {first[1]}): the file mixes line endings, so its "
                "rows cannot be told apart reliably",
                Location(name, record.end_line, len(text) - len(ending) + 1),
                "save the file again with one kind of line ending (a text editor's line-ending "
                "setting, or opening and saving it as CSV in a spreadsheet); files pasted "
                "together from several exports often mix them",
            )
        yield record


def _delimiter(lines: list[str]) -> str:
    """The delimiter most lines split into the same number (above one) of fields by."""
    body = [line for line in lines[:200] if line.strip() and not line.lstrip().startswith("#")]
    best, best_score = ",", (0, 0)
    for candidate in DELIMITERS:
        try:
            counts = Counter(len(f) for f in csv.reader(body, delimiter=candidate) if len(f) > 1)
        except csv.Error:
            continue
        if counts:
            width, count = max(counts.items(), key=lambda item: (item[1], item[0]))
            if (count, width) > best_score:
                best, best_score = candidate, (count, width)
    return best


def _header(records: list[Record]) -> int:
    """Index of the header, in the first run of records (between blank and `#` lines, but for
    `#` rows as wide as the record before: `#1001,paid`) that has records of two fields or more:
    its first record with as many fields as most records with two filled fields (not titles nor
    ranges: so in an export without data rows too), two filled at least, not a date range."""
    blocks: list[list[int]] = [[]]
    for i, record in enumerate(records):
        last = len(records[blocks[-1][-1]].fields) if blocks[-1] else 0
        row = record.width > 1 and len(record.fields) == last  # `#1001,paid,10` under a row
        if record.blank or (record.comment and not row):
            blocks.append([])
        else:
            blocks[-1].append(i)
    block = next((b for b in blocks if any(records[i].width > 1 for i in b)), None)
    block = block or next(b for b in blocks if b)
    filled = [i for i in block if records[i].width > 1] or block
    counts = Counter(len(records[i].fields) for i in filled)
    common = max(counts.items(), key=lambda item: (item[1], item[0]))[0]
    for i in block:
        fields = records[i].fields
        wide = len(fields) == common or _padded_rows(records, block, len(fields), common)
        wide = wide and records[i].width >= min(common, 2)
        if wide and parse_date_range(", ".join(f for f in fields if f.strip())) is None:
            return i
    return block[0]


def _names_above(records: list[Record], index: int) -> int:
    """The header above a chosen one that reads as data (`2024-01-05,A,1,5` under
    `date,channel,revenue`: decimal commas left unquoted make the rows wider than their header,
    and `_header` takes the first of the rows' width): the nearest record before it in its
    block, past rows like it, with two fields or more, all of them names (filled, neither
    numbers nor dates), and fewer than the chosen one. The rows wider than it are then the
    errors they are (`check_width`)."""
    chosen = records[index]
    before = index - 1 if reads_as_data(chosen) else -1  # else the header it is
    while before >= 0 and not (records[before].blank or records[before].comment):
        fields = records[before].fields
        if 2 <= len(fields) < len(chosen.fields) and all(map(is_name, fields)):
            return before
        if not reads_as_data(records[before]):
            return index
        before -= 1
    return index


def _padded_rows(records: list[Record], block: list[int], width: int, common: int) -> bool:
    """Whether the rows of `common` fields all end with empty ones beyond `width` (rows ending
    in a delimiter under a header that does not: `Date,Cost` over `2024-01-01,5,`)."""
    rows = [records[i].fields for i in block if len(records[i].fields) == common]
    return width < common and all(not f.strip() for r in rows for f in r[width:])


def _padding(body: list[Record], header: Record) -> int:
    """The header's fields with the empty ones its rows end with (`_padded_rows`), when no
    row has only the header's fields."""
    rows = list(itertools.takewhile(lambda r: not (r.blank or ends_table(r)), body[:200]))
    counts = Counter(len(record.fields) for record in rows)
    if not counts or len(header.fields) in counts:
        return len(header.fields)
    common = max(counts.items(), key=lambda item: (item[1], item[0]))[0]
    padded = _padded_rows(rows, list(range(len(rows))), len(header.fields), common)
    return common if padded else len(header.fields)


def _record_at(records: list[Record], line: int) -> int:
    return next(i for i, r in enumerate(records) if r.line <= line <= r.end_line)


def _duplicates(columns: list[str], header: Record, line: str, delimiter: str, name: str) -> None:
    """Two columns with one name (DuckDB compares names without case) is an error."""
    seen: dict[str, int] = {}
    for index, column in enumerate(columns):
        before = seen.setdefault(column.casefold(), index)
        if column and before != index:
            raise KpiError(
                f"{same_names(columns[before], column)}: columns {before + 1} and "
                f"{index + 1} of the header",
                Location(name, header.line, field_place(line, delimiter, index)[1]),
                "rename one of them, or export the report again with distinct columns",
            )


def _body(
    sniffed: Sniffed,
    records: Iterable[Record],
    text_of: Callable[[int], str],
    empty: bool,
    keep: bool = True,
) -> None:
    """Sort the records after the header into data and totals rows, checking their widths;
    stop where another table starts (a gap, a `#` line: `ends_table`, a row of another width)."""
    gap, records = False, iter(records)
    for record in records:
        if record.blank:
            gap = True
            continue
        wide = len(record.fields) in (sniffed.width, sniffed.width + 1)
        if ends_table(record, gap) or (gap and not wide):
            sniffed.next_table = record.line
            return
        total = _total(record, len(sniffed.columns), empty)
        if total is not None:
            sniffed.totals.append(total)
            continue
        check_width(record, len(sniffed.columns), sniffed.width, sniffed.header_line,
                    text_of, sniffed.delimiter, sniffed.name, records)  # fmt: skip
        if keep:
            sniffed.sample.append(record)


def _total(record: Record, width: int, empty: bool) -> TotalRow | None:
    fields = record.fields
    if len(fields) == width + 1 and fields[width].strip() and is_total_label(fields[width]):
        return TotalRow(record.line, fields[width].strip(), fields[:width], beyond=True)
    first = fields[0] if fields else ""
    if (first.strip() and is_total_label(first)) or (empty and not first.strip()):
        return TotalRow(record.line, first.strip(), fields[:width])
    return None


def _tail(sniffed: Sniffed, tail: bytes, empty: bool, after: int) -> bool:
    """Totals rows in the last bytes of a large file, on lines from `after` on (counted only
    if found); False when they end the table: as `_body` says, or by a last row of another
    width (an earlier one may be cut by the bytes' start, or ragged: DuckDB checks those)."""
    lines = split_lines(decode(tail, sniffed.encoding, at_start=False))[1:]  # the first: cut
    try:
        records = list(read_records(lines, sniffed.delimiter, sniffed.name, complete=False))
    except KpiError:
        return True  # the sample may start inside a quoted field: DuckDB checks the quotes
    gap, filled = False, [r for r in records if not r.blank]
    for record in records:
        wide = record.blank or len(record.fields) in (sniffed.width, sniffed.width + 1)
        if ends_table(record, gap) or (gap and not wide):
            return False
        gap = gap or record.blank
    if filled and not len(sniffed.columns) <= len(filled[-1].fields) <= sniffed.width + 1:
        return False
    found = [(r, t) for r in filled if (t := _total(r, len(sniffed.columns), empty))]
    offset = _line_count(sniffed) - records[-1].end_line if found else 0
    sniffed.totals += [dataclasses.replace(t, line=r.line + offset) for r, t in found
                       if r.line + offset >= after]  # fmt: skip
    return True


def _line_count(sniffed: Sniffed) -> int:
    """Lines in the file, read in chunks: `\\r\\n`, `\\n`, `\\r` each end one."""
    breaks, last = 0, ""
    with sniffed.path.open(encoding=sniffed.encoding, errors="replace", newline="") as handle:
        while chunk := handle.read(1 << 22):
            breaks += chunk.count("\n") + chunk.count("\r") - chunk.count("\r\n")
            breaks -= last == "\r" and chunk.startswith("\n")
            last = chunk[-1]
    return breaks + (last not in ("\n", "\r", ""))
