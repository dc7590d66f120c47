"""Read a dbt project's semantic layer (or a semantic_manifest.json) into one plain shape.

Three spellings reach the same dataclasses: the legacy YAML spec (`semantic_models:` with
`measures:`, `metrics:` with `type_params`), the latest spec (`models:` with `semantic_model:`,
entities and dimensions on `columns:`, simple metrics with `agg`/`expr` on the model, other
metrics with top-level keys) and the JSON manifest dbt writes to `target/`. `mfproject` reads a
project's files with these readers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import KpiError, Location
from .reading import at, items, mapping, text

_MEASURE_KEYS = ("non_additive_dimension", "agg_params", "create_metric", "label")
_REF = re.compile(r"""^\s*ref\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"]\s*)?\)\s*$""")


@dataclass
class Dimension:
    name: str
    type: str  # categorical | time
    expr: str  # the SQL (the column name when the YAML gives none)
    loc: Location | None = None


@dataclass
class Measure:
    name: str
    agg: str
    expr: str
    description: str = ""
    time: str = ""  # agg_time_dimension when not the model's default
    raw: dict = field(default_factory=dict)  # the rest (non_additive_dimension, agg_params)
    loc: Location | None = None


@dataclass
class SemanticModel:
    name: str
    table: str
    description: str = ""
    time: str = ""  # the default agg_time_dimension
    entities: dict[str, str] = field(default_factory=dict)  # entity -> column expression
    foreign: list[str] = field(default_factory=list)
    primary: str = ""  # the entity each row is one of, if any
    dimensions: dict[str, Dimension] = field(default_factory=dict)
    measures: dict[str, Measure] = field(default_factory=dict)
    loc: Location | None = None


@dataclass
class Input:
    """A metric a ratio or derived metric reads, with its own filter, alias and offset."""

    name: str
    filters: list[str] = field(default_factory=list)
    alias: str = ""
    offset_window: str = ""
    offset_to_grain: str = ""
    fill_nulls_with: Any = None
    join_to_timespine: bool = False


@dataclass
class Metric:
    name: str
    type: str
    label: str = ""
    description: str = ""
    filters: list[str] = field(default_factory=list)
    measure: Input | None = None  # simple: the measure it reads (with its own filter)
    model: str = ""  # simple metric aggregating an expression itself: its semantic model
    own: Measure | None = None  # ... and that aggregation, as a measure of its own
    numerator: Input | None = None
    denominator: Input | None = None
    expr: str = ""
    inputs: list[Input] = field(default_factory=list)
    raw: dict = field(default_factory=dict)
    loc: Location | None = None
    meta: dict = field(default_factory=dict)  # what `kpi export metricflow` saved (meta.kpiengine)
    cumulative: dict = field(default_factory=dict)  # window, grain_to_date, period_agg
    conversion: dict = field(default_factory=dict)  # entity, calculation, window, ...

    @property
    def is_variable(self) -> bool:
        """A simple metric kpiengine exported for one of its variables."""
        return self.type == "simple" and isinstance(self.meta.get("variable"), dict)


@dataclass
class Project:
    models: dict[str, SemanticModel] = field(default_factory=dict)
    metrics: dict[str, Metric] = field(default_factory=dict)
    saved_queries: list[tuple[str, Location]] = field(default_factory=list)


def add(table: dict, item: Any, loc: Location) -> None:
    if item.name in table:
        raise KpiError(f"`{item.name}` is defined twice (first at {table[item.name].loc})", loc)
    table[item.name] = item


def _lower(entry: dict, key: str, loc: Location, what: str, default: str = "") -> str:
    return (text(entry, key, loc, what) or default).lower()


def table_of(entry: dict, loc: Location) -> str:
    """The relation a semantic model reads: `ref('orders')` -> orders, or node_relation."""
    model = entry.get("model")
    if isinstance(model, str):
        match = _REF.match(model)
        if not match:
            raise KpiError(
                f"`model: {model}` is not `ref('name')`",
                at(entry, "model", loc.file),
            )
        return match.group(2) or match.group(1)
    relation = entry.get("node_relation")
    if isinstance(relation, dict) and relation.get("alias"):
        schema = relation.get("schema_name")
        return (
            f"{schema}.{relation['alias']}"
            if schema and "$" not in str(schema)
            else str(relation["alias"])
        )
    raise KpiError("the semantic model has no `model: ref('...')`", loc)


def legacy_model(entry: dict, loc: Location) -> SemanticModel:
    name = text(entry, "name", loc, "a semantic model", required=True)
    what = f"semantic model `{name}`"
    defaults = entry.get("defaults") or {}
    model = SemanticModel(
        name,
        table_of(entry, loc),
        text(entry, "description", loc, what),
        text(
            mapping(defaults, at(entry, "defaults", loc.file), "`defaults`"),
            "agg_time_dimension",
            loc,
            what,
        ),
        loc=loc,
    )
    for item, iloc in items(entry, "entities", loc.file, what):
        ent = text(item, "name", iloc, "an entity", required=True)
        model.entities[ent] = text(item, "expr", iloc, "an entity") or ent
        if _lower(item, "type", iloc, "an entity") == "foreign":
            model.foreign.append(ent)
        elif _lower(item, "type", iloc, "an entity") == "primary":
            model.primary = ent
    model.primary = text(entry, "primary_entity", loc, what) or model.primary
    for item, iloc in items(entry, "dimensions", loc.file, what):
        dim = text(item, "name", iloc, "a dimension", required=True)
        kind = _lower(item, "type", iloc, "a dimension", "categorical")
        expr = text(item, "expr", iloc, "a dimension") or dim
        model.dimensions[dim] = Dimension(dim, kind, expr, iloc)
    for item, iloc in items(entry, "measures", loc.file, what):
        measure = text(item, "name", iloc, "a measure", required=True)
        if measure in model.measures:
            first = model.measures[measure].loc
            raise KpiError(
                f"measure `{measure}` is defined twice in {what} (first at {first})", iloc
            )
        model.measures[measure] = Measure(
            measure,
            _lower(item, "agg", iloc, f"measure `{measure}`", "sum"),
            text(item, "expr", iloc, "a measure") or measure,
            text(item, "description", iloc, "a measure"),
            text(item, "agg_time_dimension", iloc, "a measure"),
            {k: v for k, v in item.items() if k in _MEASURE_KEYS},
            iloc,
        )
    return model


def latest_model(project: Project, entry: dict, loc: Location) -> None:
    """A dbt model with `semantic_model:` (latest spec): columns and simple metrics on it."""
    dbt_name = text(entry, "name", loc, "a model", required=True)
    config = entry.get("semantic_model")
    name = text(config, "name", loc, "`semantic_model`") if isinstance(config, dict) else ""
    if isinstance(config, dict) and config.get("enabled") is False:
        return
    model = SemanticModel(
        name or dbt_name,
        dbt_name,
        text(entry, "description", loc, "a model"),
        text(entry, "agg_time_dimension", loc, "a model"),
        loc=loc,
    )
    for column, cloc in items(entry, "columns", loc.file, f"model `{dbt_name}`"):
        col = text(column, "name", cloc, "a column", required=True)
        entity = column.get("entity")
        if isinstance(entity, dict):
            ent = text(entity, "name", cloc, "an entity") or col
            model.entities[ent] = col
            if _lower(entity, "type", cloc, "an entity") == "foreign":
                model.foreign.append(ent)
            elif _lower(entity, "type", cloc, "an entity") == "primary":
                model.primary = ent
        dimension = column.get("dimension")
        if isinstance(dimension, dict):
            dim = text(dimension, "name", cloc, "a dimension") or col
            kind = _lower(dimension, "type", cloc, "a dimension", "categorical")
            expr = text(dimension, "expr", cloc, "") or col
            model.dimensions[dim] = Dimension(dim, kind, expr, cloc)
    add(project.models, model, loc)
    for item, mloc in items(entry, "metrics", loc.file, f"model `{dbt_name}`"):
        metric = metric_entry(item, mloc, model)
        add(project.metrics, metric, mloc)


def _filters(value: Any, loc: Location) -> list[str]:
    """A filter as YAML (text or list of text) or as the manifest writes it."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [f for v in value for f in _filters(v, loc)]
    if isinstance(value, dict):
        if "where_filters" in value:
            return _filters(value["where_filters"], loc)
        if "where_sql_template" in value:
            return [str(value["where_sql_template"])]
    raise KpiError("`filter` must be text or a list of text", loc)


def _input(value: Any, loc: Location, what: str) -> Input:
    if isinstance(value, str):
        return Input(value)
    entry = mapping(value, loc, what)
    return Input(
        text(entry, "name", loc, what, required=True),
        _filters(entry.get("filter"), loc),
        text(entry, "alias", loc, what),
        text(entry, "offset_window", loc, what),
        text(entry, "offset_to_grain", loc, what),
        entry.get("fill_nulls_with"),
        bool(entry.get("join_to_timespine", False)),
    )


def metric_entry(entry: dict, loc: Location, model: SemanticModel | None = None) -> Metric:
    name = text(entry, "name", loc, "a metric", required=True)
    what = f"metric `{name}`"
    params = entry.get("type_params") or {}
    params = mapping(params, at(entry, "type_params", loc.file), f"`type_params` of {what}")
    merged = {**entry, **params}  # the latest spec promotes type_params to the metric
    metric = Metric(
        name,
        _lower(entry, "type", loc, what, "simple"),
        text(entry, "label", loc, what),
        text(entry, "description", loc, what),
        _filters(entry.get("filter"), loc),
        raw=merged,
        loc=loc,
    )
    config = entry.get("config")
    meta = config.get("meta") if isinstance(config, dict) else entry.get("meta")
    saved = meta.get("kpiengine") if isinstance(meta, dict) else None
    metric.meta = dict(saved) if isinstance(saved, dict) else {}
    if metric.type == "simple":
        aggregation = merged.get("metric_aggregation_params")
        if merged.get("measure") is not None:
            metric.measure = _input(merged["measure"], loc, f"the measure of {what}")
        elif model is not None or isinstance(aggregation, dict):
            _simple_on_model(metric, merged, loc, model)
    elif metric.type == "ratio":
        for side in ("numerator", "denominator"):
            if merged.get(side) is None:
                raise KpiError(f"ratio {what} has no `{side}`", loc)
            setattr(metric, side, _input(merged[side], loc, f"the {side} of {what}"))
    elif metric.type == "cumulative":
        # legacy spec: a measure; latest spec: the simple metric it accumulates
        if merged.get("measure") is not None:
            metric.measure = _input(merged["measure"], loc, f"the measure of {what}")
        else:
            listed = merged.get("input_metric", merged.get("metric"))
            if listed is None:
                raise KpiError(f"cumulative {what} names no `measure` or `input_metric`", loc)
            metric.inputs = [_input(listed, loc, f"the input metric of {what}")]
        params = merged.get("cumulative_type_params") or {}
        params = mapping(params, loc, f"`cumulative_type_params` of {what}")
        for key in ("window", "grain_to_date", "period_agg"):
            value = params.get(key, merged.get(key))
            if value is not None:
                metric.cumulative[key] = value
    elif metric.type == "conversion":
        params = merged.get("conversion_type_params") or merged
        params = mapping(params, loc, f"`conversion_type_params` of {what}")
        for side in ("base_measure", "conversion_measure", "base_metric", "conversion_metric"):
            if params.get(side) is not None:
                metric.inputs.append(_input(params[side], loc, f"the {side} of {what}"))
        metric.conversion = {
            k: v for k, v in params.items() if not k.endswith(("_measure", "_metric"))
        }
    elif metric.type == "derived":
        metric.expr = text(merged, "expr", loc, what, required=True)
        listed = merged.get("input_metrics", merged.get("metrics")) or []
        if not isinstance(listed, list):
            raise KpiError(f"the input metrics of {what} must be a list", loc)
        metric.inputs = [_input(i, loc, f"an input of {what}") for i in listed]
    return metric


def _simple_on_model(
    metric: Metric, merged: dict, loc: Location, model: SemanticModel | None
) -> None:
    """A simple metric that aggregates an expression itself: a measure of its own."""
    params = merged.get("metric_aggregation_params") or {}
    agg = str(merged.get("agg") or params.get("agg") or "sum").lower()
    owner = model.name if model is not None else str(params.get("semantic_model", ""))
    metric.model = owner
    metric.measure = Input(
        metric.name,
        [],
        "",
        "",
        "",
        merged.get("fill_nulls_with"),
        bool(merged.get("join_to_timespine", False)),
    )
    metric.own = Measure(
        metric.name,
        agg,
        str(merged.get("expr") or metric.name),
        metric.description,
        str(merged.get("agg_time_dimension") or params.get("agg_time_dimension") or ""),
        {
            k: merged[k]
            for k in ("non_additive_dimension", "percentile", "agg_params")
            if k in merged
        },
        loc,
    )
