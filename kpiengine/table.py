"""The input table: variables aggregated by period and segment from row-level data.

Each variable is first aggregated over time within each period at the finest segment (every
dimension combination), then across segments into the requested groups and the total, by its
`aggregate` rule. KPI values are never summed or averaged: formulas run on these inputs.
Longer than 420 lines: the frame, its aggregation and the table it makes change together.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .distinct import distinct
from .errors import Finding, KpiError
from .model import DISTINCT, Aggregate
from .periods import DEFAULT, Calendar, first_event_slack
from .rowdates import date_grain_of

#: The period to date: the one the data stops inside (or the last one).
CURRENT = "current"


@dataclass
class Frame:
    """Input rows: dates, dimension columns (text), variable columns (float; NaN is missing).

    Rows are dated events (days) unless a connector aggregated them: then `grain` is the period
    each row stands for, and `span` the raw dates behind them. `date_grain` is how precise the
    raw dates are (`month` when they name months, or are all the first of a month): the data
    covers the whole of its last such period. `totals` marks rows that total every dimension,
    read only for distinct counts, which cannot be added up; `dated_by` says which date (event)
    dates each variable, e.g. `Close Date`; `missing` names the variables a connector leaves
    out on purpose, and why (the KPIs reading them are undefined with that reason); `notes` why
    some cells of a distinct count are empty (several rows of counts fell in them); `warnings`
    rows a connector counted but that look wrong (a deal closed on a day still to come);
    `holes` the days between the source's files that none covers (first, last, and the files
    before and after), unknown rather than days without activity (`kpiengine.monthgaps`).
    """

    dates: np.ndarray
    dims: dict[str, np.ndarray] = field(default_factory=dict)
    values: dict[str, np.ndarray] = field(default_factory=dict)
    source: str = ""
    span: tuple[dt.date, dt.date] | None = None
    grain: str | None = None
    date_grain: str = "day"
    totals: np.ndarray | None = None
    dated_by: dict[str, str] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    warnings: list[KpiError] = field(default_factory=list)
    holes: list[tuple[dt.date, dt.date, str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.dates = np.asarray(self.dates, dtype="datetime64[D]")
        n = len(self.dates)
        for name, column in [*self.dims.items(), *self.values.items()]:
            if len(column) != n:
                raise ValueError(f"column `{name}` has {len(column)} rows, dates have {n}")
        if self.totals is not None and len(self.totals) != n:
            raise ValueError(f"`totals` has {len(self.totals)} rows, dates have {n}")

    def __len__(self) -> int:
        return len(self.dates)

    def subset(self, rows: np.ndarray) -> Frame:
        """The frame's rows where `rows` (a bool mask) is true."""
        return dataclasses.replace(
            self,
            dates=self.dates[rows],
            dims={d: c[rows] for d, c in self.dims.items()},
            values={v: np.asarray(c)[rows] for v, c in self.values.items()},
            totals=None if self.totals is None else self.totals[rows],
        )

    @classmethod
    def concat(cls, frames: list[Frame]) -> Frame:
        """The rows of several frames with the same columns, one after the other."""
        if len(frames) == 1:
            return frames[0]
        totals = None
        if any(f.totals is not None for f in frames):
            totals = np.concatenate(
                [f.totals if f.totals is not None else np.zeros(len(f), bool) for f in frames]
            )
        return cls(
            np.concatenate([f.dates for f in frames]),
            {d: np.concatenate([f.dims[d] for f in frames]) for d in frames[0].dims},
            {v: np.concatenate([f.values[v] for f in frames]) for v in frames[0].values},
            source=", ".join(f.source for f in frames),
            span=union([f.coverage for f in frames]),
            grain=frames[0].grain,
            date_grain=frames[0].date_grain,
            totals=totals,
            dated_by={k: v for f in frames for k, v in f.dated_by.items()},
            warnings=[w for f in frames for w in f.warnings],
            holes=sorted({h for f in frames for h in f.holes}),
        )

    @property
    def coverage(self) -> tuple[dt.date, dt.date] | None:
        """First and last date of the data (the raw dates, when rows are aggregated)."""
        if self.span is not None:
            return self.span
        if not len(self.dates):
            return None
        return self.dates.min().item(), self.dates.max().item()

    def covered(self, calendar: Calendar = DEFAULT) -> tuple[dt.date, dt.date] | None:
        """The days the data covers: its coverage, widened to whole `date_grain` periods
        (monthly data dated on the 1st covers its last month, dated on month ends its first)."""
        span = self.coverage
        if span is None:
            return None
        first, last = span
        if self.span is None and self.grain not in (None, "day", "range"):
            ordinal = calendar.ordinal_of(last, self.grain)  # rows stand for whole periods
            return first, calendar.end_date(ordinal, self.grain)
        grain = "month" if self.date_grain == "day" and self.month_dated() else self.date_grain
        if grain == "day":
            return span
        start, end = calendar.ordinal_of(first, grain), calendar.ordinal_of(last, grain)
        return calendar.start_date(start, grain), calendar.end_date(end, grain)

    def month_dated(self) -> bool:
        """True when rows are dated events in several months, all on the first of a month or
        all on a month's last day: monthly data (see `rowdates.date_grain_of`)."""
        if self.grain is not None or self.span is not None or len(self.dates) < 2:
            return False
        days = self.dates[~np.isnat(self.dates)]
        return (
            len(np.unique(days.astype("datetime64[M]"))) > 1
            and date_grain_of(days, days) == "month"
        )


def union(spans: list[tuple[dt.date, dt.date] | None]) -> tuple[dt.date, dt.date] | None:
    """The date range that spans every known range."""
    known = [s for s in spans if s is not None]
    return (min(s[0] for s in known), max(s[1] for s in known)) if known else None


@dataclass
class SourceStatus:
    """What happened to one source during a fetch (shown in reports)."""

    name: str
    connector: str
    origin: str
    variables: list[str] = field(default_factory=list)
    coverage: tuple[dt.date, dt.date] | None = None
    error: str | None = None


@dataclass
class InputTable:
    """Variables as arrays of shape (periods, segments); segment 0 is the total.

    `spans` are the days each variable's data covers (see `Frame.covered`), `gaps` the first
    days of the months inside them that a monthly source lacks and the days no file of a source
    covers (`Frame.holes`), `dated_by` the date that dates
    it; `sources` says what each source gave and `findings` what went wrong
    while fetching.
    """

    grain: str
    first: int  # ordinal of the first period
    values: dict[str, np.ndarray]
    segments: list[dict[str, str]]
    coverage: tuple[dt.date, dt.date] | None = None
    missing: dict[str, str] = field(default_factory=dict)  # variable -> why it has no data
    sources: list[SourceStatus] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    calendar: Calendar = DEFAULT
    spans: dict[str, tuple[dt.date, dt.date]] = field(default_factory=dict)
    gaps: dict[str, list[dt.date]] = field(default_factory=dict)  # months or days lacking
    dated_by: dict[str, str] = field(default_factory=dict)
    #: variables whose rows count days after the cut day, and why: unknown in the last period
    #: once `today.unknown_past_cut` has kept those without days
    past_cut: dict[str, str] = field(default_factory=dict)
    #: distinct counts over windows as the source counted them (`kpiengine.distinct`): this
    #: table's own, never copied by `dataclasses.replace` onto one with other values
    counted_windows: dict[str, np.ndarray] = field(default_factory=dict, init=False)

    @property
    def n_periods(self) -> int:
        return next(iter(self.values.values())).shape[-2] if self.values else 0

    @property
    def ordinals(self) -> np.ndarray:
        return np.arange(self.first, self.first + self.n_periods)

    @property
    def labels(self) -> list[str]:
        return [self.calendar.label(int(o), self.grain) for o in self.ordinals]

    def period_start(self, index: int) -> dt.date:
        return self.calendar.start_date(self.first + index, self.grain)

    def period_end(self, index: int) -> dt.date:
        return self.calendar.end_date(self.first + index, self.grain)

    def last_complete(self) -> int:
        """The last period every variable covers to its end: the default period of every
        command (the last period when none is complete)."""
        complete = np.flatnonzero(self.coverage_of(self.spans) >= 1 - 1e-9)
        return int(complete[-1]) if complete.size else self.n_periods - 1

    def period_index(self, label: str | None) -> int:
        """A period label's index: None is the last complete period, `current` the last one."""
        if label is None:
            return self.last_complete()
        if label == CURRENT:
            return self.n_periods - 1
        labels = self.labels
        if label in labels:
            return labels.index(label)
        grain, start = self.calendar.parse_label(label)
        if grain != self.grain:
            raise KpiError(f"`{label}` is a {grain}, but the data is by {self.grain}")
        raise KpiError(
            f"no data for {label}: the data covers {labels[0]} to {labels[-1]}",
            fix=f"choose a period from {labels[0]} to {labels[-1]}, or `current`",
        )

    def coverage_of(self, names: Iterable[str]) -> np.ndarray:
        """For each period, the share of its days that every one of `names` covers (1 when
        none has a known span); a first day at most `first_event_slack` into its period is the
        first event: the data covers that period from its start."""
        out = np.ones(self.n_periods)
        spans = [self.spans[n] for n in names if n in self.spans]
        slack = first_event_slack(self.grain)
        for i in range(self.n_periods if spans else 0):
            start, end = self.period_start(i), self.period_end(i)
            days = (end - start).days + 1
            for first, last in spans:
                first = start if start < first <= min(end, start + slack) else first
                held = (min(end, last) - max(start, first)).days + 1
                out[i] = min(out[i], max(held, 0) / days)
        return out


def _codes(columns: list[np.ndarray], n: int) -> tuple[np.ndarray, list[tuple]]:
    """A dense integer code per row (of `n`) for the combination of `columns`, and their values."""
    if not columns:
        return np.zeros(n, dtype=np.int64), [()]
    combined = np.zeros(n, dtype=np.int64)
    uniques = []
    for column in columns:
        values, inverse = np.unique(column.astype(str), return_inverse=True)
        uniques.append(values)
        combined = combined * len(values) + inverse.reshape(-1)
    keys, codes = np.unique(combined, return_inverse=True)
    labels = []
    for key in keys:
        parts = []
        for values in reversed(uniques):
            key, index = divmod(int(key), len(values))
            parts.append(str(values[index]))
        labels.append(tuple(reversed(parts)))
    return codes.reshape(-1), labels


def time_aggregate(
    rule: str, cell: np.ndarray, days: np.ndarray, values: np.ndarray, n_cells: int
) -> np.ndarray:
    """Aggregate rows into cells; rows with NaN are missing; empty cells are NaN."""
    ok = ~np.isnan(values)
    cell, days, values = cell[ok], days[ok], values[ok]
    count = np.bincount(cell, minlength=n_cells)
    if rule in ("sum", "mean"):
        total = np.bincount(cell, weights=values, minlength=n_cells)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = total if rule == "sum" else total / count
    elif rule in ("min", "max"):
        out = np.full(n_cells, np.nan)
        (np.fmin if rule == "min" else np.fmax).at(out, cell, values)
    else:  # last / first: the rows on the last (first) date of each cell, added up
        order = np.lexsort((days, cell))
        cell, days, values = cell[order], days[order], values[order]
        if not len(cell):  # every value missing: every cell is empty
            edge = np.zeros(0, dtype=bool)
        elif rule == "last":
            edge = np.r_[cell[1:] != cell[:-1], True]
        else:
            edge = np.r_[True, cell[1:] != cell[:-1]]
        edge_day = np.zeros(n_cells, dtype=days.dtype)
        edge_day[cell[edge]] = days[edge]
        keep = days == edge_day[cell]
        out = np.bincount(cell[keep], weights=values[keep], minlength=n_cells)
    out = out.astype(float)
    out[count == 0] = np.nan
    return out


#: Segments a breakdown may have unless `KPIENGINE_MAX_SEGMENTS` says otherwise: every variable
#: and KPI gets periods x segments cells, and every report and table shows them.
MAX_SEGMENTS = 10_000
SEGMENTS_VARIABLE = "KPIENGINE_MAX_SEGMENTS"


def segment_limit() -> int:
    """The largest number of segments a breakdown may have (`KPIENGINE_MAX_SEGMENTS`)."""
    text = os.environ.get(SEGMENTS_VARIABLE, "").strip()
    if not text:
        return MAX_SEGMENTS
    if not text.isdigit() or int(text) < 1:
        raise KpiError(f"{SEGMENTS_VARIABLE} must be a positive whole number, not `{text}`")
    return int(text)


def segment_aggregate(rule: str, cube: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Aggregate the columns of `cube` (periods x fine segments) into `n_groups` columns.

    The fine segments are sorted by group and each group reduced over its own columns
    (`reduceat`): time and memory grow with the cells, never with fine segments x groups."""
    limit = segment_limit()
    if n_groups > limit:
        raise KpiError(
            f"the breakdown has {n_groups:,} segments, more than the {limit:,} allowed",
            fix=f"break down by a dimension with fewer values, or raise the limit: "
            f"{SEGMENTS_VARIABLE}={n_groups}",
        )
    out = np.full((cube.shape[0], n_groups), np.nan)
    if not cube.shape[1]:
        return out
    order = np.argsort(groups, kind="stable")
    ordered = groups[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    columns = cube[:, order]
    present = ~np.isnan(columns)
    count = np.add.reduceat(present.astype(np.int64), starts, axis=1)
    if rule in ("sum", "mean"):
        values = np.add.reduceat(np.where(present, columns, 0.0), starts, axis=1)
        if rule == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                values = values / count
    else:  # fmin/fmax skip NaN; a group with no value stays NaN (count == 0 below)
        values = (np.fmin if rule == "min" else np.fmax).reduceat(columns, starts, axis=1)
    values[count == 0] = np.nan
    out[:, ordered[starts]] = values
    return out


def _quiet(
    cell: np.ndarray,
    n_fine: int,
    first: int,
    n_periods: int,
    grain: str,
    calendar: Calendar,
    span: tuple[dt.date, dt.date] | None,
) -> np.ndarray | None:
    """The cells (period x finest segment) without rows in periods the source covers: exports
    leave out days without activity, so a summed input is 0 there (before or after the
    source's dates it stays unknown)."""
    if span is None:
        return None
    rows = np.bincount(cell, minlength=n_periods * n_fine) > 0
    inside = [
        calendar.start_date(o, grain) <= span[1] and calendar.end_date(o, grain) >= span[0]
        for o in range(first, first + n_periods)
    ]
    return ~rows & np.repeat(np.array(inside, dtype=bool), n_fine)


def build_table(
    frame: Frame,
    aggregates: dict[str, Aggregate],
    grain: str,
    by: list[str] | tuple[str, ...] = (),
    calendar: Calendar = DEFAULT,
) -> InputTable:
    """Aggregate `frame` to `grain`: the total, and each combination of the `by` dimensions."""
    missing = [d for d in by if d not in frame.dims]
    if missing:
        available = ", ".join(sorted(frame.dims)) or "none"
        raise KpiError(f"the data has no dimension `{missing[0]}` (dimensions: {available})")
    if not len(frame):
        raise KpiError("the data has no rows")
    whole = frame
    if frame.totals is not None and frame.totals.any() and not frame.totals.all():
        frame = frame.subset(~frame.totals)  # total rows only give distinct counts' totals
    periods = calendar.ordinals(frame.dates, grain)
    first = int(periods.min())
    n_periods = int(periods.max()) - first + 1
    fine, _ = _codes([frame.dims[d] for d in sorted(frame.dims)], len(frame))
    n_fine = int(fine.max()) + 1
    cell = (periods - first) * n_fine + fine
    days = frame.dates.astype(np.int64)
    detail = np.ones(len(frame), bool) if frame.totals is None else ~frame.totals
    first_of = calendar.ordinals(whole.dates, grain) - first

    # map fine segments to the requested groups
    fine_first_row = np.unique(fine, return_index=True)[1]
    group_codes, group_labels = _codes([frame.dims[d][fine_first_row] for d in by], n_fine)
    segments: list[dict[str, str]] = [{}]
    if by:
        segments += [dict(zip(by, key, strict=True)) for key in group_labels]

    values: dict[str, np.ndarray] = {}
    why: dict[str, str] = {}
    span = frame.covered(calendar)
    # rows of days: a day without one had none; a monthly export without a month lacks it
    daily = frame.date_grain == "day" and not frame.month_dated()
    quiet = _quiet(cell, n_fine, first, n_periods, grain, calendar, span) if daily else None
    for name, aggregate in aggregates.items():
        if name not in frame.values:
            continue
        column = np.where(detail, np.asarray(frame.values[name], dtype=float), np.nan)
        if aggregate.time == DISTINCT:
            shape = (n_periods, len(segments))
            values[name], reason = distinct(
                whole, name, grain, segments, first_of, shape, frame.notes.get(name)
            )
            if reason:
                why[name] = reason
            continue
        flat = time_aggregate(aggregate.time, cell, days, column, n_periods * n_fine)
        # a variable the source left out, or holds no value of, is not known to be 0 anywhere
        summed = aggregate.time == "sum" and name not in frame.missing
        if summed and quiet is not None and np.isfinite(column).any():
            flat[quiet] = 0.0
        cube = flat.reshape(n_periods, n_fine)
        total = segment_aggregate(aggregate.segments, cube, np.zeros(n_fine, dtype=int), 1)
        if by:
            groups = segment_aggregate(aggregate.segments, cube, group_codes, len(group_labels))
            values[name] = np.hstack([total, groups])
        else:
            values[name] = total
    return InputTable(
        grain,
        first,
        values,
        segments,
        frame.coverage,
        why,
        calendar=calendar,
        spans={name: span for name in values} if span else {},
        dated_by={k: v for k, v in frame.dated_by.items() if k in values},
    )
