"""The sample's December 2024 holds 18 of 31 days: partial, projected, and never the default."""

from __future__ import annotations

import csv
import json
import re

import pytest
from click.testing import CliRunner

import kpiengine
from kpiengine.cli import cli

SAMPLE = kpiengine.sample_workspace()


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--sample"], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def _won_revenue(lo: str, hi: str) -> float:
    """Closed-won amounts by close date, from the HubSpot export, with the csv module."""
    total = 0.0
    with (SAMPLE / "exports" / "hubspot_deals.csv").open(encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            won = row["Deal Stage"].strip().lower() in ("closed won", "closedwon")
            if won and lo <= row["Close Date"][:10] <= hi and row["Amount"].strip():
                total += float(row["Amount"].replace(",", "").replace("€", "").strip() or 0)
    return total


def test_december_is_partial_projected_above_target_and_not_off_track():
    [row] = [
        r
        for r in json.loads(
            _run("eval", "--kpi", "sales_revenue", "--period", "current", "--format", "json")
        )
        if not r["segment"]
    ]
    assert row["period"] == "2024-12"
    assert row["complete"] is False and row["coverage"] == pytest.approx(18 / 31)
    assert row["value"] == pytest.approx(_won_revenue("2024-12-01", "2024-12-31"), abs=0.01)
    assert row["previous"] == pytest.approx(_won_revenue("2024-11-01", "2024-11-18"), abs=0.01)
    assert row["target"] == pytest.approx(30000)
    assert row["projected"] > 30000 and row["p_target"] > 0.5
    assert row["status"] != "off_track" and row["status_basis"] == "projection"


def test_every_command_defaults_to_november():
    table = _run("eval", "--kpi", "sales_revenue")
    assert "2024-11" in table and "2024-12 (18/31 d) is partial" in table
    assert json.loads(_run("solve", "roi", "--format", "json"))[0]["period"] == "2024-11"
    assert json.loads(_run("drivers", "roi", "--format", "json"))["period"] == "2024-11"
    assert json.loads(_run("explain", "roi", "--format", "json"))["end"] == "2024-11"


def test_the_plan_does_not_learn_from_the_partial_december():
    plan = json.loads(
        _run("plan", "sales_revenue", "--annual", "360000", "--year", "2025", "--format", "json")
    )
    december = next(m for m in plan["months"] if m["label"] == "2025-12")
    # the sample's December is a peak month (~10.4% of a year); learnt from 18 days it was 6.3%
    assert 0.094 <= december["weight"] <= 0.114
    assert "2024-12 is partial" in plan["weights"]


def test_the_report_of_the_current_period_shows_it_partial_with_its_projection(tmp_path):
    out = tmp_path / "current.html"
    _run("report", "--period", "current", "-o", str(out))
    html = out.read_text()
    section = html[html.index('<section class="kpi card" id="kpi-sales_revenue"') :]
    section = section[: section.index("</section>")]
    assert 'data-covered="18" data-days="31"' in section and "18 of 31 days" in section
    [row] = [
        r
        for r in json.loads(
            _run("eval", "--kpi", "sales_revenue", "--period", "current", "--format", "json")
        )
        if not r["segment"]
    ]
    pace = re.search(r'data-projected="([^"]+)" data-low="([^"]+)" data-high="([^"]+)"', section)
    assert pace is not None
    shown = [float(x) for x in pace.groups()]
    expected = [row["projected"], row["projected_low"], row["projected_high"]]
    assert shown == pytest.approx(expected, rel=1e-9)  # the same run of the same inputs
    assert "data-projection" in section  # the trend chart's whisker


def test_the_table_of_the_current_period_shows_the_projection_its_status_is_judged_on():
    [row] = [
        r
        for r in json.loads(
            _run("eval", "--kpi", "sales_revenue", "--period", "current", "--format", "json")
        )
        if not r["segment"]
    ]
    assert row["status_basis"] == "projection"
    table = _run("eval", "--kpi", "sales_revenue", "--period", "current")
    assert "2024-12 (18/31 d)" in table
    assert f"projected €{row['projected']:,.2f}" in table


def test_sources_cover_what_their_files_say():
    """Monthly rows cover their months, up to the export's own end date (`End date: 20241218`);
    a monthly cost sheet covers its last month whole."""
    from kpiengine.engine import Engine
    from kpiengine.workspace import load_workspace

    exports = SAMPLE / "exports"
    preamble = (exports / "ga4_users_by_month.csv").read_text().splitlines()
    end = next(line.split(": ")[1] for line in preamble if line.startswith("# End date"))
    results = Engine(load_workspace(SAMPLE)).evaluate(
        None, kpis=["traffic_to_customer_ratio", "cac"]
    )
    coverage = {s.name: s.coverage for s in results.sources if s.coverage}
    assert coverage["ga4_users"][1].strftime("%Y%m%d") == end
    with open(SAMPLE / "costs" / "marketing_costs.csv", encoding="utf-8") as f:
        months = {row[0] for row in csv.reader(f, delimiter=";") if row and "/" in row[0]}
    last = max(months, key=lambda m: (m.split("/")[1], m.split("/")[0]))
    assert coverage["costs"][1].isoformat()[:7] == f"{last[3:]}-{last[:2]}"
    assert coverage["costs"][1].day == 31  # December
