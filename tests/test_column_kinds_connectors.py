"""Every connector that knows what a number column holds tells its reader (`Reader.quantity`):
`45%` in a column of amounts, `€45` in a column of counts, is an error at its
`file:line:column`, never 0.45 dollars or 45 clicks. The csv and sql connectors know it from
the variable's unit (`Request.quantities`); ads, ga_export and crm from the column's role.
Fractional counts (data-driven conversions) and amounts without a currency mark still read.
Files, places and values by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import kpiengine
from kpiengine.connector import Mapping, Request, SourceConfig, quantity_of
from kpiengine.errors import KpiError, Location
from kpiengine.model import Aggregate
from kpiengine.units import UnitSystem

KPIS = (
    "kpis:\n"
    "  spend: {title: Spend, formula: ad_spend, unit: currency}\n"
    "  click_count: {title: Clicks, formula: clicks, unit: clicks}\n"
    "  click_rate: {title: Rate, formula: conversion_rate_input, unit: ratio}\n"
    "variables:\n"
    "  conversion_rate_input: {unit: ratio, aggregate: {time: mean, segments: mean}}\n"
)


def test_the_kind_of_a_column_comes_from_its_variables_unit():
    units = UnitSystem("USD", frozenset({"widgets"}))
    kinds = {
        "currency": "amount",
        "USD": "amount",
        "EUR": "amount",
        "ratio": "rate",
        "clicks": "count",
        "orders": "count",
        "widgets": "count",
        "1000 impressions": "count",
        "second": "",
        "currency / clicks": "",
        "clicks / impressions": "",
        "orders / customers / year": "",
    }
    for text, kind in kinds.items():
        assert quantity_of(units.parse(text), units.entities) == kind, text
    assert quantity_of(None, units.entities) == ""


# --- csv and sql: the variable's unit ---------------------------------------------------------


def _workspace(root: Path, rows: list[str], connector: str) -> Path:
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "k.yaml").write_text(KPIS)
    (root / "ads.csv").write_text("date,cost,clicks,rate\n" + "".join(rows), "utf-8")
    source = (
        "    connector: csv\n    path: ads.csv\n"
        if connector == "csv"
        else "    connector: sql\n    url: 'duckdb://'\n    files: {t: ads.csv}\n    table: t\n"
    )
    (root / "kpi.yaml").write_text(
        f"currency: USD\nsources:\n  s:\n{source}    date: date\n"
        "    map: {ad_spend: {column: cost}, clicks: {column: clicks}, "
        "conversion_rate_input: {column: rate}}\n"
    )
    return root


def _values(root: Path, kpis: list[str]) -> dict[str, float]:
    ws = kpiengine.load_workspace(root)
    records = kpiengine.evaluate(ws, kpis=kpis, grain="month").records()
    return {r["kpi"]: r["value"] for r in records if r["period"] == "2024-01"}


def _error(root: Path, kpis: list[str]) -> KpiError:
    with pytest.raises(KpiError) as info:
        _values(root, kpis)
    return info.value


@pytest.mark.parametrize("connector", ["csv", "sql"])
def test_csv_a_percentage_in_amounts_and_a_currency_in_counts(tmp_path, monkeypatch, connector):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-01")
    good = "2024-01-10,0.50,3,5%\n"  # amounts within ±1: no mix in the sample
    root = _workspace(tmp_path / "pct", [good, "2024-01-11,45%,4,6%\n"], connector)
    error = _error(root, ["spend"])
    assert str(error).startswith(
        "ads.csv:3:12: expected an amount in column `cost`, found `45%` (a percentage in a "
        "column of amounts)"
    )
    assert "without `%`" in (error.fix or "")
    root = _workspace(tmp_path / "cur", [good, "2024-01-11,5.00,€4,6%\n"], connector)
    assert str(_error(root, ["click_count"])).startswith(
        "ads.csv:3:17: expected a count in column `clicks`, found `€4` (an amount in EUR in a "
        "column of counts)"
    )
    root = _workspace(tmp_path / "rate", [good, "2024-01-11,5.00,4,$0.06\n"], connector)
    assert str(_error(root, ["click_rate"])).startswith(
        "ads.csv:3:19: expected a rate (a fraction or a percentage) in column `rate`, found "
        "`$0.06` (an amount in $ in a column of rates)"
    )


@pytest.mark.parametrize("connector", ["csv", "sql"])
def test_csv_fractional_counts_plain_amounts_and_percent_rates_read(
    tmp_path, monkeypatch, connector
):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-01")
    rows = ["2024-01-10,10.25,2.5,5%\n", "2024-01-11,$4.75,1,0.07\n"]
    root = _workspace(tmp_path, rows, connector)
    values = _values(root, ["spend", "click_count", "click_rate"])
    assert values["spend"] == pytest.approx(15.0, abs=1e-12)  # 10.25 + 4.75
    assert values["click_count"] == pytest.approx(3.5, abs=1e-12)  # 2.5 + 1
    assert values["click_rate"] == pytest.approx(0.06, abs=1e-12)  # mean of 0.05 and 0.07


# --- ads: the roles ---------------------------------------------------------------------------

ADS_HEAD = (
    'Campaign report\n"June 1, 2024 - June 30, 2024"\n'
    "Day,Campaign,Impr.,Clicks,Cost,Conversions,Conv. value\n"
    "2024-06-01,Brand,100,10,0.50,1.5,30.00\n"
)


def _ads(root: Path, row: str, *variables: str):
    from kpiengine.connectors.ads import AdsConnector

    (root / "ads.csv").write_text(ADS_HEAD + row, "utf-8")
    config = SourceConfig(
        "ads", "ads", root, Location("kpi.yaml", 3, 5), {"path": "ads.csv"}, currency="USD",
        variables=frozenset({"impressions", "clicks", "ad_spend", "conversions", "ad_revenue"}),
    )  # fmt: skip
    return AdsConnector(config).fetch(Request({v: Aggregate() for v in variables}, "month", []))


def test_ads_a_percentage_in_cost_and_a_currency_in_clicks(tmp_path):
    with pytest.raises(KpiError) as info:
        _ads(tmp_path, "2024-06-02,Brand,200,20,45%,2.5,40.00\n", "ad_spend")
    assert str(info.value).startswith(
        "ads.csv:5:25: expected an amount in column `Cost`, found `45%` (a percentage in a "
        "column of amounts)"
    )
    with pytest.raises(KpiError) as info:
        _ads(tmp_path, "2024-06-02,Brand,200,€20,5.00,2.5,40.00\n", "clicks")
    assert str(info.value).startswith(
        "ads.csv:5:22: expected a count in column `Clicks`, found `€20` (an amount in EUR in a "
        "column of counts)"
    )


def test_ads_fractional_conversions_and_plain_costs_read(tmp_path):
    frame = _ads(tmp_path, "2024-06-02,Brand,200,20,$7.50,2.5,40.00\n", "ad_spend", "conversions")
    assert float(frame.values["ad_spend"].sum()) == pytest.approx(8.0, abs=1e-12)  # 0.5 + 7.5
    assert float(frame.values["conversions"].sum()) == pytest.approx(4.0, abs=1e-12)  # 1.5 + 2.5


# --- ga_export: the columns' kinds --------------------------------------------------------------

GA_HEAD = (
    "# ----------------------------------------\n# All Web Site Data\n# Channels\n"
    "# 20240601-20240630\n# ----------------------------------------\n\n"
    "Default Channel Grouping,Sessions,Goal Completions,Goal Value\n"
    'Organic Search,"4,541",119,$0.50\n'
)


def _ga(root: Path, row: str, *variables: str):
    from kpiengine.connectors.ga_export import GaExportConnector

    (root / "ga.csv").write_text(GA_HEAD + row, "utf-8")
    location = Location("kpi.yaml", 3, 5)
    config = SourceConfig(
        "ga", "ga_export", root, location, {"path": "ga.csv"},
        mappings={"revenue": Mapping("revenue", location, column="Goal Value")}, currency="USD",
        variables=frozenset({"sessions", "goal_completions", "revenue"}),
    )  # fmt: skip
    return GaExportConnector(config).fetch(
        Request({v: Aggregate() for v in variables}, "month", [])
    )


def test_ga_a_percentage_in_money_and_a_currency_in_sessions(tmp_path):
    with pytest.raises(KpiError) as info:
        _ga(tmp_path, "Direct,30,48,45%\n", "revenue")
    assert str(info.value).startswith(
        "ga.csv:9:14: expected an amount in column `Goal Value`, found `45%` (a percentage in "
        "a column of amounts)"
    )
    with pytest.raises(KpiError) as info:
        _ga(tmp_path, "Direct,€30,48,$0.00\n", "sessions")
    assert str(info.value).startswith(
        "ga.csv:9:8: expected a count in column `Sessions`, found `€30` (an amount in EUR in a "
        "column of counts)"
    )


def test_ga_fractional_counts_and_plain_money_read(tmp_path):
    frame = _ga(tmp_path, "Direct,30,2.5,4.50\n", "goal_completions", "revenue")
    assert float(frame.values["goal_completions"].sum()) == pytest.approx(121.5, abs=1e-12)
    assert float(frame.values["revenue"].sum()) == pytest.approx(5.0, abs=1e-12)  # 0.5 + 4.5


# --- crm: amounts, and mapped columns by their unit -----------------------------------------------

CRM_HEAD = (
    '"Record ID","Deal Name","Deal Stage","Close Date","Amount","Create Date","Units"\n'
    '"1","A","Closed won","2024-01-25 14:02","0.75","2024-01-03 09:15","2"\n'
)


def _crm(root: Path, row: str, variables: dict[str, str]):
    from kpiengine.connectors.crm import CrmConnector

    (root / "deals.csv").write_text(CRM_HEAD + row, "utf-8")
    location = Location("kpi.yaml", 4, 5)
    config = SourceConfig(
        "crm", "crm", root, location, {"path": "deals.csv"},
        mappings={"orders": Mapping("orders", location, column="Units")}, currency="USD",
        variables=frozenset({"revenue", "deals_won", "orders"}),
    )  # fmt: skip
    request = Request({v: Aggregate() for v in variables}, "month", [])
    request.quantities = variables  # as the engine fills it from the units
    return CrmConnector(config).fetch(request)


def test_crm_a_percentage_in_amounts_and_a_currency_in_a_mapped_count(tmp_path):
    with pytest.raises(KpiError) as info:
        _crm(tmp_path, '"2","B","Closed won","2024-01-26 10:00","45%","2024-01-05 09:15","1"\n',
             {"revenue": "amount"})  # fmt: skip
    assert str(info.value).startswith(
        "deals.csv:3:41: expected an amount in column `Amount`, found `45%` (a percentage in a "
        "column of amounts)"
    )
    with pytest.raises(KpiError) as info:
        _crm(tmp_path, '"2","B","Closed won","2024-01-26 10:00","900","2024-01-05 09:15","€1"\n',
             {"orders": "count"})  # fmt: skip
    assert str(info.value).startswith(
        "deals.csv:3:66: expected a count in column `Units`, found `€1` (an amount in EUR in a "
        "column of counts)"
    )


def test_crm_fractional_counts_and_plain_amounts_read(tmp_path):
    row = '"2","B","Closed won","2024-01-26 10:00","$900.50","2024-01-05 09:15","1.5"\n'
    frame = _crm(tmp_path, row, {"revenue": "amount", "orders": "count"})
    assert float(frame.values["revenue"].sum()) == pytest.approx(901.25, abs=1e-12)  # 0.75 + 900.5
    assert float(frame.values["orders"].sum()) == pytest.approx(3.5, abs=1e-12)  # 2 + 1.5


def test_a_csv_amount_column_with_a_percentage_among_plain_numbers_names_the_cell(
    write_workspace,
):
    """Not "write every cell with `%`" (the sampled mixed-percent rule): an amount refuses it."""
    import kpiengine
    from kpiengine.errors import KpiError

    defs = "variables:\n  spend: {unit: currency}\nkpis:\n  k: {formula: spend, unit: currency}\n"
    source = "s: {connector: csv, path: d.csv, date: date, map: {spend: cost}}"
    root = write_workspace({"d": defs}, f"currency: USD\nsources:\n  {source}\n")
    (root / "d.csv").write_text("date,cost\n2024-01-01,120\n2024-01-02,45%\n")
    with pytest.raises(KpiError) as info:
        kpiengine.evaluate(kpiengine.load_workspace(root))
    assert str(info.value.location).endswith("d.csv:3:12")
    assert "expected an amount in column `cost`, found `45%`" in info.value.message
