"""Numbers as Google Analytics exports write them, for the `ga_export` connector.

A column's cells read by the kind of its header (rates as fractions, durations in seconds, with
the engine's `kpiengine.numbers`), the decimal mark of a whole file, the currencies written in
money cells, counts rounded from rates, and numbers as messages show them. Private to the
connector: not a plugin module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np

from kpiengine.errors import KpiError, Location
from kpiengine.numbers import NumberError, guess_decimal, parse_duration, parse_numbers

from ._ga_headers import KIND


class TableCells(Protocol):
    """What the decimal-mark guess reads of a table (`_ga_tables.Table` is one)."""

    fields: list[str | None]
    totals: list[tuple[int, list[str]]]

    def cells(self, index: int) -> list[str]: ...


DECIMAL_BY_LANGUAGE = {"fr": ","}
DECIMAL_SAMPLE = 2000  # rows per table that decide the decimal mark
CURRENCY_MARKS = {"US$": "USD", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "﷼": "IRR"}
_CURRENCY_CODES = re.compile(r"\b(USD|EUR|GBP|JPY|CNY|IRR|CAD|AUD|CHF)\b")


def expected(kind: str, decimal: str) -> str:
    """What a cell of a column of this kind should look like, for messages."""
    return {
        "rate": "a percentage like 45.67% (or a fraction like 0.4567)",
        "duration": "a duration like 00:02:13 (or seconds)",
    }.get(kind, f"a number (decimal mark `{decimal}`)")


def parse_cells(kind: str, texts: list[str], decimal: str) -> np.ndarray:
    """The cells of a numeric column as floats: rates as fractions, durations in seconds.

    A column that repeats its values (GA's counts do, row after row) is read one distinct value
    at a time. Raises NumberError whose `index` is the position of the first bad cell.
    """
    unique = list(dict.fromkeys(texts))
    if 2 * len(unique) > len(texts):
        return _parse_cells(kind, texts, decimal)
    try:
        values = _parse_cells(kind, unique, decimal)
    except NumberError as exc:
        exc.index = texts.index(unique[exc.index or 0])  # the first cell with that text
        raise
    value_of = dict(zip(unique, values.tolist(), strict=True))
    return np.fromiter(map(value_of.__getitem__, texts), dtype=float, count=len(texts))


def _parse_cells(kind: str, texts: list[str], decimal: str) -> np.ndarray:
    if kind == "duration":
        values = []
        for i, text in enumerate(texts):
            try:
                values.append(parse_duration(text, decimal))
            except NumberError as exc:
                exc.index = i
                raise
    else:
        values = parse_numbers(texts, decimal)
    array = np.asarray(values, dtype=float)
    if kind != "rate":
        return array
    percent_signs = any("%" in t or "٪" in t for t in texts)
    if not percent_signs and np.nanmax(np.abs(array), initial=0.0) > 1:
        array = array / 100  # percentages written without the % sign
    return array


def file_decimal(tables: Sequence[TableCells], language: str, name: str) -> str:
    """The decimal mark of a file's numbers, judged on the columns whose kind shows it."""
    samples: list[str] = []
    whole: list[str] = []
    for table in tables:
        for index, field in enumerate(table.fields):
            kind = KIND.get(field or "")
            if kind not in ("count", "users", "rate", "average", "money", "duration"):
                continue
            cells = table.cells(index)[:DECIMAL_SAMPLE] + [row[index] for _, row in table.totals]
            if kind in ("count", "users"):
                whole.extend(cells)
            else:
                samples.extend(cell for cell in cells if ":" not in cell)
    try:
        return guess_decimal(
            samples, integers=whole, default=DECIMAL_BY_LANGUAGE.get(language, ".")
        )
    except ValueError as exc:
        raise KpiError(
            f"{exc}",
            Location(name),
            "the file mixes number formats: export it again from one interface language",
        ) from None


def currencies_written(cells: Iterable[str]) -> set[str]:
    """The currencies that money cells show: a symbol (the first that fits) or ISO codes."""
    written = set()
    for cell in cells:
        for mark, code in CURRENCY_MARKS.items():
            if mark in cell:
                written.add(code)
                break
        written.update(_CURRENCY_CODES.findall(cell))
    return written


def round_counts(values: np.ndarray) -> np.ndarray:
    """Counts computed from rates, to whole numbers (halves up)."""
    return np.floor(values + 0.5)


def decimal_places(text: str, decimal: str) -> int:
    """How many digits a number is written with after its decimal mark."""
    head, mark, tail = text.strip().rstrip("%").rpartition(decimal)
    if not mark:
        return 0
    digits = 0
    for char in tail:
        if not char.isdigit():
            break
        digits += 1
    return digits


def show_number(value: float) -> str:
    """A number in a message: whole with thousands separators, else two decimals."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
