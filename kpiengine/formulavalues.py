"""The values a formula's parts take while it is checked: exact fractions, or sympy.

`kpiengine.formula` checks a formula once, node by node, through one of these two algebras.
`Fractions` needs no sympy (importing it costs a third of a second, most of a `kpi eval` start):
it folds the constant parts exactly, so it applies the same limits sympy would (exponents,
digits), and it says `undecided` wherever sympy's own simplification could change the verdict:
a constant it cannot fold (`sqrt(2)`, `4 ** 0.5`), a division by a constant 0, or a
denominator, base, exponent, log or sqrt argument in which names could cancel (`x / (y - y)`,
`x / (0 * y)`, `log(min(0, abs(x)))`), a root or log of a part whose sign sympy knows
(`sqrt(-abs(x))`), or a power of a constant 0. The caller then checks the formula again with
`Sympy`, so the verdict is always sympy's; only the sympy expression itself is built later,
when asked for. `tests/test_formula_fractions.py` compares the two on random formulas.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sympy

#: A constant part's value as the checks see it: a fraction, inf for a non-finite sympy number,
#: None when the part is not a number.
Number = Fraction | float | None


@dataclass(frozen=True)
class Folded:
    """A part of a formula: its exact value when it is a known constant, the names it reads."""

    value: Fraction | None
    names: Counter[str] = field(default_factory=Counter)
    #: a factor 0, an exponent 0, a base 1 or a constant bound (min, max) could swallow names
    collapses: bool = False
    #: a function or power whose sign sympy knows (abs, exp, x ** 2): sqrt(-abs(x)) is complex
    signed: bool = False

    @property
    def fragile(self) -> bool:
        """Whether sympy could simplify the part to a constant: a name read twice, a collapse."""
        return self.collapses or any(n > 1 for n in self.names.values())


class Fractions:
    """The algebra without sympy; `undecided` once sympy must judge the formula."""

    def __init__(self) -> None:
        self.undecided = False

    def constant(self, value: Fraction) -> Folded:
        return Folded(value)

    def name(self, name: str) -> Folded:
        return Folded(None, Counter([name]))

    def _unknown(self, *parts: Folded, collapses: bool = False, signed: bool = False) -> Folded:
        names: Counter[str] = Counter()
        for part in parts:
            names.update(part.names)
        if not names:  # a constant that cannot be folded exactly
            self.undecided = True
        collapses = collapses or any(p.collapses for p in parts)
        return Folded(None, names, collapses, signed or any(p.signed for p in parts))

    def negative(self, a: Folded) -> Folded:
        return Folded(-a.value) if a.value is not None else a

    def add(self, a: Folded, b: Folded) -> Folded:
        if a.value is not None and b.value is not None:
            return Folded(a.value + b.value)
        return self._unknown(a, b)

    def subtract(self, a: Folded, b: Folded) -> Folded:
        return self.add(a, self.negative(b))

    def multiply(self, a: Folded, b: Folded) -> Folded:
        if a.value is not None and b.value is not None:
            return Folded(a.value * b.value)
        return self._unknown(a, b, collapses=a.value == 0 or b.value == 0)

    def divide(self, a: Folded, b: Folded) -> Folded:
        self.sensitive(b)
        if b.value == 0:  # sympy's zoo (or nan), which later parts may still cancel
            self.undecided = True
        if a.value is not None and b.value:
            return Folded(a.value / b.value)
        return self._unknown(a, b, collapses=a.value == 0)

    def power(self, a: Folded, b: Folded) -> Folded:
        self.sensitive(a)
        self.sensitive(b)
        if b.value is None or b.value.denominator != 1:
            self._real(a)
        if a.value is not None and b.value is not None:
            if b.value.denominator == 1 and (a.value != 0 or b.value >= 0):
                return Folded(a.value ** int(b.value))
            return self._unknown(a, b)  # a root of a constant, or 0 to a negative power
        if a.value == 0:  # sympy writes 0 ** -x as zoo ** x
            self.undecided = True
        return self._unknown(a, b, collapses=b.value == 0 or a.value == 1, signed=True)

    def call(self, func: str, args: list[Folded]) -> Folded:
        values = [a.value for a in args]
        if func in ("log", "sqrt"):
            self.sensitive(args[0])
            self._real(args[0])
        if func in ("min", "max", "abs") and all(v is not None for v in values):
            known = [v for v in values if v is not None]
            return Folded({"min": min, "max": max}.get(func, lambda v: abs(v[0]))(known))
        # sympy decides min(0, abs(x)) is 0: a constant among names may win
        bounded = func in ("min", "max") and any(v is not None for v in values)
        return self._unknown(*args, collapses=bounded, signed=True)

    def sensitive(self, part: Folded) -> None:
        """A part whose value decides whether the formula is defined or allowed."""
        if part.fragile:
            self.undecided = True

    def _real(self, part: Folded) -> None:
        """A part that must not be negative for the result to be real."""
        if part.signed:
            self.undecided = True

    def number(self, part: Folded) -> Number:
        return part.value

    def nonfinite(self, whole: Folded) -> bool:
        return False  # a non-finite constant leaves the check undecided, for sympy to judge


class Sympy:
    """The algebra of sympy expressions: the formula itself."""

    undecided = False

    def __init__(self) -> None:
        import sympy  # noqa: PLC0415 - only formulas the fractions cannot judge, and analyses

        self.sympy = sympy
        self.functions: dict[str, Any] = {
            "min": sympy.Min,
            "max": sympy.Max,
            "abs": sympy.Abs,
            "sqrt": sympy.sqrt,
            "log": sympy.log,
            "exp": sympy.exp,
        }

    def constant(self, value: Fraction) -> sympy.Expr:
        return self.sympy.Rational(value.numerator, value.denominator)

    def name(self, name: str) -> sympy.Expr:
        return self.sympy.Symbol(name, real=True)

    def negative(self, a: sympy.Expr) -> sympy.Expr:
        return -a

    def add(self, a: sympy.Expr, b: sympy.Expr) -> sympy.Expr:
        return a + b

    def subtract(self, a: sympy.Expr, b: sympy.Expr) -> sympy.Expr:
        return a - b

    def multiply(self, a: sympy.Expr, b: sympy.Expr) -> sympy.Expr:
        return a * b

    def divide(self, a: sympy.Expr, b: sympy.Expr) -> sympy.Expr:
        return a / b

    def power(self, a: sympy.Expr, b: sympy.Expr) -> sympy.Expr:
        return a**b

    def call(self, func: str, args: list[sympy.Expr]) -> sympy.Expr:
        return self.functions[func](*args)

    def sensitive(self, part: sympy.Expr) -> None:
        pass

    def number(self, part: sympy.Expr) -> Number:
        if part.is_Rational:
            return Fraction(int(part.p), int(part.q))
        if part.is_Number:
            return Fraction(str(part)) if part.is_finite else math.inf
        return None

    def nonfinite(self, whole: sympy.Expr) -> bool:
        s = self.sympy
        return bool(whole.has(s.zoo, s.nan, s.oo, -s.oo, s.I))
