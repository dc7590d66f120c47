"""One Google Analytics export file, for the `ga_export` connector (not a plugin module).

The file is read by the reading layer: its encoding, delimiter, the `#` metadata block and the
date range it gives (`# Start date: 20250101`, `# 20240601-20240630`, in the interface's
language), every table (GA writes several, separated by blank and `#` lines), each table's
totals rows (`Grand total`, `Totals`, an empty first cell, or a GA4 Exploration's label one
field beyond the header). This module adds what GA's own conventions say: what the headers mean
in each interface language, whether it is a GA4 export, its decimal mark and date order.
"""

from __future__ import annotations

import codecs
import datetime as dt
import itertools
import json
import re
from collections.abc import Callable, Generator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from kpiengine.errors import KpiError, Location
from kpiengine.fileformats.preamble import range_between
from kpiengine.fileformats.rows import check_width, read_records
from kpiengine.fileformats.tables import FileTable, open_tables
from kpiengine.filesource import decimal_of, no_rows

from ._ga_dates import no_range
from ._ga_headers import (
    ALIASES,
    ENGLISH,
    GA4_FIELDS,
    KIND,
    METADATA_KEYS,
    NUMBER_KINDS,
    header_key,
    language_of,
)
from ._ga_suggest import suggested
from ._ga_tables import Table

DECIMAL_BY_LANGUAGE = {"fr": ","}
#: Interface languages whose numeric dates read month first (`6/1/24` is June 1st).
MONTH_FIRST = ("en", "zh")


@dataclass
class Export:
    """One exported file: its tables and metadata, and how it writes numbers and dates."""

    path: Path
    name: str
    translations: dict[str, str]  # header_key(file header) -> English header
    tables: list[Table] = field(default_factory=list)
    date_range: tuple[dt.date, dt.date] | None = None
    range_error: KpiError | None = None  # why its start and end dates give none (`_metadata`)
    # for the request being answered: the source's undated files each count in the period of
    # its grain holding them (`kpiengine.undatedfiles.at_grain`: monthly downloads by quarter)
    together: bool = False
    meta: dict[str, str] = field(default_factory=dict)
    ga4: bool = False
    language: str = "en"
    decimal: str = "."
    date_format: str | None = None  # the `date_format:` option

    @property
    def day_first(self) -> bool:
        """Whether `01/06/2024` is the 1st of June when nothing else tells."""
        return self.language not in MONTH_FIRST

    def field_of(self, header: str) -> str | None:
        """What a header means (its field in `_ga_headers`), through `headers:` too."""
        key = header_key(header)
        translated = self.translations.get(key)
        return ALIASES.get(header_key(translated)) if translated else ALIASES.get(key)

    def unrecognised(self) -> list[str]:
        seen: list[str] = []
        for table in self.tables:
            for header, name in zip(table.headers, table.fields, strict=True):
                if name is None and header and header not in seen:
                    seen.append(header)
        return seen

    def unrecognised_error(self, source: str, message: str) -> KpiError:
        """`message` with the headers not recognised and the `headers:` block mapping them."""
        unknown = self.unrecognised()
        # the line and column of the first header not recognised (in whichever table holds it)
        where = next((t.file.header(unknown[0]) for t in self.tables if unknown
                      and unknown[0] in t.headers), self.tables[0].where)  # fmt: skip
        if not unknown:
            return KpiError(
                message, where, "export a report with these metrics (e.g. Traffic acquisition)"
            )
        english = sorted(set(ENGLISH.values()))
        # a header's sampled cells tell its kind too (`_ga_suggest`), from the first table
        cells = {h: t.file.cells(h, 50) for t in reversed(self.tables) for h in unknown
                 if h in t.file.columns}  # fmt: skip
        # `"?"` quoted: a bare `?` is YAML's complex-key mark, an error left in place
        lines = [f"      {_yaml(h)}: {_yaml(suggested(h, cells.get(h, ()), self.decimal) or '?')}"
                 for h in unknown]  # fmt: skip
        fix = (
            f"if these are GA headers in another language, add to source `{source}` "
            'in kpi.yaml (replace each "?" with the English header, delete the others):\n'
            "    headers:\n" + "\n".join(lines) + "\n    English headers: " + ", ".join(english)
        )
        return KpiError(f"{message}; unrecognised headers: {', '.join(unknown)}", where, fix)


def _metadata(export: Export, keys: dict[str, str], lines: dict[str, int]) -> None:
    """The `#` block's `key: value` lines: GA4 writes its dates so, and the property. Keys
    that `headers:` translates (`開始日: Start date`) give the date range too. A start and an
    end date that give no range (the start after the end, an order neither settles) are an
    error at their line (`_ga_dates`) where the rows need the range (no Date column)."""
    where: dict[str, int] = {}
    for key, value in keys.items():
        text = export.translations.get(header_key(key), key)
        name = METADATA_KEYS.get(header_key(text))
        if name in ("start", "end"):
            export.ga4 = True
        if name and name not in export.meta:
            export.meta[name] = value
            where[name] = lines.get(key, 0)
    if "start" in export.meta and "end" in export.meta:
        found = range_between(export.meta["start"], export.meta["end"])
        if found is None:
            export.range_error = no_range(
                export.name, export.meta["start"], export.meta["end"], where
            )
        export.date_range = export.date_range or found


def read_export(
    path: Path,
    name: str,
    encoding: str,
    translations: dict[str, str],
    date_format: str | None = None,
) -> Export:
    """Parse one export: its tables, metadata, language and number format; `date_format` is
    the strptime format of its date columns when given."""
    codec = None if encoding == "auto" else encoding
    if codec is not None:
        _check_encoding(path, name, codec)
    files = open_tables(path, name, encoding=codec, empty_label_is_total=True, every_table=True)
    export = Export(path, name, translations, date_format=date_format)
    first = files[0].sniffed
    if first is not None:
        export.date_range = first.date_range
        _metadata(export, first.preamble.meta, first.preamble.lines)
    for number, file in enumerate(files, start=1):
        check_totals(file)
        fields = [export.field_of(h) if h else None for h in file.columns]
        export.tables.append(Table(export, number, file, list(file.columns), fields))
        export.tables[-1].no_comparison()  # before any cell is read (`_decimal`)
    if not any(f.sample for f in files):  # an empty export: an error at its header
        raise no_rows(files[0])
    export.ga4 = export.ga4 or any(f in GA4_FIELDS for t in export.tables for f in t.fields)
    export.language = language_of([h for t in export.tables for h in t.headers])
    export.decimal = _decimal(export)
    return export


def sampled(
    paths: Callable[[], list[Path]], header: object, encoding: object
) -> tuple[list[str], str]:
    """The sampled cells of the column headed `header` in the first of the files `paths` gives
    holding one, and their decimal mark: what tells the kind of a `headers:` entry naming no
    GA header (`_ga_suggest.hint`). No cells when no file has it or reads: the hint is only
    help, a file's own error comes when the source reads it."""
    try:
        for path in paths():
            export = read_export(path, path.name, str(encoding or "auto"), {})
            for table in export.tables:
                for column in table.file.columns:
                    if header_key(column) == header_key(str(header)):
                        return table.file.cells(column, 50), export.decimal
    except (KpiError, OSError, UnicodeError, LookupError, ValueError):
        pass
    return [], "."


def no_overlap(exports: list[Export]) -> None:
    """Two files of a source over dates that overlap, of the same property, count the same
    sessions twice when they give a same metric: the same report downloaded twice (`jan.csv`
    and `jan (1).csv`), or two reports of it (sessions by channel, sessions by landing page),
    whatever their dimensions. Files of different properties or accounts (their `#` lines
    say so), of dates that do not overlap, or of different metrics, add up."""

    def layout(export: Export) -> tuple[object, ...]:  # its tables, its property
        return tuple(t.headers for t in export.tables), _owner(export)

    seen: list[Export] = []
    for export in exports:
        for other in seen:
            a, b = export.date_range, other.date_range
            if not (a and b and a[0] <= b[1] and b[0] <= a[1]):
                continue
            both = f"({max(a[0], b[0])} to {min(a[1], b[1])})"
            if layout(export) == layout(other):
                raise KpiError(
                    f"`{other.name}` and `{export.name}` are the same report over dates that "
                    f"overlap {both}: the source would count those days twice",
                    Location(export.name),
                    "keep one file per date range (a download saved twice?), or give each its "
                    "own source",
                )
            shared = [f for f in _metrics(export) if f in _metrics(other)]
            if shared and _owner(export) == _owner(other):
                names = ", ".join(ENGLISH[f] for f in shared)
                raise KpiError(
                    f"`{other.name}` ({_by(other)}) and `{export.name}` ({_by(export)}) both "
                    f"give {names} over dates that overlap {both}: two reports of the same "
                    "sessions, the source would count them twice",
                    Location(export.name),
                    "keep the file the source needs (its `path:`), or give each its own source",
                )
        seen.append(export)


def _owner(export: Export) -> list[tuple[str, str]]:
    """The property and account the `#` lines name."""
    return sorted((k, v) for k, v in export.meta.items() if k not in ("start", "end"))


def _metrics(export: Export) -> list[str]:
    """The metrics of the export's tables (fields, in order)."""
    fields = (f for t in export.tables for f in t.fields if f and KIND[f] in NUMBER_KINDS)
    return list(dict.fromkeys(fields))


def _by(export: Export) -> str:
    """What the export's first table breaks its rows down by, for messages."""
    table = export.tables[0]
    dims = [h for h, f in zip(table.headers, table.fields, strict=True) if f and KIND[f] == "dim"]
    return "by " + ", ".join(f"`{d}`" for d in dims) if dims else "totals"


def check_totals(file: FileTable) -> None:
    """Each totals row has the header's fields, as each data row must (`check_width`: an error
    at its `file:line:column`). DuckDB reads totals rows with the data rows, so one whose stray
    character splits a number (`Grand total,x"354,585","329,764"`) would fail there instead,
    with DuckDB's own message and no line to fix. A label one field beyond the header (GA4
    Explorations) is the reading layer's known shape, not checked here."""
    sniffed = file.sniffed
    if sniffed is None:
        return
    for total in sniffed.totals:
        if total.beyond:
            continue
        with closing(_lines_from(sniffed.path, sniffed.encoding, total.line)) as lines:
            records = read_records(
                lines, sniffed.delimiter, sniffed.name, total.line, text_of=sniffed.line_text
            )
            record = next(records, None)
        if record is not None:
            check_width(record, len(sniffed.columns), sniffed.width, sniffed.header_line,
                        sniffed.line_text, sniffed.delimiter, sniffed.name)  # fmt: skip


def _lines_from(path: Path, encoding: str, line: int) -> Generator[str, None, None]:
    """The file's physical lines from `line` (1-based) on, each with its line break."""
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        yield from itertools.islice(handle, line - 1, None)


def _decimal(export: Export) -> str:
    """The decimal mark of the file's numbers, judged on the columns whose kind shows it
    (counts vote for the reading that makes them whole; durations written as seconds, `50.25`,
    vote too, clocks do not), else the language's."""
    default = DECIMAL_BY_LANGUAGE.get(export.language, ".")
    marks = set()
    for table in export.tables:
        kinds = {c: KIND.get(f or "") for c, f in zip(table.headers, table.fields, strict=True)}
        numbers = [c for c, k in kinds.items() if k in NUMBER_KINDS]
        counts = [c for c, k in kinds.items() if k in ("count", "users")]
        if numbers:
            marks.add(decimal_of(table.file, numbers, default=default, whole=counts))
    if len(marks) > 1:
        raise KpiError(
            "the tables of the file write numbers with different decimal marks",
            Location(export.name),
            "export the report again from one interface language",
        )
    return marks.pop() if marks else default


def _check_encoding(path: Path, name: str, codec: str) -> None:
    """The `encoding:` option names a codec that reads the file (its first bytes)."""
    with path.open("rb") as handle:
        data = handle.read(256 * 1024)
    try:
        codecs.decode(data, codec)
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 4 and exc.reason == "unexpected end of data":
            return  # a character cut by the sample's end
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise KpiError(
            f"the file is not {codec} text (byte {data[exc.start]:#04x})",
            Location(name, line, column),
            "set the source option `encoding:` to the file's (e.g. `encoding: cp1252`), or "
            "leave it out to detect it",
        ) from None


def _yaml(text: str) -> str:
    """A header as a YAML key: plain when safe, else double-quoted."""
    if re.fullmatch(r"[^\W\d][^:#\[\]{},\"]*", text) and text == text.strip():
        return text
    return json.dumps(text, ensure_ascii=False)
