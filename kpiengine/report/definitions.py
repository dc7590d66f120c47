"""KPI and variable definitions as the report shows them: text, formula, unit, inputs, targets."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..evaluation import Results
from ..model import KPI, TargetSpec, localized
from .findings import used_kpis
from .mathml import formula_latex, formula_mathml


@dataclass
class Definition:
    """A KPI definition as the appendix and each KPI section show it."""

    id: str
    title: str
    description: str
    notes: str
    formula_text: str
    mathml: str
    latex: str
    unit: str
    format: str
    decimals: int | None
    direction: str
    kpi_inputs: list[tuple[str, str]]  # (id, title) of KPIs the formula names
    variable_inputs: list[tuple[str, str]]  # (id, title) of the raw variables it needs
    targets: list[tuple[str | None, float]]  # (period or year or None for every period, value)
    where: str
    layer: str


def shown_location(location: object, root: object) -> str | None:
    """A location as text, relative to the workspace folder when inside it."""
    if not location:
        return None
    text = str(location)
    prefix = f"{root}/" if root else None
    return text[len(prefix) :] if prefix and text.startswith(prefix) else text


def _targets(spec: TargetSpec | None) -> list[tuple[str | None, float]]:
    if spec is None:
        return []
    out: list[tuple[str | None, float]] = []
    if spec.constant is not None:
        out.append((None, spec.constant))
    out += [(year if year != "*" else None, amount) for year, amount in spec.annual.items()]
    out += list(spec.by_period.items())
    return out


def unit_text(unit: object, written: str, currency: str | None) -> str:
    """A unit as text, with `currency` written as the workspace currency when it has one."""
    text = str(unit) if unit else written
    return re.sub(r"\bcurrency\b", currency, text) if currency else text


def definition(results: Results, kpi: KPI, locale: str) -> Definition:
    """How the report shows one KPI's definition."""
    ws = results.workspace
    names = sorted(kpi.formula.names) if kpi.formula else []
    kpi_inputs = [(n, ws.kpis[n].title_in(locale)) for n in names if n in ws.kpis]
    variables = sorted(ws.inputs_of(kpi.id)) if kpi.formula else []
    variable_inputs = [
        (v, localized(ws.variables[v].title, locale) if v in ws.variables else "")
        for v in variables
    ]
    mathml: str  # Markup when there is a formula
    latex: str
    if kpi.formula is not None:
        mathml, latex = (
            formula_mathml(kpi.formula.expr, kpi.formula_text),
            formula_latex(kpi.formula.expr),
        )
    else:
        mathml, latex = "", ""
    return Definition(
        id=kpi.id,
        title=kpi.title_in(locale),
        description=localized(kpi.description, locale),
        notes=localized(kpi.notes, locale),
        formula_text=kpi.formula_text,
        mathml=mathml,
        latex=latex,
        unit=unit_text(kpi.unit, kpi.unit_text, ws.settings.currency),
        format=kpi.format,
        decimals=kpi.decimals,
        direction=kpi.direction,
        kpi_inputs=kpi_inputs,
        variable_inputs=variable_inputs,
        targets=_targets(kpi.target),
        where=shown_location(kpi.location, ws.root) or "",
        layer=kpi.layer,
    )


def used_definitions(results: Results) -> list[str]:
    """The KPIs the report shows and those they depend on, in evaluation order."""
    order = {k: i for i, k in enumerate(results.workspace.order)}
    return sorted(used_kpis(results), key=lambda k: (order.get(k, len(order)), k))


def variables(results: Results, locale: str) -> list[dict]:
    """The input variables of every definition the report uses."""
    ws = results.workspace
    names = set()
    for name in used_definitions(results):
        names |= ws.inputs_of(name)
    out = []
    for name in sorted(names):
        var = ws.variables.get(name)
        if var is None:
            continue
        out.append(
            {
                "id": name,
                "title": localized(var.title, locale),
                "description": localized(var.description, locale),
                "unit": unit_text(var.unit, var.unit_text, ws.settings.currency),
                "aggregate": str(var.aggregate),
                "where": shown_location(var.location, ws.root) or "",
            }
        )
    return out


def parameters(results: Results, locale: str) -> list[dict]:
    """The parameters (assumptions) the report's definitions rest on, with their values."""
    ws = results.workspace
    names: set[str] = set()
    for name in used_definitions(results):
        names |= ws.parameters_of(name)
    out = []
    for name in sorted(n for n in names if n in ws.parameters):
        param = ws.parameters[name]
        out.append(
            {
                "id": name,
                "title": localized(param.title, locale),
                "description": localized(param.description, locale),
                "unit": unit_text(param.unit, param.unit_text, ws.settings.currency),
                "value": param.value_text(),
                "where": shown_location(param.location, ws.root) or "",
            }
        )
    return out
