"""A workspace that redeclares a built-in variable's unit breaks the built-in KPIs reading it:
the finding says so and points at the workspace's declaration, not at the library's file."""

from __future__ import annotations

import kpiengine

DEFS = """\
variables:
  orders: {unit: customers}
"""


def test_a_built_in_kpi_broken_by_a_redeclared_unit_points_at_the_redeclaration(write_workspace):
    root = write_workspace({"mine": DEFS}, "currency: EUR\n")
    ws = kpiengine.load_workspace(root)
    [finding] = [f for f in ws.errors if f.code == "KPI102" and f.kpi == "aov"]
    assert str(finding.location).endswith("definitions/mine.yaml:2:11")
    assert "built-in `aov`: the workspace redeclares `orders` here" in finding.message
    assert finding.fix.startswith("keep the built-in unit of `orders`")


def test_a_built_in_kpi_with_its_own_inputs_is_not_blamed_on_the_workspace(write_workspace):
    root = write_workspace({}, "currency: EUR\n")
    assert not [f for f in kpiengine.load_workspace(root).errors if f.code == "KPI102"]
