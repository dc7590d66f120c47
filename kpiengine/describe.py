"""`kpi show` text: formula, reading, unit, dependencies, targets, worked examples."""

from __future__ import annotations

import math

from .examples import example_matches, example_value
from .formatting import format_value
from .model import KPI, PERIODS_PER_YEAR, Workspace, localized


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


def describe_kpi(ws: Workspace, kpi: KPI, locale: str = "en", references: bool = False) -> str:
    """Everything `kpi show` prints about one KPI (with the articles it comes from when
    `references`)."""
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
        lines += parameter_lines(ws, kpi, locale)
    lines.append(f"  target:       {_target_text(kpi)}")
    if kpi.aliases:
        lines.append(f"  aliases:      {', '.join(kpi.aliases)}")
    if references:
        lines += reference_lines(ws, kpi)
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
        note = localized(example.note, locale)
        if note:
            lines.append(f"        note: {note}")
        if references and example.source:
            lines.append(f"        source: {reference_title(ws, example.source)}")
    if kpi.findings:
        lines.append("  findings:")
        lines += [f"    {f.format()}" for f in kpi.findings]
    return "\n".join(lines)


def parameter_lines(ws: Workspace, kpi: KPI, locale: str = "en") -> list[str]:
    """The assumptions a KPI rests on: each parameter, its value and where it is set."""
    names = sorted(ws.parameters_of(kpi.id))
    if not names:
        return []
    lines = ["  parameters:"]
    for name in names:
        if name == PERIODS_PER_YEAR:
            lines.append(f"    {name}: the periods in a year at the grain evaluated (month: 12)")
            continue
        param = ws.parameters[name]
        where = f"set at {param.location}"
        if param.overrides:
            where += f", replacing the default at {param.overrides}"
        lines.append(f"    {name} ({param.unit_text}) = {param.value_text()}; {where}")
        text = localized(param.description, locale)
        if text:
            lines.append(f"      {text}")
    return lines


def reference_lines(ws: Workspace, kpi: KPI) -> list[str]:
    """The articles a KPI's definition comes from, by title and language."""
    if not kpi.source:
        return ["  references:   none (not from a published article)"]
    lines = ["  references:"]
    for ref_id in kpi.source:
        ref = ws.references.get(ref_id)
        if ref is None:
            lines.append(f"    {ref_id}")
            continue
        when = f", {ref.published}" if ref.published else ""
        lines.append(f"    {ref.title} ({ref.language}{when}) [{ref.id}]")
    return lines


def reference_title(ws: Workspace, ref_id: str) -> str:
    """An article as a reader knows it: its title and language (the id when it is not listed)."""
    ref = ws.references.get(ref_id)
    return f"{ref.title} ({ref.language})" if ref is not None else ref_id
