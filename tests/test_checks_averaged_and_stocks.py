"""KPI207 on rates averaged across segments (a `mean` rate variable, a mean of ratios in the
formula) and KPI205 on churn over the end stock and costs over the customer stock, whatever
the KPI's title."""

from __future__ import annotations

import json

from click.testing import CliRunner

import kpiengine
from kpiengine.cli import cli
from kpiengine.engine import Engine

MEAN = """\
variables:
  channel_conv_rate: {unit: ratio, aggregate: mean, description: conversion rate per channel}
  avg_order_value: {unit: currency / orders, aggregate: mean}
  order_count: {unit: orders}
kpis:
  avg_conversion_rate:
    title: {en: Site conversion rate}
    formula: channel_conv_rate
    unit: ratio
    format: percent
  estimated_revenue:
    title: Estimated revenue
    formula: avg_order_value * order_count
    unit: currency
    format: currency
"""

# Email converts 10 of 100 sessions, Paid 100 of 10,000 (the tester's s6_mean data)
MEAN_DATA = """\
date,channel,channel_conv_rate,conversions,sessions,avg_order_value,order_count
2024-01-31,Email,0.10,10,100,50,2
2024-01-31,Paid,0.01,100,10000,50,2
"""


def codes(report, kpi_id: str, code: str) -> list:
    return [f for f in report.findings if f.kpi == kpi_id and f.code == code]


def test_a_rate_variable_averaged_across_channels(write_workspace):
    root = write_workspace({"k": MEAN}, data=MEAN_DATA)
    args = ["lint", "-w", str(root), "--data", str(root / "data.csv"), "--format", "json"]
    result = CliRunner().invoke(cli, args)
    found = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "KPI207"]
    [finding] = [f for f in found if f["kpi"] == "avg_conversion_rate"]
    line = MEAN.splitlines()[1]
    assert finding["file"].endswith("k.yaml") and finding["line"] == 2  # `aggregate: mean`
    assert finding["column"] == line.index("mean,") + 1
    assert "channel_conv_rate" in finding["message"] and "mean" in finding["message"]
    assert not [f for f in found if f["kpi"] == "estimated_revenue"]  # a product, not a ratio
    # what the finding is about: the mean of the two rates against the pooled rate
    eval_args = ["eval", "-w", str(root), "--data", str(root / "data.csv"), "--format", "json"]
    records = json.loads(
        CliRunner().invoke(cli, [*eval_args, "--kpi", "avg_conversion_rate"]).stdout
    )
    assert abs(records[0]["value"] - (0.10 + 0.01) / 2) < 1e-12
    assert (0.10 + 0.01) / 2 == 0.055 and round((10 + 100) / (100 + 10000), 4) == 0.0109


AVERAGED = """\
kpis:
  blended_conversion_rate:
    title: {en: Blended conversion rate}
    formula: (organic_conversions / organic_sessions + paid_conversions / paid_sessions) / 2
    unit: conversions / sessions
    format: percent
  three_channels:
    title: Three channel rate
    formula: 0.5 * (a / b + c / d) + 0 * e / f
    unit: conversions / sessions
  thirds:
    title: Mean of three rates
    formula: (a / b + c / d + e / f) / 3
    unit: conversions / sessions
  near_miss_pooled:
    title: Pooled conversion rate
    formula: (organic_conversions + paid_conversions) / (organic_sessions + paid_sessions)
    unit: conversions / sessions
    format: percent
  near_miss_weighted:
    title: Weighted rate
    formula: 0.3 * a / b + 0.7 * c / d
    unit: conversions / sessions
  near_miss_sum:
    title: Two rates added
    formula: (a / b + c / d) / 3
    unit: conversions / sessions
"""

AVERAGED_VARIABLES = """\
variables:
  organic_conversions: {unit: conversions}
  organic_sessions: {unit: sessions}
  paid_conversions: {unit: conversions}
  paid_sessions: {unit: sessions}
  a: {unit: conversions}
  b: {unit: sessions}
  c: {unit: conversions}
  d: {unit: sessions}
  e: {unit: conversions}
  f: {unit: sessions}
"""


def test_a_mean_of_ratios_in_the_formula(write_workspace):
    root = write_workspace({"k": AVERAGED, "v": AVERAGED_VARIABLES})
    report = Engine(kpiengine.load_workspace(root)).lint()
    [blended] = codes(report, "blended_conversion_rate", "KPI207")
    assert "averages 2 ratios" in blended.message
    assert blended.fix == (
        "pool the counts: `(organic_conversions + paid_conversions) / "
        "(organic_sessions + paid_sessions)`"
    )
    assert blended.location.line == 4
    [thirds] = codes(report, "thirds", "KPI207")
    assert thirds.fix == "pool the counts: `(a + c + e) / (b + d + f)`"
    assert codes(report, "three_channels", "KPI207") == []  # a term that is no ratio
    for kpi_id in ("near_miss_pooled", "near_miss_weighted", "near_miss_sum"):
        assert codes(report, kpi_id, "KPI207") == [], kpi_id
    # the tester's numbers: organic 10 of 100, paid 10 of 10,000
    assert (10 / 100 + 10 / 10000) / 2 == 0.0505 and round(20 / 10100, 4) == 0.002


STOCKS = """\
kpis:
  monthly_churn:
    title: {en: Monthly churn}
    formula: churned_customers / customers_at_end
    unit: ratio
    format: percent
    direction: lower
  blended_cac:
    title: {en: Blended CAC}
    formula: (marketing_cost + sales_cost) / customers_at_end
    unit: currency / customers
    format: currency
    direction: lower
  spend_per_starting_customer:
    title: Spend per customer
    formula: marketing_cost / customers_at_start
    unit: currency / customers
    format: currency
  near_miss_churn:
    title: Monthly churn
    formula: churned_customers / customers_at_start
    unit: ratio
    format: percent
  near_miss_cac:
    title: Blended CAC
    formula: (marketing_cost + sales_cost) / new_customers
    unit: currency / customers
    format: currency
  near_miss_arpu:
    title: Revenue per customer of the base
    formula: revenue / customers_at_end
    unit: currency / customers
    format: currency
  near_miss_growth:
    title: Customer base growth
    formula: new_customers / customers_at_start
    unit: ratio
    format: percent
"""


def test_churn_over_the_end_stock_and_costs_over_customers(write_workspace):
    root = write_workspace({"k": STOCKS})
    report = Engine(kpiengine.load_workspace(root)).lint()
    [churn] = codes(report, "monthly_churn", "KPI205")
    assert churn.severity == "warning"
    assert "`customers_at_end`" in churn.message
    assert churn.fix.endswith("`churned_customers / customers_at_start`")
    [cac] = codes(report, "blended_cac", "KPI205")
    assert cac.fix.endswith("`(marketing_cost + sales_cost) / new_customers`")
    [start] = codes(report, "spend_per_starting_customer", "KPI205")
    assert start.fix.endswith("`marketing_cost / new_customers`")
    assert STOCKS.splitlines()[churn.location.line - 1].strip().startswith("formula:")
    for kpi_id in ("near_miss_churn", "near_miss_cac", "near_miss_arpu", "near_miss_growth"):
        assert codes(report, kpi_id, "KPI205") == [], kpi_id


def test_the_library_has_no_flow_over_stock_or_averaged_rate():
    """Built-in `churn_rate`, `cac`, `retention_rate`, `roa` stay clean; `cac_payback_months`
    allows KPI207 with its reason."""
    ws = kpiengine.load_workspace(None)
    report = Engine(ws).lint(kpis=list(ws.kpis))
    assert not [f for f in report.findings if f.code in ("KPI205", "KPI207")]
    assert [s.finding.kpi for s in report.silenced if s.finding.code == "KPI207"] == [
        "cac_payback_months"
    ]
