"""Undated GA exports of a partial period, and a bad `grain:`, through the engine and the CLI.

Expected values are computed here from the fixture text with the csv module, not by kpiengine.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re

import pytest
from click.testing import CliRunner

import kpiengine
from kpiengine.cli import cli

GA4_HALF_MONTH = """\
# ----------------------------------------
# Traffic acquisition: Session primary channel group (Default Channel Group)
# Account: Demo
# Property: demo.example - GA4
# ----------------------------------------
#
# All Users
# Start date: 20250101
# End date: 20250115
Session primary channel group (Default Channel Group),Users,Sessions,Engaged sessions
Grand total,2500,3100,1900
Organic Search,1500,1800,1100
Direct,1000,1300,800
"""

UA_THREE_DAYS = """\
# ----------------------------------------
# All Web Site Data
# Channels
# 20240601-20240603
# ----------------------------------------

Default Channel Grouping,Users,Sessions,Bounce Rate
Organic Search,"1,234","1,500",45.67%
Direct,766,"1,000",40.00%
,"2,000","2,500",43.40%

# ----------------------------------------

Day Index,Sessions
6/1/24,800
6/2/24,900
6/3/24,800
,"2,500"
"""

DEFS = {
    "raw": """\
    kpis:
      k_sessions: {formula: sessions, unit: sessions, format: number, direction: higher}
    """
}


def _rows(text: str, header_start: str) -> tuple[list[str], list[list[str]]]:
    """The header and data rows (not the totals) of the table whose header starts so."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    header, *rows = list(csv.reader(io.StringIO("\n".join(lines[start:end]))))
    return header, [r for r in rows if r[0] and r[0] != "Grand total"]


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _workspace(write_workspace, text: str, grain: str | None = "month"):
    grain_line = "grain:\n" if grain is None else f"grain: {grain}\n"
    root = write_workspace(
        DEFS, grain_line + "sources:\n  ga:\n    connector: ga_export\n    path: ga.csv\n"
    )
    (root / "ga.csv").write_text(text, "utf-8")
    return root


def _eval(root, *args):
    return CliRunner().invoke(cli, ["eval", "--workspace", str(root), "--format", "json", *args])


def test_ga4_half_month_without_dates_is_one_range_period(write_workspace):
    """Was: `error: the data covers 2025-01-01 to 2025-01-15 without dates` (the daily re-fetch
    for the partial month's projection found no days)."""
    root = _workspace(write_workspace, GA4_HALF_MONTH)
    result = _eval(root, "--kpi", "k_sessions", "--kpi", "bounce_rate")
    assert result.exit_code in (0, 1), result.output
    rows = json.loads(result.stdout)
    assert {r["period"] for r in rows} == {"2025-01-01/2025-01-15"}
    header, data = _rows(GA4_HALF_MONTH, "Session primary")
    sessions = sum(_number(r[header.index("Sessions")]) for r in data)
    engaged = sum(_number(r[header.index("Engaged sessions")]) for r in data)
    total = {r["kpi"]: r for r in rows if not r["segment"]}
    assert total["k_sessions"]["value"] == sessions == 3100
    assert total["bounce_rate"]["value"] == pytest.approx(1 - engaged / sessions)
    assert total["k_sessions"]["complete"] and total["k_sessions"]["projected"] is None
    lint = CliRunner().invoke(cli, ["lint", "--workspace", str(root)])
    assert lint.exit_code in (0, 1), lint.output


@pytest.mark.parametrize("grain", ["month", "day"])
def test_ua_three_days_without_dated_bounces_is_one_range_period(write_workspace, grain):
    """Was, by month: `some variables come from a table without dates, others from a dated one`
    (the daily re-fetch took sessions from Day Index, bounces from the undated table); by day
    too. Now every variable comes from the undated table: one period, its range."""
    root = _workspace(write_workspace, UA_THREE_DAYS, grain)
    result = _eval(root, "--kpi", "bounce_rate", "--kpi", "k_sessions")
    assert result.exit_code in (0, 1), result.output
    rows = json.loads(result.stdout)
    assert {r["period"] for r in rows} == {"2024-06-01/2024-06-03"}
    header, data = _rows(UA_THREE_DAYS, "Default Channel")
    sessions = [_number(r[header.index("Sessions")]) for r in data]
    rates = [float(r[header.index("Bounce Rate")].rstrip("%")) / 100 for r in data]
    bounces = sum(math.floor(rate * n + 0.5) for rate, n in zip(rates, sessions, strict=True))
    total = {r["kpi"]: r["value"] for r in rows if not r["segment"]}
    assert total["bounce_rate"] == pytest.approx(bounces / sum(sessions))  # 1085 / 2500
    assert total["k_sessions"] == sum(sessions) == 2500


def test_undated_source_beside_daily_data_is_not_projected(write_workspace):
    """A partial month whose sessions come from an undated export beside daily data: the
    sessions have no days to project from, so no projection (was: the sessions so far, as if
    none came in the rest of the month); the dated KPI keeps its projection."""
    days = [dt.date(2024, 11, 1) + dt.timedelta(days=i) for i in range(76)]  # to 2025-01-15
    data = "date,revenue,marketing_cost\n" + "".join(f"{d},100,80\n" for d in days)
    root = write_workspace(
        DEFS,
        "data: data.csv\ngrain: month\nsources:\n  ga:\n    connector: ga_export\n"
        "    path: ga.csv\n",
        data,
    )
    (root / "ga.csv").write_text(GA4_HALF_MONTH, "utf-8")
    results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["k_sessions", "roi"])
    rows = {(r["kpi"], r["period"]): r for r in results.records() if not r["segment"]}
    sessions = rows[("k_sessions", "2025-01")]
    assert sessions["value"] == 3100 and not sessions["complete"]
    assert sessions["projected"] is None and sessions["status_basis"] == "value"
    assert rows[("roi", "2025-01")]["projected"] == pytest.approx((100 - 80) / 80)


def test_an_empty_grain_is_a_usage_error_naming_kpi_yaml(write_workspace):
    """Was: KPI012, `ga_export` `fetch()` raised PeriodError: unknown grain `None`."""
    root = _workspace(write_workspace, GA4_HALF_MONTH.replace("20250115", "20250131"), None)
    result = _eval(root, "--kpi", "k_sessions")
    assert result.exit_code == 2, result.output
    assert "kpi.yaml:1:" in result.output
    assert "`grain` is nothing (null), not one of day, week, month, quarter, year" in result.output
    assert "KPI012" not in result.output and "PeriodError" not in result.output


def test_a_report_on_one_range_period_names_its_data_range_once(write_workspace):
    root = _workspace(write_workspace, GA4_HALF_MONTH)
    for fmt in ("md", "html"):
        out = CliRunner().invoke(
            cli, ["report", "--workspace", str(root), "--format", fmt, "-o", "-"]
        )
        assert out.exit_code in (0, 1), out.output
        text = re.sub(r"<[^>]+>", "", out.stdout).replace("\u2009", " ")  # the HTML's text
        assert "Jan 1 – 15, 2025" in text, fmt
        assert "Jan 1 – 15, 2025 – Jan 1 – 15, 2025" not in text, fmt
