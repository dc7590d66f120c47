"""Evaluate KPIs over every period x segment cell at once, with targets, status and changes.

Pure: a plan and an input table in, results out; no files, plugins or databases.
"""

from __future__ import annotations

import ast
import datetime as dt
import functools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .errors import Finding
from .formula import Formula, shifted_name
from .model import KPI, Workspace
from .periods import ordinals, year_ago
from .plan import Plan
from .table import InputTable, SourceStatus
from .targets import period_targets, status
from .vectorize import vectorize

_SHIFT_WHEN = {"prev": "the previous period", "last_year": "the same period last year"}


@dataclass
class KpiResult:
    """One KPI's values (periods x segments; NaN where undefined) and what goes with them."""

    kpi: KPI
    values: np.ndarray
    reasons: np.ndarray  # object: None where defined, else why not (without the cell's period)
    targets: np.ndarray
    additive: bool
    band: float  # the at-risk band

    @functools.cached_property
    def status(self) -> np.ndarray:
        """`on_track | at_risk | off_track | no_target | undefined` for each cell."""
        return status(self.values, self.targets, self.kpi.direction, self.band)


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
        ago = _year_ago_index(self.table)
        rows = []
        for result in self.kpis.values():
            kpi = result.kpi
            rel = _no_rel if is_rate(kpi) else _rel  # a rate changes in points, not in %
            for i in self.selected:
                for s, segment in enumerate(self.table.segments):
                    value = _num(result.values[i, s])
                    prev = _num(result.values[i - 1, s]) if i > 0 else None
                    last = _num(result.values[ago[i], s]) if ago[i] >= 0 else None
                    target = _num(result.targets[i, s])
                    reason = result.reasons[i, s]
                    rows.append(
                        {
                            "kpi": kpi.id,
                            "title": kpi.title_in(self.workspace.settings.locale),
                            "period": labels[i],
                            "segment": dict(segment),
                            "value": value,
                            "unit": str(kpi.unit) if kpi.unit else kpi.unit_text,
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
                        }
                    )
        return rows

    def to_json(self) -> str:
        return json.dumps(self.records(), ensure_ascii=False, indent=1)


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


def _year_ago_index(table: InputTable) -> np.ndarray:
    out = np.full(table.n_periods, -1)
    for i, ordinal in enumerate(table.ordinals):
        ago = year_ago(int(ordinal), table.grain)
        if ago is not None and 0 <= ago - table.first < table.n_periods:
            out[i] = ago - table.first
    return out


# --- compiling ---------------------------------------------------------------------------------

_VECTORIZED: dict[int, tuple[ast.AST, Callable]] = {}


def _compiled(node: ast.AST) -> Callable:
    """The vectorised function of a formula (sub)tree, built once per tree."""
    found = _VECTORIZED.get(id(node))
    if found is None or found[0] is not node:
        found = _VECTORIZED[id(node)] = (node, vectorize(node))
    return found[1]


def _run(func: Callable, arrays: dict[str, np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return np.broadcast_to(np.asarray(func(arrays), dtype=float), shape).copy()


# --- evaluation ----------------------------------------------------------------------------------


def evaluate(plan: Plan, table: InputTable) -> Results:
    """Evaluate the plan's KPIs for every period and segment (and the total) of the table.

    Pure: the table holds every input the plan needs (`kpiengine.sources.fetch` makes it).
    """
    workspace = plan.workspace
    computed: dict[str, KpiResult] = {}
    for kpi_id in plan.needed:
        computed[kpi_id] = _evaluate_kpi(workspace, workspace.kpis[kpi_id], table, computed)
    selected = _select_periods(table, plan.start, plan.end)
    results = {k: computed[k] for k in plan.kpis}
    findings = [*plan.findings, *table.findings]
    return Results(workspace, table, results, selected, findings, table.sources)


def _select_periods(table: InputTable, start: dt.date | None, end: dt.date | None) -> list[int]:
    first, last = 0, table.n_periods - 1
    if start is not None:
        first = max(
            first, int(ordinals(np.array([start], "datetime64[D]"), table.grain)[0]) - table.first
        )
    if end is not None:
        last = min(
            last, int(ordinals(np.array([end], "datetime64[D]"), table.grain)[0]) - table.first
        )
    return list(range(first, last + 1))


def _shift(array: np.ndarray, func: str, table: InputTable) -> np.ndarray:
    out = np.full_like(array, np.nan)
    if func == "prev":
        out[1:] = array[:-1]
        return out
    ago = _year_ago_index(table)
    ok = ago >= 0
    out[ok] = array[ago[ok]]
    return out


def _inputs(
    formula: Formula, table: InputTable, computed: dict[str, KpiResult]
) -> dict[str, np.ndarray]:
    arrays = {}
    for name in formula.names:
        arrays[name] = computed[name].values if name in computed else table.values[name]
    for func, name in formula.shifts:
        arrays[shifted_name(func, name)] = _shift(arrays[name], func, table)
    return arrays


def _evaluate_kpi(
    workspace: Workspace, kpi: KPI, table: InputTable, computed: dict[str, KpiResult]
) -> KpiResult:
    formula = kpi.formula
    assert formula is not None  # the plan holds evaluable KPIs only
    names = formula.input_names
    arrays = _inputs(formula, table, computed)
    shape = (table.n_periods, len(table.segments))
    values = _run(_compiled(formula.tree), arrays, shape)
    undefined = ~np.isfinite(values)
    if undefined.any():
        values[undefined] = np.nan
        reasons = np.empty(shape, dtype=object)  # None where defined
        _explain(formula, names, arrays, computed, table, undefined, reasons, shape)
    else:  # a read-only view: no cell needs a reason
        reasons = np.broadcast_to(np.empty((), dtype=object), shape)
    additive = kpi.target is not None and workspace.is_additive(kpi.id)
    per_period = period_targets(kpi.target, additive, table.grain, table.first, table.n_periods)
    if additive:  # an additive target is for the total, not for each segment
        targets = np.full(shape, np.nan)
        targets[:, 0] = per_period
    else:  # the same target in every segment: a read-only view
        targets = np.broadcast_to(per_period[:, None], shape)
    band = workspace.at_risk_band(kpi)
    return KpiResult(kpi, values, reasons, targets, additive, band)


def _explain(
    formula: Formula,
    names: list[str],
    arrays: dict[str, np.ndarray],
    computed: dict[str, KpiResult],
    table: InputTable,
    undefined: np.ndarray,
    reasons: np.ndarray,
    shape: tuple[int, ...],
) -> None:
    """Say why each undefined cell is undefined: missing input, zero denominator, bad domain."""
    todo = undefined.copy()

    def mark(mask: np.ndarray, reason: str | np.ndarray) -> None:
        hit = todo & mask
        if isinstance(reason, np.ndarray):
            reasons[hit] = reason[hit]
        else:
            reasons[hit] = reason
        todo[hit] = False

    for name in names:
        missing = np.isnan(arrays[name])
        if not (todo & missing).any():
            continue
        base, _, func = name.partition("__")
        when = f" for {_SHIFT_WHEN[func]}" if func else ""
        if base in computed and not func:
            inner = computed[base].reasons
            reason = np.array([f"`{base}` is undefined ({r})" for r in inner.ravel()], dtype=object)
            mark(missing, reason.reshape(shape))
        else:
            why = table.missing.get(base)
            mark(missing, f"no data for `{base}`{when}" + (f" ({why})" if why else ""))
    for guard in formula.guards:
        if not todo.any():
            break
        value = _run(_compiled(guard.node), arrays, shape)
        if guard.kind == "nonzero":
            mark(value == 0, f"`{guard.text}` is 0" if " " in guard.text else f"no `{guard.text}`")
        elif guard.kind == "positive":
            mark(value <= 0, f"`{guard.text}` is not positive (log)")
        else:
            mark(value < 0, f"`{guard.text}` is negative (square root)")
    mark(todo, "the result is not a finite number")
