"""Partial periods: values to date, the same elapsed part of earlier periods, and projections.

A period the data stops inside (the current month) is compared with the same number of days
at the start of the previous period and of the same period last year (value to date), and
projected to its end.

The projection is a weekday bootstrap (a seasonal-naive model with the week as season, after
Hyndman and Athanasopoulos, *Forecasting: principles and practice*, 3rd ed., 5.2 and 5.5): each
remaining day of a summed input is its weekday's mean over the last eight weeks, and each of
`DRAWS` simulated futures takes every remaining day from a random day of the same weekday in
those weeks, all inputs and segments from the same day, so inputs that move together (sessions
and conversions) keep doing so. A KPI is projected by its formula on the projected inputs; the
80% interval and the probability of reaching the target are read from the simulated futures.
Inputs that are not summed (stocks, means) keep their value to date. Pure: arrays in, arrays
out; the random generator is seeded, so a run is repeatable.
"""

from __future__ import annotations

import dataclasses
import zlib
from dataclasses import dataclass

import numpy as np

from .compute import Computer
from .model import DISTINCT, Workspace
from .table import InputTable, time_aggregate
from .transforms import year_ago_index

DRAWS = 1000
HISTORY_DAYS = 56  # eight weeks of each weekday
MIN_HISTORY_DAYS = 14
INTERVAL = (0.1, 0.9)  # an 80% interval
SEED = 20240601


@dataclass
class ToDate:
    """A KPI's value to date in a partial period and the same elapsed part of earlier ones."""

    elapsed: int  # days of the period the data covers
    previous: np.ndarray  # segments
    last_year: np.ndarray


@dataclass
class Projection:
    """A KPI's value at the end of a partial period, with an 80% interval, per segment."""

    value: np.ndarray
    low: np.ndarray
    high: np.ndarray
    draws: np.ndarray  # DRAWS x segments
    reason: str | None = None  # why there is no projection


def elapsed_days(table: InputTable, names: set[str], period: int) -> int:
    """How many days of a period every one of `names` covers."""
    start, end = table.period_start(period), table.period_end(period)
    held = (end - start).days + 1
    for name in names:
        if name in table.spans:
            last = table.spans[name][1]
            held = min(held, max((min(last, end) - start).days + 1, 0))
    return held


def to_date_table(
    daily: InputTable, table: InputTable, workspace: Workspace, elapsed: int
) -> InputTable:
    """`table`'s periods, each holding only its first `elapsed` days (from the daily table)."""
    calendar = table.calendar
    days = np.arange(daily.first, daily.first + daily.n_periods).astype("datetime64[D]")
    periods = calendar.ordinals(days, table.grain) - table.first
    starts = np.array(
        [
            np.datetime64(table.period_start(int(i)), "D") if 0 <= i < table.n_periods else days[0]
            for i in periods
        ]  # fmt: skip
    )
    inside = (periods >= 0) & (periods < table.n_periods) & ((days - starts).astype(int) < elapsed)
    n_seg = len(table.segments)
    position = _segment_positions(daily, table)
    values = {}
    for name in table.values:
        rule = workspace.variables[name].aggregate.time
        out = np.full((table.n_periods, n_seg), np.nan)  # distinct counts: none to date
        array = daily.values.get(name)
        if rule != DISTINCT and array is not None:
            rows, cols = np.nonzero(inside[:, None] & (position >= 0)[None, :])
            cell = periods[rows] * n_seg + position[cols]
            flat = time_aggregate(
                rule, cell, days[rows].astype(np.int64), array[rows, cols], table.n_periods * n_seg
            )
            out = flat.reshape(table.n_periods, n_seg)
        values[name] = out
    return dataclasses.replace(table, values=values)


def _segment_positions(daily: InputTable, table: InputTable) -> np.ndarray:
    """For each segment of the daily table, its column in `table` (-1 when it has none)."""
    index = {tuple(sorted(s.items())): i for i, s in enumerate(table.segments)}
    return np.array([index.get(tuple(sorted(s.items())), -1) for s in daily.segments])


def to_date(
    workspace: Workspace, kpi_id: str, todate: InputTable, period: int, elapsed: int
) -> ToDate:
    """The KPI on the first `elapsed` days of the previous period and of last year's."""
    values = Computer(workspace, todate).kpi(kpi_id)
    nan = np.full(values.shape[1], np.nan)
    ago = year_ago_index(todate)[period]
    return ToDate(
        elapsed,
        values[period - 1] if period > 0 else nan,
        values[ago] if ago >= 0 else nan,
    )


def project(
    workspace: Workspace, kpi_ids: list[str], daily: InputTable, table: InputTable, period: int
) -> dict[str, Projection]:
    """Each KPI projected to the end of `period` from the daily table (see the module)."""
    n_seg = len(table.segments)
    end = np.datetime64(table.period_end(period), "D")
    history = _history(daily, end)
    if history is None:
        reason = f"a projection needs {MIN_HISTORY_DAYS} days of daily data before it"
        empty = np.full(n_seg, np.nan)
        return {
            k: Projection(empty, empty, empty, np.full((1, n_seg), np.nan), reason) for k in kpi_ids
        }
    position = _segment_positions(daily, table)
    point: dict[str, np.ndarray] = {}
    draws: dict[str, np.ndarray] = {}
    for name, observed in ((n, table.values[n][period]) for n in table.values):
        rule = workspace.variables[name].aggregate.time
        last = table.spans.get(name, (None, table.period_end(period)))[1]
        remaining = np.arange(np.datetime64(last, "D") + 1, end + 1)
        point[name], draws[name] = observed.copy(), np.broadcast_to(observed, (DRAWS, n_seg)).copy()
        if rule == DISTINCT:
            point[name][:] = np.nan
            draws[name][:] = np.nan
        if rule != "sum" or not len(remaining) or name not in daily.values:
            continue
        # one stream per input, so its interval does not depend on which other KPIs are run
        rng = np.random.default_rng([SEED, zlib.crc32(name.encode())])
        mean, sampled = _bootstrap(daily.values[name], history, remaining, rng)
        columns = position >= 0
        point[name][position[columns]] = _plus(observed[position[columns]], mean[columns])
        draws[name][:, position[columns]] = _plus(observed[position[columns]], sampled[:, columns])
    return {k: _kpi_projection(workspace, k, table, period, point, draws) for k in kpi_ids}


def _history(daily: InputTable, end: np.datetime64) -> tuple[np.ndarray, np.ndarray] | None:
    """The daily rows (indices) of the last HISTORY_DAYS days with data, and their weekdays."""
    held = np.zeros(daily.n_periods, bool)
    for array in daily.values.values():
        held |= ~np.isnan(array).all(axis=1)
    days = np.arange(daily.first, daily.first + daily.n_periods)
    rows = np.flatnonzero(held & (days <= end.astype(np.int64)))
    if len(rows) < MIN_HISTORY_DAYS:
        return None
    last = days[rows[-1]]
    rows = rows[days[rows] > last - HISTORY_DAYS]
    return rows, (days[rows] + 3) % 7  # Monday = 0


def _bootstrap(
    values: np.ndarray,
    history: tuple[np.ndarray, np.ndarray],
    remaining: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """The expected sum over the remaining days, and DRAWS simulated sums (x segments)."""
    rows, weekdays = history
    filled = np.nan_to_num(values[rows])  # a day without rows is a day with none of it
    mean = np.zeros(values.shape[1])
    sampled = np.zeros((DRAWS, values.shape[1]))
    for day in remaining.astype(np.int64):
        same = np.flatnonzero(weekdays == (day + 3) % 7)
        pool = same if len(same) else np.arange(len(rows))
        mean += filled[pool].mean(axis=0)
        sampled += filled[rng.choice(pool, DRAWS)]
    return mean, sampled


def _plus(observed: np.ndarray, more: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(observed), more, observed + more)


def _kpi_projection(
    workspace: Workspace,
    kpi_id: str,
    table: InputTable,
    period: int,
    point: dict[str, np.ndarray],
    draws: dict[str, np.ndarray],
) -> Projection:
    lo = max(0, period - _lookback(table))
    window = {name: array[lo : period + 1] for name, array in table.values.items()}
    current = dataclasses.replace(table, first=table.first + lo, values=window)
    one = {n: _with(a, -1, point[n]) for n, a in window.items()}
    many = {
        n: _with(np.broadcast_to(a, (DRAWS, *a.shape)), -1, draws[n]) for n, a in window.items()
    }
    value = Computer(workspace, dataclasses.replace(current, values=one)).kpi(kpi_id)[-1]
    simulated = Computer(workspace, dataclasses.replace(current, values=many)).kpi(kpi_id)[:, -1]
    low, high = np.full_like(value, np.nan), np.full_like(value, np.nan)
    for s in range(value.shape[-1]):
        column = simulated[:, s]
        column = column[np.isfinite(column)]
        if len(column) and np.isfinite(value[s]):
            low[s], high[s] = np.quantile(column, INTERVAL)
    return Projection(value, low, high, simulated)


def _with(array: np.ndarray, period: int, row: np.ndarray) -> np.ndarray:
    out = np.array(array, dtype=float, copy=True)
    out[..., period, :] = row
    return out


def _lookback(table: InputTable) -> int:
    """Periods before the projected one that prev, last_year and windows may read."""
    return {"day": 400, "week": 60, "month": 13, "quarter": 5, "year": 2}.get(table.grain, 0)


def p_target(projection: Projection, targets: np.ndarray, direction: str) -> np.ndarray:
    """The share of simulated futures that reach each segment's target (NaN without one)."""
    draws = projection.draws
    with np.errstate(invalid="ignore", divide="ignore"):
        hit = draws >= targets if direction != "lower" else draws <= targets
        valid = np.isfinite(draws)
        out = (hit & valid).sum(axis=0) / valid.sum(axis=0)
    out[~np.isfinite(targets) | (valid.sum(axis=0) == 0)] = np.nan
    return out
