"""`kpi plan` shows a count it derives whole, as `kpi solve` does: rounded toward the side of the
target the KPI's direction calls reached, the KPI's value at that whole count shown as reached,
and the exact value kept in JSON with the same `whole*` fields.

Worked by hand (CAC = (marketing_cost + sales_cost) / new_customers, lower is better): target
€50 with costs €4,902 needs 4,902 / 50 = 98.04 customers; 98 give €50.02 (above the target), 99
give €49.52. Last year's data has 90 new customers every month, the base of the changes.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import kpiengine
from kpiengine.analysis import plan_annual, plan_ratio
from kpiengine.cli import cli
from kpiengine.engine import load_context
from kpiengine.terminal.analysis import render_plan

HEADER = "date,channel,marketing_cost,sales_cost,new_customers,sessions,conversions\n"
DATA = HEADER + "".join(f"2024-{m:02d}-01,Search,4000.00,902.00,90,1000,40\n" for m in range(1, 13))

FEWER_IS_BETTER = """\
kpis:
  bounced_sessions:
    title: Bounced sessions
    formula: sessions
    unit: sessions
    format: integer
    direction: lower
"""


@pytest.fixture
def shop(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-01-15")
    return write_workspace(
        definitions={"extra": FEWER_IS_BETTER},
        kpi_yaml="""\
        name: Whole counts
        currency: EUR
        grain: month
        data: data.csv
        kpis: [cac, conversion_rate, website_traffic, bounced_sessions]
        """,
        data=DATA,
    )


def context(root):
    ws = kpiengine.load_workspace(root)
    kpis = ["cac", "conversion_rate", "website_traffic", "bounced_sessions"]
    return ws, load_context(ws, kpis)


COSTS = {"marketing_cost": 4902, "sales_cost": 0}


def test_a_lower_is_better_ratio_needs_the_whole_count_above(shop):
    ws, ctx = context(shop)
    plan = plan_ratio(ctx, "cac", 50, COSTS, year=2025)
    assert 4902 / 98 > 50 > 4902 / 99  # 98 customers miss the target, 99 reach it
    assert plan.derived == {"new_customers": pytest.approx(98.04)}  # exact, as before
    solution = plan.solution
    assert solution is not None and solution.value == pytest.approx(98.04)
    assert solution.whole == 99
    assert solution.whole_kpi_value == pytest.approx(4902 / 99)  # 49.5152
    # changes from last year's monthly average, 90 customers
    assert solution.change == pytest.approx(8.04)
    assert solution.change_pct == pytest.approx(8.04 / 90)
    assert solution.whole_change == 9 and solution.whole_change_pct == pytest.approx(0.1)
    assert plan.shown_derived() == {"new_customers": 99}
    assert plan.reached() == pytest.approx(4902 / 99)
    assert plan.message == (
        "to reach cac €50.00 with marketing_cost €4,902.00/month, sales_cost €0.00/month, "
        "new_customers must be 99/month (1,188 in 2025), which gives cac €49.52"
    )
    assert "new_customers is counted whole: exactly 98.04/month would give cac €50.00" in plan.notes
    assert plan.reached_text(ws) == "every month of 2025: cac €49.52 (target €50.00)"


def test_a_higher_is_better_ratio_rounds_a_denominator_down_and_a_numerator_up(shop):
    ws, ctx = context(shop)
    # 50 conversions at 6%: at most 50 / 0.06 = 833.33 sessions; 833 give 6.0024%, 834 5.995%
    sessions = plan_ratio(ctx, "conversion_rate", 0.06, {"conversions": 50}, year=2025)
    assert sessions.derived["sessions"] == pytest.approx(2500 / 3)
    assert sessions.solution is not None and sessions.solution.whole == 833
    assert sessions.solution.whole_kpi_value == pytest.approx(50 / 833)
    assert "sessions must be 833/month (9,996 in 2025), which gives conversion_rate 6.0%" in (
        sessions.message
    )
    # 1,001 sessions at 5%: 50.05 conversions needed; 50 give 4.995%, 51 give 5.095%
    conversions = plan_ratio(ctx, "conversion_rate", 0.05, {"sessions": 1001}, year=2025)
    assert conversions.solution is not None and conversions.solution.whole == 51
    assert conversions.shown_derived() == {"conversions": 51}
    assert conversions.reached_text(ws) == "every month of 2025: conversion_rate 5.1% (target 5.0%)"


def test_an_exact_whole_count_and_money_are_shown_as_solved(shop):
    ws, ctx = context(shop)
    # 5,000 / 50 = 100 customers exactly: nothing to round, the target itself is reached
    exact = plan_ratio(ctx, "cac", 50, {"marketing_cost": 5000, "sales_cost": 0}, year=2025)
    assert exact.solution is not None and exact.solution.whole == 100
    assert exact.message.endswith("new_customers must be 100/month (1,200 in 2025)")
    assert exact.reached_text(ws) == "every month of 2025: cac €50.00"
    # money is no count: 50 x 99 = €4,950.00 of marketing, to the cent
    money = plan_ratio(ctx, "cac", 50, {"new_customers": 99, "sales_cost": 0}, year=2025)
    assert money.solution is not None and money.solution.whole is None
    assert money.shown_derived() == {"marketing_cost": pytest.approx(4950)}
    assert "marketing_cost must be €4,950.00/month" in money.message
    assert not any("counted whole" in note for note in money.notes)


def test_an_annual_count_is_split_in_whole_months_toward_its_direction(shop):
    _, ctx = context(shop)
    # more sessions are better: 1,000.5 a year is planned as 1,001 (12 x 83 + 5 months of 84)
    more = plan_annual(ctx, "website_traffic", 1000.5, year=2025, weights="even")
    assert [m.value for m in more.months] == [84.0] * 5 + [83.0] * 7
    assert sum(q.value for q in more.quarters) == 1001
    assert more.target == 1000.5  # as given
    assert more.solution is not None and more.solution.whole == 1001
    assert more.message.startswith("`website_traffic` 1,001 in 2025")
    assert (
        "`website_traffic` is counted whole: the annual target 1,000.5 is planned as 1,001, "
        "the whole number that reaches it"
    ) in more.notes
    # fewer bounced sessions are better: at most 1,000 (12 x 83 + 4 months of 84)
    fewer = plan_annual(ctx, "bounced_sessions", 1000.5, year=2025, weights="even")
    assert [m.value for m in fewer.months] == [84.0] * 4 + [83.0] * 8
    assert fewer.solution is not None and fewer.solution.whole == 1000


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.stderr  # 1: lint findings of the workspace
    return result.stdout


def test_plan_command_shows_and_writes_the_whole_count(shop):
    args = ["plan", "cac", "-w", shop, "--target", "50", "--year", "2025"]
    args += ["--given", "marketing_cost=4902", "--given", "sales_cost=0"]
    first = run(*args).splitlines()[0]
    assert "new_customers must be 99/month (1,188 in 2025), which gives cac €49.52" in first
    assert "98.04" not in first
    data = json.loads(run(*args, "--format", "json"))
    assert data["derived"]["new_customers"] == pytest.approx(98.04)
    solution = data["solution"]
    assert solution["value"] == pytest.approx(98.04) and solution["whole"] == 99
    assert solution["whole_kpi_value"] == pytest.approx(4902 / 99)
    assert solution["whole_change"] == 9 and solution["whole_change_pct"] == pytest.approx(0.1)


def test_plan_table_shows_the_whole_count_and_the_kpi_there(shop):
    ws, ctx = context(shop)
    text = render_plan(ws, plan_ratio(ctx, "cac", 50, COSTS, year=2025))
    assert "every month of 2025: cac €49.52 (target €50.00)" in text
    (row,) = [line.split() for line in text.splitlines() if line.endswith(" derived")]
    assert row == ["new_customers", "99", "derived"]
