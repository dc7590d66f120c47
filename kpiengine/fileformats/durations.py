"""Durations in cells, in seconds: `00:02:13`, `2:13`, `1h 2m 3s`, `2分13秒`, or plain seconds.

Accepted, and nothing else: `h:mm:ss` (minutes and seconds below 60), `m:ss` (any minutes),
either with a fraction of a second (`00:00:12.5`); hours, minutes and seconds with their units
in that order, each at most once (`1h 2m`, `2 min 13 s`, `1.5 hours`), units in English,
French, Dutch, Chinese and Persian; a plain number of seconds with the column's decimal mark
(`48.7887`, `45,5`). The Arabic decimal separator `٫` is a decimal mark everywhere, as in
numbers (`۴۸٫۵`). Other digits read as ASCII digits. Signs, percentages, currencies and
thousands separators are errors; missing cells (`missing.MISSING`) read as NaN.

Like numbers, each form is a `sql.Rewrite` of the cell, here into `hours|minutes|seconds`, and
Python and DuckDB add `h * 3600 + m * 60 + s` in the same order, so they agree to the bit.
"""

from __future__ import annotations

import math
from functools import lru_cache

from .missing import is_missing, missing_sql
from .numbers import DECIMALS, normalize, normalize_sql
from .sql import (
    GAP,
    WHITESPACE,
    CellError,
    Rewrite,
    alternatives,
    bind_sql,
    char_class,
    column_sql,
    spelt,
)

__all__ = ["DurationError", "bad_duration_sql", "duration_sql", "parse_duration"]

DurationError = CellError  # the error of a cell that is not a duration
ARABIC_DECIMAL = "\u066b"  # `٫`, as the number grammar reads it
_UNITS = {
    "h": "h hr hrs hour hours heure heures uur 小时 小時 时 時 ساعت",
    "m": "m min mins minute minutes minuut minuten 分 分钟 分鐘 دقیقه",
    "s": "s sec secs second seconds seconde secondes seconden 秒 秒钟 秒鐘 ثانیه",
}
_EXPECTED = "a duration like `00:02:13`, `1h 2m 3s` or a number of seconds"


@lru_cache(maxsize=2)
def _rewrites(decimal: str) -> tuple[Rewrite, Rewrite, Rewrite]:
    """(plain seconds, clock, units): each rewrites a cell into `hours|minutes|seconds`."""
    if decimal not in DECIMALS:
        raise ValueError(f"the decimal mark must be '.' or ',', not {decimal!r}")
    ws, g = char_class(WHITESPACE) + "*", char_class(GAP) + "*"
    mark = char_class(decimal + ARABIC_DECIMAL)  # `٫` is a decimal mark wherever it is written
    point = ((",", "."), (ARABIC_DECIMAL, "."))
    seconds = f"([0-9]+(?:{mark}[0-9]*)?|{mark}[0-9]+)"
    plain = Rewrite(f"{ws}{seconds}{ws}", f"{ws}{seconds}{ws}", "0|0|\\1", point)
    fraction = char_class(".," + ARABIC_DECIMAL)
    clock = f"{ws}(?:([0-9]+):([0-5]?[0-9])|([0-9]+)):([0-5][0-9])(?:{fraction}([0-9]+))?{ws}"
    clock_rewrite = Rewrite(clock, clock, "0\\1|0\\2\\3|\\4.\\5")
    amount = f"([0-9]+(?:{fraction}[0-9]+)?)"
    part = {
        u: f"{amount}{g}{alternatives([spelt(w) for w in words.split()])}\\.?"
        for u, words in _UNITS.items()
    }
    h, m, s = (part[u] for u in "hms")
    exact = f"{ws}(?:{h}(?:{g}{m})?(?:{g}{s})?|{m}(?:{g}{s})?|{s}){ws}"
    loose = f"{ws}(?:{h})?{g}(?:{m})?{g}(?:{s})?{ws}"
    units = Rewrite(exact, loose, "0\\1|0\\2|0\\3", point)
    return plain, clock_rewrite, units


def parse_duration(text: object, decimal: str = ".") -> float:
    """Seconds in a duration cell (NaN when missing); raises DurationError otherwise."""
    rewrites = _rewrites(decimal)
    if is_missing(text):
        return math.nan
    normal = normalize(str(text))
    for rewrite in rewrites:
        out = rewrite.py(normal)
        if out is not None:
            hours, minutes, seconds = (float(p) for p in out.split("|"))
            return hours * 3600 + minutes * 60 + seconds
    raise DurationError(str(text), _EXPECTED)


def duration_sql(column: str, decimal: str = ".") -> str:
    """SQL for a duration cell's seconds as a DOUBLE, NULL when missing or bad."""
    col = column_sql(column)
    text = normalize_sql(col)
    parts = ", ".join(r.sql(text) for r in _rewrites(decimal))
    total = (
        "CAST(split_part(r, '|', 1) AS DOUBLE) * 3600 + CAST(split_part(r, '|', 2) AS DOUBLE) * 60"
        " + CAST(split_part(r, '|', 3) AS DOUBLE)"
    )
    value = bind_sql(f"coalesce({parts})", "r", total)
    if decimal == ".":  # plain seconds, most cells of a GA export: a plain cast
        plain = f"regexp_full_match({col}, '[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+')"
        value = f"(CASE WHEN {plain} THEN TRY_CAST({col} AS DOUBLE) ELSE {value} END)"
    return f"(CASE WHEN {missing_sql(column)} THEN NULL ELSE {value} END)"


def bad_duration_sql(column: str, decimal: str = ".", value: str | None = None) -> str:
    """SQL true where a cell is present but not a duration."""
    value = value or duration_sql(column, decimal)
    col = column_sql(column)  # a CASE: the missing-cell test only where there is no value
    return (
        f"(CASE WHEN {value} IS NOT NULL OR {col} IS NULL THEN FALSE "
        f"ELSE NOT {missing_sql(column)} END)"
    )
