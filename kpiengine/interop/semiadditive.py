"""MetricFlow's semi-additive measures (`non_additive_dimension`) as kpiengine stocks.

MetricFlow sums such a measure over the rows dated on the latest day of each period
(`window_choice: max`; the earliest with `min`), that day taken per value of the
`window_groupings` entities, or across the whole semantic model without them, whatever the query
groups by. kpiengine's stock rule, `{time: last, segments: sum}`, takes each segment's own latest
day (a segment: one value of each of its source's dimensions) and adds the segments up. So a
stock whose `window_groupings` are entities on exactly the model's dimension columns (what `kpi
export metricflow` writes) is read from the model itself; without `window_groupings` it is the
same only when the model has no dimensions, and a stock of a model with dimensions is read from
a twin of its source without them (`<source>_totals`, same table and date): its day is taken
across the model, as MetricFlow's, and by a dimension it has no data (undefined), which its note
says. MetricFlow's day is the latest with any row, kpiengine's the latest with a value of what
the mapping reads: a note says so where they can differ (an empty value, a CASE's condition). Other
`window_groupings` and the last min, max, average or distinct count of a day are listed as not
imported. The other way (`kpi export metricflow`), a stock is a sum whose non-additive time
dimension is grouped by one foreign entity per dimension of its model (`Segments`).
"""

from __future__ import annotations

from dataclasses import replace

from .guess import unique
from .metricflow_spec import Measure, Project, SemanticModel
from .model import Model, Source, Unmapped
from .sqlexpr import RowMeasure, Untranslatable, plain_column
from .truth import truth_of

_STOCKS = ("sum", "count", "sum_boolean")


def stock(
    model: Model, semantic: SemanticModel, measure: Measure, notes: list[str], own: RowMeasure
) -> tuple[dict[str, str], Source]:
    """kpiengine's aggregate for a measure with a `non_additive_dimension` (`own`: what a row
    gives it, before filters) and the source its variable is read from (Untranslatable when
    none gives MetricFlow's values), with notes on where the two differ."""
    spec = _legacy(measure.raw["non_additive_dimension"])
    groupings = spec.get("window_groupings") if isinstance(spec, dict) else None
    if not groupings:
        rule = stock_rule(spec, semantic.time, measure.agg)
        source = stock_source(model, semantic.name, notes)
        _day_note(own, rule, notes)
        return rule, source
    assert isinstance(spec, dict)
    source = model.sources[semantic.name]
    columns = _grouping_columns(semantic, groupings)
    if not source.dimensions or columns != set(source.dimensions.values()):
        dims = ", ".join(f"`{d}`" for d in source.dimensions) or "none"
        names = ", ".join(f"`{g}`" for g in (groupings if isinstance(groupings, list) else []))
        raise Untranslatable(
            "non_additive_dimension with window_groupings: the latest day of each "
            f"{names or 'entity'}; kpiengine takes each segment's own "
            f"latest day, a segment being one value of each of the model's dimensions ({dims})"
        )
    rule = stock_rule({**spec, "window_groupings": []}, semantic.time, measure.agg)
    note = (
        "non_additive_dimension with window_groupings on the model's dimensions: each "
        "segment's own latest day, as kpiengine's stock; MetricFlow leaves out the rows without "
        f"a value of {', '.join(f'`{c}`' for c in sorted(columns))}, kpiengine keeps them as a "
        "segment of their own"
    )
    if note not in notes:
        notes.append(note)
    _day_note(own, rule, notes)
    return rule, source


def _day_note(own: RowMeasure, rule: dict[str, str], notes: list[str]) -> None:
    """Where the day kpiengine's stock takes differs from MetricFlow's: MetricFlow takes the
    latest day with any row (of those its filters keep, which `where:` keeps too), kpiengine
    the latest day of the rows a mapping reads (with a value, kept by the expression's own
    conditions)."""
    day = "latest" if rule["time"] == "last" else "earliest"
    if own.where:
        tests = " and ".join(_test(c, v) for c, v in own.where.items())
        what = f"a row where {tests}"
        then = "its 0 or empty value"
    elif own.column:
        what = f"a value of `{own.column}`"
        then = "0 (a count)" if own.count else "no value (a SUM of NULLs)"
    else:
        return
    note = (
        f"MetricFlow takes each period's {day} day with any row, kpiengine the {day} day with "
        f"{what}: where MetricFlow's day has none, MetricFlow gives {then} and kpiengine the "
        f"value of the {day} day with one"
    )
    if note not in notes:
        notes.append(note)


def _test(column: str, values: list[str]) -> str:
    truth = truth_of(values)
    if truth is not None:
        return f"`{column}` is {'true' if truth else 'false'}"
    return f"`{column}` = {values[0]}" if len(values) == 1 else f"`{column}` in {values}"


def _legacy(spec: object) -> object:
    """The latest spec's `window_agg` and `group_by` as the legacy `window_choice` and
    `window_groupings`."""
    if not isinstance(spec, dict):
        return spec
    out = {k: v for k, v in spec.items() if k not in ("window_agg", "group_by")}
    if "window_agg" in spec:
        out.setdefault("window_choice", spec["window_agg"])
    if "group_by" in spec:
        out.setdefault("window_groupings", spec["group_by"])
    return out


def _grouping_columns(semantic: SemanticModel, groupings: object) -> set[str] | None:
    """The columns of the `window_groupings` entities, or None when one is not an entity of the
    model on a plain column."""
    if not isinstance(groupings, list):
        return None
    columns = set()
    for name in groupings:
        expr = semantic.entities.get(str(name))
        column = plain_column(expr) if expr is not None else None
        if column is None:
            return None
        columns.add(column)
    return columns


def joins(semantic: SemanticModel, project: Project) -> list[str]:
    """The foreign entities of the model that join another one: not those only grouping a
    stock's latest day by a column the model has as a dimension, when no other model is
    identified by them (`kpi export metricflow` writes such entities)."""
    dims = {plain_column(d.expr) for d in semantic.dimensions.values() if d.type != "time"}
    grouping: set[str] = set()
    for measure in semantic.measures.values():
        spec = _legacy(measure.raw.get("non_additive_dimension"))
        if isinstance(spec, dict) and isinstance(spec.get("window_groupings"), list):
            grouping.update(str(g) for g in spec["window_groupings"])
    identified = {
        name
        for other in project.models.values()
        if other is not semantic
        for name in other.entities
        if name not in other.foreign
    }
    return [
        name
        for name in semantic.foreign
        if name not in grouping
        or name in identified
        or plain_column(semantic.entities.get(name, name)) not in dims
    ]


def stock_rule(spec: object, time: str, agg: str) -> dict[str, str]:
    """kpiengine's aggregate for a measure with this `non_additive_dimension` without
    `window_groupings` (Untranslatable when none gives MetricFlow's values)."""
    if not isinstance(spec, dict) or spec.get("window_groupings"):
        raise Untranslatable(
            "non_additive_dimension with window_groupings: the latest day of each entity; "
            "kpiengine's sources do not keep entities"
        )
    if str(spec.get("name", "")) != (time or ""):
        raise Untranslatable("non_additive_dimension on another dimension than the time one")
    if agg not in _STOCKS:
        raise Untranslatable(
            f"non_additive_dimension on a `{agg}` measure: kpiengine keeps the latest day of a "
            "sum or a count only"
        )
    choice = str(spec.get("window_choice", "max")).lower()
    return {"time": "last" if choice == "max" else "first", "segments": "sum"}


def stock_source(model: Model, key: str, notes: list[str]) -> Source:
    """The source a stock of the semantic model `key` is read from: its own when it has no
    dimensions, else its twin without them (made once), with a note on the KPI."""
    source = model.sources[key]
    if not source.dimensions:
        return source
    twin_key = f"{key}\0totals"
    if twin_key not in model.sources:
        name = unique(f"{source.name}_totals", {s.name for s in model.sources.values()})
        model.sources[twin_key] = replace(
            source, name=name, dimensions={}, mappings={}, options=dict(source.options)
        )
    dims = ", ".join(f"`{d}`" for d in source.dimensions)
    note = (
        "non_additive_dimension without window_groupings: MetricFlow sums the rows of each "
        f"period's latest day across the whole model, so it is read without the model's "
        f"dimensions ({dims}), its day taken across the model too; by those it has no value "
        "(kpiengine's stock would take each segment's own latest day and add them up)"
    )
    if note not in notes:
        notes.append(note)
    return model.sources[twin_key]


def fold_twins(model: Model) -> None:
    """A twin no imported variable reads goes (its stock was not imported after all); a source
    all of whose imported measures are stocks gives way to its twin (named as it was): it has no
    other variable to break down."""
    for twin_key in [k for k in model.sources if k.endswith("\0totals")]:
        key = twin_key.removesuffix("\0totals")
        twin = model.sources.pop(twin_key)
        if twin.mappings and not model.sources[key].mappings:
            model.sources[key] = replace(twin, name=model.sources[key].name)
        elif twin.mappings:
            model.sources[twin_key] = twin


# --- the other way: kpiengine's stocks as MetricFlow measures (`kpi export metricflow`) ------


def stock_unsaid(var_id: str, across: str, model: Model) -> str:
    """Why no MetricFlow measure gives the stock `var_id` (segments rolled up by `across`) as
    kpiengine does, or ''."""
    if across != "sum":
        return (
            f"a stock whose segments roll up by `{across}`: MetricFlow adds up the rows of "
            "each segment's latest day"
        )
    source = model.source_of(var_id)
    mapping = source.mappings[var_id] if source else None
    if mapping is not None and (mapping.where or (mapping.count and mapping.column)):
        return (
            "a stock of some rows (`where:` or `count: COLUMN`): MetricFlow takes the latest "
            "day with any row, kpiengine the latest day of the rows it keeps"
        )
    return ""


class Segments:
    """The foreign entities, one per dimension of a semantic model (on its column), that group
    a stock's latest day by segment, as kpiengine's stock takes each segment's own; `columns`
    are the dimensions' names and SQL."""

    def __init__(self, columns: list[tuple[str, str]], taken: set[str]):
        self.columns, self.taken = columns, taken
        self.entities: list[dict] = []

    def groupings(self, var_id: str, model: Model, notes: list[Unmapped]) -> dict[str, list]:
        """`window_groupings` for a stock (none without dimensions), with a note on where
        MetricFlow's window differs (rows without a dimension, a latest day without a value)."""
        if self.columns and not self.entities:
            for dim, sql in self.columns:
                name = unique(f"{dim}_segment", self.taken)
                self.taken.add(name)
                self.entities.append({"name": name, "type": "foreign", "expr": sql})
        source = model.source_of(var_id)
        mapping = source.mappings.get(var_id) if source else None
        caveats = []
        if self.columns:
            dims = " or ".join(f"`{dim}`" for dim, _ in self.columns)
            caveats.append(f"leaves out the rows without a {dims}")
        if mapping is None or (mapping.column and not mapping.count):  # a count is never empty
            value = mapping.column if mapping is not None else var_id
            caveats.append(f"takes a latest day whose `{value}` is empty (kpiengine skips it)")
        groupings = [e["name"] for e in self.entities]
        if caveats:
            how = f"window_groupings: {', '.join(groupings)}" if groupings else "the latest day"
            notes.append(
                Unmapped(
                    var_id,
                    "variable",
                    f"a stock, each segment's latest day ({how}); unlike kpiengine, MetricFlow "
                    + " and ".join(caveats),
                )
            )
        return {"window_groupings": groupings} if groupings else {}
