"""What `kpi solve` can move: an input of the period itself, read plainly (`revenue`), over a
window that ends with the period (`ytd(revenue)`) or for all segments (`total(revenue)`); never a
past period's value (`prev(revenue)`, `last_year(x)`), which has happened.

A KPI whose formula reads an input only through a window (`ytd(revenue) / ytd(marketing_cost)`)
is solved for the window's value, written as the formula writes it (`ytd(revenue)`), and for a
summed variable the value the period itself must add (the window's earlier periods are fixed).
A KPI with no input it can move (`leads / leads`, `0 / marketing_cost`, `prev(revenue)`) says
there is nothing to solve for, rather than giving no answer.
"""

from __future__ import annotations

import math
from typing import Protocol

import sympy

from ..errors import KpiError
from ..formula import symbol
from ..model import Workspace
from ..refs import SHIFTS, describe, parse_display, ref_name, split_ref, window_of
from ..symbolic import text
from .expand import Context, display_name, expand, input_names
from .feasible import must_be_nonnegative
from .shown import input_value


class Solution(Protocol):
    """What `window_check` reads and sets of a `goalseek.Solution` (no import: goalseek
    imports this module)."""

    value: float | None
    whole: float | None
    feasible: bool
    why: list[str]


def is_past(name: str) -> bool:
    """True for a value of an earlier period (`revenue__prev`, `x__ytd__last_year`)."""
    return any(token in SHIFTS for token in split_ref(name)[1])


def shown_expr(expr: sympy.Expr, fallback: str = "the formula") -> str:
    """An expression as a formula writes it: `ytd(revenue)/ytd(marketing_cost)`, never the
    internal `revenue__ytd`."""
    names = {s: sympy.Symbol(display_name(s.name)) for s in expr.free_symbols if "__" in s.name}
    return text(expr.xreplace(names) if names else expr, fallback)


def _listed(names: list[str]) -> str:
    return ", ".join(f"`{display_name(n)}`" for n in names)


def movable_inputs(ws: Workspace, kpi_id: str) -> list[str]:
    """The inputs `kpi solve` solves for, each on its own, when no `--for` is given: the raw
    inputs of the period, then windows and totals of inputs read no other way (internal names:
    `revenue__ytd`), then the KPIs the formula names; KpiError when there is none."""
    full = expand(ws, kpi_id)
    names = input_names(full)
    plain = [n for n in names if "__" not in n]
    refs = [n for n in names if "__" in n and not is_past(n) and split_ref(n)[0] not in plain]
    formula = ws.kpis[kpi_id].formula
    assert formula is not None  # expand() raised otherwise
    kpis = [
        n
        for n in sorted(formula.names)
        if n in ws.kpis and symbol(n) in expand(ws, kpi_id, keep={n}).free_symbols
    ]
    found = plain + refs + kpis
    if not found:
        raise KpiError(nothing_to_solve(ws, kpi_id, full))
    return found


def nothing_to_solve(ws: Workspace, kpi_id: str, full: sympy.Expr) -> str:
    """Why a KPI has no input to solve for: a constant, or only past periods' values."""
    formula = ws.kpis[kpi_id].formula_text
    if not full.free_symbols:
        return (
            f"`{kpi_id}` does not depend on any input: nothing to solve for (its formula, "
            f"{formula}, is {shown_expr(full)} whatever the inputs)"
        )
    past = input_names(full)
    return (
        f"`{kpi_id}` reads its inputs only in earlier periods ({_listed(past)}), which have "
        "happened and cannot change: nothing to solve for"
    )


def resolve_input(ws: Workspace, kpi_id: str, name: str) -> tuple[str, list[str]]:
    """The internal name to solve for `--for name` (`ytd(revenue)` -> `revenue__ytd`; a
    variable the formula reads only through one window -> that window, with a note), and the
    notes; KpiError for a past value, several windows, or a KPI read only through a window."""
    internal = parse_display(name) or name
    full = expand(ws, kpi_id)
    present = {s.name for s in full.free_symbols}
    if "__" in internal:
        if internal not in present:
            inputs = _listed(input_names(full)) or "none"
            raise KpiError(
                f"`{display_name(internal)}` is not an input of `{kpi_id}` (its inputs: {inputs})"
            )
        if is_past(internal):
            raise KpiError(_past(ws, kpi_id, name, [internal], full))
        return internal, []
    if internal in ws.kpis and internal in ws.kpi_deps_of(kpi_id):
        if symbol(internal) not in expand(ws, kpi_id, keep={internal}).free_symbols:
            raise KpiError(_kpi_through_window(ws, kpi_id, internal, full))
        return internal, []
    refs = sorted(n for n in present if "__" in n and split_ref(n)[0] == internal)
    if internal in present or not refs:
        return internal, []
    current = [n for n in refs if not is_past(n)]
    if not current:
        raise KpiError(_past(ws, kpi_id, name, refs, full))
    if len(current) > 1:
        raise KpiError(
            f"`{kpi_id}` reads `{name}` as {_listed(current)}: say which to solve for, e.g. "
            f"--for '{display_name(current[0])}'"
        )
    (ref,) = current
    token = split_ref(ref)[1][0]
    note = (
        f"`{kpi_id}` reads `{name}` only as {display_name(ref)} ({describe(token)}): solved "
        f"for {display_name(ref)}"
    )
    return ref, [note]


def _past(ws: Workspace, kpi_id: str, name: str, refs: list[str], full: sympy.Expr) -> str:
    movable = [n for n in input_names(full) if not is_past(n)]
    instead = f"; solve for one of {_listed(movable)}" if movable else ": nothing to solve for"
    return (
        f"`{kpi_id}` reads `{name}` only in earlier periods ({_listed(refs)}), which have "
        f"happened and cannot change{instead}"
    )


def _kpi_through_window(ws: Workspace, kpi_id: str, name: str, full: sympy.Expr) -> str:
    """`cac_ytd` reads `cac` only as ytd(cac): its inputs are what can be solved for."""
    reads = sorted(
        display_name(ref_name(base, tuple(chain.split("__"))))
        for k in {kpi_id} | ws.kpi_deps_of(kpi_id)
        if (formula := ws.kpis[k].formula) is not None
        for chain, base in formula.shifts
        if base == name
    )
    movable = [n for n in input_names(full) if not is_past(n)]
    return (
        f"`{kpi_id}` reads `{name}` only as {', '.join(reads) or 'a window'}, not its value in "
        f"the period: solve for one of its inputs, {_listed(movable) or 'none'}"
    )


def window_check(
    ctx: Context, name: str, solution: Solution, period: int, segment: int
) -> list[str]:
    """For a window of a summed variable (`ytd(revenue)`), what the period itself must add for
    the window to reach the solution (its earlier periods are fixed): a note; or, when that
    would be negative for a variable that cannot be, the solution made infeasible, saying why.
    Empty for any other input, or an interval."""
    base, chain = split_ref(name)
    variable = ctx.ws.variables.get(base)
    window = window_of(chain[0]) if len(chain) == 1 else None
    value = solution.whole if solution.whole is not None else solution.value
    if window is None or variable is None or variable.aggregate.time != "sum" or value is None:
        return []
    earlier = float(ctx.array(name)[period, segment] - ctx.array(base)[period, segment])
    if not math.isfinite(earlier) or earlier == 0:
        return []
    label, ws = ctx.labels[period], ctx.ws
    before, holds = f"{describe(chain[0])} before {label}", "holds"
    if window[0] == "rolling":  # rolling(x, 3): the 2 periods before this one
        n = window[1] - 1
        before, holds = (
            f"the {n} period{'s' * (n > 1)} before {label}",
            "holds" if n == 1 else "hold",
        )
    own, held = value - earlier, input_value(ws, base, earlier)
    if own < 0 and must_be_nonnegative(ws, base):
        solution.why.append(
            f"`{base}` in {label} would be negative ({input_value(ws, base, own)}): {before} "
            f"already {holds} {held}"
        )
        solution.feasible = False
        return []
    return [
        f"{display_name(name)} {input_value(ws, name, value)} needs `{base}` "
        f"{input_value(ws, base, own)} in {label} ({before} {holds} {held})"
    ]
