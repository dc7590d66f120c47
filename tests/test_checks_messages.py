"""What findings suggest and quote: KPI101's reading of a mis-written CPA, KPI202's numbers."""

from __future__ import annotations

import json

from click.testing import CliRunner

import kpiengine
from kpiengine.cli import cli
from kpiengine.engine import Engine

# Article 003 (Chinese), on CPA: "从转化率中减去广告活动的成本" (subtract the campaign's cost from
# the conversion rate).
CPA = """\
kpis:
  {id}:
    title: {title}
    formula: conversion_rate - ad_spend
    unit: currency / conversions
"""


def unit_clash(write_workspace, kpi_id: str, title: str):
    root = write_workspace({"mine": CPA.format(id=kpi_id, title=title)}, folder=kpi_id)
    report = Engine(kpiengine.load_workspace(root)).lint(kpis=[kpi_id])
    [finding] = [f for f in report.findings if f.code == "KPI101"]
    return finding


def test_cpa_as_the_article_writes_it_suggests_the_library_formula(write_workspace):
    for kpi_id, title in (("cpa", "CPA"), ("my_cpa", "CPA"), ("cost_per_action", "Ours")):
        finding = unit_clash(write_workspace, kpi_id, title)
        assert "subtracts `conversion_rate`" in finding.message
        assert finding.fix.startswith("did you mean `ad_spend / conversions`?"), finding.fix
        assert "built-in `cpa`" in finding.fix


def test_a_two_name_formula_gets_a_ratio_with_the_declared_unit(write_workspace):
    root = write_workspace(
        {
            "mine": "kpis:\n  spend_per_click:\n    title: Spend per click\n"
            "    formula: ad_spend - clicks\n    unit: currency / clicks\n"
        }
    )
    report = Engine(kpiengine.load_workspace(root)).lint(kpis=["spend_per_click"])
    [finding] = [f for f in report.findings if f.code == "KPI101"]
    assert finding.fix.startswith("did you mean `ad_spend / clicks`?"), finding.fix


def test_no_reading_found_keeps_the_generic_fix(write_workspace):
    root = write_workspace(
        {
            "mine": "kpis:\n  odd_thing:\n    title: Odd thing\n"
            "    formula: ad_spend - clicks - sessions\n    unit: currency\n"
        }
    )
    report = Engine(kpiengine.load_workspace(root)).lint(kpis=["odd_thing"])
    fixes = [f.fix for f in report.findings if f.code == "KPI101"]
    assert fixes and not any("did you mean" in f for f in fixes)


PERCENT = """\
kpis:
  share_pct:
    title: Share of sessions converting
    formula: conversions / sessions * 100
    unit: ratio
    format: percent
"""


def test_kpi202_without_example_or_data_quotes_no_number(write_workspace):
    root = write_workspace({"mine": PERCENT})
    report = Engine(kpiengine.load_workspace(root)).lint(kpis=["share_pct"])
    [finding] = [f for f in report.findings if f.code == "KPI202"]
    assert "4,286" not in finding.message and "42.8" not in finding.message
    assert finding.message.endswith("every value shows 100 times too big")


def test_kpi202_with_data_quotes_the_kpis_own_value(write_workspace):
    root = write_workspace(
        {"mine": PERCENT},
        data="date,conversions,sessions\n2024-01-10,1,4\n2024-01-20,0,4\n",
    )
    result = CliRunner().invoke(
        cli, ["lint", "-w", str(root), "--data", str(root / "data.csv"), "--format", "json"]
    )
    [finding] = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "KPI202"]
    value = 1 / 8 * 100  # 12.5, computed by hand
    assert f"{value:g} shows as 1,250% instead of 12.50%" in finding["message"]
