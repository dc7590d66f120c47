"""KPI215 compares a target with the data on the target's own span: an additive KPI's target
for a quarter at a daily grain is spread over the quarter's days (README: 91,000 over the 91 days
of 2024-Q1 is 1,000 a day); a `40.000` target the data confirms at 40 is no thousands warning."""

from __future__ import annotations

import datetime as dt
import json

from click.testing import CliRunner

from kpiengine.cli import cli


def lint(root) -> dict[tuple[str | None, str], dict]:
    result = CliRunner().invoke(cli, ["lint", "-w", str(root), "--format", "json"])
    return {(f["kpi"], f["code"]): f for f in json.loads(result.stdout)["findings"]}


def daily_rows(days: int, revenue: int) -> str:
    start = dt.date(2024, 1, 1)
    rows = [f"{start + dt.timedelta(d)},{revenue},25" for d in range(days)]
    return "date,revenue,orders\n" + "\n".join(rows) + "\n"


def test_a_quarter_target_at_a_daily_grain_is_spread_over_its_days(write_workspace):
    # 2024-Q1 has 31 + 29 + 31 = 91 days: 91,000 is 1,000 a day, the data's daily revenue
    kpi_yaml = "name: t\ngrain: day\ndata: data.csv\ntargets:\n  sales_revenue: {2024-Q1: 91000}\n"
    assert lint(write_workspace({}, kpi_yaml, daily_rows(91, 1000))) == {}


def test_a_year_target_at_a_weekly_grain_is_spread_and_still_checked(write_workspace):
    # 364,000 over 2024's 366 days is 364,000 * 7 / 366 = 6,962 a week, the data's 7 x 1,000 =
    # 7,000 a week; `364.000` (364) is about 7 a week, 1,000 times below: still warned
    data = daily_rows(56, 1000)
    ok = "name: t\ngrain: week\ndata: data.csv\ntargets:\n  sales_revenue: {'2024': 364000}\n"
    assert lint(write_workspace({}, ok, data, folder="ok")) == {}
    bad = "name: t\ngrain: week\ndata: data.csv\ntargets:\n  sales_revenue: {'2024': 364.000}\n"
    found = lint(write_workspace({}, bad, data, folder="bad"))[("sales_revenue", "KPI215")]
    assert "about 1,000 times below every value" in found["message"]
    assert "`364.000` is 364 in YAML, not 364,000" in found["message"]


def test_a_ratio_target_is_compared_as_it_is(write_workspace):
    # AOV 40 = 1,000 / 25 each day; a quarter's AOV target of 40 is 40 every day
    kpi_yaml = "name: t\ngrain: day\ndata: data.csv\ntargets:\n  aov: {2024-Q1: 40}\n"
    assert lint(write_workspace({}, kpi_yaml, daily_rows(30, 1000))) == {}


def test_a_thousands_looking_target_the_data_confirms_is_not_warned(write_workspace):
    # AOV 1,000 / 25 = 40 in the data: `40.000` is 40, as meant
    kpi_yaml = "name: t\ndata: data.csv\ntargets:\n  aov: 40.000\n"
    assert lint(write_workspace({}, kpi_yaml, daily_rows(60, 1000))) == {}
