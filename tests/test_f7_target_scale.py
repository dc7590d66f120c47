"""KPI215 compares a target with the KPI's values over the whole data, both ways: percent data
(45.5 for 45.5%) or `* 100` against a fraction target, a ratio target written as a percent
(400 for a 4x ROAS), an amount 1,000 times off (`60.000`, German for 60,000). A `%` target on
money or a count is an error; a target written in hexadecimal, octal or base 60 is KPI003."""

from __future__ import annotations

import json

from click.testing import CliRunner

from kpiengine.cli import cli

DEFINITIONS = """\
variables:
  engagement_pct: {unit: ratio, aggregate: mean}
kpis:
  engagement:
    title: {en: Engaged share}
    formula: engagement_pct
    unit: ratio
    format: percent
    target: 0.5
  conv_pct:
    title: {en: Conversion percent}
    formula: conversions / sessions * 100
    unit: conversions / sessions
    format: number
    target: 0.08
  conv_ok:
    title: {en: Conversion}
    formula: conversions / sessions
    unit: conversions / sessions
    format: percent
    target: {2024-01: 0.08, 2024-02: 0.05}
  engaged_by_month:
    formula: engagement_pct
    unit: ratio
    target: {2024-01: 50, 2024-02: 0.45}
"""
RATES = """\
date,channel,engagement_pct,conversions,sessions
2024-01-31,Search,45.5,50,1000
2024-01-31,Email,60.0,20,100
2024-02-29,Search,40,30,1000
2024-02-29,Email,50,10,100
"""
TARGETS = """\
data: data.csv
targets:
  roas: 400
  cpc: 50%
  sales_revenue: 60.000
  roi: 0x10
"""
AMOUNTS = """\
date,ad_spend,ad_revenue,clicks,revenue,marketing_cost
2024-01-31,3000,12000,600,60500,7000
2024-02-29,1000,3000,400,59000,7000
"""


def lint(root) -> dict[tuple[str | None, str], dict]:
    """The findings of `kpi lint --format json`, by (KPI, code)."""
    result = CliRunner().invoke(cli, ["lint", "-w", str(root), "--format", "json"])
    return {(f["kpi"], f["code"]): f for f in json.loads(result.stdout)["findings"]}


def test_percent_data_against_fraction_targets(write_workspace):
    root = write_workspace({"a": DEFINITIONS}, "name: t\ndata: data.csv\n", RATES)
    found = lint(root)
    lines = DEFINITIONS.splitlines()
    # engagement: the mean of 45.5 and 60 is 52.75 in 2024-01, of 40 and 50 is 45 in 2024-02
    engagement = found[("engagement", "KPI215")]
    assert engagement["severity"] == "warning"
    assert (engagement["line"], engagement["column"]) == (9, lines[8].index("0.5") + 1)
    assert "runs from 4,500.0% (45) to 5,275.0% (52.75)" in engagement["message"]
    assert "about 100 times below every value" in engagement["message"]
    assert "divide the percentage (`engagement_pct`) by 100" in engagement["fix"]
    assert "write the target as `50`" in engagement["fix"]
    # conv_pct: 70 / 1100 * 100 = 6.364 and 40 / 1100 * 100 = 3.636 against 0.08 (8%)
    assert round(70 / 1100 * 100, 3) == 6.364 and round(40 / 1100 * 100, 3) == 3.636
    conv = found[("conv_pct", "KPI215")]
    assert (conv["line"], conv["column"]) == (15, lines[14].index("0.08") + 1)
    assert "runs from 3.636 to 6.364" in conv["message"]
    assert "remove `* 100` from the formula" in conv["fix"] and "`8`" in conv["fix"]
    # the same rates as fractions (3.6% and 6.4%) are on the targets' scale
    assert ("conv_ok", "KPI215") not in found
    # a target by period: found at the period's value (50 is on the data's scale, 0.45 not)
    by_month = found[("engaged_by_month", "KPI215")]
    line = next(i for i, text in enumerate(lines) if "2024-02: 0.45" in text)
    assert (by_month["line"], by_month["column"]) == (line + 1, lines[line].index("0.45") + 1)
    assert by_month["message"].startswith("the target for 2024-02 of `engaged_by_month` is 0.45")


def test_targets_on_another_scale_than_the_data(write_workspace):
    root = write_workspace({}, "name: t\n" + TARGETS, AMOUNTS)
    found = lint(root)
    # ROAS: 12,000 / 3,000 = 4 and 3,000 / 1,000 = 3, against 400
    roas = found[("roas", "KPI215")]
    assert roas["severity"] == "warning" and (roas["line"], roas["column"]) == (4, 9)
    assert "about 100 times above every value" in roas["message"]
    assert roas["fix"] == "did you mean `4` or `400%`?"
    # CPC is money: `50%` (0.5) is an error, whatever the data
    cpc = found[("cpc", "KPI215")]
    assert cpc["severity"] == "error" and (cpc["line"], cpc["column"]) == (5, 8)
    assert "written `50%`, which reads as 0.5" in cpc["message"]
    # revenue 60,500 and 59,000 against 60 (`60.000`): about 1,000 times
    revenue = found[("sales_revenue", "KPI215")]
    assert (revenue["line"], revenue["column"]) == (6, 18)
    assert "about 1,000 times below every value" in revenue["message"]
    assert "`60.000` is 60 in YAML, not 60,000" in revenue["message"]
    assert revenue["fix"].startswith("write `60000`")
    hexadecimal = found[("roi", "KPI003")]
    assert (hexadecimal["line"], hexadecimal["column"]) == (7, 8)
    assert "`0x10`, a hexadecimal number, which YAML reads as 16" in hexadecimal["message"]


def test_notation_is_checked_without_data(write_workspace):
    kpi_yaml = (
        "name: t\ntargets:\n  sales_revenue: 60.000\n"
        "  roas: {2024-01: 017, 2024-02: 3}\n  cac: 1:30\n"
    )
    found = lint(write_workspace({}, kpi_yaml))
    thousands = found[("sales_revenue", "KPI215")]
    assert thousands["severity"] == "warning"
    assert (thousands["line"], thousands["column"]) == (3, 18)
    assert "YAML reads as 60" in thousands["message"] and "60000" in thousands["fix"]
    octal = found[("roas", "KPI003")]
    assert (octal["line"], octal["column"]) == (4, kpi_yaml.splitlines()[3].index("017") + 1)
    assert "`017`, an octal number (a leading zero), which YAML reads as 15" in octal["message"]
    sixty = found[("cac", "KPI003")]  # 1 * 60 + 30
    assert "`1:30`, a number in base 60, which YAML reads as 90" in sixty["message"]
