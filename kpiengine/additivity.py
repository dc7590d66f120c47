"""Whether a formula adds up: a linear combination, without constant, of its names.

A KPI whose expanded formula is such a combination of summed variables (revenue, leads,
`revenue - refunds`) has targets that split across segments and periods; a ratio does not. The
verdict is sympy's (`Poly` of the expanded formula: total degree 1, zero at zero), but most
formulas are decided here on their tree, exactly, without importing sympy (a third of a
second of every `kpi eval`):

- a formula made of names and constants by sums and constant multiples is a linear form whose
  coefficients and constant are known exactly: the verdict is read from it;
- a product of two non-constant parts (`a * b`), a quotient of two that are not proportional
  (`revenue / cost`, `(revenue - cost) / cost`), an integer power of a non-constant part
  (`x ** 2`, `1 / x`) is no affine function of its names, and stays none when an affine part is
  added, or when it is multiplied, divided or added with a part that reads other names: there
  is nothing to cancel it. Such a formula is not additive, whatever sympy simplifies.

Everything else is `UNDECIDED`, for sympy: two such parts that share names (`x / y * y` is x),
a constant over one (`1 / (1 / x)` is x), a function, a root, a factor 0 of a quotient.
`tests/test_additivity.py` compares the two on random formulas.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

#: Neither a linear form nor surely non-linear: sympy decides.
UNDECIDED = "undecided"
#: A product, quotient or power of non-constant parts: not a polynomial of degree 1.
NONLINEAR = "nonlinear"


@dataclass(frozen=True)
class Linear:
    """`sum(coefficients[n] * n) + constant`, exactly; names with coefficient 0 are dropped."""

    coefficients: dict[str, Fraction] = field(default_factory=dict)
    constant: Fraction = Fraction(0)

    @property
    def is_constant(self) -> bool:
        return not self.coefficients

    def plus(self, other: Linear, sign: int = 1) -> Linear:
        out = dict(self.coefficients)
        for name, value in other.coefficients.items():
            out[name] = out.get(name, Fraction(0)) + sign * value
        kept = {n: v for n, v in out.items() if v != 0}
        return Linear(kept, self.constant + sign * other.constant)

    def times(self, factor: Fraction) -> Linear:
        kept = {n: v * factor for n, v in self.coefficients.items() if factor != 0}
        return Linear(kept, self.constant * factor)


@dataclass(frozen=True)
class Nonlinear:
    """A part that is no affine function of its names (a product of two non-constant parts, a
    quotient of parts not proportional, ...), whatever sympy simplifies; `names` it may read."""

    names: frozenset[str]


Part = Linear | Nonlinear


class _Undecided(Exception):
    pass


def linear_form(tree: ast.expr, expand: Callable[[str], ast.expr | None]) -> Linear | str:
    """The formula tree as a linear form, NONLINEAR, or UNDECIDED (see the module).

    `expand(name)` is the tree of a name that stands for another formula (a KPI), None for a
    plain name (a variable).
    """
    try:
        part = _part(tree, expand, ())
    except _Undecided:
        return UNDECIDED
    return part if isinstance(part, Linear) else NONLINEAR


def _part(node: ast.AST, expand: Callable[[str], ast.expr | None], stack: tuple[str, ...]) -> Part:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        value = node.value
        return Linear({}, Fraction(str(value)) if isinstance(value, float) else Fraction(value))
    if isinstance(node, ast.Name):
        if node.id in stack:
            raise _Undecided  # a loop: no formula sympy could expand either
        inner = expand(node.id)
        if inner is None:
            return Linear({node.id: Fraction(1)})
        return _part(inner, expand, (*stack, node.id))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _part(node.operand, expand, stack)
        if isinstance(node.op, ast.USub) and isinstance(operand, Linear):
            return operand.times(Fraction(-1))
        return operand
    if isinstance(node, ast.BinOp) and isinstance(
        node.op, ast.Add | ast.Sub | ast.Mult | ast.Div | ast.Pow
    ):
        left, right = _part(node.left, expand, stack), _part(node.right, expand, stack)
        if isinstance(node.op, ast.Add | ast.Sub):
            return _sum(left, right, -1 if isinstance(node.op, ast.Sub) else 1)
        if isinstance(node.op, ast.Mult):
            return _product(left, right)
        if isinstance(node.op, ast.Div):
            return _quotient(left, right)
        return _power(left, right)
    raise _Undecided  # a function or a transform: sympy's to judge


def _names(part: Part) -> frozenset[str]:
    return frozenset(part.coefficients) if isinstance(part, Linear) else part.names


def _apart(a: Part, b: Part) -> Nonlinear:
    """The non-linear result of two parts, which must not share a name: `x / y * y` is x."""
    if _names(a) & _names(b):
        raise _Undecided
    return Nonlinear(_names(a) | _names(b))


def _sum(left: Part, right: Part, sign: int) -> Part:
    if isinstance(left, Linear) and isinstance(right, Linear):
        return left.plus(right, sign)
    if isinstance(left, Linear) or isinstance(right, Linear):
        return Nonlinear(_names(left) | _names(right))  # adding an affine part keeps it so
    return _apart(left, right)  # `x / y - x / y` is 0


def _product(left: Part, right: Part) -> Part:
    for a, b in ((left, right), (right, left)):
        if isinstance(a, Linear) and a.is_constant:
            if isinstance(b, Linear):
                return b.times(a.constant)
            if a.constant == 0:
                raise _Undecided  # 0 times a quotient: sympy's 0 or nan
            return b
    if isinstance(left, Linear) and isinstance(right, Linear):
        return Nonlinear(_names(left) | _names(right))  # a polynomial of degree 2
    return _apart(left, right)


def _quotient(left: Part, right: Part) -> Part:
    if isinstance(right, Linear) and right.is_constant:
        if right.constant == 0:
            raise _Undecided
        return left.times(1 / right.constant) if isinstance(left, Linear) else left
    if isinstance(left, Linear) and left.is_constant:
        if left.constant == 0 or isinstance(right, Nonlinear):
            raise _Undecided  # `0 / x` is 0, `1 / (1 / x)` is x
        return Nonlinear(_names(right))
    if isinstance(left, Linear) and isinstance(right, Linear):
        if _proportional(left, right):
            raise _Undecided  # a constant, which sympy may or may not see
        return Nonlinear(_names(left) | _names(right))
    return _apart(left, right)


def _proportional(a: Linear, b: Linear) -> bool:
    """Whether `a` is a constant times `b` (`b` not constant)."""
    name, value = next(iter(b.coefficients.items()))
    ratio = a.coefficients.get(name, Fraction(0)) / value
    return a == b.times(ratio)


def _power(base: Part, exponent: Part) -> Part:
    if not (isinstance(exponent, Linear) and exponent.is_constant):
        raise _Undecided
    e = exponent.constant
    if e == 1:
        return base
    if e.denominator != 1 or e == 0:
        raise _Undecided  # a root, or a power 0 that swallows the names
    if isinstance(base, Linear) and base.is_constant:
        if (base.constant == 0 and e < 0) or abs(e) > 64:  # the parser limits the size
            raise _Undecided
        return Linear({}, base.constant ** int(e))
    if isinstance(base, Nonlinear) and e < 0:
        raise _Undecided  # `(1 / x) ** -1` is x
    return Nonlinear(_names(base))  # a power >= 2 of a non-constant part, or 1 / x ** n
