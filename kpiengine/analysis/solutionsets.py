"""The sets `kpi solve` answers with: points and intervals of one input, kept to the values
where the KPI is defined (a divisor not 0, a logarithm's argument above 0, a root's at or above
0) and, for an interval, where the input can be (never negative for a count or an amount).

`roas = ad_revenue / ad_spend` with no ad revenue is 0 for every ad spend but 0, where it is
undefined, and a negative spend cannot happen: its target 0 is reached by "any value above 0",
never "any value".
"""

from __future__ import annotations

import math
from typing import TypeAlias

import sympy

from ..formula import symbol
from ..symbolic import SYMBOLIC_ERRORS, substitute
from .expand import exact

Piece: TypeAlias = sympy.Expr | sympy.Set


def pieces(found: sympy.Set) -> list[Piece] | None:
    """Real points and intervals of a solution set; None when sympy left it unsolved."""
    if found is sympy.S.EmptySet:
        return []
    if isinstance(found, sympy.FiniteSet):
        return sorted((p for p in found if is_real(p)), key=lambda p: float(sympy.re(p)))
    if isinstance(found, sympy.Interval) or found is sympy.S.Reals:
        return [found]
    if isinstance(found, sympy.Intersection):
        finite = [a for a in found.args if isinstance(a, sympy.FiniteSet)]
        if finite and all(isinstance(a, sympy.FiniteSet) or a is sympy.S.Reals for a in found.args):
            return pieces(finite[0])
    if isinstance(found, sympy.Union):
        out = []
        for arg in found.args:
            part = pieces(arg)
            if part is None:
                return None
            out += part
        return out
    return None


def is_real(point: sympy.Expr) -> bool:
    value = complex(point.evalf(30))
    return abs(value.imag) <= 1e-12 * max(1.0, abs(value.real))


def _edge(value: sympy.Expr) -> str:
    return f"{float(value):,.6g}"


def interval_text(piece: sympy.Set) -> str:
    """`any value`, `any value above 0`, `any value of 3 or below`, `any value in [1, 2)`."""
    if piece is sympy.S.Reals:
        return "any value"
    low, high = piece.inf, piece.sup
    if high is sympy.S.Infinity and low.is_finite:
        return (
            f"any value above {_edge(low)}"
            if piece.left_open
            else (f"any value of {_edge(low)} or above")
        )
    if low is sympy.S.NegativeInfinity and high.is_finite:
        return (
            f"any value below {_edge(high)}"
            if piece.right_open
            else (f"any value of {_edge(high)} or below")
        )
    left = "(" if piece.left_open or low.is_infinite else "["
    right = ")" if piece.right_open or high.is_infinite else "]"
    return f"any value in {left}{_edge(low)}, {_edge(high)}{right}"


def sample_of(piece: sympy.Set, current: float | None) -> float:
    """A representative value of an interval: today's value when inside it, else an edge
    (or a point just inside an open one)."""
    if (
        current is not None
        and math.isfinite(current)
        and piece.contains(exact(current)) is sympy.true
    ):
        return current
    low, high = piece.inf, piece.sup
    if low.is_finite and high.is_finite:
        return float((low + high) / 2) if piece.left_open or piece.right_open else float(low)
    for edge, step, is_open in ((low, 1, piece.left_open), (high, -1, piece.right_open)):
        if edge.is_finite:
            return float(edge) + step * (max(1.0, abs(float(edge))) if is_open else 0.0)
    return 0.0


def defined_set(
    expr: sympy.Expr,
    name: str,
    known: dict[sympy.Symbol, float],
    linked: dict[str, sympy.Expr] | None = None,
) -> sympy.Set:
    """Where `expr`, with the other inputs at `known`, is defined as a function of `name`:
    its divisors not 0, logarithms' arguments above 0, roots' at or above 0 (read on the
    formula as written: `0 / ad_spend` is undefined at ad_spend 0 although it simplifies to
    0). `linked` (`Links.refs`) writes references that move with `name` in terms of it, in
    each condition only, so a division they would cancel still counts (`revenue /
    total(revenue)` in the total row). Reals where a condition cannot be solved (it is then
    not applied)."""
    x = symbol(name)
    moves = {symbol(r): e for r, e in (linked or {}).items()}
    out: sympy.Set = sympy.S.Reals
    for part in sympy.preorder_traversal(expr):
        conditions = []
        if isinstance(part, sympy.log):
            conditions.append((part.args[0], sympy.StrictGreaterThan))
        elif isinstance(part, sympy.Pow) and part.exp.is_Number and not part.base.is_Number:
            if part.exp.is_negative:
                conditions.append((part.base, sympy.Ne))
            if not part.exp.is_integer:
                conditions.append((part.base, sympy.GreaterThan))
        for base, relation in conditions:
            try:
                side = substitute(base.xreplace(moves) if moves else base, known)
                if x not in side.free_symbols:
                    holds = relation(side, 0)
                    if holds is sympy.false:
                        return sympy.S.EmptySet
                    continue
                found = sympy.solveset(relation(side, 0), x, sympy.S.Reals)
            except SYMBOLIC_ERRORS:
                continue
            if isinstance(found, sympy.ConditionSet):
                continue
            out = sympy.Intersection(out, found)
    return out


def within(found: list[Piece], allowed: sympy.Set, nonnegative: bool) -> list[Piece]:
    """The solutions where the KPI is defined (`allowed`); an interval also cut to the input's
    possible values (at or above 0 when `nonnegative`) unless none of it is possible (then it
    stays, to be shown infeasible)."""
    out: list[Piece] = []
    for piece in found:
        if not isinstance(piece, sympy.Set):
            if allowed.contains(piece) is not sympy.false:
                out.append(piece)
            continue
        kept = sympy.Intersection(piece, allowed)
        if nonnegative:
            possible = sympy.Intersection(kept, sympy.Interval(0, sympy.oo))
            kept = kept if possible is sympy.S.EmptySet else possible
        split = pieces(kept)
        out += [piece] if split is None else split
    return out
