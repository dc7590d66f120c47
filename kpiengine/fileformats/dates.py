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
The module is longer than most: a format's Python and SQL readings stay side by side.

`detect_date_format` picks the format that reads most of a sample, then its order of day, month
and year: orders that each read it (`24/01/15`: d/m/y or y/m/d) raise an error naming the
ambiguous values and asking for `date_format`, as does a column no one order reads whole (its
rows mix orders) and one of ISO weeks (`2024-W01`: a week is no day).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NoReturn

from kpiengine.errors import KpiError, Location

from .datespec import (
    EXCEL,
    EXCEL_EPOCH,
    EXCEL_RANGE,
    FAST,
    JALALI_YEARS,
    WEEK_DIRECTIVES,
    WEEK_LABEL,
    WEEKS_FIX,
    WEEKS_NOT_READ,
    Compiled,
    compile_spec,
    date_orders,
    jalali_days,
    jalali_sql,
    may_read,
    month_names,
    order_name,
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
#: The days of the grammar's years (`%Y`: 1000 to 2999), for cells DuckDB typed as dates.
TYPED_DAYS = "DATE '1000-01-01' AND DATE '2999-12-31'"
#: Formats tried by `detect_date_format`, most specific first; each is tried in its other orders
#: of day, month and year too (`date_orders`: `%d/%m/%Y` and `%m/%d/%Y`; a two-digit year also
#: written first, `%y/%m/%d`).
DATE_FORMATS = (
    "%Y-%m-%d%~", "%Y%m%d", "%Y%m%d%H", "%Y/%m/%d%~", "%Y.%m.%d",
    "%d/%m/%Y%~", "%d.%m.%Y%~", "%d-%m-%Y%~", "%d/%m/%y%~", "%d.%m.%y", "%d-%m-%y%~",
    "%d %b %Y", "%d. %b %Y", "%b %d, %Y", "%b %d %Y", "%a, %d %b %Y", "%a %d %b %Y",
    "%a, %b %d, %Y", "%a %d. %b %Y", "%d de %b de %Y", "%d-%b-%Y", "%d-%b-%y", "%Y年%m月%d日",
    "%Y-%m", "%Y%m", "%Y/%m", "%m/%Y", "%m.%Y", "%m-%Y", "%b %Y", "%b-%Y",
    "%b-%y",  # Excel's `mmm-yy` (`Jan-24`): a month, as a year-less day would be no date
    "%Y年%m月",
)  # fmt: skip


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
        if day is None and WEEK_LABEL.fullmatch(cell):
            raise DateError(str(text), f"{self.expected}: it is an ISO week", WEEKS_FIX)
        if day is None:
            raise DateError(
                str(text),
                self.expected,
                "set the source's `date_format:` if the dates are not in the format "
                f"`{self.written}`",
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
            # DuckDB types cells the grammar refuses (`-2024-01-15`, a day of 2025 BC; years
            # 12024 and 999): a typed day is one of the grammar's years (`%Y`) or a bad cell
            day = f"CAST({col} AS DATE)"
            return f"(CASE WHEN {day} BETWEEN {TYPED_DAYS} THEN {day} END)"
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
        kind = (type_ or "VARCHAR").upper()
        if kind == "DATE" or kind.startswith("TIMESTAMP"):  # a typed cell is never missing
            return f"({col} IS NOT NULL AND {value} IS NULL)"
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


def read_date(text: str, spec: str) -> dt.date | None:
    """`compile_format(spec).read(text)`."""
    return compile_format(spec).read(text)


# --- detection ------------------------------------------------------------------------------


def _reading(fmt: DateFormat, text: str) -> dt.date | None:
    """The date a format reads in a cell, None when it does not read it."""
    try:
        return fmt.read(text)
    except CellError:
        return None


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
                f"`date_format: '{date_format}'` reads weeks (`{week}`): {WEEKS_NOT_READ} "
                f"(column `{column}`)",
                locate((weeks or cells)[0][0]),
                WEEKS_FIX,
            ) from None
    if weeks:  # the first such cell, at its place
        (i, text), line = weeks[0], _line(weeks[0][0], locate)
        where = locate(i) if locate else None
        raise KpiError(f"`{shown(text)}` is an ISO week{line}: {WEEKS_NOT_READ}", where, WEEKS_FIX)
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
        raise KpiError(
            f"cannot tell the format of the dates in column `{column}` "
            f"(e.g. `{shown(distinct[0])}`)",
            where,
            "set the source option `date_format`, e.g. `date_format: '%d/%m/%Y'`",
        )
    chosen = next(spec for spec, score in scores.items() if score == best)
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
    options = _either([f"`date_format: '{compile_format(o).written}'`" for o in left])
    raise KpiError(
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
        f"`'{compile_format(o).written}'` for {order_name(o, short)}"
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
