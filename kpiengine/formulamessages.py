"""What a formula may not contain, said to an analyst: the descriptions and fixes of the
refusals `kpiengine.formula` raises (each at its column)."""

from __future__ import annotations

import ast
from decimal import Context, Decimal
from fractions import Fraction

#: Operators people write for something else, and what to write instead.
HINTS = {
    ast.BitXor: "use `**` for powers, not `^`",
    ast.Mod: "percentages are fractions here: write `x / 100`, not `%`",
    ast.FloorDiv: "use `/` for division",
}
SMALLER = "write smaller constants: a value is computed as a float, at most about 1.8e+308"
NOT_FINITE = "a constant part of the formula is not a finite real number"
ALLOWED = "formulas use numbers, names, + - * / **, parentheses and min, max, abs, sqrt, log, exp"

_OP_TEXT: dict[type, str] = {
    ast.BitXor: "^",
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.MatMult: "@",
}
_NODES = {
    ast.Attribute: "attribute access (`.`)",
    ast.Subscript: "indexing (`[...]`)",
    ast.Lambda: "a lambda",
    ast.Compare: "a comparison",
    ast.BoolOp: "`and`/`or`",
    ast.IfExp: "`if ... else`",
}


def too_large(text: str, node: ast.AST, value: Fraction, of: str = "") -> str:
    """`1e308 * 10` comes to about 1e309: over the largest number a calculation holds."""
    limit = "too large for any calculation (the largest is about 1.8e+308)"
    if isinstance(node, ast.Constant):
        return f"the number is {limit}"
    about = Context(prec=2).divide(Decimal(value.numerator), Decimal(value.denominator))
    written = ast.get_source_segment(text, node) or ast.unparse(node)
    return f"{of}`{written}` come{'' if of else 's'} to about {about.normalize():g}, {limit}"


def op_text(op: ast.operator) -> str:
    """How an operator is written: `^`, `%`."""
    return _OP_TEXT.get(type(op), type(op).__name__)


def describe(node: ast.AST) -> str:
    """What a refused node is, in words: `text`, `a lambda`, `indexing (`[...]`)`."""
    if isinstance(node, ast.Constant):
        kind = type(node.value).__name__
        return {"str": "text", "bool": "a boolean", "NoneType": "None"}.get(kind, f"a {kind}")
    return _NODES.get(type(node), f"`{type(node).__name__}`")
