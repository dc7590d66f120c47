"""Dates in cells: one format per column, detected from a sample, read alike by Python and SQL.

A format is a strptime-like spec (`%d/%m/%Y`, `%a, %d %b %Y`, `%Y-%m`), compiled once into a
`sql.Rewrite` of the cell into `year-month-day` text that Python (`datetime.date`) and DuckDB
(`CAST(... AS DATE)`) both check against the calendar. Directives: `%Y` `%y` (20yy) `%m` `%d`,
`%b`/`%B` (month names, abbreviated or not, in English, French, German, Spanish, Italian,
Dutch, Portuguese and Persian, from Babel's CLDR data, any case, optional final `.`), `%a`/`%A`
(weekday names, read and ignored), `%H` `%I` `%M` `%S` `%f` `%p` `%z` `%Z` `%T` (times, ignored:
a row is dated by its day), `%~` (an optional ISO or `hh:mm[:ss] [AM]` time), `%%`; a space
matches one or more spaces. A spec without `%d` has the grain of a month: its rows cover the
whole month, dated by its first day. Two specs are special: `excel`, serial day numbers
(`45292` is 2024-01-01) in 1990-2099, and a `jalali:` prefix for Persian (Solar Hijri) dates.

`detect_date_format` picks the format that reads most of a sample: day/month orders that both
read it raise an error naming the ambiguous values and asking for `date_format`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from kpiengine.errors import KpiError, Location

from .datespec import (
    EXCEL,
    EXCEL_EPOCH,
    EXCEL_RANGE,
    FAST,
    JALALI_YEARS,
    Compiled,
    compile_spec,
    jalali_days,
    jalali_sql,
    month_names,
)
from .missing import is_missing, missing_sql
from .numbers import normalize, normalize_sql
from .sql import CellError, Rewrite, bind_sql, column_sql, full_regex, quote_text, shown

__all__ = [
    "DATE_FORMATS",
    "DateFormat",
    "DateError",
    "compile_format",
    "detect_date_format",
    "may_read",
    "read_date",
]

_ISO = re.compile(
    r"[12][0-9]{3}-[01][0-9]-[0-3][0-9](?:[ T](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?)?"
)
DateError = CellError  # the error of a cell that is not a date in the expected format
#: Formats tried by `detect_date_format`, most specific first; a `%d`/`%m` pair is tried both
#: ways round.
DATE_FORMATS = (
    "%Y-%m-%d%~",
    "%Y%m%d",
    "%Y%m%d%H",
    "%Y/%m/%d%~",
    "%Y.%m.%d",
    "%d/%m/%Y%~",
    "%d.%m.%Y%~",
    "%d-%m-%Y%~",
    "%d/%m/%y%~",
    "%d.%m.%y",
    "%d %b %Y",
    "%d. %b %Y",
    "%b %d, %Y",
    "%b %d %Y",
    "%a, %d %b %Y",
    "%a %d %b %Y",
    "%a, %b %d, %Y",
    "%a %d. %b %Y",
    "%d de %b de %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%Y年%m月%d日",
    "%Y-%m",
    "%Y%m",
    "%Y/%m",
    "%m/%Y",
    "%m.%Y",
    "%m-%Y",
    "%b %Y",
    "%b-%Y",
    "%b-%y",  # Excel's `mmm-yy` (`Jan-24`): a month, as a year-less day would be no date
    "%Y年%m月",
)


@dataclass(frozen=True)
class DateFormat:
    """A date format: its spec, the grain of its dates, how to read it in Python and SQL."""

    spec: str
    grain: str  # "day", or "month" when the dates name a month
    kind: str = "gregorian"  # or "jalali", "excel"
    compiled: Compiled = field(repr=False, compare=False, default=EXCEL)

    @property
    def rewrite(self) -> Rewrite:
        c = self.compiled
        return Rewrite(c.exact, c.loose, c.template)

    @property
    def expected(self) -> str:
        if self.kind == "excel":
            return "a spreadsheet date serial number (1990 to 2099)"
        return f"a date in the format `{self.spec}`"

    def read(self, text: object) -> dt.date | None:
        """The date of a cell (its first day for a month grain); None when missing.

        Raises DateError (a `CellError`) naming the cell and the format expected.
        """
        if is_missing(text):
            return None
        cell = normalize(str(text))
        probe = self.compiled.probe  # fails fast, without compiling the lists of names
        out = None if probe and full_regex(probe).fullmatch(cell) is None else self.rewrite.py(cell)
        day = None if out is None else self._date(out)
        if day is None:
            raise DateError(
                str(text),
                self.expected,
                f"set the source's `date_format:` if the dates are not in the format `{self.spec}`",
            )
        return day

    def _date(self, text: str) -> dt.date | None:
        if self.kind == "excel":
            serial = int(text)
            if not EXCEL_RANGE[0] <= serial <= EXCEL_RANGE[1]:
                return None
            return EXCEL_EPOCH + dt.timedelta(days=serial)
        year, month, day = text.split("-")
        number = month_names()[0][month.lower()] if self.compiled.named else int(month)
        if self.kind == "jalali":
            y, d = int(year), int(day)
            if not JALALI_YEARS[0] <= y <= JALALI_YEARS[1] or (number > 6 and d > 30):
                return None
            return dt.date.fromordinal(jalali_days(y, number, d))
        try:
            return dt.date(int(year), number, int(day))
        except ValueError:
            return None

    def sql(self, column: str, type_: str | None = None) -> str:
        """SQL for a cell's DATE, NULL when missing or bad (`bad_sql` tells which)."""
        col = column_sql(column)
        kind = (type_ or "VARCHAR").upper()
        if kind == "DATE" or kind.startswith("TIMESTAMP"):
            return f"CAST({col} AS DATE)"
        if kind not in ("VARCHAR", "TEXT", "STRING"):
            col = f"CAST({col} AS VARCHAR)"  # `20240601` typed as a number, say
        rewritten = self.rewrite.sql(normalize_sql(col))
        if self.kind == "excel":
            r = "r"
            body = (
                f"CASE WHEN CAST({r} AS INTEGER) BETWEEN {EXCEL_RANGE[0]} AND {EXCEL_RANGE[1]}"
                f" THEN DATE '{EXCEL_EPOCH.isoformat()}' + CAST({r} AS INTEGER) END"
            )
            value = bind_sql(rewritten, r, body)
        elif self.kind == "jalali":
            value = bind_sql(rewritten, "r", jalali_sql("r"))
        elif self.compiled.named:
            months = ", ".join(
                f"{quote_text(n)}: '{m}'" for n, m in sorted(month_names()[0].items())
            )
            month = f"MAP {{{months}}}[lower(split_part(r, '-', 2))]"
            text = f"split_part(r, '-', 1) || '-' || {month} || '-' || split_part(r, '-', 3)"
            value = bind_sql(rewritten, "r", f"TRY_CAST({text} AS DATE)")
        else:
            value = f"TRY_CAST({rewritten} AS DATE)"
        missing = f"WHEN {missing_sql(column)} THEN NULL ELSE {value}"
        fast = FAST.get(self.spec)
        if fast is not None:  # ISO and compact dates: a plain cast where the text is plain
            condition, cast = fast(col)
            return f"(CASE WHEN {condition} THEN {cast} {missing} END)"
        return f"(CASE {missing} END)"

    def bad_sql(self, column: str, type_: str | None = None, value: str | None = None) -> str:
        """SQL true where a cell is present but not a date in this format."""
        value = value or self.sql(column, type_)
        col = column_sql(column)  # a CASE: the missing-cell test only where there is no date
        return (
            f"(CASE WHEN {value} IS NOT NULL OR {col} IS NULL THEN FALSE "
            f"ELSE NOT {missing_sql(column)} END)"
        )


@lru_cache(maxsize=128)
def compile_format(spec: str) -> DateFormat:
    """The format of a spec: strptime-like (see the module), `excel`, or `jalali:` + spec.

    Raises ValueError for a spec this reader cannot use.
    """
    if spec == "excel":
        return DateFormat(spec, "day", "excel", EXCEL)
    kind, _, inner = spec.rpartition(":") if spec.startswith("jalali:") else ("", "", spec)
    compiled = compile_spec(inner)
    if kind and compiled.named:
        raise ValueError("Persian (jalali) dates are read from numbers only")
    return DateFormat(spec, compiled.grain, kind or "gregorian", compiled)


#: Directives that read letters: month and weekday names (which need them), AM/PM, zones and
#: the time tail (`T`, `Z`).
_NAMES = ("%b", "%B", "%h", "%a", "%A")
_LETTERED = (*_NAMES, "%p", "%z", "%Z", "%~")
_DIGITS = {"%Y": 4, "%y": 2, "%m": 1, "%d": 1, "%H": 1, "%I": 1, "%M": 2, "%S": 2, "%f": 1}


@lru_cache(maxsize=256)
def _shape(spec: str) -> tuple[bool, bool, int, bool, bool]:
    """What a text the spec reads has: (letters needed, letters allowed, fewest digits, a month
    name, a weekday name)."""
    if spec == "excel":
        return False, False, 5, False, False
    spec = spec.removeprefix("jalali:")
    directives = re.findall("%.", spec)
    month, day = bool({"%b", "%B", "%h"} & set(directives)), bool({"%a", "%A"} & set(directives))
    needs = month or day or any(c.isalpha() for c in re.sub("%.", "", spec))
    reads = needs or any(d in directives for d in _LETTERED)
    return needs, reads, sum(_DIGITS.get(d, 0) for d in directives), month, day


@lru_cache(maxsize=4096)
def _traits(text: str) -> tuple[bool, int, bool, bool]:
    """(letters, digits, a month name, a weekday name) of a text, as `_shape` counts them."""
    text = normalize(text)
    letters = any(c.isalpha() for c in text)
    folded = text.lower()  # names are lower case; a letter's upper case folds back to it
    months, days = month_names() if letters else ({}, ())
    return (
        letters,
        sum(c.isdigit() for c in text),
        any(name in folded for name in months),
        any(name in folded for name in days),
    )


def may_read(spec: str, text: str) -> bool:
    """Whether a spec could read a text: a cheap test that spares compiling the patterns of
    formats that cannot match it (names need letters, and a month or weekday name among them;
    a spec of numbers and marks reads no letter; a year needs its digits)."""
    needs, reads, digits, month, day = _shape(spec)
    letters, count, has_month, has_day = _traits(text)
    return (
        (reads if letters else not needs)
        and count >= digits
        and (has_month or not month)
        and (has_day or not day)
    )


def read_date(text: str, spec: str) -> dt.date | None:
    """`compile_format(spec).read(text)`."""
    return compile_format(spec).read(text)


# --- detection ------------------------------------------------------------------------------


def _twin(spec: str) -> str | None:
    """The spec with day and month swapped, when both are numbers written before the year
    (a year written first is always followed by the month)."""
    year = max(spec.find("%Y"), spec.find("%y"))
    if not 0 <= spec.find("%d") < year or not 0 <= spec.find("%m") < year:
        return None
    return spec.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def _fits(fmt: DateFormat, text: str) -> bool:
    try:
        return fmt.read(text) is not None
    except CellError:
        return False


def detect_date_format(
    values: Sequence[str],
    *,
    date_format: str | None = None,
    excel_serials: bool = False,
    day_first: bool | None = None,
    within: tuple[dt.date, dt.date] | None = None,
    column: str = "date",
    locate: Callable[[int], Location] | None = None,
) -> DateFormat:
    """The format of a date column from a sample of its cells.

    `date_format` (the user's) wins. Otherwise each candidate (`DATE_FORMATS`, their day/month
    twins, their `jalali:` variants when every year is 1300-1499, and `excel` when
    `excel_serials`: the column is known to hold dates) is scored by the cells it reads; the
    best wins, the first listed on a tie. A format and its twin reading the same cells are
    told apart by `within` (the export's date range: the reading that stays in it), then by
    `day_first` (the export's locale); else KpiError names the ambiguous cells (`locate` turns a
    cell's index into its place in the file) and asks for `date_format`. The cells the chosen
    format does not read are the caller's to report.
    """
    if date_format:
        return compile_format(date_format)
    cells = [(i, str(v).strip()) for i, v in enumerate(values) if not is_missing(v)]
    distinct = list(dict.fromkeys(text for _, text in cells))
    where = locate(cells[0][0]) if locate and cells else None
    if not distinct:
        raise KpiError(f"no dates in column `{column}` to tell their format", where)
    if all(_ISO.fullmatch(t) and t[:2] in ("19", "20") for t in distinct):
        return compile_format(DATE_FORMATS[0])  # ISO days: the first format reads them all
    candidates = _candidates(distinct, excel_serials)
    # a format that reads none of the first cells is out (then each is tried on every cell)
    first = distinct[:16]
    kept = {s: f for s, f in candidates.items() if any(_fits(f, t) for t in first)}
    scores = {
        spec: sum(_fits(fmt, t) for t in distinct) for spec, fmt in (kept or candidates).items()
    }
    best = max(scores.values())
    if best == 0:
        raise KpiError(
            f"cannot tell the format of the dates in column `{column}` "
            f"(e.g. `{shown(distinct[0])}`)",
            where,
            "set the source option `date_format`, e.g. `date_format: '%d/%m/%Y'`",
        )
    chosen = next(spec for spec, score in scores.items() if score == best)
    twin = _twin(chosen.removeprefix("jalali:"))
    if twin is None or scores.get(twin, scores.get(f"jalali:{twin}", -1)) != best:
        return candidates[chosen]
    twin = f"jalali:{twin}" if chosen.startswith("jalali:") else twin
    return _choose_order(
        candidates[chosen], candidates[twin], cells, within, day_first, column, locate
    )


def _candidates(distinct: list[str], excel_serials: bool) -> dict[str, DateFormat]:
    specs: list[str] = []
    for spec in DATE_FORMATS:
        specs.append(spec)
        twin = _twin(spec)
        if twin:
            specs.append(twin)
    years = [
        int(y) for t in distinct for y in re.findall(r"(?<![0-9])[0-9]{4}(?![0-9])", normalize(t))
    ]
    if years and all(JALALI_YEARS[0] <= y <= JALALI_YEARS[1] for y in years):
        specs = [f"jalali:{s}" for s in specs if "%b" not in s and "%Y" in s] + specs
    if excel_serials:
        specs.append("excel")
    shapes = {re.sub("[0-9]", "0", t) for t in distinct}  # cells alike for `may_read`
    specs = [s for s in specs if any(may_read(s, t) for t in shapes)] or specs
    return {spec: compile_format(spec) for spec in specs}


def _choose_order(
    first: DateFormat,
    second: DateFormat,
    cells: list[tuple[int, str]],
    within: tuple[dt.date, dt.date] | None,
    day_first: bool | None,
    column: str,
    locate: Callable[[int], Location] | None,
) -> DateFormat:
    """Day/month or month/day: by the export's date range, its locale, else an error."""
    pair = (first, second)
    if within is not None:
        inside = [f for f in pair if all(_inside(f, t, within) for _, t in cells)]
        if len(inside) == 1:
            return inside[0]
    if day_first is not None:
        return next(f for f in pair if (f.spec.find("%d") < f.spec.find("%m")) == day_first)
    ambiguous = [(i, t) for i, t in cells if first.read(t) != second.read(t)]
    if not ambiguous:  # every cell reads the same both ways (`05/05/2024`)
        return first
    listed = ", ".join(
        f"`{shown(t)}`" + (f" (line {locate(i).line})" if locate else "") for i, t in ambiguous[:5]
    )
    more = f" and {len(ambiguous) - 5} more" if len(ambiguous) > 5 else ""
    day_month, month_day = sorted(pair, key=lambda f: f.spec.find("%d") > f.spec.find("%m"))
    raise KpiError(
        f"the dates in column `{column}` read as day/month or as month/day: {listed}{more}",
        locate(ambiguous[0][0]) if locate else None,
        f"set the source option `date_format: '{day_month.spec.replace('%~', '')}'` or "
        f"`date_format: '{month_day.spec.replace('%~', '')}'`",
    )


def _inside(fmt: DateFormat, text: str, within: tuple[dt.date, dt.date]) -> bool:
    try:
        day = fmt.read(text)
    except CellError:
        return False
    if day is None:
        return True
    start = within[0].replace(day=1) if fmt.grain == "month" else within[0]
    return start - dt.timedelta(days=1) <= day <= within[1] + dt.timedelta(days=1)
