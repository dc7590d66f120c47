"""Evaluate KPIs over every period x segment cell at once, with targets, status and changes.

Pure: a plan and an input table in, results out; no files, plugins or databases. The fields
of the records results flatten to (status bases, gaps, JSON) are in `recordfields`. (A little
longer than 420 lines: a partial period's basis and status are judged beside the results.)
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .compute import Computer
from .errors import Finding
from .formatting import cells, is_rate, tidy, tidy_array
from .model import KPI, Workspace
from .pacing import (
    LateStart,
    Projection,
    days_before_start,
    elapsed_days,
    late_start,
    p_target,
    project,
    reads_earlier,
    scale_free,
    stops_inside,
)
from .plan import Plan
from .recordfields import (
    NOT_JUDGED_REASON,
    PACING_FIELDS,
    PRO_RATA,
    PROJECTION,
    UNJUDGED,
    VALUE,
    cell_reason,
    judged,
    num,
    records_json,
    rel,
    sub,
)
from .refs import display_ref
from .table import InputTable, SourceStatus
from .targets import NOT_JUDGED, UNDEFINED, period_targets, status, to_date_target
from .todatevalues import ToDate, segment_positions, to_date, to_date_table
from .today import cut_reasons
from .transforms import window, year_ago_index


@dataclass
class KpiResult:
    """One KPI's values (periods x segments; NaN where undefined) and what goes with them."""

    kpi: KPI
    values: np.ndarray
    reasons: np.ndarray  # object: None where defined, else why not (without the cell's period)
    targets: np.ndarray
    additive: bool
    band: float  # the at-risk band
    coverage: np.ndarray  # per period: the share of its days every input covers
    partial: int | None = None  # the period the data stops inside, when there is one
    to_date: ToDate | None = None  # its comparisons with earlier periods' same elapsed days
    projection: Projection | None = None  # its value at the period's end
    elapsed: int = 0  # the days of the partial period every input covers
    days: int = 0  # the partial period's length in days
    skip: int = 0  # its days before the data starts, when it is also the first (late) period
    target_to_date: np.ndarray | None = None  # segments: an additive target for those days
    #: segments: whether its value to date holds for the whole period (`pacing.scale_free`),
    #: found only when a status needs it (without a projection)
    scale_free: Callable[[], np.ndarray] | None = None
    late: LateStart | None = None  # the first period, when the data starts inside it
    #: inputs without daily values (monthly rows: the whole month or the month so far) beside
    #: inputs to date: the partial period is not judged (`engine._unprojected`)
    undated: tuple[str, ...] = ()

    @functools.cached_property
    def basis(self) -> np.ndarray | None:
        """What the partial period's status rests on, per segment (see `BASES`)."""
        if self.partial is None:
            return None
        value, target = self.values[self.partial], self.targets[self.partial]
        out = np.full(value.shape, VALUE, dtype=object)
        projected = self.projection.value if self.projection is not None else value * np.nan
        to_date = self.target_to_date if self.target_to_date is not None else value * np.nan
        judged = np.isfinite(value) & np.isfinite(target) & np.isnan(projected)
        pro_rata = judged & self.additive & np.isfinite(to_date)
        rest = judged & ~pro_rata
        if rest.any():  # a ratio's value to date stands for the period, a sum's does not
            free = self.scale_free() if self.scale_free else np.zeros(value.shape, bool)
            out[rest & ~free] = UNJUDGED
        out[pro_rata] = PRO_RATA
        out[np.isfinite(projected)] = PROJECTION
        out[judged] = UNJUDGED if self.undated else out[judged]
        return out

    @functools.cached_property
    def status(self) -> np.ndarray:
        """`on_track | at_risk | off_track | no_target | undefined` for each cell (`not_judged`
        beside a target with `direction: none`); a partial period is judged as its `basis`
        says: `undefined` when it cannot be judged."""
        out = status(self.values, self.targets, self.kpi.direction, self.band)
        late = self.late
        if late is not None:  # the total of the days held against their target
            target = np.array([late.target])
            held = self.values[late.period, :1]
            out[late.period, :1] = status(held, target, self.kpi.direction, self.band)
        basis, p = self.basis, self.partial
        if basis is None or p is None:
            return out
        judged, target = self.values[p].copy(), np.array(self.targets[p], dtype=float)
        if self.projection is not None:
            judged[basis == PROJECTION] = self.projection.value[basis == PROJECTION]
        if self.target_to_date is not None:
            target[basis == PRO_RATA] = self.target_to_date[basis == PRO_RATA]
        out[p] = status(judged, target, self.kpi.direction, self.band)
        if self.kpi.direction != "none":  # else `not_judged` whatever the basis
            out[p][basis == UNJUDGED] = UNDEFINED
        return out

    @property
    def complete(self) -> np.ndarray:
        return self.coverage >= 1 - 1e-9

    @functools.cached_property
    def p_target(self) -> np.ndarray | None:
        """The probability of reaching the target in the partial period, per segment (none
        for `direction: none`: no side of its target is reached)."""
        if self.partial is None or self.projection is None or self.kpi.direction == "none":
            return None
        return p_target(self.projection, self.targets[self.partial], self.kpi.direction)


@dataclass
class Results:
    """Everything one evaluation produced; `records()` flattens it for JSON, CSV and tables."""

    workspace: Workspace
    table: InputTable
    kpis: dict[str, KpiResult]
    selected: list[int]  # indices of the periods asked for
    findings: list[Finding] = field(default_factory=list)
    sources: list[SourceStatus] = field(default_factory=list)
    daily: InputTable | None = None  # the inputs by day, when a partial period was paced

    @property
    def labels(self) -> list[str]:
        return self.table.labels

    def records(self) -> list[dict]:
        """One record per KPI x selected period x segment."""
        labels = self.labels
        ago = year_ago_index(self.table)
        rows = []
        for result in self.kpis.values():
            kpi = result.kpi
            relative = (lambda a, b: None) if is_rate(kpi) else rel  # a rate changes in points
            title = kpi.title_in(self.workspace.settings.locale)  # once per KPI, not per cell
            unit = str(kpi.unit) if kpi.unit else kpi.unit_text
            complete, coverage = result.complete.tolist(), result.coverage.tolist()
            shown = tidy_array(result.values)  # whole arrays: a cell at a time is 10x slower
            values, targets = cells(shown), cells(tidy_array(result.targets))
            steps = cells(tidy_array(shown - np.roll(shown, 1, axis=0)))  # row 0 unused
            yoys = cells(tidy_array(shown - shown[np.maximum(ago, 0)]))
            for i in self.selected:
                for s, segment in enumerate(self.table.segments):
                    value = values[i][s]
                    prev, change = (values[i - 1][s], steps[i][s]) if i > 0 else (None, None)
                    last, yoy = (values[ago[i]][s], yoys[i][s]) if ago[i] >= 0 else (None, None)
                    pacing = _pacing(result, i, s)
                    if i == result.partial:  # to the same date, or not at all (no daily values)
                        todate = result.to_date
                        prev = None if todate is None else num(todate.previous[s])
                        last = None if todate is None else num(todate.last_year[s])
                        change, yoy = sub(value, prev), sub(value, last)
                    target = targets[i][s]
                    if result.status[i, s] == NOT_JUDGED:  # a reference: say why, not `none`
                        pacing["status_reason"] = NOT_JUDGED_REASON
                    judged_value, against = judged(value, target, pacing)
                    rows.append(
                        {
                            "kpi": kpi.id,
                            "title": title,
                            "period": labels[i],
                            "segment": dict(segment),
                            "value": value,
                            "unit": unit,
                            "format": kpi.format,
                            "target": target,
                            "gap": sub(judged_value, against),
                            "gap_pct": rel(judged_value, against),
                            "status": result.status[i, s],
                            "previous": prev,
                            "change": change,
                            "change_pct": relative(value, prev),
                            "last_year": last,
                            "change_yoy": yoy,
                            "change_yoy_pct": relative(value, last),
                            "reason": cell_reason(result.reasons[i, s], labels[i], segment),
                            "complete": complete[i],
                            "coverage": coverage[i],
                            **pacing,
                        }
                    )
        return rows

    def to_json(self) -> str:
        return records_json(self.records())


def _pacing(result: KpiResult, i: int, s: int) -> dict[str, object]:
    """The projection fields of a record: only the partial period has them."""
    fields: dict[str, object] = dict.fromkeys(PACING_FIELDS)
    fields["status_basis"] = VALUE
    fields["compared"] = "period"
    late = result.late
    if late is not None and i == late.period and s == 0:
        fields.update(
            status_basis=PRO_RATA,
            target_to_date=late.target,
            status_reason=f"the data starts on {late.first_day}: the value for its {late.held} "
            f"of {late.days} days is judged against the target for those days (pro rata)",
        )
    if i != result.partial or result.basis is None:
        return fields
    if result.to_date is not None:
        fields["compared"] = "to_date"
    basis = fields["status_basis"] = result.basis[s]
    projection = result.projection
    if projection is not None and math.isfinite(projection.value[s]):
        chance = result.p_target
        fields.update(
            projected=num(projection.value[s]),
            projected_low=num(projection.low[s]),
            projected_high=num(projection.high[s]),
            p_target=None if chance is None else num(chance[s]),
        )
    held = f"{result.elapsed - result.skip} of {result.days} days"
    if basis == PRO_RATA and result.target_to_date is not None:
        fields["target_to_date"] = num(result.target_to_date[s])
        fields["status_reason"] = (
            f"no projection: the value to date is judged against the target for its {held} "
            "(pro rata)"
        )
    elif basis == UNJUDGED and result.undated:
        fields["status_reason"] = (
            f"not judged: {', '.join(f'`{v}`' for v in result.undated)} in one row for the "
            f"period (the whole period or the period so far: no day says which), beside inputs "
            f"covering {held}"
        )
    elif basis == UNJUDGED:
        why = f" ({projection.reason})" if projection is not None and projection.reason else ""
        fields["status_reason"] = (
            f"not judged: the period holds {held} and has no projection{why}, and the KPI's "
            "value to date changes with the number of days without being a sum to judge pro rata"
        )
    return fields


# --- evaluation ----------------------------------------------------------------------------------


def evaluate(plan: Plan, table: InputTable, daily: InputTable | None = None) -> Results:
    """Evaluate the plan's KPIs for every period and segment (and the total) of the table,
    which holds every input the plan needs (`kpiengine.sources.fetch`). `daily` (the inputs by
    day, when the data stops inside its last period) gives that partial period its
    values-to-date comparisons and its projection (`kpiengine.pacing`)."""
    workspace = plan.workspace
    computer = Computer(workspace, table)
    results = {
        k: _evaluate_kpi(workspace, workspace.kpis[k], computer, plan.window) for k in plan.kpis
    }
    paced = [r for r in results.values() if r.partial is not None]
    if paced and daily is not None and daily.n_periods:
        _pace(workspace, table, daily, paced, plan.window)
    for result in paced:
        _like_with_like(workspace, table, result)
        _judge(workspace, table, result, plan.window)
    selected = _select_periods(table, plan.start, plan.end)
    findings = [*plan.findings, *table.findings]
    kept = daily if paced and daily is not None and daily.n_periods else None
    return Results(workspace, table, results, selected, findings, table.sources, kept)


def _select_periods(table: InputTable, start: dt.date | None, end: dt.date | None) -> list[int]:
    first, last = 0, table.n_periods - 1
    if start is not None:
        first = max(first, table.calendar.ordinal_of(start, table.grain) - table.first)
    if end is not None:
        last = min(last, table.calendar.ordinal_of(end, table.grain) - table.first)
    return list(range(first, last + 1))


def _evaluate_kpi(
    workspace: Workspace, kpi: KPI, computer: Computer, window_token: str | None = None
) -> KpiResult:
    table = computer.table
    values = computer.kpi(kpi.id, window_token)
    reasons = computer.reasons(kpi.id, window_token)
    shape = values.shape
    additive = kpi.target is not None and workspace.is_additive(kpi.id)
    per = workspace.settings.grain
    per_period = period_targets(
        kpi.target, additive, table.grain, table.first, table.n_periods, table.calendar, per
    )
    if window_token:  # an additive target adds up over the window; a rate's stays as it is
        per_period = window(
            per_period[:, None], "sum" if additive else "last", window_token, table
        )[0][:, 0]
        per_period = tidy_array(per_period)  # the sum tidied once, as `period_targets` does
    if additive:  # an additive target is for the total, not for each segment
        targets = np.full(shape, np.nan)
        targets[:, 0] = per_period
    else:  # the same target in every segment: a read-only view
        targets = np.broadcast_to(per_period[:, None], shape)
    band = workspace.at_risk_band(kpi)
    inputs = workspace.inputs_of(kpi.id)
    reasons = cut_reasons(table, inputs, values, reasons)
    coverage = table.coverage_of(inputs)
    last = table.n_periods - 1
    held = table.n_periods and coverage[last] > 0
    partial = last if held and stops_inside(table, inputs, last) else None
    late = late_start(workspace, table, kpi.id) if additive and not window_token else None
    return KpiResult(kpi, values, reasons, targets, additive, band, coverage, partial, late=late)


def in_progress(table: InputTable) -> bool:
    """True when the data stops inside its last period (the current month, say)."""
    if not table.n_periods:
        return False
    return stops_inside(table, table.spans, table.n_periods - 1)


def _pace(
    workspace: Workspace,
    table: InputTable,
    daily: InputTable,
    paced: list[KpiResult],
    window_token: str | None = None,
) -> None:
    """Values to date and projections for each KPI's partial period."""
    by_elapsed: dict[int, list[KpiResult]] = {}
    for result in paced:
        assert result.partial is not None
        inputs = workspace.inputs_of(result.kpi.id)
        by_elapsed.setdefault(elapsed_days(table, inputs, result.partial), []).append(result)
    for elapsed, group in by_elapsed.items():
        todate = to_date_table(daily, table, workspace, elapsed)
        position = segment_positions(daily, table)
        missing = np.ones(len(table.segments), bool)  # the table's segments without daily rows
        missing[position[position >= 0]] = False
        for result in group:
            assert result.partial is not None
            found = to_date(
                workspace, result.kpi.id, todate, table, result.partial, elapsed, window_token
            )
            found.reasons[missing & np.isnan(found.current)] = "no daily values for the segment"
            result.to_date = found
    period = table.n_periods - 1
    ids = [r.kpi.id for r in paced]
    projected = project(workspace, ids, daily, table, period, window_token)
    for result in paced:
        result.projection = projected[result.kpi.id]


def _like_with_like(workspace: Workspace, table: InputTable, result: KpiResult) -> None:
    """A KPI that reads an earlier period (`prev`, `last_year`) takes, in the partial period,
    that period's same days (`revenue / prev(revenue)` on 15 February: 1-15 February over 1-15
    January); without daily values to take them, it is undefined there."""
    p = result.partial
    shifted = reads_earlier(workspace, result.kpi.id)
    if p is None or shifted is None:
        return
    result.values = np.array(result.values, dtype=float, copy=True)
    result.reasons = np.array(result.reasons, dtype=object, copy=True)
    if result.to_date is not None:
        result.values[p] = result.to_date.current
        result.reasons[p] = result.to_date.reasons
        return
    start, end = table.period_start(p), table.period_end(p)
    held = elapsed_days(table, workspace.inputs_of(result.kpi.id), p)
    result.values[p] = np.nan
    result.reasons[p] = (
        f"the period holds {held} of {(end - start).days + 1} days, and `{display_ref(shifted)}` "
        "is compared on the same days of an earlier period: without daily values to take "
        "them, only the whole of that period, which would not compare like with like"
    )


def _judge(
    workspace: Workspace, table: InputTable, result: KpiResult, window_token: str | None
) -> None:
    """What the partial period's status can rest on without a projection (`KpiResult.basis`):
    an additive KPI's target for the days to date, or whether its value to date holds for the
    whole period (`pacing.scale_free`)."""
    p = result.partial
    assert p is not None
    kpi = result.kpi
    inputs = workspace.inputs_of(kpi.id)
    result.elapsed = elapsed_days(table, inputs, p)
    result.days = (table.period_end(p) - table.period_start(p)).days + 1
    # the only period, when the data also starts late in it: the target of the days held,
    # and no projection (it would be judged against the whole period's target)
    result.skip = days_before_start(table, inputs, p)
    if result.skip and result.additive:
        result.projection = None
    if result.additive:
        ordinal = table.first + p
        per = workspace.settings.grain
        held, skip = result.elapsed - result.skip, result.skip
        to_date = to_date_target(kpi.target, table.grain, ordinal, held, table.calendar, per, skip)
        if window_token:  # the window's earlier periods whole, the partial one to date
            per_period = period_targets(
                kpi.target, True, table.grain, table.first, table.n_periods, table.calendar, per
            )
            per_period[p] = to_date
            to_date = tidy(window(per_period[:, None], "sum", window_token, table)[0][p, 0])
        result.target_to_date = np.full(result.values.shape[1], np.nan)
        result.target_to_date[0] = to_date
    else:
        result.scale_free = functools.partial(scale_free, workspace, kpi.id, table, p, window_token)
