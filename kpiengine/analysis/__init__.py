"""Symbolic analysis of KPIs: goal-seek, drivers, change decomposition and target plans.

Pure functions over evaluated results: every function takes a `Context` (a workspace and its
input table), made by `context_of(results)`; analysis never fetches data (`Engine.context`
evaluates and makes one). Results are dataclasses with `to_dict()` giving plain data (numbers,
strings, lists) for JSON and reports.

    >>> ctx = context_of(kpiengine.evaluate(ws, kpis=["roi"]))
    >>> solve_for(ctx, "roi", 0.30, "revenue", period="2024-06").solutions[0].value
"""

from __future__ import annotations

from .drivers import Driver, Drivers, TreeNode, driver_tree, drivers, render_tree, sensitivity
from .expand import (
    Context,
    context_of,
    display_name,
    expand,
    input_names,
    parse_segment,
)
from .explain import (
    Contribution,
    Explanation,
    contributions_to_dict,
    explain_change,
    lmdi,
    shapley,
    waterfall,
)
from .feasible import is_share, share_problems, value_problems
from .goalseek import GoalSeek, Solution, solve_each, solve_expr, solve_for
from .insights import kpi_insights
from .plan import Plan, PlanPeriod, month_weights, plan_annual, plan_ratio, split_amount
from .segments import SegmentRow, SegmentSplit, split_by_segment

__all__ = [
    "Context", "Contribution", "Driver", "Drivers", "Explanation", "GoalSeek", "Plan",
    "PlanPeriod", "SegmentRow", "SegmentSplit", "Solution", "TreeNode",
    "context_of", "contributions_to_dict", "display_name", "driver_tree", "drivers", "expand",
    "explain_change", "input_names", "is_share", "kpi_insights", "lmdi",
    "month_weights", "parse_segment", "plan_annual", "plan_ratio", "render_tree", "sensitivity",
    "shapley", "share_problems", "solve_each", "solve_expr", "solve_for", "split_amount",
    "split_by_segment", "value_problems", "waterfall",
]  # fmt: skip
