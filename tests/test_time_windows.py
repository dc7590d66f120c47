"""Windows (ytd, qtd, mtd, rolling), shares of the total and fiscal calendars, checked against
sums of the raw rows computed here."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

import numpy as np
import pytest
from click.testing import CliRunner

from kpiengine.cli import cli
from kpiengine.periods import Calendar

DEFS = """\
variables:
  cost: {unit: currency}
  buyers: {unit: customers}
  revenue: {unit: currency}
kpis:
  cac: {title: CAC, formula: cost / buyers, unit: currency / customers}
  cac_ytd: {title: CAC year to date, formula: ytd(cac), unit: currency / customers}
  cac_rolling:
    {title: CAC last 3 months, formula: 'rolling(cost, 3) / rolling(buyers, 3)',
     unit: currency / customers}
  revenue_share: {title: Share of revenue, formula: revenue / total(revenue), unit: ratio}
  revenue_ytd_growth:
    {title: YTD revenue growth, formula: ytd(revenue) / prev(ytd(revenue)) - 1, unit: ratio}
"""


def _rows(seed: int = 3) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    day = dt.date(2023, 1, 3)
    while day <= dt.date(2024, 12, 31):
        for channel in ("Ads", "Email"):
            if rng.random() < 0.6:
                rows.append(
                    {
                        "date": day,
                        "channel": channel,
                        "cost": float(rng.integers(10, 500)),
                        "buyers": float(rng.integers(0, 5)),
                        "revenue": float(rng.integers(0, 900)),
                    }
                )
        day += dt.timedelta(days=1)
    return rows


def _workspace(write_workspace, rows: list[dict], kpi_yaml: str = "") -> object:
    lines = ["date,channel,cost,buyers,revenue"]
    lines += [f"{r['date']},{r['channel']},{r['cost']},{r['buyers']},{r['revenue']}" for r in rows]
    root = write_workspace({"shop": DEFS}, kpi_yaml="data: data.csv\n" + kpi_yaml)
    (root / "data.csv").write_text("\n".join(lines) + "\n")
    return root


def _sum(rows, name, lo, hi, channel=None):
    return sum(r[name] for r in rows if lo <= r["date"] <= hi and channel in (None, r["channel"]))


def _records(root, *args) -> list[dict]:
    result = CliRunner().invoke(
        cli, ["eval", "--workspace", str(root), "--format", "json", *args], catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def test_ytd_of_a_kpi_is_ytd_inputs_not_an_average(write_workspace):
    rows = _rows()
    root = _workspace(write_workspace, rows)
    records = _records(root, "--kpi", "cac_ytd", "--by", "channel")
    checked = 0
    for r in records:
        year, month = map(int, r["period"].split("-"))
        channel = r["segment"].get("channel")
        lo, hi = dt.date(year, 1, 1), _month_end(year, month)
        expected = _sum(rows, "cost", lo, hi, channel) / _sum(rows, "buyers", lo, hi, channel)
        assert r["value"] == pytest.approx(expected, rel=1e-12), r
        checked += 1
    assert checked == 24 * 3


def test_window_option_equals_the_window_in_the_formula(write_workspace):
    rows = _rows()
    root = _workspace(write_workspace, rows)
    by_window = {
        (r["period"], r["kpi"]): r["value"]
        for r in _records(root, "--kpi", "cac", "--window", "ytd")
    }
    in_formula = {(r["period"], r["kpi"]): r["value"] for r in _records(root, "--kpi", "cac_ytd")}
    assert [by_window[(p, "cac")] for p, _ in in_formula] == pytest.approx(
        list(in_formula.values())
    )


@pytest.mark.parametrize("window", ["rolling:3", "qtd"])
def test_rolling_and_qtd_from_raw_rows(write_workspace, window):
    rows = _rows()
    root = _workspace(write_workspace, rows)
    for r in _records(root, "--kpi", "cac", "--window", window):
        year, month = map(int, r["period"].split("-"))
        hi = _month_end(year, month)
        if window == "qtd":
            lo = dt.date(year, (month - 1) // 3 * 3 + 1, 1)
        else:
            months = year * 12 + month - 1 - 2
            lo = dt.date(months // 12, months % 12 + 1, 1)
            if lo < dt.date(2023, 1, 1):
                assert r["value"] is None and "last 3 periods" in r["reason"]
                continue
        expected = _sum(rows, "cost", lo, hi) / _sum(rows, "buyers", lo, hi)
        assert r["value"] == pytest.approx(expected, rel=1e-12), r


def test_rolling_in_a_formula(write_workspace):
    rows = _rows()
    root = _workspace(write_workspace, rows)
    records = {r["period"]: r["value"] for r in _records(root, "--kpi", "cac_rolling")}
    lo, hi = dt.date(2024, 4, 1), dt.date(2024, 6, 30)
    assert records["2024-06"] == pytest.approx(
        _sum(rows, "cost", lo, hi) / _sum(rows, "buyers", lo, hi), rel=1e-12
    )


def test_share_of_total(write_workspace):
    rows = _rows()
    root = _workspace(write_workspace, rows)
    for r in _records(root, "--kpi", "revenue_share", "--by", "channel", "--period", "2024-05"):
        lo, hi = dt.date(2024, 5, 1), dt.date(2024, 5, 31)
        channel = r["segment"].get("channel")
        expected = _sum(rows, "revenue", lo, hi, channel) / _sum(rows, "revenue", lo, hi)
        assert r["value"] == pytest.approx(expected, rel=1e-12)
        if channel is None:
            assert r["value"] == pytest.approx(1.0)


def test_prev_of_a_window(write_workspace):
    rows = _rows()
    root = _workspace(write_workspace, rows)
    records = {r["period"]: r["value"] for r in _records(root, "--kpi", "revenue_ytd_growth")}
    ytd_march = _sum(rows, "revenue", dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    ytd_feb = _sum(rows, "revenue", dt.date(2024, 1, 1), dt.date(2024, 2, 29))
    assert records["2024-03"] == pytest.approx(ytd_march / ytd_feb - 1, rel=1e-12)


def test_fiscal_quarters_and_ytd_reset_in_the_fiscal_start_month(write_workspace):
    rows = _rows()
    root = _workspace(write_workspace, rows, "fiscal_year_start: 4\n")
    quarters = _records(root, "--kpi", "cac", "--grain", "quarter")
    labels = [r["period"] for r in quarters]
    assert "FY2025-Q1" in labels and "FY2024-Q4" in labels
    q1 = next(r for r in quarters if r["period"] == "FY2025-Q1")  # April-June 2024
    lo, hi = dt.date(2024, 4, 1), dt.date(2024, 6, 30)
    assert q1["value"] == pytest.approx(_sum(rows, "cost", lo, hi) / _sum(rows, "buyers", lo, hi))
    ytd = {r["period"]: r["value"] for r in _records(root, "--kpi", "cac_ytd")}
    lo = dt.date(2024, 4, 1)  # FY2025 starts in April 2024
    for month in (4, 5, 9):
        hi = _month_end(2024, month)
        expected = _sum(rows, "cost", lo, hi) / _sum(rows, "buyers", lo, hi)
        assert ytd[f"2024-{month:02d}"] == pytest.approx(expected, rel=1e-12)
    march = _sum(rows, "cost", dt.date(2023, 4, 1), dt.date(2024, 3, 31)) / _sum(
        rows, "buyers", dt.date(2023, 4, 1), dt.date(2024, 3, 31)
    )
    assert ytd["2024-03"] == pytest.approx(march, rel=1e-12)


def test_fiscal_annual_targets_and_labels(write_workspace):
    rows = _rows()
    yaml = "fiscal_year_start: 4\ntargets:\n  cost_total: {annual: {2025: 120000}}\n"
    defs = DEFS + "  cost_total: {title: Cost, formula: cost, unit: currency}\n"
    root = write_workspace({"shop": defs}, kpi_yaml="data: data.csv\n" + yaml)
    lines = ["date,channel,cost,buyers,revenue"]
    lines += [f"{r['date']},{r['channel']},{r['cost']},{r['buyers']},{r['revenue']}" for r in rows]
    (root / "data.csv").write_text("\n".join(lines) + "\n")
    years = {r["period"]: r for r in _records(root, "--kpi", "cost_total", "--grain", "year")}
    assert years["FY2025"]["target"] == pytest.approx(120000)
    months = {r["period"]: r["target"] for r in _records(root, "--kpi", "cost_total")}
    assert months["2024-04"] == pytest.approx(120000 / 12)  # even by month from April


def test_week_start_sunday():
    sunday = Calendar(week_start="sunday")
    ordinal = sunday.ordinal_of(dt.date(2024, 6, 8), "week")  # a Saturday
    assert sunday.start_date(ordinal, "week") == dt.date(2024, 6, 2)
    monday = Calendar()
    assert monday.start_date(monday.ordinal_of(dt.date(2024, 6, 8), "week"), "week") == dt.date(
        2024, 6, 3
    )


def test_a_window_over_a_mean_variable_is_undefined_with_the_reason(write_workspace):
    defs = """\
variables:
  price: {unit: currency, aggregate: mean}
kpis:
  price_ytd: {title: Price to date, formula: ytd(price), unit: currency}
"""
    root = write_workspace(
        {"p": defs}, kpi_yaml="data: data.csv\n", data="date,price\n2024-01-05,3\n2024-02-05,4\n"
    )
    [record, *_] = _records(root, "--kpi", "price_ytd")
    assert record["value"] is None and "`mean` variable" in record["reason"]


def test_sums_by_month_match_a_plain_count(write_workspace):
    rows = _rows()
    root = _workspace(write_workspace, rows)
    months = defaultdict(float)
    for r in rows:
        months[f"{r['date']:%Y-%m}"] += r["cost"]
    cac = {r["period"]: r for r in _records(root, "--kpi", "cac")}
    assert set(cac) == set(months)


def test_a_window_run_paces_its_partial_period(write_workspace):
    """`--window ytd` on data to 15 March: the year to date is compared to date (January and
    February whole, March 1-15 against February 1-15) and projected, as without a window."""
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(31 + 29 + 15)]
    data = "date,revenue\n" + "".join(f"{d.isoformat()},10\n" for d in days)
    root = write_workspace(kpi_yaml="data: data.csv\n", data=data)
    out = CliRunner().invoke(
        cli,
        ["eval", "-w", str(root), "--kpi", "sales_revenue", "--window", "ytd"]
        + ["--period", "current", "--format", "json"],
    )
    [record] = json.loads(out.stdout)
    assert record["value"] == 10 * len(days) and record["compared"] == "to_date"
    assert record["previous"] == 10 * (31 + 15)  # January whole, February 1-15
    assert record["projected"] == pytest.approx(10 * (31 + 29 + 31))


STOCK_DEFS = """\
variables:
  subscribers: {unit: customers, aggregate: {time: last, segments: sum}}
kpis:
  subs: {title: Subscribers, formula: subscribers, unit: customers}
"""
# monthly snapshots; plan b has no row after January (the plan was closed)
STOCK_ROWS = [
    ("2024-01-31", "a", 100),
    ("2024-01-31", "b", 200),
    ("2024-02-29", "a", 105),
    ("2024-03-31", "a", 110),
    ("2024-04-30", "a", 90),
    ("2024-04-30", "b", 30),
]


@pytest.mark.parametrize("window", ["ytd", "rolling:3"])
def test_a_stock_window_is_its_latest_period_segments_and_total_alike(
    write_workspace, monkeypatch, window
):
    """A stock over a window is its value in the window's latest period with data: a segment
    without a row there has none (not its older value), so the total is its segments' sum."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-06-10")
    text = "date,plan,subscribers\n" + "".join(f"{d},{p},{n}\n" for d, p, n in STOCK_ROWS)
    root = write_workspace({"d": STOCK_DEFS}, "data: data.csv\n", text)
    args = ["eval", "-w", str(root), "--by", "plan", "--format", "json", "--window", window]
    out = CliRunner().invoke(cli, args, catch_exceptions=False)
    got = {(r["period"], r["segment"].get("plan", "")): r["value"] for r in json.loads(out.stdout)}
    months = [("2024-03", "2024-03-31"), ("2024-04", "2024-04-30")]  # rolling:3 from March
    for month, day in [("2024-02", "2024-02-29")] * (window == "ytd") + months:
        rows = {p: n for d, p, n in STOCK_ROWS if d == day}
        assert got[(month, "")] == sum(rows.values()), month
        for plan in ("a", "b"):
            assert got[(month, plan)] == rows.get(plan), (month, plan)
