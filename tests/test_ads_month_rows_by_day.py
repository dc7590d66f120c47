"""Rows of whole months (a Google Ads `Month` segment, a Microsoft `Report Aggregation: Monthly`
report) asked for by day: no day can count them. Was: each month's total counted on its 1st
(July 1 = the whole of July's spend, the days after it 0), and `kpi lint` said "2025-07 holds 1
of 31 days of data". Microsoft widens a monthly report's `Report Time` to whole months (its
ReportAggregation reference: "We don't support partial data aggregation for weekly, monthly, and
yearly time period columns"), so June is whole there; Google counts only the range's days."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli

DEFS = "kpis:\n  spend: {title: Spend, formula: ad_spend, unit: currency, format: currency}\n"
GOOGLE = (
    "\ufeffCampaign report\n"
    '"June 1, 2025 - July 31, 2025"\n'
    "Month,Campaign,Currency code,Impr.,Clicks,Cost,Conversions\n"
    "2025-06-01,Brand,USD,1000,100,100.00,5.00\n"
    "2025-07-01,Brand,USD,1000,100,200.00,5.00\n"
    "Total: Account,--,USD,2000,200,300.00,10.00\n"
)
MICROSOFT = (
    '\ufeff"Report Name: Campaign Performance Monthly"\n'
    '"Report Time: 6/15/2025,7/31/2025"\n'
    '"Time Zone: (GMT-08:00) Pacific Time (US & Canada); Tijuana"\n'
    '"Last Completed Available Day: 8/20/2025 10:15:00 AM (GMT)"\n'
    '"Last Completed Available Hour: 8/20/2025 10:15:00 AM (GMT)"\n'
    '"Report Aggregation: Monthly"\n'
    '"Report Filter: "\n'
    '"Potential Incomplete Data: false"\n'
    '"Rows: 2"\n'
    "\n"
    '"TimePeriod","AccountName","CampaignName","CampaignId","CurrencyCode","Impressions",'
    '"Clicks","Spend","Conversions"\n'
    '"2025-06-01","Contoso","Brand","411","USD","1000","100","100.00","5"\n'
    '"2025-07-01","Contoso","Brand","411","USD","1000","100","200.00","5"\n'
    "\n"
    '"©2025 Microsoft Corporation. All rights reserved. "\n'
)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-12-07")

    def make(text: str) -> Path:
        (tmp_path / "definitions").mkdir()
        (tmp_path / "definitions" / "d.yaml").write_text(DEFS, "utf-8")
        source = "currency: USD\nsources:\n  s:\n    connector: ads\n    path: r.csv\n"
        (tmp_path / "kpi.yaml").write_text(source, "utf-8")
        (tmp_path / "r.csv").write_text(text, "utf-8")
        return tmp_path

    return make


@pytest.mark.parametrize("text", [GOOGLE, MICROSOFT], ids=["google", "microsoft"])
def test_months_by_day_are_no_days(workspace, text):
    root = workspace(text)
    out = CliRunner().invoke(cli, ["eval", "-w", str(root), "--grain", "day"])
    assert out.exit_code == 2 and "whole months, which no day can count" in out.output
    lint = CliRunner().invoke(cli, ["lint", "-w", str(root), "--format", "json"])
    assert lint.exit_code == 0, lint.output
    assert not [f for f in json.loads(lint.stdout)["findings"] if f["code"] == "KPI307"]
    monthly = CliRunner().invoke(cli, ["eval", "-w", str(root), "--format", "json"])
    got = {r["period"]: r for r in json.loads(monthly.stdout) if not r["segment"]}
    assert got["2025-06"]["value"] == 100.0 and got["2025-07"]["value"] == 200.0
    assert got["2025-07"]["complete"] is True
