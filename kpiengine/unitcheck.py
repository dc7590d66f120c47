"""Infer the unit a formula produces and report unit clashes and mixed time scales."""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from .formula import TRANSFORMS, Formula, call_name
from .regroup import regroupings
from .unitfactors import constant_value, conversion, ratio_text
from .units import (
    RATIO,
    TIME,
    Unit,
    declarable,
    format_unit,
    readable,
    time_unit_for,
)

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
        value = constant_value(node.right)
        if value is None:
            self.report(
                CLASH,
                f"`{ast.unparse(node.left)}` ({_said(base)}) is raised to a non-constant power",
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
            self.report(CLASH, f"`{name}` of `{ast.unparse(arg)}` which is in {_said(unit)}", arg)
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
                    f"the formula {op} `{a}` ({_said(u1)}) and `{b}` ({_said(u2)}): "
                    f"different time units, a factor of {_ratio(factor)} apart",
                    node,
                    f"convert `{b}` to {u1} (multiply it by {_ratio(factor)})",
                )
            else:
                self.report(
                    CLASH,
                    f"the formula {op} `{a}` ({_said(u1)}) and `{b}` ({_said(u2)}): unlike units",
                    node,
                )


_ratio = ratio_text


def infer_unit(formula: Formula, unit_of: UnitLookup) -> tuple[Unit | None, list[UnitProblem]]:
    """The unit of the formula's result (None if some name has no unit) and every clash."""
    inference = _Inference(formula, unit_of)
    unit = inference.unit(formula.tree)
    return unit, inference.problems


def check_declared(
    formula: Formula, inferred: Unit, declared: Unit, unit_of: UnitLookup
) -> list[UnitProblem]:
    """Problems between the inferred and the declared unit: wrong, inverted or time-scaled.

    A conversion is the formula's to make: its constants (`* 1000`, `/ 12`) count towards it
    when they look like one (`kpiengine.unitfactors`), so the factor said is the one still
    missing, and the formula suggested has the whole factor in place of them (`* 100` for a
    cost per 1,000: `* 1000`, not `* 100 * 1000`). A unit no message can tell (`x ** 0.333`) is
    said to be so; a ratio dividing an amount per month (`arpa / churn_rate`) is not told to
    declare a rate per month.
    """
    if inferred == declared:
        return []
    if inferred.same_dimension(declared):
        return _rescaled_problems(formula, inferred, declared, unit_of)
    if not readable(inferred):
        return [UnitProblem(DECLARED_MISMATCH, _untold(inferred, declared), 0, _UNTOLD_FIX)]
    message = f"the formula gives {inferred} but the KPI is declared in {declared}"
    fix = f"declare `unit: {inferred}` if that is what the KPI measures"
    if not declarable(inferred):
        fix = _UNTOLD_FIX
    inverted = inferred == declared**-1
    if inverted:
        message += ": the ratio looks inverted"
        fix = "swap the numerator and the denominator"
    elif (per := _rate_per_period(formula, inferred, declared, unit_of)) is not None:
        name, time = per
        message += (
            f": `{name}` is a ratio, so nothing cancels the `/ {time}`; units cannot tell "
            f"whether it is a share per {time} (which makes the declared unit) or per year"
            if time != "year"
            else f": `{name}` is a ratio, so nothing cancels the `/ {time}`; units cannot "
            f"tell whether it is a share per {time} (which makes the declared unit)"
        )
        fix = (
            f"if `{name}` is the share per {time}, the declared unit is right: keep it and "
            f'add `allow: {{KPI102: "{name} is per {time}"}}`; `unit: {inferred}` would call '
            f"the KPI an amount per {time}"
        )
    return [UnitProblem(DECLARED_MISMATCH, message, 0, fix, wrong_value=inverted)]


_UNTOLD_FIX = (
    "take roots and fractional powers of ratios only (`sqrt(revenue / prev(revenue))`): no "
    "unit can be declared for a root of an amount"
)


def _said(unit: Unit) -> str:
    """The unit as a message says it: `currency / customers`, or that it cannot be told."""
    return str(unit) if readable(unit) else "a unit that cannot be told"


def _power_said(exp: Fraction) -> str:
    """`1/8`, `0.333`; `a power that is no simple fraction` for nested roots' 1/1024."""
    size = abs(exp)
    if size.denominator <= 12:
        shown = str(size)
    elif not any(mark in _ratio(size) for mark in ("/", "about")):
        shown = _ratio(size)  # 0.333, as written
    else:
        return "a power that is no simple fraction"
    return f"the power {'-' if exp < 0 else ''}{shown}"


def _untold(inferred: Unit, declared: Unit) -> str:
    """The message for a unit no message can tell (`revenue ** 0.333`, roots of roots)."""
    odd = [f"`{n}` to {_power_said(e)}" for n, e in inferred.dims if e.denominator > 1]
    why = (
        "a root or fractional power of a quantity with a unit has no unit one can read"
        if odd
        else "its time units do not combine into a unit one can write"
    )
    what = f" ({', '.join(odd[:2])})" if odd else ""
    return (
        f"the formula's unit cannot be told{what}, while the KPI is declared in {declared}: {why}"
    )


def _rescaled_problems(
    formula: Formula, inferred: Unit, declared: Unit, unit_of: UnitLookup
) -> list[UnitProblem]:
    """A unit of the right dimension at the wrong scale: the factor still missing, the
    formula's own conversion constants counted (`kpiengine.unitfactors`)."""
    found = conversion(formula.tree, inferred.factor_to(declared))
    if found.converts:
        return []  # the formula's own constant converts: `* 1000` for per 1,000 impressions
    mixed = _time_names(formula, unit_of)
    if not found.sure:  # coefficients beside a wrong conversion: the factor, nothing to paste
        return [_factor_needed(inferred, declared, found.needed, mixed)]
    how = f"multiplied by {_ratio(found.missing)}"  # `by 1/12`, as README's example says it
    said = ""
    if found.attempted != 1:
        said = (
            f" (its constants make a factor of {_ratio(found.attempted)}; the conversion is "
            f"{_ratio(found.needed)})"
        )
    rewritten = found.rewritten()
    if not mixed:
        message = (
            f"the formula gives {inferred} but the KPI is declared in {declared}: its value "
            f"must be {how}{said}"
        )
        fix = f"write `{rewritten}`"
        if found.attempted == 1 and declarable(inferred):
            fix += f", or declare `unit: {inferred}`"
        return [UnitProblem(DECLARED_MISMATCH, message, 0, fix)]
    message = (
        f"the formula mixes time units ({', '.join(mixed)}): its value must be {how} to be in "
        f"{declared}{said}"
    )
    fix = f"express every duration and rate in the same time unit, or write `{rewritten}`"
    return [UnitProblem(TIME_SCALE, message, 0, fix)]


def _factor_needed(
    inferred: Unit, declared: Unit, needed: Fraction, mixed: list[str]
) -> UnitProblem:
    """The factor the unit needs, no formula to paste: which of the formula's constants
    convert and which are its coefficients cannot be told (`* 7 * 0.7` where 12 is needed)."""
    factor = _ratio(needed)
    if not mixed:
        message = (
            f"the formula gives {inferred} but the KPI is declared in {declared}: its value "
            f"must be multiplied by {factor}"
        )
        fix = f"multiply the formula by {factor}"
        if declarable(inferred):
            fix += f", or declare `unit: {inferred}`"
        return UnitProblem(DECLARED_MISMATCH, message, 0, fix)
    message = (
        f"the formula mixes time units ({', '.join(mixed)}): its value must be multiplied by "
        f"{factor} to be in {declared}"
    )
    fix = (
        "express every duration and rate in the same time unit, or multiply by the "
        f"conversion factor {factor}"
    )
    return UnitProblem(TIME_SCALE, message, 0, fix)


def _rate_per_period(
    formula: Formula, inferred: Unit, declared: Unit, unit_of: UnitLookup
) -> tuple[str, str] | None:
    """(name, time unit) when the inferred unit is the declared one per a time unit and a ratio
    divides the formula: `arpa / churn_rate` (a monthly ARPA over a churn rate) is a lifetime
    value if the churn is per month, which a ratio cannot say."""
    extra = inferred / declared
    if [name for name, _ in extra.dims] != [TIME] or extra.dim_map[TIME] != -1:
        return None
    time = time_unit_for(extra.dim_map, extra.scale)
    if time is None:
        return None
    for node in ast.walk(formula.tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            for name in sorted(n.id for n in ast.walk(node.right) if isinstance(n, ast.Name)):
                unit = unit_of(name)
                if unit is not None and unit.dimensionless:
                    return name, time
    return None


def constant_factor(node: ast.AST) -> Fraction:
    """The product of the constants a formula multiplies and divides its whole value by
    (1000 in `ad_spend / impressions * 1000`); 1 when there are none."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div):
        left, right = constant_factor(node.left), constant_factor(node.right)
        if isinstance(node.op, ast.Mult):
            return left * right
        return left / right if right else Fraction(1)
    value = constant_value(node)
    return value if value else Fraction(1)


def scaled_unit(formula: Formula, inferred: Unit, declared: Unit | None) -> Unit:
    """The unit the formula gives once its constant factor is read as the conversion to the
    declared unit's multiple (`declared` when it is), else `inferred`."""
    if declared is not None and _converts(formula, inferred, declared):
        return declared
    return inferred


def _converts(formula: Formula, inferred: Unit, declared: Unit) -> bool:
    """Whether `inferred` differs from `declared` only by a scale the formula's constants
    apply (`kpiengine.unitfactors`)."""
    return (
        inferred != declared
        and inferred.same_dimension(declared)
        and conversion(formula.tree, inferred.factor_to(declared)).converts
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
        if _cancels(tree):
            continue  # `revenue / (cost - cost)` divides by zero: no reading to suggest
        inference = _Inference(formula, unit_of)
        unit = inference.unit(tree)
        if unit is None or inference.problems or (declared is not None and unit != declared):
            continue
        out.append(ast.unparse(tree))
    return out


def _cancels(tree: ast.AST) -> bool:
    """Whether a part subtracts or divides something by itself (`cost - cost`, `a / a`)."""
    return any(
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Sub | ast.Div)
        and ast.dump(node.left) == ast.dump(node.right)
        for node in ast.walk(tree)
    )


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
