"""Google Ads totals rows of one segment (not a plugin module).

A campaign report segmented by device, network, day of week ... writes its totals rows once per
segment, the segment's cell filled beside the label (`Total: Account,--,--,Mobile phones,...`,
one per device; `Total: Search` per device too), with or without the overall row (its segment
cell `--`). Such a row totals the rows of its segment, not the file's: its sums are those of
the rows whose cells match it in every segment column (and of its campaign type, for a type's
total: `_ads_totals.scope`).

A segment cell is a filled cell (not `--` or empty) beside the label in a column no metric,
currency or campaign type reads, that names something: a letter in it (`Mobile phones`,
`Google search`, `Monday`), not a number with a currency code (`USD 2.03`); or a cell of the
date column or of an hour segment, which hold digits. Rate columns (`4.95%`, `< 10%`, `0.52`)
hold no letter: totals fill them, and they segment nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from kpiengine.fileformats.missing import is_missing
from kpiengine.fileformats.tables import FileTable
from kpiengine.sqlgen import quote_text

#: Segments whose cells are numbers (lowercase headers).
HOURS = frozenset({"hour of day", "hour of the day", "hour", "segments.hour", "segments_hour"})
#: A number, perhaps with a currency code or sign: a rate's or an amount's cell, no segment.
_NUMBER = re.compile(r"(?:[A-Z]{3}\s?)?[-+(<>~]?\s*[\d.,\s'%\u00a0\u202f]+\)?(?:\s?[A-Z]{3})?")

Pairs = tuple[tuple[str, str], ...]  # (column, cell) of each segment column, in file order


@dataclass(frozen=True)
class Segment:
    """A totals row's segment: its name in messages (`Device: Mobile phones`) and the suffixes
    of the scan's checks on its rows (`plain`: `rows_~0`) and on its rows of the total's
    campaign type (`typed`; "" when it names none)."""

    name: str
    plain: str
    typed: str = ""


def segment_cells(table: FileTable, cells: list[str], skip: set[str], dates: set[str]) -> Pairs:
    """The segment cells of a totals row (`skip`: the columns no segment is read from, the
    label's included; `dates`: the date columns, whose cells hold digits)."""
    out = []
    for index, column in enumerate(table.columns):
        text = cells[index].strip() if index < len(cells) else ""
        if column in skip or is_missing(text):
            continue
        lettered = any(c.isalpha() for c in text) and not _NUMBER.fullmatch(text)
        if lettered or column in dates or column.strip().lower() in HOURS:
            out.append((column, text))
    return tuple(out)


def segment_filters(
    totals: list[tuple[FileTable, int, str, list[str]]],
    pairs: Callable[[FileTable, list[str]], Pairs],
    typed: Callable[[str], str | None],
) -> tuple[dict[tuple[str, int], Segment], dict[str, tuple[Pairs, str | None]]]:
    """The segment of each totals row filling a segment cell ((file, line) -> `Segment`), and
    the rows each check key takes (key -> (segment cells, campaign type or None)). `pairs`
    gives a row's segment cells, `typed` the campaign type its label names that a column
    tells (None: none)."""
    keys: dict[tuple[Pairs, str | None], str] = {}
    found: dict[tuple[str, int], Segment] = {}
    for table, line, label, cells in totals:
        cells_of = pairs(table, cells)
        if not cells_of:
            continue
        kind = typed(label)
        plain = keys.setdefault((cells_of, None), f"_~{len(keys)}")
        typed_key = keys.setdefault((cells_of, kind), f"_~{len(keys)}") if kind else ""
        name = ", ".join(f"{column}: {text}" for column, text in cells_of)
        found[table.name, line] = Segment(name, plain, typed_key)
    return found, {key: rows for rows, key in keys.items()}


def segment_sql(
    rows: tuple[Pairs, str | None],
    text: Callable[[str], str],
    day: Callable[[str, str], str | None],
    kind: Callable[[str], str],
) -> str:
    """SQL true on the rows of a segment: each segment cell matched (a date column's by its
    day, `day` giving the SQL test of a column and cell, None when the cell reads as no day:
    then by its text), and the campaign type (`kind` gives its test) when one is named."""
    cells, typed = rows
    tests = []
    for column, value in cells:
        tests.append(day(column, value) or f"{text(column)} = {quote_text(value)}")
    if typed:
        tests.append(kind(typed))
    return " AND ".join(tests) or "TRUE"
