import pytest

from kpiengine import evaluate, load_workspace
from kpiengine.errors import KpiError

DEFS = """\
variables:
  revenue: {unit: currency}
  cost: {unit: currency}
  buyers: {unit: customers}
kpis:
  roi:
    title: {en: ROI, fr: Retour sur investissement}
    formula: (revenue - cost) / cost
    unit: ratio
    format: percent
    target: 0.3
  cac: {title: CAC, formula: cost / buyers, unit: currency / customers, direction: lower}
  double_cac: {title: 2 CAC, formula: 2 * cac, unit: currency / customers}
  growth: {title: Growth, formula: revenue / prev(revenue) - 1, unit: ratio}
  sales: {title: Sales, formula: revenue, unit: currency, target: {annual: 1200}}
"""
DATA = """\
date,channel,revenue,cost,buyers
2024-01-10,Email,100,50,2
2024-01-20,Ads,300,200,3
2024-02-10,Email,130,60,0
2024-02-12,Ads,200,100,0
2024-03-05,Email,,40,1
2024-03-06,Ads,100,40,1
"""


@pytest.fixture
def ws(write_workspace):
    root = write_workspace({"defs": DEFS}, kpi_yaml="data: data.csv\n", data=DATA)
    return load_workspace(root, builtins=False)


def cell(results, kpi, period, segment=None):
    for r in results.records():
        if r["kpi"] == kpi and r["period"] == period and r["segment"] == (segment or {}):
            return r
    raise AssertionError(f"no record for {kpi} {period} {segment}")


def test_totals_come_from_summed_inputs(ws):
    results = evaluate(ws, by=["channel"])
    assert cell(results, "roi", "2024-01")["value"] == pytest.approx((400 - 250) / 250)
    assert cell(results, "roi", "2024-01", {"channel": "Email"})["value"] == pytest.approx(1.0)
    assert cell(results, "cac", "2024-01")["value"] == pytest.approx(250 / 5)
    assert cell(results, "double_cac", "2024-01")["value"] == pytest.approx(100)


def test_zero_denominator_is_undefined_with_a_reason(ws):
    results = evaluate(ws, by=["channel"])
    record = cell(results, "cac", "2024-02", {"channel": "Ads"})
    assert record["value"] is None
    assert record["reason"] == "no `buyers` in 2024-02 (channel=Ads)"
    downstream = cell(results, "double_cac", "2024-02")
    assert downstream["value"] is None
    assert downstream["reason"] == "`cac` is undefined (no `buyers`) in 2024-02"


def test_missing_data_is_undefined_not_zero(ws):
    results = evaluate(ws, by=["channel"])
    record = cell(results, "roi", "2024-03", {"channel": "Email"})
    assert record["value"] is None and "no data for `revenue`" in record["reason"]
    # the total still has Ads' revenue: missing is not zero, but the total uses what exists
    assert cell(results, "roi", "2024-03")["value"] == pytest.approx((100 - 80) / 80)


def test_previous_period_function_and_changes(ws):
    results = evaluate(ws)
    feb = cell(results, "growth", "2024-02")
    assert feb["value"] == pytest.approx(330 / 400 - 1)
    jan = cell(results, "growth", "2024-01")
    assert jan["value"] is None and "previous period" in jan["reason"]
    roi_feb = cell(results, "roi", "2024-02")
    assert roi_feb["previous"] == pytest.approx(0.6)
    assert roi_feb["change"] == pytest.approx((330 - 160) / 160 - 0.6)


def test_targets_status_and_additive_totals(ws):
    results = evaluate(ws, by=["channel"])
    roi = cell(results, "roi", "2024-01")
    assert roi["target"] == 0.3 and roi["status"] == "on_track"
    assert roi["gap"] == pytest.approx(0.6 - 0.3)
    assert cell(results, "roi", "2024-01", {"channel": "Email"})["target"] == 0.3
    sales = cell(results, "sales", "2024-01")
    assert sales["target"] == pytest.approx(1200 / 12)  # an even split gives each month 1/12
    assert sales["status"] == "on_track"  # 400 against 100
    assert cell(results, "sales", "2024-01", {"channel": "Email"})["target"] is None
    quarter = evaluate(ws, grain="quarter")
    assert cell(quarter, "sales", "2024-Q1")["target"] == pytest.approx(300)


def test_rollup_to_quarter_recomputes_from_inputs(ws):
    results = evaluate(ws, grain="quarter")
    revenue, cost = 100 + 300 + 130 + 200 + 100, 50 + 200 + 60 + 100 + 40 + 40
    assert cell(results, "roi", "2024-Q1")["value"] == pytest.approx((revenue - cost) / cost)


def test_period_selection(ws):
    import datetime as dt

    results = evaluate(ws, start=dt.date(2024, 2, 1), end=dt.date(2024, 2, 29))
    assert {r["period"] for r in results.records()} == {"2024-02"}


def test_kpi_selection_rules(write_workspace):
    root = write_workspace({"defs": DEFS}, kpi_yaml="data: data.csv\nkpis: [roi]\n", data=DATA)
    ws = load_workspace(root)
    assert set(evaluate(ws).kpis) == {"roi"}
    assert set(evaluate(ws, kpis=["cac"]).kpis) == {"cac"}
    with pytest.raises(KpiError, match="unknown KPI `rio`; did you mean `roi`"):
        evaluate(ws, kpis=["rio"])


def test_default_selection_and_missing_inputs(write_workspace):
    data = "date,revenue,cost\n2024-01-01,10,5\n"
    root = write_workspace({"defs": DEFS}, data=data)
    ws = load_workspace(root)  # built-ins too
    results = evaluate(ws, root / "data.csv")
    # workspace KPIs are asked for: cac lacks `buyers` -> a finding; built-ins are skipped quietly
    assert "roi" in results.kpis and "cac" not in results.kpis
    missing = {f.kpi: f.message for f in results.findings}
    assert "`buyers`" in missing["cac"] and "double_cac" in missing
    assert not any(k.startswith("cpc") for k in missing)


def test_sources_are_asked_only_for_the_dates_needed(write_workspace):
    import datetime as dt

    rows = "\n".join(
        f"20{y:02d}-{m:02d}-15,{y * 100 + m}" for y in (21, 22, 23, 24) for m in (1, 6)
    )
    root = write_workspace(
        {"v": "variables:\n  revenue: {unit: currency}\n"},
        kpi_yaml="data: data.csv\n",
        data="date,revenue\n" + rows + "\n",
    )
    ws = load_workspace(root)
    results = evaluate(
        ws, kpis=["sales_revenue"], start=dt.date(2024, 6, 1), end=dt.date(2024, 6, 30)
    )
    # a year back is kept for the change against last year; older rows are not read
    assert results.table.labels[0] == "2023-06"
    [record] = results.records()
    assert record["value"] == 2406 and record["last_year"] == 2306
