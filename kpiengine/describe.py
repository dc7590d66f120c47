"""`kpi show` text: formula, reading, unit, dependencies, targets, worked examples."""

from __future__ import annotations

import math

from .examples import example_matches, example_value
from .formatting import format_value
from .model import KPI, Workspace, localized


def _target_text(kpi: KPI) -> str:
    spec = kpi.target
    if spec is None:
        return "none"
    parts = []
    if spec.constant is not None:
        parts.append(format_value(spec.constant, kpi.format, kpi.decimals))
    for year, amount in spec.annual.items():
        when = "every year" if year == "*" else year
        split = "by monthly weights" if spec.split else "evenly"
        parts.append(f"{format_value(amount, kpi.format, kpi.decimals)} for {when}, split {split}")
    parts += [
        f"{p}: {format_value(v, kpi.format, kpi.decimals)}" for p, v in spec.by_period.items()
    ]
    return "; ".join(parts)


def describe_kpi(ws: Workspace, kpi: KPI, locale: str = "en") -> str:
    """Everything `kpi show` prints about one KPI."""
    lines = [f"{kpi.id}: {kpi.title_in(locale)}"]
    description = localized(kpi.description, locale)
    if description:
        lines.append(f"  {description}")
    lines.append(f"  defined at:   {kpi.location} ({kpi.layer})")
    if kpi.overrides:
        lines.append(f"  overrides:    {kpi.overrides}")
    lines.append(f"  formula:      {kpi.formula_text}")
    if kpi.formula is not None:
        lines.append(f"  read as:      {kpi.formula.explicit}")
    lines.append(f"  unit:         {kpi.unit or kpi.unit_text} (declared)")
    if kpi.inferred_unit is not None:
        lines.append(f"                {kpi.inferred_unit} (from the formula)")
    lines.append(f"  format:       {kpi.format}, {kpi.direction} is better")
    if kpi.formula is not None:
        kpis = sorted(n for n in kpi.formula.names if n in ws.kpis)
        variables = sorted(ws.inputs_of(kpi.id))
        if kpis:
            lines.append(f"  uses KPIs:    {', '.join(kpis)}")
        lines.append(f"  inputs:       {', '.join(variables)}")
        for name in variables:
            var = ws.variables.get(name)
            if var is not None:
                lines.append(f"    {name}: {var.unit_text}, aggregate {var.aggregate}")
    lines.append(f"  target:       {_target_text(kpi)}")
    if kpi.aliases:
        lines.append(f"  aliases:      {', '.join(kpi.aliases)}")
    if kpi.source:
        lines.append(f"  source:       {', '.join(kpi.source)}")
    notes = localized(kpi.notes, locale)
    if notes:
        lines.append(f"  notes:        {notes}")
    if kpi.examples:
        lines.append("  examples:")
    for example in kpi.examples:
        given = ", ".join(f"{k}={v:g}" for k, v in example.given.items())
        try:
            value = example_value(ws, kpi, example.given) if kpi.evaluable else math.nan
        except KeyError:
            value = math.nan
        ok = example_matches(value, example)
        shown = f"{value:.6g}" if math.isfinite(value) else "undefined"
        lines.append(
            f"    {'ok ' if ok else 'BAD'} {given} -> {shown} (expected {example.expect:g})"
        )
        if example.reported is not None:
            lines.append(f"        the source reported {example.reported:g}")
        if example.note:
            lines.append(f"        note: {example.note}")
    if kpi.findings:
        lines.append("  findings:")
        lines += [f"    {f.format()}" for f in kpi.findings]
    return "\n".join(lines)
