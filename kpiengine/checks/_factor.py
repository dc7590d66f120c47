"""The constant factor of a formula as sympy evaluates it, mostly without sympy.

`conversions / (sessions / 100)`, `conversions * 10 * 10 / sessions` and `100 * (a - b) / b`
all evaluate to 100 times a formula without constants (sympy's `as_content_primitive`). The
factor is folded here over the checked AST with exact fractions: a product's is the product of
its parts', a quotient's their quotient, a power's the power of its base's, a sum's the greatest
common divisor of its terms' after adding up its constants (as sympy takes it: `a / 2 + c / 3`
is 1/6 of `3 a + 2 c`), a function's 1. Where sympy's own evaluation could give another factor,
the sympy expression decides: like terms in a sum (`50 * a + 50 * a` is `100 * a`), a term
whose names may cancel (`c / c + 1`), a root of a factor, an irrational constant, `abs` of a
part with constants. Loading definitions needs no sympy (`tests/test_startup.py`): the built-in
and sample KPIs are all decided here. `tests/test_checks_scale_factor.py` compares the two.
"""

from __future__ import annotations

import ast
import math
from fractions import Fraction

from ..formula import Formula
from ..refs import TRANSFORMS

__all__ = ["constant_factor"]


class _Undecided(Exception):
    """A part sympy's evaluation could fold otherwise: the sympy expression decides."""


def constant_factor(formula: Formula) -> Fraction | None:
    """The positive constant factor of the formula's value (1 when there is none); None when
    the formula is a constant or sympy cannot give a rational factor."""
    try:
        factor, has_names = _content(formula.tree)
    except _Undecided:
        return _sympy_factor(formula)
    return factor if has_names else None


def _sympy_factor(formula: Formula) -> Fraction | None:
    expr = formula.expr
    if not expr.free_symbols:
        return None
    content, _ = expr.as_content_primitive()
    if not content.is_Rational:
        return None
    return abs(Fraction(int(content.p), int(content.q)))


def _names(node: ast.AST) -> list[str]:
    """The names a part reads (not the functions it calls)."""
    funcs = {id(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}
    return [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and id(n) not in funcs]


def _atoms(node: ast.AST) -> list[str]:
    """The names a part reads, each time it reads them; a name read through prev, last_year, a
    window or total is another symbol for sympy (`prev(revenue)` is no like term of `revenue`)."""
    if isinstance(node, ast.Name):
        return [node.id]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in TRANSFORMS
    ):
        return [ast.dump(node)]
    if isinstance(node, ast.Call):
        return [atom for arg in node.args for atom in _atoms(arg)]
    return [atom for child in ast.iter_child_nodes(node) for atom in _atoms(child)]


def _terms(node: ast.expr, sign: int = 1) -> list[tuple[int, ast.expr]]:
    """The signed terms of a sum (`a - b + c`: +a, -b, +c)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        right = -sign if isinstance(node.op, ast.Sub) else sign
        return [*_terms(node.left, sign), *_terms(node.right, right)]
    return [(sign, node)]


def _value(node: ast.expr) -> Fraction | None:
    """The exact value of a part without names; None when it is not a rational number."""
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, float):
            return Fraction(str(value))
        return Fraction(value) if isinstance(value, int) else None
    if isinstance(node, ast.UnaryOp):
        inner = _value(node.operand)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.BinOp):
        left, right = _value(node.left), _value(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            return left / right if right else None
        if right.denominator == 1 and (left or right > 0):
            return left ** int(right)
        return None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        values = [_value(a) for a in node.args]
        if not values or any(v is None for v in values):
            return None
        known = [v for v in values if v is not None]
        if node.func.id == "abs":
            return abs(known[0])
        if node.func.id in ("min", "max"):
            return min(known) if node.func.id == "min" else max(known)
    return None


def _content(node: ast.expr) -> tuple[Fraction, bool]:
    """(the node's positive constant factor, whether it reads a name)."""
    if not _names(node):
        value = _value(node)
        if value is None:
            raise _Undecided  # sqrt(3), log(2): sympy's own numbers
        return abs(value), False
    if isinstance(node, ast.Name):
        return Fraction(1), True
    if isinstance(node, ast.UnaryOp):
        return _content(node.operand)
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Add | ast.Sub):
            return _sum_content(_terms(node))
        left, named_left = _content(node.left)
        if isinstance(node.op, ast.Pow):
            return _power(left, named_left, node.right, node.left)
        right, named_right = _content(node.right)
        named = named_left or named_right
        if isinstance(node.op, ast.Mult):
            return left * right, named
        return left / right, named  # the whitelist leaves `/`
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
        func = node.func.id
        if func in ("min", "max") and len(node.args) == 1:
            return _content(node.args[0])  # min or max of one argument is that argument
        if func == "abs" and any(isinstance(n, ast.Constant) for n in ast.walk(node)):
            raise _Undecided  # sympy takes some factors out (100 * Abs(a)), not all
        if func == "sqrt":
            return _power(*_content(node.args[0]), None, node.args[0])
    return Fraction(1), True  # min, max, log, exp, prev(...): kept whole


def _power(
    base: Fraction, named: bool, exponent: ast.expr | None, node: ast.expr
) -> tuple[Fraction, bool]:
    """`node ** exponent`, `base` being the factor of `node` (a square root when `exponent` is
    None)."""
    if exponent is not None and _names(exponent):
        return Fraction(1), True  # `2 ** a` is kept whole
    power = _value(exponent) if exponent is not None else Fraction(1, 2)
    if power is not None and power.denominator == 1 and base:
        return base ** int(power), named
    if not any(isinstance(n, ast.Constant) for n in ast.walk(node)):
        return Fraction(1), named
    raise _Undecided  # a root of a part with constants: sympy knows what comes out of it


def _sum_content(terms: list[tuple[int, ast.expr]]) -> tuple[Fraction, bool]:
    """The greatest common divisor of the terms' factors, the constant terms added up first."""
    seen: set[str] = set()
    constant = Fraction(0)
    contents = []
    for sign, term in terms:
        if not _names(term):
            value = _value(term)
            if value is None:
                raise _Undecided
            constant += sign * value
            continue
        atoms = _atoms(term)
        if set(atoms) & seen or len(atoms) != len(set(atoms)):
            raise _Undecided  # like terms, or a term whose names may cancel (`c / c`)
        seen |= set(atoms)
        contents.append(_content(term)[0])
    if constant:
        contents.append(abs(constant))
    numerator, denominator = 0, 1
    for value in contents:
        numerator = math.gcd(numerator, value.numerator)
        denominator = denominator * value.denominator // math.gcd(denominator, value.denominator)
    return Fraction(numerator or 1, denominator), True
