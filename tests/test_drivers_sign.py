"""Drivers of a rate or of a KPI at or below 0: the change in the KPI's unit (points), never a
% change whose sign would flip (ROI -37.5%: "+1% cost -> +1.67%" read as "spend more").

The data: January revenue 100 and cost 80 a day (ROI 25%, profit 620), February 50 and 80
(ROI -37.5%, profit -870), March 80 and 80 (ROI 0, profit 0). Every number below is worked out
by hand from those sums.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from test_report import parse

import kpiengine
from kpiengine.analysis import context_of, driver_tree, drivers, kpi_insights
from kpiengine.cli import cli
from kpiengine.report import render_report

NOW = dt.datetime(2024, 4, 2, 9, 0, tzinfo=dt.UTC)
DEFS = """\
kpis:
  profit: {title: Profit, formula: revenue - marketing_cost, unit: currency, format: currency}
  profit_and_revenue: {title: Profit and revenue, formula: profit + revenue, unit: currency}
"""
KPI_YAML = """\
name: drivers
currency: USD
grain: month
data: data.csv
kpis: [roi, profit, profit_and_revenue, sales_revenue]
"""
DAILY = {1: (100, 80), 2: (50, 80), 3: (80, 80)}  # month: (revenue, marketing cost) a day
DAYS = {1: 31, 2: 29, 3: 31}


def sums(month: int) -> tuple[float, float]:
    revenue, cost = DAILY[month]
    return revenue * DAYS[month], cost * DAYS[month]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    folder = tmp_path_factory.mktemp("drivers")
    (folder / "definitions").mkdir()
    (folder / "definitions" / "profit.yaml").write_text(DEFS, "utf-8")
    (folder / "kpi.yaml").write_text(KPI_YAML, "utf-8")
    rows = ["date,revenue,marketing_cost"]
    day = dt.date(2024, 1, 1)
    while day <= dt.date(2024, 3, 31):
        rows.append(f"{day},{DAILY[day.month][0]},{DAILY[day.month][1]}")
        day += dt.timedelta(days=1)
    (folder / "data.csv").write_text("\n".join(rows) + "\n", "utf-8")
    return folder


@pytest.fixture(scope="module")
def results(root):
    return kpiengine.evaluate(kpiengine.load_workspace(root))


def roi(r: float, c: float) -> float:
    return (r - c) / c


def test_a_negative_rate_moves_by_points_in_the_right_direction(results):
    r, c = sums(2)  # 1,450 and 2,320
    found = drivers(context_of(results), "roi", "2024-02")
    assert found.value == pytest.approx(-0.375)
    assert found.basis == "absolute" and "negative" in found.notes[0]
    effect = {d.input: d for d in found.drivers}
    # more cost lowers ROI, more revenue raises it: by hand, -0.62 and +0.625 points
    assert effect["marketing_cost"].change_1pct == pytest.approx(roi(r, c * 1.01) - roi(r, c))
    assert effect["marketing_cost"].change_1pct == pytest.approx(-0.0061881188)
    assert effect["revenue"].change_1pct == pytest.approx(0.00625)
    assert effect["marketing_cost"].elasticity is None and effect["revenue"].elasticity is None


def test_a_positive_rate_is_in_points_and_keeps_its_elasticity(results):
    r, c = sums(1)  # 3,100 and 2,480: ROI 25%
    found = drivers(context_of(results), "roi", "2024-01")
    assert found.basis == "absolute" and "rate" in found.notes[0]
    effect = {d.input: d for d in found.drivers}
    assert effect["revenue"].change_1pct == pytest.approx(roi(r * 1.01, c) - 0.25)  # 0.0125
    assert effect["revenue"].elasticity == pytest.approx(r / c / 0.25)  # d ln ROI / d ln r = 5


def test_an_amount_above_zero_keeps_its_percent_change(results):
    found = drivers(context_of(results), "profit", "2024-01")
    assert found.basis == "relative" and found.notes == []
    effect = {d.input: d.elasticity for d in found.drivers}
    assert effect == pytest.approx({"revenue": 3100 / 620, "marketing_cost": -2480 / 620})


@pytest.mark.parametrize("period", ["2024-02", "2024-03"])  # profit -870, then 0
def test_an_amount_at_or_below_zero_moves_by_its_own_unit(results, period):
    r, c = sums(int(period[-1]))
    found = drivers(context_of(results), "profit", period)
    assert found.basis == "absolute" and found.value == pytest.approx(r - c)
    effect = {d.input: d for d in found.drivers}
    assert effect["revenue"].change_1pct == pytest.approx(r / 100)  # +$14.50, +$24.80
    assert effect["marketing_cost"].change_1pct == pytest.approx(-c / 100)
    assert all(d.elasticity is None for d in found.drivers)


def test_the_tree_follows_each_path_through_a_kpi_at_zero(results):
    """profit_and_revenue = profit + revenue in March: profit is 0, so an elasticity through
    it (0 / 0) is undefined, but the chain of derivatives is not: revenue reaches the top
    through profit (slope 1) and on its own (slope 1)."""
    r, c = sums(3)
    tree = driver_tree(context_of(results), "profit_and_revenue", "2024-03")
    assert tree.value == pytest.approx(r)  # 2,480
    profit = next(n for n in tree.children if n.name == "profit")
    assert profit.value == 0 and profit.impact_1pct == 0 and profit.elasticity == 0
    inner = {n.name: n for n in profit.children}
    assert inner["revenue"].impact_1pct == pytest.approx(r / 100)
    assert inner["revenue"].elasticity == pytest.approx(1.0)  # r / top
    assert inner["marketing_cost"].impact_1pct == pytest.approx(-c / 100)
    direct = next(n for n in tree.children if n.name == "revenue")
    assert direct.impact_1pct == pytest.approx(r / 100)


def test_the_tree_of_a_negative_kpi_has_no_elasticity(results):
    tree = driver_tree(context_of(results), "roi", "2024-02")
    leaves = {n.name: n for n in tree.children}
    assert leaves["revenue"].elasticity is None
    assert leaves["revenue"].impact_1pct == pytest.approx(1450 / 2320 / 100)  # r / c / 100
    assert leaves["marketing_cost"].impact_1pct == pytest.approx(-1450 / 2320 / 100)


def _drivers_md(markdown: str, kpi: str) -> list[str]:
    section = markdown.split(f"(`{kpi}`)\n", 1)[1].split("\n### ", 1)[0]
    block = section.split("**Top drivers:**", 1)[1].split("\n\n**", 1)[0]
    return [line for line in block.splitlines() if line[:3] in ("1. ", "2. ", "3. ")]


def test_report_shows_points_and_amounts_with_the_right_sign(results):
    markdown = render_report(results, "md", period="2024-02", generated_at=NOW)
    assert _drivers_md(markdown, "roi") == [
        "1. +1% `marketing_cost` → **-0.62 pp** · Marketing cost $2,320.00",
        "2. +1% `revenue` → **+0.62 pp** · Revenue $1,450.00",
    ]
    assert _drivers_md(markdown, "profit") == [
        "1. +1% `marketing_cost` → **-$23.20** · Marketing cost $2,320.00",
        "2. +1% `revenue` → **+$14.50** · Revenue $1,450.00",
    ]
    assert _drivers_md(markdown, "sales_revenue") == [
        "1. +1% `revenue` → **+1.00%** · Revenue $1,450.00"
    ]
    html = render_report(results, "html", period="2024-02", generated_at=NOW)
    section = next(
        s for s in parse(html).find_all("section", class_="kpi") if s.attrs["data-kpi"] == "roi"
    )
    items = {li.attrs["data-input"]: li for li in section.find_all("li", class_="driver")}
    cost = items["marketing_cost"]
    assert cost.attrs["data-basis"] == "absolute" and "data-elasticity" not in cost.attrs
    assert float(cost.attrs["data-effect"]) == pytest.approx(-0.0061881188)
    assert cost.find("strong", class_="effect").text() == "-0.62 pp"
    assert "changes by -0.62 pp" in cost.attrs["title"]


def test_a_kpi_at_zero_still_shows_its_drivers(results):
    markdown = render_report(results, "md", period="2024-03", generated_at=NOW)
    assert _drivers_md(markdown, "profit") == [
        "1. +1% `marketing_cost` → **-$24.80** · Marketing cost $2,480.00",
        "2. +1% `revenue` → **+$24.80** · Revenue $2,480.00",
    ]
    data = kpi_insights(context_of(results), "profit", "2024-03")
    assert data["drivers_basis"] == "absolute" and len(data["drivers"]) == 2


def test_drivers_command_text_and_json(root):
    run = CliRunner().invoke(cli, ["drivers", "roi", "-w", str(root), "--period", "2024-02"])
    assert run.exit_code == 0, run.output
    lines = run.stdout.splitlines()
    cost = next(line for line in lines if line.startswith("1 "))
    assert cost.split()[1:] == ["marketing_cost", "$2,320.00", "-0.000269", "—", "-0.6", "pp"]
    assert "`roi` is negative" in run.stdout
    assert "├─ marketing_cost = $2,320.00   (+1% -> -0.6 pp)" in run.stdout
    assert "└─ revenue = $1,450.00   (+1% -> +0.6 pp)" in run.stdout
    run = CliRunner().invoke(
        cli, ["drivers", "roi", "-w", str(root), "--period", "2024-02", "--format", "json"]
    )
    data = json.loads(run.stdout)
    assert data["basis"] == "absolute" and data["notes"]
    assert [d["elasticity"] for d in data["drivers"]] == [None, None]
    assert data["tree"]["children"][0]["impact_1pct"] == pytest.approx(-1450 / 2320 / 100)
