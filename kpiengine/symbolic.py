"""Bounds on symbolic work: which expressions sympy may simplify or solve in closed form.

sympy has no time budget, and a formula is user text: `revenue ** 0.123456789` (an exponent of
denominator 10**9), `x ** 1e-300` or `exp(exp(exp(exp(10))))` send `solveset` and `simplify` into
minutes of work or overflow. `too_hard` says, from the expression's size and exponents alone
(deterministic, no clock), when to skip the closed form; `fingerprint` evaluates an expression
at fixed points so that formulas can be grouped in linear time before any `simplify`.
sympy is imported inside the functions: the checks that use them load with every command.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sympy

MAX_OPS = 150  # operations in an expression sympy may simplify or solve exactly
MAX_EXPONENT = 64  # |numerator| of a rational exponent, and its denominator up to MAX_ROOT
MAX_ROOT = 12
MAX_NESTED_EXP = 2  # exp(exp(x)) is fine; deeper towers overflow any evaluation
#: Any of these while simplifying, solving or evaluating is "no closed form here".
SYMBOLIC_ERRORS = (
    OverflowError,
    ValueError,
    TypeError,
    ZeroDivisionError,
    RecursionError,
    NotImplementedError,
    AttributeError,
)


def too_hard(expr: sympy.Expr) -> str | None:
    """Why sympy should not be asked for a closed form of `expr`, or None when it may."""
    import sympy  # noqa: PLC0415

    try:
        ops = sympy.count_ops(expr)
    except SYMBOLIC_ERRORS:
        return "the formula cannot be measured"
    if ops > MAX_OPS:
        return f"the formula has {ops} operations (more than {MAX_OPS})"
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Pow) and node.exp.is_number:
            exponent = node.exp
            if not exponent.is_Rational:
                return f"the exponent {sympy.N(exponent, 6)} is not a simple fraction"
            if abs(exponent.p) > MAX_EXPONENT or exponent.q > MAX_ROOT:
                return f"the exponent {_short(exponent)} is too large or too fine"
        if isinstance(node, sympy.exp) and _exp_depth(node) > MAX_NESTED_EXP:
            return "the formula nests exp() too deeply"
    return None


def substitute(expr: sympy.Expr, values: dict[sympy.Symbol, float]) -> sympy.Expr:
    """`expr` with inputs replaced by values: exact fractions (0.3 -> 3/10) when a closed form
    may be tried, else 30-digit floats (an exact 40 ** (123456789/10**9) alone takes minutes)."""
    import sympy  # noqa: PLC0415

    if too_hard(expr) is None:
        return expr.xreplace({s: sympy.Rational(repr(float(v))) for s, v in values.items()})
    return expr.xreplace({s: sympy.Float(repr(float(v)), 30) for s, v in values.items()})


def text(expr: sympy.Basic, fallback: str = "the formula") -> str:
    """`str(expr)`, or `fallback` when sympy overflows printing it (printing orders terms by
    evaluating them: `exp(exp(exp(exp(10)))) * revenue - ...`)."""
    try:
        return str(expr)
    except SYMBOLIC_ERRORS:
        return fallback


def _exp_depth(node: sympy.Basic) -> int:
    import sympy  # noqa: PLC0415

    inner = [a for a in sympy.preorder_traversal(node.args[0]) if isinstance(a, sympy.exp)]
    return 1 + max((_exp_depth(a) for a in inner[:1]), default=0)


def _short(number: sympy.Rational) -> str:
    text = str(number)
    return text if len(text) <= 24 else f"{float(number):.6g}"


def _point(name: str, index: int) -> sympy.Float:
    """A fixed value for an input (the same in every run), between 1 and 10; a float, so that
    no exact power is ever computed."""
    import sympy  # noqa: PLC0415

    seed = zlib.crc32(f"{name}/{index}".encode())
    return sympy.Float((1000 + seed % 9000) / 1000, 30)


def fingerprint(expr: sympy.Expr, points: int = 2) -> tuple[str, ...] | None:
    """The expression's values (12 digits) at fixed points of its inputs: equal for equivalent
    formulas; None when it cannot be evaluated there (then nothing is concluded)."""
    import sympy  # noqa: PLC0415

    symbols = sorted(expr.free_symbols, key=str)
    out = []
    for index in range(points):
        values = {s: _point(s.name, index) for s in symbols}
        try:
            value = expr.xreplace(values).evalf(30)
            if not (value.is_Number and value.is_finite):
                return None
            out.append(str(sympy.Float(value, 12)))
        except SYMBOLIC_ERRORS:
            return None
    return tuple(out)
