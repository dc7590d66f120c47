"""A variable read through `prev`, `last_year`, a window or `total`, on period x segment arrays.

Arrays have periods on their second-to-last axis and segments (0: the total) on the last, so a
leading axis (simulated draws of a projection) passes through. A window aggregates a variable's
period values by its own time rule: `ytd` of a summed variable is the sum since the start of the
(fiscal) year, of a stock (`last`) its value in the latest period with data (each segment's
value in that period); a `mean` variable cannot be windowed from
period values and is undefined, with the reason; nor can a `distinct` one, whose window is read
as its source counted it from the ids (`kpiengine.distinct.counted_window`), where it did, and
is undefined, with the reason, elsewhere. A window that starts before the
variable's data (before the table's first period, or before the first day its data covers) is
undefined: the days it lacks are unknown, not zero; so is a sum over a period without data after
that day (a month a monthly export lacks). A stock is exempt: its latest value is known.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from .distinct import FINER as _FINER
from .distinct import WINDOW_GRAIN as _WINDOW_GRAIN
from .distinct import counted_window, outer_of
from .model import DISTINCT
from .periods import RANGE, first_event_slack
from .refs import window_of
from .table import InputTable


def year_ago_index(table: InputTable) -> np.ndarray:
    """For each period, the index of the same period a year earlier (-1 when outside)."""
    out = np.full(table.n_periods, -1)
    for i, ordinal in enumerate(table.ordinals):
        ago = table.calendar.year_ago(int(ordinal), table.grain)
        if ago is not None and 0 <= ago - table.first < table.n_periods:
            out[i] = ago - table.first
    return out


def shift(values: np.ndarray, token: str, table: InputTable) -> np.ndarray:
    """`prev`: the previous period's values; `last_year`: the same period a year earlier."""
    out = np.full_like(values, np.nan, dtype=float)
    if token == "prev":
        out[..., 1:, :] = values[..., :-1, :]
        return out
    ago = year_ago_index(table)
    ok = ago >= 0
    out[..., ok, :] = values[..., ago[ok], :]
    return out


def total(values: np.ndarray) -> np.ndarray:
    """Every segment's cell holds the total (segment 0) of the same period."""
    return np.broadcast_to(values[..., :1], values.shape).copy()


def value_transform(values: np.ndarray, token: str, table: InputTable) -> np.ndarray:
    """A transform that reads computed values: a shift, or `total`."""
    return total(values) if token == "total" else shift(values, token, table)


def window(
    values: np.ndarray, rule: str, token: str, table: InputTable, name: str | None = None
) -> tuple[np.ndarray, str | None]:
    """The variable over the window `token` (`ytd`, `qtd`, `mtd`, `rolling3`) by its time rule,
    and why it is undefined everywhere (None when it is not). `name` is the variable, whose
    span says where its data starts (without it: where the earliest variable's starts)."""
    found = window_of(token)
    assert found is not None
    kind, count = found
    undefined = np.full_like(values, np.nan, dtype=float)
    counted = counted_window(table, name, token) if rule == DISTINCT and name else None
    if rule not in ("sum", "min", "max", "last", "first") and counted is None:
        return undefined, (
            f"a `{rule}` variable cannot be aggregated over {_text(kind, count)} "
            "from its period values"
        )
    if kind != "rolling" and table.grain not in _FINER[_WINDOW_GRAIN[kind]]:
        if table.grain == RANGE:  # an undated export's dates: no calendar period to start from
            return undefined, f"{kind} is not defined for a range of dates (not a calendar period)"
        return undefined, f"{kind} is not defined for {table.grain}s (a {table.grain} is longer)"
    if kind == "rolling":
        starts = np.arange(table.n_periods) - count + 1
    else:
        starts = _group_starts(table, _WINDOW_GRAIN[kind])
    if counted is not None:  # the ids the source counted from the window's first day
        out = np.array(counted, dtype=float, copy=True)
    elif kind == "rolling":
        out = _rolling(values, rule, count)
    else:
        out = _cumulative(values, rule, _groups(table, _WINDOW_GRAIN[kind]))
    if rule in ("sum", DISTINCT):  # a period without data inside the window: not the window's
        holes = np.concatenate([[0], np.cumsum(_holes(table, name))])
        gap = holes[1:] > holes[np.maximum(starts, 0)]
        out = np.where(gap[:, None], np.nan, out)
    return known_only(out, rule, token, table, name), None


def known_only(
    out: np.ndarray, rule: str, token: str, table: InputTable, name: str | None
) -> np.ndarray:
    """A window's values, undefined where the window starts before `name`'s data
    (`window_known`); a stock's latest value is after any unknown day: it stands."""
    if rule == "last":
        return out
    return np.where(window_known(token, table, name)[:, None], out, np.nan)


def window_known(token: str, table: InputTable, name: str | None = None) -> np.ndarray:
    """For each period, whether the data covers its window `token` from the window's first day:
    the window's first period is in the table and starts at most `first_event_slack` before the
    first day `name`'s data covers (the earliest of any variable's when `name` has no span)."""
    found = window_of(token)
    assert found is not None
    kind, count = found
    if kind == "rolling":
        starts = np.arange(table.n_periods) - count + 1
    else:
        starts = _group_starts(table, _WINDOW_GRAIN[kind])
    known = starts >= 0
    first = _first_day(table, name)
    if first is not None:  # a first day a few days in may be the first event, not a late start
        first -= first_event_slack(table.grain)
        known &= np.array([s >= 0 and table.period_start(int(s)) >= first for s in starts], bool)
    return known


def _holes(table: InputTable, name: str | None) -> np.ndarray:
    """For each period, whether `name`'s data lacks it: it holds a month a monthly source lacks
    (`InputTable.gaps`), or starts after the data ends."""
    gaps = table.gaps.get(name, []) if name else []
    end = table.spans[name][1] if name is not None and name in table.spans else None
    return np.array(
        [
            (end is not None and table.period_start(i) > end)
            or any(table.period_start(i) <= gap <= table.period_end(i) for gap in gaps)
            for i in range(table.n_periods)
        ],
        dtype=bool,
    )


def _groups(table: InputTable, outer: str) -> np.ndarray:
    """For each period, the ordinal of the `outer` period (year, quarter, month) it belongs to."""
    return np.array([_outer(table, i, outer) for i in range(table.n_periods)])


def _outer(table: InputTable, index: int, outer: str) -> int:
    """The `outer` period of the table's period `index` (which may be before the table): the
    one it starts in; a week's is the one its Thursday is in, as ISO weeks belong to the year of
    their Thursday (2025-W01, 30 December 2024 to 5 January 2025, is in 2025)."""
    return outer_of(table.calendar, table.first + index, table.grain, outer)


def _group_starts(table: InputTable, outer: str) -> np.ndarray:
    """For each period, the index of the first period of its `outer` window; -1 when that
    window began before the table (the period before the table is in the same window)."""
    groups = _groups(table, outer)
    starts = np.zeros(table.n_periods, dtype=int)
    for i in range(1, table.n_periods):
        starts[i] = starts[i - 1] if groups[i] == groups[i - 1] else i
    if table.n_periods:
        starts[(starts == 0) & (groups == _outer(table, -1, outer))] = -1
    return starts


def _first_day(table: InputTable, name: str | None) -> dt.date | None:
    """The first day `name`'s data covers; the earliest any variable's covers without a span."""
    if name is not None and name in table.spans:
        return table.spans[name][0]
    firsts = [first for first, _ in table.spans.values()]
    if table.coverage is not None:
        firsts.append(table.coverage[0])
    return min(firsts) if firsts else None


def _text(kind: str, count: int) -> str:
    return f"the last {count} periods" if kind == "rolling" else f"a {kind} window"


def _combine(rule: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two aggregates of consecutive spans as one (`a` earlier); NaN is no data."""
    if rule == "sum":
        return np.where(np.isnan(a), b, np.where(np.isnan(b), a, a + b))
    if rule == "min":
        return np.fmin(a, b)
    if rule == "max":
        return np.fmax(a, b)
    # a stock's latest (earliest) period with data, every segment as it was then: a segment
    # without a row in that period has no value, as in the period itself (its older value is
    # not the stock at the window's end), and the total stays the sum of its segments
    if rule == "last":
        return np.where(np.isnan(b).all(axis=-1, keepdims=True), a, b)
    return np.where(np.isnan(a).all(axis=-1, keepdims=True), b, a)  # first


def _cumulative(values: np.ndarray, rule: str, groups: np.ndarray) -> np.ndarray:
    out = np.array(values, dtype=float, copy=True)
    for i in range(1, out.shape[-2]):
        if groups[i] == groups[i - 1]:
            out[..., i, :] = _combine(rule, out[..., i - 1, :], values[..., i, :])
    return out


def _rolling(values: np.ndarray, rule: str, count: int) -> np.ndarray:
    out = np.full_like(values, np.nan, dtype=float)
    if rule == "sum":  # prefix sums: linear in the number of periods, whatever the window
        held = ~np.isnan(values)
        zero = np.zeros_like(values[..., :1, :], dtype=float)
        sums = np.concatenate([zero, np.cumsum(np.where(held, values, 0.0), axis=-2)], axis=-2)
        counts = np.concatenate([zero, np.cumsum(held, axis=-2)], axis=-2)
        window = sums[..., count:, :] - sums[..., :-count, :]
        some = (counts[..., count:, :] - counts[..., :-count, :]) > 0
        out[..., count - 1 :, :] = np.where(some, window, np.nan)
        return out
    for i in range(count - 1, values.shape[-2]):
        acc = values[..., i - count + 1, :]
        for j in range(i - count + 2, i + 1):
            acc = _combine(rule, acc, values[..., j, :])
        out[..., i, :] = acc
    return out
