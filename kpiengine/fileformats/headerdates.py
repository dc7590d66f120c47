"""Dates in a header: a wide sheet with a column per month (or day), which must be unpivoted.

`Channel,Jan 2024,Feb 2024,Mar 2024` has no date column: its months are column names, each
row's values spread across them. The engine reads a row per date, so a source without a date
column whose header holds a run of periods (`dates_in_header`: cells one detected format,
`dates.DATE_FORMATS` in each order, reads as dates, two of them successive months or days) gets
an error naming them at their place, asking for the file to be unpivoted, instead of one about
a missing column. One date-like name (`Reporting month,Spend,2024-12`), or dates that are no
run (`2023-12,2024-12`: a year apart), is no such sheet: the caller's `no date column` stands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence

from kpiengine.errors import KpiError, Location

from .dateformat import compile_format
from .dates import DATE_FORMATS
from .datespec import date_orders, may_read
from .missing import is_missing
from .numbers import normalize
from .tables import FileTable

__all__ = ["check_header_dates", "dates_in_header"]

#: The header cells listed in the message: the first few, then how many more.
LISTED = 3


def header_dates(columns: Sequence[str]) -> tuple[list[str], str]:
    """(the header cells of the format reading most of them among those that read two
    successive periods, the grain of its dates: `day` or `month`); no cells when none does."""
    texts = [c for c in columns if not is_missing(c)]
    specs = dict.fromkeys(o for spec in DATE_FORMATS for o in (spec, *date_orders(spec)))
    best: tuple[list[str], str] = ([], "day")
    for spec in specs:
        if sum(may_read(spec, t) for t in texts) < 2:
            continue  # spares compiling the formats that cannot read two of them
        fmt = compile_format(spec)
        days = {c: fmt.reading(normalize(c).strip())[0] for c in texts}
        read = [c for c, day in days.items() if day is not None]
        if len(read) > len(best[0]) and _successive({days[c] for c in read}, fmt.grain):
            best = read, fmt.grain
    return best


def _successive(days: set[dt.date | None], grain: str) -> bool:
    """Whether two of the days are successive periods of the grain (a day, or the first days
    of two months, apart)."""
    if grain == "day":
        return any(d + dt.timedelta(days=1) in days for d in days if d and d < dt.date.max)
    months = {d.year * 12 + d.month for d in days if d}
    return any(m + 1 in months for m in months)


def _unused(taken: set[str], names: Sequence[str]) -> str:
    """The first of the names no column has (case aside), else the first one numbered."""
    free = [n for n in names if n.lower() not in taken]
    number = 2
    while not free:
        free = [f"{names[0]}_{number}"] if f"{names[0]}_{number}" not in taken else []
        number += 1
    return free[0]


def check_header_dates(table: FileTable, values: Iterable[str | None] = ()) -> None:
    """Raise the error of a table without a date column whose header holds a run of periods,
    if it does (`dates_in_header`); `values`: the value columns the source maps."""
    error = dates_in_header(table.columns, table.header, [v for v in values if v])
    if error is not None:
        raise error


def dates_in_header(
    columns: Sequence[str],
    locate: Callable[[str], Location],
    values: Sequence[str] = (),
) -> KpiError | None:
    """The error of a source without a date column whose header holds a run of periods (see
    the module), at the first of them (`locate`: a column's place in the header); None when it
    holds none. `values`: the value columns the source maps, for the mapping to change."""
    dated, grain = header_dates(columns)
    if not dated:
        return None
    places = [f"`{c}` (column {locate(c).column})" for c in dated[:LISTED]]
    more = len(dated) - LISTED
    listed = ", ".join(places[:-1]) + " and " + places[-1] if len(places) > 1 else places[0]
    if more > 0:
        listed = ", ".join(places) + f" and {more} more"
    line = locate(dated[0]).line
    others = [c for c in columns if c not in dated]
    taken = {c.lower() for c in others}
    date = _unused(taken, ("date", grain, "period"))
    value = _unused(taken | {date.lower()}, ("value", "amount", "number"))
    layout = ",".join([*others, date, value])
    mapped = [v for v in values if v not in others]
    remap = ""
    if mapped:  # a mapped column the sheet does not have: the unpivoted one holds its values
        remap = f"; then change the mapping's `column: {mapped[0]}` to `column: {value}`"
    return KpiError(
        f"no date column: the {grain}s are in the header{f' (line {line})' if line else ''}, "
        f"{listed}, a column per {grain}: a row is read by the date in its own cell",
        locate(dated[0]),
        f"unpivot the file to one row per {grain}, under a header such as `{layout}` (`{date}` "
        f"holding the {grain}, `{dated[0]}`, `{value}` the row's number for it{remap}), e.g. "
        "with Power Query's Unpivot Columns or pandas' `melt`; or name the date column, if "
        "there is one, with the source option `date: COLUMN`",
    )
