"""KPI305 on totals below zero (a refund month): segments compared with the total by magnitude."""

from __future__ import annotations

import numpy as np
import pytest

import kpiengine
from kpiengine import Frame
from kpiengine.engine import Engine


@pytest.fixture
def ws(write_workspace):
    return kpiengine.load_workspace(write_workspace({}))


def frame(dates, channels, revenue) -> Frame:
    return Frame(
        np.array(dates, dtype="datetime64[D]"),
        {"channel": np.array(channels)},
        {"revenue": np.array(revenue, dtype=float), "orders": np.ones(len(dates))},
    )


def kpi305(ws, data) -> list[str]:
    report = Engine(ws).lint(data, kpis=["sales_revenue"])
    assert report.data_checked
    return [f.message for f in report.findings if f.code == "KPI305"]


def test_a_refund_month_is_not_more_than_its_own_total(ws):
    # January 10 + 20 = 30; February only a refund of -12.5 in A: segments -12.5 = total -12.5
    data = frame(
        ["2024-01-05", "2024-01-06", "2024-02-01", "2024-02-29"],
        ["A", "B", "A", "A"],
        [10, 20, -12.5, 0],
    )
    assert kpi305(ws, data) == []


def test_negative_total_row_double_counted(ws):
    # refunds -10 (A) and -5 (B) beside a total row of -10: the segments claim -15,
    # 5 more in magnitude than the total, so 5 are claimed twice
    data = frame(["2024-02-01"] * 3, ["A", "B", "Total"], [-10, -5, -10])
    [message] = kpi305(ws, data)
    assert "the channel segments add up to -15, more than the total row channel=Total (-10)" in (
        message
    )
    assert "5 are claimed by more than one channel" in message
    # segments of -10 and -5 beside a total row of -15: the total row counted twice (-30)
    twice = frame(["2024-02-01"] * 3, ["A", "B", "Total"], [-10, -5, -15])
    [message] = kpi305(ws, twice)
    assert "total row channel=Total (-15)" in message and "counts it twice (-30)" in message
