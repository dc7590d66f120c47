"""Other readings of a formula: every way to parenthesise the chain of + - * / at its top.

The checks use them to explain a worked example the formula does not reproduce, or a unit
that comes out wrong: `revenue - cost / cost` was probably meant as `(revenue - cost) / cost`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import cast


def regroupings(node: ast.AST, limit: int = 7) -> Iterator[ast.expr]:
    """Every other way to parenthesise the chain of + - * / at the top of the formula.

    Operands and operators keep their order; function calls, powers and unary minus stay
    whole. Nothing is produced for chains of more than `limit` operands.
    """
    operands: list[ast.expr] = []
    operators: list[ast.operator] = []

    def flatten(n: ast.AST) -> None:
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
            flatten(n.left)
            operators.append(n.op)
            flatten(n.right)
        else:
            operands.append(cast(ast.expr, n))

    flatten(node)
    if not 3 <= len(operands) <= limit:
        return
    original = ast.dump(node)

    def trees(i: int, j: int) -> list[ast.expr]:
        if i == j:
            return [operands[i]]
        out: list[ast.expr] = []
        for k in range(i, j):
            for left in trees(i, k):
                for right in trees(k + 1, j):
                    out.append(ast.BinOp(left=left, op=operators[k], right=right))
        return out

    for tree in trees(0, len(operands) - 1):
        if ast.dump(tree) != original:
            yield tree
