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


def test_kpi202_withholds_the_values_it_would_show_100_times_too_big(write_workspace):
    """`kpi eval` shows the error instead of 1,250% (1 conversion in 8 sessions); another KPI
    of the run stands; `allow: [KPI202]` shows the values as the formula gives them."""
    data = "date,conversions,sessions\n2024-01-10,1,4\n2024-01-20,0,4\n"
    root = write_workspace({"mine": PERCENT}, data=data)
    args = ["eval", "-w", str(root), "--data", str(root / "data.csv"), "--format", "json"]
    result = CliRunner().invoke(cli, [*args, "--kpi", "share_pct", "--kpi", "conversion_rate"])
    records = {r["kpi"]: r for r in json.loads(result.stdout)}
    assert "share_pct" not in records
    assert records["conversion_rate"]["value"] == 1 / 8  # by hand
    assert result.exit_code == 1 and "KPI202" in result.stderr
    lint = CliRunner().invoke(cli, ["lint", "-w", str(root), "--format", "json"])
    [finding] = [f for f in json.loads(lint.stdout)["findings"] if f["code"] == "KPI202"]
    assert finding["severity"] == "error"
    definition = PERCENT.replace("unit: ratio", "unit: conversions / sessions")
    definition += '    allow: [KPI202: "shown on a 0-100 scale on purpose"]\n'
    (root / "definitions" / "mine.yaml").write_text(definition, "utf-8")
    allowed = CliRunner().invoke(cli, [*args, "--kpi", "share_pct"])
    [record] = json.loads(allowed.stdout)
    assert record["value"] == 1 / 8 * 100
