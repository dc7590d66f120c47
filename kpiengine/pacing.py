"""Partial periods: projections to their end, and what their status rests on. (Longer than 420
lines: the projection of the inputs and of the KPIs, and what a partial period's status rests on
without one, are one model.)

A period the data stops inside (the current month) is compared with the same days of earlier
periods (`kpiengine.todatevalues`) and projected to its end. A KPI whose formula reads an
earlier period (`prev`, `last_year`) reads it to the same day there (`reads_earlier`).

The projection is a weekday bootstrap (a seasonal-naive model with the week as season, after
Hyndman and Athanasopoulos, *Forecasting: principles and practice*, 3rd ed., 5.2 and 5.5): each
remaining day of a summed input is its weekday's mean over the last eight weeks of data (a day
its source covers without rows counts as 0: exports leave out days without activity; a day
before the source starts is unknown; days after its last date are the future), and each of
`DRAWS` simulated futures takes every remaining day from a random day of the same weekday in
those weeks, all inputs and segments from the same day, so inputs that move together (sessions
and conversions) keep doing so. A KPI is projected by its formula on the projected inputs; the
80% interval and the probability of reaching the target are read from the simulated futures.
Inputs that are not summed (stocks, means) keep their value to date; a KPI reading a stock that
stops inside the period beside a summed input has no projection (`unprojected_reason`). Without
a projection, a partial period's status rests on what its value to date can say (`scale_free`;
see `recordfields.BASES`). Pure: arrays in, arrays out; the random generator is seeded, so a
run is repeatable.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass

import numpy as np

from .compute import Computer
from .model import DISTINCT, Workspace
from .periodreads import read_in_period, stock_beside_flow
from .periods import first_event_slack
from .refs import SHIFTS
from .table import InputTable
from .targets import to_date_target
from .todatevalues import segment_positions

DRAWS = 1000
HISTORY_DAYS = 56  # eight weeks of each weekday
MIN_HISTORY_DAYS = 14
INTERVAL = (0.1, 0.9)  # an 80% interval
SEED = 20240601


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


def stops_inside(table: InputTable, names: set[str] | dict, period: int) -> bool:
    """Whether `names` stop inside the period: it is not whole, and one of them ends before
    its last day (the current month). A period they only start inside is whole at its end: a
    first one is judged pro rata (`late_start`) whatever periods are selected."""
    if table.coverage_of(names)[period] >= 1 - 1e-9:
        return False
    end = table.period_end(period)
    return any(table.spans[n][1] < end for n in names if n in table.spans)


def days_before_start(table: InputTable, names: set[str], period: int) -> int:
    """The days of the period before the first of `names` starts, when it starts inside it
    later than its first event (`first_event_slack`); else 0. The earliest: a profit whose
    costs start mid-month holds the whole month of its revenue."""
    firsts = [table.spans[n][0] for n in names if n in table.spans]
    start = table.period_start(period)
    if not firsts or min(firsts) > table.period_end(period):
        return 0
    late = (min(firsts) - start).days
    return late if late > first_event_slack(table.grain).days else 0


@dataclass
class LateStart:
    """A KPI's first period, when its data starts inside it: the days held and their target."""

    first_day: dt.date
    held: int
    days: int
    target: float
    period: int = 0  # its index in the table (the KPI's own first: other inputs may be earlier)


def late_start(workspace: Workspace, table: InputTable, kpi_id: str) -> LateStart | None:
    """An additive KPI's first period when its inputs start inside it (later than its first
    event, `first_event_slack`) and go on to its end at least (whether or not it is the only
    period selected, whatever other KPIs' data starts before): its total is judged against the
    target for the days held (pro rata), not the whole period's. A first period the data also
    stops inside is the partial one instead."""
    inputs = workspace.inputs_of(kpi_id)
    firsts = [table.spans[n][0] for n in inputs if n in table.spans]
    if not table.n_periods or not firsts:
        return None
    period = next((i for i in range(table.n_periods) if table.period_end(i) >= min(firsts)), None)
    if period is None or stops_inside(table, inputs, period):
        return None
    skip = days_before_start(table, inputs, period)
    if not skip:  # short at its end, not its start
        return None
    start, end = table.period_start(period), table.period_end(period)
    days = (end - start).days + 1
    kpi, per = workspace.kpis[kpi_id], workspace.settings.grain
    target = to_date_target(
        kpi.target, table.grain, table.first + period, days - skip, table.calendar, per, skip=skip
    )
    first = start + dt.timedelta(days=skip)
    if not np.isfinite(target):
        return None
    return LateStart(first, days - skip, days, target, period)


def project(
    workspace: Workspace,
    kpi_ids: list[str],
    daily: InputTable,
    table: InputTable,
    period: int,
    window_token: str | None = None,
) -> dict[str, Projection]:
    """Each KPI projected to the end of `period` from the daily table (see the module)."""
    n_seg = len(table.segments)
    inputs = project_inputs(workspace, daily, table, period)
    if inputs.reason is not None:
        return {k: _unprojected(n_seg, inputs.reason) for k in kpi_ids}
    out = {}
    for k in kpi_ids:
        why = unprojected_reason(workspace, k, table, period, inputs)
        out[k] = (
            _unprojected(n_seg, why)
            if why is not None
            else _kpi_projection(
                workspace, k, table, period, inputs.point, inputs.draws, window_token
            )
        )
    return out


@dataclass
class InputProjection:
    """Each input's value at the end of a partial period (`point`, per segment) and in each
    simulated future (`draws`), as `project` takes them; `reason` why there is none."""

    point: dict[str, np.ndarray]
    draws: dict[str, np.ndarray]
    short: list[str]  # summed inputs with too few days of data to learn from
    reason: str | None = None


def project_inputs(
    workspace: Workspace, daily: InputTable, table: InputTable, period: int
) -> InputProjection:
    """Every input of the table at the end of `period` (see the module): a summed input its
    value to date plus the days left, bootstrapped; any other its value to date."""
    n_seg = len(table.segments)
    end = np.datetime64(table.period_end(period), "D")
    history = _history(workspace, daily, table, end)
    if history is None:
        reason = f"a projection needs {MIN_HISTORY_DAYS} days of daily data before it"
        return InputProjection({}, {}, [], reason)
    # each input learns from the days its own source covers: too few, and none is projected
    # (whatever other KPIs, with longer data, are asked)
    short = sorted(n for n, c in history.covered.items() if c.sum() < MIN_HISTORY_DAYS)
    position = segment_positions(daily, table)
    point: dict[str, np.ndarray] = {}
    draws: dict[str, np.ndarray] = {}
    for name, observed in ((n, table.values[n][period]) for n in table.values):
        rule = workspace.variables[name].aggregate.time
        remaining = _remaining(table, name, period)
        point[name], draws[name] = observed.copy(), np.broadcast_to(observed, (DRAWS, n_seg)).copy()
        if rule == DISTINCT:
            point[name][:] = np.nan
            draws[name][:] = np.nan
        if rule != "sum" or not len(remaining) or name not in daily.values:
            continue
        covered = history.covered.get(name, np.ones(len(history.rows), bool))
        mean, sampled = _bootstrap(daily.values[name], covered, history, remaining)
        columns = position >= 0
        point[name][position[columns]] = _plus(observed[position[columns]], mean[columns])
        draws[name][:, position[columns]] = _plus(observed[position[columns]], sampled[:, columns])
    return InputProjection(point, draws, short)


def _remaining(table: InputTable, name: str, period: int) -> np.ndarray:
    """The days of `period` after `name`'s data ends (none when it covers the period)."""
    end = np.datetime64(table.period_end(period), "D")
    last = table.spans.get(name, (None, table.period_end(period)))[1]
    return np.arange(np.datetime64(last, "D") + 1, end + 1)


def unprojected_reason(
    workspace: Workspace, kpi_id: str, table: InputTable, period: int, inputs: InputProjection
) -> str | None:
    """Why a KPI has no projection from these input projections (None when it has one):
    a summed input with too few days to learn from, or a stock (`last`: its value at the
    period's end) known only to a day inside the period beside a summed input, since the
    stock's end depends on the days left (customers at the end = at the start + new - churned),
    which no projection of the stock alone can follow."""
    lacking = [n for n in inputs.short if n in workspace.inputs_of(kpi_id)]
    if lacking:
        return f"a projection needs {MIN_HISTORY_DAYS} days of daily data of `{lacking[0]}`"
    now = read_in_period(workspace, kpi_id) & set(table.values)
    rules = {n: workspace.variables[n].aggregate.time for n in now}
    stocks = sorted(n for n in now if rules[n] == "last" and len(_remaining(table, n, period)))
    flows = sorted(n for n in now if rules[n] == "sum")
    # only a stock in a sum or difference (customers at the end less the new ones): a stock
    # times ratios of flows (pipeline velocity) keeps its value to date, a naive forecast
    stocks = stock_beside_flow(workspace, kpi_id, stocks, flows)
    if not stocks or not flows:
        return None
    last = table.spans[stocks[0]][1] if stocks[0] in table.spans else None
    known = f" known to {last.isoformat()}" if last is not None else ""
    return (
        f"`{stocks[0]}` is a stock (its value at the period's end){known}, read with "
        f"`{flows[0]}`, which adds up over the period: the stock's end depends on the days "
        "left, which kpiengine does not project, and holding it at its value to date would "
        "give a wrong projection"
    )


def _unprojected(n_seg: int, reason: str) -> Projection:
    empty = np.full(n_seg, np.nan)
    return Projection(empty, empty, empty, np.full((1, n_seg), np.nan), reason)


@dataclass
class History:
    """The days a projection learns from: the last HISTORY_DAYS days the data covers."""

    rows: np.ndarray  # indices into the daily table
    weekdays: np.ndarray  # Monday = 0
    covered: dict[str, np.ndarray]  # summed input -> which of `rows` its source covers


def _history(
    workspace: Workspace, daily: InputTable, table: InputTable, end: np.datetime64
) -> History | None:
    """The days to learn from, to `end`: a day a summed input's source covers counts even
    without rows (exports leave out days without activity: none of it happened that day); for
    other inputs (a mean, a stock) only a day with rows holds a value."""
    days = np.arange(daily.first, daily.first + daily.n_periods)
    held = np.zeros(daily.n_periods, bool)
    covered: dict[str, np.ndarray] = {}
    for name, array in daily.values.items():
        rows = ~np.isnan(array).all(axis=1)
        if workspace.variables[name].aggregate.time != "sum":
            held |= rows
            continue
        span = table.spans.get(name) or daily.spans.get(name)
        if span is not None:
            lo, hi = (np.datetime64(d, "D").astype(np.int64) for d in span)
            covered[name] = (days >= lo) & (days <= hi)
        else:  # no span known: the days from its first row to its last
            seen = np.flatnonzero(rows)
            covered[name] = np.zeros(len(days), bool)
            if len(seen):
                covered[name][seen[0] : seen[-1] + 1] = True
        held |= covered[name]
    rows = np.flatnonzero(held & (days <= end.astype(np.int64)))
    if len(rows) < MIN_HISTORY_DAYS:
        return None
    last = days[rows[-1]]
    rows = rows[days[rows] > last - HISTORY_DAYS]
    return History(rows, (days[rows] + 3) % 7, {n: c[rows] for n, c in covered.items()})


@functools.lru_cache(maxsize=1024)
def _day_draws(day: int) -> np.ndarray:
    """DRAWS numbers in [0, 1) for a calendar day, the same for every input: each simulated
    future takes all inputs and segments of that day from the same past day (whatever KPIs are
    run, and in what order)."""
    return np.random.default_rng([SEED, day % 2**32]).random(DRAWS)


def _bootstrap(
    values: np.ndarray, covered: np.ndarray, history: History, remaining: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The expected sum over the remaining days, and DRAWS simulated sums (x segments).

    A covered day without rows is a day with none of it (0); a day the source does not cover
    is unknown, and takes the mean of the days drawn with it (same weekday) that it covers."""
    sample = np.where(covered[:, None], np.nan_to_num(values[history.rows]), np.nan)
    known = ~np.isnan(sample)
    filled = np.nan_to_num(sample)
    overall = _mean(filled, known)
    mean = np.zeros(values.shape[1])
    sampled = np.zeros((DRAWS, values.shape[1]))
    for day in remaining.astype(np.int64):
        same = np.flatnonzero(history.weekdays == (day + 3) % 7)
        pool = same if len(same) else np.arange(len(history.rows))
        typical = _mean(filled[pool], known[pool])
        typical = np.where(np.isnan(typical), overall, typical)
        mean += typical
        drawn = pool[(_day_draws(int(day)) * len(pool)).astype(np.int64)]
        sampled += np.where(known[drawn], filled[drawn], typical)
    return mean, sampled


def _mean(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """The mean of each column over its known rows (NaN where none is known)."""
    count = known.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, np.where(known, values, 0.0).sum(axis=0) / count, np.nan)


def _plus(observed: np.ndarray, more: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(observed), more, observed + more)


def _kpi_projection(
    workspace: Workspace,
    kpi_id: str,
    table: InputTable,
    period: int,
    point: dict[str, np.ndarray],
    draws: dict[str, np.ndarray],
    window_token: str | None = None,
) -> Projection:
    current = recent(table, period)
    window = current.values
    one = {n: _with(a, -1, point[n]) for n, a in window.items()}
    many = {
        n: _with(np.broadcast_to(a, (DRAWS, *a.shape)), -1, draws[n]) for n, a in window.items()
    }
    point_table = dataclasses.replace(current, values=one)
    value = Computer(workspace, point_table).kpi(kpi_id, window_token)[-1]
    draws_table = dataclasses.replace(current, values=many)
    simulated = Computer(workspace, draws_table).kpi(kpi_id, window_token)[:, -1]
    low, high = np.full_like(value, np.nan), np.full_like(value, np.nan)
    for s in range(value.shape[-1]):
        column = simulated[:, s]
        column = column[np.isfinite(column)]
        if len(column) and np.isfinite(value[s]):
            low[s], high[s] = np.quantile(column, INTERVAL)
    return Projection(value, low, high, simulated)


def recent(table: InputTable, period: int) -> InputTable:
    """The table's periods up to `period`, from as far back as references may read."""
    lo = max(0, period - _lookback(table))
    values = {name: array[lo : period + 1] for name, array in table.values.items()}
    return dataclasses.replace(table, first=table.first + lo, values=values)


#: Time rules whose value grows (or shrinks) as a period's days are added.
ACCUMULATING = ("sum", DISTINCT, "min", "max")


def scale_free(
    workspace: Workspace, kpi_id: str, table: InputTable, period: int, window_token: str | None
) -> np.ndarray:
    """For each segment, whether the KPI's value in `period` stays the same when every input
    that accumulates over the days (sums, distinct counts, minima, maxima) is doubled or
    tripled: a ratio of sums, whose value to date stands for the whole period, as a sum's
    does not. Tried on the data's own values (False where the KPI is undefined)."""
    current = recent(table, period)
    value = Computer(workspace, current).kpi(kpi_id, window_token)[-1]
    same = np.isfinite(value)
    for factor in (2.0, 3.0):
        values = {
            n: a * factor if workspace.variables[n].aggregate.time in ACCUMULATING else a
            for n, a in current.values.items()
        }
        scaled = Computer(workspace, dataclasses.replace(current, values=values))
        other = scaled.kpi(kpi_id, window_token)[-1]
        with np.errstate(invalid="ignore"):
            same &= np.isclose(other, value, rtol=1e-9, atol=0.0)
    return same


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


def reads_earlier(workspace: Workspace, kpi_id: str) -> str | None:
    """The first reference to an earlier period (`prev`, `last_year`) a KPI's formula makes,
    directly or through the KPIs it reads (internal name); None when it makes none."""
    for name in sorted({kpi_id, *workspace.kpi_deps_of(kpi_id)}):
        formula = workspace.kpis[name].formula
        for chain, base in sorted(formula.shifts if formula else ()):
            if any(token in SHIFTS for token in chain.split("__")):
                return f"{base}__{chain}"
    return None
