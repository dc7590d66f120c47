"""The one list of cell texts that mean "no value", for Python and DuckDB alike.

A cell is missing when, once trimmed of whitespace (`sql.WHITESPACE`, which includes no-break
spaces), it is one of `MISSING` in any case: empty, a dash the platforms print for "no data"
(`-`, `--` as Google Ads writes it, `–`, `—`), an explicit not-available (`n/a`, `na`), a null
as programs write it (`null`, `none`, `nan`), or GA's placeholders (`(not set)`,
`(not provided)`).

Deliberately not missing, because they are errors or real values:
- `#N/A`, `#DIV/0!` and the other spreadsheet error values: a formula failed, the number is
  unknown rather than absent, so the cell is an error naming the file, line and column.
- `0`, `0.00`, `$0`: zero is a value.
- `inf`, `infinity`: not a number a KPI can use; an error.
- `−` (the minus sign alone), `?`, `x`, `unknown`, `no data`: rare and ambiguous; errors, so that
  a user sees them rather than a silently smaller sum.

The list is for value cells (numbers, dates, durations). In a dimension column GA's `(not set)`
is a real segment (a channel, a campaign): connectors keep dimension labels as they are.
"""

from __future__ import annotations

import math

from .sql import (
    WHITESPACE,
    alternatives,
    anchored,
    char_class,
    column_sql,
    full_regex,
    literal,
    quote_text,
    spelt,
)

__all__ = ["MISSING", "MISSING_PATTERN", "is_missing", "missing_sql"]

#: The texts of a missing value, lower case (compared case-insensitively, after trimming).
MISSING: tuple[str, ...] = (
    "",
    "-",
    "--",
    "–",  # en dash
    "—",  # em dash
    "n/a",
    "na",
    "null",
    "none",
    "nan",
    "(not set)",
    "(not provided)",
)

_WS = char_class(WHITESPACE) + "*"
#: The whole-cell pattern of a missing value, shared by `is_missing` and `missing_sql`.
MISSING_PATTERN = (
    _WS + alternatives([spelt(m) if m.isascii() else literal(m) for m in MISSING if m]) + "?" + _WS
)


def is_missing(text: object) -> bool:
    """Whether a cell means no value: None, a float NaN, or one of `MISSING` once trimmed."""
    if text is None:
        return True
    if isinstance(text, float):
        return math.isnan(text)
    return full_regex(MISSING_PATTERN).fullmatch(str(text)) is not None


def missing_sql(column: str) -> str:
    """SQL true where the text cell is NULL or missing (`is_missing`), one regex per cell."""
    col = column_sql(column)
    return f"({col} IS NULL OR regexp_full_match({col}, {quote_text(anchored(MISSING_PATTERN))}))"
