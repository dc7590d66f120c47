"""A worked example may expect a percentage as a percent KPI shows it (`42.86%`), as targets may."""

from kpiengine.workspace import load_workspace

DEFS = """\
variables:
  revenue: {unit: currency}
  marketing_cost: {unit: currency}
kpis:
  my_roi:
    title: My ROI
    formula: (revenue - marketing_cost) / marketing_cost
    unit: ratio
    format: percent
    examples:
      - given: {revenue: 10000, marketing_cost: 7000}
        expect: %s
"""


def findings(write_workspace, expect):
    ws = load_workspace(write_workspace({"k": DEFS % expect}))
    return [f for f in ws.findings if f.kpi == "my_roi"], ws


def test_a_percentage_expect_is_checked_to_the_precision_written(write_workspace):
    # 3000 / 7000 = 0.428571...: 42.86% holds to 0.005 %, 42.85% does not
    found, ws = findings(write_workspace, "42.86%")
    assert not [f for f in found if f.code in ("KPI010", "KPI009")], found
    assert ws.kpis["my_roi"].examples[0].expect == 0.4286
    found, _ = findings(write_workspace, "42.85%")
    assert [f.code for f in found if f.severity == "error"] == ["KPI009"]


def test_text_that_is_no_number_says_a_percentage_would_do(write_workspace):
    found, _ = findings(write_workspace, "about half")
    [error] = [f for f in found if f.code == "KPI010"]
    assert "(or a percentage: `42.86%`)" in error.message
