"""Which KPIs lose their projection in the month in progress for reading a stock: only those
adding a stock known to a day inside the period to a summed flow (customers at the end less the
new ones), never one reading the stock through `prev` (the previous month's end is final), nor
one multiplying it by ratios of flows (a naive forecast, as for the stock alone). The regression
round found both unprojected. The rows are the same every day, so each projected day is that
day's value: the expected values are worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

import kpiengine

DAYS = [dt.date(2024, 1, 1) + dt.timedelta(days=k) for k in range(70)]  # to 10 March
DEFINITIONS = """\
kpis:
  churn_prev:
    title: Churn on last month's closing base
    formula: churned_customers / prev(customers_at_end)
    unit: ratio
    format: percent
    direction: lower
  base:
    title: Customer base
    formula: customers_at_end
    unit: customers
    format: integer
    direction: higher
  churn_prev_kpi:
    title: Churn on the base a month ago
    formula: churned_customers / prev(base)
    unit: ratio
    format: percent
    direction: lower
  net_adds_per_new:
    title: Net adds per new customer
    formula: (customers_at_end - customers_at_start) / new_customers
    unit: ratio
    format: percent
    direction: higher
  net_adds_prev_per_new:
    title: Net adds since last month per new customer
    formula: (customers_at_end - prev(customers_at_end)) / new_customers
    unit: ratio
    format: percent
    direction: higher
  churned_per_average_base:
    title: Churned per average customer
    formula: churned_customers / ((customers_at_start + customers_at_end) / 2)
    unit: ratio
    format: percent
    direction: lower
  churn_times_last_retention:
    title: Churn share weighted by last month's retention
    formula: churned_customers / customers_at_end * prev(retention_rate)
    unit: ratio
    format: percent
    direction: lower
  churned_share_of_base:
    title: Base times the churn share of new
    formula: customers_at_end * churned_customers / new_customers
    unit: customers
    format: number
    direction: lower
"""


@pytest.fixture(scope="module")
def march(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    rows = ["date,customers_at_start,customers_at_end,new_customers,churned_customers"]
    for k, day in enumerate(DAYS):  # one more customer each day: 2 new, 1 churned
        rows.append(f"{day},{100 + k},{101 + k},2,1")
    (root / "data.csv").write_text("\n".join(rows) + "\n")
    (root / "definitions").mkdir()
    (root / "definitions" / "k.yaml").write_text(DEFINITIONS)
    kpis = "[churn_prev, churn_prev_kpi, churned_share_of_base, net_adds_per_new, retention_rate, "
    kpis += "net_adds_prev_per_new, churned_per_average_base, churn_times_last_retention]"
    (root / "kpi.yaml").write_text(
        f"currency: EUR\ndata: data.csv\nkpis: {kpis}\ntargets: {{retention_rate: 0.75}}\n"
    )
    records = kpiengine.evaluate(kpiengine.load_workspace(root)).records()
    return {r["kpi"]: r for r in records if r["segment"] == {} and r["period"] == "2024-03"}


def test_a_stock_read_through_prev_keeps_the_projection(march):
    # 31 churned in March over 29 February's closing base: 100 + 59 + 1 = 160
    assert march["churn_prev"]["projected"] == pytest.approx(31 / 160)
    assert march["churn_prev_kpi"]["projected"] == pytest.approx(31 / 160)


def test_a_stock_times_a_ratio_of_flows_keeps_its_naive_projection(march):
    # the stock held at 10 March's 170, times 31 churned / 62 new
    assert march["churned_share_of_base"]["projected"] == pytest.approx(170 * 31 / 62)


def test_a_stock_added_to_a_flow_has_none(march):
    assert march["retention_rate"]["projected"] is None
    assert "`customers_at_end` is a stock" in march["retention_rate"]["status_reason"]


def test_a_stocks_difference_over_a_flow_has_none(march):
    # held at 10 March's 170 it would read (170 - 160) / 62, though every day adds 1 per 2 new
    assert march["net_adds_per_new"]["value"] == pytest.approx(10 / 20)
    assert march["net_adds_per_new"]["projected"] is None


def test_a_difference_with_a_stocks_previous_value_has_none(march):
    assert march["net_adds_prev_per_new"]["projected"] is None


def test_stocks_added_to_their_like_or_a_kpi_read_through_prev_keep_it(march):
    """The regression round: an average of two stocks is a level, not a net flow, and a KPI
    read through `prev` (retention) is last month's, final."""
    # 31 churned over the average of 160 (start) and 170 (10 March, held)
    assert march["churned_per_average_base"]["projected"] == pytest.approx(31 / 165)
    # February's retention: (160 - 2 * 29) / 131, its start 100 + 31 = 131
    retention = (160 - 58) / 131
    assert march["churn_times_last_retention"]["projected"] == pytest.approx(31 / 170 * retention)
