"""One date format: a spec read in Python and in SQL alike, and why a cell is not in it.

A format is a strptime-like spec (`%d/%m/%Y`, `%a, %d %b %Y`, `%Y-%m`), compiled once into a
`sql.Rewrite` of the cell into `year-month-day` text that Python (`datetime.date`) and DuckDB
(`CAST(... AS DATE)`) both check against the calendar. Directives: `%Y` `%y` (20yy) `%m` `%d`,
`%b`/`%B` (month names, abbreviated or not, in English, French, German, Spanish, Italian, Dutch,
Portuguese and Persian, from Babel's CLDR data with their regions' and spreadsheets' (`Jän`,
`Mrz`), any case, optional final `.`), `%a`/`%A` (weekday names, same languages: with `%d`, a
cell whose day falls on another weekday is bad: `Wed, 5 Feb 2026`, as 5 Feb 2026 is a
Thursday), `%H` `%I` `%M` `%S` `%f` `%p` `%z` `%Z` `%T` (times, ignored: a row is dated by its
day), `%~` (an optional ISO or `hh:mm[:ss] [AM]` time), `%%`; a space matches one or more
spaces. A spec without `%d` has the grain of a month: its rows cover the whole month, dated by
its first day. Two specs are special: `excel`, serial day numbers (`45292` is 2024-01-01) in
1990-2099, and `jalali:` + spec for Persian (Solar Hijri). `dates` detects a column's format.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache

from .datespec import (
    EXCEL,
    EXCEL_EPOCH,
    EXCEL_RANGE,
    FAST,
    JALALI_YEARS,
    WEEK_LABEL,
    WEEKDAY_FIX,
    WEEKDAY_MARK,
    WEEKS_FIX,
    Compiled,
    compile_spec,
    jalali_days,
    jalali_sql,
    month_names,
    weekday_sql,
    wrong_weekday,
)
from .missing import is_missing, missing_sql
from .numbers import normalize, normalize_sql
from .sql import CellError, Rewrite, bind_sql, column_sql, full_regex, quote_text

__all__ = [
    "DateError",
    "DateFormat",
    "GROUPED_FIX",
    "SERIALS_FIX",
    "compile_format",
    "grouped_serial",
    "read_date",
    "serial_day",
    "yaml_text",
]

DateError = CellError  # the error of a cell that is not a date in the expected format
#: The days of the grammar's years (`%Y`: 1000 to 2999), for cells DuckDB typed as dates.
DAYS = (dt.date(1000, 1, 1), dt.date(2999, 12, 31))
TYPED_DAYS = f"DATE '{DAYS[0]}' AND DATE '{DAYS[1]}'"
#: What to do with a column mixing spreadsheet serial numbers and dates written out.
SERIALS_FIX = (
    "format every cell of the column as a date in the spreadsheet (a serial number such as "
    "`45306` is a date cell formatted as a number: 2024-01-15) and export the file again, so "
    "that every row's date is written alike"
)
#: The languages of the month and weekday names read (`datespec.LOCALES`).
LANGUAGES = "English, French, German, Spanish, Italian, Dutch, Portuguese or Persian"
#: What to do with a month name the grammar does not know.
NAMES_FIX = (
    f"write the months as numbers, or by their names in {LANGUAGES} (as CLDR and spreadsheets "
    "write them): no other month names are read"
)
#: A date written out: numbers between separators (`16.01.2024`, `2024年1月`) or beside a word
#: (`Jan 2024`); not a number (`-5`, `1e3`)
_WRITTEN = re.compile(r"[0-9](?:[-/. ]+|[^\W\d_a-zA-Z])[0-9]|[^\W\d_]{2}.*[0-9]|[0-9].*[^\W\d_]{2}")
_TIME_WORDS = {"am", "pm", "utc", "gmt"}
_WORD = re.compile(r"[^\W\d_](?:(?:[^\W\d_]|[\u200c-])*[^\W\d_])?")  # `segunda-feira`: one


def yaml_text(spec: str) -> str:
    """A spec as a YAML scalar that loads back to it, for a `date_format: ...` a message shows:
    in single quotes (no escapes: `%` and `\\` are as written), in double quotes when it holds a
    single quote but no `"` nor `\\` (`"%b '%y"`), else in single quotes with `'` doubled."""
    if "'" in spec and '"' not in spec and "\\" not in spec:
        return f'"{spec}"'
    return "'" + spec.replace("'", "''") + "'"


def serial_day(cell: str) -> dt.date | None:
    """The day of a spreadsheet serial number (`45306`: 2024-01-15), None if the cell is not
    one in 1990-2099."""
    found = full_regex(EXCEL.exact).fullmatch(cell)
    serial = int(found[1]) if found else 0
    if not EXCEL_RANGE[0] <= serial <= EXCEL_RANGE[1]:
        return None
    return EXCEL_EPOCH + dt.timedelta(days=serial)


#: A number as a spreadsheet writes one: a sign, digits, a fraction after `.` or `,`.
_NUMBER = re.compile(r"\s*([+-]?)([0-9]+)(?:[.,][0-9]+)?\s*")
#: A number written with a thousands separator (`45,307`, `45.307`, `45 307`, `45'307`): one to
#: three digits, then groups of three after the same mark. A serial's time is a fraction after
#: its five digits (`45306,25`), never after one to three.
_GROUPED = re.compile(
    r"\s*[0-9]{1,3}([.,'\u2019\u00a0\u2007\u2009\u202f ])[0-9]{3}(?:\1[0-9]{3})*\s*"
)
#: Excel's first serials (1 to 60) count from 1900-01-01 with its fictional 1900-02-29.
_SERIAL_ONE = dt.date(1900, 1, 1)
SERIAL_FIX = (
    "correct the cell in the file: a spreadsheet serial number counts days from 1900-01-01 "
    "(serial 1; 45306 is 2024-01-15), and the column's dates are read in 1990 to 2099"
)
#: What to do with serial numbers written with a thousands separator.
GROUPED_FIX = (
    "format the column as dates in the spreadsheet, or its numbers without separators (a "
    "serial number is its digits alone: 45306 is 2024-01-15), and export the file again"
)


def _serial_is(serial: int) -> str:
    """What a serial number is: its day (`2024-01-15`), said `before 1990` or `after 2099`
    outside those years, or why it is none."""
    if serial < 0:
        return "before 1900: no date"
    if serial == 0:
        return "before 1900-01-01, serial 1: no date"
    if serial < 61:  # Excel's days before its fictional 1900-02-29
        day = _SERIAL_ONE + dt.timedelta(days=serial - 1)
    elif serial < (dt.date.max - EXCEL_EPOCH).days:
        day = EXCEL_EPOCH + dt.timedelta(days=serial)
    else:
        return "no day of any year"
    if EXCEL_RANGE[0] <= serial <= EXCEL_RANGE[1]:
        return str(day)
    return f"{day}, {'before 1990' if serial < EXCEL_RANGE[0] else 'after 2099'}"


def grouped_serial(cell: str) -> str | None:
    """What a cell among serial numbers written with a thousands separator is (`45,307`: `a
    serial number written with a thousands separator, 45,307 = 2024-01-16`), None for any
    other cell."""
    if _GROUPED.fullmatch(cell) is None:
        return None
    serial = int(re.sub("[^0-9]", "", cell))
    return (
        f"a serial number written with a thousands separator, {cell.strip()} = {_serial_is(serial)}"
    )


def _serial_outside(cell: str) -> tuple[str, str] | None:
    """(why, fix) of a cell in a column of serial numbers that is a number but not one of
    1990-2099: written with a thousands separator (`45,307`), zero or negative (before 1900:
    no date), or a day outside those years; None otherwise."""
    grouped = grouped_serial(cell)
    if grouped:
        return grouped, GROUPED_FIX
    found = _NUMBER.fullmatch(cell)
    if found is None:
        return None
    serial = -int(found[2]) if found[1] == "-" else int(found[2])
    if EXCEL_RANGE[0] <= serial <= EXCEL_RANGE[1]:
        return None
    if serial < 0:
        return f"a negative serial number, {_serial_is(serial)}", SERIAL_FIX
    return f"serial number {serial} is {_serial_is(serial)}", SERIAL_FIX


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
    def written(self) -> str:
        """The spec as messages show it (without the optional time, an internal `%~`)."""
        return self.spec.replace("%~", "")

    @property
    def expected(self) -> str:
        if self.kind == "excel":
            return "a spreadsheet date serial number (1990 to 2099)"
        return f"a date in the format `{self.written}`"

    def read(self, text: object, weekday: bool = True) -> dt.date | None:
        """The date of a cell (its first day for a month grain); None when missing.

        Raises DateError (a `CellError`) naming the cell and the format expected, or the
        weekday the day falls on when the cell names another (unless not `weekday`: whether a
        cell is written in the format, as detection asks).
        """
        if is_missing(text):
            return None
        cell = normalize(str(text))
        day, name = self.reading(cell)
        wrong = wrong_weekday(name, day) if weekday and name and day else None
        if wrong:
            raise DateError(str(text), f"{self.expected}: {wrong}", WEEKDAY_FIX)
        if day is None:
            raise self._error(str(text), cell)
        return day

    def reading(self, cell: str) -> tuple[dt.date | None, str]:
        """(the day a present, `normalize`d cell is written as, None if it is not in this
        format; the weekday name it gives, "" when none): `read` without its errors."""
        probe = self.compiled.probe  # fails fast, without compiling the lists of names
        out = None if probe and full_regex(probe).fullmatch(cell) is None else self.rewrite.py(cell)
        name = ""
        if out is not None and self.compiled.weekday:
            out, _, name = out.partition(WEEKDAY_MARK)
        return (None if out is None else self._date(out)), name

    def _error(self, text: str, cell: str) -> DateError:
        """The error of a cell not in this format, saying why when the cell tells: an ISO week,
        a serial number among dates written out (or the reverse), a month name not known."""
        if WEEK_LABEL.fullmatch(cell):
            return DateError(text, f"{self.expected}: it is an ISO week", WEEKS_FIX)
        serial = serial_day(cell)
        outside = _serial_outside(cell) if self.kind == "excel" else None
        if outside:
            return DateError(text, f"{self.expected}: {outside[0]}", outside[1])
        if self.kind == "excel" and serial is None and _WRITTEN.search(cell):
            why = "the column holds spreadsheet serial numbers, and this date is written out"
            return DateError(text, f"{self.expected}: {why}", SERIALS_FIX)
        if self.kind != "excel" and serial is not None:
            why = f"it is a spreadsheet serial number, {serial}, among dates written out"
            return DateError(text, f"{self.expected}: {why}", SERIALS_FIX)
        unknown = self._unknown_month(cell) if self.compiled.named else None
        if unknown:
            why = f"`{unknown}` is no month name this reader knows"
            return DateError(text, f"{self.expected}: {why}", NAMES_FIX)
        return DateError(
            text,
            self.expected,
            f"set the source's `date_format:` if the dates are not in the format `{self.written}`",
        )

    def _unknown_month(self, cell: str) -> str | None:
        """When no word of a cell is a month name: its first word that is no weekday name, a
        word of the spec (`de`) nor of a time (`T`, `PM`)."""
        months, days = month_names()
        words = [w for w in _WORD.findall(cell) if w.lower() not in months]
        if len(words) < len(_WORD.findall(cell)):
            return None
        known = {*days, *_WORD.findall(re.sub("%.", " ", self.spec.lower())), *_TIME_WORDS}
        return next((w for w in words if len(w) > 1 and w.lower() not in known), None)

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
        if is_typed_day(kind):
            # DuckDB types cells the grammar refuses (`-2024-01-15`, a day of 2025 BC; years
            # 12024 and 999): a typed day is one of the grammar's years (`%Y`) or a bad cell
            day = f"CAST({col} AS DATE)"
            return f"(CASE WHEN {day} BETWEEN {TYPED_DAYS} THEN {day} END)"
        if kind not in ("VARCHAR", "TEXT", "STRING"):
            col = f"CAST({col} AS VARCHAR)"  # `20240601` typed as a number, say
        rewritten = self.rewrite.sql(normalize_sql(col))
        if self.compiled.weekday:  # `2026-02-05/thu`: the day, if it falls on that weekday
            value = weekday_sql(rewritten, self._day_sql)
        else:
            value = self._day_sql(rewritten)
        missing = f"WHEN {missing_sql(column)} THEN NULL ELSE {value}"
        fast = FAST.get(self.spec)
        if fast is not None:  # ISO and compact dates: a plain cast where the text is plain
            condition, cast = fast(col)
            return f"(CASE WHEN {condition} THEN {cast} {missing} END)"
        return f"(CASE {missing} END)"

    def _day_sql(self, rewritten: str) -> str:
        """SQL for the DATE of a cell's rewritten text (`year-month-day`), NULL when invalid."""
        if self.kind == "excel":
            r = "r"
            body = (
                f"CASE WHEN CAST({r} AS INTEGER) BETWEEN {EXCEL_RANGE[0]} AND {EXCEL_RANGE[1]}"
                f" THEN DATE '{EXCEL_EPOCH.isoformat()}' + CAST({r} AS INTEGER) END"
            )
            return bind_sql(rewritten, r, body)
        if self.kind == "jalali":
            return bind_sql(rewritten, "r", jalali_sql("r"))
        if self.compiled.named:
            months = ", ".join(
                f"{quote_text(n)}: '{m}'" for n, m in sorted(month_names()[0].items())
            )
            month = f"MAP {{{months}}}[lower(split_part(r, '-', 2))]"
            text = f"split_part(r, '-', 1) || '-' || {month} || '-' || split_part(r, '-', 3)"
            return bind_sql(rewritten, "r", f"TRY_CAST({text} AS DATE)")
        return f"TRY_CAST({rewritten} AS DATE)"

    def bad_sql(self, column: str, type_: str | None = None, value: str | None = None) -> str:
        """SQL true where a cell is present but not a date in this format."""
        value = value or self.sql(column, type_)
        col = column_sql(column)  # a CASE: the missing-cell test only where there is no date
        if is_typed_day(type_ or ""):  # a typed cell is never missing
            return f"({col} IS NOT NULL AND {value} IS NULL)"
        return (
            f"(CASE WHEN {value} IS NOT NULL OR {col} IS NULL THEN FALSE "
            f"ELSE NOT {missing_sql(column)} END)"
        )


def in_years(day: object) -> bool:
    """Whether a typed day is one of the grammar's years (`DAYS`); not when it is not a date."""
    return isinstance(day, dt.date) and DAYS[0] <= day <= DAYS[1]


def is_typed_day(type_: str) -> bool:
    """Whether DuckDB typed a column as days (DATE, TIMESTAMP and its kinds)."""
    kind = type_.upper()
    return kind == "DATE" or kind.startswith("TIMESTAMP")


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


def read_date(text: str, spec: str) -> dt.date | None:
    """`compile_format(spec).read(text)`."""
    return compile_format(spec).read(text)
