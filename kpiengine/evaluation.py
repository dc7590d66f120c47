"""Evaluate KPIs over every period x segment cell at once, with targets, status and changes.

Pure: a plan and an input table in, results out; no files, plugins or databases.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .compute import Computer
from .errors import Finding
from .model import KPI, Workspace
from .pacing import Projection, ToDate, elapsed_days, p_target, project, to_date, to_date_table
from .plan import Plan
from .table import InputTable, SourceStatus
from .targets import period_targets, status
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

    @functools.cached_property
    def status(self) -> np.ndarray:
        """`on_track | at_risk | off_track | no_target | undefined` for each cell; a partial
        period is judged on its projection when there is one."""
        judged = self.values
        if self.partial is not None and self.projection is not None:
            judged = self.values.copy()
            projected = self.projection.value
            judged[self.partial] = np.where(np.isnan(projected), judged[self.partial], projected)
        return status(judged, self.targets, self.kpi.direction, self.band)

    @property
    def complete(self) -> np.ndarray:
        return self.coverage >= 1 - 1e-9

    @functools.cached_property
    def p_target(self) -> np.ndarray | None:
        """The probability of reaching the target in the partial period, per segment."""
        if self.partial is None or self.projection is None:
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
            rel = _no_rel if is_rate(kpi) else _rel  # a rate changes in points, not in %
            title = kpi.title_in(self.workspace.settings.locale)  # once per KPI, not per cell
            unit = str(kpi.unit) if kpi.unit else kpi.unit_text
            for i in self.selected:
                for s, segment in enumerate(self.table.segments):
                    value = _num(result.values[i, s])
                    prev = _num(result.values[i - 1, s]) if i > 0 else None
                    last = _num(result.values[ago[i], s]) if ago[i] >= 0 else None
                    pacing = _pacing(result, i, s)
                    if pacing["compared"] == "to_date" and result.to_date is not None:
                        prev = _num(result.to_date.previous[s])
                        last = _num(result.to_date.last_year[s])
                    target = _num(result.targets[i, s])
                    reason = result.reasons[i, s]
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
                            "gap": _sub(value, target),
                            "gap_pct": _rel(value, target),
                            "status": result.status[i, s],
                            "previous": prev,
                            "change": _sub(value, prev),
                            "change_pct": rel(value, prev),
                            "last_year": last,
                            "change_yoy": _sub(value, last),
                            "change_yoy_pct": rel(value, last),
                            "reason": None
                            if reason is None
                            else _cell_reason(reason, labels[i], segment),
                            "complete": bool(result.complete[i]),
                            "coverage": float(result.coverage[i]),
                            **pacing,
                        }
                    )
        return rows

    def to_json(self) -> str:
        return records_json(self.records())


def records_json(records: Iterable[dict]) -> str:
    """A JSON array of records, one per line: as readable as an indented dump, and written by
    json's C encoder (`indent` takes its pure-Python path: 10x slower on 4,000 records)."""
    encode = json.JSONEncoder(ensure_ascii=False).encode
    lines = [encode(r) for r in records]
    return "[\n" + ",\n".join(lines) + "\n]" if lines else "[]"


def _pacing(result: KpiResult, i: int, s: int) -> dict[str, object]:
    """The projection fields of a record: only the partial period has them."""
    fields: dict[str, object] = dict.fromkeys(PACING_FIELDS)
    fields["status_basis"] = "value"
    fields["compared"] = "period"
    if i != result.partial:
        return fields
    if result.to_date is not None:
        fields["compared"] = "to_date"
    projection = result.projection
    if projection is not None and math.isfinite(projection.value[s]):
        chance = result.p_target
        fields.update(
            projected=float(projection.value[s]),
            projected_low=_num(projection.low[s]),
            projected_high=_num(projection.high[s]),
            p_target=None if chance is None else _num(chance[s]),
            status_basis="projection",
        )
    return fields


PACING_FIELDS = ("projected", "projected_low", "projected_high", "p_target")


def _num(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _sub(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _rel(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else (a - b) / abs(b)


def _no_rel(a: float | None, b: float | None) -> None:
    return None


def is_rate(kpi: KPI) -> bool:
    """True for a KPI whose changes are differences, not percentages: a `percent` format or a
    dimensionless unit (a ratio, a multiple). Its `change` is in its own unit (0.005 = 0.5 pp for
    a percentage) and its `change_pct` is None: a relative change of a rate (-1,281.9% for a rate
    that went from 0.1% to -1.2%) says nothing a manager can use."""
    if kpi.format == "percent":
        return True
    unit = kpi.unit
    return unit is not None and unit.dimensionless and kpi.format != "integer"


def _cell_reason(reason: str, period: str, segment: dict[str, str]) -> str:
    where = ", ".join(f"{k}={v}" for k, v in segment.items())
    return f"{reason} in {period}" + (f" ({where})" if where else "")


# --- evaluation ----------------------------------------------------------------------------------


def evaluate(plan: Plan, table: InputTable, daily: InputTable | None = None) -> Results:
    """Evaluate the plan's KPIs for every period and segment (and the total) of the table.

    Pure: the table holds every input the plan needs (`kpiengine.sources.fetch` makes it).
    `daily` (the inputs by day, when the data stops inside its last period) gives that partial
    period its values-to-date comparisons and its projection (`kpiengine.pacing`).
    """
    workspace = plan.workspace
    computer = Computer(workspace, table)
    results = {
        k: _evaluate_kpi(workspace, workspace.kpis[k], computer, plan.window) for k in plan.kpis
    }
    if daily is not None and daily.n_periods:
        _pace(workspace, table, daily, results)
    selected = _select_periods(table, plan.start, plan.end)
    findings = [*plan.findings, *table.findings]
    return Results(workspace, table, results, selected, findings, table.sources)


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
    per_period = period_targets(
        kpi.target, additive, table.grain, table.first, table.n_periods, table.calendar
    )
    if window_token:  # an additive target adds up over the window; a rate's stays as it is
        per_period = window(
            per_period[:, None], "sum" if additive else "last", window_token, table
        )[0][:, 0]
    if additive:  # an additive target is for the total, not for each segment
        targets = np.full(shape, np.nan)
        targets[:, 0] = per_period
    else:  # the same target in every segment: a read-only view
        targets = np.broadcast_to(per_period[:, None], shape)
    band = workspace.at_risk_band(kpi)
    inputs = workspace.inputs_of(kpi.id)
    coverage = table.coverage_of(inputs)
    last = table.n_periods - 1
    partial = last if table.n_periods and 0 < coverage[last] < 1 - 1e-9 else None
    return KpiResult(kpi, values, reasons, targets, additive, band, coverage, partial)


def in_progress(table: InputTable) -> bool:
    """True when the data stops inside its last period (the current month, say)."""
    if not table.n_periods:
        return False
    return bool(table.coverage_of(table.spans)[-1] < 1 - 1e-9)


def _pace(
    workspace: Workspace, table: InputTable, daily: InputTable, results: dict[str, KpiResult]
) -> None:
    """Values to date and projections for each KPI's partial period."""
    paced = [r for r in results.values() if r.partial is not None]
    by_elapsed: dict[int, list[KpiResult]] = {}
    for result in paced:
        assert result.partial is not None
        inputs = workspace.inputs_of(result.kpi.id)
        by_elapsed.setdefault(elapsed_days(table, inputs, result.partial), []).append(result)
    for elapsed, group in by_elapsed.items():
        todate = to_date_table(daily, table, workspace, elapsed)
        for result in group:
            assert result.partial is not None
            result.to_date = to_date(workspace, result.kpi.id, todate, result.partial, elapsed)
    if paced:
        period = table.n_periods - 1
        found = project(workspace, [r.kpi.id for r in paced], daily, table, period)
        for result in paced:
            result.projection = found[result.kpi.id]
