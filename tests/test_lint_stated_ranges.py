"""KPI307 reads the days each source covers as `kpi eval` does: a file's stated range, not its
first and last rows (Google Ads files stating February whose only row is on the 10th)."""

from __future__ import annotations

import pytest

import kpiengine
from kpiengine.engine import Engine
from kpiengine.report.findings import report_findings

KPI_YAML = """\
currency: EUR
grain: month
kpis: [ad_spend_total]
sources:
  src:
    connector: ads
    path: exports/*
"""
DEFS = """\
kpis:
  ad_spend_total:
    title: Ad spend
    formula: ad_spend
    unit: currency
    format: currency
"""
HEADER = "Day,Campaign,Currency code,Impr.,Clicks,Cost,Conversions\r\n"
JAN = (
    'Campaign report\r\n"January 1, 2024 - January 31, 2024"\r\n'
    + HEADER
    + "2024-01-02,A,EUR,1000,20,10.25,2.00\r\n2024-01-30,A,EUR,2000,40,20.25,1.00\r\n"
    + "Total: Account,,EUR,3000,60,30.50,3.00\r\n"
)


def feb(last_day: int) -> str:
    return (
        f'Campaign report\r\n"February 1, 2024 - February {last_day}, 2024"\r\n'
        + HEADER
        + "2024-02-10,A,EUR,500,5,5.00,1.00\r\nTotal: Account,,EUR,500,5,5.00,1.00\r\n"
    )


@pytest.fixture
def engine(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-12-31")

    def make(last_day: int) -> Engine:
        root = write_workspace({"k": DEFS}, KPI_YAML)
        (root / "exports").mkdir(exist_ok=True)
        (root / "exports" / "jan.csv").write_bytes(JAN.encode())
        (root / "exports" / "feb.csv").write_bytes(feb(last_day).encode())
        return Engine(kpiengine.load_workspace(root))

    return make


def partial(findings) -> list[str]:
    return [f.message for f in findings if f.code == "KPI307"]


def test_a_stated_month_is_whole_in_lint_and_report_as_in_eval(engine):
    run = engine(29)  # February 1-29 stated, its only spend on the 10th
    results = run.evaluate(kpis=["ad_spend_total"])
    assert results.kpis["ad_spend_total"].coverage[-1] == 1.0
    assert partial(run.lint(True).findings) == []
    found, _ = report_findings(run, results, results.labels.index("2024-02"))
    assert partial(found) == []


def test_an_export_taken_mid_month_is_the_month_so_far(engine):
    run = engine(10)  # February 1-10 stated: 10 of its 29 days
    results = run.evaluate(kpis=["ad_spend_total"])
    assert results.kpis["ad_spend_total"].coverage[-1] == pytest.approx(10 / 29)
    [message] = partial(run.lint(True).findings)
    assert message.startswith("2024-02 holds 10 of 29 days of data (to 2024-02-10)")
