"""What a KPI reads in its own period (not through `prev` or `last_year`), and in which sums.

Read on the formulas' syntax trees, through the KPIs a formula names: the projection of a
period in progress asks it of every KPI, and sympy is not imported on that path.
"""

from __future__ import annotations

import ast

from .formula import call_name
from .model import Workspace
from .refs import SHIFTS

__all__ = ["read_in_period", "stock_beside_flow"]


def read_in_period(workspace: Workspace, kpi_id: str) -> set[str]:
    """The variables a KPI reads in its own period: plainly, over a window or the total ending
    with it (not through `prev` or `last_year`), directly or through the KPIs it reads so."""
    formula = workspace.kpis[kpi_id].formula
    return _now(workspace, formula.tree, set()) if formula is not None else set()


def _now(workspace: Workspace, node: ast.AST, seen: set[str]) -> set[str]:
    """`read_in_period` of a formula's node (on the syntax tree: no sympy on this path)."""
    if isinstance(node, ast.Call) and call_name(node) in SHIFTS:
        return set()  # an earlier period's
    if isinstance(node, ast.Name) and node.id in workspace.kpis:
        formula = workspace.kpis[node.id].formula
        if node.id in seen or formula is None:
            return set()
        return _now(workspace, formula.tree, seen | {node.id})
    if isinstance(node, ast.Name):
        return {node.id} if node.id in workspace.variables else set()
    return set().union(*(_now(workspace, n, seen) for n in ast.iter_child_nodes(node)))


def _differences(workspace: Workspace, node: ast.AST, seen: set[str]) -> set[str]:
    """The variables a formula's node takes a difference of in the period: a direct term of a
    subtraction (`customers_at_end - new_customers`, `customers_at_end - customers_at_start`)
    or a negated term of a sum, through the KPIs it reads in the period (not through `prev`)."""
    if isinstance(node, ast.Call) and call_name(node) in SHIFTS:
        return set()
    if isinstance(node, ast.Name) and node.id in workspace.kpis:
        formula = workspace.kpis[node.id].formula
        if node.id in seen or formula is None:
            return set()
        return _differences(workspace, formula.tree, seen | {node.id})
    out = set().union(*(_differences(workspace, n, seen) for n in ast.iter_child_nodes(node)))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub):
        terms = [node.left, node.right]
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        terms = [node.operand]
    else:
        return out
    return out | {t.id for t in terms if isinstance(t, ast.Name) and t.id in workspace.variables}


def stock_beside_flow(
    workspace: Workspace, kpi_id: str, stocks: list[str], flows: list[str]
) -> list[str]:
    """The `stocks` a KPI reading some of the `flows` in the period takes a difference of
    (customers at the end less the new ones, or less those at the start, over the new ones):
    the difference moves with the days left, which the stock's value to date cannot follow. A
    stock multiplied, divided or added to its like (open deals times a win rate, revenue per
    average customer) keeps its value to date, a naive forecast."""
    formula = workspace.kpis[kpi_id].formula
    if not flows or formula is None:
        return []
    taken = _differences(workspace, formula.tree, {kpi_id})
    return [n for n in stocks if n in taken]
