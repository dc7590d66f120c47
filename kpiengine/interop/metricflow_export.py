"""Export a workspace as a dbt MetricFlow project (dbt YAML: semantic models and metrics).

Built from the workspace's OSI document: each dataset is a semantic model (`model:
ref('<dataset>')`, its time field the default time dimension, its other plain fields categorical
dimensions), each variable field a measure aggregated as the variable rolls up and a simple
metric, each KPI a simple, ratio or derived metric over those (the legacy spec's `type_params`).
A stock (`last`/`first`) is a non-additive time dimension grouped by one foreign entity per
dimension (`semiadditive.Segments`); a rule no measure says (a stock with `where:`, other time and
segment rules) is listed as not exported, and so are the KPIs reading it. A window (`ytd(x)`,
`rolling(x, 3)`) is a cumulative metric the derived one reads, in dbt 1.12's spelling
(`input_metric`, the variable's simple metric, with `grain_to_date: year` or `window: 3 months`
and `period_agg: last` at its top level), marked `meta: kpiengine: {window: ...}` for the import,
named as no variable or KPI is (`revenue_ytd_window` when a KPI is `revenue_ytd`); each label is
used once (`<title> (<name>)`), as dbt requires. kpiengine's own data (unit, format, target...)
stays in each metric's `config: meta: kpiengine:`. Where MetricFlow computes otherwise, the
metric's description and the notes say so, for each KPI reading it too: a mean's `agg: average`
is kpiengine's by segment, but its total averages the rows, not the segments' means; a window
starting before the data is a partial sum in MetricFlow, undefined in kpiengine. A fiscal `ytd`
(`qtd` unless its quarters are calendar ones) is not exported: `grain_to_date` is calendar.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from ..formula import FormulaError, parse_formula
from ..workspace import Workspace
from .guess import unique
from .model import Model, Unmapped
from .osi import extension
from .osi_export import export_model, osi_document
from .semiadditive import Segments, stock_unsaid
from .sqlwrite import formula_sql
from .windows import calendar_to_date
from .writer import dump, kpi_entry, write_text

# a stock (`last`, `first`) is a sum with a non-additive time dimension
_AGG = {"sum": "sum", "mean": "average", "min": "min", "max": "max", "distinct": "count_distinct"}
_TO_DATE = {"ytd": "year", "qtd": "quarter", "mtd": "month"}
_RESERVED = {"DAY", "WEEK", "MONTH", "QUARTER", "YEAR", "HOUR", "MINUTE", "SECOND"} | {
    "MILLISECOND",
    "MICROSECOND",
    "NANOSECOND",
}


def export_metricflow(
    ws: Workspace, folder: str | Path, own_only: bool = False
) -> tuple[list[Path], list[Unmapped]]:
    """Write semantic_models.yml and metrics.yml into `folder`; return them and the notes."""
    models, metrics, notes = metricflow_yaml(export_model(ws, own_only))
    root = Path(folder)
    header = "# Written by kpiengine (kpi export metricflow).\n"
    return [
        write_text(root / "semantic_models.yml", header + dump({"semantic_models": models})),
        write_text(root / "metrics.yml", header + dump({"metrics": metrics})),
    ], notes


def metricflow_yaml(model: Model) -> tuple[list[dict], list[dict], list[Unmapped]]:
    """The semantic models and metrics of a neutral model, and the notes on approximations."""
    document, _ = osi_document(model)  # its notes are about SQL MetricFlow does not use
    notes: list[Unmapped] = []
    semantic_models, metrics = [], []
    datasets = document["semantic_model"][0]["datasets"]
    # an entity's name is no other element's, in any semantic model (dbt checks both)
    taken = {str(d["name"]) for d in datasets} | {
        str(f["name"]) for d in datasets for f in d.get("fields", [])
    }
    caveats: dict[str, tuple[str, str]] = {}  # metric -> (variable or "", what differs)
    for dataset in datasets:
        semantic, measures = _semantic_model(dataset, model, notes, taken, caveats)
        semantic_models.append(semantic)
        for measure, label, entry in measures:
            metrics.append(
                {
                    "name": measure,
                    "label": label,
                    "type": "simple",
                    "type_params": {"measure": measure},
                    "config": {"meta": {"kpiengine": {"variable": entry}}},
                }
            )
    # a window's cumulative metric takes a name no variable or KPI has (`revenue_ytd` may be
    # the KPI reading it, as the MetricFlow import names it): dbt names each metric once
    names = set(model.variables) | set(model.kpis) | {str(m["name"]) for m in metrics}
    windows = _Windows(names, caveats)
    for kpi in model.kpis.values():
        try:
            metrics.append(_metric(kpi, model, notes, windows))
        except FormulaError as exc:
            notes.append(Unmapped(kpi.id, "KPI", f"not exported: {exc.message}"))
    metrics += list(windows.metrics.values())
    metrics = _defined_inputs(metrics, notes)
    _say_caveats(metrics, caveats, notes)
    return semantic_models, _unique_labels(metrics), notes


def _say_caveats(
    metrics: list[dict], caveats: dict[str, tuple[str, str]], notes: list[Unmapped]
) -> None:
    """A metric whose values are not all kpiengine's (a mean's total, a window's first periods)
    says so in its description, and so does each KPI reading it (through any other), in its
    description and in the notes; a variable's note names those KPIs."""
    by_name = {m["name"]: m for m in metrics}

    def reads(name: str, seen: set[str]) -> set[str]:
        for item in _inputs(by_name[name]) if name in by_name else []:
            if item not in seen:
                seen.add(item)
                reads(item, seen)
        return seen

    readers: dict[str, list[str]] = {name: [] for name in caveats}
    for metric in metrics:
        meta = _meta(metric)
        if {"variable", "window"} & set(meta):
            continue
        read = reads(metric["name"], set())
        found = [name for name in caveats if name in read]
        for name in found:
            readers[name].append(metric["name"])
            notes.append(Unmapped(metric["name"], "KPI", caveats[name][1]))
        if found:
            # the import takes a KPI's description from kpiengine's entry: not the caveat
            meta.setdefault("description", "")
            said = "\n".join(f"Caveat: {caveats[n][1]}." for n in found)
            own = metric.get("description")
            _describe(metric, f"{own}\n\n{said}" if own else said)
    for name, (variable, caveat) in caveats.items():
        if name in by_name:
            _describe(by_name[name], f"Caveat: {caveat}.")
        if variable:
            kpis = ", ".join(f"`{k}`" for k in readers[name])
            notes.append(
                Unmapped(variable, "variable", caveat + (f" (read by {kpis})" if kpis else ""))
            )


def _describe(metric: dict, text: str) -> None:
    """Set the metric's description, placed after its label as dbt's examples write it."""
    items = [(k, v) for k, v in metric.items() if k != "description"]
    metric.clear()
    for key, value in items:
        metric[key] = value
        if key == "label":
            metric["description"] = text


def _unique_labels(metrics: list[dict]) -> list[dict]:
    """Each label once (dbt refuses a label two metrics share): KPIs first, in order, keep their
    titles; a label already taken becomes `<label> (<name>)` (a variable titled like a KPI)."""
    taken: set[str] = set()
    helpers = [m for m in metrics if {"variable", "window"} & set(_meta(m))]
    for metric in [m for m in metrics if m not in helpers] + helpers:
        label = str(metric["label"])
        if label in taken:
            label = unique(f"{label} ({metric['name']})", taken)
        metric["label"] = label
        taken.add(label)
    return metrics


def _meta(metric: dict) -> dict:
    return metric.get("config", {}).get("meta", {}).get("kpiengine", {})


def _inputs(metric: dict) -> list[str]:
    """The metrics it reads (a simple one: its variable's, named as the measure)."""
    params = metric.get("type_params") or {}
    if metric["type"] == "ratio":
        return [params["numerator"], params["denominator"]]
    if metric["type"] == "cumulative":
        return [metric["input_metric"]]
    if metric["type"] == "simple" and not _meta(metric).get("variable"):
        return [params["measure"]]
    return [i["name"] for i in params.get("metrics") or []]


def _defined_inputs(metrics: list[dict], notes: list[Unmapped]) -> list[dict]:
    """The metrics whose inputs are all written (dbt refuses a project naming a metric it does
    not define): a KPI reading one that was not exported, or left out with `--own-only`, is
    listed instead, and so in turn are the KPIs that read it."""
    while True:
        names = {m["name"] for m in metrics}
        dropped = [m for m in metrics if any(n not in names for n in _inputs(m))]
        if not dropped:
            return metrics
        for metric in dropped:
            missing = sorted({n for n in _inputs(metric) if n not in names})
            reason = ", ".join(f"`{n}`" for n in missing)
            notes.append(
                Unmapped(metric["name"], "KPI", f"not exported: it reads {reason}, not exported")
            )
        metrics = [m for m in metrics if m not in dropped]


class _Windows:
    """The cumulative metrics of the windows KPIs read, each made once under a name not taken."""

    def __init__(self, taken: set[str], caveats: dict[str, tuple[str, str]]):
        self.taken, self.caveats = taken, caveats
        self.metrics: dict[tuple[str, str], dict] = {}

    def name(self, token: str, variable: str, grain: str) -> str:
        """The name of the cumulative metric of `token` (`ytd`, `rolling:3`) over `variable`."""
        if (token, variable) in self.metrics:
            return str(self.metrics[token, variable]["name"])
        if token.startswith("rolling:"):
            count = int(token.split(":")[1] or 1)
            base, params = f"{variable}_rolling_{count}", {"window": f"{count} {grain}s"}
            formula, span = f"rolling({variable}, {count})", f"the {grain}s"
            first = (
                f"its first {count - 1} {grain}s, {count} " if count > 1 else f"its first {grain} "
            )
            first += f"when it starts more than a week into a {grain}"
        else:
            base, params = f"{variable}_{token}", {"grain_to_date": _TO_DATE[token]}
            formula, span, period = f"{token}({variable})", "the days", _TO_DATE[token]
            first = f"its first {period}, unless it starts within a week of the {period}'s start"
        params["period_agg"] = "last"  # kpiengine's window ends with the period
        name = unique(base, self.taken, "window")
        self.taken.add(name)
        # MetricFlow has no `min_periods`: a window reaching before the data is a partial sum
        self.caveats[name] = (
            "",
            f"`{formula}` (cumulative metric `{name}`): where the window starts before "
            f"`{variable}`'s data ({first}), MetricFlow adds up {span} there are, kpiengine "
            "leaves it undefined",
        )
        # current dbt's spelling (no `type_params`): the input is the variable's simple metric,
        # alone; a `measure` would be turned into one beside it, which MetricFlow warns about
        self.metrics[token, variable] = {
            "name": name,
            "label": name,
            "type": "cumulative",
            "input_metric": variable,
            **params,
            "config": {"meta": {"kpiengine": {"window": token}}},
        }
        return name


def _sql(field: dict) -> str:
    return str(field["expression"]["dialects"][0]["expression"])


def _semantic_model(
    dataset: dict,
    model: Model,
    notes: list[Unmapped],
    taken: set[str],
    caveats: dict[str, tuple[str, str]],
) -> tuple[dict, list[tuple[str, str, dict]]]:
    name = dataset["name"]
    out: dict[str, Any] = {"name": name}
    if dataset.get("description"):
        out["description"] = dataset["description"]
    out["model"] = f"ref('{name}')"
    dims: list[dict] = []
    measures: list[dict] = []
    metrics: list[tuple[str, str, dict]] = []
    fields = dataset.get("fields", [])
    names = {str(f["name"]) for f in fields}
    times = [f for f in fields if (f.get("dimension") or {}).get("is_time")]

    # the time dimension is named before the measures that read it (non_additive_dimension);
    # MetricFlow reserves the grains' names (`day`, `month`) for itself
    def dim_name(field: dict) -> str:
        given = str(field["name"])
        return unique(f"{given}_date", names) if given.upper() in _RESERVED else given

    time = dim_name(times[0]) if times else ""
    plain = [f for f in fields if f not in times and "variable" not in extension(f)]
    segments = Segments([(dim_name(f), _sql(f)) for f in plain], taken)
    for field in fields:
        variable = extension(field).get("variable")
        if field in times:
            dims.append(
                {
                    "name": dim_name(field),
                    "type": "time",
                    "expr": _sql(field),
                    "type_params": {"time_granularity": "day"},
                }
            )
        elif isinstance(variable, dict):
            entry = variable.get("entry") or {}
            var_id = str(variable.get("id", field["name"]))
            rule, across = _rules(entry.get("aggregate", "sum"))
            reason = _unsaid(var_id, rule, across, model)
            if reason:
                notes.append(Unmapped(var_id, "variable", f"not exported: {reason}"))
                continue
            measure: dict[str, Any] = {
                "name": field["name"],
                "agg": _AGG.get(rule, "sum"),
                "expr": _sql(field),
            }
            if rule in ("last", "first"):
                measure["non_additive_dimension"] = {
                    "name": time,
                    "window_choice": "max" if rule == "last" else "min",
                    **segments.groupings(var_id, model, notes),
                }
            measures.append(measure)
            if rule == "mean" and plain:
                # AVG over rows: kpiengine's mean by (finest) segment, not the mean of the
                # segments' means kpiengine gives the total; no measure or metric can say that
                by = " and ".join(f"`{dim}`" for dim, _ in segments.columns)
                caveats[str(field["name"])] = (
                    var_id,
                    f"`{var_id}` is a mean: by {by} MetricFlow's `agg: average` is kpiengine's "
                    "value, but its total (and any grouping coarser than that) is the average of "
                    "all the rows, kpiengine's the average of the segments' means",
                )
            title = entry.get("title")
            label = title.get("en", field["name"]) if isinstance(title, dict) else title
            metrics.append((field["name"], str(label or field["name"]), entry))
        else:
            dims.append({"name": dim_name(field), "type": "categorical", "expr": _sql(field)})
    if time:
        out["defaults"] = {"agg_time_dimension": time}
    out["primary_entity"] = name
    if segments.entities:
        out["entities"] = segments.entities
    out["dimensions"] = dims
    if measures:
        out["measures"] = measures
    return out, metrics


def _rules(aggregate: Any) -> tuple[str, str]:
    """A variable's rules over time and across segments (`last` alone sums segments)."""
    if isinstance(aggregate, dict):
        return str(aggregate.get("time", "sum")), str(aggregate.get("segments", "sum"))
    rule = str(aggregate)
    return rule, "sum" if rule in ("last", "first") else rule


def _unsaid(var_id: str, rule: str, across: str, model: Model) -> str:
    """Why no MetricFlow measure aggregates the variable as kpiengine does, or ''."""
    if rule not in ("last", "first"):
        if rule != across:
            return (
                f"`{{time: {rule}, segments: {across}}}`: a MetricFlow measure aggregates "
                "days and segments by one rule"
            )
        return ""
    return stock_unsaid(var_id, across, model)


def _metric(kpi: Any, model: Model, notes: list[Unmapped], windows: _Windows) -> dict[str, Any]:
    formula = parse_formula(kpi.formula)
    tree = formula.tree
    title = kpi.title if isinstance(kpi.title, str) else kpi.title.get("en", kpi.id)
    out: dict[str, Any] = {"name": kpi.id, "label": title}
    description = (
        kpi.description
        if isinstance(kpi.description, str)
        else (kpi.description or {}).get("en", "")
    )
    if description:
        out["description"] = description
    if isinstance(tree, ast.Name) and tree.id in model.variables:
        out.update(type="simple", type_params={"measure": tree.id})
    elif (
        isinstance(tree, ast.BinOp)
        and isinstance(tree.op, ast.Div)
        and isinstance(tree.left, ast.Name)
        and isinstance(tree.right, ast.Name)
    ):
        out.update(
            type="ratio", type_params={"numerator": tree.left.id, "denominator": tree.right.id}
        )
    else:
        inputs: dict[str, dict[str, Any]] = {}

        def name(n: str) -> str:
            if n not in model.variables and n not in model.kpis:
                # a built-in value (`periods_per_year`, a parameter): no metric defines it
                raise FormulaError(f"`{n}` is not a variable or KPI: no MetricFlow metric")
            inputs.setdefault(n, {"name": n})
            return n

        def shift(func: str, n: str) -> str:
            if func not in ("prev", "last_year"):
                if func == "total" or n not in model.variables:
                    raise FormulaError(
                        f"`{func.split(':')[0]}({n})`: MetricFlow accumulates measures only, "
                        "over time only"
                    )
                if reason := calendar_to_date(func, model.settings.get("fiscal_year_start", 1)):
                    raise FormulaError(reason)
                grain = str(model.settings.get("grain", "month"))
                helper = windows.name(func, n, grain)
                inputs.setdefault(helper, {"name": helper})
                return helper
            alias = f"{n}_{func}"
            window = "1 year" if func == "last_year" else "1 month"
            note = Unmapped(
                kpi.id,
                "KPI",
                f"`prev({n})` written as an offset of 1 month: "
                "the previous period at a monthly grain",
            )
            if func == "prev" and note not in notes:
                notes.append(note)
            inputs[alias] = {"name": n, "offset_window": window, "alias": alias}
            return alias

        expr = formula_sql(formula, name, shift)
        out.update(type="derived", type_params={"expr": expr, "metrics": list(inputs.values())})
    # MetricFlow has no units or targets: keep kpiengine's definition with the metric
    out["config"] = {"meta": {"kpiengine": json.loads(json.dumps(kpi_entry(kpi)))}}
    return out
