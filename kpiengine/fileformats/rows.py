"""Records of a delimited file with their line numbers, and the rows that are totals.

Records are read by Python's `csv` module (quotes as RFC 4180 and DuckDB read them: `"` quotes a
field, `""` is a quote inside it, a quoted field may hold line breaks), each with the line it
starts on, so that every problem is reported at `file:line:column`, the column being the
1-based character position on that line. A quote left open, or text after a closing quote, is
an error there.

Whether a record reads as data or as a header's names (`reads_as_data`, `is_name`) is told by
the number grammar and the date detector.

Totals rows are recognised by the label in their first field (`Total`, `Grand total`,
`Total: Account`, `Total général`, `总计`, `合計`, `مجموع` ...): `totallabels`, whose names
this module gives too.
"""

from __future__ import annotations

import csv
import mmap
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from kpiengine.errors import KpiError, Location

from .dates import DATE_FORMATS, compile_format
from .datespec import date_orders, may_read
from .decimals import plain_reading
from .missing import is_missing
from .numbers import DECIMALS, read_number
from .sql import CellError, shown
from .totallabels import (
    SUBTOTAL_LABELS,
    TOTAL_LABELS,
    TOTAL_PATTERN,
    is_total_label,
    total_label_sql,
)

__all__ = [
    "SUBTOTAL_LABELS",
    "TOTAL_LABELS",
    "TOTAL_PATTERN",
    "Record",
    "ends_table",
    "field_place",
    "is_name",
    "is_total_label",
    "note_error",
    "note_under",
    "reads_as_data",
    "read_records",
    "record_text",
    "same_names",
    "split_lines",
    "total_label_sql",
]

_BREAK = re.compile(r"\r\n|\n|\r")


def same_names(first: str, second: str) -> str:
    """`two columns are named …` as a file writes them (names are compared without case)."""
    if first == second:
        return f"two columns are named `{shown(first)}`"
    pair = f"`{shown(first)}` and `{shown(second)}`"
    return f"two columns are named {pair} (names are compared without case)"


def split_lines(text: str) -> list[str]:
    """The lines of a text with their line breaks (`\\r\\n`, `\\n` or `\\r`; no others)."""
    lines, start = [], 0
    for match in _BREAK.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


@dataclass(frozen=True)
class Record:
    """One record: the lines it spans (1-based) and its fields."""

    line: int
    end_line: int
    fields: list[str]

    @property
    def blank(self) -> bool:
        """Only empty fields (or none): a blank line, or one of delimiters."""
        return not "".join(self.fields).strip()

    @property
    def comment(self) -> bool:
        """A `#` line (GA's metadata block, padded with delimiters; or a row: `ends_table`)."""
        return bool(self.fields) and self.fields[0].lstrip().startswith("#")

    @property
    def width(self) -> int:
        """Fields up to the last non-empty one (Excel pads rows with empty fields)."""
        width = len(self.fields)
        while width and not self.fields[width - 1].strip():
            width -= 1
        return width


def read_records(
    lines: Iterable[str],
    delimiter: str,
    name: str,
    first_line: int = 1,
    complete: bool = True,
    text_of: Callable[[int], str] | None = None,
) -> Iterator[Record]:
    """The records of some lines (each with its line break), the first on line `first_line`.

    A quote still open at the end is an error when the lines are the whole file (`complete`),
    else (a sample cut in a quoted field) the records end there. Text after a closing quote
    is an error (DuckDB rejects it too). `text_of` gives a line's text for an error's column
    (by default, `lines` is a list and holds it).
    """
    if text_of is None:
        listed = lines if isinstance(lines, list) else list(lines)
        lines = listed

        def text_of(line: int) -> str:
            index = line - first_line
            return listed[index] if 0 <= index < len(listed) else ""

    reader = csv.reader(lines, delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
    start = first_line
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            cut = str(exc).startswith(("unexpected end of data", "field larger"))
            if cut and not complete:
                return
            raise _quote_error(text_of(start), delimiter, name, start, cut) from None
        end = first_line + reader.line_num - 1
        yield Record(start, end, fields)
        start = end + 1


def _quote_error(text: str, delimiter: str, name: str, line: int, open_quote: bool) -> KpiError:
    column, cell = _open_quote(text, delimiter)
    if open_quote:
        return KpiError(
            f'a quoted field is never closed: no `"` ends the field `{shown(cell)}`',
            Location(name, line, column),
            'close the quote; a quote inside a quoted field is written twice (`""`)',
        )
    return KpiError(
        f"text follows the closing quote of the field `{shown(cell)}`",
        Location(name, line, column),
        'quote the whole field, and write a quote inside it twice (`""`)',
    )


def _open_quote(line: str, delimiter: str) -> tuple[int, str]:
    """(1-based column, text) of the last quoted field opened on a line (its start, if any)."""
    quoted, start, opened = False, 0, 0
    for position, char in enumerate(line):
        if char == '"':
            if not quoted and position == start:
                opened = position
            quoted = not quoted
        elif char == delimiter and not quoted:
            start = position + 1
    return opened + 1, line[opened : opened + 40].rstrip("\r\n")


def record_text(lines: Iterable[str], delimiter: str) -> str:
    """The lines of the record the lines start with (quoted fields hold line breaks), or one."""
    seen: list[str] = []
    kept = (seen.append(text) or text for text in lines)  # type: ignore[func-returns-value]
    try:
        next(csv.reader(kept, delimiter=delimiter, quotechar='"', doublequote=True, strict=True))
    except (csv.Error, StopIteration):
        return seen[0] if seen else ""
    return "".join(seen)


def field_place(text: str, delimiter: str, index: int) -> tuple[int, int]:
    """(lines below the first, 1-based column) where field `index` of a record's text starts:
    a quoted field may hold line breaks (`\\r\\n`, `\\n`, `\\r`). (0, 1) past its last field."""
    field, quoted, down, start, opens = 0, False, 0, 0, 0
    for position, char in enumerate(text):
        if char == '"' and (quoted or position == opens):  # a quote opens a field only
            quoted = not quoted
        elif char == delimiter and not quoted:
            field, opens = field + 1, position + 1
            if field == index:
                return down, position - start + 2
        elif char in "\r\n" and not (char == "\n" and text[position - 1 : position] == "\r"):
            down, start = down + 1, position + 1
        elif char == "\n":
            start = position + 1
    return (0, 1)


def check_width(
    record: Record,
    width: int,
    padded: int,
    header_line: int,
    text_of: Callable[[int], str],
    delimiter: str,
    name: str,
    rest: Iterable[Record] | None = None,
) -> None:
    """KpiError at the end of a row with fewer than `width` fields (a note under the table
    when only such lines follow it in `rest`, `note_error`), or at the first field
    beyond the header: one filled beyond `width`, or any beyond `padded` (the header's fields
    with the empty ones Excel pads rows with; DuckDB reads no more). A header ending in
    delimiters (`Date,Cost,`) names `width` columns in `padded` fields: the messages say so."""
    fields = record.fields
    if len(fields) == width:  # the common row: nothing to check (the sniff sees thousands)
        return
    sep = "tab" if delimiter == chr(9) else delimiter
    header = f"the header (line {header_line}) has {width}"
    if padded > width:
        header = f"the header (line {header_line}) names {width} columns"
    fix = f"each row needs the header's {width} fields; quote a field that holds `{sep}`"
    if len(fields) < width:
        text = text_of(record.end_line).rstrip("\r\n")
        column = len(text) + 1  # where the record ends, on its last line
        note = note_error(record, rest, width, name) if rest is not None else None
        raise note or KpiError(
            f"the row has {len(fields)} field{'s' * (len(fields) != 1)} but {header}",
            Location(name, record.end_line, column),
            fix,
        )
    extra = next((i for i in range(width, len(fields)) if fields[i].strip()), None)
    if extra is None and len(fields) > padded:
        extra = padded
    if extra is None:
        return
    lines = "".join(text_of(n) for n in range(record.line, record.end_line + 1))
    down, column = field_place(lines, delimiter, extra)
    where = Location(name, record.line + down, column)
    if extra < padded:  # under an empty header field: a column without a name
        raise KpiError(
            f"`{shown(fields[extra])}` is in field {extra + 1}, which the header (line "
            f"{header_line}) leaves unnamed: it names {width} columns, then ends with "
            f"{padded - width} empty field{'s' * (padded - width != 1)}",
            where,
            f"name that column in the header, or remove the cell; quote a field that holds `{sep}`",
        )
    what = f"`{shown(fields[extra])}` is" if fields[extra].strip() else "an empty field is"
    if padded > width:  # the header's fields, its empty ones included
        header = f"the header (line {header_line}) has {padded}"
        fix = (
            f"each row needs the header's {width} columns and at most its {padded} fields; "
            f"quote a field that holds `{sep}`"
        )
    raise KpiError(
        f"the row has {len(fields)} fields but {header}: {what} beyond the last column",
        where,
        fix,
    )


def note_error(record: Record, rest: Iterable[Record], columns: int, name: str) -> KpiError | None:
    """The error of a line of text under a table (`Exported from Shopify on 2026-12-07`): its
    first field alone, no date or number (`2024-01-04`: a row cut short), then only such lines
    (or blank or `#` ones), in a file of several columns; else None."""
    first = record.fields[0]
    if columns < 2 or record.width != 1 or _number(first) or _date(first):
        return None
    if any(r.width > 1 and not ends_table(r) for r in rest):
        return None  # a row follows (`#1005,paid,...` too): the line is a row cut short
    return KpiError(
        f"`{shown(first.strip())}` is a line of text under the table, not a row: it is one "
        f"field after the last row, in a file of {columns} columns",
        Location(name, record.line, 1),
        "remove the line (and any other notes under the table) from the file",
    )


def note_under(sniffed: Any, line: int, columns: int) -> KpiError | None:
    """`note_error` for the record on `line` of a file `sniff` read (an error path: a pass)."""
    with sniffed.path.open(encoding=sniffed.encoding, errors="replace", newline="") as handle:
        records = read_records(handle, sniffed.delimiter, sniffed.name, text_of=sniffed.line_text)
        found = next((r for r in records if r.line == line), None)
        return note_error(found, records, columns, sniffed.name) if found else None


def ends_table(record: Record, gap: bool = False) -> bool:
    """Whether a record under a header is a `#` line ending its table (GA's `#` block, a note)
    rather than a row (Shopify's `#1001`, a campaign `#SpringSale`): a row has two filled fields
    and, past a blank line (where GA writes its blocks), reads as data, its `#` aside."""
    if not record.comment or record.width < 2:
        return record.comment
    fields = [record.fields[0].lstrip()[1:], *record.fields[1:]]
    return gap and not reads_as_data(Record(record.line, record.end_line, fields))


def reads_as_data(record: Record) -> bool:
    """Whether a record reads as data rather than as a header: a number among its cells, and
    a date or most of its filled cells numbers (`sniff` takes a header of names above it)."""
    filled = [f.strip() for f in record.fields if f.strip()]
    numbers = sum(map(_number, filled))
    return numbers > 0 and (2 * numbers > len(filled) or any(map(_date, filled)))


def is_name(text: str) -> bool:
    """A header's column name: filled, neither a number nor a date."""
    return bool(text.strip()) and not _number(text) and not _date(text)


def _number(text: str) -> bool:
    text = text.strip()
    if not any(c.isdigit() for c in text) or is_missing(text):
        return False
    plain = plain_reading(text, ".")
    if plain is not False:
        return True  # a plain cell: a number one way or the other
    return any(_reads(text, mark) for mark in DECIMALS)


def _reads(text: str, decimal: str) -> bool:
    try:
        read_number(text, decimal)
    except CellError:
        return False
    return True


def _date(text: str) -> bool:
    """Whether a cell reads as a date in one of the detector's formats (any order)."""
    text = text.strip()
    if not any(c.isdigit() for c in text):
        return False
    for spec in (o for f in DATE_FORMATS for o in date_orders(f)):
        if may_read(spec, text):
            try:
                if compile_format(spec).read(text, weekday=False) is not None:
                    return True
            except CellError:
                continue
    return False


def may_end_table(sniffed: Any, start: int, end: int) -> bool:
    """Whether a line holding byte `start`, or one from it to `end`, may end a file's table
    (`Record.blank`, `Record.comment`): a byte search, so that a large table is not parsed in
    Python to learn that it runs to the end. A line in a quoted field may answer yes, and so
    does a file whose encoding or line ends a byte search cannot read (the careful reading then
    says)."""
    codec = sniffed.encoding
    if sniffed.newline == "\r" or "16" in codec or "32" in codec:
        return True
    edge = re.escape(sniffed.delimiter.encode())
    pattern = re.compile(rb'(?m)^[ \t"' + edge + rb"]*(?:#|\r?\n)")
    with (
        sniffed.path.open("rb") as handle,
        mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data,
    ):
        line = data.rfind(b"\n", 0, start) + 1  # from the start of the line holding `start`
        return pattern.search(data, line, end) is not None
