"""Percentages beside plain numbers in one column: which mixes are read, which are errors.

A cell with a percent sign is a percentage (`45.6%` is 0.456); a plain cell is the number it
shows. A column holding both is read by one rule, in Python (`mixed`, on a file's sampled
cells) and in SQL (`kind_sql`; `flag_sql`, the flags a scan keeps of every cell):
- a plain cell beyond ±1 (`10`, `58`) beside a percentage is an error naming both cells: as a
  fraction it is 1000%, and it is more likely a percentage whose `%` was left out (10%);
- a plain cell within [-1, 1] (`0.456`, `0`) is the fraction it shows: that is how a
  spreadsheet exports one column of fractions when some of its cells are formatted as
  percentages and others are not (`45.6%` shown, 0.456 stored). `0.1` could also be 0.1%
  with its sign left out, but a column of percentages without their signs shows rates above 1%
  as numbers above 1, and those are the error above.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from .decimals import plain_reading
from .missing import missing_sql
from .numbers import PERCENT_SIGNS, NumberError, currency_sql, read_number
from .sql import Expr, quote_text, shown

__all__ = [
    "BAD",
    "MIXED",
    "PERCENT",
    "PLAIN_ABOVE_ONE",
    "flag_sql",
    "is_percent",
    "kind_sql",
    "mixed",
    "mixed_message",
    "percent_sql",
    "plain_above_one",
    "slot",
]

#: The values of `kind_sql` and `flag_sql`: a bad cell, a percentage, a plain number beyond ±1
#: (bits, for `bit_or`; a column mixes when it has both of the last two).
BAD, PERCENT, PLAIN_ABOVE_ONE = 1, 2, 4
MIXED = PERCENT | PLAIN_ABOVE_ONE


def is_percent(text: str) -> bool:
    """Whether a cell carries a percent sign."""
    return any(sign in text for sign in PERCENT_SIGNS)


def plain_above_one(text: str, decimal: str) -> bool:
    """Whether a cell is a plain number (no percent sign) beyond ±1."""
    if is_percent(text):
        return False
    value = _value(text, decimal)
    return value is not None and abs(value) > 1


def percent_sql(text: str) -> str:
    """SQL true where the cell (SQL text) carries a percent sign."""
    return " OR ".join(f"contains({text}, {quote_text(s)})" for s in PERCENT_SIGNS)


def kind_sql(value: str, percent: str) -> str:
    """SQL for a cell's kind: `PERCENT`, `PLAIN_ABOVE_ONE` or 0 (a plain number within ±1, a
    missing or bad cell), from its value (`numbers.number_sql`) and whether it carries a
    percent sign (`percent_sql`)."""
    return (
        f"(CASE WHEN {value} IS NULL THEN 0 WHEN {percent} THEN {PERCENT} "
        f"WHEN abs({value}) > 1 THEN {PLAIN_ABOVE_ONE} ELSE 0 END)"
    )


def slot(position: int) -> tuple[int, int]:
    """Where the flags of a scan's `position`-th text number column are (`flag_sql`, three
    bits): (the integer, 0 for a scan's `__bad`, whose bit 0 is its other bad cells; the
    shift). Twenty columns an integer: one aggregate for all, not one per column, which would
    cost a scan more than the flags do."""
    return position // 20, 1 + 3 * (position % 20)


def flag_sql(
    cell: str,
    value: str,
    fast: str,
    shift: int = 0,
    plain: bool = True,
    currency: tuple[str, list[str]] | None = None,
) -> str:
    """SQL for what a scan counts of a text number cell, in one CASE: `BAD` where
    `numbers.bad_number_sql` is true (or where the cell is in a currency not listed in
    `currency`, (decimal mark, currencies)), else its `kind_sql`, shifted left by `shift`.
    `value` is the cell's `number_sql(..., signs=False)`, `fast` its `numbers.fast_sql`
    (computed once per cell): the cells DuckDB's cast reads show no percent sign and no
    currency, and two signs (`+-5`) are looked for in those at or below zero only; the percent
    sign and the currency are looked for in the few other cells. `plain=False` leaves out the
    kind of the cells the cast reads (a column whose sampled cells show no percent sign: where
    the scan then finds one, the cells are read again)."""
    bad, percent, above = (flag << shift for flag in (BAD, PERCENT, PLAIN_ABOVE_ONE))
    cast = f"WHEN {fast} AND {value} > 1 THEN {above} " if plain else ""
    below = f"WHEN {value} < -1 THEN {above} " if plain else ""
    other = ""
    if currency:
        mark = currency_sql(Expr(cell), currency[0], "VARCHAR", fast)
        other = f"WHEN coalesce({mark} NOT IN ({', '.join(map(quote_text, currency[1]))}), FALSE) "
        other += f"THEN {bad} "
    return (
        f"(CASE {cast}WHEN {fast} AND {value} > 0 THEN 0 "
        f"WHEN {fast} THEN (CASE WHEN contains({cell}, '+-') THEN {bad} {below}ELSE 0 END) "
        f"WHEN {value} IS NULL THEN (CASE WHEN {missing_sql(Expr(cell))} THEN 0 ELSE {bad} END) "
        f"{other}WHEN {percent_sql(cell)} THEN {percent} "
        f"WHEN abs({value}) > 1 THEN {above} ELSE 0 END)"
    )


def mixed(cells: Iterable[str], decimal: str) -> tuple[str, str] | None:
    """(the first plain cell beyond ±1, the first percentage) of a column that mixes them, or
    None (see the module)."""
    plain = percent = None
    for text in cells:
        if percent is None and is_percent(text) and _number(text, decimal):
            percent = text
        elif plain is None and plain_above_one(text, decimal):
            plain = text
        if plain is not None and percent is not None:
            return plain, percent
    return None


def mixed_message(
    column: str, plain: tuple[str, float], percent: tuple[str, float], line: int = 0
) -> tuple[str, str]:
    """(message, fix) of a column mixing a percentage (its text and value, on `line` when
    known) with a plain number beyond ±1 (its text and value)."""
    (text, value), (sign, fraction) = plain, percent
    where = f", line {line}" if line else ""
    return (
        f"column `{column}` mixes percentages (`{shown(sign)}`{where}) with plain numbers: "
        f"`{shown(text)}` is {value * 100:g}% as a fraction, or {value:g}% with its `%` left out",
        f"write every cell of `{column}` with `%` (`{value:g}%`), or every cell as a fraction "
        f"(`{fraction:g}` for `{shown(sign)}`)",
    )


def _number(text: str, decimal: str) -> bool:
    return _value(text, decimal) is not None


def _value(text: str, decimal: str) -> float | None:
    """A cell's value, None when missing or bad: a plain cell without the grammar's patterns
    (`decimals.plain_reading`, thousands of sampled cells), the others with them."""
    plain = plain_reading(text, decimal)
    if plain is None or not isinstance(plain, bool):
        return plain
    try:
        value = read_number(text, decimal).value
    except NumberError:
        return None
    return None if math.isnan(value) else value
