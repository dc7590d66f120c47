"""Dates in cells: the formats exports write, and a column's format told from a sample.

A format (`dateformat.DateFormat`) is a strptime-like spec (`%d/%m/%Y`, `%a, %d %b %Y`,
`%Y-%m`), `excel` (spreadsheet serial numbers) or `jalali:` + spec, read alike by Python and SQL.
`DATE_FORMATS` lists those detection tries.

`detect_date_format` picks the format that reads most of a sample, then its order of day, month
and year: orders that each read it (`24/01/15`: d/m/y or y/m/d) raise an error naming the
ambiguous values and asking for `date_format`, as does a column no one order reads whole (its
rows mix orders), one mixing spreadsheet serial numbers with dates written out (`45306` and
`2024-01-16`) and one of ISO weeks (`2024-W01`: a week is no day). A column no format reads
gets `dateguess.unread`'s error (no year, a grouped serial, else the `date_format` to set).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import NoReturn

from kpiengine.errors import KpiError, Location

from .dateformat import (
    SERIALS_FIX,
    DateError,
    DateFormat,
    compile_format,
    read_date,
    serial_day,
    yaml_text,
)
from .dateguess import unread
from .datespec import (
    JALALI_YEARS,
    WEEK_DIRECTIVES,
    WEEK_LABEL,
    WEEKS_FIX,
    WEEKS_NOT_READ,
    date_orders,
    may_read,
    order_name,
)
from .missing import is_missing
from .numbers import normalize
from .sql import shown

__all__ = [
    "DATE_FORMATS",
    "AmbiguousDates",
    "DateFormat",
    "DateError",
    "compile_format",
    "detect_date_format",
    "may_read",
    "read_date",
]


class AmbiguousDates(KpiError):
    """A date column whose cells read as two orders (day/month and month/day) alike."""


#: A cell with a field of 13 to 31 (`13/01/2024`, `1/13/24`): one that tells day from month.
DECIDING = r"(^|[^0-9])(1[3-9]|2[0-9]|3[01])([^0-9]|$)"

_ISO = re.compile(
    r"[12][0-9]{3}-[01][0-9]-[0-3][0-9](?:[ T](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?)?"
)
#: Formats tried by `detect_date_format`, most specific first; each is tried in its other orders
#: of day, month and year too (`date_orders`: `%d/%m/%Y` and `%m/%d/%Y`; a two-digit year also
#: written first, `%y/%m/%d`).
DATE_FORMATS = (
    "%Y-%m-%d%~", "%Y%m%d", "%Y%m%d%H", "%Y/%m/%d%~", "%Y.%m.%d",
    "%d/%m/%Y%~", "%d.%m.%Y%~", "%d-%m-%Y%~", "%d/%m/%y%~", "%d.%m.%y", "%d-%m-%y%~",
    "%d %b %Y", "%d. %b %Y", "%b %d, %Y", "%b %d %Y", "%a, %d %b %Y", "%a %d %b %Y",
    "%a, %b %d, %Y", "%a %d. %b %Y", "%d de %b de %Y", "%d-%b-%Y", "%d-%b-%y", "%Y年%m月%d日",
    "%a, %d. %b %Y",  # CLDR's German day with its weekday (Google Ads: `Mo., 15. Jan. 2024`)
    "%a, %d de %b de %Y",  # Portuguese, Mexican Spanish: `seg., 15 de jan. de 2024`
    "%Y-%m", "%Y%m", "%Y/%m", "%m/%Y", "%m.%Y", "%m-%Y", "%b %Y", "%b-%Y",
    "%b de %Y",  # Spanish and Portuguese months: `enero de 2024`, `jan. de 2024`
    "%b/%Y", "%Y-%b", "%Y/%b", "%Y %b",  # `Jan/2024`, the year first: `2024-Jan`, `2024 Jan`
    "%b-%y",  # Excel's `mmm-yy` (`Jan-24`): a month, as a year-less day would be no date
    "%Y年%m月",
)  # fmt: skip


# --- detection ------------------------------------------------------------------------------


#: A quarter's label (`Q1 2024`, `2024-Q1`, `2024 Q1`): quarterly rows are no dates either.
QUARTER_LABEL = re.compile(
    r"\s*(?:[12][0-9]{3}\s*[-/ ]?\s*[Qq][1-4]|[Qq][1-4]\s*[-/ ]?\s*[12][0-9]{3})\s*"
)
QUARTERS_FIX = (
    "export the rows by day or by month: a quarter's total cannot be put on the days or the "
    "months it spans"
)


def _reading(fmt: DateFormat, text: str) -> dt.date | None:
    """The date a format reads in a cell, None when it does not read it (or it is missing); a
    weekday the day is not on is the reading's bad cell, not another format."""
    return None if is_missing(text) else fmt.reading(normalize(text))[0]


def _fits(fmt: DateFormat, text: str) -> bool:
    return _reading(fmt, text) is not None


def latest_year() -> int:
    """The last year a two-digit year plausibly is: next year (data is not dated years ahead)."""
    from kpiengine.today import today  # noqa: PLC0415 - the engine's today, imported late

    return today().year + 1


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

    `date_format` (the user's) wins. Otherwise each candidate (`DATE_FORMATS`, their other
    orders of day, month and year (`date_orders`), their `jalali:` variants when every year is
    1300-1499, and `excel` when `excel_serials`: the column is known to hold dates) is scored by
    the cells it reads; the best wins, the first listed on a tie. Its orders are then weighed
    (`_settle`): a column that no one order reads whole mixes orders (an error naming two rows
    that contradict each other); of the orders that read it whole, those putting a two-digit
    year after next year are out, then those leaving `within` (the export's date range), then
    `day_first` (the export's locale, which writes the year last) picks day/month or month/day;
    else KpiError names the ambiguous cells (`locate` turns a cell's index into its place in the
    file; `len(values)`, a column without dates, into its header) and asks for `date_format`.
    ISO weeks (`2024-W01`) are an error: a week is no date. The cells the chosen format does
    not read are the caller's to report.
    """
    cells = [(i, str(v).strip()) for i, v in enumerate(values) if not is_missing(v)]
    weeks = [(i, t) for i, t in cells if WEEK_LABEL.fullmatch(t)]
    if date_format:
        try:
            return compile_format(date_format)
        except ValueError:
            week = next((d for d in WEEK_DIRECTIVES if d in date_format), None)
            if week is None or not locate or not cells:
                raise
            raise KpiError(
                f"`date_format: {yaml_text(date_format)}` reads weeks (`{week}`): {WEEKS_NOT_READ} "
                f"(column `{column}`)",
                locate((weeks or cells)[0][0]),
                WEEKS_FIX,
            ) from None
    if weeks:  # the first such cell, at its place
        (i, text), line = weeks[0], _line(weeks[0][0], locate)
        where = locate(i) if locate else None
        raise KpiError(f"`{shown(text)}` is an ISO week{line}: {WEEKS_NOT_READ}", where, WEEKS_FIX)
    quarters = [(i, t) for i, t in cells if QUARTER_LABEL.fullmatch(t)]
    if quarters:  # no format reads them: say what they are, not which format to set
        (i, text), line = quarters[0], _line(quarters[0][0], locate)
        where = locate(i) if locate else None
        message = f"`{shown(text)}` is a quarter{line}: quarterly rows are not read as dates"
        raise KpiError(message, where, QUARTERS_FIX)
    distinct = list(dict.fromkeys(text for _, text in cells))
    where = locate(cells[0][0] if cells else len(values)) if locate else None
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
        line = _line(next(i for i, t in cells if t == distinct[0]), locate)
        raise unread(distinct, column, where, line, excel_serials)
    chosen = next(spec for spec, score in scores.items() if score == best)
    if excel_serials:
        _serials_among_written(cells, candidates, chosen, column, locate)
    if len(date_orders(chosen)) == 1:
        return candidates[chosen]
    return _settle(chosen, cells, within, day_first, column, locate)


def _candidates(distinct: list[str], excel_serials: bool) -> dict[str, DateFormat]:
    specs = list(dict.fromkeys(o for spec in DATE_FORMATS for o in (spec, *date_orders(spec))))
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


def _serials_among_written(
    cells: list[tuple[int, str]],
    candidates: dict[str, DateFormat],
    chosen: str,
    column: str,
    locate: Callable[[int], Location] | None,
) -> None:
    """Raise the error of a column mixing spreadsheet serial numbers (`45306`: a date cell
    formatted as a number) with dates written out (`2024-01-16`), naming a row of each, at
    the one the chosen format does not read."""
    serials = [(i, t) for i, t in cells if serial_day(t) is not None]
    if not serials or len(serials) == len(cells):
        return
    others = [f for spec, f in candidates.items() if spec != "excel"]
    written = next(
        ((i, t) for i, t in cells if serial_day(t) is None and any(_fits(f, t) for f in others)),
        None,
    )
    if written is None:
        return
    (i, serial), (j, text) = serials[0], written
    said = {
        i: f"`{serial}`{_line(i, locate)} is a serial number ({serial_day(serial)})",
        j: f"`{shown(text)}`{_line(j, locate)} {'a' if i < j else 'is a'} date written out",
    }
    raise KpiError(
        f"the dates in column `{column}` mix spreadsheet serial numbers with dates written "
        f"out: {', '.join(said[k] for k in sorted(said))}",
        locate(j if chosen == "excel" else i) if locate else None,
        SERIALS_FIX,
    )


def _settle(
    chosen: str,
    cells: list[tuple[int, str]],
    within: tuple[dt.date, dt.date] | None,
    day_first: bool | None,
    column: str,
    locate: Callable[[int], Location] | None,
) -> DateFormat:
    """The order of day, month and year among the chosen spec's (`date_orders`): the one that
    reads every cell any of them reads, told apart by plausible years, the export's date range
    and its locale; else an error (a column mixing orders, or an ambiguous one)."""
    orders = sorted(date_orders(chosen), key=lambda o: o != chosen)  # the chosen first
    texts = list(dict.fromkeys(t for _, t in cells))
    days = {o: {t: _reading(compile_format(o), t) for t in texts} for o in orders}
    readers = {t: {o for o in orders if days[o][t] is not None} for t in texts}
    read = [t for t in texts if readers[t]]
    whole = [o for o in orders if all(o in readers[t] for t in read)]
    if not whole:
        _mixed(orders, days, readers, cells, column, locate)
    left = whole
    if "%y" in chosen:  # `24/01/31` is not 24 January 2031
        latest = latest_year()
        plausible = [o for o in left if all(d.year <= latest for d in days[o].values() if d)]
        left = plausible or left
    if within is not None:
        inside = [o for o in left if all(_inside(days[o][t], o, within) for t in read)]
        left = inside or left
    if len(left) > 1 and day_first is not None:
        year_last = [o for o in left if order_name(o).endswith("year")]
        left = [o for o in year_last if (o.find("%d") < o.find("%m")) == day_first] or left
    ambiguous = [(i, t) for i, t in cells if len({days[o][t] for o in left}) > 1]
    if not ambiguous:  # every cell reads the same each way (`05/05/2024`)
        return compile_format(left[0])
    listed = ", ".join(f"`{shown(t)}`{_line(i, locate)}" for i, t in ambiguous[:5])
    more = f" and {len(ambiguous) - 5} more" if len(ambiguous) > 5 else ""
    left.sort(key=lambda o: (order_name(o).startswith("year"), o.find("%d") > o.find("%m")))
    short = all(order_name(o).endswith("year") for o in left)  # `day/month or as month/day`
    names = _either([order_name(o, short) for o in left], " or as " if short else " or ")
    example = ambiguous[0][1]
    readings = _either(list(dict.fromkeys(str(days[o][example]) for o in left)))
    options = _either([f"`date_format: {yaml_text(compile_format(o).written)}`" for o in left])
    raise AmbiguousDates(
        f"the dates in column `{column}` read as {names}: {listed}{more} "
        f"(`{shown(example)}` is {readings})",
        locate(ambiguous[0][0]) if locate else None,
        f"set the source option {options}",
    )


def _line(index: int, locate: Callable[[int], Location] | None) -> str:
    return f" (line {locate(index).line})" if locate else ""


def _either(items: list[str], last: str = " or ") -> str:
    """`a`, `a or b`, `a, b or c`."""
    return last.join([", ".join(items[:-1]), items[-1]] if len(items) > 2 else items)


def _mixed(
    orders: list[str],
    days: dict[str, dict[str, dt.date | None]],
    readers: dict[str, set[str]],
    cells: list[tuple[int, str]],
    column: str,
    locate: Callable[[int], Location] | None,
) -> NoReturn:
    """Raise the error of a column whose dates no one order reads: the first cell the order of
    most cells does not read (the odd one), and cells that contradict it."""
    most = max(orders, key=lambda o: sum(d is not None for d in days[o].values()))
    odd = next((i, t) for i, t in cells if readers[t] and most not in readers[t])
    shown_cells, common = [odd], set(readers[odd[1]])
    for i, t in cells:
        if readers[t] and common & readers[t] < common:
            shown_cells.append((i, t))
            common &= readers[t]
            if not common:
                break
    short = all(order_name(o).endswith("year") for o in orders)
    parts = [
        f"`{shown(t)}`{_line(i, locate)} {'only' if n else 'can only be'} "
        + _either([order_name(o, short) for o in orders if o in readers[t]])
        for n, (i, t) in enumerate(sorted(shown_cells))
    ]
    options = [
        f"`{yaml_text(compile_format(o).written)}` for {order_name(o, short)}"
        for o in orders
        if any(o in r for r in readers.values())
    ]
    raise KpiError(
        f"the dates in column `{column}` mix orders: {' and '.join(parts)}: no one order reads "
        "them all",
        locate(odd[0]) if locate else None,
        "correct the rows so that every date is in the same order, then set the source "
        f"option `date_format:` to it ({_either(options)})",
    )


def _inside(day: dt.date | None, spec: str, within: tuple[dt.date, dt.date]) -> bool:
    if day is None:
        return True
    start = within[0].replace(day=1) if compile_format(spec).grain == "month" else within[0]
    return start - dt.timedelta(days=1) <= day <= within[1] + dt.timedelta(days=1)
