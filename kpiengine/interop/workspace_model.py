"""A loaded workspace as the neutral model, for the exporters (the reverse of the writer).

Each KPI and variable is spelt back as a definitions file would: titles and descriptions by
locale, targets as written (constant, by period, annual with its split), worked examples with
their tolerance when it is not the one their written precision gives.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..model import KPI, Aggregate, Example, TargetSpec
from ..schema import written_precision
from ..units import ENTITIES
from ..workspace import BUILTIN, Workspace
from .model import Kpi, Mapping, Model, Source, Variable
from .writer import plain


def workspace_model(ws: Workspace, own_only: bool = False) -> Model:
    """The workspace's KPIs (all, or only its own with `own_only`), the variables they read,
    its sources and settings."""
    kpis = [k for k in ws.kpis.values() if not (own_only and k.layer == BUILTIN)]
    wanted = {v for k in kpis for v in ws.inputs_of(k.id)}
    wanted |= {v.id for v in ws.variables.values() if v.layer != BUILTIN}
    model = Model(
        f"the workspace {ws.root or 'built-in library'}", ws.settings.name, ws.settings.description
    )
    for var_id, variable in ws.variables.items():
        if var_id in wanted:
            model.variables[var_id] = Variable(
                var_id,
                variable.unit_text,
                _aggregate(variable.aggregate),
                _text(variable.title),
                _text(variable.description),
            )
    for kpi in kpis:
        model.kpis[kpi.id] = kpi_model(kpi)
    model.settings = _settings(ws)
    model.units = sorted(ws.units.entities - ENTITIES - set(ws.settings.units))
    for config in ws.settings.sources:
        if ws.settings.data is not None and config.name == "data":
            continue  # the `data:` shortcut, kept in the settings
        source = Source(
            config.name,
            connector=config.connector,
            options={k: plain(v) for k, v in config.options.items()},
        )
        for dim, column in config.dimensions.items():
            renames = config.dimension_values.get(dim)
            source.dimensions[dim] = {"column": column, "values": renames} if renames else column
        for dim, renames in config.dimension_values.items():
            source.dimensions.setdefault(dim, {"values": renames})
        for var_id, m in config.mappings.items():
            extra = {
                k: v
                for k, v in (("scale", m.scale), ("currency", m.currency))
                if v is not None and not (k == "scale" and v == 1.0)
            }
            mapped: str | None = m.present if m.count else m.column  # `count: COLUMN` keeps it
            source.mappings[var_id] = Mapping(
                var_id, mapped, m.count, dict(m.where), m.date, extra, m.distinct
            )
        model.sources[config.name] = source
    return model


def kpi_model(kpi: KPI) -> Kpi:
    """One KPI as its definitions entry says it."""
    extra: dict[str, Any] = {}
    for key in ("decimals", "at_risk"):
        if getattr(kpi, key) is not None:
            extra[key] = getattr(kpi, key)
    for key in ("aliases", "tags", "source", "allow"):
        if getattr(kpi, key):
            extra[key] = plain(getattr(kpi, key))
    if kpi.notes:
        extra["notes"] = _text(kpi.notes)
    return Kpi(
        kpi.id,
        kpi.formula_text,
        _text(kpi.title) or kpi.id,
        _text(kpi.description),
        kpi.unit_text,
        kpi.format,
        kpi.direction,
        target_value(kpi.target),
        [example_entry(e) for e in kpi.examples],
        extra,
    )


def target_value(spec: TargetSpec | None) -> Any:
    """A target as it is written: a number, {period: value}, or {annual: ..., split: ...}."""
    if spec is None:
        return None
    if spec.constant is not None:
        return spec.constant
    out: dict[str, Any] = dict(spec.by_period)
    if spec.annual:
        out["annual"] = spec.annual["*"] if set(spec.annual) == {"*"} else dict(spec.annual)
        out["split"] = list(spec.split) if spec.split is not None else "even"
    return out


def example_entry(example: Example) -> dict[str, Any]:
    """A worked example; `tolerance` only when the written `expect` would not give it."""
    out: dict[str, Any] = {"given": dict(example.given), "expect": example.expect}
    if example.reported is not None:
        out["reported"] = example.reported
    if any(example.note.values()):
        out["note"] = _text(example.note)
    if example.source:
        out["source"] = example.source
    if written_precision(repr(example.expect)) != example.tolerance:
        out["tolerance"] = example.tolerance
    return out


def _settings(ws: Workspace) -> dict[str, Any]:
    s = ws.settings
    out: dict[str, Any] = {}
    if s.currency:
        out["currency"] = s.currency
    if s.locale != "en":
        out["locale"] = s.locale
    out["grain"] = s.grain
    if s.data is not None and ws.root is not None:
        out["data"] = (
            str(Path(s.data).relative_to(ws.root))
            if Path(s.data).is_relative_to(ws.root)
            else str(s.data)
        )
    if s.kpis:
        out["kpis"] = list(s.kpis)
    out["at_risk"] = s.at_risk
    if s.units:
        out["units"] = list(s.units)
    if s.choose:
        out["choose"] = dict(s.choose)
    return out


def _aggregate(aggregate: Aggregate) -> str | dict[str, str]:
    if aggregate.time == aggregate.segments or (
        aggregate.time in ("last", "first") and aggregate.segments == "sum"
    ):
        return aggregate.time
    return {"time": aggregate.time, "segments": aggregate.segments}


def _text(text: dict[str, str]) -> str | dict[str, str]:
    if not text:
        return ""
    return text["en"] if set(text) == {"en"} else dict(text)
