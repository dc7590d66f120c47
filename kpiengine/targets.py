"""Targets per period, status against them, and the split of annual targets into periods.

An additive KPI (a sum of summed variables, like revenue or leads) has a target that is spread
over the days of the period it is given for (evenly, or by monthly weights for an annual target)
and summed over the days of the period asked for. Any other KPI (a ratio) keeps its target
unchanged in every period inside the one it is given for.

Targets leave this module tidied (`formatting.tidy`: a twelfth of 36,000 summed over a month's
days is 3,000, not 3,000.000000000002), and statuses compare tidied values with them: a status
rests on the numbers the user is shown, so a target met exactly is on track.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from .formatting import tidy, tidy_array
from .model import TargetSpec
from .periods import DEFAULT, Calendar

ON_TRACK = "on_track"
AT_RISK = "at_risk"
OFF_TRACK = "off_track"
NO_TARGET = "no_target"
UNDEFINED = "undefined"
NOT_JUDGED = "not_judged"  # a target beside `direction: none`: a reference, neither side better


def _day_index(day: dt.date, origin: dt.date) -> int:
    return (day - origin).days


def _year_density(start: dt.date, amount: float, split: list[float] | None) -> np.ndarray:
    """Daily shares of an annual amount over the 12 months from `start`, month weights (the
    first for the year's first month) spread evenly over each month's days."""
    weights = split or [1 / 12] * 12
    out = []
    for index, weight in enumerate(weights):
        months = start.month - 1 + index
        first = dt.date(start.year + months // 12, months % 12 + 1, 1)
        last = dt.date(start.year + (months + 1) // 12, (months + 1) % 12 + 1, 1)
        days = (last - first).days
        out.append(np.full(days, amount * weight / days))
    return np.concatenate(out)


def period_targets(
    spec: TargetSpec | None,
    additive: bool,
    grain: str,
    first: int,
    n_periods: int,
    calendar: Calendar = DEFAULT,
    per: str | None = None,
) -> np.ndarray:
    """The target of each period (NaN where none applies); `annual:` keys are the calendar's
    (fiscal) years. A constant is for every period of the grain `per` (the workspace's): an
    additive one evaluated by another grain is spread over the days (a quarter's is three
    months')."""
    out = np.full(n_periods, np.nan)
    if spec is None or n_periods == 0:
        return out
    if spec.constant is not None and not _respread(additive, grain, per):
        out[:] = spec.constant
        return out
    daily, origin = _daily(spec, additive, grain, first, n_periods, calendar, per)
    for i in range(n_periods):
        a = _day_index(calendar.start_date(first + i, grain), origin)
        b = _day_index(calendar.end_date(first + i, grain), origin) + 1
        chunk = daily[a:b]
        if np.isnan(chunk).any():
            continue
        if additive:
            out[i] = chunk.sum()
        elif np.all(chunk == chunk[0]):
            out[i] = chunk[0]
    return tidy_array(out)


def to_date_target(
    spec: TargetSpec | None,
    grain: str,
    ordinal: int,
    days: int,
    calendar: Calendar = DEFAULT,
    per: str | None = None,
    skip: int = 0,
) -> float:
    """An additive target for `days` days of the period `ordinal`, its first or those after
    its first `skip` days: the sum of the target's days (a constant period target spread
    evenly over the period); NaN without one."""
    if spec is None:
        return float("nan")
    start, end = calendar.start_date(ordinal, grain), calendar.end_date(ordinal, grain)
    length = (end - start).days + 1
    skip = max(0, min(skip, length))
    days = max(0, min(days, length - skip))
    if spec.constant is not None and not _respread(True, grain, per):
        return tidy(float(spec.constant) * days / length)
    daily, origin = _daily(spec, True, grain, ordinal, 1, calendar, per)
    chunk = daily[_day_index(start, origin) + skip :][:days]
    return float("nan") if np.isnan(daily).any() else tidy(float(chunk.sum()))


def _respread(additive: bool, grain: str, per: str | None) -> bool:
    """Whether an additive constant, given per period of `per`, is spread over other periods."""
    return additive and per is not None and per != grain


def _daily(
    spec: TargetSpec,
    additive: bool,
    grain: str,
    first: int,
    n_periods: int,
    calendar: Calendar,
    per: str | None = None,
) -> tuple[np.ndarray, dt.date]:
    """The target of each day of the periods (an additive one spread over its days; NaN where
    none applies), and the first day."""
    start_date, end_date = calendar.start_date, calendar.end_date
    origin = start_date(first, grain)
    n_days = _day_index(end_date(first + n_periods - 1, grain), origin) + 1
    daily = np.full(n_days, np.nan)
    span = np.full(n_days, 0)  # length of the labelled period that set each day (finest wins)

    def paint(start: dt.date, end: dt.date, values: np.ndarray | float) -> None:
        a, b = _day_index(start, origin), _day_index(end, origin) + 1
        length = b - a
        lo, hi = max(a, 0), min(b, n_days)
        if lo >= hi:
            return
        chunk = values[lo - a : hi - a] if isinstance(values, np.ndarray) else values
        finer = (span[lo:hi] == 0) | (span[lo:hi] >= length)
        daily[lo:hi] = np.where(finer, chunk, daily[lo:hi])
        span[lo:hi] = np.where(finer, length, span[lo:hi])

    if spec.constant is not None and per is not None:  # per period of `per`, over its days
        last = end_date(first + n_periods - 1, grain)
        for o in range(calendar.ordinal_of(origin, per), calendar.ordinal_of(last, per) + 1):
            start, end = start_date(o, per), end_date(o, per)
            paint(start, end, spec.constant / ((end - start).days + 1))
        return daily, origin
    first_year = calendar.fiscal_year_of(origin)
    last_year = calendar.fiscal_year_of(end_date(first + n_periods - 1, grain))
    for year_key, amount in spec.annual.items():
        years = range(first_year, last_year + 1) if year_key == "*" else [int(year_key)]
        for year in years:
            start = dt.date(year - 1 if calendar.fiscal else year, calendar.fiscal_year_start, 1)
            end = end_date(calendar.ordinal_of(start, "year"), "year")
            density = _year_density(start, amount, spec.split)
            paint(start, end, density if additive else amount)
    for text, value in sorted(spec.by_period.items(), key=lambda kv: -_length(kv[0], calendar)):
        start, end = calendar.label_bounds(text)
        days = (end - start).days + 1
        paint(start, end, value / days if additive else value)
    return daily, origin


def _length(text: str, calendar: Calendar) -> int:
    start, end = calendar.label_bounds(text)
    return (end - start).days + 1


_STATUSES = np.array([NO_TARGET, ON_TRACK, AT_RISK, OFF_TRACK, UNDEFINED, NOT_JUDGED], dtype=object)


def status(values: np.ndarray, targets: np.ndarray, direction: str, band: float) -> np.ndarray:
    """`on_track | at_risk | off_track | no_target | undefined` for each cell; with `direction:
    none`, `not_judged` where there is a target (whatever the value) and `no_target` elsewhere.
    Both are tidied first: the status of the numbers shown (a gap of 0 is on track)."""
    values, targets = tidy_array(values), tidy_array(targets)
    code = np.zeros(values.shape, dtype=np.int8)
    if direction == "none":
        code[~np.isnan(targets)] = 5
    else:
        has = ~np.isnan(targets)
        defined = ~np.isnan(values)
        sign = 1.0 if direction == "higher" else -1.0
        with np.errstate(invalid="ignore"):
            gap = sign * (values - targets)
            margin = band * np.abs(targets)
            code[has & defined & (gap >= 0)] = 1
            code[has & defined & (gap < 0) & (gap >= -margin)] = 2
            code[has & defined & (gap < -margin)] = 3
        code[has & ~defined] = 4
    return _STATUSES[code]
