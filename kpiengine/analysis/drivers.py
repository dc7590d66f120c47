"""Drivers and sensitivity: partial derivatives and elasticities of a KPI, through every level.

The elasticity of input x is d ln KPI / d ln x = (dKPI/dx) * x / KPI: the percent change of the
KPI for a 1% change of x. `impact_1pct` = (dKPI/dx) * x / 100 is the linear estimate of the KPI's
change for that 1%, defined even where the KPI is 0; drivers are ranked by its size.
`change_1pct` is the exact change, the KPI recomputed with x alone 1% higher.

`Drivers.basis` says how to show a driver's effect: `relative` (the elasticity, a % change) for
a KPI above 0 that is not a rate, else `absolute` (`change_1pct`, in the KPI's own unit; points
for a percentage). A rate changes in points (`is_rate`), and a relative change of a negative KPI
has the opposite sign of its move (ROI -37.5% "+1.67%" is ROI falling), so the elasticity is None
where the KPI is 0 or below.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import sympy

from ..evaluation import is_rate
from ..formula import symbol
from ..model import KPI, PERIODS_PER_YEAR
from ..symbolic import SYMBOLIC_ERRORS, text
from .expand import (
    Context,
    display_name,
    evaluate_at,
    expand,
    input_names,
    latest_defined,
    number,
    resolve_kpi,
    segment_text,
    shift_expr,
    split_name,
)
from .links import Links, movers
from .todate import cell_context


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
    #: `relative`: show each driver's elasticity (%); `absolute`: its `change_1pct` (KPI unit)
    basis: str = "relative"
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


RELATIVE, ABSOLUTE = "relative", "absolute"


def effect_basis(kpi: KPI, value: float | None) -> str:
    """`relative` (% change) for a KPI above 0 that is not a rate, else `absolute`."""
    positive = value is not None and math.isfinite(value) and value > 0
    return RELATIVE if positive and not is_rate(kpi) else ABSOLUTE


def basis_note(kpi: KPI, value: float | None) -> str | None:
    """Why the effects are in the KPI's unit, not in % (None when they are in %, or when the
    KPI is undefined: `undefined_note` says why)."""
    if effect_basis(kpi, value) == RELATIVE or value is None or not math.isfinite(value):
        return None
    unit = "in points (pp)" if kpi.format == "percent" else "in its own unit"
    if value is not None and math.isfinite(value) and value <= 0:
        return (
            f"`{kpi.id}` is {'0' if value == 0 else 'negative'}: a % change of it would not say "
            f"which way it moves, so no elasticity; each effect is its change {unit}"
        )
    return f"`{kpi.id}` is a rate: each effect is its change {unit}, not a % change"


def undefined_why(expr: sympy.Expr, values: dict[str, float]) -> str | None:
    """Why an expression is undefined at `values`: the first divisor at 0 (`new_customers` is
    0), logarithm of a number at or below 0 or square root of a negative number; None when no
    such part is found."""
    for part in sympy.preorder_traversal(expr):
        if isinstance(part, sympy.log):
            inner, problem = part.args[0], "is not positive (log)"
        elif isinstance(part, sympy.Pow) and not part.base.is_Number:
            inner, problem = part.base, ""
        else:
            continue
        try:
            value = evaluate_at(inner, {n: values[n] for n in input_names(inner)})
        except (*SYMBOLIC_ERRORS, KeyError):
            continue
        shown = display_name(inner.name) if isinstance(inner, sympy.Symbol) else text(inner)
        if problem and value <= 0:
            return f"`{shown}` {problem}"
        if isinstance(part, sympy.Pow) and part.exp.is_negative and value == 0:
            return f"`{shown}` is 0, and the formula divides by it"
        if isinstance(part, sympy.Pow) and not part.exp.is_integer and value < 0:
            return f"`{shown}` is negative ({value:,.6g}), and the formula takes a root of it"
    return None


def undefined_note(
    ctx: Context, kpi_id: str, expr: sympy.Expr, values: dict[str, float], i: int, s: int
) -> str:
    """`cac` is undefined in 2024-03 (channel=Social): `new_customers` is 0, and ..."""
    where = ctx.labels[i] + ("" if s == 0 else f" ({segment_text(ctx.table.segments[s])})")
    missing = [n for n, v in values.items() if math.isnan(v)]
    if missing:
        why = "no value of " + ", ".join(f"`{display_name(n)}`" for n in missing)
    else:
        why = undefined_why(expr, values) or "the result is not a finite number"
    return f"`{kpi_id}` is undefined in {where}: {why}; no input has an effect on it there"


def sensitivity(
    expr: sympy.Expr, values: dict[str, float], moved: dict[str, Links] | None = None
) -> list[Driver]:
    """Derivative, elasticity and 1% impact of every input of `expr` at `values`, ranked;
    an input in `moved` moves its references with it (`links.links`: `total(x)` with x)."""
    value = evaluate_at(expr, values)
    out = []
    for name in input_names(expr):
        own = moved[name].apply(expr) if moved and name in moved else expr
        try:
            derivative = evaluate_at(sympy.diff(own, symbol(name)), values)
        except SYMBOLIC_ERRORS:  # sympy overflowing on exp(exp(exp(exp(10)))): undefined
            derivative = math.nan
        x = values[name]
        impact = derivative * x / 100
        # d ln KPI / d ln x: for a KPI at or below 0 its sign would not be the KPI's direction
        elasticity = impact * 100 / value if value > 0 and math.isfinite(value) else math.nan
        try:
            exact = evaluate_at(own, {**values, name: x * 1.01}) - value
        except SYMBOLIC_ERRORS:
            exact = math.nan
        out.append(
            Driver(
                name, display_name(name), number(x), number(derivative), number(elasticity),
                number(impact), change_1pct=number(exact),
            )
        )  # fmt: skip
    # magnitudes to 12 digits: inputs whose effects are equal but for float noise (revenue and
    # cost of a ROI) rank by name, not by the order DuckDB happened to sum their rows in
    out.sort(
        key=lambda d: (d.impact_1pct is None, -float(f"{abs(d.impact_1pct or 0.0):.12g}"), d.input)
    )
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
    ctx = cell_context(ctx, kpi_id, i)
    names = input_names(expr)
    values = ctx.values(names, i, s)
    moved, same, said = movers(ctx, expr, i, s)
    # the number of periods in a year is a fact of the calendar, not a lever
    found = [
        d
        for d in sensitivity(expr, values, moved)
        if d.input != PERIODS_PER_YEAR and d.input not in same
    ]
    paths = _paths(ctx, kpi_id)
    for driver in found:
        driver.via = paths.get(driver.input, [])
    value = number(evaluate_at(expr, values))
    cancelled = sorted(ctx.ws.inputs_of(kpi_id) - {split_name(n)[0] for n in names})
    kpi = ctx.ws.kpis[kpi_id]
    note = basis_note(kpi, value)
    if value is None:
        note = undefined_note(ctx, kpi_id, expr, values, i, s)
    return Drivers(
        kpi_id, ctx.labels[i], dict(ctx.table.segments[s]), value, found,
        ctx.missing(names, i, s), cancelled, effect_basis(kpi, value),
        [n for n in [note] if n] + said,
    )  # fmt: skip


@dataclass
class TreeNode:
    """A node of a KPI's formula tree: a KPI (with children) or a raw input (a leaf).

    Along the path to the node (the other inputs of each formula on it held): `impact_1pct`
    is the top KPI's linear change for +1% of the node, `elasticity` its % change (None where
    the top KPI is 0 or below: see the module), `change_1pct` the top KPI's exact change,
    recomputed through each formula on the path with the node alone 1% higher."""

    name: str
    label: str
    kind: str  # "kpi" | "variable"
    value: float | None
    formula: str | None = None
    unit: str | None = None
    elasticity: float | None = None
    children: list[TreeNode] = field(default_factory=list)
    impact_1pct: float | None = None
    change_1pct: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def driver_tree(
    ctx: Context, kpi_id: str, period: str | None = None, segment: dict[str, str] | None = None
) -> TreeNode:
    """The KPI's formula tree down to the raw variables, each node with its value."""
    ws = ctx.ws
    kpi_id = resolve_kpi(ws, kpi_id)
    s = ctx.segment_index(segment)
    expr = expand(ws, kpi_id)
    i = ctx.period_index(period, latest_defined(ctx, expr, s))
    ctx = cell_context(ctx, kpi_id, i)
    top = evaluate_at(expr, ctx.values(input_names(expr), i, s))

    def effects(value: float | None, slope: float | None) -> tuple[float | None, float | None]:
        """(elasticity, impact_1pct) of a node of `value` whose path derivative is `slope`."""
        if value is None or slope is None:
            return None, None
        impact = slope * value / 100
        return number(impact * 100 / top) if top > 0 else None, number(impact)

    def exact(value: float | None, lift: Callable[[float], float]) -> float | None:
        """The top KPI's exact change when a node of `value` alone is 1% higher."""
        if value is None:
            return None
        try:
            return number(lift(value * 1.01) - top)
        except SYMBOLIC_ERRORS:
            return None

    def node(
        name: str, shift: tuple[str, ...], slope: float | None, lift: Callable[[float], float]
    ) -> TreeNode:
        """`slope`: d top / d node along the path (the chain rule's product); `lift`: the top
        KPI for a value of the node, the rest of the path held."""
        internal = "__".join([name, *shift])
        if name not in ws.kpis:
            value = number(ctx.values([internal], i, s)[internal])
            unit = ws.variables[name].unit if name in ws.variables else None
            elasticity, impact = effects(value, slope)
            return TreeNode(internal, display_name(internal), "variable", value, None,
                            str(unit) if unit else None, elasticity, [], impact,
                            exact(value, lift))  # fmt: skip
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
        local_slopes = {d.input: d.derivative for d in sensitivity(local, child_values)}
        unit_text = str(kpi.unit) if kpi.unit else kpi.unit_text
        elasticity, impact = effects(value, slope)
        out = TreeNode(internal, display_name(internal), "kpi", value, kpi.formula_text,
                       unit_text, elasticity, [], impact, exact(value, lift))  # fmt: skip
        for child in input_names(local):
            base, funcs = split_name(child)
            local_slope = local_slopes.get(child)
            path = None if slope is None or local_slope is None else slope * local_slope
            out.children.append(node(base, funcs, path, _lifted(lift, local, child_values, child)))
        return out

    tree = node(kpi_id, (), 1.0, lambda v: v)
    moved, same, _ = movers(ctx, expr, i, s)
    if moved or same:  # +1% of x moves total(x), ytd(x) too, on whatever path they are
        found = {d.input: d for d in sensitivity(expr, ctx.values(input_names(expr), i, s), moved)}
        _relink(tree, {n: found[n] for n in moved if n in found}, same)
    return tree


def _relink(node: TreeNode, moved: dict[str, Driver], same: set[str]) -> None:
    """Leaves of inputs that move their references take those effects (`movers`); a
    reference that is its input itself has none of its own."""
    if node.kind == "variable" and (node.name in moved or node.name in same):
        d = moved.get(node.name)
        node.elasticity = d.elasticity if d else None
        node.impact_1pct = d.impact_1pct if d else None
        node.change_1pct = d.change_1pct if d else None
    for child in node.children:
        _relink(child, moved, same)


def _lifted(
    lift: Callable[[float], float], local: sympy.Expr, values: dict[str, float], child: str
) -> Callable[[float], float]:
    """The top KPI for a value of `child`: its parent's formula at it, then up the path."""
    return lambda v: lift(evaluate_at(local, {**values, child: v}))


def _child_value(ctx: Context, child: str, i: int, s: int) -> float:
    base, funcs = split_name(child)
    if base not in ctx.ws.kpis:
        return ctx.values([child], i, s)[child]
    full = expand(ctx.ws, base)
    for func in funcs:
        full = shift_expr(full, func)
    return evaluate_at(full, ctx.values(input_names(full), i, s))


def render_tree(
    node: TreeNode,
    fmt: Callable[[float | None], str] = lambda v: "—" if v is None else f"{v:,.6g}",
    effect: Callable[[TreeNode], str | None] | None = None,
    shown: Callable[[TreeNode], str] | None = None,
) -> str:
    """The tree as indented text: `roi = 0.25  (revenue - cost) / cost`; `effect` gives the
    text in parentheses after each node but the top (default: its elasticity); `shown`, when
    given, writes a node's value (in its format: `roi = 364.5%`) instead of `fmt`."""
    lines: list[str] = []
    if effect is None:
        effect = _elasticity_text

    def walk(n: TreeNode, prefix: str, last: bool, top: bool) -> None:
        branch = "" if top else ("└─ " if last else "├─ ")
        text = f"{prefix}{branch}{n.label} = {shown(n) if shown else fmt(n.value)}"
        if n.formula:
            text += f"   = {n.formula}"
        said = None if top else effect(n)
        if said:
            text += f"   ({said})"
        lines.append(text)
        extend = "" if top else ("   " if last else "│  ")
        for k, child in enumerate(n.children):
            walk(child, prefix + extend, k == len(n.children) - 1, False)

    walk(node, "", True, True)
    return "\n".join(lines)


def _elasticity_text(n: TreeNode) -> str | None:
    return None if n.elasticity is None else f"elasticity {n.elasticity:+.3g}"
