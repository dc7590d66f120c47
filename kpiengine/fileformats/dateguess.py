"""The `date_format` a date cell no detected format reads is written in, for the error's fix.

`spec_of("2024-Jan-15")` is `%Y-%b-%d`: each part of the cell as the directive that reads it
(a four-digit year `%Y`, a month name `%b`, a weekday name `%a`, a time `%H:%M`, words and
marks as written). A number of one or two digits beside the month is its day, unless the cell
has no other place for the year: then it is a two-digit year `%y`; the second of two such
numbers (`15-Jan-24`), one marked by an apostrophe (`Jan '24`), one that is no day (`Jan 45`)
or Excel's `mmm-yy` (`Jan-24`, which detection reads as a month). A weekday names a day, so its
cell's lone number is the day. A cell with a month's name and no year (`15 Jan`, `Thu, 15 Jan`)
is `lacks_year`: no spec reads it as the date a person does. A spec is kept only when it
compiles and reads the cell back to the date a person reads in it (a two-digit year the
closest one not after next year: `99` is 1999, which `%y` reads as 2099): a fix the message can
promise, never one that misdates the rows. `unread` is the error of a column no detected
format reads: why none can (no year, a serial written with a thousands separator), else the
spec to set, printed as YAML (`dateformat.yaml_text`).
"""

from __future__ import annotations

import datetime as dt
import re

from kpiengine.errors import KpiError, Location

from .dateformat import GROUPED_FIX, LANGUAGES, compile_format, grouped_serial, yaml_text
from .datespec import month_names
from .missing import is_missing
from .numbers import normalize
from .sql import shown

__all__ = ["lacks_year", "spec_of", "unread"]

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
_APOSTROPHES = "'\u2019"  # `Jan '24`, `Jan ’24`: a year written short


class _Cell:
    """A cell's parts, as directives or as written (see the module): where its years and its
    short numbers are among them, the months it names, whether it names a weekday."""

    def __init__(self, text: str) -> None:
        months, days = month_names()
        self.parts: list[str] = []
        self.months: list[int] = []
        self.years: list[int] = []  # where the four-digit years are in `parts`
        self.numbers: list[int] = []  # where the numbers of one or two digits are
        self.weekday = False
        self.valid = True  # False: a number of three or five digits or more, no date's part
        for found in _PART.finditer(text):
            kind, value = found.lastgroup, found[0]
            if kind == "time":
                self.parts.append("%H:%M:%S" if value.count(":") == 2 else "%H:%M")
            elif kind == "number" and len(value) == 4 and value[0] in "12":
                self.years.append(len(self.parts))
                self.parts.append(value)
            elif kind == "number" and len(value) <= 2:
                self.numbers.append(len(self.parts))
                self.parts.append(value)
            elif kind == "number":
                self.valid = False
            elif kind == "word" and ((name := value.lower().rstrip(".")) in months or name in days):
                if name in months:
                    self.months.append(months[name])
                self.weekday |= name not in months
                self.parts.append("%b" if name in months else "%a")
                # a name's own `.` is optional in the spec (`mai`, `janv.`); one right
                # before a number or a word is a separator (`Jan.2024`)
                follows = text[found.end() : found.end() + 1]
                self.parts.append("." if value.endswith(".") and follows.isalnum() else "")
            elif kind == "word":
                self.parts.append(_TIME_WORDS.get(value.lower(), value))
            else:
                self.parts.append("%%" if value == "%" else value)

    def short_year(self) -> int | None:
        """Where the two-digit year is in `parts` (see the module), None when there is none."""
        if self.years or not self.numbers:
            return None
        marked = [i for i in self.numbers if i and self.parts[i - 1] in _APOSTROPHES]
        if len(marked) == 1 or len(self.numbers) == 2:
            return marked[0] if len(marked) == 1 else self.numbers[-1]
        if len(self.numbers) > 1 or self.weekday:
            return None
        (i,) = self.numbers
        if int(self.parts[i]) > 31 or self.parts[i] == "00":
            return i  # no day: the number can only be a year
        excel = self.parts[: i + 1] == ["%b", "", "-", self.parts[i]] and i == len(self.parts) - 1
        return i if excel and len(self.parts[i]) == 2 else None


def lacks_year(cell: str) -> bool:
    """Whether a cell names a month (`15 Jan`, `Thu, 15 Jan`, `January`) but no year: a day
    or month no `date_format` reads as a date (see the module)."""
    if is_missing(cell):
        return False
    parsed = _Cell(normalize(cell).strip())
    named = parsed.valid and len(parsed.months) == 1 and len(parsed.numbers) <= 1
    return named and not parsed.years and parsed.short_year() is None


def spec_of(cell: str) -> str | None:
    """The spec that reads a date cell written with a month name (see the module), None when
    the cell names no month, no year, or its parts do not make one date a spec reads back."""
    if is_missing(cell):
        return None
    text = normalize(cell).strip()
    parsed = _Cell(text)
    parts = parsed.parts
    if not parsed.valid or len(parsed.months) != 1 or len(parsed.years) > 1:
        return None
    short = parsed.short_year()
    if short is None and not parsed.years:
        return None  # `15 Jan`: no year
    days = [i for i in parsed.numbers if i != short]
    if len(days) > 1:
        return None  # two numbers beside the month and the year: not one date
    year = int(parts[parsed.years[0]]) if short is None else _century(int(parts[short]))
    expected = _day(year, parsed.months[0], int(parts[days[0]]) if days else 1)
    for i in parsed.years:
        parts[i] = "%Y"
    if short is not None:
        parts[short] = "%y"
    if days:
        parts[days[0]] = "%d"
    spec = "".join(parts)
    try:
        fmt = compile_format(spec)
    except ValueError:
        return None
    # the check that the spec reads the date a person reads, not merely some date
    return spec if expected and fmt.reading(text)[0] == expected else None


def _century(year: int) -> int:
    """The year a person reads in two digits: the latest not after next year (`99`: 1999)."""
    from kpiengine.today import today  # noqa: PLC0415 - the engine's today, imported late

    return 2000 + year if 2000 + year <= today().year + 1 else 1900 + year


def _day(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


# --- the error of a column no format reads ------------------------------------------------------


def unread(
    cells: list[str], column: str, where: Location | None, line: str, excel_serials: bool
) -> KpiError:
    """The error of a date column no detected format reads (`cells`: its distinct cells, the
    first at `where`, `line` its ` (line N)`): a serial number written with a thousands
    separator (`45,306`, when `excel_serials`), a date without its year (`15 Jan`: no
    `date_format` reads it), else the `date_format` to set, its own (`spec_of`) or an example."""
    cell = cells[0]
    grouped = grouped_serial(cell) if excel_serials else None
    cannot = f"cannot tell the format of the dates in column `{column}`"
    if grouped:
        return KpiError(f"{cannot}: `{cell}`{line} is {grouped}", where, GROUPED_FIX)
    if any(c.isalpha() for c in cell) and lacks_year(cell):
        return KpiError(
            f"{cannot}: `{shown(cell)}`{line} has no year, and a day or month without its year "
            "is no date any `date_format` reads",
            where,
            "export the dates with their years (`15 Jan 2024`, `Jan 2024`)",
        )
    example = "'%d/%m/%Y'`"
    if ISO_START.match(cell):  # `2024-01-31 22:00:00 CET`: the day is ISO
        example = _iso_example(cells)
    elif any(c.isalpha() for c in cell):
        example = _named_example(cell)
    return KpiError(
        f"{cannot} (e.g. `{shown(cell)}`)",
        where,
        f"set the source option `date_format`, e.g. `date_format: {example}",
    )


#: A cell starting with an ISO day (`2024-01-31`, then a time or nothing).
ISO_START = re.compile(r"\s*[12][0-9]{3}-[01][0-9]-[0-3][0-9](?![0-9])")
_ISO_TIME = (  # a time's parts as written -> their directives
    (re.compile(r"\s[A-Z]{2,5}\s*$"), " \x00Z"),  # a zone's name at the end (`CET`)
    (re.compile(r"(?<=:[0-9]{2})[.,][0-9]+"), ".\x00f"),
    (re.compile(r"[+-][0-9]{2}(?::?[0-9]{2})?"), "\x00z"),
    (re.compile(r"[0-9]{1,2}:[0-9]{2}:[0-9]{2}"), "\x00H:\x00M:\x00S"),
    (re.compile(r"[0-9]{1,2}:[0-9]{2}"), "\x00H:\x00M"),
)


def _iso_example(cells: list[str]) -> str:
    """The `date_format` example for ISO days followed by what no format reads: the first
    cell's own spec when it reads the first cells (`%Y-%m-%d %H:%M:%S %Z`), else the
    directives of a time."""
    rest = cells[0].strip()[10:].replace("%", "%%")
    for pattern, directives in _ISO_TIME:
        rest = pattern.sub(directives, rest)
    spec = "%Y-%m-%d" + rest.replace("\x00", "%")
    try:
        fmt = None if re.search("[0-9]", rest) else compile_format(spec)
    except ValueError:
        fmt = None
    # the spec must read each cell's own ISO day, not merely some day
    if fmt and all(_iso_day(t) == fmt.reading(normalize(t))[0] for t in cells[:16]):
        return f"{yaml_text(spec)}`"
    return (
        "'%Y-%m-%d %H:%M:%S%z'` written as the cells are (`%H:%M:%S`: a time, `%f`: its "
        "fraction, `%z`: an offset such as `+01:00`, `%Z`: a zone's abbreviation)"
    )


def _iso_day(cell: str) -> dt.date | str:
    """The ISO day a cell starts with, "" when it starts with none (no reading equals it)."""
    found = ISO_START.match(cell)
    try:
        return dt.date.fromisoformat(found[0].strip()) if found else ""
    except ValueError:
        return ""


def _named_example(cell: str) -> str:
    """The `date_format` example for a cell of words no format reads: the spec its parts are
    written in (`spec_of`: `'%Y-%b-%d'` for `2024-Jan-15`), else one with every name's
    directive, and whether any of its words is a month name the reader knows."""
    spec = spec_of(cell)
    if spec is not None:
        return f"{yaml_text(spec)}`"
    example = (
        "'%a, %d %b %Y'` written as the cells are (`%a`: a weekday's name, `%d`: a day, "
        "`%b`: a month's name, `%Y`: a year)"
    )
    if not any(w.lower().rstrip(".") in month_names()[0] for w in re.findall(r"\w+", cell)):
        example += f"; no word of `{shown(cell)}` is a month name in {LANGUAGES}"
    return example
