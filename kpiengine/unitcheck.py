"""Infer the unit a formula produces and report unit clashes and mixed time scales."""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from .formula import TRANSFORMS, Formula, call_name
from .regroup import regroupings
from .units import RATIO, TIME, Unit, format_unit, time_unit_for

#: Kinds of unit problem; `kpiengine.checks.units` reports each as its own check.
CLASH = "clash"
DECLARED_MISMATCH = "declared"
TIME_SCALE = "time_scale"

UnitLookup = Callable[[str], Unit | None]


@dataclass(frozen=True)
class UnitProblem:
    kind: str  # CLASH, DECLARED_MISMATCH or TIME_SCALE
    message: str
    column: int
    fix: str | None = None
    wrong_value: bool = True  # False: only the declared unit is off, not the value


class _Inference:
    def __init__(self, formula: Formula, unit_of: UnitLookup):
        self.formula = formula
        self.unit_of = unit_of
        self.problems: list[UnitProblem] = []

    def report(self, kind: str, message: str, node: ast.AST, fix: str | None = None) -> None:
        self.problems.append(UnitProblem(kind, message, self.formula.column(node), fix))

    def unit(self, node: ast.AST) -> Unit | None:
        if isinstance(node, ast.Constant):
            return RATIO
        if isinstance(node, ast.Name):
            return self.unit_of(node.id)
        if isinstance(node, ast.UnaryOp):
            return self.unit(node.operand)
        if isinstance(node, ast.BinOp):
            return self._binop(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        return None

    def _binop(self, node: ast.BinOp) -> Unit | None:
        left, right = self.unit(node.left), self.unit(node.right)
        if isinstance(node.op, ast.Pow):
            return self._power(node, left, right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            return left / right
        op = "adds" if isinstance(node.op, ast.Add) else "subtracts"
        self._same(node, [(node.left, left), (node.right, right)], op)
        return left

    def _power(self, node: ast.BinOp, base: Unit | None, exponent: Unit | None) -> Unit | None:
        if exponent is not None and not exponent.dimensionless:
            self.report(CLASH, f"the exponent `{ast.unparse(node.right)}` has a unit", node.right)
        if base is None or base.dimensionless:
            return base
        value = _constant(node.right)
        if value is None:
            self.report(
                CLASH,
                f"`{ast.unparse(node.left)}` ({base}) is raised to a non-constant power",
                node,
            )
            return None
        return base**value

    def _call(self, node: ast.Call) -> Unit | None:
        name = call_name(node)
        args = [(a, self.unit(a)) for a in node.args]
        if name in ("min", "max"):
            self._same(node, args, f"takes the {name} of")
            return args[0][1]
        if name == "abs" or name in TRANSFORMS:  # `rolling`'s count of periods is no operand
            return args[0][1]
        if name == "sqrt":
            unit = args[0][1]
            return None if unit is None else unit ** Fraction(1, 2)
        arg, unit = args[0]
        if unit is not None and not unit.dimensionless:
            self.report(CLASH, f"`{name}` of `{ast.unparse(arg)}` which is in {unit}", arg)
        return RATIO

    def _same(
        self, node: ast.AST, operands: Sequence[tuple[ast.AST, Unit | None]], op: str
    ) -> None:
        known = [(n, u) for n, u in operands if u is not None]
        for (first, u1), (other, u2) in zip(known, known[1:], strict=False):
            if u1 == u2:
                continue
            a, b = ast.unparse(first), ast.unparse(other)
            if u1.same_dimension(u2):
                factor = u2.factor_to(u1)
                self.report(
                    TIME_SCALE,
                    f"the formula {op} `{a}` ({u1}) and `{b}` ({u2}): "
                    f"different time units, a factor of {_ratio(factor)} apart",
                    node,
                    f"convert `{b}` to {u1} (multiply it by {_ratio(factor)})",
                )
            else:
                self.report(
                    CLASH,
                    f"the formula {op} `{a}` ({u1}) and `{b}` ({u2}): unlike units",
                    node,
                )


def _constant(node: ast.AST) -> Fraction | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return Fraction(str(node.value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _constant(node.operand)
        return None if inner is None else -inner
    return None


def _ratio(factor: Fraction) -> str:
    return str(factor) if factor.denominator != 1 or factor.numerator < 10**6 else f"{factor:.3g}"


def infer_unit(formula: Formula, unit_of: UnitLookup) -> tuple[Unit | None, list[UnitProblem]]:
    """The unit of the formula's result (None if some name has no unit) and every clash."""
    inference = _Inference(formula, unit_of)
    unit = inference.unit(formula.tree)
    return unit, inference.problems


def check_declared(
    formula: Formula, inferred: Unit, declared: Unit, unit_of: UnitLookup
) -> list[UnitProblem]:
    """Problems between the inferred and the declared unit: wrong, inverted or time-scaled."""
    if inferred == declared:
        return []
    if inferred.same_dimension(declared):
        factor = inferred.factor_to(declared)
        if _converts(formula, inferred, declared):
            return []  # the formula's own constant converts: `* 1000` for per 1,000 impressions
        mixed = _time_names(formula, unit_of)
        if not mixed:
            return [
                UnitProblem(
                    DECLARED_MISMATCH,
                    f"the formula gives {inferred} but the KPI is declared in {declared}: "
                    f"its value must be multiplied by {_ratio(factor)}",
                    0,
                    f"multiply the formula by {_ratio(factor)}, or declare `unit: {inferred}`",
                )
            ]
        where = f" ({', '.join(mixed)})"
        return [
            UnitProblem(
                TIME_SCALE,
                f"the formula mixes time units{where}: its value must be multiplied by "
                f"{_ratio(factor)} to be in {declared}",
                0,
                "express every duration and rate in the same time unit, or multiply by the "
                f"conversion factor {_ratio(factor)}",
            )
        ]
    message = f"the formula gives {inferred} but the KPI is declared in {declared}"
    fix = f"declare `unit: {inferred}` if that is what the KPI measures"
    inverted = inferred == declared**-1
    if inverted:
        message += ": the ratio looks inverted"
        fix = "swap the numerator and the denominator"
    return [UnitProblem(DECLARED_MISMATCH, message, 0, fix, wrong_value=inverted)]


def constant_factor(node: ast.AST) -> Fraction:
    """The product of the constants a formula multiplies and divides its whole value by
    (1000 in `ad_spend / impressions * 1000`); 1 when there are none."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div):
        left, right = constant_factor(node.left), constant_factor(node.right)
        if isinstance(node.op, ast.Mult):
            return left * right
        return left / right if right else Fraction(1)
    value = _constant(node)
    return value if value else Fraction(1)


def scaled_unit(formula: Formula, inferred: Unit, declared: Unit | None) -> Unit:
    """The unit the formula gives once its constant factor is read as the conversion to the
    declared unit's multiple (`declared` when it is), else `inferred`."""
    if declared is not None and _converts(formula, inferred, declared):
        return declared
    return inferred


def _converts(formula: Formula, inferred: Unit, declared: Unit) -> bool:
    """Whether `inferred` differs from `declared` only by a scale the formula's constant applies."""
    return (
        inferred != declared
        and inferred.same_dimension(declared)
        and inferred.factor_to(declared) == constant_factor(formula.tree)
    )


def _time_names(formula: Formula, unit_of: UnitLookup) -> list[str]:
    out = []
    for name in sorted(formula.names):
        unit = unit_of(name)
        if unit is not None and TIME in unit.dim_map:
            out.append(f"`{name}` in {time_unit_for(unit.dim_map, unit.scale) or unit}")
    return out


def consistent_readings(formula: Formula, unit_of: UnitLookup, declared: Unit | None) -> list[str]:
    """Other parenthesisations of the formula whose units are consistent (and match `declared`)."""
    out = []
    for tree in regroupings(formula.tree):
        inference = _Inference(formula, unit_of)
        unit = inference.unit(tree)
        if unit is None or inference.problems or (declared is not None and unit != declared):
            continue
        out.append(ast.unparse(tree))
    return out


__all__ = [
    "CLASH",
    "DECLARED_MISMATCH",
    "TIME_SCALE",
    "UnitProblem",
    "check_declared",
    "constant_factor",
    "consistent_readings",
    "format_unit",
    "infer_unit",
    "scaled_unit",
]
