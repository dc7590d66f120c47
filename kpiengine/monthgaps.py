"""Months a source of monthly rows lacks inside its data, and the longer periods they leave unknown.

A daily source without rows on a day had nothing that day (its sums are 0 there). A monthly
export without a month has a gap: the month was not exported, or not pasted in. The month is
"no data" already; the quarters and years holding it are made unknown here, as their sums would
silently lack it (windows over it are made unknown by `kpiengine.transforms`), and KPI017 says
which months are missing.

A source of several files (a download per month) lacks the days between its first and last
that no file covers (`Frame.holes`, from each file's stated range, else its rows' days: `holes`):
a July download forgotten is not a July without activity. The periods holding such days are
made unknown the same way, and KPI017 names the days and the files on either side.

Rows are monthly by their dates alone when a connector guesses so (all on the 1st: see
`kpiengine.rowdates.date_grain_of`); a daily log of days that fall on the 1st is then read as
months. A source whose connector takes `rows: day` and does not set it is told so in KPI017's
fix (`source_gaps`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from . import sourcefindings
from .connector import Connector, Request
from .errors import Finding, Location
from .model import Aggregate
from .sourceconfig import SourceConfig
from .table import Frame, InputTable

#: KPI017's fix, added when the source could say its rows are days (`source_gaps`).
ROWS_DAY = (
    "; or, if the rows are days that happen to fall on the 1st (a sparse daily log), say so "
    "with the source option `rows: day`: a day without a row then had none"
)


class _Source(Protocol):
    """What `source_gaps` reads of a `kpiengine.sources.OpenSource`."""

    @property
    def config(self) -> SourceConfig: ...

    @property
    def connector(self) -> Connector: ...


def source_gaps(
    source: _Source,
    table: InputTable,
    frame: Frame,
    request: Request,
    ask: Callable[[Request], Frame],
    aggregates: dict[str, Aggregate],
) -> list[Finding]:
    """`blank_gaps` of an open source; KPI017's fix for missing months also says how to read
    the rows as days when the connector takes `rows: day` and kpi.yaml does not set `rows`."""
    config, options = source.config, source.connector.options
    told = config.options.get("rows") is None and any(
        o.name == "rows" and "day" in o.choices for o in options
    )
    where = config.location
    return blank_gaps(table, frame, request, ask, config.name, where, aggregates, told)


def blank_gaps(
    table: InputTable,
    frame: Frame,
    request: Request,
    ask: Callable[[Request], Frame],
    name: str,
    where: Location,
    aggregates: dict[str, Aggregate],
    rows_day: bool = False,
) -> list[Finding]:
    """When `frame` (the source's answer to `request`, which `table` was built from) holds
    months and lacks some between its first and last, make the periods holding them unknown
    and return the finding (KPI017; with `rows_day`, its fix tells of `rows: day`); `ask`
    asks the source again, by month when the frame's rows are longer periods."""
    found = blank_holes(table, frame.holes, name, where, aggregates)
    if frame.date_grain != "month" and not frame.month_dated():
        return found
    if frame.grain not in (None, "month"):
        frame = ask(dataclasses.replace(request, grain="month", dimensions=[]))
    months = missing_months(frame)
    if not months:
        return found
    blank_periods(table, months, aggregates)
    finding = sourcefindings.missing_months(name, where, months, sorted(aggregates))
    if rows_day:
        finding = dataclasses.replace(finding, fix=f"{finding.fix}{ROWS_DAY}")
    return [*found, finding]


def missing_months(frame: Frame) -> list[dt.date]:
    """The first days of the months between the frame's first and last month without a row."""
    days = frame.dates[~np.isnat(frame.dates)]
    if not len(days):
        return []
    months = np.unique(days.astype("datetime64[M]"))
    every = np.arange(months[0], months[-1] + 1)
    return [m.astype("datetime64[D]").item() for m in np.setdiff1d(every, months)]


def blank_periods(
    table: InputTable, months: list[dt.date], aggregates: dict[str, Aggregate]
) -> None:
    """Make the table's periods holding one of `months` unknown for the variables of
    `aggregates`; a stock's only when the month is its period's last (its latest value is
    known otherwise)."""
    calendar = table.calendar
    for month in months:
        index = calendar.ordinal_of(month, table.grain) - table.first
        if not 0 <= index < table.n_periods:
            continue
        last = calendar.ordinal_of(table.period_end(index), "month")
        is_last = calendar.ordinal_of(month, "month") == last
        for name, aggregate in aggregates.items():
            if name in table.values and (aggregate.time != "last" or is_last):
                table.values[name][..., index, :] = np.nan
    table.gaps.update({name: months for name in aggregates if name in table.values})


Hole = tuple[dt.date, dt.date, str, str]


def holes(files: Sequence[tuple[str, tuple[Any, Any] | None, bool]]) -> list[Hole]:
    """The days between the first and last day of `files` (each a name, the days it covers:
    its stated range, else its rows' first and last day, None: no rows; and whether it states
    its range) that none covers, as (first day, last day, the file before, the file after).
    Only a gap between two files that state their ranges is a hole: a file without one covers
    at least its rows' days, and the days past them may be days without activity (an API
    export's month whose last spend was on the 27th)."""
    known = sorted((s[0], s[1], n, t) for n, s, t in files if s is not None and None not in s)
    out: list[Hole] = []
    if not known:
        return out
    reach, last_name, last_stated = known[0][1:]
    for first, last, name, stated in known[1:]:
        if first > reach + dt.timedelta(days=1) and stated and last_stated:
            out.append(
                (reach + dt.timedelta(days=1), first - dt.timedelta(days=1), last_name, name)
            )
        if last > reach:
            reach, last_name, last_stated = last, name, stated
    return out


def blank_holes(
    table: InputTable,
    found: list[Hole],
    name: str,
    where: Location,
    aggregates: dict[str, Aggregate],
) -> list[Finding]:
    """Make the table's periods holding days of `found` unknown for the variables of
    `aggregates` (a stock's when its period ends in one) and return one KPI017 per hole."""
    if table.n_periods:  # only the holes in the periods asked for
        start, end = table.period_start(0), table.period_end(table.n_periods - 1)
        found = [h for h in found if h[0] <= end and start <= h[1]]
    if not found:
        return []
    present = [v for v in aggregates if v in table.values]
    for index in range(table.n_periods):
        start, end = table.period_start(index), table.period_end(index)
        touched = [(first, last) for first, last, _, _ in found if first <= end and start <= last]
        ends_inside = any(first <= end <= last for first, last in touched)  # a stock's day
        for v in present if touched else ():
            if aggregates[v].time != "last" or ends_inside:
                table.values[v][..., index, :] = np.nan
    days = [
        first + dt.timedelta(days=i)
        for first, last, _, _ in found
        for i in range((last - first).days + 1)
    ]
    for v in present:  # windows over them are unknown too (`kpiengine.transforms`)
        table.gaps[v] = sorted({*table.gaps.get(v, []), *days})
    variables = sorted(aggregates)
    return [sourcefindings.uncovered_days(name, where, hole, variables) for hole in found]
