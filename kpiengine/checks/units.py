"""KPI101-KPI103: units that clash, a declared unit the formula does not give, mixed time scales.

Load-stage checks over one unit inference per KPI (`kpiengine.unitcheck`), shared through the
context's memo; the inference also records each KPI's inferred unit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..errors import Finding, Location
from ..formula import parse_formula
from ..hookspecs import hookimpl
from ..model import BUILTIN, KPI, WORKSPACE, Workspace
from ..unitcheck import (
    CLASH,
    DECLARED_MISMATCH,
    TIME_SCALE,
    UnitProblem,
    check_declared,
    consistent_readings,
    infer_unit,
    scaled_unit,
)
from .base import ERROR, LOAD, Check
from .common import at_column
from .context import CheckContext
from .library import library_kpis, normalised, title_names

Inferred = dict[str, list[tuple[UnitProblem, str | None]]]  # KPI id -> (problem, suggested fix)


def _infer(workspace: Workspace, kpi: KPI) -> list[tuple[UnitProblem, str | None]]:
    """The unit problems of one KPI, each with its fix; records the inferred unit."""
    assert kpi.formula is not None  # only evaluable KPIs are inferred
    unit_of = workspace.unit_of
    inferred, problems = infer_unit(kpi.formula, unit_of)
    kpi.inferred_unit = None if inferred is None else scaled_unit(kpi.formula, inferred, kpi.unit)
    if problems:
        readings = consistent_readings(kpi.formula, unit_of, kpi.unit)
        fix: str | None
        if len(readings) == 1:
            fix = f"did you mean `{readings[0]}`? (the only reading with consistent units)"
        elif readings:
            fix = "readings with consistent units: " + ", ".join(f"`{r}`" for r in readings[:3])
        else:
            fix = _library_reading(kpi) or _ratio_reading(kpi, unit_of)
        return [(p, fix or p.fix) for p in problems]
    if inferred is None or kpi.unit is None:
        return []
    return [(p, p.fix) for p in check_declared(kpi.formula, inferred, kpi.unit, unit_of)]


def _library_reading(kpi: KPI) -> str | None:
    """The built-in formula of the KPI a workspace KPI is named after (its id, an alias or its
    title names the built-in's id or alias)."""
    if kpi.layer != WORKSPACE:
        return None
    names = {normalised(n) for n in (kpi.id, *kpi.aliases)}
    names |= {n for title in kpi.title.values() for n in title_names(title)}
    for other in library_kpis():
        if names & {normalised(n) for n in (other.id, *other.aliases)}:
            text = " ".join(other.formula.split())
            return f"did you mean `{text}`? (the built-in `{other.id}`, {other.title})"
    return None


def _ratio_reading(kpi: KPI, unit_of: Callable) -> str | None:
    """`a / b`, `b / a` or `a * b` of a two-name formula, when it gives the declared unit."""
    assert kpi.formula is not None
    names = sorted(kpi.formula.names)
    if len(names) != 2 or kpi.unit is None:
        return None
    a, b = names
    for text in (f"{a} / {b}", f"{b} / {a}", f"{a} * {b}"):
        unit, problems = infer_unit(parse_formula(text), unit_of)
        if not problems and unit == kpi.unit:
            return f"did you mean `{text}`? (it gives the declared unit, {kpi.unit_text})"
    return None


def inferred(context: CheckContext) -> Inferred:
    """Every evaluable KPI's unit problems, computed once per context."""
    if "units" not in context.memo:
        ws = context.workspace
        context.memo["units"] = {kpi.id: _infer(ws, kpi) for kpi in context.kpis if kpi.evaluable}
    found: Inferred = context.memo["units"]
    return found


class _UnitCheck(Check):
    severity = ERROR
    stage = LOAD
    kind = ""

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        for kpi_id, problems in inferred(context).items():
            kpi = ws.kpis[kpi_id]
            for problem, fix in problems:
                if problem.kind == self.kind:
                    where = at_column(kpi, problem.column) if problem.column else None
                    message, where, fix = _overridden(ws, kpi, problem.message, where, fix)
                    yield self.finding(message, kpi, where, fix=fix, withholds=problem.wrong_value)


def _overridden(
    ws: Workspace, kpi: KPI, message: str, where: Location | None, fix: str | None
) -> tuple[str, Location | None, str | None]:
    """A built-in KPI's unit problem that a workspace's own declaration of one of its inputs
    causes: said, and placed at that declaration (the built-in file is not the user's)."""
    if kpi.layer != BUILTIN or kpi.formula is None:
        return message, where, fix
    mine = [ws.variables[n] for n in sorted(kpi.formula.names)
            if n in ws.variables and ws.variables[n].layer != BUILTIN]  # fmt: skip
    if not mine:
        return message, where, fix
    names = ", ".join(f"`{v.id}`" for v in mine)
    said = f"{message} (built-in `{kpi.id}`: the workspace redeclares {names} here)"
    return said, mine[0].location, f"keep the built-in unit of {names}, or {fix or 'fix it'}"


class UnitClash(_UnitCheck):
    code = "KPI101"
    kind = CLASH
    title = "unlike units added, subtracted or compared (`min`, `max`)"
    fix = "parenthesise the formula as meant, or fix a unit (a consistent reading is suggested)"


class DeclaredUnitMismatch(_UnitCheck):
    code = "KPI102"
    kind = DECLARED_MISMATCH
    title = "the inferred unit differs from the declared one, or the ratio is inverted"
    fix = "swap numerator and denominator when inverted, else declare the unit the formula gives"


class TimeScale(_UnitCheck):
    code = "KPI103"
    kind = TIME_SCALE
    title = "time units mixed without conversion (a per-year rate times months)"
    fix = "express durations and rates in one time unit, or multiply by the factor given"


@hookimpl(trylast=True)
def register_checks(register: Callable[[type[Check]], None]) -> None:
    for check in (UnitClash, DeclaredUnitMismatch, TimeScale):
        register(check)
