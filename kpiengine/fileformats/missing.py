"""The one list of cell texts that mean "no value", for Python and DuckDB alike.

A cell is missing when, once trimmed of whitespace (`sql.WHITESPACE`, which includes no-break
spaces), it is one of `MISSING` in any case: empty, a dash the platforms print for "no data"
(`-`, `--` as Google Ads writes it, `–`, `—`), an explicit not-available (`n/a`, `na`), a null
as programs write it (`null`, `none`, `nan`), or GA's placeholders (`(not set)`,
`(not provided)`).

Deliberately not missing, because they are errors or real values:
- `#N/A`, `#DIV/0!` and the other spreadsheet error values (`ERRORS`): a formula failed, the
  number is unknown rather than absent, so the cell is an error naming the file, line and
  column; in a value column, and in the column of a `count:` or `distinct:` (a row whose id is
  unknown can be neither counted nor left out).
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

__all__ = [
    "ERRORS",
    "ERROR_PATTERN",
    "MISSING",
    "MISSING_PATTERN",
    "NO_VALUE_PATTERN",
    "is_missing",
    "is_spreadsheet_error",
    "missing_sql",
]

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

#: Spreadsheet error values (Excel, LibreOffice, Google Sheets), compared case-insensitively.
ERRORS: tuple[str, ...] = (
    "#N/A",
    "#DIV/0!",
    "#REF!",
    "#VALUE!",
    "#NAME?",
    "#NUM!",
    "#NULL!",
    "#SPILL!",
    "#CALC!",
    "#FIELD!",
    "#BLOCKED!",
    "#CONNECT!",
    "#BUSY!",
    "#UNKNOWN!",
    "#ERROR!",
    "#GETTING_DATA",
)
#: The whole-cell pattern of a spreadsheet error value (every one begins with `#`).
ERROR_PATTERN = _WS + alternatives([spelt(e) for e in ERRORS]) + _WS
#: A cell without a usable value: missing or an error; one regex, so that the test of an id's
#: presence costs what it did, the error being told apart (it begins with `#`) only on its rows.
NO_VALUE_PATTERN = (
    _WS
    + alternatives([spelt(m) if m.isascii() else literal(m) for m in MISSING if m]
                   + [spelt(e) for e in ERRORS])
    + "?"
    + _WS
)  # fmt: skip


def is_spreadsheet_error(text: str) -> bool:
    """Whether a cell is a spreadsheet error value (`ERRORS`), once trimmed."""
    return full_regex(ERROR_PATTERN).fullmatch(text) is not None


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
