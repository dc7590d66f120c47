"""Distinct counts are never added up; values outside a declared range and rates over two
cohorts are findings."""

from __future__ import annotations

import numpy as np
import pytest

import kpiengine
from kpiengine import Frame
from kpiengine.engine import Engine

DEFS = """\
variables:
  users: {unit: visitors, aggregate: distinct}
  signups: {unit: leads}
  deals_won: {unit: deals}
  opportunities: {unit: opportunities}
kpis:
  signup_rate: {title: Signups per user, formula: signups / users, unit: leads / visitors}
  win_share:
    title: Deals won per opportunity
    formula: deals_won / opportunities
    unit: deals / opportunities
    format: percent
    range: [0, 1]
"""


@pytest.fixture
def ws(write_workspace):
    return kpiengine.load_workspace(write_workspace({"d": DEFS}))


def _daily_users() -> Frame:
    days = np.arange(np.datetime64("2024-01-01"), np.datetime64("2024-03-01"))
    n = len(days)
    dates = np.concatenate([days, days])
    channel = np.array(["Ads"] * n + ["Email"] * n, dtype=object)
    users = np.concatenate([np.full(n, 100.0), np.full(n, 50.0)])
    signups = np.concatenate([np.full(n, 3.0), np.full(n, 2.0)])
    return Frame(dates, {"channel": channel}, {"users": users, "signups": signups})


def test_daily_users_are_not_summed_to_months(ws):
    results = kpiengine.evaluate(ws, _daily_users(), by=["channel"], kpis=["signup_rate"])
    rows = results.records()
    assert rows and all(r["value"] is None for r in rows)
    assert all("distinct" in r["reason"] and "by day" in r["reason"] for r in rows)


def test_monthly_distinct_counts_are_read_exactly_with_the_source_totals(ws):
    months = np.array(["2024-01-01", "2024-01-01", "2024-01-01"], dtype="datetime64[D]")
    frame = Frame(
        months,
        {"channel": np.array(["Ads", "Email", ""], dtype=object)},
        {"users": np.array([2000.0, 900.0, 2600.0]), "signups": np.array([60.0, 40.0, np.nan])},
        grain="month",
        totals=np.array([False, False, True]),
    )
    results = kpiengine.evaluate(ws, frame, by=["channel"], kpis=["signup_rate"])
    values = {r["segment"].get("channel", "total"): r["value"] for r in results.records()}
    # the total is the export's own deduplicated 2,600 users, never 2,000 + 900
    assert values == pytest.approx({"total": 100 / 2600, "Ads": 60 / 2000, "Email": 40 / 900})


def test_without_a_source_total_the_total_is_undefined_with_the_reason(ws):
    frame = Frame(
        np.array(["2024-01-01", "2024-01-01"], dtype="datetime64[D]"),
        {"channel": np.array(["Ads", "Email"], dtype=object)},
        {"users": np.array([2000.0, 900.0]), "signups": np.array([60.0, 40.0])},
        grain="month",
    )
    results = kpiengine.evaluate(ws, frame, by=["channel"], kpis=["signup_rate"])
    [total] = [r for r in results.records() if not r["segment"]]
    assert total["value"] is None and "gives no total" in total["reason"]


def _deals(dated: dict[str, str]) -> Frame:
    dates = np.array(["2024-01-10", "2024-02-10", "2024-03-10"], dtype="datetime64[D]")
    return Frame(
        dates,
        {},
        {"deals_won": np.array([3.0, 40.0, 2.0]), "opportunities": np.array([20.0, 10.0, 25.0])},
        dated_by=dated,
    )


def test_a_value_outside_the_declared_range_is_a_finding_with_its_cells(ws):
    frame = _deals({})
    report = Engine(ws).lint(frame)
    [finding] = [f for f in report.findings if f.code == "KPI312" and f.kpi == "win_share"]
    assert "2024-02" in finding.message and "400" in finding.message
    assert finding.details["periods"] == ["2024-02"]


def test_a_rate_over_two_cohorts_names_both_dates(ws):
    frame = _deals({"deals_won": "Close Date", "opportunities": "Create Date"})
    report = Engine(ws).lint(frame)
    [finding] = [f for f in report.findings if f.code == "KPI313" and f.kpi == "win_share"]
    assert "Close Date" in finding.message and "Create Date" in finding.message
    assert "cohort" in finding.message
    same = Engine(ws).lint(_deals({"deals_won": "Close Date", "opportunities": "Close Date"}))
    assert not [f for f in same.findings if f.code == "KPI313"]
