"""Worked examples: a KPI's value for an example's inputs, and whether it matches `expect`."""

from __future__ import annotations

import math

import sympy

from .formula import shifted_name, symbol
from .model import KPI, Example, Workspace
from .refs import display_ref


def example_value(workspace: Workspace, kpi: KPI, given: dict[str, float]) -> float:
    """The KPI's value for the example inputs; KPIs not given are computed from them.

    Raises KeyError with the first name the example does not provide.
    """
    if kpi.formula is None:
        raise ValueError(f"KPI `{kpi.id}` has no usable formula")
    substitutions = {}
    for name in kpi.formula.names:
        if name in given:
            substitutions[symbol(name)] = sympy.Float(given[name], 30)
        elif name in workspace.kpis and workspace.kpis[name].formula is not None:
            inner = example_value(workspace, workspace.kpis[name], given)
            substitutions[symbol(name)] = sympy.Float(inner, 30)
        elif name in workspace.parameters and workspace.parameters[name].constant is not None:
            constant = workspace.parameters[name].constant
            substitutions[symbol(name)] = sympy.Float(constant, 30)
        else:
            raise KeyError(name)
    for chain, name in kpi.formula.shifts:
        key = display_ref(shifted_name(chain, name))
        if key not in given:
            raise KeyError(key)
        substitutions[symbol(shifted_name(chain, name))] = sympy.Float(given[key], 30)
    value = kpi.formula.expr.xreplace(substitutions)
    try:
        return float(value.evalf())
    except TypeError:  # complex or otherwise not a real number
        return math.nan


def example_matches(value: float, example: Example) -> bool:
    """True when `value` equals the expected value to the precision the example is written in."""
    slack = example.tolerance + 1e-12 * abs(example.expect)
    return math.isfinite(value) and abs(value - example.expect) <= slack
