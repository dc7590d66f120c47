"""Goal-seek: the value one input needs for a KPI to reach a target, all else held.

The KPI's expanded formula is solved exactly with sympy `solveset` over the reals, every other
input replaced by the exact rational of its value in the period; a formula too hard for a
closed form (`kpiengine.symbolic.too_hard`: huge or fine exponents, deep exp towers, a large
expression) is solved numerically instead, with a note saying why. An input may be a raw variable
several KPI levels down, a KPI the formula uses (kept as a symbol), or a KPI sharing inputs
with the formula (one shared input is rewritten in terms of it).

The module is longer than 420 lines: solving one input, rounding a count to a whole number and
answering every input on its own (`solve_each`) share the `GoalSeek` and `Solution` they fill.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import sympy

from ..errors import KpiError
from ..formula import symbol
from ..recordfields import PRO_RATA, PROJECTION
from ..symbolic import SYMBOLIC_ERRORS, substitute, too_hard
from ..targets import period_targets
from .drivers import undefined_why
from .expand import (
    Context,
    display_name,
    evaluate_at,
    exact,
    expand,
    input_names,
    latest_defined,
    number,
    resolve_kpi,
    segment_text,
    split_name,
)
from .feasible import is_count, must_be_nonnegative, share_problems, value_problems
from .links import Links, is_current, kpi_windows, links
from .projected import at_end, floor_problem
from .projected import note as end_note
from .solutionsets import Piece, defined_set, interval_text, sample_of, within
from .solutionsets import pieces as set_pieces
from .solvable import movable_inputs, resolve_input, shown_expr, window_check
from .todate import cell_context

NUMERIC_STARTS = (1.0, 10.0, 0.1, 100.0, -1.0, 1000.0)


@dataclass
class Solution:
    """One way to reach the target: a value (or, when many values do, an interval)."""

    value: float | None
    exact: str
    change: float | None = None
    change_pct: float | None = None
    feasible: bool = True
    why: list[str] = field(default_factory=list)
    interval: str | None = None
    #: for a count input (`feasible.is_count`): the whole number that reaches the target (for a
    #: KPI whose direction is `higher`, at or above it; `lower`, at or below it; else the
    #: nearest), the KPI's value there and its change from today; None for other inputs, an
    #: interval, or when neither whole neighbour of `value` reaches the target
    whole: float | None = None
    whole_kpi_value: float | None = None
    whole_change: float | None = None
    whole_change_pct: float | None = None


@dataclass
class GoalSeek:
    """What `input` must be for `kpi` to equal `target` in one period and segment."""

    kpi: str
    input: str
    target: float
    period: str
    segment: dict[str, str]
    kpi_value: float | None
    input_value: float | None
    solutions: list[Solution]
    message: str
    formula: str
    method: str = "exact"
    notes: list[str] = field(default_factory=list)
    #: the input as a formula writes it (`ytd(revenue)` for the internal `revenue__ytd`)
    label: str = ""
    #: in the period the data stops inside, the input's value to date (`input_value` is then
    #: its projection to the period's end, as are the other inputs held: `projected`)
    input_to_date: float | None = None
    #: in the period the data stops inside: what the values are (projections or to date)
    period_note: str | None = None
    #: why this input cannot be solved for when the others can (`solve_each`); None else
    refused: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def solve_expr(
    expr: sympy.Expr, name: str, target: float, start: float | None = None
) -> tuple[list[Piece], str]:
    """Solve `expr == target` for `name` over the reals: points (or intervals) and the method,
    `exact` or `numeric` (no closed form, or one too hard to try: nsolve from several
    starts)."""
    x = symbol(name)
    if too_hard(expr) is None:
        try:
            pieces = set_pieces(sympy.solveset(sympy.Eq(expr, exact(target)), x, sympy.S.Reals))
        except SYMBOLIC_ERRORS:
            pieces = None
        if pieces is not None:
            return pieces, "exact"
    roots: list[sympy.Expr] = []
    starts = ([start] if start is not None and math.isfinite(start) else []) + list(NUMERIC_STARTS)
    for x0 in starts:
        try:
            root = sympy.nsolve(expr - exact(target), x, x0, verify=True)
            if root.is_real and not any(
                abs(float(root - r)) <= 1e-9 * max(1, abs(r)) for r in roots
            ):
                roots.append(root)
        except (*SYMBOLIC_ERRORS, ArithmeticError):
            continue
    return roots, "numeric"


def target_at(ctx: Context, kpi_id: str, period: int, segment: int = 0) -> float | None:
    """The KPI's target in a period and segment (additive targets apply to the total only)."""
    ws = ctx.ws
    additive = ws.is_additive(kpi_id)
    if additive and segment != 0:
        return None
    table = ctx.table
    spec = ws.kpis[kpi_id].target
    targets = period_targets(
        spec, additive, table.grain, table.first, table.n_periods, table.calendar, ws.settings.grain
    )
    return number(targets[period])


def solve_for(
    ctx: Context,
    kpi_id: str,
    target: float | None,
    name: str,
    period: str | None = None,
    segment: dict[str, str] | None = None,
) -> GoalSeek:
    """What input `name` (a variable or KPI) must be in the period for the KPI to hit `target`
    (None: the KPI's own target in that period)."""
    ws = ctx.ws
    kpi_id = resolve_kpi(ws, kpi_id)
    name, read_as = resolve_input(ws, kpi_id, name)
    s = ctx.segment_index(segment)
    full = expand(ws, kpi_id)
    i = ctx.period_index(period, latest_defined(ctx, full, s))
    if target is None:
        target = target_at(ctx, kpi_id, i, s)
        if target is None:
            raise KpiError(f"`{kpi_id}` has no target in {ctx.labels[i]}: give one with --target")
    expr, notes, implied = _equation(ctx, kpi_id, name)
    lacking = ctx.missing([n for n in input_names(expr) if n != name], i, s)
    if lacking:
        raise KpiError(f"cannot solve `{kpi_id}` for `{name}`: " + "; ".join(lacking))
    to_date, end = ctx, at_end(ctx, kpi_id, i, s)
    projected = end is not None and end.basis == PROJECTION
    ctx = end.ctx if end is not None and projected else cell_context(ctx, kpi_id, i)
    moved = links(ctx, expr, name, i, s)
    written, expr = expr, moved.apply(expr)  # total(x), ytd(x) move with x
    others = [n for n in input_names(expr) if n != name]
    values = ctx.values(others, i, s)
    current = _current(ctx, name, i, s)
    known = {symbol(n): v for n, v in values.items()}
    pieces, method = solve_expr(substitute(expr, known), name, target, current)
    if method == "exact":
        nonnegative = name not in ws.kpis and must_be_nonnegative(ws, name)
        # where the KPI is defined is read on the formula as written, before linking cancels
        # anything (`revenue / total(revenue)` in the total row is not 1 at revenue 0)
        pieces = within(pieces, defined_set(written, name, known, moved.refs), nonnegative)
    result = GoalSeek(
        kpi_id,
        name,
        float(target),
        ctx.labels[i],
        dict(ctx.table.segments[s]),
        number(evaluate_at(full, ctx.values(input_names(full), i, s))),
        number(current),
        [],
        "",
        shown_expr(expr, ws.kpis[kpi_id].formula_text),
        method,
        read_as + notes + [n for n in [moved.note()] if n],
        display_name(name),
    )
    by_end = end is not None and end.basis in (PROJECTION, PRO_RATA)  # needed by the end
    so_far = _current(to_date if projected else ctx, name, i, s) if by_end else None
    if end is not None:
        result.notes.append(end_note(end, name, so_far))
        result.input_to_date = number(so_far) if projected else None
        result.period_note = end_note(end)
    elif (note := _to_date_note(ctx, kpi_id, i)) is not None:
        result.notes.append(note)
    hard = too_hard(expr)
    if method == "numeric" and hard:
        result.notes.append(f"no closed form tried ({hard}): solved numerically")
    keep = frozenset({name} if name in ws.kpis else ())
    reach = Reach(expr, values, name, float(target), ws.kpis[kpi_id].direction)
    for piece in pieces:
        try:
            solution = solution_at(
                ctx, kpi_id, name, piece, current, values, keep, implied, reach, moved
            )
        except SYMBOLIC_ERRORS:  # a root beyond the float range
            result.notes.append(
                "a solution beyond the range of floating-point numbers was left out"
            )
            continue
        result.solutions.append(solution)
        result.notes += window_check(ctx, name, solution, i, s)
        needed = solution.whole if solution.whole is not None else solution.value
        if end is not None and so_far is not None and needed is not None:
            solution.why += floor_problem(end, name, needed, so_far)
            solution.feasible = solution.feasible and not solution.why
        if solution.value is not None and solution.whole is None and is_count(ws, name):
            result.notes.append(no_whole_note(kpi_id, display_name(name), solution.value))
    if not result.solutions and method == "exact" and not pieces:
        point = {**values, name: current, **moved.values_at(current)}
        why = undefined_why(expr, point) if math.isfinite(current) else None
        if why is not None and defined_set(written, name, known, moved.refs) is sympy.S.EmptySet:
            result.notes.append(f"{why}: `{kpi_id}` is undefined whatever `{name}` is")
    result.message = _message(result)
    return result


def no_whole_note(kpi_id: str, name: str, value: float) -> str:
    """Why a count needed is shown as its exact, fractional value (see `Reach.whole`)."""
    return (
        f"`{name}` is counted whole, and neither whole number next to {value:,.6g} brings "
        f"`{kpi_id}` to its target"
    )


def _to_date_note(ctx: Context, kpi_id: str, period: int) -> str | None:
    """What a partial period's values are: to date, against a target for the whole period."""
    table = ctx.table
    share = float(table.coverage_of(ctx.ws.inputs_of(kpi_id))[period])
    if share >= 1 - 1e-9:
        return None
    days = (table.period_end(period) - table.period_start(period)).days + 1
    return (
        f"{ctx.labels[period]} holds {round(share * days)} of {days} days: the values now are to "
        "date, and the value needed is the whole period's, by its end"
    )


def _equation(ctx: Context, kpi_id: str, name: str) -> tuple[sympy.Expr, list[str], tuple]:
    """The expression to solve for `name`, notes on how it was built, and the eliminated input
    with its expression in terms of `name` (empty when nothing was eliminated)."""
    ws = ctx.ws
    if name in ws.kpis and name != kpi_id:
        if name in ws.kpi_deps_of(kpi_id):
            if windows := kpi_windows(ctx, kpi_id, name):
                inputs = ", ".join(f"`{n}`" for n in input_names(expand(ws, name)))
                raise KpiError(
                    f"`{kpi_id}` also reads `{name}` as {', '.join(windows)}, which moves with "
                    f"`{name}` by as much as the inputs that move it: solve for one of them "
                    f"({inputs})"
                )
            return expand(ws, kpi_id, keep={name}), [], ()
        return _eliminate(ctx, kpi_id, name)
    expr = expand(ws, kpi_id)
    if symbol(name) not in expr.free_symbols and name in ws.inputs_of(kpi_id):
        raise KpiError(
            f"`{name}` cancels out of `{kpi_id}` once the KPIs it uses are expanded "
            f"({kpi_id} = {shown_expr(expr)}): changing it alone does not move `{kpi_id}`"
        )
    if symbol(name) not in expr.free_symbols:
        inputs = ", ".join(f"`{display_name(n)}`" for n in input_names(expr))
        raise KpiError(f"`{name}` is not an input of `{kpi_id}` (its inputs: {inputs})")
    return expr, [], ()


def _eliminate(ctx: Context, kpi_id: str, name: str) -> tuple[sympy.Expr, list[str], tuple]:
    """Rewrite one input the KPI shares with KPI `name` in terms of `name`."""
    ws = ctx.ws
    expr = expand(ws, kpi_id)
    other = expand(ws, name)
    shared = sorted({s.name for s in expr.free_symbols} & {s.name for s in other.free_symbols})
    if too_hard(expr) or too_hard(other):
        shared = []  # rewriting one input in terms of the other needs a closed form
    names = {s.name for s in (expr + other).free_symbols}
    for var in shared:
        if any(n != var and split_name(n)[0] == var and is_current(n) for n in names):
            continue  # total(var), ytd(var) would move with it: not a rewrite of var alone
        try:
            roots = sympy.solve(sympy.Eq(symbol(name), other), symbol(var), dict=False)
        except SYMBOLIC_ERRORS:
            continue
        if len(roots) == 1:
            rewritten = sympy.simplify(expr.xreplace({symbol(var): roots[0]}))
            note = f"`{name}` is not in `{kpi_id}`'s formula: `{var}` is written as {roots[0]}"
            return rewritten, [note], (var, roots[0])
    inputs = ", ".join(f"`{n}`" for n in input_names(expr))
    raise KpiError(
        f"`{name}` is not an input of `{kpi_id}` and shares no input with it (its inputs: {inputs})"
    )


def _current(ctx: Context, name: str, i: int, s: int) -> float:
    if name in ctx.ws.kpis:
        return float(ctx.series(expand(ctx.ws, name))[i, s])
    return float(ctx.array(name)[i, s])


@dataclass
class Reach:
    """The KPI as a function of the input solved for (the others held), and what reaching the
    target means for it: at or above (`higher`), at or below (`lower`), else the nearest. Its
    `whole` is how `kpi solve` and `kpi plan` round a count."""

    expr: sympy.Expr
    values: dict[str, float]
    name: str
    target: float
    direction: str

    def kpi(self, x: float) -> float:
        return evaluate_at(self.expr, {**self.values, self.name: x})

    def reaches(self, kpi: float) -> bool:
        slack = 1e-12 * max(1.0, abs(self.target))
        if self.direction == "higher":
            return kpi >= self.target - slack
        if self.direction == "lower":
            return kpi <= self.target + slack
        return True

    def whole(self, x: float) -> tuple[float, float] | None:
        """The whole number (and the KPI there) next to `x` that reaches the target; None
        when neither neighbour does (the KPI turns between them) or the KPI is undefined."""
        near = round(x)
        if abs(x - near) <= 1e-9 * max(1.0, abs(x)):
            candidates = [float(near)]
        else:
            candidates = [float(math.floor(x)), float(math.ceil(x))]
        found = [(w, k) for w in candidates if math.isfinite(k := self.kpi(w)) and self.reaches(k)]
        if not found:
            return None
        return min(found, key=lambda wk: abs(wk[1] - self.target))


def solution_at(
    ctx, kpi_id, name, piece, current, values, keep, implied, reach, moved: Links | None = None
) -> Solution:
    """The Solution at one solved `piece` (a point or an interval) for input `name`: its change
    from `current`, a count's whole number (`reach`), whether it can happen there (`moved`: the
    references of `name` that move with it, `links.links`)."""
    ws = ctx.ws
    if isinstance(piece, sympy.Set):
        interval = interval_text(piece)
        sample = sample_of(piece, current)
        solution = Solution(None, str(piece), interval=interval)
    else:
        sample = float(piece.evalf(30))
        solution = Solution(sample, f"{sample:.15g}" if piece.is_Float else str(piece))
        if current is not None and math.isfinite(current):
            solution.change = sample - current
            solution.change_pct = (sample - current) / abs(current) if current else None
        whole = reach.whole(sample) if is_count(ws, name) else None
        if whole is not None:
            sample, solution.whole_kpi_value = whole  # a count can only take a whole value
            solution.whole = sample
            if current is not None and math.isfinite(current):
                solution.whole_change = sample - current
                solution.whole_change_pct = (sample - current) / abs(current) if current else None
    point = {**values, name: sample, **(moved.values_at(sample) if moved else {})}
    problems = value_problems(ws, name, sample)
    if implied:
        var, formula = implied
        implied_value = evaluate_at(formula, point)
        point[var] = implied_value
        problems += value_problems(ws, var, implied_value)
    problems += share_problems(ws, kpi_id, point, keep)
    if isinstance(piece, sympy.Set) and problems:
        problems = [f"at {sample:,.6g}: {p}" for p in problems]
    solution.feasible = not problems
    solution.why = problems
    return solution


def _message(result: GoalSeek) -> str:
    where = f"{result.period}" + (f" ({segment_text(result.segment)})" if result.segment else "")
    head = f"`{result.kpi}` = {result.target:,.6g} in {where}"
    shown = result.label or result.input
    if not result.solutions and result.method == "numeric":
        return (
            f"no solution found: sympy has no closed form for {head}, and a numeric search "
            f"for `{shown}` from several starting points found none"
        )
    if not result.solutions:
        return f"no solution: no value of `{shown}` alone makes {head}"
    if all(not s.feasible for s in result.solutions):
        return f"no feasible solution: the `{shown}` that would make {head} cannot happen"
    return f"{len(result.solutions)} solution(s) for `{shown}` making {head}"


def solve_each(
    ctx: Context,
    kpi_id: str,
    target: float | None,
    period: str | None = None,
    segment: dict[str, str] | None = None,
) -> list[GoalSeek]:
    """For every input of the KPI (current raw variables, windows of variables read no other
    way, then the KPIs its formula names: `solvable.movable_inputs`), the value it needs on its
    own for the KPI to reach `target`. Each answer stands alone: an input that cannot be solved
    for while others can gets a result saying why (`GoalSeek.refused`); KpiError when the KPI
    has no such input or none can be solved for (the first input's reason)."""
    kpi_id = resolve_kpi(ctx.ws, kpi_id)
    names = movable_inputs(ctx.ws, kpi_id)
    found: list[GoalSeek | KpiError] = []
    for n in names:
        try:
            found.append(solve_for(ctx, kpi_id, target, n, period, segment))
        except KpiError as exc:
            found.append(exc)
    solved = [r for r in found if isinstance(r, GoalSeek)]
    if found and not solved:  # nothing answered: the reason is the KPI's, not one input's
        raise next(r for r in found if isinstance(r, KpiError))
    return [
        r if isinstance(r, GoalSeek) else _refusal(solved[0], n, str(r))
        for n, r in zip(names, found, strict=True)
    ]


def _refusal(other: GoalSeek, name: str, why: str) -> GoalSeek:
    """The result for input `name` that cannot be solved for (`why`), in the period, segment
    and against the target of `other`, a result beside it."""
    shown = display_name(name)
    return GoalSeek(
        other.kpi, name, other.target, other.period, dict(other.segment), other.kpi_value,
        None, [], f"cannot solve for `{shown}`: {why}", other.formula, "none", [], shown,
        period_note=other.period_note, refused=why,
    )  # fmt: skip
