"""Export a workspace as a dbt MetricFlow project (legacy YAML spec, read by dbt 1.6 and later).

It is built from the OSI document of the workspace: each dataset becomes a semantic model
(`model: ref('<dataset>')`, its time field as the default time dimension, its other plain
fields as categorical dimensions), each variable field a measure aggregated as the variable
rolls up (`last`/`first` as a non-additive dimension on time), each variable a simple metric,
each KPI a simple, ratio or derived metric over those. A window over a variable (`ytd(x)`,
`rolling(x, 3)`) is a cumulative metric the derived one reads (`grain_to_date: year`, `window:
3 months` at a monthly grain), marked `meta: kpiengine: {window: ...}` so that the import reads
it back as the window. kpiengine's own data (unit, format, direction, target, examples) stays in
each metric's `config: meta: kpiengine:`.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from ..formula import FormulaError, parse_formula
from ..workspace import Workspace
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
    windows: dict[str, dict] = {}
    for kpi in model.kpis.values():
        try:
            metrics.append(_metric(kpi, model, notes, windows))
        except FormulaError as exc:
            notes.append(Unmapped(kpi.id, "KPI", f"not exported: {exc.message}"))
    metrics += list(windows.values())
    return semantic_models, _defined_inputs(metrics, notes), notes


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


def _cumulative(token: str, variable: str, grain: str, windows: dict[str, dict]) -> str:
    """The cumulative metric of a window over a variable (made once); its name."""
    if token.startswith("rolling:"):
        count = int(token.split(":")[1] or 1)
        name, params = f"{variable}_rolling_{count}", {"window": f"{count} {grain}s"}
    else:
        name, params = f"{variable}_{token}", {"grain_to_date": _TO_DATE[token]}
    params["period_agg"] = "last"  # kpiengine's window ends with the period
    windows.setdefault(
        name,
        {
            "name": name,
            "label": name,
            "type": "cumulative",
            "type_params": {"measure": variable, "cumulative_type_params": params},
            "config": {"meta": {"kpiengine": {"window": token}}},
        },
    )
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
    time = ""
    for field in dataset.get("fields", []):
        variable = extension(field).get("variable")
        if (field.get("dimension") or {}).get("is_time"):
            time = time or field["name"]
            dims.append(
                {
                    "name": field["name"],
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
                    "name": time or "date",
                    "window_choice": "max" if rule == "last" else "min",
                }
            measures.append(measure)
            title = entry.get("title")
            label = title.get("en", field["name"]) if isinstance(title, dict) else title
            metrics.append((field["name"], str(label or field["name"]), entry))
        else:
            dims.append({"name": field["name"], "type": "categorical", "expr": _sql(field)})
    if time:
        out["defaults"] = {"agg_time_dimension": time}
    out["primary_entity"] = name
    out["dimensions"] = dims
    if measures:
        out["measures"] = measures
    return out, metrics


def _metric(
    kpi: Any, model: Model, notes: list[Unmapped], windows: dict[str, dict]
) -> dict[str, Any]:
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
                helper = _cumulative(func, n, grain, windows)
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
