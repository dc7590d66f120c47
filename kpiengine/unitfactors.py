"""The constants of a formula read as a unit conversion: which convert, which are coefficients,
and the formula with the right conversion in their place.

A formula converts between units with its constants: `ad_spend / impressions * 1000` is per
1,000 impressions, `monthly_arpa * lifetime_years * 12` a lifetime value in months' money. A
constant multiplying or dividing the whole value converts only when it is of the kind the units
need: a power of ten for a per-1,000 or percent unit; a ratio of time units for a time factor
(12, 7, 24, 60, 365.25, its square or cube, the conventional 365, 30, 52 and 360, or one written
rounded, 4.33 or 30.4; or a number within 10% of the conversion needed, such as 28 days for a
month). The others are coefficients of the formula's own (a margin of 0.7 or `70 / 100`, a VAT
of 1.19), which stay. The conversion constants count towards the factor the units need: their
product converts when it is the factor, or for time within 2% (`52 / 4.33`, `365 / 30`); else
the factor a message says is the one still missing (`* 100` where 1000 is needed: 10 more), and
the formula suggested has the whole factor in their place (`* 1000`, not `* 100 * 1000`). When
coefficients stand beside conversion constants that do not convert (`* 7 * 0.7` where 12 is
needed), which is which cannot be told: no formula is suggested (`sure` is False).
"""

from __future__ import annotations

import ast
import math
from fractions import Fraction

from .units import TIME_UNITS

__all__ = ["Conversion", "constant_value", "conversion", "powers_of_ten", "ratio_text", "times"]

#: Ratios of time units (12 months a year, 7 days a week, 365.25 days a year) and the
#: conventional ones (365 days a year, 30 days a month, 52 weeks a year, 360 banking days).
_TIME_RATIOS = frozenset(
    [a / b for a in TIME_UNITS.values() for b in TIME_UNITS.values()]
    + [Fraction(v) ** s for v in (365, 30, 52, 360) for s in (1, -1)]
)
_TIME_POWERS = frozenset(r**k for r in _TIME_RATIOS for k in (1, 2, 3))
_TENS = frozenset(Fraction(10) ** k for k in range(-12, 13))
#: How far a constant may be from a time ratio and still be it written rounded (4.33, 30.4).
_ROUNDED = Fraction(1, 200)


def _converts_like(value: Fraction) -> bool:
    """A power of ten, or a ratio of time units, its square or cube; not 0.7 (a margin) nor
    1,200 (12 times 100: two constants, each of which is one)."""
    return value in _TENS or value in _TIME_POWERS


def _time_like(value: Fraction) -> bool:
    """A ratio of time units, its square or cube, or one written rounded (4.33, 30.4)."""
    if value in _TIME_POWERS:
        return True
    return any(abs(value / ratio - 1) <= _ROUNDED for ratio in _TIME_RATIOS)


class Conversion:
    """The constants of a formula that convert its units, against the factor `needed`."""

    def __init__(self, tree: ast.expr, needed: Fraction):
        self.tree, self.needed = tree, needed
        parts = _top_constants(tree)
        # the kinds of conversion the factor needs: powers of ten (per 1,000, percent), time
        # ratios, or both for a factor of both (per 1,000 a month against per year)
        self.time = needed not in _TENS
        self.tens = not self.time or needed not in _TIME_POWERS
        kinds = [(node, value, self._kind(value)) for node, value in parts]
        self.nodes = [node for node, _, kind in kinds if kind]
        self.made = math.prod((v for _, v, kind in kinds if kind), start=Fraction(1))
        # each conversion constant a time ratio or power of ten, not merely near the factor
        self.conventional = all(kind == "ratio" for _, _, kind in kinds if kind)
        self.coefficients = [value for _, value, kind in kinds if not kind]

    def _kind(self, value: Fraction) -> str | None:
        """`ratio` for a power of ten or time ratio of the kind needed, `near` for a number
        within 10% of the factor (28 days for a month), None for a coefficient."""
        if (self.tens and value in _TENS) or (self.time and _time_like(value)):
            return "ratio"
        if self.time and abs(value / self.needed - 1) <= Fraction(1, 10):
            return "near"
        return None

    @property
    def converts(self) -> bool:
        """The conversion constants give the factor needed, exactly, or for time within 2% by
        time ratios (a 365-day year, a 30-day month, `52 / 4.33`)."""
        made, needed = self.made, self.needed
        if made == needed:
            return True
        close = abs(made / needed - 1) <= Fraction(2, 100)
        return self.time and made != 1 and self.conventional and close

    @property
    def sure(self) -> bool:
        """Whether the factor missing can be told: no coefficient stands beside conversion
        constants that do not convert (`* 7 * 0.7` where 12 is needed: 7 seats or 7 days?)."""
        return self.converts or not self.coefficients or self.made == 1

    @property
    def attempted(self) -> Fraction:
        """The factor the formula's conversion constants make (1 when they make no attempt at
        this conversion: `* 100` where 12 is needed is a percentage, not a time factor)."""
        made, needed = self.made, self.needed
        if made == 1:
            return made
        if abs(made / needed - 1) <= Fraction(1, 10):
            return made
        return made if _converts_like(needed / made) else Fraction(1)

    @property
    def missing(self) -> Fraction:
        """The factor the formula's value still needs."""
        return self.needed / self.attempted

    def rewritten(self) -> str:
        """The formula with the whole factor needed in place of its conversion constants
        (appended, the other constants kept, when they make no attempt at it)."""
        if self.attempted == 1:
            return ast.unparse(times(self.tree, self.needed))
        ids = {id(n) for n in self.nodes}
        bare = _without(self.tree, ids) or ast.Constant(1)
        return ast.unparse(times(bare, self.needed))


def conversion(tree: ast.expr, needed: Fraction) -> Conversion:
    """The conversion the formula's constants make towards `needed`."""
    return Conversion(tree, needed)


def powers_of_ten(tree: ast.expr) -> tuple[Fraction, str]:
    """The product of the powers of ten multiplying or dividing the whole formula, and the
    formula with 1000 in their place, its other constants kept (KPI210: a VAT of 1.19 in
    `ad_spend * 1.19 / impressions * 1000` is no part of the per-1,000 conversion)."""
    tens = [(node, value) for node, value in _top_constants(tree) if value in _TENS]
    made = math.prod((value for _, value in tens), start=Fraction(1))
    bare = _without(tree, {id(node) for node, _ in tens}) or ast.Constant(1)
    return made, ast.unparse(times(bare, Fraction(1000)))


def constant_value(node: ast.AST) -> Fraction | None:
    """A number written in the formula (`12`, `-0.5`) exactly; None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return Fraction(str(node.value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = constant_value(node.operand)
        return None if inner is None else -inner
    return None


def _top_constants(node: ast.expr, inverse: bool = False) -> list[tuple[ast.expr, Fraction]]:
    """(node, the factor it multiplies the whole value by) of each constant multiplying or
    dividing the whole formula (`1000` in `ad_spend / impressions * 1000`)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div):
        right_inverse = inverse != isinstance(node.op, ast.Div)
        return [*_top_constants(node.left, inverse), *_top_constants(node.right, right_inverse)]
    value = constant_value(node)
    if not value:
        return []
    return [(node, 1 / value if inverse else value)]


def _without(node: ast.expr, removed: set[int]) -> ast.expr | None:
    """The tree without the constants whose ids are `removed` (None: nothing is left)."""
    if id(node) in removed:
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div):
        left, right = _without(node.left, removed), _without(node.right, removed)
        if right is None:
            return left
        if left is None:
            if isinstance(node.op, ast.Mult):
                return right
            return ast.BinOp(ast.Constant(1), ast.Div(), right)
        return ast.BinOp(left, node.op, right)
    return node


def times(tree: ast.expr, factor: Fraction) -> ast.expr:
    """`tree * 1000`, `tree / 12`, `tree * 365.25` or `tree * 1461 / 28`."""
    if factor == 1:
        return tree
    if factor.denominator == 1:
        return ast.BinOp(tree, ast.Mult(), ast.Constant(factor.numerator))
    if factor.numerator == 1:
        return ast.BinOp(tree, ast.Div(), ast.Constant(factor.denominator))
    if _decimal(factor) is not None:
        return ast.BinOp(tree, ast.Mult(), ast.Constant(float(factor)))
    scaled = ast.BinOp(tree, ast.Mult(), ast.Constant(factor.numerator))
    return ast.BinOp(scaled, ast.Div(), ast.Constant(factor.denominator))


def _decimal(value: Fraction) -> str | None:
    """`365.25` for 1461/4: a fraction with at most 4 decimals, else None."""
    if (value * 10**4).denominator != 1:
        return None
    return f"{float(value):.4f}".rstrip("0").rstrip(".")


def ratio_text(factor: Fraction) -> str:
    """`12`, `1/12`, `1/100`, `365.25`, `1,000,000`, `2/3`; `about 52.18` for 1461/28."""
    if factor.denominator == 1:
        return f"{factor.numerator:,}" if factor.numerator >= 10**4 else str(factor.numerator)
    if factor.numerator == 1:
        return f"1/{factor.denominator:,}" if factor.denominator >= 10**4 else str(factor)
    exact = _decimal(factor)
    if exact is not None or factor.denominator <= 12:
        return exact or str(factor)
    return f"about {float(factor):,.4g}"
