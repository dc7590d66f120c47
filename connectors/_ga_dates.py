"""Dates as Google Analytics exports write them, for the `ga_export` connector.

`20240601`, `2024060114` (date + hour), `2024-06-01`, `6/1/24` or `1/6/24` (the order decided by
the values, the export's date range, then the interface language), `1 juin 2024`, `Jun 1, 2024`,
`2024年6月1日`, Persian (Solar Hijri) dates like `1403/03/12`, and the UA range `20240601-20240630`.
Private to the connector: not a plugin module.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np

from kpiengine.numbers import ascii_digits

COMPACT_RANGE = re.compile(r"(\d{8})\s*[-–]\s*(\d{8})")
_TIME_SUFFIX = re.compile(r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)$")
_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_XXY = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})")
_D_MONTH_Y = re.compile(r"(\d{1,2})\.?\s+([^\W\d_]+)\.?,?\s+(\d{4})")
_MONTH_D_Y = re.compile(r"([^\W\d_]+)\.?\s+(\d{1,2}),?\s+(\d{4})")
_MONTH_NAMES = {
    1: "january jan janvier janv januari ژانویه",
    2: "february feb février févr fevrier februari فوریه",
    3: "march mar mars maart mrt مارس",
    4: "april apr avril avr آوریل",
    5: "may mai mei مه می",
    6: "june jun juin juni ژوئن",
    7: "july jul juillet juil juli ژوئیه جولای",
    8: "august aug août aout augustus اوت اوگوست",
    9: "september sep sept septembre سپتامبر",
    10: "october oct octobre oktober okt اکتبر",
    11: "november nov novembre نوامبر",
    12: "december dec décembre déc decembre دسامبر",
}
MONTHS = {name: number for number, names in _MONTH_NAMES.items() for name in names.split()}


class DateError(ValueError):
    """A value that is not a date: its `index` in the values given, and `why` (or "")."""

    def __init__(self, index: int, why: str = ""):
        super().__init__(index)
        self.index = index
        self.why = why


def _jalali_to_gregorian(jy: int, jm: int, jd: int) -> tuple[int, int, int]:
    """A Persian (Solar Hijri) date as a Gregorian (year, month, day)."""
    jy += 1595
    days = -355668 + 365 * jy + (jy // 33) * 8 + ((jy % 33) + 3) // 4 + jd
    days += (jm - 1) * 31 if jm < 7 else (jm - 7) * 30 + 186
    gy = 400 * (days // 146097)
    days %= 146097
    if days > 36524:
        days -= 1
        gy += 100 * (days // 36524)
        days %= 36524
        if days >= 365:
            days += 1
    gy += 4 * (days // 1461)
    days %= 1461
    if days > 365:
        gy += (days - 1) // 365
        days = (days - 1) % 365
    leap = (gy % 4 == 0 and gy % 100 != 0) or gy % 400 == 0
    lengths = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    gd = days + 1
    gm = 1
    for length in lengths:
        if gd <= length:
            break
        gd -= length
        gm += 1
    return gy, gm, gd


def _make(year: int, month: int, day: int) -> dt.date:
    if year < 100:
        year += 2000
    if 1300 <= year < 1500 and 1 <= month <= 12 and 1 <= day <= 31:
        year, month, day = _jalali_to_gregorian(year, month, day)
    return dt.date(year, month, day)


def parse_dates(
    texts: list[str], day_first: bool, window: tuple[dt.date, dt.date] | None
) -> list[dt.date]:
    """Dates as GA writes them: `20240601`, `2024-06-01`, `6/1/24`, `1 juin 2024`, `2024年6月1日`.

    Slash dates are read day-first or month-first as the values, the export's date range, then
    `day_first` decide. Raises DateError with the index of a bad value.
    """
    clean = [_TIME_SUFFIX.sub("", ascii_digits(t.strip())) for t in texts]
    if all(len(c) in (8, 10) and c.isdigit() for c in clean):
        out = []
        for i, c in enumerate(clean):
            try:
                out.append(_make(int(c[:4]), int(c[4:6]), int(c[6:8])))
            except ValueError:
                raise DateError(i) from None
        return out
    ambiguous: list[tuple[int, int, int, int]] = []
    out_or_none: list[dt.date | None] = []
    for i, c in enumerate(clean):
        if len(c) in (8, 10) and c.isdigit():
            day = (int(c[:4]), int(c[4:6]), int(c[6:8]))
        elif m := _YMD.fullmatch(c):
            day = (int(m[1]), int(m[2]), int(m[3]))
        elif m := _XXY.fullmatch(c):
            ambiguous.append((i, int(m[1]), int(m[2]), int(m[3])))
            out_or_none.append(None)
            continue
        elif m := _D_MONTH_Y.fullmatch(c):
            day = (int(m[3]), MONTHS.get(m[2].casefold(), 0), int(m[1]))
        elif m := _MONTH_D_Y.fullmatch(c):
            day = (int(m[3]), MONTHS.get(m[1].casefold(), 0), int(m[2]))
        else:
            raise DateError(i)
        try:
            out_or_none.append(_make(*day))
        except ValueError:
            raise DateError(i) from None
    if ambiguous:
        for i, value in _slash_dates(ambiguous, day_first, window).items():
            out_or_none[i] = value
    return [d for d in out_or_none if d is not None]


def distinct(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """(the distinct texts in the order they first appear, the position there of each text)."""
    unique = list(dict.fromkeys(texts))
    codes = dict(zip(unique, range(len(unique)), strict=True))
    inverse = np.fromiter(map(codes.__getitem__, texts), dtype=np.intp, count=len(texts))
    return unique, inverse


def parse_day_column(
    texts: list[str], day_first: bool, window: tuple[dt.date, dt.date] | None
) -> np.ndarray:
    """`parse_dates` of a column as datetime64[D], each distinct text read once (GA exports
    repeat each date on many rows). A DateError's `index` is the first row of the bad text."""
    unique, inverse = distinct(texts)
    try:
        days = parse_dates(unique, day_first, window)
    except DateError as exc:
        exc.index = texts.index(unique[exc.index])
        raise
    return np.asarray(days, dtype="datetime64[D]")[inverse]


def _slash_dates(
    values: list[tuple[int, int, int, int]],
    day_first: bool,
    window: tuple[dt.date, dt.date] | None,
) -> dict[int, dt.date]:
    def read(first_is_day: bool) -> dict[int, dt.date] | None:
        out = {}
        for i, a, b, year in values:
            day, month = (a, b) if first_is_day else (b, a)
            try:
                out[i] = _make(year, month, day)
            except ValueError:
                return None
        return out

    readings = {True: read(True), False: read(False)}
    if readings[True] is None and readings[False] is None:
        for i, a, b, year in values:
            if not any(_valid(year, m, d) for m, d in ((a, b), (b, a))):
                raise DateError(i, " (neither day/month/year nor month/day/year)")
    if window:
        start, end = window[0] - dt.timedelta(days=1), window[1] + dt.timedelta(days=1)
        fits = {
            k: r for k, r in readings.items() if r and all(start <= d <= end for d in r.values())
        }
        if len(fits) == 1:
            return next(iter(fits.values()))
    valid = {k: r for k, r in readings.items() if r is not None}
    if len(valid) == 1:
        return next(iter(valid.values()))
    if not valid:  # each value reads one way, but not all the same way
        raise DateError(values[0][0], " (the dates mix day/month and month/day orders)")
    return valid[day_first]


def _valid(year: int, month: int, day: int) -> bool:
    try:
        _make(year, month, day)
    except ValueError:
        return False
    return True


def date_or_none(text: str) -> dt.date | None:
    """One date in a `#` metadata line, or None when the text is not a date."""
    try:
        return parse_dates([text], False, None)[0]
    except DateError:
        return None
