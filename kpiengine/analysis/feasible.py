"""Whether a value an analysis proposes can happen: counts and amounts are never negative, and
a share (a ratio whose numerator is part of its denominator) stays within 0 and 100%."""

from __future__ import annotations

import math

import sympy

from ..model import Workspace
from ..refs import display_ref
from ..units import CURRENCY, TIME, Unit
from .expand import evaluate_at, expand


def _unit_of(ws: Workspace, name: str) -> Unit | None:
    if name in ws.variables:
        return ws.variables[name].unit
    if name in ws.kpis:
        return ws.kpis[name].unit
    return None


def count_entity(unit: Unit | None) -> str | None:
    """The counted entity of a plain count unit (`customers`), else None."""
    if unit is None or len(unit.dims) != 1:
        return None
    name, exponent = unit.dims[0]
    if exponent != 1 or name == TIME or name.startswith(CURRENCY):
        return None
    return name


def is_count(ws: Workspace, name: str) -> bool:
    """True for an input counted in whole entities (customers, sessions): a variable whose unit
    is a plain count, summed or read at a date (an average of counts need not be whole), or a
    KPI with a count unit that adds up (or is shown as an integer). Money is no count."""
    base = name.split("__")[0]
    if base in ws.variables:
        variable = ws.variables[base]
        unit, rule = variable.unit, variable.aggregate
        if unit is None or unit.scale != 1 or count_entity(unit) is None:
            return False
        return "mean" not in (rule.time, rule.segments)
    if base in ws.kpis:
        kpi = ws.kpis[base]
        unit = kpi.unit
        if unit is None or unit.scale != 1 or count_entity(unit) is None:
            return False
        return kpi.format == "integer" or ws.is_additive(base)
    return False


def _side_unit(ws: Workspace, expr: sympy.Expr) -> Unit | None:
    """The unit of a sum of names (with numeric factors), when all terms agree."""
    units = set()
    for term in sympy.Add.make_args(expr):
        names = [f for f in sympy.Mul.make_args(term) if not f.is_Number]
        if len(names) != 1 or not isinstance(names[0], sympy.Symbol):
            return None
        units.add(_unit_of(ws, names[0].name))
    return units.pop() if len(units) == 1 else None


def is_share(ws: Workspace, kpi_id: str) -> bool:
    """True for a ratio of counts of the same entity (bounces / sessions), or of two counts
    shown as a percentage (deals_won / opportunities): its value lies within [0, 1]."""
    kpi = ws.kpis[kpi_id]
    if kpi.formula is None or kpi.formula.shifts:
        return False
    numerator, denominator = sympy.fraction(sympy.together(kpi.formula.expr))
    if denominator.is_Number:
        return False
    top = count_entity(_side_unit(ws, numerator))
    bottom = count_entity(_side_unit(ws, denominator))
    if top is None or bottom is None:
        return False
    return top == bottom or kpi.format == "percent"


def must_be_nonnegative(ws: Workspace, name: str) -> bool:
    """A variable with a unit (a count, an amount, a duration, or a quotient of them) cannot be
    negative; a dimensionless one can."""
    base = name.split("__")[0]  # a window or total of such a variable cannot be negative either
    unit = _unit_of(ws, base) if base in ws.variables else None
    return unit is not None and not unit.dimensionless


def _fmt(value: float) -> str:
    return f"{value:,.6g}"


def value_problems(ws: Workspace, name: str, value: float) -> list[str]:
    """Why an input (variable or KPI) cannot take this value by itself; empty when it can."""
    out = []
    if must_be_nonnegative(ws, name) and value < 0:
        unit = _unit_of(ws, name.split("__")[0])
        shown = display_ref(name)
        out.append(f"`{shown}` would be negative ({_fmt(value)}), but it is measured in {unit}")
    if name in ws.kpis and is_share(ws, name) and not 0 <= value <= 1:
        out.append(f"`{name}` would be {value:.2%}, but it is a share, from 0 to 100%")
    return out


def share_problems(
    ws: Workspace, kpi_id: str, values: dict[str, float], skip: frozenset[str] = frozenset()
) -> list[str]:
    """The shares among the KPI and the KPIs it uses that these input values push out of
    [0, 1] (values maps raw input names, and kept KPI names, to numbers)."""
    out = []
    for name in sorted({kpi_id} | ws.kpi_deps_of(kpi_id)):
        if name in skip or not is_share(ws, name):
            continue
        expr = expand(ws, name, keep=skip)
        if not all(s.name in values for s in expr.free_symbols):
            continue
        value = evaluate_at(expr, values)
        if math.isfinite(value) and not -1e-12 <= value <= 1 + 1e-12:
            formula = ws.kpis[name].formula_text
            out.append(f"`{name}` ({formula}) would be {value:.2%}; a share cannot leave 0-100%")
    return out
