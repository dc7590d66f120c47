"""`kpi solve` and `kpi drivers` move `total(x)`, `ytd(x)` and `rolling(x, n)` with x: a
segment's share of the total, a month's share of the year to date, never held as constants
while x changes. Expected values are worked out by hand from the rows below."""

from __future__ import annotations

import pytest

import kpiengine
from kpiengine.analysis import driver_tree, drivers, solve_for
from kpiengine.engine import load_context
from kpiengine.errors import KpiError

ROWS = """\
date,channel,revenue,marketing_cost
2024-01-01,Search,6000,1500
2024-01-01,Social,2000,800
2024-01-01,Email,3000,200
2024-02-01,Search,6600,1700
2024-02-01,Social,3500,1200
2024-02-01,Email,3600,200
2024-03-01,Search,7000,1600
2024-03-01,Social,2500,900
2024-03-01,Email,3300,250
"""
DEFS = """\
kpis:
  share_of_revenue:
    formula: revenue / total(revenue)
    unit: ratio
    format: percent
  month_share_ytd:
    formula: revenue / ytd(revenue)
    unit: ratio
    format: percent
  month_share_rolling:
    formula: revenue / rolling(revenue, 2)
    unit: ratio
    format: percent
  cost_per_revenue:
    formula: marketing_cost / revenue
    unit: ratio
  cost_share:
    formula: cost_per_revenue / total(cost_per_revenue)
    unit: ratio
"""
KPIS = ["share_of_revenue", "month_share_ytd", "month_share_rolling", "cost_share"]
KPI_YAML = f"""\
currency: EUR
sources:
  d: {{connector: csv, path: data.csv, date: date, rows: month, dimensions: {{channel: channel}}}}
kpis: [{", ".join(KPIS)}]
"""
SEARCH = {"channel": "Search"}


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    (root / "definitions").mkdir()
    (root / "definitions" / "k.yaml").write_text(DEFS)
    (root / "kpi.yaml").write_text(KPI_YAML)
    (root / "data.csv").write_text(ROWS)
    return load_context(kpiengine.load_workspace(root), KPIS, by=["channel"])


def test_a_segments_share_moves_the_total_with_it(ctx):
    # S / (S + 5,800) = 0.6, the other channels' 2,500 + 3,300 held: S = 0.6 * 5,800 / 0.4
    found = solve_for(ctx, "share_of_revenue", 0.6, "revenue", "2024-03", SEARCH)
    [solution] = found.solutions
    assert solution.value == pytest.approx(8700) and solution.exact == "8700"
    assert any("`revenue` + €5,800.00" in n for n in found.notes)


def test_the_total_rows_share_is_always_all_of_it(ctx):
    found = solve_for(ctx, "share_of_revenue", 0.6, "revenue", "2024-03")
    assert found.solutions == [] and found.message.startswith("no solution")


def test_a_months_share_of_the_year_to_date_moves_the_year_to_date(ctx):
    # January and February: 11,000 + 13,700 = 24,700; R / (24,700 + R) = 0.4
    found = solve_for(ctx, "month_share_ytd", 0.4, "revenue", "2024-03")
    assert found.solutions[0].value == pytest.approx(0.4 * 24700 / 0.6)


def test_a_rolling_window_moves_with_its_last_period(ctx):
    # Search: February 6,600 held; R / (6,600 + R) = 0.6
    found = solve_for(ctx, "month_share_rolling", 0.6, "revenue", "2024-03", SEARCH)
    assert found.solutions[0].value == pytest.approx(0.6 * 6600 / 0.4)


def test_a_kpi_read_through_its_total_is_not_solved_for_alone(ctx):
    with pytest.raises(KpiError, match=r"total\(cost_per_revenue\)"):
        solve_for(ctx, "cost_share", 0.5, "cost_per_revenue", "2024-03", SEARCH)


def test_drivers_move_the_total_with_the_segment(ctx):
    found = drivers(ctx, "share_of_revenue", "2024-03", SEARCH)
    by_name = {d.input: d for d in found.drivers}
    assert by_name["revenue"].change_1pct == pytest.approx(7070 / 12870 - 7000 / 12800)
    # d/dS of S / (S + O) = O / (S + O)^2
    assert by_name["revenue"].derivative == pytest.approx(5800 / 12800**2)
    # total(revenue) alone: the other channels moving, Search held
    assert by_name["revenue__total"].change_1pct == pytest.approx(7000 / 12928 - 7000 / 12800)
    tree = driver_tree(ctx, "share_of_revenue", "2024-03", SEARCH)
    leaf = next(c for c in tree.children if c.name == "revenue")
    assert leaf.change_1pct == pytest.approx(7070 / 12870 - 7000 / 12800)


def test_in_the_total_row_the_total_is_the_input_itself(ctx):
    found = drivers(ctx, "share_of_revenue", "2024-03")
    assert [d.input for d in found.drivers] == ["revenue"]
    assert found.drivers[0].change_1pct == pytest.approx(0.0, abs=1e-15)
    assert any("is `revenue` itself" in n for n in found.notes)
