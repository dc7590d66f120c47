"""Reading one Google Analytics export file, for the `ga_export` connector.

Decodes the bytes (UTF-8 with or without BOM, UTF-16 as Excel saves it, or a given codec), finds
the delimiter, reads the `#` metadata block (report, property, start and end dates), splits the
rest into tables at blank and `#` lines, sets the totals rows (`Grand total`, `Totals`, or an
empty first cell) apart from the data rows, and judges the file's interface language and decimal
mark. Private to the connector: not a plugin module.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from dataclasses import dataclass, field
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


def _delimiter(lines: list[str]) -> str:
    """The field separator, judged on the header lines (they hold no numbers)."""
    headers = []
    previous_blank = True
    for line in lines:
        if _is_comment(line) or _is_blank(line):
            previous_blank = True
            continue
        if previous_blank:
            headers.append(line)
        previous_blank = False
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
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    export = Export(path, name, lines, _delimiter(lines), translations)
    loose: list[dt.date] = []
    block: list[int] = []
    for number, line in enumerate(lines, start=1):
        if _is_comment(line):
            _add_table(export, block)
            block = []
            _metadata(export, line, loose)
        elif _is_blank(line):
            _add_table(export, block)
            block = []
        else:
            block.append(number)
    _add_table(export, block)
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


def _add_table(export: Export, block: list[int]) -> None:
    if not block:
        return
    texts = [export.text_lines[n - 1] for n in block]
    rows = [next(csv.reader([text], delimiter=export.delimiter)) for text in texts]
    header = [cell.strip().removeprefix("\ufeff") for cell in rows[0]]
    while header and not header[-1]:
        header.pop()  # Excel pads rows with empty cells
    fields = [export.field_of(h) if h else None for h in header]
    table = Table(export, len(export.tables) + 1, block[0], header, fields)
    width = len(header)
    for number, row in zip(block[1:], rows[1:], strict=True):
        if len(row) > width:
            if any(cell.strip() for cell in row[width:]):
                raise KpiError(
                    f"the row has {len(row)} fields but the header (line {block[0]}) has {width}",
                    export.cell_location(number, width),
                    "export the report again; the rows must match the header",
                )
            row = row[:width]
        elif len(row) < width:
            row = row + [""] * (width - len(row))
        first = row[0].strip() if row else ""
        if not first or header_key(first) in TOTALS:
            table.totals.append((number, row))
        else:
            table.rows.append(row)
            table.lines.append(number)
    export.tables.append(table)
