"""Drivers and sensitivity: partial derivatives and elasticities of a KPI, through every level.

The elasticity of input x is d ln KPI / d ln x = (dKPI/dx) * x / KPI: the percent change of the
KPI for a 1% change of x. `impact_1pct` = (dKPI/dx) * x / 100 is the linear estimate of the KPI's
change for that 1%, defined even where the KPI is 0; drivers are ranked by its size.
`change_1pct` is the exact change, the KPI recomputed with x alone 1% higher.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import sympy

from ..formula import symbol
from ..model import PERIODS_PER_YEAR
from ..symbolic import SYMBOLIC_ERRORS
from .expand import (
    Context,
    display_name,
    evaluate_at,
    expand,
    input_names,
    latest_defined,
    number,
    resolve_kpi,
    shift_expr,
    split_name,
)


@dataclass
class Driver:
    """One raw input's effect on the KPI at a period, through all dependency levels."""

    input: str
    label: str
    value: float | None
    derivative: float | None
    elasticity: float | None
    impact_1pct: float | None  # the linear estimate, (dKPI/dx) * x / 100
    via: list[str] = field(default_factory=list)
    #: the exact change of the KPI when x alone is 1% higher, by substitution
    change_1pct: float | None = None


@dataclass
class Drivers:
    kpi: str
    period: str
    segment: dict[str, str]
    value: float | None
    drivers: list[Driver]
    missing: list[str] = field(default_factory=list)  # inputs without data in the period
    cancelled: list[str] = field(default_factory=list)  # inputs that cancel out of the formula

    def to_dict(self) -> dict:
        return asdict(self)


def sensitivity(expr: sympy.Expr, values: dict[str, float]) -> list[Driver]:
    """Derivative, elasticity and 1% impact of every input of `expr` at `values`, ranked."""
    value = evaluate_at(expr, values)
    out = []
    for name in input_names(expr):
        try:
            derivative = evaluate_at(sympy.diff(expr, symbol(name)), values)
        except SYMBOLIC_ERRORS:  # sympy overflowing on exp(exp(exp(exp(10)))): undefined
            derivative = math.nan
        x = values[name]
        impact = derivative * x / 100
        elasticity = impact * 100 / value if value and math.isfinite(value) else math.nan
        try:
            exact = evaluate_at(expr, {**values, name: x * 1.01}) - value
        except SYMBOLIC_ERRORS:
            exact = math.nan
        out.append(
            Driver(
                name, display_name(name), number(x), number(derivative), number(elasticity),
                number(impact), change_1pct=number(exact),
            )
        )  # fmt: skip
    out.sort(key=lambda d: (d.impact_1pct is None, -abs(d.impact_1pct or 0.0), d.input))
    return out


def _paths(ctx: Context, kpi_id: str) -> dict[str, list[str]]:
    """For each raw input, the KPIs it reaches the top KPI through (on any path)."""
    ws = ctx.ws
    out: dict[str, list[str]] = {}

    def reach(name: str, path: list[str]) -> None:
        seen = out.setdefault(name, [])
        seen += [k for k in path if k not in seen]

    def walk(name: str, path: list[str], shift: tuple[str, ...]) -> None:
        kpi = ws.kpis[name]
        assert kpi.formula is not None  # the caller expanded the KPI, which needs every formula
        for used in kpi.formula.names:
            if used in ws.kpis:
                walk(used, [*path, used], shift)
            else:
                reach("__".join([used, *shift]), path)
        for func, used in kpi.formula.shifts:
            if used in ws.kpis:
                walk(used, [*path, f"{func}({used})"], (*shift, func))
            else:
                reach("__".join([used, *shift, func]), path)

    walk(kpi_id, [], ())
    return out


def drivers(
    ctx: Context, kpi_id: str, period: str | None = None, segment: dict[str, str] | None = None
) -> Drivers:
    """Every raw input of the KPI, ranked by the size of its effect at the period."""
    kpi_id = resolve_kpi(ctx.ws, kpi_id)
    expr = expand(ctx.ws, kpi_id)
    s = ctx.segment_index(segment)
    i = ctx.period_index(period, latest_defined(ctx, expr, s))
    names = input_names(expr)
    values = ctx.values(names, i, s)
    # the number of periods in a year is a fact of the calendar, not a lever
    found = [d for d in sensitivity(expr, values) if d.input != PERIODS_PER_YEAR]
    paths = _paths(ctx, kpi_id)
    for driver in found:
        driver.via = paths.get(driver.input, [])
    value = number(evaluate_at(expr, values))
    cancelled = sorted(ctx.ws.inputs_of(kpi_id) - {split_name(n)[0] for n in names})
    return Drivers(
        kpi_id, ctx.labels[i], dict(ctx.table.segments[s]), value, found,
        ctx.missing(names, i, s), cancelled,
    )  # fmt: skip


@dataclass
class TreeNode:
    """A node of a KPI's formula tree: a KPI (with children) or a raw input (a leaf).

    `elasticity` is the top KPI's elasticity to this node along the path to it (the other
    inputs of each formula on the path held)."""

    name: str
    label: str
    kind: str  # "kpi" | "variable"
    value: float | None
    formula: str | None = None
    unit: str | None = None
    elasticity: float | None = None
    children: list[TreeNode] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def driver_tree(
    ctx: Context, kpi_id: str, period: str | None = None, segment: dict[str, str] | None = None
) -> TreeNode:
    """The KPI's formula tree down to the raw variables, each node with its value."""
    ws = ctx.ws
    kpi_id = resolve_kpi(ws, kpi_id)
    s = ctx.segment_index(segment)
    i = ctx.period_index(period, latest_defined(ctx, expand(ws, kpi_id), s))

    def node(name: str, shift: tuple[str, ...], elasticity: float | None) -> TreeNode:
        internal = "__".join([name, *shift])
        if name not in ws.kpis:
            value = number(ctx.values([internal], i, s)[internal])
            unit = ws.variables[name].unit if name in ws.variables else None
            return TreeNode(internal, display_name(internal), "variable", value, None,
                            str(unit) if unit else None, elasticity)  # fmt: skip
        kpi = ws.kpis[name]
        assert kpi.formula is not None  # expand() above needed every formula on the tree
        local = kpi.formula.expr
        for func in shift:
            local = shift_expr(local, func)
        full = expand(ws, name)
        for func in shift:
            full = shift_expr(full, func)
        value = number(evaluate_at(full, ctx.values(input_names(full), i, s)))
        child_values = {}
        for child in input_names(local):
            child_values[child] = _child_value(ctx, child, i, s)
        local_drivers = {d.input: d.elasticity for d in sensitivity(local, child_values)}
        unit_text = str(kpi.unit) if kpi.unit else kpi.unit_text
        out = TreeNode(internal, display_name(internal), "kpi", value, kpi.formula_text,
                       unit_text, elasticity)  # fmt: skip
        for child in input_names(local):
            base, funcs = split_name(child)
            local_e = local_drivers.get(child)
            path_e = None if elasticity is None or local_e is None else elasticity * local_e
            out.children.append(node(base, funcs, path_e))
        return out

    return node(kpi_id, (), 1.0)


def _child_value(ctx: Context, child: str, i: int, s: int) -> float:
    base, funcs = split_name(child)
    if base not in ctx.ws.kpis:
        return ctx.values([child], i, s)[child]
    full = expand(ctx.ws, base)
    for func in funcs:
        full = shift_expr(full, func)
    return evaluate_at(full, ctx.values(input_names(full), i, s))


def render_tree(node: TreeNode, fmt=lambda v: "—" if v is None else f"{v:,.6g}") -> str:
    """The tree as indented text: `roi = 0.25  (revenue - cost) / cost`."""
    lines: list[str] = []

    def walk(n: TreeNode, prefix: str, last: bool, top: bool) -> None:
        branch = "" if top else ("└─ " if last else "├─ ")
        text = f"{prefix}{branch}{n.label} = {fmt(n.value)}"
        if n.formula:
            text += f"   = {n.formula}"
        if n.elasticity is not None and not top:
            text += f"   (elasticity {n.elasticity:+.3g})"
        lines.append(text)
        extend = "" if top else ("   " if last else "│  ")
        for k, child in enumerate(n.children):
            walk(child, prefix + extend, k == len(n.children) - 1, False)

    walk(node, "", True, True)
    return "\n".join(lines)
