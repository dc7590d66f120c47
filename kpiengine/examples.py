"""Worked examples: a KPI's value for an example's inputs, and whether it matches `expect`.

Examples are computed in 30-digit decimals on the checked formula tree, not with sympy:
loading a workspace checks every example, and loading needs no sympy (see `formula`).
"""

from __future__ import annotations

import ast
import decimal
import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import cast

from .errors import Location
from .formula import TRANSFORMS, call_name, ref_key, shifted_name
from .model import KPI, Example, Workspace
from .refs import display_ref
from .targetspec import is_number, not_decimal, refused
from .yamlio import YMap

#: 30 significant digits; what sympy would call complex or infinite raises (the value is NaN)
_CONTEXT = decimal.Context(
    prec=30, traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow]
)
_UNARY: dict[str, Callable[[Decimal], Decimal]] = {
    "abs": abs,
    "sqrt": Decimal.sqrt,
    "log": Decimal.ln,
    "exp": Decimal.exp,
}


def example_value(workspace: Workspace, kpi: KPI, given: Mapping[str, float]) -> float:
    """The KPI's value for the example inputs; KPIs not given are computed from them.

    Raises KeyError with the first name the example does not provide.
    """
    if kpi.formula is None:
        raise ValueError(f"KPI `{kpi.id}` has no usable formula")
    values: dict[str, float] = {}
    for name in kpi.formula.names:
        if name in given:
            values[name] = given[name]
        elif name in workspace.kpis and workspace.kpis[name].formula is not None:
            values[name] = example_value(workspace, workspace.kpis[name], given)
        elif (constant := _constant(workspace, name)) is not None:
            values[name] = constant
        else:
            raise KeyError(name)
    for chain, name in kpi.formula.shifts:
        key = display_ref(shifted_name(chain, name))
        if key not in given:
            raise KeyError(key)
        values[shifted_name(chain, name)] = given[key]
    return tree_value(kpi.formula.tree, values)


def example_inputs(workspace: Workspace, kpi: KPI, given: Mapping[str, float]) -> set[str]:
    """The names of `given` that `example_value` reads: the formula's, those of the KPIs it
    computes from them, and shifted inputs (`prev(revenue)`)."""
    used: set[str] = set()
    if kpi.formula is None:
        return used
    for name in kpi.formula.names:
        if name in given:
            used.add(name)
        elif name in workspace.kpis and workspace.kpis[name].formula is not None:
            used |= example_inputs(workspace, workspace.kpis[name], given)
    used |= {display_ref(shifted_name(chain, name)) for chain, name in kpi.formula.shifts}
    return used


def wrong_given(given: YMap) -> tuple[str, Location, str] | None:
    """(message, where, fix) for the first input of an example's `given:` that is no number
    written in decimals: text (`"10,000"`), a list, `0x10`; None when every input is one."""
    for key, value in given.items():
        why = not_decimal(value, given.raw.get(key))
        if why is None and is_number(value):
            continue
        message = f"`{key}` in `given` " + (
            f"is written {why}" if why else refused(value, "a number")
        )
        meant = _plain_number(value)
        fix = "write the number in decimals, without quotes or thousands separators"
        fix += f": `{meant}`" if meant else " (`10000`)"
        return message, given.value_loc(key), fix
    return None


def _plain_number(value: object) -> str | None:
    """`10000` for the text `10,000` or `10 000`; None when it is no such number."""
    if not isinstance(value, str):
        return None
    text = value.strip().replace(",", "").replace(" ", "").replace("_", "")
    try:
        return text if math.isfinite(float(text)) else None
    except ValueError:
        return None


def _constant(workspace: Workspace, name: str) -> float | None:
    parameter = workspace.parameters.get(name)
    return parameter.constant if parameter is not None else None


def tree_value(tree: ast.AST, values: Mapping[str, float]) -> float:
    """The value of a checked formula tree for the given inputs; NaN where it is undefined
    (a division by zero, the root or log of a negative number, an input not given)."""
    try:
        with decimal.localcontext(_CONTEXT):
            value = float(_value(tree, values))
    except (ArithmeticError, KeyError):
        return math.nan
    return value if math.isfinite(value) else math.nan


def _value(node: ast.AST, values: Mapping[str, float]) -> Decimal:
    if isinstance(node, ast.Constant):
        number = cast(float, node.value)  # a checked tree holds int and float constants only
        return Decimal(str(number)) if isinstance(number, float) else Decimal(number)
    if isinstance(node, ast.Name):
        return Decimal(values[node.id])
    if isinstance(node, ast.UnaryOp):
        operand = _value(node.operand, values)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left, right = _value(node.left, values), _value(node.right, values)
        op = type(node.op)
        if op is ast.Add:
            return left + right
        if op is ast.Sub:
            return left - right
        if op is ast.Mult:
            return left * right
        if op is ast.Div:
            return left / right
        return left**right if left or right else Decimal(1)  # 0 ** 0 is 1, as in numpy
    if isinstance(node, ast.Call):
        func = call_name(node)
        if func in TRANSFORMS:
            return Decimal(values[ref_key(node)])
        args = [_value(a, values) for a in node.args]
        if func == "min":
            return min(args)
        if func == "max":
            return max(args)
        return _UNARY[func](args[0])
    raise TypeError(f"not a checked formula node: {ast.dump(node)}")


def example_matches(value: float, example: Example) -> bool:
    """True when `value` equals the expected value to the precision the example is written in."""
    slack = example.tolerance + 1e-12 * abs(example.expect)
    return math.isfinite(value) and abs(value - example.expect) <= slack
