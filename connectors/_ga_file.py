"""Reading one Google Analytics export file, for the `ga_export` connector.

Decodes the bytes (UTF-8 with or without BOM, UTF-16 as Excel saves it, or a given codec), finds
the delimiter, reads the `#` metadata block (report, property, start and end dates), splits the
rest into tables at blank and `#` lines, sets the totals rows (`Grand total`, `Totals`, or an
empty first cell) apart from the data rows, and judges the file's interface language and decimal
mark. A big export is one big table: its lines go through one csv reader into one list of fields,
sliced into columns when every row is as wide as the header. Private to the connector: not a
plugin module.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from itertools import accumulate, chain, compress, pairwise, repeat
from operator import iconcat, itemgetter, not_
from pathlib import Path
from typing import Any

from kpiengine.errors import KpiError, Location
from kpiengine.filequery import field_start
from kpiengine.numbers import ascii_digits

from ._ga_dates import COMPACT_RANGE, date_or_none
from ._ga_headers import ALIASES, METADATA_KEYS, TOTALS, header_key, language_of
from ._ga_tables import Table
from ._ga_values import file_decimal


@dataclass
class Export:
    """One exported file: its metadata and tables, and how it writes numbers and dates."""

    path: Path
    name: str
    text_lines: list[str]
    delimiter: str
    translations: dict[str, str]  # header_key(file header) -> English header
    meta: dict[str, Any] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
    decimal: str = "."
    language: str = "en"

    @property
    def start(self) -> dt.date | None:
        return self.meta.get("start")

    @property
    def end(self) -> dt.date | None:
        return self.meta.get("end") or self.meta.get("start")

    @property
    def window(self) -> tuple[dt.date, dt.date] | None:
        return (self.start, self.end) if self.start and self.end else None

    @property
    def ga4(self) -> bool:
        return bool(self.meta.get("ga4"))

    @property
    def day_first(self) -> bool:
        """Whether `01/06/2024` is the 1st of June when nothing else tells."""
        return self.language not in ("en", "zh")

    def field_of(self, header: str) -> str | None:
        key = header_key(header)
        translated = self.translations.get(key)
        return ALIASES.get(header_key(translated)) if translated else ALIASES.get(key)

    def cell_location(self, line: int, index: int) -> Location:
        """Where field `index` of a line starts (past the line's end when it has fewer fields)."""
        text = self.text_lines[line - 1] if 0 < line <= len(self.text_lines) else ""
        column = field_start(text, index, self.delimiter)
        if index and column == 1:  # the line ends before the field
            column = len(text) + 1
        return Location(self.name, line, column)

    def unrecognised(self) -> list[str]:
        seen: list[str] = []
        for table in self.tables:
            for header, name in zip(table.headers, table.fields, strict=True):
                if name is None and header and header not in seen:
                    seen.append(header)
        return seen


def _decode(data: bytes, encoding: str, name: str) -> str:
    if encoding != "auto":
        chosen = encoding
    elif data.startswith(codecs.BOM_UTF8):
        chosen = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        chosen = "utf-16"
    else:
        head = data[:400]
        if head and head.count(0) > len(head) // 4:
            chosen = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
        else:
            chosen = "utf-8"
    try:
        text = data.decode(chosen)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        where = Location(name, line, column) if chosen.startswith("utf-8") else Location(name)
        raise KpiError(
            f"the file is not {chosen} text (byte {data[exc.start]:#04x})",
            where,
            "set the source option `encoding:` (e.g. `encoding: cp1252`), or save the file "
            "as UTF-8",
        ) from None
    return text.removeprefix("\ufeff")


def _is_comment(line: str) -> bool:
    return line.lstrip().lstrip('"').startswith("#")


def _is_blank(line: str) -> bool:
    return not line.strip().strip(',;\t"')


# the lines that separate tables, found in the whole text at once: `#` lines (`_is_comment`) and
# blank ones (`_is_blank`: spaces, delimiters and quotes only); `[^\S\n]` is a space in a line
_SEPARATOR = re.compile(  # (the first lookahead only makes lines starting with a digit fail fast)
    r'\n(?=[\s"#,;]|\Z)(?=[^\S\n]*"*#|[^\S\n]*[,;\t"]*[^\S\n]*(?:\n|\Z))'
)


def _separators(text: str) -> list[int]:
    """The (0-based) numbers of the lines of `text` that are `#` lines or blank."""
    out = []
    line = position = 0
    for match in _SEPARATOR.finditer("\n" + text):  # a match is the line break before the line
        line += text.count("\n", position, match.start())
        position = match.start()
        out.append(line)
    return out


def _blocks(lines: list[str], separators: list[int]) -> list[tuple[int, int]]:
    """The runs of lines between separators, as (first, last) 1-based line numbers."""
    out = []
    previous = -1
    for index in [*separators, len(lines)]:
        if index > previous + 1:
            out.append((previous + 2, index))
        previous = index
    return out


def _delimiter(lines: list[str], blocks: list[tuple[int, int]]) -> str:
    """The field separator, judged on the header lines (they hold no numbers)."""
    headers = [lines[first - 1] for first, _ in blocks]
    sample = headers[:5] or lines[:5]
    counts = {d: sum(h.count(d) for h in sample) for d in ("\t", ",", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _metadata(export: Export, line: str, loose: list[dt.date]) -> None:
    """One `#` line: `Start date: 20240601`, `20240601-20240630` (UA), the report's name..."""
    content = line.strip().strip(f'{export.delimiter}"').strip()
    content = content.lstrip("#").strip().rstrip(export.delimiter).strip()
    if not content or not content.strip("-= "):
        return
    meta = export.meta
    compact = COMPACT_RANGE.fullmatch(ascii_digits(content))
    if compact:
        if "start" not in meta:
            meta["start"] = date_or_none(compact[1])
            meta["end"] = date_or_none(compact[2])
        return
    for colon in (":", "："):
        if colon in content:
            key, _, value = content.partition(colon)
            break
    else:
        key, value = content, ""
    key_text = export.translations.get(header_key(key), key)
    name = METADATA_KEYS.get(header_key(key_text))
    value = value.strip()
    if name in ("start", "end"):
        meta.setdefault(name, date_or_none(value))
        meta["ga4"] = True
        return
    if name:
        meta.setdefault(name, value)
        return
    day = date_or_none(value) if value else None
    if day is not None:
        loose.append(day)
    elif "report" not in meta:
        meta["report"] = content


def read_export(path: Path, name: str, encoding: str, translations: dict[str, str]) -> Export:
    """Parse one export: metadata, tables (header, rows, totals rows), number format."""
    data = path.read_bytes()
    if not data.strip():
        raise KpiError("the file is empty", Location(name), "export the report again")
    text = _decode(data, encoding, name)
    if not text.strip():
        raise KpiError("the file is empty", Location(name), "export the report again")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    separators = _separators(text)
    blocks = _blocks(lines, separators)
    export = Export(path, name, lines, _delimiter(lines, blocks), translations)
    loose: list[dt.date] = []
    following = iter(blocks)
    block = next(following, None)
    for index in separators:  # the tables and `#` lines in the order of the file
        while block is not None and block[0] <= index:
            _add_table(export, *block)
            block = next(following, None)
        if _is_comment(lines[index]):
            _metadata(export, lines[index], loose)
    while block is not None:
        _add_table(export, *block)
        block = next(following, None)
    if "start" not in export.meta and len(loose) == 2:
        export.meta["start"], export.meta["end"] = loose
    if not export.tables:
        last = max((n for n, t in enumerate(lines, 1) if t.strip()), default=1)
        raise KpiError(
            "no table in the file (only `#` lines and blank lines)",
            Location(name, last, 1),
            "export the report again with its data",
        )
    export.meta["ga4"] = export.meta.get("ga4") or any(t.ga4 for t in export.tables)
    export.language = language_of([h for table in export.tables for h in table.headers])
    export.decimal = file_decimal(export.tables, export.language, export.name)
    return export


def _fields(texts: list[str], delimiter: str) -> tuple[list[str], list[int]]:
    """The fields of all the lines in one list, and where each line's fields end in it.

    Each line is read on its own (a quote left open ends at the line's end): one reader goes
    over all the lines when no quoted field runs past its line, else a reader per line.
    """
    fields: list[str] = []
    adding = map(iconcat, repeat(fields), csv.reader(texts, delimiter=delimiter))
    ends = list(map(len, adding))  # fields += row, then its length: all in C
    if len(ends) == len(texts):
        return fields, ends
    rows = [next(csv.reader([text], delimiter=delimiter)) for text in texts]
    return list(chain.from_iterable(rows)), list(accumulate(map(len, rows)))


def _add_table(export: Export, first: int, last: int) -> None:
    """The table on lines `first` to `last` (1-based): its header, data rows and totals rows."""
    cells, ends = _fields(export.text_lines[first - 1 : last], export.delimiter)
    start = ends[0]  # where the data rows begin in `cells`
    header = [cell.strip().removeprefix("\ufeff") for cell in cells[:start]]
    while header and not header[-1]:
        header.pop()  # Excel pads rows with empty cells
    fields = [export.field_of(h) if h else None for h in header]
    table = Table(export, len(export.tables) + 1, first, header, fields)
    export.tables.append(table)
    width, count = len(header), len(ends) - 1
    if width and ends[1:] == list(range(start + width, start + width * count + 1, width)):
        # every row as wide as the header: the columns are slices of `cells`
        columns = [cells[start + i :: width] for i in range(width)]
        lines = list(range(first + 1, last + 1))
        totals = {text for text in dict.fromkeys(columns[0]) if _is_total(text)}
        if totals:  # set the totals rows apart
            kept = [text not in totals for text in columns[0]]
            for i in compress(range(count), map(not_, kept)):
                table.totals.append((lines[i], cells[start + i * width : start + (i + 1) * width]))
            columns = [list(compress(column, kept)) for column in columns]
            lines = list(compress(lines, kept))
        table.texts, table.lines = columns, lines
        return
    data: list[list[str]] = []
    for number, (begin, end) in enumerate(pairwise(ends), start=first + 1):
        row = cells[begin:end]
        if len(row) > width:
            if any(cell.strip() for cell in row[width:]):
                raise KpiError(
                    f"the row has {len(row)} fields but the header (line {first}) has {width}",
                    export.cell_location(number, width),
                    "export the report again; the rows must match the header",
                )
            row = row[:width]
        elif len(row) < width:
            row = row + [""] * (width - len(row))
        if not row or _is_total(row[0]):
            table.totals.append((number, row))
        else:
            data.append(row)
            table.lines.append(number)
    table.texts = [list(map(itemgetter(i), data)) for i in range(width)]


def _is_total(cell: str) -> bool:
    """Whether a row whose first cell is `cell` is a totals row (empty, `Grand total`...)."""
    first = cell.strip()
    if not first:
        return True
    if first.isascii():  # header_key without its Unicode steps
        return "".join(first.lower().split()) in TOTALS
    return header_key(first) in TOTALS
