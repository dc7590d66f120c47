"""Date format specs compiled into a regex check and a rewrite into `year-month-day` text.

The directives of `dateformat` (`%Y` `%y` `%m` `%d` `%b` `%a` `%H` ... `%~`), month and
weekday names from Babel's CLDR data for the languages exports come in (English, French, German,
Spanish, Italian, Dutch, Portuguese, Persian: lower case, final `.` optional, accents optional;
months also as their regions and spreadsheets write them: `Jän`, `Mrz`; `weekdays` tells a
weekday name's day, `weekday_sql` checks it), and the calendars the rewrite feeds: Gregorian,
Persian (Solar Hijri) and Excel's serial day numbers. Also: the orders a spec's day, month and
year may be written in (`date_orders`), which specs could read a text (`may_read`), and ISO weeks
(`2024-W01`, `%V`): no dates, as a week's rows cannot be split between the months it spans.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .numbers import normalize
from .sql import WHITESPACE, alternatives, bind_sql, char_class, quote_text, spelt

LOCALES = ("en", "fr", "de", "es", "it", "nl", "pt", "fa")
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 is 1900-01-01 past Excel's fictional 1900-02-29
EXCEL_RANGE = (32874, 73050)  # 1990-01-01 .. 2099-12-31
JALALI_YEARS = (1300, 1499)
#: A UTC offset (`%z`, `%~`): `+01:00`, `+0100`, the hour alone as PostgreSQL writes it (`-05`).
OFFSET = "[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?"
#: `%~`: an optional time after the day, ISO (`T10:30:00Z`, `22:00:00+00`) or as spreadsheets
#: and CRMs write it (`17:31`, `9:00 AM`, a no-break space before AM/PM as ICU 72+ writes it),
#: also after a comma as ICU's medium formats write it (Salesforce: `1/5/2024, 9:00 AM`,
#: `05.01.2024, 09:00`); Python and DuckDB read the same pattern.
TIME_TAIL = (
    "(?:(?:,? |T)(?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::(?:[0-5][0-9]|60)(?:[.,][0-9]{1,9})?)?"
    f"(?:[ \u202f\u00a0]?[AaPp]\\.?[Mm]\\.?)?(?: ?(?:Z|UTC|{OFFSET}))?)?"
)


#: Babel's names frozen into a table (`names_from_babel`): loading eight locales' CLDR data
#: takes a tenth of a second per run; a test checks the table against Babel.
NAMES_FILE = Path(__file__).with_name("calendar_names.json")


@lru_cache(maxsize=1)
def month_names() -> tuple[dict[str, int], tuple[str, ...]]:
    """(month name -> number, weekday names): lower case, without a final `.`, accents also
    dropped; a name meaning different months in two languages is left out."""
    table = json.loads(NAMES_FILE.read_text(encoding="utf-8"))
    return table["months"], tuple(table["days"])


#: The weekday (Monday first) of each weekday name `month_names` lists, frozen from Babel as
#: they are (a test checks it against Babel): no name means two weekdays in two languages.
WEEKDAY_NAMES = (
    "lun lundi lunedi lunedì lunes ma maandag mo mon monday montag seg segunda-feira دوشنبه",
    "di dienstag dinsdag mar mardi martedi martedì martes ter terca-feira terça-feira tue "
    "tuesday سه\u200cشنبه",
    "mer mercoledi mercoledì mercredi mi mie miercoles mittwoch mié miércoles qua "
    "quarta-feira wed wednesday wo woensdag چهارشنبه",
    "do donderdag donnerstag gio giovedi giovedì jeu jeudi jue jueves qui quinta-feira thu "
    "thursday پنجشنبه",
    "fr freitag fri friday sex sexta-feira ven vendredi venerdi venerdì vie viernes vr "
    "vrijdag جمعه",
    "sa sab sabado sabato sam samedi samstag sat saturday sáb sábado za zaterdag شنبه",
    "dim dimanche dom domenica domingo so sonntag sun sunday zo zondag یکشنبه",
)
#: Separates a rewritten date from the weekday name captured with it (`2026-02-05/thu`).
WEEKDAY_MARK = "/"


@lru_cache(maxsize=1)
def weekdays() -> dict[str, int]:
    """Weekday name (lower case, no final `.`) -> ISO weekday number (Monday 1 .. Sunday 7)."""
    return {name: day for day, names in enumerate(WEEKDAY_NAMES, 1) for name in names.split()}


#: How messages write a day (`5 Feb 2026 is a Thursday`), whatever the process's locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_FIX = (
    "correct the row's weekday or its date in the file: they contradict each other, so the "
    "row's day is not known"
)


def wrong_weekday(name: str, day: dt.date) -> str:
    """`5 Feb 2026 is a Thursday` when a weekday name is not the day's, else ""."""
    if weekdays().get(name.lower()) == day.isoweekday():
        return ""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year} is a {_WEEKDAYS[day.weekday()]}"


def weekday_sql(rewritten: str, day_sql: Callable[[str], str]) -> str:
    """SQL for the DATE of a rewritten `2026-02-05/thu` (`day_sql` reads `2026-02-05`), NULL
    unless the day falls on the weekday named."""
    # each weekday's names as `|lun|lundi|...|`: faster than a MAP of the names
    names = [[n for n, d in sorted(weekdays().items()) if d == k] for k in range(1, 8)]
    listed = ", ".join(quote_text("|" + "|".join(n) + "|") for n in names)
    named = f"'|' || lower(split_part(w, '{WEEKDAY_MARK}', 2)) || '|'"
    check = f"CASE WHEN contains([{listed}][isodow(d)], {named}) THEN d END"
    day = day_sql(f"split_part(w, '{WEEKDAY_MARK}', 1)")
    return bind_sql(rewritten, "w", bind_sql(day, "d", check))


#: Month abbreviations spreadsheets write that CLDR has not: German Excel writes March `Mrz`
#: (`Mrz-24` in `MMM-JJ`, from Windows' de-DE and de-CH locale data), where CLDR has `März`/`Mär`.
SPREADSHEET_MONTHS = {"mrz": 3}


def month_sources() -> dict[str, set[int]]:
    """Every month name `month_names` could list -> the months it names: Babel's (wide and
    abbreviated, format and stand-alone) for `LOCALES` and their regions written in the same
    script (`Jän`, `Jänner` in Austria, `juill.` in Canada, `setiembre` in Peru), and
    `SPREADSHEET_MONTHS`."""
    from babel.core import parse_locale  # noqa: PLC0415 - slow imports
    from babel.dates import get_month_names  # noqa: PLC0415
    from babel.localedata import locale_identifiers  # noqa: PLC0415

    regions = [
        i for i in locale_identifiers() if parse_locale(i)[0] in LOCALES and not parse_locale(i)[2]
    ]
    months: dict[str, set[int]] = {}
    for locale in sorted(regions):
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, locale).items():
                    for form in _forms(name):
                        months.setdefault(form, set()).add(number)
    for name, number in SPREADSHEET_MONTHS.items():
        months.setdefault(name, set()).add(number)
    return months


def names_from_babel() -> tuple[dict[str, int], tuple[str, ...]]:
    """`month_names` as Babel's CLDR data gives them (`month_sources`; weekdays for `LOCALES`)."""
    from babel.dates import get_day_names  # noqa: PLC0415 - slow import

    days: set[str] = set()
    for locale in LOCALES:
        for width in ("wide", "abbreviated"):
            days.update(
                f for n in get_day_names(width, "format", locale).values() for f in _forms(n)
            )
    months = month_sources()
    unique = {name: next(iter(ns)) for name, ns in sorted(months.items()) if len(ns) == 1}
    return unique, tuple(sorted(days))


def _forms(name: str) -> set[str]:
    base = name.lower().rstrip(".")
    plain = "".join(c for c in unicodedata.normalize("NFKD", base) if not unicodedata.combining(c))
    return {base, plain} if plain.isascii() else {base}


def _any_name(names: Iterable[str]) -> str:
    """A run of letters (and of the other characters the names hold: `-`, a zero-width
    non-joiner), then an optional `.`: it matches every name `_name_pattern` lists."""
    others = sorted({c for n in names for c in n if not c.isalpha()})
    return f"(?:[^\\W\\d_]{'|' + char_class(''.join(others)) if others else ''})+\\.?"


def _name_pattern(names: Sequence[str]) -> str:
    return alternatives([spelt(n) for n in names]) + "\\.?"


@dataclass(frozen=True)
class Compiled:
    """A spec compiled: the exact and loose regexes and the template of a `sql.Rewrite`."""

    exact: str
    loose: str
    template: str
    named: bool  # the month is a name
    grain: str
    #: `exact` with any run of letters in place of each list of names: a pattern fast to
    #: compile that every text `exact` matches also matches ("" when the spec names nothing)
    probe: str = ""
    #: the template ends with `WEEKDAY_MARK` and the weekday name (a spec with `%a` and `%d`),
    #: which the date must fall on
    weekday: bool = False


def compile_spec(spec: str) -> Compiled:
    """The regexes and template of a strptime-like spec (`dateformat`); ValueError if unusable."""
    exact, loose, probe, roles = [], [], [], []
    tokens = re.findall(r"%.|[^%]", spec)
    numeric = {"%Y", "%y", "%m", "%d", "%H", "%M", "%S"}
    for index, token in enumerate(tokens):
        # next to another number (`%Y%m%d`), a month or day has its two digits, else one or two
        packed = {tokens[index - 1] if index else "", *tokens[index + 1 : index + 2]} & numeric
        piece: tuple[str, str, str | None]
        if token in ("%Y", "%y"):
            digits = "[12][0-9]{3}" if token == "%Y" else "[0-9]{2}"
            piece = (f"({digits})", f"({digits})", token[1])
        elif token == "%m":
            exact_m = "(0[1-9]|1[0-2])" if packed else "(0?[1-9]|1[0-2])"
            piece = (exact_m, "([0-9]{2})" if packed else "([0-9]{1,2})", "m")
        elif token == "%d":
            exact_d = "(0[1-9]|[12][0-9]|3[01])" if packed else "(0?[1-9]|[12][0-9]|3[01])"
            piece = (exact_d, "([0-9]{2})" if packed else "([0-9]{1,2})", "d")
        elif token in ("%b", "%B", "%h"):
            names = _name_pattern(sorted(month_names()[0])).replace("(?:", "(", 1)
            piece = (names, names, "b")
            probe.append(_any_name(month_names()[0]))
        elif token in ("%a", "%A"):
            days = month_names()[1]
            names = _name_pattern(days)
            if "%d" in tokens:  # a day's weekday is checked (a month's first day has none)
                names = names.replace("(?:", "(", 1)
            piece = (names, names, "a" if "%d" in tokens else None)
            probe.append(_any_name(days))
        elif token.startswith("%"):
            if token in WEEK_DIRECTIVES:
                raise ValueError(f"`{token}` {WEEK_DIRECTIVES[token]}: {WEEKS_NOT_READ}")
            if token not in _FIXED:
                raise ValueError(f"`{token}` is not a date directive this reader knows")
            piece = (_FIXED[token], _FIXED[token], None)
        else:
            pattern = "[ \u00a0]+" if token == " " else spelt(token)  # `DE`: any case
            piece = (pattern, pattern, None)
        if token not in ("%b", "%B", "%h", "%a", "%A"):
            probe.append(piece[0])
        exact.append(piece[0])
        loose.append(piece[1])
        if piece[2]:
            roles.append(piece[2])
    found = set(roles)
    if len(found) < len(roles) or not found & {"Y", "y"} or not found & {"m", "b"}:
        raise ValueError(f"`{spec}` needs one year (%Y or %y) and one month (%m or %b)")
    group = {role: f"\\{i}" for i, role in enumerate(roles, start=1)}
    year = group.get("Y") or "20" + group["y"]
    template = f"{year}-{group.get('m') or group['b']}-{group.get('d', '1')}"
    if "a" in group:
        template += WEEKDAY_MARK + group["a"]
    ws = char_class(WHITESPACE) + "*"
    return Compiled(
        ws + "".join(exact) + ws,
        ws + "".join(loose) + ws,
        template,
        "b" in found,
        "day" if "d" in found else "month",
        ws + "".join(probe) + ws if probe != exact else "",
        "a" in found,
    )


#: strptime's week directives: a week is not a day, and the engine's dates are days or months.
WEEK_DIRECTIVES = {
    "%G": "is an ISO week-numbering year",
    "%V": "is an ISO week number",
    "%W": "is a week number",
    "%U": "is a week number",
}
WEEKS_NOT_READ = "weekly rows are not read as dates"
#: What to do with weekly rows (the fix of every message about them).
WEEKS_FIX = (
    "export the rows by day (or by month): a week's total cannot be split between the months "
    "it spans; GA exports by `ISO week of ISO year` are read by the `ga_export` connector, "
    "Google Ads reports by Week by the `ads` connector"
)
#: An ISO week as exports label it: `2024-W01`, `2024-W1`, `2024W01`, `2024 W01`, `W01 2024`.
WEEK_LABEL = re.compile(
    r"\s*(?:[12][0-9]{3}\s*-?\s*[Ww]\s*(?:0?[1-9]|[1-4][0-9]|5[0-3])"
    r"|[Ww]\s*(?:0?[1-9]|[1-4][0-9]|5[0-3])\s*[-/ ]?\s*[12][0-9]{3})\s*"
)


def date_orders(spec: str) -> tuple[str, ...]:
    """The spec and the specs reading its day, month and year numbers in the other orders
    exports write them: day/month/year, month/day/year and, for a two-digit year, year/month/day
    (a four-digit year written first is told by its length). The spec alone when it has not
    these three numbers, each with a separator after it."""
    prefix = "jalali:" if spec.startswith("jalali:") else ""
    tokens = re.findall(r"%.|[^%]", spec.removeprefix(prefix))
    places = [i for i, t in enumerate(tokens) if t in ("%d", "%m", "%y", "%Y")]
    fields = tuple(tokens[i] for i in places)
    year = "%y" if "%y" in fields else "%Y"
    orders = [("%d", "%m", year), ("%m", "%d", year)] + [(year, "%m", "%d")] * (year == "%y")
    packed = any(b - a < 2 for a, b in zip(places, places[1:], strict=False))
    if fields not in orders or packed:
        return (spec,)
    out = []
    for order in orders:
        written = list(tokens)
        for place, token in zip(places, order, strict=True):
            written[place] = token
        out.append(prefix + "".join(written))
    return tuple(out)


def order_name(spec: str, short: bool = False) -> str:
    """`day/month/year`, `month/day/year` or `year/month/day` (`day/month`, `month/day` short)."""
    names = {"d": "day", "m": "month", "y": "year", "Y": "year"}
    fields = [names[t[1]] for t in re.findall("%[dmyY]", spec)]
    return "/".join(f for f in fields if not short or f != "year")


_FIXED = {
    "%H": "(?:[01]?[0-9]|2[0-3])",
    "%I": "(?:0?[1-9]|1[0-2])",
    "%M": "[0-5][0-9]",
    "%S": "(?:[0-5][0-9]|60)",
    "%f": "[0-9]{1,9}",
    "%p": "[AaPp]\\.?[Mm]\\.?",
    "%z": f"(?:Z|{OFFSET})",
    "%Z": "[A-Z]{1,5}",
    "%T": "(?:[01]?[0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)",
    "%~": TIME_TAIL,
    "%%": "%",
}


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


def jalali_days(jy: int, jm: int, jd: int) -> int:
    """The proleptic Gregorian ordinal (`date.toordinal`) of a Solar Hijri date."""
    y = jy + 1595
    month = (jm - 1) * 31 if jm < 7 else (jm - 7) * 30 + 186
    return -355668 + 365 * y + (y // 33) * 8 + ((y % 33) + 3) // 4 + jd + month - 365


def jalali_sql(r: str) -> str:
    """SQL for `_jalali_days` of the text `y-m-d` in `r`, as a DATE (NULL when invalid)."""
    y, m, d = (f"CAST(split_part({r}, '-', {i}) AS INTEGER)" for i in (1, 2, 3))
    days = (
        f"-355668 + 365 * ({y} + 1595) + (({y} + 1595) // 33) * 8 + ((({y} + 1595) % 33) + 3) // 4"
        f" + {d} + CASE WHEN {m} < 7 THEN ({m} - 1) * 31 ELSE ({m} - 7) * 30 + 186 END - 365"
    )
    valid = f"{y} BETWEEN {JALALI_YEARS[0]} AND {JALALI_YEARS[1]} AND ({m} < 7 OR {d} <= 30)"
    return f"CASE WHEN {valid} THEN DATE '0001-01-01' + CAST({days} - 1 AS INTEGER) END"


_SERIAL = f"{char_class(WHITESPACE)}*([0-9]{{5}})(?:[.,][0-9]+)?{char_class(WHITESPACE)}*"
EXCEL = Compiled(_SERIAL, _SERIAL, "\\1", False, "day")


_ISO_SHAPE = "[12][0-9]{3}-[01][0-9]-[0-3][0-9]"
_TIME_SHAPE = "(?: (?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?)?"


def _fast_iso(col: str) -> tuple[str, str]:
    # one automaton for the shape (a subset of the format), then DuckDB's cast of the day,
    # which checks the calendar (a day it rejects is NULL: a bad cell, as the grammar says)
    return f"regexp_full_match({col}, '{_ISO_SHAPE}')", f"TRY_CAST({col} AS DATE)"


def _fast_iso_time(col: str) -> tuple[str, str]:
    # `2024-02-20 17:31` as CRMs write it (hours 00-23: a subset of the time tail `%~`)
    shape = _ISO_SHAPE + _TIME_SHAPE
    return f"regexp_full_match({col}, '{shape}')", f"TRY_CAST({col}[1:10] AS DATE)"


def _fast_compact(col: str) -> tuple[str, str]:
    plain = f"regexp_full_match({col}, '[12][0-9]{{7}}')"
    text = f"{col}[1:4] || '-' || {col}[5:6] || '-' || {col}[7:8]"
    return plain, f"TRY_CAST({text} AS DATE)"


#: Formats most cells of which DuckDB's own cast reads: (condition, value) for a cell whose
#: text is plain, where the cast and the format agree (the calendar decides the rest).
FAST: dict[str, Callable[[str], tuple[str, str]]] = {
    "%Y-%m-%d%~": _fast_iso_time,
    "%Y-%m-%d": _fast_iso,
    "%Y%m%d": _fast_compact,
}
