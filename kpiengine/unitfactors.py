"""The constants of a formula read as a unit conversion: which convert, which are coefficients,
and the formula with the right conversion in their place.

A formula converts between units with its constants: `ad_spend / impressions * 1000` is per
1,000 impressions, `monthly_arpa * lifetime_years * 12` a lifetime value in months' money. The
constants multiplying or dividing the whole value are split in two: those that look like a
conversion (a power of ten; a ratio of time units, its square or cube: 12, 144, 1/12, 7, 365.25,
and the conventional 365, 30, 52 and 360; or a number within 10% of the conversion needed, such
as 28 days for a month) and coefficients of the formula's own (a margin of 0.7), which stay. The
conversion constants count towards the factor the units need, so the factor a message says is
the one still missing (`* 100` where 1000 is needed: 10 more), and the formula suggested has the
whole factor in their place, which then converts (`* 1000`, not `* 100 * 1000`). A conventional
365-day year, 30-day month or 52-week year (within 2%) counts as the conversion.
"""

from __future__ import annotations

import ast
import math
from fractions import Fraction

from .units import TIME_UNITS

__all__ = ["Conversion", "conversion", "ratio_text", "rescaled", "times"]

#: Ratios of time units (12 months a year, 7 days a week, 365.25 days a year) and the
#: conventional ones (365 days a year, 30 days a month, 52 weeks a year, 360 banking days).
_TIME_RATIOS = frozenset(
    [a / b for a in TIME_UNITS.values() for b in TIME_UNITS.values()]
    + [Fraction(v) ** s for v in (365, 30, 52, 360) for s in (1, -1)]
)
_TIME_POWERS = frozenset(r**k for r in _TIME_RATIOS for k in (1, 2, 3))
_TENS = frozenset(Fraction(10) ** k for k in range(-12, 13))


def _converts_like(value: Fraction) -> bool:
    """A power of ten, or a ratio of time units, its square or cube; not 0.7 (a margin) nor
    1,200 (12 times 100: two constants, each of which is one)."""
    return value in _TENS or value in _TIME_POWERS


class Conversion:
    """The constants of a formula that convert its units, against the factor `needed`."""

    def __init__(self, tree: ast.expr, needed: Fraction):
        self.tree, self.needed = tree, needed
        parts = _top_constants(tree)
        self.nodes = [node for node, value in parts if _converting(value, needed)]
        ids = {id(n) for n in self.nodes}
        self.made = math.prod((v for n, v in parts if id(n) in ids), start=Fraction(1))
        self.coefficient = math.prod((v for n, v in parts if id(n) not in ids), start=Fraction(1))

    @property
    def converts(self) -> bool:
        """The conversion constants give the factor needed, exactly or by a conventional
        365-day year, 30-day month or 52-week year (within 2%)."""
        made, needed = self.made, self.needed
        if made == needed:
            return True
        return made != 1 and _converts_like(made) and abs(made / needed - 1) <= Fraction(2, 100)

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


def _converting(value: Fraction, needed: Fraction) -> bool:
    """A constant that takes part in a conversion: conversion-like, or close to the one needed
    (28 days for a 30.4375-day month)."""
    return _converts_like(value) or abs(value / needed - 1) <= Fraction(1, 10)


def _constant(node: ast.AST) -> Fraction | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return Fraction(str(node.value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _constant(node.operand)
        return None if inner is None else -inner
    return None


def _top_constants(node: ast.expr, inverse: bool = False) -> list[tuple[ast.expr, Fraction]]:
    """(node, the factor it multiplies the whole value by) of each constant multiplying or
    dividing the whole formula (`1000` in `ad_spend / impressions * 1000`)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div):
        right_inverse = inverse != isinstance(node.op, ast.Div)
        return [*_top_constants(node.left, inverse), *_top_constants(node.right, right_inverse)]
    value = _constant(node)
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


def rescaled(tree: ast.expr, factor: Fraction) -> str:
    """The formula with `factor` in place of every constant that multiplies or divides its
    whole value: `ad_spend / impressions * 100` with 1000 is `ad_spend / impressions * 1000`."""
    ids = {id(n) for n, _ in _top_constants(tree)}
    return ast.unparse(times(_without(tree, ids) or ast.Constant(1), factor))


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
