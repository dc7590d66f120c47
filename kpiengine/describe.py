"""`kpi show` text: formula, reading, unit, dependencies, targets, worked examples.

Its labels come from the gettext catalogs (`i18n`, keys `show_*`), in the locale of the titles:
the locale as written is normalised first (`zh-CN` -> `zh-Hans`, `fr_FR` -> `fr`), so labels,
titles, descriptions and notes are in one language.
"""

from __future__ import annotations

import math

from .examples import example_matches, example_value
from .formatting import format_value
from .i18n import normalize_locale
from .model import KPI, PERIODS_PER_YEAR, Workspace, localized

_FIELDS = (
    "show_defined_at", "show_overrides", "show_formula", "show_read_as", "show_unit",
    "show_format", "show_uses_kpis", "show_inputs", "show_target", "show_aliases",
    "show_notes", "show_references",
)  # fmt: skip


class _Labels:
    """`kpi show`'s words in one locale: `_(key, **values)` a text of the catalog,
    `_.field(key)` a field's label and colon padded to `width` terminal cells (the widest
    label's and three spaces)."""

    def __init__(self, locale: str):
        from rich.cells import cell_len  # noqa: PLC0415 - `kpi show` only

        self.locale, self.cells = locale, cell_len
        self.width = max(cell_len(self(k)) for k in _FIELDS) + 4

    def __call__(self, key: str, **values: object) -> str:
        from .i18n import label  # noqa: PLC0415

        return label(key, self.locale, None, **values)

    def field(self, key: str) -> str:
        shown = self(key)
        return shown + ":" + " " * (self.width - self.cells(shown) - 1)


def _target_text(kpi: KPI, _: _Labels) -> str:
    spec = kpi.target
    if spec is None:
        return _("show_no_target")
    parts = []
    if spec.constant is not None:
        parts.append(format_value(spec.constant, kpi.format, kpi.decimals))
    for year, amount in spec.annual.items():
        value = format_value(amount, kpi.format, kpi.decimals)
        key = "show_annual_target" + ("_weighted" if spec.split else "")
        when = _("show_every_year") if year == "*" else year
        parts.append(_(key, value=value, year=when))
    parts += [
        f"{p}: {format_value(v, kpi.format, kpi.decimals)}" for p, v in spec.by_period.items()
    ]
    return "; ".join(parts)


def describe_kpi(ws: Workspace, kpi: KPI, locale: str = "en", references: bool = False) -> str:
    """Everything `kpi show` prints about one KPI (with the articles it comes from when
    `references`)."""
    locale = normalize_locale(locale)
    _ = _Labels(locale)
    lines = [f"{kpi.id}: {kpi.title_in(locale)}"]
    description = localized(kpi.description, locale)
    if description:
        lines.append(f"  {description}")
    lines.append(f"  {_.field('show_defined_at')}{kpi.location} ({kpi.layer})")
    if kpi.overrides:
        lines.append(f"  {_.field('show_overrides')}{kpi.overrides}")
    lines.append(f"  {_.field('show_formula')}{kpi.formula_text}")
    if kpi.formula is not None:
        lines.append(f"  {_.field('show_read_as')}{kpi.formula.explicit}")
    unit = kpi.unit or kpi.unit_text
    lines.append(f"  {_.field('show_unit')}{_('show_declared', unit=unit)}")
    if kpi.inferred_unit is not None:
        indent = " " * (2 + _.width)
        lines.append(f"{indent}{_('show_inferred', unit=kpi.inferred_unit)}")
    better = _(f"show_{kpi.direction}_better")
    lines.append(f"  {_.field('show_format')}{kpi.format}, {better}")
    if kpi.formula is not None:
        kpis = sorted(n for n in kpi.formula.names if n in ws.kpis)
        variables = sorted(ws.inputs_of(kpi.id))
        if kpis:
            lines.append(f"  {_.field('show_uses_kpis')}{', '.join(kpis)}")
        lines.append(f"  {_.field('show_inputs')}{', '.join(variables)}")
        for name in variables:
            var = ws.variables.get(name)
            if var is not None:
                aggregate = _("show_aggregate", rule=var.aggregate)
                lines.append(f"    {name}: {var.unit_text}, {aggregate}")
        lines += parameter_lines(ws, kpi, locale)
    lines.append(f"  {_.field('show_target')}{_target_text(kpi, _)}")
    if kpi.aliases:
        lines.append(f"  {_.field('show_aliases')}{', '.join(kpi.aliases)}")
    if references:
        lines += reference_lines(ws, kpi, locale)
    notes = localized(kpi.notes, locale)
    if notes:
        lines.append(f"  {_.field('show_notes')}{notes}")
    if kpi.examples:
        lines.append(f"  {_('show_examples')}:")
    for example in kpi.examples:
        given = ", ".join(f"{k}={v:g}" for k, v in example.given.items())
        try:
            value = example_value(ws, kpi, example.given) if kpi.evaluable else math.nan
        except KeyError:
            value = math.nan
        ok = example_matches(value, example)
        shown = f"{value:.6g}" if math.isfinite(value) else "undefined"
        expected = _("show_expected", value=f"{example.expect:g}")
        lines.append(f"    {'ok ' if ok else 'BAD'} {given} -> {shown} ({expected})")
        if example.reported is not None:
            lines.append(f"        {_('show_reported', value=f'{example.reported:g}')}")
        note = localized(example.note, locale)
        if note:
            lines.append(f"        {_('show_note')}: {note}")
        if references and example.source:
            lines.append(f"        {_('show_source')}: {reference_title(ws, example.source)}")
    if kpi.findings:
        lines.append(f"  {_('show_findings')}:")
        lines += [f"    {f.format()}" for f in kpi.findings]
    return "\n".join(lines)


def parameter_lines(ws: Workspace, kpi: KPI, locale: str = "en") -> list[str]:
    """The assumptions a KPI rests on: each parameter, its value and where it is set."""
    names = sorted(ws.parameters_of(kpi.id))
    if not names:
        return []
    locale = normalize_locale(locale)
    _ = _Labels(locale)
    lines = [f"  {_('show_parameters')}:"]
    for name in names:
        if name == PERIODS_PER_YEAR:
            lines.append(f"    {name}: {_('show_periods_per_year')}")
            continue
        param = ws.parameters[name]
        where = _("show_set_at", where=param.location)
        if param.overrides:
            where = _("show_set_at_replacing", where=param.location, default=param.overrides)
        lines.append(f"    {name} ({param.unit_text}) = {param.value_text()}; {where}")
        text = localized(param.description, locale)
        if text:
            lines.append(f"      {text}")
    return lines


def reference_lines(ws: Workspace, kpi: KPI, locale: str = "en") -> list[str]:
    """The articles a KPI's definition comes from, by title and language."""
    _ = _Labels(normalize_locale(locale))
    if not kpi.source:
        return [f"  {_.field('show_references')}{_('show_no_references')}"]
    lines = [f"  {_('show_references')}:"]
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
