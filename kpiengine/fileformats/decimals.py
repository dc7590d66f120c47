"""The decimal mark of a column, `.` or `,`, guessed from its cells with the number grammar.

One rule, for every connector: each distinct cell is read both ways by `numbers.read_number`;
only cells that read one way only, or differently, tell anything (see `guess_decimal`). Plain
cells (`1234.5`, `-1,234`: digits and one mark) are read by `_plain_reading`, which gives the
grammar's answer without compiling its patterns (a twentieth of a second per process);
tests/test_fileformats_numbers.py checks that the two agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .numbers import DECIMALS, NumberError, read_number
from .sql import shown

__all__ = ["guess_decimal"]


_PLAIN = re.compile(r"(-?)([0-9]+)(?:([.,])([0-9]+))?")


def _plain_reading(text: str, decimal: str) -> float | None | bool:
    """The value of a plain cell with the decimal mark `decimal` (None: not a number that
    way); False when the cell is not plain."""
    found = _PLAIN.fullmatch(text)
    if found is None:
        return False
    sign, whole, mark, part = found.groups()
    if mark is None or mark == decimal:
        return float(f"{sign}{whole}.{part or 0}")
    if len(part) == 3 and len(whole) <= 3 and whole[0] != "0":  # the mark groups thousands
        return float(f"{sign}{whole}{part}")
    return None


def _reading(text: str, decimal: str) -> float | None:
    plain = _plain_reading(text, decimal)
    if plain is not False:
        return plain
    try:
        return read_number(text, decimal).value
    except NumberError:
        return None


def guess_decimal(values: Iterable[str], *, whole: bool = False, default: str | None = None) -> str:
    """The decimal mark of a column (or of a file's columns), from a sample of its cells.

    Each distinct cell is read both ways: a cell readable only with `.` (`1,234.5`, `12.5`) or
    only with `,` (`1.234,5`, `12,5`, `0,123`) votes for that mark; a cell read alike both ways
    (`1234`, `12%`) does not vote; a cell read differently (`1,234`: 1234 or 1.234) is
    ambiguous. With `whole=True` the cells are counts, so an ambiguous cell votes for the
    reading that is a whole number. Votes for both marks raise NumberError naming a cell of
    each. When only ambiguous cells remain, the answer is `default` (what the export's
    language writes); without one, their lone mark before three digits is read as grouping
    thousands, as both conventions write it (`1,200` is 1200 with `.` as the decimal mark,
    `1.500` is 1500 with `,`): amounts have two decimals, counts none. Ambiguous cells of both
    kinds (`1,200` and `1.500`) raise NumberError: the source's `decimal:` option decides.
    Cells not readable either way do not vote: they are reported when the column is read.
    """
    if default is not None and default not in DECIMALS:
        raise ValueError(f"the decimal mark must be '.' or ',', not {default!r}")
    seen: set[str] = set()
    votes: dict[str, str] = {}
    grouped: dict[str, str] = {}  # the decimal mark under which an ambiguous cell is grouped
    for value in values:
        text = str(value)
        if text in seen or not re.search("[.,\uff0c\uff0e]", text):
            continue
        seen.add(text)
        dot, comma = _reading(text, "."), _reading(text, ",")
        if dot is None or comma is None:
            if dot is not None or comma is not None:
                votes.setdefault("." if comma is None else ",", text)
        elif dot != comma:
            if whole and dot.is_integer() != comma.is_integer():
                votes.setdefault("." if dot.is_integer() else ",", text)
            else:
                grouped.setdefault("." if abs(dot) > abs(comma) else ",", text)
        if len(votes) == 2:
            raise _mixed(votes)
    if votes:
        return next(iter(votes))
    if default is not None or not grouped:
        return default or "."
    if len(grouped) == 2:
        raise NumberError(
            grouped[","],
            f"in the number format of `{shown(grouped['.'])}` (`,` grouping thousands there, "
            "`.` here): the cells cannot tell the decimal mark",
            "set the source's `decimal:` option to '.' or ','",
        )
    return next(iter(grouped))


def _mixed(votes: dict[str, str]) -> NumberError:
    return NumberError(
        votes[","],
        f"in the number format of `{shown(votes['.'])}` (`.` as the decimal mark): "
        "the cells mix decimal marks",
        "export the file again in one number format, or set the source's `decimal:`",
    )
