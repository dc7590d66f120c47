"""Dates in a header: a wide sheet with a column per month (or day), which must be unpivoted.

`Channel,Jan 2024,Feb 2024,Mar 2024` has no date column: its months are column names, each
row's values spread across them. The engine reads a row per date, so a source without a date
column whose header cells read as dates (`dates_in_header`: those one detected format reads,
`dates.DATE_FORMATS` in each order) gets an error naming them at their place, asking for the
file to be unpivoted, instead of one about a missing column.
"""

from __future__ import annotations

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
    """(the header cells the format reading most of them reads, the grain of its dates:
    `day` or `month`); no cells when no format reads any."""
    texts = [c for c in columns if not is_missing(c)]
    specs = dict.fromkeys(o for spec in DATE_FORMATS for o in (spec, *date_orders(spec)))
    best: tuple[list[str], str] = ([], "day")
    for spec in specs:
        if not any(may_read(spec, t) for t in texts):
            continue  # spares compiling the formats that cannot read them
        fmt = compile_format(spec)
        read = [c for c in texts if fmt.reading(normalize(c).strip())[0] is not None]
        if len(read) > len(best[0]):
            best = read, fmt.grain
    return best


def check_header_dates(table: FileTable, values: Iterable[str | None] = ()) -> None:
    """Raise the error of a table without a date column whose header holds dates, if it
    does (`dates_in_header`); `values`: the value columns the source maps."""
    error = dates_in_header(table.columns, table.header, [v for v in values if v])
    if error is not None:
        raise error


def dates_in_header(
    columns: Sequence[str],
    locate: Callable[[str], Location],
    values: Sequence[str] = (),
) -> KpiError | None:
    """The error of a source without a date column whose header holds dates (see the module),
    at the first of them (`locate`: a column's place in the header); None when no header cell
    is a date. `values`: the value columns the source maps, for the unpivoted header shown."""
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
    layout = ",".join([*others, "date", *(values or ["VARIABLE"])])
    return KpiError(
        f"no date column: the {grain}s are in the header{f' (line {line})' if line else ''}, "
        f"{listed}, a column per {grain}: a row is read by the date in its own cell",
        locate(dated[0]),
        f"unpivot the file to one row per {grain}, under a header such as `{layout}` (`date` "
        f"holding the {grain}, `{dated[0]}`, then the row's value for it), e.g. with Power "
        "Query's Unpivot Columns or pandas' `melt`; or name the date column, if there is one, "
        "with the source option `date: COLUMN`",
    )
