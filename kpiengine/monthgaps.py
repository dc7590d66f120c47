"""Months a source of monthly rows lacks inside its data, and the longer periods they leave unknown.

A daily source without rows on a day had nothing that day (its sums are 0 there). A monthly
export without a month has a gap: the month was not exported, or not pasted in. The month is
"no data" already; the quarters and years holding it are made unknown here, as their sums would
silently lack it (windows over it are made unknown by `kpiengine.transforms`), and KPI017 says
which months are missing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import numpy as np

from . import sourcefindings
from .connector import Request
from .errors import Finding, Location
from .model import Aggregate
from .table import Frame, InputTable


def blank_gaps(
    table: InputTable,
    frame: Frame,
    request: Request,
    ask: Callable[[Request], Frame],
    name: str,
    where: Location,
    aggregates: dict[str, Aggregate],
) -> list[Finding]:
    """When `frame` (the source's answer to `request`, which `table` was built from) holds
    months and lacks some between its first and last, make the periods holding them unknown
    and return the finding (KPI017); `ask` asks the source again, by month when the frame's
    rows are longer periods."""
    if frame.date_grain != "month" and not frame.month_dated():
        return []
    if frame.grain not in (None, "month"):
        frame = ask(dataclasses.replace(request, grain="month", dimensions=[]))
    months = missing_months(frame)
    if not months:
        return []
    blank_periods(table, months, aggregates)
    return [sourcefindings.missing_months(name, where, months, sorted(aggregates))]


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
