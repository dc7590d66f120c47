"""The `date_format` a date cell no detected format reads is written in, for the error's fix.

`spec_of("2024-Jan-15")` is `%Y-%b-%d`: each part of the cell as the directive that reads it
(a four-digit year `%Y`, a month name `%b`, a weekday name `%a`, a time `%H:%M`, the other
numbers a day `%d` then a two-digit year `%y`, words and marks as written), kept only when the
spec compiles and reads the cell back, else None: an example the message can promise.
"""

from __future__ import annotations

import re

from .dateformat import compile_format
from .datespec import month_names
from .missing import is_missing
from .numbers import normalize

__all__ = ["spec_of"]

#: A cell's parts, in the order tried: a time, a number, a word (`segunda-feira` is one), the
#: other characters one by one.
_PART = re.compile(
    r"(?P<time>(?<![0-9])[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?![0-9]))"
    r"|(?P<number>[0-9]+)"
    r"|(?P<word>[^\W\d_](?:(?:[^\W\d_]|[\u200c-])*[^\W\d_])?\.?)"
    r"|(?P<other>.)",
    re.DOTALL,
)
_TIME_WORDS = {"am": "%p", "pm": "%p", "utc": "%Z", "gmt": "%Z"}


def spec_of(cell: str) -> str | None:
    """The spec that reads a date cell written with a month name (see the module), None when
    the cell names no month or its parts do not make one date."""
    if is_missing(cell):
        return None
    text = normalize(cell).strip()
    months, days = month_names()
    parts: list[str] = []
    numbers: list[int] = []  # where the numbers of one or two digits are in `parts`
    for found in _PART.finditer(text):
        kind, value = found.lastgroup, found[0]
        if kind == "time":
            parts.append("%H:%M:%S" if value.count(":") == 2 else "%H:%M")
        elif kind == "number" and len(value) == 4 and value[0] in "12":
            parts.append("%Y")
        elif kind == "number" and len(value) <= 2:
            numbers.append(len(parts))
            parts.append(value)
        elif kind == "number":
            return None  # a number of three or five digits or more is no part of a date
        elif kind == "word":
            name = value.lower().rstrip(".")
            if name in months or name in days:
                parts.append("%b" if name in months else "%a")
                # a name's own `.` is optional in the spec (`mai`, `janv.`); one right
                # before a number or a word is a separator (`Jan.2024`)
                follows = text[found.end() : found.end() + 1]
                parts.append("." if value.endswith(".") and follows.isalnum() else "")
            else:
                parts.append(_TIME_WORDS.get(name, value))
        else:
            parts.append("%%" if value == "%" else value)
    if parts.count("%b") != 1 or parts.count("%Y") > 1:
        return None
    if "%Y" not in parts:  # `15-Jan-24`, `Jan-24`: the last number of two digits is the year
        two = [i for i in numbers if len(parts[i]) == 2]
        if not two:
            return None
        parts[two[-1]] = "%y"
        numbers.remove(two[-1])
    if len(numbers) > 1:
        return None  # two numbers beside the month and the year: not one date
    if numbers:
        parts[numbers[0]] = "%d"
    spec = "".join(parts)
    try:
        fmt = compile_format(spec)
    except ValueError:
        return None
    return spec if fmt.reading(text)[0] is not None else None
