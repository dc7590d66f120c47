"""kpiengine formulas written as SQL expressions, for the exporters.

The formula is walked over its checked syntax tree (from `parse_formula`): names become what the
caller says (an aggregate such as `SUM(orders.amount)`, or another KPI's SQL in parentheses),
`a / b` becomes `CAST(a AS DOUBLE PRECISION) / NULLIF(b, 0)` so that a zero denominator gives
NULL (undefined) and integers do not divide as integers, `x ** y` becomes `POWER(x, y)`, min and
max become LEAST and GREATEST, log becomes LN. `prev`, `last_year`, the windows (`ytd`, `qtd`,
`mtd`, `rolling(x, n)`) and `total` have no aggregate SQL equivalent; the caller decides
(`shift`, given the transform as `ytd` or `rolling:3` and the reference read through it).
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from ..formula import Formula
from ..refs import TRANSFORMS

_FUNCTIONS = {
    "abs": "ABS",
    "sqrt": "SQRT",
    "log": "LN",
    "exp": "EXP",
    "min": "LEAST",
    "max": "GREATEST",
}
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}


def formula_sql(
    formula: Formula, name: Callable[[str], str], shift: Callable[[str, str], str]
) -> str:
    """The SQL of a formula; `name(id)` gives a name's SQL, `shift(func, id)` a shifted one's."""

    def walk(node: ast.AST, top: bool = False) -> str:
        if isinstance(node, ast.Constant):
            return repr(node.value) if isinstance(node.value, float) else str(node.value)
        if isinstance(node, ast.Name):
            return name(node.id)
        if isinstance(node, ast.UnaryOp):
            inner = walk(node.operand)
            return f"-{inner}" if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp):
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Div):
                text = f"CAST({left} AS DOUBLE PRECISION) / NULLIF({right}, 0)"
            elif isinstance(node.op, ast.Pow):
                return f"POWER({left}, {right})"
            else:
                text = f"{left} {_OPS[type(node.op)]} {right}"
            return text if top else f"({text})"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            func = node.func.id
            if func in TRANSFORMS:
                arg, token = node.args[0], func
                if func == "rolling":
                    count = node.args[1]
                    value = count.value if isinstance(count, ast.Constant) else ""
                    token = f"rolling:{value!s}"
                return shift(token, arg.id if isinstance(arg, ast.Name) else ast.unparse(arg))
            args = [walk(a, top=True) for a in node.args]
            if func in ("min", "max") and len(args) == 1:
                return args[0]
            return f"{_FUNCTIONS[func]}({', '.join(args)})"
        raise ValueError(f"unexpected node {type(node).__name__}")  # parse_formula rules it out

    return walk(formula.tree, top=True)
