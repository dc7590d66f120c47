"""A MetricFlow measure with `create_metric: true` is a simple metric of its name (dbt's proxy
metric), which other metrics read; a metric of another type with that name is an error."""

from __future__ import annotations

import pytest
from interop_helpers import load, totals

from kpiengine.errors import KpiError
from kpiengine.interop.metricflow import import_metricflow

ORDERS = """\
order_id,ordered_at,customer_id,amount
1,2024-01-05,c1,100
2,2024-01-20,c2,200
3,2024-01-31,c1,50
4,2024-02-03,c3,120
"""
MODEL = """\
semantic_models:
  - name: orders
    model: ref('orders')
    defaults: {agg_time_dimension: ordered_at}
    entities: [{name: order, type: primary, expr: order_id}]
    dimensions:
      - {name: ordered_at, type: time, type_params: {time_granularity: day}}
    measures:
      - {name: order_total, agg: sum, expr: amount, create_metric: true, label: Order total}
      - {name: customers, agg: count_distinct, expr: customer_id, create_metric: true}
      - {name: order_count, agg: sum, expr: "1", create_metric: true}
metrics:
  - name: orders_per_customer
    type: ratio
    type_params: {numerator: order_count, denominator: customers}
"""


def test_create_metric_gives_a_kpi_other_metrics_read(tmp_path):
    (tmp_path / "orders.yml").write_text(MODEL, encoding="utf-8")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "orders.csv").write_text(ORDERS, encoding="utf-8")
    model = import_metricflow(tmp_path / "orders.yml")
    assert {"order_total", "customers", "order_count", "orders_per_customer"} <= set(model.kpis)
    assert model.kpis["order_total"].title == "Order total"
    assert not model.use_files(tmp_path / "data")
    got = totals(load(model, tmp_path / "ws"), ["order_total", "orders_per_customer"])
    # by hand: January 350 over 3 orders of 2 customers, February 120 over 1 of 1
    assert got[("order_total", "2024-01")] == 350 and got[("order_total", "2024-02")] == 120
    assert got[("orders_per_customer", "2024-01")] == pytest.approx(3 / 2)
    assert got[("orders_per_customer", "2024-02")] == pytest.approx(1.0)


def test_a_simple_metric_of_the_name_is_kept(tmp_path):
    text = (
        MODEL
        + "  - {name: order_total, type: simple, label: Mine,"
        + " type_params: {measure: order_total}}\n"
    )
    (tmp_path / "orders.yml").write_text(text, encoding="utf-8")
    assert import_metricflow(tmp_path / "orders.yml").kpis["order_total"].title == "Mine"


def test_another_type_of_metric_with_the_name_is_an_error(tmp_path):
    text = MODEL + (
        "  - {name: customers, type: ratio, type_params: {numerator: order_count, "
        "denominator: order_count}}\n"
    )
    (tmp_path / "orders.yml").write_text(text, encoding="utf-8")
    with pytest.raises(KpiError) as caught:
        import_metricflow(tmp_path / "orders.yml")
    assert (
        "create_metric" in caught.value.message
        and "ratio metric `customers`" in caught.value.message
    )
    assert caught.value.location is not None and caught.value.location.line == 10
