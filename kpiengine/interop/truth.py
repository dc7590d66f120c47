"""The cells that read as true (or false) in a column SQL tests as a boolean.

`CASE WHEN flag THEN 1 ELSE 0 END`, `flag = TRUE` and MetricFlow's `agg: sum_boolean` keep the
rows whose flag is true. A `where:` compares cells as text, so the importers list every text a
true cell holds: a BOOLEAN column reads as `true`, a text column as any spelling the databases
cast to true (`t`, `yes`, `y`, `on`, `1`, in any of three cases). A number column (0/1) is
compared as numbers, where only `1` is true: `for_type` gives each kind of column its list.
"""

from __future__ import annotations

import re

_WORDS = {
    "true": ("true", "t", "yes", "y", "on", "1"),
    "false": ("false", "f", "no", "n", "off", "0"),
}
_NUMBER = re.compile(r"U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?\d*|DOUBLE|FLOAT\d*|REAL|DECIMAL|NUMERIC")


def spellings(value: bool) -> list[str]:
    """Every text a true (or false) cell of a boolean or text column holds."""
    out: list[str] = []
    for word in _WORDS["true" if value else "false"]:
        for text in (word, word.capitalize(), word.upper()):
            if text not in out:
                out.append(text)
    return out


TRUE, FALSE = spellings(True), spellings(False)


def truth_of(values: list[str]) -> bool | None:
    """True or False when `values` are the spellings of that value, else None."""
    return True if values == TRUE else False if values == FALSE else None


def for_type(value: bool, column_type: str) -> list[str]:
    """The `where:` values of a true (or false) cell of a column of this database type: `1`
    (`0`) for a number, `true` (`false`) for a BOOLEAN, every spelling for text."""
    bare = column_type.upper().split("(")[0].strip()
    if _NUMBER.fullmatch(bare):
        return ["1" if value else "0"]
    if bare in ("BOOLEAN", "BOOL"):
        return ["true" if value else "false"]
    return spellings(value)
