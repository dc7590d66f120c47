"""Resolve a loaded workspace: names, dependency cycles, units and worked examples."""

from __future__ import annotations

import math

import sympy

from .errors import ERROR, Finding, Location, suggestion
from .formula import SHIFTS, shifted_name, symbol
from .graph import find_cycles
from .model import KPI, Example
from .unitcheck import check_declared, consistent_readings, infer_unit
from .units import Unit
from .workspace import Workspace

UNKNOWN_NAME = "KPI006"
CYCLE = "KPI007"
EXAMPLE_MISMATCH = "KPI009"
EXAMPLE_INVALID = "KPI010"


def _add(workspace: Workspace, kpi: KPI, finding: Finding) -> None:
    kpi.findings.append(finding)
    workspace.findings.append(finding)


def validate(workspace: Workspace) -> None:
    """Attach every resolution finding to its KPI and to the workspace."""
    for kpi in workspace.kpis.values():
        kpi.findings.extend(f for f in workspace.findings if f.kpi == kpi.id)
    for kpi in workspace.kpis.values():
        _check_names(workspace, kpi)
    _check_cycles(workspace)
    for kpi in workspace.kpis.values():
        if kpi.evaluable:
            _check_units(workspace, kpi)
    for kpi in workspace.kpis.values():
        if kpi.evaluable:
            for example in kpi.examples:
                _check_example(workspace, kpi, example)
    _check_selection(workspace)


def _check_names(workspace: Workspace, kpi: KPI) -> None:
    if kpi.formula is None:
        return
    known = set(workspace.variables) | set(workspace.kpis)
    for name, column in kpi.formula.names.items():
        if name in known:
            continue
        alias = workspace.kpi_for_alias(name)
        hint = f"; `{name}` is an alias of KPI `{alias.id}`" if alias else suggestion(name, known)
        _add(
            workspace,
            kpi,
            Finding(
                UNKNOWN_NAME,
                ERROR,
                f"unknown variable `{name}`{hint}",
                _at(kpi, column),
                kpi.id,
                "define it under `variables:` or fix the spelling",
            ),
        )


def _at(kpi: KPI, column: int) -> Location | None:
    loc = kpi.formula_location
    return loc.shifted(column) if loc and loc.line else loc


def _check_cycles(workspace: Workspace) -> None:
    graph = {k: {d for d in deps if d in workspace.kpis} for k, deps in workspace.deps.items()}
    for cycle in find_cycles(graph):
        path = " -> ".join(cycle)
        for name in dict.fromkeys(cycle):
            kpi = workspace.kpis[name]
            _add(
                workspace,
                kpi,
                Finding(
                    CYCLE,
                    ERROR,
                    f"KPIs depend on each other in a cycle: {path}",
                    kpi.formula_location,
                    kpi.id,
                    "one of these KPIs must be computed from variables only",
                ),
            )


def unit_lookup(workspace: Workspace):
    """A function from a name (variable or KPI) to its declared unit."""

    def unit_of(name: str) -> Unit | None:
        if name in workspace.variables:
            return workspace.variables[name].unit
        if name in workspace.kpis:
            return workspace.kpis[name].unit
        return None

    return unit_of


def _check_units(workspace: Workspace, kpi: KPI) -> None:
    unit_of = unit_lookup(workspace)
    inferred, problems = infer_unit(kpi.formula, unit_of)
    kpi.inferred_unit = inferred
    if problems:
        readings = consistent_readings(kpi.formula, unit_of, kpi.unit)
        for problem in problems:
            fix = problem.fix
            if readings:
                fix = (
                    f"did you mean `{readings[0]}`? (the only reading with consistent units)"
                    if len(readings) == 1
                    else (
                        "readings with consistent units: "
                        + ", ".join(f"`{r}`" for r in readings[:3])
                    )
                )
            _add(
                workspace,
                kpi,
                Finding(
                    problem.code, ERROR, problem.message, _at(kpi, problem.column), kpi.id, fix
                ),
            )
        return
    if inferred is None or kpi.unit is None:
        return
    for problem in check_declared(kpi.formula, inferred, kpi.unit, unit_of):
        _add(
            workspace,
            kpi,
            Finding(
                problem.code, ERROR, problem.message, kpi.formula_location, kpi.id, problem.fix
            ),
        )


def example_value(workspace: Workspace, kpi: KPI, given: dict[str, float]) -> float:
    """The KPI's value for the example inputs; KPIs not given are computed from them.

    Raises KeyError with the first name the example does not provide.
    """
    substitutions = {}
    for name in kpi.formula.names:
        if name in given:
            substitutions[symbol(name)] = sympy.Float(given[name], 30)
        elif name in workspace.kpis and workspace.kpis[name].formula is not None:
            inner = example_value(workspace, workspace.kpis[name], given)
            substitutions[symbol(name)] = sympy.Float(inner, 30)
        else:
            raise KeyError(name)
    for func, name in kpi.formula.shifts:
        key = f"{func}({name})"
        if key not in given:
            raise KeyError(key)
        substitutions[symbol(shifted_name(func, name))] = sympy.Float(given[key], 30)
    value = kpi.formula.expr.xreplace(substitutions)
    try:
        return float(value.evalf())
    except TypeError:  # complex or otherwise not a real number
        return math.nan


def example_matches(value: float, example: Example) -> bool:
    """True when `value` equals the expected value to the precision the example is written in."""
    slack = example.tolerance + 1e-12 * abs(example.expect)
    return math.isfinite(value) and abs(value - example.expect) <= slack


def _check_example(workspace: Workspace, kpi: KPI, example: Example) -> None:
    try:
        value = example_value(workspace, kpi, example.given)
    except KeyError as exc:
        missing = exc.args[0]
        what = SHIFTS.get(missing.split("(")[0], "") if "(" in missing else ""
        _add(
            workspace,
            kpi,
            Finding(
                EXAMPLE_INVALID,
                ERROR,
                f"the example gives no value for `{missing}`{f' ({what})' if what else ''}",
                example.location,
                kpi.id,
                f"add `{missing}: ...` under `given:`",
            ),
        )
        return
    if example_matches(value, example):
        return
    shown = "undefined" if not math.isfinite(value) else f"{value:.6g}"
    _add(
        workspace,
        kpi,
        Finding(
            EXAMPLE_MISMATCH,
            ERROR,
            f"worked example: the formula gives {shown} but the example expects {example.expect:g}",
            example.location,
            kpi.id,
            "fix the formula or the example",
            {"value": value, "expect": example.expect},
        ),
    )


def _check_selection(workspace: Workspace) -> None:
    for name in workspace.settings.kpis:
        if name not in workspace.kpis:
            workspace.findings.append(
                Finding(
                    "KPI003",
                    ERROR,
                    f"kpi.yaml lists unknown KPI `{name}`{suggestion(name, workspace.kpis)}",
                    workspace.settings.kpis_location,
                )
            )
