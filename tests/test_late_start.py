"""A first period the data starts inside: partial by week as by month (a first day a week into a
week is no "first event"), and an additive KPI judged against the target for the days it holds
(pro rata), not the whole period's. Expected targets are computed here by hand."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli

DEFS = """\
variables:
  sales: {unit: currency}
  orders: {unit: orders}
kpis:
  sales_kpi: {title: Sales, formula: sales, unit: currency, target: 3000}
  per_order:
    {title: Sales per order, formula: sales / orders, unit: currency / orders, target: 50}
"""
# 100 a day from Wednesday 12 June 2024 to 31 July: June holds 19 of its 30 days, and
# the ISO week 2024-W24 (Monday 10 to Sunday 16 June) 5 of its 7
FIRST = dt.date(2024, 6, 12)
DAYS = [FIRST + dt.timedelta(days=k) for k in range(50)]
DATA = "date,sales,orders\n" + "".join(f"{d},100,2\n" for d in DAYS)


@pytest.fixture
def root(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-12-15")
    return write_workspace({"shop": DEFS}, kpi_yaml="grain: month\ndata: data.csv\n", data=DATA)


def _records(root, grain: str) -> dict[tuple[str, str], dict]:
    args = ["eval", "--grain", grain, "--from", "2024-06-01", "--format", "json"]
    result = CliRunner().invoke(cli, [*args, "--workspace", str(root)], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return {(r["kpi"], r["period"]): r for r in json.loads(result.stdout) if not r["segment"]}


@pytest.mark.parametrize(
    ("grain", "first", "held", "days", "whole"),
    [("week", "2024-W24", 5, 7, "2024-W25"), ("month", "2024-06", 19, 30, "2024-07")],
)
def test_the_first_period_holds_only_its_days_from_the_first_one(
    root, grain, first, held, days, whole
):
    records = _records(root, grain)
    june = records["sales_kpi", first]
    assert june["value"] == 100 * held
    assert (june["complete"], june["coverage"]) == (False, pytest.approx(held / days))
    # 3000 a month is 100 a day in June (30 days): the days held ask for 100 each
    period_target = 3000 * days / 30
    assert june["target"] == pytest.approx(period_target)
    assert june["status_basis"] == "pro_rata"
    assert june["target_to_date"] == pytest.approx(100 * held)
    assert june["gap"] == pytest.approx(0)  # on target for its days, not short of the period's
    assert june["status"] == "on_track"
    assert f"starts on {FIRST}" in june["status_reason"]
    assert f"{held} of {days} days" in june["status_reason"]
    # a ratio's value stands for the period: judged on its value, as before
    ratio = records["per_order", first]
    assert (ratio["status_basis"], ratio["target_to_date"], ratio["status"]) == (
        "value",
        None,
        "on_track",
    )
    # a whole period is judged as always
    later = records["sales_kpi", whole]
    assert (later["complete"], later["status_basis"], later["target_to_date"]) == (
        True,
        "value",
        None,
    )


def test_a_first_event_a_few_days_into_a_month_still_covers_it(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-12-15")
    days = [dt.date(2024, 6, 4) + dt.timedelta(days=k) for k in range(40)]
    data = "date,sales,orders\n" + "".join(f"{d},100,2\n" for d in days)
    root = write_workspace({"shop": DEFS}, kpi_yaml="grain: month\ndata: data.csv\n", data=data)
    june = _records(root, "month")["sales_kpi", "2024-06"]
    assert (june["complete"], june["status_basis"], june["target_to_date"]) == (True, "value", None)
    # by week, the same first day (a Tuesday) leaves 2024-W23 with 6 of its 7 days
    week = _records(root, "week")["sales_kpi", "2024-W23"]
    assert (week["complete"], week["coverage"]) == (False, pytest.approx(6 / 7))
    assert week["target_to_date"] == pytest.approx(600)
