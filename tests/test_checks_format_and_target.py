"""KPI214: a format that does not fit the unit; KPI215: a target on the wrong scale (5 for
5%), at the `format:` and target lines of the YAML."""

from __future__ import annotations

import json

from click.testing import CliRunner

import kpiengine
from kpiengine.cli import cli
from kpiengine.engine import Engine

FORMATS = """\
kpis:
  f1:
    title: {en: Revenue pct}
    formula: revenue
    unit: currency
    format: percent
  f2:
    title: {en: Conv money}
    formula: conversions / sessions
    unit: conversions / sessions
    format: currency
  f3: {title: Sessions as percent, formula: sessions, unit: sessions, format: percent}
  ok_rate:
    title: Conversion
    formula: conversions / sessions
    unit: conversions / sessions
    format: percent
  ok_money:
    title: Cost per session
    formula: marketing_cost / sessions
    unit: currency / sessions
    format: currency
  ok_roi:
    title: Return
    formula: (revenue - marketing_cost) / marketing_cost
    unit: ratio
    format: percent
"""

FORMAT_DATA = "date,revenue,conversions,sessions,marketing_cost\n2024-01-01,1234.5,3,7,10\n"


def lint_json(root, *extra: str) -> list[dict]:
    result = CliRunner().invoke(cli, ["lint", "-w", str(root), "--format", "json", *extra])
    return json.loads(result.stdout)["findings"]


def test_format_that_does_not_fit_the_unit(write_workspace):
    root = write_workspace({"k": FORMATS}, data=FORMAT_DATA)
    found = lint_json(root, "--data", str(root / "data.csv"))
    by_kpi = {f["kpi"]: f for f in found if f["code"] == "KPI214"}
    assert set(by_kpi) == {"f1", "f2", "f3"}
    lines = FORMATS.splitlines()
    f1 = by_kpi["f1"]
    assert f1["severity"] == "error" and f1["fix"] == "use `format: currency`"
    assert (f1["line"], f1["column"]) == (6, lines[5].index("percent") + 1)
    assert f"{1234.5 * 100:,.1f}%" in f1["message"]  # 123,450.0%
    f2 = by_kpi["f2"]
    assert f2["severity"] == "warning" and f2["fix"] == "use `format: percent`"
    assert (f2["line"], f2["column"]) == (11, lines[10].index("currency") + 1)
    f3 = by_kpi["f3"]  # a flow mapping: the column of `percent` on the entry's line
    assert (f3["line"], f3["column"]) == (12, lines[11].rindex("percent") + 1)
    assert "integer" in f3["fix"]


def test_the_library_and_sample_formats_fit():
    for ws in (kpiengine.load_workspace(None), kpiengine.load_workspace(sample_root())):
        report = Engine(ws).lint(kpis=list(ws.kpis))
        assert not [f for f in report.findings if f.code in ("KPI214", "KPI215")]


def sample_root():
    from kpiengine.resources import sample_workspace

    return sample_workspace()


TARGET_DATA = """\
date,conversions,sessions,revenue,marketing_cost
2024-01-01,3,100,1000,900
2024-02-01,4,100,1000,950
"""


def test_percent_targets_written_as_whole_numbers(write_workspace):
    """kpi.yaml `targets: {conversion_rate: 5, roi: 30}`: conversion rate declares range [0, 1]
    (an error), ROI has no range but runs at 5.3%-11.1% (a warning, with the data)."""
    kpi_yaml = "targets:\n  conversion_rate: 5\n  roi: 30\n  cac: 40\n"
    root = write_workspace(kpi_yaml=kpi_yaml, data=TARGET_DATA)
    found = [f for f in lint_json(root, "--data", str(root / "data.csv")) if f["code"] == "KPI215"]
    by_kpi = {f["kpi"]: f for f in found}
    assert set(by_kpi) == {"conversion_rate", "roi"}  # cac: money, no percent
    rate = by_kpi["conversion_rate"]
    assert rate["severity"] == "error"
    assert rate["file"].endswith("kpi.yaml") and (rate["line"], rate["column"]) == (2, 20)
    assert "500%" in rate["message"] and rate["fix"] == "did you mean `0.05` or `5%`?"
    roi = by_kpi["roi"]
    assert roi["severity"] == "warning" and (roi["line"], roi["column"]) == (3, 8)
    low, high = (1000 - 950) / 950, (1000 - 900) / 900  # 5.3% and 11.1%
    assert f"from {low * 100:.1f}% to {high * 100:.1f}%" in roi["message"]
    assert "3,000%" in roi["message"] and roi["fix"] == "did you mean `0.3` or `30%`?"
    # without data: the range still tells; an ROI target of 30 (3,000%) too; 3 (300%) may be meant
    assert {f["kpi"] for f in lint_json(root) if f["code"] == "KPI215"} == {
        "conversion_rate",
        "roi",
    }
    (root / "kpi.yaml").write_text("targets:\n  conversion_rate: 5%\n  roi: 3\n", "utf-8")
    assert [f for f in lint_json(root) if f["code"] == "KPI215"] == []


def test_percent_target_near_the_data_is_left(write_workspace):
    """An ROI that ran at 150% and 250% with a target of 3 (300%): no finding."""
    data = "date,revenue,marketing_cost\n2024-01-01,250,100\n2024-02-01,350,100\n"
    root = write_workspace(kpi_yaml="targets:\n  roi: 3\n", data=data)
    assert [
        f for f in lint_json(root, "--data", str(root / "data.csv")) if f["code"] == "KPI215"
    ] == []


def test_target_by_period_outside_the_range(write_workspace):
    definitions = """\
    kpis:
      close_share:
        title: Close share
        formula: deals_won / opportunities
        unit: deals / opportunities
        format: percent
        range: [0, 1]
        target: {2024-01: 0.2, 2024-02: 25}
    """
    root = write_workspace({"k": definitions})
    report = Engine(kpiengine.load_workspace(root)).lint()
    [finding] = [f for f in report.findings if f.code == "KPI215"]
    assert "the target for 2024-02 of `close_share` is 25" in finding.message
    assert finding.location.line == 8
    assert finding.fix == "did you mean `0.25` or `25%`?"
