"""KPI208 on an override: a KPI redefining a built-in one with the same formula is no override.

An OSI export of a whole workspace followed by its import writes every built-in KPI back into
the workspace; where the workspace calls a KPI `revenue` (a MetricFlow metric over `order_amount`)
instead of the library's variable, the expanded formulas of `roi` differ, and KPI208 said "`roi`
overrides the built-in definition with a different formula ((revenue - marketing_cost) /
marketing_cost instead of (revenue - marketing_cost) / marketing_cost)". The formulas are compared
as parsed (`parse_formula`'s expression), then expanded.
"""

import kpiengine
from kpiengine.engine import Engine

REVENUE_KPI = """\
variables:
  order_amount: {unit: currency}
kpis:
  revenue: {title: Revenue, formula: order_amount, unit: currency}
"""


def kpi208(root, kpi_id: str) -> list[str]:
    report = Engine(kpiengine.load_workspace(root)).lint(kpis=[kpi_id])
    found = [*report.findings, *(s.finding for s in report.silenced)]
    return [f.message for f in found if f.code == "KPI208"]


def test_same_formula_over_a_redefined_input_is_not_a_different_formula(write_workspace):
    root = write_workspace(
        {
            "revenue": REVENUE_KPI,
            "roi": "kpis:\n  roi: {title: ROI, formula: (revenue - marketing_cost) / "
            "marketing_cost, unit: ratio}\n",
            "share": "kpis:\n  sales_revenue: {title: Sales revenue, formula: revenue, "
            "unit: currency}\n",
        }
    )
    assert kpi208(root, "roi") == []
    assert kpi208(root, "sales_revenue") == []


def test_same_formula_written_otherwise_is_not_different(write_workspace):
    root = write_workspace(
        {"roi": "kpis:\n  roi: {formula: revenue / marketing_cost - 1, unit: ratio}\n"}
    )
    assert kpi208(root, "roi") == []


def test_a_different_formula_is_still_noted(write_workspace):
    root = write_workspace(
        {
            "revenue": REVENUE_KPI,
            "roi": "kpis:\n  roi: {formula: revenue / marketing_cost, unit: ratio}\n",
        }
    )
    [message] = kpi208(root, "roi")
    assert "revenue / marketing_cost instead of (revenue - marketing_cost) / marketing_cost" in (
        message
    )
