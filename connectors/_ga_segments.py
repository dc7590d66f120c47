"""Segments of a Google Analytics export, for the `ga_export` connector (not a plugin module).

GA writes several segments (UA segments, GA4 comparisons and Exploration segments) in two
shapes: a `Segment` column beside the other dimensions (`_ga_segment_headers`), each segment
maybe with its own totals row; or one table per segment, each under its own `#` lines naming it
(`# Mobile Traffic`), the same lines GA4 writes above any table (`# All Users`). Segments
overlap: a mobile session is one of `All Users` too, so rows of different segments are never
added. With one segment nothing changes; with several the source's `segment:` option chooses
one (checked against those the file names), else an error names them and the option.

The names a table's `#` lines give are those after the file's last rule line (`# ------`), or,
for a later table, the `#` lines just above its header; `key: value` lines the `#` block's keys
(start and end dates, property, account) and a date range are not names.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from kpiengine.errors import KpiError, Location
from kpiengine.fileformats.preamble import parse_date_range
from kpiengine.fileformats.tables import run_sql
from kpiengine.runcache import duckdb_error
from kpiengine.sqlgen import quote_ident, quote_text

from ._ga_headers import METADATA_KEYS, header_key

RULE = re.compile(r"[-=_*#\s]{3,}")
KEY_VALUE = re.compile(r"([^:：]{1,60}?)\s*[:：]\s*(.+)")
MOST = 1000  # distinct values read from a large file's segment column


def keep(export: Any, tables: list[Any], choice: str | None, source: str) -> list[Any]:
    """The tables to read, each with `segment` set to the value its segment column must hold
    (None: every row); an error when rows of several segments would be added."""
    kept, named, unclear = [], {}, []
    for table in tables:
        table.segment = None
        header = table.columns.get("segment")
        if header is not None:
            values = column_values(table, header)
            if len(values) > 1 or (choice is not None and values):
                table.segment = _chosen(table, header, values, choice, source)
            kept.append(table)
            continue
        names = table_names(table)
        if len(names) > 1:
            unclear.append((table, names))
            continue
        named[table] = names[0] if names else None
        kept.append(table)
    by_name: dict[str, Any] = {}
    for table, name in named.items():
        if name is not None:
            by_name.setdefault(name, table)
    if choice is None and len(by_name) > 1:
        raise _per_table(export, by_name, source)
    if choice is not None:
        kept = [t for t in kept if t.segment is not None or _same(named.get(t), choice)]
        if not kept and not unclear:
            raise _not_named(export, tables, by_name, choice, source)
    if not kept and unclear:
        table, names = unclear[0]
        raise KpiError(
            f"the `#` lines above the table name {len(names)} segments ({', '.join(names)}) "
            "but it has no Segment column to tell their rows apart: segments overlap, and "
            "their rows must not be added up",
            table.where,
            "export the report with the Segment dimension (then choose one with `segment:`), "
            "or one segment at a time",
        )
    return kept


def column_values(table: Any, header: str) -> list[str]:
    """The distinct segments of a segment column: its data rows' (the sample when it is the
    whole file, else one query) and its totals rows'."""
    file = table.file
    if file.complete:
        cells = [c.strip() for c in file.cells(header)]
    else:
        cell = f"coalesce(trim(CAST({quote_ident(header)} AS VARCHAR)), '')"
        try:
            rows = file.relation()
        except duckdb_error():
            rows = file.reader()
        sql = f"SELECT DISTINCT {cell} FROM {rows} WHERE {file.keep_sql()} LIMIT {MOST}"
        cells = [str(v) for (v,) in run_sql(sql, file)]
    index = table.headers.index(header)
    cells += [t.cells[index].strip() for t in file.totals if index < len(t.cells)]
    return sorted({c for c in cells if c}, key=cells.index)


def keep_sql(table: Any) -> str:
    """SQL true on the rows of the table's chosen segment (TRUE without one)."""
    if table.segment is None:
        return "TRUE"
    cell = f"coalesce(trim(CAST({quote_ident(table.columns['segment'])} AS VARCHAR)), '')"
    return f"{cell} = {quote_text(table.segment)}"


def other_segment(table: Any, cells: list[str]) -> bool:
    """Whether a totals row totals another segment than the one chosen (UA writes one per
    segment, its Segment cell filled)."""
    if table.segment is None:
        return False
    index = table.headers.index(table.columns["segment"])
    text = cells[index].strip() if index < len(cells) else ""
    return bool(text) and text != table.segment


def table_names(table: Any) -> list[str]:
    """The segment names the `#` lines above a table give (see the module)."""
    sniffed = table.file.sniffed
    if sniffed is None or sniffed.header_line <= 1:
        return []
    with sniffed.path.open(encoding=sniffed.encoding, errors="replace", newline="") as handle:
        lines = list(itertools.islice(handle, sniffed.header_line - 1))
    block, ruled = [], False
    for text in reversed(lines):
        body = _body(text, sniffed.delimiter)
        if body is None:  # a row of the table before
            break
        if body and RULE.fullmatch(body):
            ruled = True
            break
        block.append(body)
    if table.number == 1 and not ruled:
        return []  # a file's own lines without GA4's rules: a title, not segments
    names = [b for b in reversed(block) if b and not _metadata(table.export, b)]
    return list(dict.fromkeys(names))


def _body(text: str, delimiter: str) -> str | None:
    """A `#` line's text ('' for an empty or blank line), None for a data row."""
    body = text.replace("\ufeff", "").strip().strip('"').strip()
    if not body.startswith("#"):
        return "" if not body.strip(delimiter + " \t") else None
    body = body.lstrip("#").strip().rstrip(delimiter + " \t").strip().strip('"').strip()
    return body


def _metadata(export: Any, text: str) -> bool:
    """Whether a `#` line is one of the block's keys (dates, property) or a date range."""
    pair = KEY_VALUE.fullmatch(text)
    if pair is not None:
        key = export.translations.get(header_key(pair[1]), pair[1])
        if header_key(key) in METADATA_KEYS:
            return True
    return parse_date_range(text) is not None


def _same(name: str | None, choice: str) -> bool:
    return name is not None and (name == choice or header_key(name) == header_key(choice))


def _chosen(table: Any, header: str, values: list[str], choice: str | None, source: str) -> str:
    """The value of the segment column the option chooses (an error when it chooses none)."""
    listed = ", ".join(f"`{v}`" for v in values)
    where = table.file.header(header)
    if choice is None:
        raise KpiError(
            f"column `{header}` holds {len(values)} segments ({listed}): segments overlap (a "
            "session can be in several), so their rows must not be added up",
            where,
            f"choose one: add `segment: {values[0]}` to source `{source}` in kpi.yaml (or give "
            "each segment a source of its own)",
        )
    found = next((v for v in values if _same(v, choice)), None)
    if found is None:
        raise KpiError(
            f"`segment: {choice}` is not a segment of column `{header}` (it holds {listed})",
            where,
            f"set `segment:` of source `{source}` to one of them",
        )
    return found


def _per_table(export: Any, by_name: dict[str, Any], source: str) -> KpiError:
    listed = "; ".join(f"`{n}`: table on line {t.line}" for n, t in by_name.items())
    first = next(iter(by_name))
    return KpiError(
        f"the file has one table per segment ({listed}): segments overlap (a session can be "
        "in several), so their rows must not be added up, nor one taken for the others",
        Location(export.name, next(iter(by_name.values())).line, 1),
        f"choose one: add `segment: {first}` to source `{source}` in kpi.yaml (or `table:` "
        "with its number)",
    )


def _not_named(
    export: Any, tables: list[Any], by_name: dict[str, Any], choice: str, source: str
) -> KpiError:
    names = ", ".join(f"`{n}`" for n in by_name)
    said = f"its tables are segments {names}" if names else "it names no segment"
    return KpiError(
        f"`segment: {choice}`: the file has no such segment ({said})",
        tables[0].where if tables else Location(export.name),
        f"set `segment:` of source `{source}` to one the file names"
        + ("" if names else ", or leave it out (the file is one segment)"),
    )
