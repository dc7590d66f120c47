"""Export a workspace as a dbt MetricFlow project (legacy YAML spec, read by dbt 1.6 and later).

It is built from the OSI document of the workspace: each dataset becomes a semantic model
(`model: ref('<dataset>')`, its time field as the default time dimension, its other plain
fields as categorical dimensions), each variable field a measure aggregated as the variable
rolls up (`last`/`first` as a non-additive dimension on time), each variable a simple metric,
each KPI a simple, ratio or derived metric over those. A window over a variable (`ytd(x)`,
`rolling(x, 3)`) is a cumulative metric the derived one reads (`grain_to_date: year`, `window:
3 months` at a monthly grain), marked `meta: kpiengine: {window: ...}` so that the import reads
it back as the window; its name is one no variable or KPI has (`revenue_ytd_window` when a KPI is
`revenue_ytd`), and each label is used once (a variable titled like a KPI is labelled
`<title> (<name>)`), as dbt requires. kpiengine's own data (unit, format, direction, target,
examples) stays in each metric's `config: meta: kpiengine:`.
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
from .osi_export import osi_document
from .sqlwrite import formula_sql
from .workspace_model import workspace_model
from .writer import dump, kpi_entry, write_text

_AGG = {
    "sum": "sum",
    "mean": "average",
    "min": "min",
    "max": "max",
    "last": "sum",
    "first": "sum",
    "distinct": "count_distinct",
}
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
    models, metrics, notes = metricflow_yaml(workspace_model(ws, own_only))
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
    for dataset in document["semantic_model"][0]["datasets"]:
        semantic, measures = _semantic_model(dataset)
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
    windows = _Windows(set(model.variables) | set(model.kpis) | {str(m["name"]) for m in metrics})
    for kpi in model.kpis.values():
        try:
            metrics.append(_metric(kpi, model, notes, windows))
        except FormulaError as exc:
            notes.append(Unmapped(kpi.id, "KPI", f"not exported: {exc.message}"))
    metrics += list(windows.metrics.values())
    return semantic_models, _unique_labels(_defined_inputs(metrics, notes)), notes


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
    params = metric.get("type_params") or {}
    if metric["type"] == "ratio":
        return [params["numerator"], params["denominator"]]
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

    def __init__(self, taken: set[str]):
        self.taken = taken
        self.metrics: dict[tuple[str, str], dict] = {}

    def name(self, token: str, variable: str, grain: str) -> str:
        """The name of the cumulative metric of `token` (`ytd`, `rolling:3`) over `variable`."""
        if (token, variable) in self.metrics:
            return str(self.metrics[token, variable]["name"])
        if token.startswith("rolling:"):
            count = int(token.split(":")[1] or 1)
            base, params = f"{variable}_rolling_{count}", {"window": f"{count} {grain}s"}
        else:
            base, params = f"{variable}_{token}", {"grain_to_date": _TO_DATE[token]}
        params["period_agg"] = "last"  # kpiengine's window ends with the period
        name = unique(base, self.taken, "window")
        self.taken.add(name)
        self.metrics[token, variable] = {
            "name": name,
            "label": name,
            "type": "cumulative",
            "type_params": {"measure": variable, "cumulative_type_params": params},
            "config": {"meta": {"kpiengine": {"window": token}}},
        }
        return name


def _sql(field: dict) -> str:
    return str(field["expression"]["dialects"][0]["expression"])


def _semantic_model(dataset: dict) -> tuple[dict, list[tuple[str, str, dict]]]:
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
            rule = entry.get("aggregate", "sum")
            rule = rule if isinstance(rule, str) else rule.get("time", "sum")
            measure: dict[str, Any] = {
                "name": field["name"],
                "agg": _AGG.get(rule, "sum"),
                "expr": _sql(field),
            }
            if rule in ("last", "first"):
                measure["non_additive_dimension"] = {
                    "name": time,
                    "window_choice": "max" if rule == "last" else "min",
                }
            measures.append(measure)
            title = entry.get("title")
            label = title.get("en", field["name"]) if isinstance(title, dict) else title
            metrics.append((field["name"], str(label or field["name"]), entry))
        else:
            dims.append({"name": dim_name(field), "type": "categorical", "expr": _sql(field)})
    if time:
        out["defaults"] = {"agg_time_dimension": time}
    out["primary_entity"] = name
    out["dimensions"] = dims
    if measures:
        out["measures"] = measures
    return out, metrics


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
