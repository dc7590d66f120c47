"""Static checks: one fixture per check (a trigger and a near-miss), and the articles' cases."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import kpiengine
from kpiengine.checks.base import Check
from kpiengine.engine import Engine

FIXTURES = Path(__file__).parent / "fixtures" / "lint"
CODES = sorted(p.stem for p in FIXTURES.glob("KPI*.yaml"))


def fixture_workspace(tmp_path: Path, code: str):
    root = tmp_path / code
    (root / "definitions").mkdir(parents=True)
    shutil.copy(FIXTURES / f"{code}.yaml", root / "definitions" / f"{code}.yaml")
    return kpiengine.load_workspace(root)


def findings(ws, kpi_id: str, code: str) -> list:
    report = Engine(ws).lint(kpis=[kpi_id])
    return [f for f in [*report.findings, *(s.finding for s in report.silenced)] if f.code == code]


@pytest.mark.parametrize("code", CODES)
def test_fixture_triggers_and_near_miss_does_not(tmp_path, code):
    ws = fixture_workspace(tmp_path, code)
    own = [k for k in ws.kpis.values() if k.layer == "workspace"]
    near = [k.id for k in own if k.id.startswith("near_miss") or "near_miss" in k.tags]
    triggers = [k.id for k in own if k.id not in near]
    assert triggers and near
    for kpi_id in triggers:
        found = findings(ws, kpi_id, code)
        assert found, f"{code} not reported for {kpi_id}"
        assert all(f.location and f.location.line > 0 for f in found)
        assert all(f.fix for f in found)
    for kpi_id in near:
        assert findings(ws, kpi_id, code) == [], f"{code} reported for near-miss {kpi_id}"


def test_every_builtin_static_check_has_a_fixture():
    checks = Engine(kpiengine.load_workspace(None)).checks
    static = {r.obj.code for r in checks if r.obj.stage == "static" and r.obj.run is not Check.run}
    assert static <= set(CODES)


# --- the articles' cases, with the articles' numbers -----------------------------------------

ARTICLES = """\
variables:
  cost: {unit: currency}
  retention_months: {unit: month, aggregate: mean}
kpis:
  roi_as_written:
    title: ROI as articles 000 and 001 write it
    formula: revenue - cost / cost
    unit: ratio
    format: percent
    examples:
      - given: {revenue: 10000, cost: 7000}
        expect: 0.428571
  conversion_as_written:
    title: Article 004's conversion rate (visitors divided by customers)
    formula: visitors / new_customers
    unit: customers / visitors
    format: percent
    examples:
      - given: {visitors: 100000, new_customers: 5000}
        expect: 0.05
  ltv_months:
    title: Article 000's LTV (retention in months)
    formula: average_order_value * purchase_frequency * retention_months
    unit: currency / customers
    format: currency
    examples:
      - given: {average_order_value: 150, purchase_frequency: 3, retention_months: 12}
        expect: 450
  retention_pct:
    title: Article 002's retention rate
    formula: ((customers_at_end - new_customers) / customers_at_start) * 100
    unit: ratio
    format: percent
    examples:
      - given: {customers_at_end: 1200, new_customers: 300, customers_at_start: 1000}
        expect: 90
"""


@pytest.fixture
def articles(write_workspace):
    return kpiengine.load_workspace(write_workspace({"articles": ARTICLES}))


def by_code(ws, kpi_id):
    report = Engine(ws).lint(kpis=[kpi_id])
    out: dict[str, list] = {}
    for f in report.findings:
        out.setdefault(f.code, []).append(f)
    return out


def test_roi_without_parentheses_gives_9999(articles):
    found = by_code(articles, "roi_as_written")
    assert 10000 - 7000 / 7000 == 9999
    [precedence] = found["KPI201"]
    assert precedence.severity == "error"
    assert "`cost / cost` is always 1" in precedence.message
    assert "9,999" in precedence.message and "0.428571" in precedence.message
    assert precedence.fix == "did you mean `(revenue - cost) / cost`?"
    assert precedence.location.column == 14 + len("revenue - ")  # at `cost / cost`
    [clash] = found["KPI101"]  # the unit clash, with the consistent reading
    assert "(revenue - cost) / cost" in clash.fix
    [explained] = found["KPI206"]
    assert "`(revenue - cost) / cost` gives 0.428571" in explained.message


def test_visitors_over_customers_called_a_conversion_rate(articles):
    found = by_code(articles, "conversion_as_written")
    assert "inverted" in found["KPI102"][0].message
    [explained] = found["KPI206"]
    assert 100000 / 5000 == 20
    assert "swapped: 1 / 20 = 0.05" in explained.message


def test_ltv_months_times_per_year(articles):
    found = by_code(articles, "ltv_months")
    assert "1/12" in found["KPI103"][0].message
    [explained] = found["KPI206"]
    assert 150 * 3 * 12 == 5400 and 150 * 3 * 1 == 450
    assert "450 is 5,400 divided by 12 (months in a year)" in explained.message


def test_retention_times_100_with_percent_format(articles):
    [scaling] = by_code(articles, "retention_pct")["KPI202"]
    assert (1200 - 300) / 1000 * 100 == 90
    assert "90 shows as 9,000% instead of 90.00%" in scaling.message
    line = ARTICLES.splitlines().index("  retention_pct:") + 3
    assert scaling.location.line == line


def test_builtin_roi_reported_truncated(tmp_path):
    ws = kpiengine.load_workspace(None)
    report = Engine(ws).lint(kpis=["roi"])
    found = report.findings + [s.finding for s in report.silenced]
    reported = [f for f in found if f.code == "KPI206"]
    assert len(reported) == 2  # articles 000 and 001
    assert "truncated instead of rounded" in reported[0].message
    assert "0.42" in reported[0].message and "0.43" in reported[0].message


def test_builtin_ltv_reported_5400_is_a_time_factor():
    report = Engine(kpiengine.load_workspace(None)).lint(kpis=["ltv"])
    found = report.findings + [s.finding for s in report.silenced]
    messages = [f.message for f in found if f.code == "KPI206"]
    assert messages and all("multiplied by 12 (months in a year)" in m for m in messages)


def test_cltv_is_profit_per_acquisition_not_ltv(tmp_path):
    ws = fixture_workspace(tmp_path, "KPI208")
    [same_name] = findings(ws, "cltv", "KPI208")
    assert "`ltv` (alias `cltv`)" in same_name.message
    assert "revenue_per_customer - cac" in same_name.message
    # and it is a duplicate of the library's profit_per_acquisition
    [duplicate] = findings(ws, "cltv", "KPI209")
    assert "profit_per_acquisition" in duplicate.message


def test_override_with_another_formula_is_noted(write_workspace):
    root = write_workspace(
        {
            "cac": "kpis:\n  cac: {title: CAC, formula: marketing_cost / new_customers, "
            "unit: currency / customers}\n"
        }
    )
    [note] = findings(kpiengine.load_workspace(root), "cac", "KPI208")
    assert (
        note.severity == "info" and "(marketing_cost + sales_cost) / new_customers" in note.message
    )


def test_per_thousand_numbers(tmp_path):
    [finding] = findings(fixture_workspace(tmp_path, "KPI210"), "trigger", "KPI210")
    assert "0.003 instead of 3" in finding.message


def test_roi_as_roas_numbers(tmp_path):
    [finding] = findings(fixture_workspace(tmp_path, "KPI204"), "trigger", "KPI204")
    assert "1.42857 where the ROI would be 0.428571" in finding.message
