"""KPI205's cases whatever the title: churn over the customers left at the end, costs over a
stock of customers.

A flow (summed over the period) divided by a stock (counted on one day, `aggregate: last` or
`first`) is flagged in two narrow shapes only, so that revenue per customer of the stock (an
ARPU) and a share of the stock stay clean:

- customers lost (churned, cancelled, lost) over the stock at the period's end: those who left
  are no longer in it, so churn is understated and can pass 100%; the rate divides by the
  stock at the start (`customers_at_start`);
- costs (marketing, sales, ad spend) over a stock of customers: most of the stock was acquired
  in earlier periods, so it is not a cost of acquisition; CAC divides by the customers
  acquired in the period (`new_customers`).
"""

from __future__ import annotations

import ast
import re

from ..model import KPI, Variable, Workspace
from .common import division, is_count, is_currency

__all__ = ["StockCase", "stock_case"]

LOST = {"churn", "churned", "churns", "lost", "cancel", "cancelled", "canceled"}
LOST |= {"cancellation", "cancellations", "attrition", "lapsed", "unsubscribed", "unsubscribes"}
COST = {"cost", "costs", "spend", "spending", "expense", "expenses"}
ACQUIRED = {"new", "acquired", "won", "gained", "added"}


def _words(name: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", name.lower().replace("_", " ")))


class StockCase:
    """What the formula divides and what it should divide by."""

    def __init__(self, kind: str, flows: list[Variable], stock: Variable, better: str):
        self.kind = kind  # "churn" | "cost"
        self.flows = flows
        self.stock = stock
        self.better = better


def stock_case(ws: Workspace, kpi: KPI) -> StockCase | None:
    """The case of `kpi` when its formula is `flow / stock` in one of the two shapes."""
    parts = division(kpi.formula) if kpi.formula else None
    if parts is None or not isinstance(parts[1], ast.Name):
        return None
    stock = ws.variables.get(parts[1].id)
    if stock is None or not is_count(stock.unit) or stock.aggregate.time not in ("last", "first"):
        return None
    flows = _summed_names(ws, parts[0])
    if not flows or any(v.aggregate.time != "sum" for v in flows):
        return None
    if stock.aggregate.time == "last" and all(
        v.unit == stock.unit and _words(v.id) & LOST for v in flows
    ):
        return StockCase("churn", flows, stock, _better(ws, stock, "first", set()))
    if all(is_currency(v.unit) and _words(v.id) & COST for v in flows):
        return StockCase("cost", flows, stock, _better(ws, stock, "sum", ACQUIRED))
    return None


def _summed_names(ws: Workspace, node: ast.expr) -> list[Variable] | None:
    """The variables of a numerator made of names added together (`a + b`), else None."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _summed_names(ws, node.left), _summed_names(ws, node.right)
        return None if left is None or right is None else [*left, *right]
    if isinstance(node, ast.Name) and node.id in ws.variables:
        return [ws.variables[node.id]]
    return None


def _better(ws: Workspace, stock: Variable, time: str, words: set[str]) -> str:
    """The variable to divide by: of the stock's unit, aggregated by `time` (and, for a flow,
    named as acquired); the built-in name when the workspace has none."""
    found = [
        v.id
        for v in ws.variables.values()
        if v.unit == stock.unit
        and v.aggregate.time == time
        and v.id != stock.id
        and (not words or _words(v.id) & words)
    ]
    if found:
        return sorted(found, key=lambda n: ("start" not in n and "new" not in n, n))[0]
    entity = stock.unit_text.strip() or "customers"
    return f"{entity}_at_start" if time == "first" else f"new_{entity}"
