"""Read-only answers about a workspace's KPIs, each with its receipt (for `kpi mcp`).

A receipt says what an answer rests on: the formula as written and as read, the unit, the
period and segment, the sources feeding the KPI with the dates they cover (complete or partial
for the period), the target and status, and the findings that concern the KPI. Every answer is
plain data (numbers, text, lists, maps), made by the same API calls as the CLI's JSON output.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .errors import KpiError, suggestion

if TYPE_CHECKING:
    from .analysis import Context
    from .engine import Engine
    from .evaluation import Results
    from .model import KPI, Workspace

Answer = dict[str, Any]


def kpi_of(ws: Workspace, name: str) -> KPI:
    """The KPI named by id or alias; KpiError naming the closest one otherwise."""
    kpi = ws.kpis.get(name) or ws.kpi_for_alias(name)
    if kpi is None:
        raise KpiError(f"unknown KPI `{name}`{suggestion(name, ws.kpis)}")
    return kpi


def list_rows(engine: Engine, data: Any = None) -> list[dict[str, str]]:
    """`kpi list`: each KPI with its unit, layer and whether the data can feed it."""
    ws = engine.workspace
    available = engine.inputs(data).available if data or ws.settings.sources else None
    rows = []
    for kpi in ws.kpis.values():
        blocker = ws.blocked_by(kpi.id)
        missing = sorted(ws.inputs_of(kpi.id) - available) if available is not None else []
        if blocker:
            state = "errors" if blocker == kpi.id else f"blocked by {blocker}"
        elif available is None:
            state = "ok"
        else:
            state = "fed" if not missing else "missing " + ", ".join(missing)
        rows.append(
            {
                "kpi": kpi.id,
                "title": kpi.title_in(ws.settings.locale),
                "unit": str(kpi.unit) if kpi.unit else kpi.unit_text,
                "layer": kpi.layer + (" (override)" if kpi.overrides else ""),
                "state": state,
            }
        )
    return rows


def definition(ws: Workspace, kpi: KPI) -> Answer:
    """The definition part of a receipt: formula as written and as read, unit, inputs."""
    uses = sorted(n for n in kpi.formula.names if n in ws.kpis) if kpi.formula else []
    return {
        "kpi": kpi.id,
        "title": kpi.title_in(ws.settings.locale),
        "formula": kpi.formula_text,
        "read_as": str(kpi.formula.explicit) if kpi.formula is not None else None,
        "unit": str(kpi.unit) if kpi.unit else kpi.unit_text,
        "format": kpi.format,
        "direction": kpi.direction,
        "defined_at": str(kpi.location),
        "layer": kpi.layer,
        "uses_kpis": uses,
        "inputs": sorted(ws.inputs_of(kpi.id)) if kpi.formula is not None else [],
    }


def _findings(engine: Engine, kpi: KPI, results: Results | None = None) -> list[Answer]:
    """The findings about this KPI (or the whole workspace): load, static and, with
    `results`, data checks at their one selected period."""
    if results is None:
        report = engine.lint(kpis=[kpi.id])
        found = [f for f in report.findings if f.kpi in (None, kpi.id)]
    else:
        from .report.findings import report_findings  # noqa: PLC0415 - data checks only

        found, _titles = report_findings(engine, results, results.selected[0])
    return [f.to_dict() for f in found]


def _sources(results: Results, kpi: KPI, period: str) -> list[Answer]:
    """The sources feeding the KPI's inputs and how much of the period their dates cover."""
    ws = results.workspace
    inputs = ws.inputs_of(kpi.id)
    first: dt.date | None
    last: dt.date | None
    try:
        first, last = results.table.calendar.label_bounds(period)
    except Exception:  # a range period or a label the calendar does not parse: no judgement
        first = last = None
    out = []
    for status in results.sources:
        used = sorted(set(status.variables) & inputs)
        if not used:
            continue
        # the days the variables' data covers (a monthly file covers whole months)
        spans = [results.table.spans[v] for v in used if v in results.table.spans]
        span = (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else status.coverage
        covers = [span[0].isoformat(), span[1].isoformat()] if span else None
        out.append(
            {
                "source": status.name,
                "connector": status.connector,
                "variables": used,
                "covers": covers,
                "period_coverage": _coverage(span, first, last, status.error),
                "error": status.error,
            }
        )
    return out


def _coverage(
    span: tuple[dt.date, dt.date] | None,
    first: dt.date | None,
    last: dt.date | None,
    error: str | None,
) -> str:
    if error:
        return "failed"
    if span is None or first is None or last is None:
        return "unknown"
    if span[1] < first or span[0] > last:
        return "none"
    return "complete" if span[0] <= first and span[1] >= last else "partial"


def evaluate_kpi(
    engine: Engine,
    name: str,
    period: str | None = None,
    segment: dict[str, str] | None = None,
    data: Any = None,
) -> Answer:
    """The KPI's value in `period` (default: the last complete one) and segment, as
    `kpi eval --format json` records it, with its receipt."""
    kpi = kpi_of(engine.workspace, name)
    results = evaluate_period(engine, kpi.id, period, list(segment or {}), data)
    return _answer(engine, kpi, results, segment or {})


def evaluate_period(
    engine: Engine, kpi_id: str, period: str | None, by: list[str], data: Any = None
) -> Results:
    """Results of one KPI selected at `period` (or the last complete period), as `kpi eval`
    computes them."""
    from .table import CURRENT  # noqa: PLC0415

    calendar = engine.workspace.calendar
    if period == CURRENT:  # the period to date, as `kpi eval --period current` and the others
        results = engine.evaluate(data, by=by, kpis=[kpi_id])
        results.selected = [results.table.n_periods - 1]
        return results
    if period is None:
        results = engine.evaluate(data, by=by, kpis=[kpi_id])
        complete = [i for i in results.selected if i <= results.table.last_complete()]
        if not complete:
            raise KpiError(f"`{kpi_id}` has no complete period in the data")
        results.selected = complete[-1:]
        return results
    grain = calendar.parse_label(period)[0]
    first, last = calendar.label_bounds(period)
    return engine.evaluate(data, grain=grain, by=by, start=first, end=last, kpis=[kpi_id])


def _answer(engine: Engine, kpi: KPI, results: Results, segment: dict[str, str]) -> Answer:
    from .analysis.expand import plain  # noqa: PLC0415 - numpy

    records = [r for r in results.records() if r["kpi"] == kpi.id and r["segment"] == dict(segment)]
    if not records:
        shown = ", ".join("=".join(kv) for kv in segment.items())
        raise KpiError(f"no segment {shown} in the data for `{kpi.id}`")
    record = plain(records[-1])
    receipt = {
        **definition(engine.workspace, kpi),
        "period": record["period"],
        "segment": record["segment"],
        "complete": record["complete"],
        "sources": _sources(results, kpi, record["period"]),
        "target": record["target"],
        "status": record["status"],
        "findings": _findings(engine, kpi, results),
    }
    return {"value": record["value"], "record": record, "receipt": receipt}


def receipt(
    engine: Engine, kpi_id: str, period: str, segment: dict[str, str], data: Any = None
) -> Answer:
    """The receipt of the KPI at `period` and `segment` (analysis answers carry one)."""
    kpi = kpi_of(engine.workspace, kpi_id)
    results = evaluate_period(engine, kpi.id, period, list(segment), data)
    answer = _answer(engine, kpi, results, segment)
    return {"value": answer["value"], **answer["receipt"]}


def show(engine: Engine, name: str) -> Answer:
    """`kpi show` as data: the definition, targets, worked examples and findings."""
    from .describe import describe_kpi  # noqa: PLC0415

    ws = engine.workspace
    kpi = kpi_of(ws, name)
    spec = kpi.target
    target = None
    if spec is not None:
        target = {
            "constant": spec.constant,
            "by_period": dict(spec.by_period),
            "annual": dict(spec.annual),
            "split": "monthly weights" if spec.split else ("even" if spec.annual else None),
        }
    variables = {
        n: {"unit": v.unit_text, "aggregate": str(v.aggregate)}
        for n in sorted(ws.inputs_of(kpi.id))
        if (v := ws.variables.get(n)) is not None
    }
    return {
        **definition(ws, kpi),
        "variables": variables,
        "target": target,
        "aliases": list(kpi.aliases),
        "examples": [{"given": e.given, "expect": e.expect} for e in kpi.examples],
        "findings": _findings(engine, kpi),
        "text": describe_kpi(ws, kpi, ws.settings.locale),
    }


def analysis_context(
    engine: Engine,
    kpis: list[str],
    data: Any,
    period: str | None,
    grain: str | None,
    by: Iterable[str],
) -> Context:
    """Evaluate the inputs of `kpis` at the period's grain (the analysis commands' data)."""
    from .table import CURRENT  # noqa: PLC0415

    if period and period != CURRENT:
        grain = grain or engine.workspace.calendar.parse_label(period)[0]
    return engine.context(kpis, data, grain=grain, by=list(by))


def explain(
    engine: Engine,
    name: str,
    start: str | None = None,
    end: str | None = None,
    segment: dict[str, str] | None = None,
    method: str = "shapley",
    data: Any = None,
    by: str | None = None,
) -> Answer:
    """`kpi explain --format json`: each input's contribution to the change, with the receipt
    of the later period; with `by`, the change split across that dimension's segments (mix,
    rate, entering and leaving segments), as `kpi explain --by`."""
    from .analysis import contributions_to_dict, explain_change, split_by_segment  # noqa: PLC0415
    from .analysis.expand import plain, resolve_kpi  # noqa: PLC0415

    if method not in ("shapley", "lmdi"):
        raise KpiError(f"`method` is shapley or lmdi, not `{method}`")
    where = dict(segment or {})
    if by and where:
        raise KpiError("use either `by` or `segment`")
    kpi_id = resolve_kpi(engine.workspace, name)
    ctx = analysis_context(engine, [kpi_id], data, end or start, None, [by] if by else where)
    explanation = explain_change(ctx, kpi_id, start, end, where, method)
    out = plain(contributions_to_dict(explanation))
    if by:
        split = split_by_segment(ctx, kpi_id, explanation.start, explanation.end)
        out["segments"] = plain(split.to_dict()) if split else None
    out["receipt"] = receipt(engine, kpi_id, explanation.end, where, data)
    out["receipt"]["compared_with"] = explanation.start
    return out


def solve(
    engine: Engine,
    name: str,
    target: float | None = None,
    for_input: str | None = None,
    period: str | None = None,
    segment: dict[str, str] | None = None,
    data: Any = None,
) -> Answer:
    """`kpi solve --format json`: the value each input (or `for_input`) needs for the KPI to
    reach `target` (default: its target), all else held, with the receipt of that period."""
    from .analysis import solve_each, solve_for  # noqa: PLC0415
    from .analysis.expand import plain, resolve_kpi  # noqa: PLC0415

    if target is not None and not math.isfinite(target):
        raise KpiError("`target` must be a finite number")
    ws = engine.workspace
    where = dict(segment or {})
    kpi_id = resolve_kpi(ws, name)
    kpis = [kpi_id] + ([for_input] if for_input in ws.kpis and for_input != kpi_id else [])
    ctx = analysis_context(engine, kpis, data, period, None, where)
    if for_input:
        results = [solve_for(ctx, kpi_id, target, for_input, period, where)]
    else:
        results = solve_each(ctx, kpi_id, target, period, where)
    answer: Answer = {"solutions": plain(results)}
    if results:
        answer["receipt"] = receipt(engine, kpi_id, results[0].period, where, data)
    return answer


def lint(engine: Engine, name: str | None = None, data: Any = None) -> Answer:
    """`kpi lint --format json` (the data checks too when there are sources), for one KPI or
    all; the receipt names what was checked."""
    ws = engine.workspace
    kpi = kpi_of(ws, name) if name else None
    source = data if data is not None else (True if ws.settings.sources else None)
    report = engine.lint(source, kpis=[kpi.id] if kpi else None)
    out = report.to_dict()
    out.pop("checks")  # the catalogue of every check: `kpi lint --list-checks`
    out["receipt"] = {
        "workspace": str(ws.root) if ws.root else None,
        "kpis": [kpi.id] if kpi else sorted(ws.kpis),
        "data_checked": report.data_checked,
        **({"definition": definition(ws, kpi)} if kpi else {}),
    }
    return out
