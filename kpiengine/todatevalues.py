"""Values to date: each period read to the same day as the partial one (the current month).

A period the data stops inside is compared with the same number of days at the start of the
previous period and of the same period last year, from the daily table: `to_date_table` holds
each period's first days only, and a KPI whose formula reads an earlier period (`prev`,
`last_year`) reads it to the same day there (`compute.ToDateComputer`). A variable whose totals
are its segments rolled up (a stock summed across channels) has its totals to date rolled up
the same way, not taken from the days' totals. Projections are `kpiengine.pacing`'s.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from calendar import monthrange
from dataclasses import dataclass

import numpy as np

from .compute import ToDateComputer
from .model import DISTINCT, Workspace
from .table import InputTable, segment_aggregate, time_aggregate
from .transforms import year_ago_index


@dataclass
class ToDate:
    """A KPI's value to date in a partial period and the same elapsed part of earlier ones."""

    elapsed: int  # days of the period the data covers
    previous: np.ndarray  # segments
    last_year: np.ndarray
    current: np.ndarray  # the partial period itself, its earlier periods read to the same day
    reasons: np.ndarray  # object: why `current` is undefined (None where defined)


def same_days(table: InputTable, index: int, elapsed: int) -> int:
    """How many first days of period `index` match the first `elapsed` days of the table's last
    (partial) period, to the same date: 1-15 March is 1-15 February, 1-30 March all of February
    (as a month-to-date is compared), 1 January-15 March 2025 is 1 January-15 March 2024 (not
    the first 74 days of a leap year); weeks and ranges take the same number of days."""
    start = table.period_start(index)
    if table.grain not in ("month", "quarter", "year"):
        return min(elapsed, (table.period_end(index) - start).days + 1)
    first = table.period_start(table.n_periods - 1)
    cut = first + dt.timedelta(days=elapsed - 1)
    months = (cut.year - first.year) * 12 + cut.month - first.month
    year, month = divmod(start.month - 1 + months, 12)
    month_start = dt.date(start.year + year, month + 1, 1)
    month_days = monthrange(month_start.year, month_start.month)[1]
    return (month_start - start).days + min(cut.day, month_days)


def to_date_table(
    daily: InputTable, table: InputTable, workspace: Workspace, elapsed: int
) -> InputTable:
    """`table`'s periods, each holding only its days to the same date as the first `elapsed`
    days of the last one (`same_days`; from the daily table)."""
    calendar = table.calendar
    days = np.arange(daily.first, daily.first + daily.n_periods).astype("datetime64[D]")
    periods = calendar.ordinals(days, table.grain) - table.first
    starts = np.array(
        [
            np.datetime64(table.period_start(int(i)), "D") if 0 <= i < table.n_periods else days[0]
            for i in periods
        ]  # fmt: skip
    )
    held = np.array([same_days(table, i, elapsed) for i in range(table.n_periods)] or [0])
    within = np.clip(periods, 0, max(table.n_periods - 1, 0))
    before = (days - starts).astype(int) < held[within]
    inside = (periods >= 0) & (periods < table.n_periods) & before
    n_seg = len(table.segments)
    position = segment_positions(daily, table)
    values = {}
    for name in table.values:
        aggregate = workspace.variables[name].aggregate
        rule = aggregate.time
        out = np.full((table.n_periods, n_seg), np.nan)  # distinct counts: none to date
        array = daily.values.get(name)
        if rule != DISTINCT and array is not None:
            rows, cols = np.nonzero(inside[:, None] & (position >= 0)[None, :])
            cell = periods[rows] * n_seg + position[cols]
            flat = time_aggregate(
                rule, cell, days[rows].astype(np.int64), array[rows, cols], table.n_periods * n_seg
            )
            out = flat.reshape(table.n_periods, n_seg)
            # where the rules' order matters (a stock summed across segments, a mean)
            commute = rule == aggregate.segments and rule in ("sum", "min", "max")
            if not commute and _rolled_from_segments(table.values[name], aggregate.segments):
                out[:, 0] = _across(out[:, 1:], aggregate.segments)
        values[name] = out
    return dataclasses.replace(table, values=values)


def _across(cube: np.ndarray, rule: str) -> np.ndarray:
    """The total of each row of `cube` (periods x segments) by the segment rule."""
    return segment_aggregate(rule, cube, np.zeros(cube.shape[1], dtype=int), 1)[:, 0]


def _rolled_from_segments(values: np.ndarray, rule: str) -> bool:
    """Whether a variable's totals are its segments rolled up by `rule` (as `build_table` makes
    them from the segments asked): then its totals to date are made the same way, not from the
    days' totals (a stock whose segments report on other days: each one's last value, added up).
    A source without the segments fills the total only, and keeps its daily totals."""
    if values.shape[1] < 2 or not np.isfinite(values[:, 1:]).any():
        return False
    return bool(np.allclose(values[:, 0], _across(values[:, 1:], rule), equal_nan=True))


def segment_positions(daily: InputTable, table: InputTable) -> np.ndarray:
    """For each segment of the daily table, its column in `table` (-1 when it has none)."""
    index = {tuple(sorted(s.items())): i for i, s in enumerate(table.segments)}
    return np.array([index.get(tuple(sorted(s.items())), -1) for s in daily.segments])


def to_date(
    workspace: Workspace,
    kpi_id: str,
    todate: InputTable,
    table: InputTable,
    period: int,
    elapsed: int,
    window_token: str | None = None,
) -> ToDate:
    """The KPI on the first `elapsed` days of the partial period, of the previous one and of
    last year's, each reading earlier periods to the same day (`ToDateComputer`)."""
    computer = ToDateComputer(workspace, todate, table)
    values = computer.kpi(kpi_id, window_token)
    nan = np.full(values.shape[1], np.nan)
    ago = year_ago_index(todate)[period]
    return ToDate(
        elapsed,
        values[period - 1] if period > 0 else nan,
        values[ago] if ago >= 0 else nan,
        values[period],
        np.array(computer.reasons(kpi_id, window_token)[period], dtype=object),
    )
