"""A partial period's KPIs that read earlier periods (`prev`, `last_year`, through windows too)
compare like with like: the earlier periods to the same day. Expected values are sums of the
daily rows computed here with plain loops."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from click.testing import CliRunner

import kpiengine
from kpiengine import Frame
from kpiengine.cli import cli
from kpiengine.engine import Engine
from kpiengine.evaluation import evaluate as evaluate_plan
from kpiengine.plan import daily_plan

DEFS = """\
variables:
  sales: {unit: currency}
kpis:
  sales_kpi: {title: Sales, formula: sales, unit: currency}
  growth: {title: Growth, formula: sales / prev(sales) - 1, unit: ratio, format: percent}
  yoy: {title: Year on year, formula: sales / last_year(sales) - 1, unit: ratio, format: percent}
  ytd_sales: {title: Sales YTD, formula: ytd(sales), unit: currency}
  ytd_yoy: {title: YTD vs last year, formula: ytd(sales) / last_year(ytd(sales)), unit: ratio}
  growth_points: {title: Growth x 100, formula: growth * 100, unit: ratio}
"""
FIRST, LAST = dt.date(2023, 1, 1), dt.date(2024, 3, 15)  # March 2024: 15 of 31 days


def _sales(day: dt.date) -> float:
    return 100.0 + 3 * day.day + day.month + 50 * (day.year - 2023)


def _days(lo: dt.date, hi: dt.date) -> list[dt.date]:
    return [lo + dt.timedelta(days=k) for k in range((hi - lo).days + 1)]


def S(lo: tuple[int, int, int], hi: tuple[int, int, int], scale: float = 1.0) -> float:
    """The sales of the days from `lo` to `hi`, by hand."""
    return sum(scale * _sales(d) for d in _days(dt.date(*lo), dt.date(*hi)))


def _frame(channels: dict[str, float] | None = None) -> Frame:
    days = _days(FIRST, LAST)
    if not channels:
        return Frame(np.array(days, "datetime64[D]"), {}, {"sales": np.array(map_(days))})
    dates, names, sales = [], [], []
    for name, scale in channels.items():
        dates += days
        names += [name] * len(days)
        sales += [scale * v for v in map_(days)]
    return Frame(
        np.array(dates, "datetime64[D]"),
        {"channel": np.array(names)},
        {"sales": np.array(sales)},
    )


def map_(days: list[dt.date]) -> list[float]:
    return [_sales(d) for d in days]


@pytest.fixture
def ws(write_workspace):
    return kpiengine.load_workspace(write_workspace({"shop": DEFS}))


def _rows(results) -> dict[tuple[str, str, str | None], dict]:
    return {(r["kpi"], r["period"], r["segment"].get("channel")): r for r in results.records()}


def test_prev_and_last_year_read_the_same_days_in_a_partial_period(ws):
    rows = _rows(kpiengine.evaluate(ws, _frame()))
    march = rows["growth", "2024-03", None]
    assert march["complete"] is False and march["compared"] == "to_date"
    # 1-15 March over 1-15 February, never over the whole of February
    assert march["value"] == pytest.approx(
        S((2024, 3, 1), (2024, 3, 15)) / S((2024, 2, 1), (2024, 2, 15)) - 1
    )
    # its "previous" is February's growth to the same day: 1-15 February over 1-15 January
    assert march["previous"] == pytest.approx(
        S((2024, 2, 1), (2024, 2, 15)) / S((2024, 1, 1), (2024, 1, 15)) - 1
    )
    assert march["change"] == pytest.approx(march["value"] - march["previous"])
    yoy = rows["yoy", "2024-03", None]
    assert yoy["value"] == pytest.approx(
        S((2024, 3, 1), (2024, 3, 15)) / S((2023, 3, 1), (2023, 3, 15)) - 1
    )
    # a KPI that reads one that reads `prev` is to date too
    points = rows["growth_points", "2024-03", None]
    assert points["value"] == pytest.approx(100 * march["value"])
    # whole periods are whole
    february = rows["growth", "2024-02", None]
    assert february["complete"] is True
    assert february["value"] == pytest.approx(
        S((2024, 2, 1), (2024, 2, 29)) / S((2024, 1, 1), (2024, 1, 31)) - 1
    )


def test_a_window_holds_its_earlier_periods_whole_and_the_partial_one_to_date(ws):
    rows = _rows(kpiengine.evaluate(ws, _frame()))
    ytd = rows["ytd_sales", "2024-03", None]
    assert ytd["value"] == pytest.approx(S((2024, 1, 1), (2024, 3, 15)))
    # the year to 15 February (January whole, 1-15 February), not 1-15 January + 1-15 February
    assert ytd["previous"] == pytest.approx(S((2024, 1, 1), (2024, 2, 15)))
    assert ytd["last_year"] == pytest.approx(S((2023, 1, 1), (2023, 3, 15)))
    ratio = rows["ytd_yoy", "2024-03", None]
    assert ratio["value"] == pytest.approx(
        S((2024, 1, 1), (2024, 3, 15)) / S((2023, 1, 1), (2023, 3, 15))
    )


def test_the_projection_stays_that_of_the_whole_period(ws):
    rows = _rows(kpiengine.evaluate(ws, _frame()))
    sales, growth = rows["sales_kpi", "2024-03", None], rows["growth", "2024-03", None]
    assert sales["projected"] > sales["value"]
    # the period's end against the whole previous period: the growth the month will show
    expected = sales["projected"] / S((2024, 2, 1), (2024, 2, 29)) - 1
    assert growth["projected"] == pytest.approx(expected)
    assert growth["status_basis"] == "projection"


def test_each_segment_is_compared_to_the_same_day(ws):
    results = kpiengine.evaluate(ws, _frame({"A": 1.0, "B": 2.5}), by=["channel"])
    rows = _rows(results)
    for channel, scale in (("A", 1.0), ("B", 2.5)):
        row = rows["growth", "2024-03", channel]
        now, before = S((2024, 3, 1), (2024, 3, 15), scale), S((2024, 2, 1), (2024, 2, 15), scale)
        assert row["value"] == pytest.approx(now / before - 1)
    total = rows["growth", "2024-03", None]
    assert total["value"] == pytest.approx(
        S((2024, 3, 1), (2024, 3, 15)) / S((2024, 2, 1), (2024, 2, 15)) - 1
    )


def test_without_daily_values_the_partial_value_is_undefined_with_the_reason(ws):
    engine = Engine(ws)
    frame = _frame()
    plan = engine.plan(frame)
    table = engine.fetch(plan, frame)
    rows = _rows(evaluate_plan(plan, table, None))
    growth = rows["growth", "2024-03", None]
    assert growth["value"] is None and growth["status"] in ("no_target", "undefined")
    assert "`prev(sales)`" in growth["reason"] and "without daily values" in growth["reason"]
    assert "15 of 31 days" in growth["reason"] and growth["reason"].endswith("in 2024-03")
    # a KPI that reads no earlier period keeps its value to date; whole periods are unchanged
    assert rows["sales_kpi", "2024-03", None]["value"] == pytest.approx(
        S((2024, 3, 1), (2024, 3, 15))
    )
    assert rows["growth", "2024-02", None]["value"] == pytest.approx(
        S((2024, 2, 1), (2024, 2, 29)) / S((2024, 1, 1), (2024, 1, 31)) - 1
    )


def test_the_builtin_sales_growth_on_a_csv_is_zero_for_a_steady_business(write_workspace):
    """100 a day from 1 December to 15 February: 1-15 February (1,500) against 1-15 January
    (1,500) is 0%, not 1,500 / 3,100 - 1 = -51.6%; the month will end at 2,900 / 3,100 - 1."""
    lines = ["date,revenue,marketing_cost"]
    lines += [f"{d},100,50" for d in _days(dt.date(2023, 12, 1), dt.date(2024, 2, 15))]
    root = write_workspace(
        kpi_yaml="grain: month\ndata: data.csv\nkpis: [sales_revenue, sales_growth]\n"
    )
    (root / "data.csv").write_text("\n".join(lines) + "\n")
    args = ["eval", "--period", "current", "--format", "json", "--workspace", str(root)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    rows = {r["kpi"]: r for r in json.loads(result.stdout)}
    growth, revenue = rows["sales_growth"], rows["sales_revenue"]
    assert revenue["value"] == 1500 and revenue["previous"] == 1500
    assert growth["value"] == pytest.approx(0.0, abs=1e-12)
    assert growth["previous"] == pytest.approx(0.0, abs=1e-12)  # 1-15 January over 1-15 December
    assert revenue["projected"] == pytest.approx(2900)
    assert growth["projected"] == pytest.approx(2900 / 3100 - 1)


def test_a_window_evaluation_reads_earlier_periods_to_the_same_day(ws):
    """`--window ytd` with the daily values: growth is the year to 15 March over the year to
    15 February; its projection, the whole first quarter over January and February."""
    engine = Engine(ws)
    frame = _frame()
    plan = engine.plan(frame, kpis=["growth", "sales_kpi"], window="ytd")
    table = engine.fetch(plan, frame)
    daily = engine.fetch(daily_plan(plan, table), frame)
    rows = _rows(evaluate_plan(plan, table, daily))
    growth = rows["growth", "2024-03", None]
    ytd_now, ytd_before = S((2024, 1, 1), (2024, 3, 15)), S((2024, 1, 1), (2024, 2, 15))
    assert growth["value"] == pytest.approx(ytd_now / ytd_before - 1)
    sales = rows["sales_kpi", "2024-03", None]
    assert sales["value"] == pytest.approx(ytd_now) and sales["previous"] == pytest.approx(
        ytd_before
    )
    whole_before = S((2024, 1, 1), (2024, 2, 29))
    assert sales["projected"] > ytd_now
    assert growth["projected"] == pytest.approx(sales["projected"] / whole_before - 1)
