"""What the analysis shows a user, checked against values worked out by hand: the report's
"+1%" effect is the KPI's exact change (not the elasticity), a count needed to reach a target is
the whole number that reaches it, an undefined KPI says why (not "a rate"), the driver tree and
`kpi plan` write values in their format and currency, and the missing-input fix names the key
of the workspace's own sources.

Numbers (2024-06, total): marketing_cost 11,752.93, sales_cost 2,953.04, new_customers 97,
revenue 54,589.49, sessions 15,117, conversions 619. CAC = 14,705.97 / 97 = 151.61.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from test_report import parse

import kpiengine
from kpiengine.analysis import Context, solve_for
from kpiengine.cli import cli
from kpiengine.engine import load_context
from kpiengine.report import render_report

NOW = dt.datetime(2024, 7, 15, 8, 0, tzinfo=dt.UTC)
COSTS = 11752.93 + 2953.04  # marketing + sales cost in 2024-06: 14,705.97

DATA = """\
date,channel,marketing_cost,sales_cost,new_customers,revenue,sessions,conversions
2024-05-01,Search,6100.00,1400.00,55,30000.00,8000,330
2024-05-01,Social,5859.63,1721.61,0,20000.00,7000,300
2024-06-01,Search,6000.00,1500.00,60,30000.00,8000,330
2024-06-01,Social,5752.93,1453.04,37,24589.49,7117,289
"""


@pytest.fixture
def shop(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-07-15")
    return write_workspace(
        kpi_yaml="""\
        name: Counts
        currency: EUR
        grain: month
        data: data.csv
        kpis: [cac, roi, conversion_rate]
        targets: {cac: 150, conversion_rate: 0.05}
        """,
        data=DATA,
    )


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.stderr  # 1: lint findings of the workspace
    return result.stdout


def context(root) -> Context:
    ws = kpiengine.load_workspace(root)
    return load_context(ws, ["cac", "roi", "conversion_rate"], by=["channel"])


# --- 6: the report's "+1%" effect is exact ------------------------------------------------------


def test_report_effect_of_one_percent_is_the_exact_change(shop):
    results = kpiengine.evaluate(kpiengine.load_workspace(shop), by=["channel"])
    markdown = render_report(results, "md", period="2024-06", generated_at=NOW)
    section = markdown.split("(`cac`)\n", 1)[1].split("\n### ", 1)[0]
    # +1% customers: CAC x 1/1.01, -0.990%; the elasticity is -1 (it showed "-1.00%")
    assert "+1% `new_customers` → **-0.99%**" in section
    # +1% marketing cost: +117.5293 / 14,705.97 = +0.7992%
    assert "+1% `marketing_cost` → **+0.80%**" in section
    html = render_report(results, "html", period="2024-06", generated_at=NOW)
    cac = parse(html).find("section", **{"data-kpi": "cac"})
    drivers = {li.attrs["data-input"]: li for li in cac.find_all("li", class_="driver")}
    assert float(drivers["new_customers"].attrs["data-effect"]) == pytest.approx(
        100 * (1 / 1.01 - 1), rel=1e-9
    )
    # the elasticity is still there, under its own name
    assert float(drivers["new_customers"].attrs["data-elasticity"]) == pytest.approx(-1)
    sales = float(drivers["sales_cost"].attrs["data-effect"])
    assert sales == pytest.approx(100 * 29.5304 / COSTS, rel=1e-9)


# --- 7: counts needed are whole -----------------------------------------------------------------


def test_solve_needs_the_whole_count_that_reaches_a_lower_is_better_target(shop):
    ctx = context(shop)
    result = solve_for(ctx, "cac", 150, "new_customers", "2024-06")
    (solution,) = result.solutions
    assert solution.value == pytest.approx(COSTS / 150)  # 98.0398, kept exact
    # 98 customers: CAC 150.06 > 150; 99: 148.55
    assert COSTS / 98 > 150 > COSTS / 99
    assert solution.whole == 99
    assert solution.whole_kpi_value == pytest.approx(COSTS / 99)
    assert solution.whole_change == 2 and solution.whole_change_pct == pytest.approx(2 / 97)
    # money is no count: the cost needed stays to the cent, with no whole number
    (cost,) = solve_for(ctx, "cac", 150, "marketing_cost", "2024-06").solutions
    assert cost.value == pytest.approx(150 * 97 - 2953.04) and cost.whole is None


def test_solve_rounds_counts_toward_a_higher_is_better_target(shop):
    ctx = context(shop)
    (conversions,) = solve_for(ctx, "conversion_rate", 0.05, "conversions", "2024-06").solutions
    assert conversions.value == pytest.approx(0.05 * 15117)  # 755.85
    assert conversions.whole == 756  # 755 / 15,117 = 4.994% < 5%
    (sessions,) = solve_for(ctx, "conversion_rate", 0.05, "sessions", "2024-06").solutions
    assert sessions.value == pytest.approx(12380) and sessions.whole == 12380  # at most 12,380


def test_solve_command_shows_the_whole_count(shop):
    out = run("solve", "cac", "-w", shop, "--target", "150", "--period", "2024-06")
    row = next(line for line in out.splitlines() if line.startswith("new_customers "))
    assert row.split()[1:4] == ["97", "99", "+2"], row
    assert "98.04" not in row
    assert "counted whole: 99 gives cac €148.55 (exactly 98.04 would give the target)" in out
    args = ["--period", "2024-06", "--for", "new_customers", "--format", "json"]
    data = json.loads(run("solve", "cac", "-w", shop, "--target", "150", *args))
    (solution,) = data[0]["solutions"]
    assert solution["value"] == pytest.approx(98.0398) and solution["whole"] == 99


def test_report_needs_show_the_whole_count(shop):
    results = kpiengine.evaluate(kpiengine.load_workspace(shop), by=["channel"])
    html = render_report(results, "html", period="2024-06", generated_at=NOW)
    cac = parse(html).find("section", **{"data-kpi": "cac"})
    row = cac.find("table", class_="needs").find("tr", **{"data-input": "new_customers"})
    assert float(row.attrs["data-needed"]) == pytest.approx(COSTS / 150)
    assert row.attrs["data-whole"] == "99.0"
    assert row.find("td", class_="needed").text().strip() == "99"
    markdown = render_report(results, "md", period="2024-06", generated_at=NOW)
    assert "| `new_customers` | 97 | 99 | +2 (+2.1%) |" in markdown


# --- 8: undefined KPIs, the tree's formats, the plan's currency ---------------------------------


def test_drivers_of_an_undefined_cac_say_why_not_that_it_is_a_rate(shop):
    out = run("drivers", "cac", "-w", shop, "--period", "2024-05", "--segment", "channel=Social")
    assert "is a rate" not in out
    assert "`cac` is undefined in 2024-05 (channel=Social): `new_customers` is 0" in out
    assert "├─ marketing_cost = €5,859.63" in out  # not 5,860


def test_driver_tree_values_in_their_format_and_exact_effects(shop):
    out = run("drivers", "roi", "-w", shop, "--period", "2024-06")
    roi = 54589.49 / 11752.93 - 1  # 3.6448: 364.5%
    assert f"roi = {roi:.1%}" in out and "roi = 364.5%" in out
    assert "marketing_cost = €11,752.93" in out and "revenue = €54,589.49" in out
    data = json.loads(run("drivers", "roi", "-w", shop, "--period", "2024-06", "--format", "json"))
    cost = next(c for c in data["tree"]["children"] if c["name"] == "marketing_cost")
    exact = (roi + 1) * (1 / 1.01 - 1)  # -0.04599; the linear estimate is -0.04645
    assert cost["change_1pct"] == pytest.approx(exact, rel=1e-9)
    assert cost["impact_1pct"] == pytest.approx(-(roi + 1) / 100, rel=1e-9)


def test_plan_writes_money_with_the_workspace_currency(shop):
    out = run("plan", "roi", "-w", shop, "--target", "2", "--given", "marketing_cost=10000",
              "--year", "2024")  # fmt: skip
    # ROI 200% with cost 10,000 needs revenue 30,000 a month, 360,000 a year
    assert out.startswith(
        "to reach roi 200.0% with marketing_cost €10,000.00/month, revenue must be "
        "€30,000.00/month (€360,000.00 in 2024)"
    )


# --- 9: the fix of a missing input names the key of the source's connector --------------------


def test_missing_inputs_fix_names_map_for_a_data_file(write_workspace):
    root = write_workspace(
        kpi_yaml="name: W\ngrain: month\ndata: data.csv\n",
        data="date,sessions\n2024-01-01,10\n",
    )
    result = CliRunner().invoke(cli, ["eval", "-w", str(root), "--kpi", "cac"])
    assert result.exit_code == 2
    assert "`columns:`" not in result.stderr
    assert "`map: {variable: column}`" in result.stderr and "sources:" in result.stderr


def test_missing_inputs_fix_names_columns_for_a_crm_source(write_workspace):
    from kpiengine.plan import _missing_fix

    root = write_workspace(
        kpi_yaml="""\
        name: W
        sources:
          deals: {connector: crm, path: deals.csv}
          sheet: {connector: csv, path: data.csv}
        """,
        data="date,sessions\n2024-01-01,10\n",
    )
    fix = _missing_fix(kpiengine.load_workspace(root))
    assert "`map: {variable: column}`" in fix
    assert "in a crm source, `columns:`" in fix and "in a csv source" not in fix
