"""Helpers shared by the built-in checks: locations, numbers in messages, formula shapes."""

from __future__ import annotations

import ast
import math
import re
from typing import TYPE_CHECKING

import numpy as np

from ..compute import Computer
from ..errors import Location
from ..evaluation import Results
from ..formula import Formula, symbol
from ..model import KPI
from ..units import Unit
from ..vectorize import compile_expr

if TYPE_CHECKING:
    import sympy


def at_column(kpi: KPI, column: int) -> Location | None:
    """The location `column` characters into the KPI's formula."""
    loc = kpi.formula_location or kpi.location
    return loc.shifted(column) if loc and loc.line else loc


def num(value: float) -> str:
    """`9,999`, `0.428571`, `5,400`, `48.71`: a number as a message shows it."""
    if not math.isfinite(value):
        return "undefined"
    if abs(value) >= 1000:
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
        return text if abs(value) < 1e5 else f"{value:,.0f}"
    return f"{value:.6g}"


def pct(value: float, decimals: int = 1) -> str:
    """`42.9%`."""
    return f"{value * 100:,.{decimals}f}%"


def shown(value: float, kpi: KPI) -> str:
    """A KPI value in its own format (`42.9%`, `1,200.00`)."""
    from ..formatting import format_value  # noqa: PLC0415

    return format_value(value, kpi.format, kpi.decimals)


def words(kpi: KPI) -> set[str]:
    """Lower-case words of the KPI's id, aliases and English title."""
    text = " ".join([kpi.id, *kpi.aliases, kpi.title.get("en", ""), *kpi.title.values()])
    return set(re.findall(r"[a-z0-9]+", text.lower().replace("_", " ")))


def title_text(kpi: KPI) -> str:
    return " ".join([kpi.id.replace("_", " "), *kpi.aliases, kpi.title.get("en", "")]).lower()


def division(formula: Formula) -> tuple[ast.expr, ast.expr] | None:
    """(numerator, denominator) when the formula is a division at the top."""
    tree = formula.tree
    if isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Div):
        return tree.left, tree.right
    return None


def name_ratio(formula: Formula) -> tuple[str, str] | None:
    """(a, b) when the formula is exactly `a / b` of two names."""
    parts = division(formula)
    if parts and isinstance(parts[0], ast.Name) and isinstance(parts[1], ast.Name):
        return parts[0].id, parts[1].id
    return None


def constants(tree: ast.AST) -> list[tuple[ast.BinOp, ast.Constant]]:
    """Every (operation, constant operand) pair of `*` and `/` in the tree."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div):
            for side in (node.left, node.right):
                if isinstance(side, ast.Constant) and isinstance(side.value, int | float):
                    out.append((node, side))
    return out


def is_count(unit: Unit | None) -> bool:
    """A single counted entity (`customers`), not money or time."""
    if unit is None or len(unit.dims) != 1:
        return False
    name, exponent = unit.dims[0]
    return exponent == 1 and name != "time" and not name.startswith("currency")


def is_currency(unit: Unit | None) -> bool:
    return unit is not None and any(d.startswith("currency") for d, e in unit.dims if e == 1)


def expr_value(expr: sympy.Expr, given: dict[str, float]) -> float:
    """The value of a sympy expression for the given inputs (NaN where undefined)."""
    import sympy  # noqa: PLC0415 - the checks that load with a workspace need no sympy

    try:
        value = expr.xreplace({symbol(k): sympy.Float(v, 30) for k, v in given.items()})
        return float(value.evalf())
    except (TypeError, ValueError, ZeroDivisionError):
        return math.nan


def segment_label(segment: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in segment.items()) or "total"


def input_arrays(results: Results, formula: Formula) -> dict[str, np.ndarray] | None:
    """The arrays the formula was evaluated on (references included); None if one is missing."""
    table = results.table
    if any(n not in results.kpis and n not in table.values for n in formula.names):
        return None
    return Computer(results.workspace, table).inputs(formula)


def expr_array(expr: sympy.Expr, arrays: dict[str, np.ndarray], shape: tuple) -> np.ndarray:
    """Evaluate a sub-expression of a formula on its input arrays."""
    names = sorted(str(s) for s in expr.free_symbols)
    func = compile_expr(expr, names)
    with np.errstate(all="ignore"):
        out = func(*[arrays[n] for n in names])
    return np.broadcast_to(np.asarray(out, dtype=float), shape)
