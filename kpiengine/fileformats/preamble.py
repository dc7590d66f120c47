"""The lines before a file's header: report title, `key: value` metadata, the date range.

The shapes the platforms write, all read here:
- GA4: a `#` block with `# Start date: 20250101` and `# End date: 20260524` (the keys in the
  interface's language: `Date de début`, `开始日期`, `تاریخ شروع` ...), maybe padded with
  delimiters by Excel;
- Universal Analytics: `# 20240601-20240630`;
- Google Ads: a title line (`Campaign report`) then the range, quoted or not:
  `"1 July 2025 - 31 July 2025"`, `June 1, 2024 - July 31, 2024`, `8–31 July 2025`,
  `July 8 – 31, 2025`;
- report headers with the range in a field or in parentheses: `Date Range,4/12/15 - 4/11/17`,
  `REPORT 123 (May 1, 2013-May 10, 2013)`.
A range's ends are read with the date formats of `dates` and must read one way only (a range of
dates that could be day/month or month/day, or a two-digit year first or last, is left unread;
a two-digit year is not read after next year). Months give their whole month
(`Jan 2025 - Mar 2025` ends on 31 March). A range needs a year (`8 to 31 July` alone does not
say which July).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field

from .dates import DATE_FORMATS, compile_format, latest_year, may_read
from .datespec import JALALI_YEARS, date_orders, month_names
from .numbers import normalize
from .rows import Record
from .sql import CellError

__all__ = [
    "END_KEYS",
    "START_KEYS",
    "Preamble",
    "date_readings",
    "parse_date_range",
    "range_between",
    "read_preamble",
]

#: The keys of a GA4 preamble's start and end dates in the interface languages (compared in
#: lower case): English, French, German, Dutch, Spanish, Italian, Portuguese, Russian, Japanese,
#: Korean, Chinese (simplified and traditional), Persian.
START_KEYS = (
    "start date", "date de début", "startdatum", "fecha de inicio", "data di inizio",
    "data de início", "data inicial", "дата начала", "開始日", "시작일", "시작 날짜", "开始日期",
    "開始日期", "تاریخ شروع", "تاریخ آغاز",
)  # fmt: skip
END_KEYS = (
    "end date", "date de fin", "enddatum", "einddatum", "fecha de finalización", "fecha de fin",
    "data di fine", "data de término", "data final", "дата окончания", "дата завершения",
    "終了日", "종료일", "종료 날짜", "结束日期", "結束日期", "تاریخ پایان",
)  # fmt: skip
_START_KEYS = "|".join(re.escape(k) for k in START_KEYS)
_END_KEYS = "|".join(re.escape(k) for k in END_KEYS)
_SEPARATOR = r"\s+(?:-|–|—|~|to|au|bis|al|tot|a|até|تا)\s+|\s*[–—~～〜至]\s*"
_KEY_VALUE = re.compile(r"([^:：]{1,60}?)\s*[:：]\s*(.+)")


@dataclass
class Preamble:
    """What the lines before the header say."""

    title: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    date_range: tuple[dt.date, dt.date] | None = None
    range_line: int | None = None  # where the range was read
    lines: dict[str, int] = field(default_factory=dict)  # each `meta` key's line


def _content(record: Record) -> str:
    """A preamble line's text: fields joined, `#`, quotes and Excel's padding removed."""
    fields = [f.strip() for f in record.fields]
    while fields and not fields[-1]:
        fields.pop()
    text = ", ".join(fields) if len(fields) > 1 else (fields[0] if fields else "")
    return text.lstrip("#").strip().strip('"').strip()


def read_preamble(records: list[Record]) -> Preamble:
    """Title, metadata and date range of the records before the header."""
    out = Preamble()
    start = end = None
    yearless: tuple[str, int] | None = None
    for record in records:
        text = _content(record)
        if not text or not text.strip("-=_*# "):
            continue
        filled = [f.strip() for f in record.fields if f.strip()]
        pair = _KEY_VALUE.fullmatch(text) if len(filled) == 1 else None
        if len(filled) == 2:  # `Date Range,4/12/15 - 4/11/17`
            pair = _KEY_VALUE.fullmatch(f"{filled[0].lstrip('#').strip()}: {filled[1]}")
            whole = _KEY_VALUE.fullmatch(text)  # `# Start date: January 10, 2024` unquoted
            if whole is not None and re.fullmatch(_START_KEYS + "|" + _END_KEYS,
                                                  whole[1].strip().lower()):  # fmt: skip
                pair = whole
        if pair is not None:
            key, value = pair[1].strip().lower(), pair[2].strip()
            out.meta.setdefault(pair[1].strip(), value)
            out.lines.setdefault(pair[1].strip(), record.line)
            if re.fullmatch(_START_KEYS, key):
                start = start or (value, record.line)
                continue
            if re.fullmatch(_END_KEYS, key):
                end = end or (value, record.line)
                continue
        found = parse_date_range(pair[2]) if pair is not None else None
        found = found or parse_date_range(text)
        if found is None and _yearless(text) is not None and out.date_range is None:
            yearless = (text, record.line)
            continue
        if found is not None and out.date_range is None:
            out.date_range, out.range_line = found, record.line
        elif found is None and out.title is None and pair is None:
            out.title = text
    if out.date_range is None and start and end:
        found = range_between(start[0], end[0])
        if found is not None:
            out.date_range, out.range_line = found, start[1]
    if out.date_range is None and yearless is not None:  # `8 to 31 July`: the preamble's year
        years = {y for r in records for y in re.findall(r"\b(?:19|20)[0-9]{2}\b", _content(r))}
        if len(years) == 1:
            out.date_range = parse_date_range(f"{yearless[0]} {years.pop()}")
            out.range_line = yearless[1]
        else:
            out.meta.setdefault("range without a year", yearless[0])
    return out


def _yearless(text: str) -> tuple[str, str, str] | None:
    """`8 to 31 July`, `8–31 July`: a range of days in a month, without its year."""
    dash = r"\s*(?:-|–|—|to|au|bis|al)\s*"
    found = re.fullmatch(rf"([0-9]{{1,2}}){dash}([0-9]{{1,2}})\s+([^\W\d_]+)\.?", text.strip())
    if found is None or found[3].lower() not in month_names()[0]:
        return None
    return found[1], found[2], found[3]


def _readings(text: str) -> dict[tuple[dt.date, dt.date], set[str]]:
    """Every way a date text reads: (first day, last day) -> the formats that read it so."""
    found: dict[tuple[dt.date, dt.date], set[str]] = {}
    years = [int(y) for y in re.findall(r"(?<![0-9])[0-9]{4}(?![0-9])", normalize(text))]
    persian = bool(years) and all(JALALI_YEARS[0] <= y <= JALALI_YEARS[1] for y in years)
    latest = latest_year()  # `24/01/31` is 2024-01-31, not 24 January 2031
    for spec in DATE_FORMATS:
        if persian and ("%b" in spec or "%Y" not in spec):
            continue  # `۱۴۰۳/۰۱/۰۱`: a Persian (Solar Hijri) date, written in numbers
        for candidate in date_orders(spec):
            candidate = f"jalali:{candidate}" if persian else candidate
            if not may_read(candidate, text):
                continue
            fmt = compile_format(candidate)
            try:
                day = fmt.read(text, weekday=False)  # a platform's own line
            except CellError:
                continue
            if day is not None and (day.year <= latest or "%y" not in candidate):
                last = day
                if fmt.grain == "month":
                    last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
                found.setdefault((day, last), set()).add(candidate)
    return found


def range_between(start: str, end: str) -> tuple[dt.date, dt.date] | None:
    """The range a start date and an end date give (`20250101`, `20250115`), as the
    `# Start date:` and `# End date:` lines do: read together, as one line's range is
    (`10/01/2024` and `20/02/2024` are day first); None unless they read one way, in order."""
    return _ends(start, end)


def date_readings(text: str) -> list[tuple[dt.date, dt.date]]:
    """Every (first day, last day) a date text reads as (none, one, or several orders)."""
    return sorted(_readings(text))


def parse_date_range(text: str) -> tuple[dt.date, dt.date] | None:
    """(first day, last day) of a range as reports write it, or None (see the module)."""
    text = normalize(text).strip().strip('"').strip()
    if not any(c.isdigit() for c in text):  # no day nor year: not a range (and no regex)
        return None
    inner = re.search(r"\(([^()]*[0-9][^()]*)\)", text)
    if inner is not None:
        return parse_date_range(inner[1])
    compact = re.fullmatch(r"([0-9]{8})\s*-\s*([0-9]{8})", text)
    if compact is not None:
        return _ends(compact[1], compact[2])
    if (short := _short_range(text)) is not None:
        return short
    for separator in (_SEPARATOR, r"\s*-\s*"):
        parts = re.split(separator, text)
        if len(parts) == 2 and (found := _ends(parts[0], parts[1])) is not None:
            return found
    return None


def _ends(first: str, last: str) -> tuple[dt.date, dt.date] | None:
    """A range from its two ends; the first may lack the year (`8 July`) or be a day (`8`).

    An end that reads two ways (`01.07.2025`: 1 July or 7 January) takes the order of the
    other end's format (`31.07.2025` reads one way only).
    """
    ends = _readings(last)
    starts = _readings(first)
    if not starts and len(ends) == 1:
        end = next(iter(ends))[1]
        day = first.strip()
        if day.isdigit() and 1 <= int(day) <= 31:
            starts = _readings(f"{end.year}-{end.month:02d}-{int(day):02d}")
        else:
            starts = _readings(f"{first.strip()} {end.year}")
        ends = {key: set() for key in ends}  # written otherwise than the start: any format
    pairs = {
        (start[0], end[1])
        for start, by in starts.items()
        for end, formats in ends.items()
        if start[0] <= end[1] and (by & formats or len(starts) == len(ends) == 1)
    }
    return pairs.pop() if len(pairs) == 1 else None


def _short_range(text: str) -> tuple[dt.date, dt.date] | None:
    """`8–31 July 2025`, `8 to 31 July 2025`, `July 8 – 31, 2025`: one month, one year."""
    dash = r"\s*(?:-|–|—|to|au|bis|al)\s*"
    day_first = re.fullmatch(
        rf"([0-9]{{1,2}}){dash}([0-9]{{1,2}})\s+(\w+)\.?,?\s+([0-9]{{4}})", text
    )
    month_first = re.fullmatch(
        rf"(\w+)\.?\s+([0-9]{{1,2}}){dash}([0-9]{{1,2}}),?\s+([0-9]{{4}})", text
    )
    if day_first is not None:
        first, last, name, year = day_first.groups()
    elif month_first is not None:
        name, first, last, year = month_first.groups()
    else:
        return None
    month = month_names()[0].get(name.lower())
    if month is None:
        return None
    try:
        return dt.date(int(year), month, int(first)), dt.date(int(year), month, int(last))
    except ValueError:
        return None
