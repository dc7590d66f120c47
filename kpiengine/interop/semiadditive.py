"""MetricFlow's semi-additive measures (`non_additive_dimension`) as kpiengine stocks.

MetricFlow sums such a measure over the rows dated on the latest day of each period
(`window_choice: max`; the earliest with `min`); without `window_groupings` that day is the
latest across the whole semantic model, whatever the query groups by. kpiengine's stock rule,
`{time: last, segments: sum}`, takes each segment's own latest day and adds the segments up: the
same total only when its source has no dimensions. So a stock of a model with dimensions is read
from a twin of its source without them (`<source>_totals`, same table and date): its total is
MetricFlow's, and by a dimension it has no data (undefined), which its note says. A latest day
per entity (`window_groupings`) and the last min, max, average or distinct count of a day are
listed as not imported.
"""

from __future__ import annotations

from dataclasses import replace

from .guess import unique
from .model import Model, Source
from .sqlexpr import Untranslatable

_STOCKS = ("sum", "count", "sum_boolean")


def stock_rule(spec: object, time: str, agg: str) -> dict[str, str]:
    """kpiengine's aggregate for a measure with this `non_additive_dimension` (Untranslatable
    when none gives MetricFlow's values)."""
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
        f"dimensions ({dims}): its total is MetricFlow's, and by those it has no value "
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
