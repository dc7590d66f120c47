"""A `where:` value that no row holds (a typo such as `Closed Wonn`) is a KPI016 warning at the
entry, with the closest value of the column: the variable it selects is 0, not silently."""

from __future__ import annotations

import pytest

import kpiengine

DEFS = """\
variables:
  won: {unit: currency}
kpis:
  won_kpi: {formula: won, unit: currency}
"""
DATA = "Month,Stage,Amount\n2024-01,Closed Won,100\n2024-01,Closed Lost,40\n2024-02,Closed Won,70\n"


def _run(write_workspace, stage: str):
    kpi_yaml = (
        "currency: EUR\nsources:\n  s:\n    connector: csv\n    path: data.csv\n    date: Month\n"
        f"    map:\n      won: {{column: Amount, where: {{Stage: [{stage}]}}}}\n"
    )
    root = write_workspace({"d": DEFS}, kpi_yaml, DATA)
    results = kpiengine.evaluate(kpiengine.load_workspace(root), grain="month", kpis=["won_kpi"])
    values = {r["period"]: r["value"] for r in results.records()}
    return values, [f for f in results.findings if f.code == "KPI016"]


def test_a_value_no_row_holds_is_a_warning_with_the_closest(write_workspace):
    values, [warning] = _run(write_workspace, "Closed Wonn")
    assert values == {"2024-01": 0.0, "2024-02": 0.0}
    assert "`Closed Wonn` matches no row of column `Stage`" in warning.message
    assert "did you mean `Closed Won`?" in warning.message
    assert str(warning.location).endswith("kpi.yaml:8:12")  # the `map:` entry


def test_a_value_rows_hold_gives_their_sum_and_no_warning(write_workspace):
    values, warnings = _run(write_workspace, "Closed Won")
    assert values == pytest.approx({"2024-01": 100.0, "2024-02": 70.0})
    assert warnings == []
