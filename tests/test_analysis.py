"""Goal-seek, drivers and expansion (kpiengine.analysis)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import kpiengine
from kpiengine.analysis import (
    driver_tree,
    drivers,
    expand,
    input_names,
    is_share,
    solve_each,
    solve_expr,
    solve_for,
)
from kpiengine.analysis.expand import evaluate_at, exact
from kpiengine.engine import load_context
from kpiengine.errors import KpiError
from kpiengine.formula import FormulaError, parse_formula, symbol

SHOP = Path(__file__).parent / "fixtures" / "analysis" / "shop"
KPIS = ["funnel_roas", "profit_per_acquisition", "sales_growth", "roi", "roas", "ctr"]


@pytest.fixture(scope="module")
def shop():
    ws = kpiengine.load_workspace(SHOP)
    assert not ws.errors
    return load_context(ws, KPIS, by=["channel"])


def small_ws(write_workspace, rows: str, kpi_yaml: str = "data: data.csv\n"):
    root = write_workspace(kpi_yaml=kpi_yaml, data=rows)
    return kpiengine.load_workspace(root)


def test_roi_target_30_percent_with_cost_7000_needs_revenue_9100(write_workspace):
    ws = small_ws(write_workspace, "date,revenue,marketing_cost\n2024-06-10,10000,7000\n")
    result = solve_for(load_context(ws, ["roi"]), "roi", 0.30, "revenue", period="2024-06")
    assert [s.exact for s in result.solutions] == ["9100"]
    solution = result.solutions[0]
    assert solution.value == 9100 and solution.feasible
    assert solution.change == pytest.approx(-900) and solution.change_pct == pytest.approx(-0.09)
    assert result.kpi_value == pytest.approx(3000 / 7000)


def test_solutions_substituted_back_reproduce_the_target(shop):
    for kpi, target in [("roi", 0.3), ("profit_per_acquisition", 40.0), ("sales_growth", 0.1)]:
        full = expand(shop.ws, kpi)
        for result in solve_each(shop, kpi, target, period="2024-06"):
            assert result.solutions, result.message
            names = input_names(full)
            values = shop.values(names, shop.labels.index("2024-06"))
            if result.input in shop.ws.kpis:
                expr = expand(shop.ws, kpi, keep={result.input})
                values[result.input] = result.input_value
            else:
                expr = full
            for solution in result.solutions:
                point = {**values, result.input: solution.value}
                assert evaluate_at(expr, point) == pytest.approx(target, rel=1e-9)


def test_for_names_a_kpi_several_levels_down(shop):
    # funnel_roas = impressions * ctr * click_conversion * conversion_value / ad_spend
    result = solve_for(shop, "funnel_roas", 4.0, "ctr", period="2024-06")
    (solution,) = result.solutions
    # with everything else held, ROAS is proportional to the click-through rate
    assert solution.value == pytest.approx(result.input_value * 4.0 / result.kpi_value)
    assert solution.feasible
    raw = solve_for(shop, "funnel_roas", 4.0, "ad_revenue", period="2024-06")
    assert raw.solutions[0].value == pytest.approx(raw.input_value * 4.0 / raw.kpi_value)


def test_an_input_that_cancels_out_or_is_absent_is_named(shop):
    with pytest.raises(KpiError, match="`clicks` cancels out of `funnel_roas`"):
        solve_for(shop, "funnel_roas", 4.0, "clicks")
    with pytest.raises(KpiError, match=r"`sessions` is not an input of `roi` \(its inputs"):
        solve_for(shop, "roi", 0.3, "sessions")


def test_no_solution_is_said_plainly(write_workspace):
    ws = small_ws(write_workspace, "date,revenue,marketing_cost\n2024-06-10,10000,7000\n")
    ctx = load_context(ws, ["roi"])
    # (revenue - cost) / cost = -1 needs revenue = 0: no cost gets there
    result = solve_for(ctx, "roi", -1.0, "marketing_cost")
    assert result.solutions == []
    assert result.message.startswith("no solution: no value of `marketing_cost` alone")


def test_infeasible_values_say_why(shop, write_workspace):
    result = solve_for(shop, "roi", -3.0, "revenue", period="2024-06")
    (solution,) = result.solutions
    assert solution.value < 0 and not solution.feasible
    assert "`revenue` would be negative" in solution.why[0]
    ws = small_ws(write_workspace, "date,bounces,sessions\n2024-06-10,40,100\n")
    share = solve_for(load_context(ws, ["bounce_rate"]), "bounce_rate", 1.5, "bounces")
    assert not share.solutions[0].feasible and "a share" in share.solutions[0].why[0]
    assert share.message.startswith("no feasible solution")


def test_a_period_with_undefined_values(write_workspace):
    rows = "date,ad_revenue,ad_spend\n2024-05-10,500,100\n2024-06-10,500,\n"
    ctx = load_context(small_ws(write_workspace, rows), ["roas"])
    with pytest.raises(KpiError, match="no `ad_spend` in 2024-06"):
        solve_for(ctx, "roas", 4.0, "ad_revenue", period="2024-06")
    # solving for the missing input itself works: it has no value today
    result = solve_for(ctx, "roas", 4.0, "ad_spend", period="2024-06")
    assert result.solutions[0].value == 125 and result.solutions[0].change is None


def test_several_solutions_and_intervals():
    x = symbol("x")
    points, method = solve_expr(x**2 - 2 * x, "x", 3.0)
    assert method == "exact" and [float(p) for p in points] == [-1.0, 3.0]
    (interval,), _ = solve_expr(sympy.Max(x, 3) * 2, "x", 6.0)
    assert isinstance(interval, sympy.Interval) and interval.sup == 3
    roots, method = solve_expr(x + sympy.log(x), "x", 6.0)
    assert method == "numeric" and float(roots[0] + sympy.log(roots[0])) == pytest.approx(6)


def test_default_target_is_the_kpi_target(shop):
    result = solve_for(shop, "roi", None, "revenue", period="2024-06")
    assert result.target == 0.3
    with pytest.raises(KpiError, match="has no target"):
        solve_for(shop, "profit_per_acquisition", None, "revenue")


def test_shares_are_recognised(shop):
    ws = shop.ws
    assert is_share(ws, "ctr") and is_share(ws, "click_conversion") and is_share(ws, "bounce_rate")
    assert not is_share(ws, "roas") and not is_share(ws, "roi") and not is_share(ws, "cpm")


def test_drivers_rank_elasticities_through_every_level(shop):
    report = drivers(shop, "profit_per_acquisition", period="2024-06")
    june = shop.labels.index("2024-06")
    values = shop.values(["revenue", "marketing_cost", "new_customers"], june)
    r, c, n = values["revenue"], values["marketing_cost"], values["new_customers"]
    f = (r - c) / n
    found = {d.input: d for d in report.drivers}
    assert found["revenue"].derivative == pytest.approx(1 / n)
    assert found["new_customers"].elasticity == pytest.approx(-1.0)
    assert found["marketing_cost"].elasticity == pytest.approx(-c / n / f)
    assert found["revenue"].via == ["revenue_per_customer"]
    impacts = [abs(d.impact_1pct) for d in report.drivers]
    assert impacts == sorted(impacts, reverse=True)
    roas = {d.input: d.elasticity for d in drivers(shop, "roas", "2024-06").drivers}
    assert roas == pytest.approx({"ad_revenue": 1.0, "ad_spend": -1.0})


def test_driver_tree_values_match_the_evaluation(shop):
    tree = driver_tree(shop, "funnel_roas", period="2024-06")
    results = kpiengine.evaluate(shop.ws, grain="month", kpis=["funnel_roas", "ctr"])
    i = results.labels.index("2024-06")
    assert tree.value == pytest.approx(results.kpis["funnel_roas"].values[i, 0])
    ctr = next(c for c in tree.children if c.name == "ctr")
    assert ctr.kind == "kpi" and ctr.value == pytest.approx(results.kpis["ctr"].values[i, 0])
    assert {c.name for c in ctr.children} == {"clicks", "impressions"}
    assert ctr.elasticity == pytest.approx(1.0)
    growth = driver_tree(shop, "sales_growth", period="2024-06")
    assert [c.label for c in growth.children] == ["revenue", "prev(revenue)"]


def test_prev_of_a_kpi_expands_with_shifted_inputs(write_workspace):
    defs = {
        "d": """\
        kpis:
          cac_change:
            title: CAC change
            formula: cac - prev(cac)
            unit: currency / customers
        """
    }
    root = write_workspace(defs)
    ws = kpiengine.load_workspace(root)
    assert not ws.errors
    names = set(input_names(expand(ws, "cac_change")))
    assert {"marketing_cost__prev", "new_customers__prev", "marketing_cost"} <= names


_NAMES = ["a", "b", "c"]


@st.composite
def formulas(draw, depth: int = 0) -> str:
    if depth >= 2 or draw(st.booleans()):
        return draw(st.sampled_from([*_NAMES, "2", "5"]))
    op = draw(st.sampled_from(["+", "-", "*", "/"]))
    return f"({draw(formulas(depth + 1))} {op} {draw(formulas(depth + 1))})"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    formulas(),
    st.lists(st.integers(1, 50), min_size=3, max_size=3),
    st.floats(-10, 10, allow_nan=False),
)
def test_random_goal_seek_substitutes_back(text, values, target):
    try:
        expr = parse_formula(text).expr
    except FormulaError:  # e.g. `a / (b - b)`: rejected as undefined whatever the data
        assume(False)
    names = input_names(expr)
    assume(names)
    name = names[0]
    point = dict(zip(_NAMES, map(float, values), strict=True))
    known = {symbol(n): exact(v) for n, v in point.items() if n != name}
    pieces, _ = solve_expr(expr.xreplace(known), name, target)
    for piece in pieces:
        if isinstance(piece, sympy.Set):
            continue
        value = evaluate_at(expr, {**point, name: float(piece)})
        if math.isfinite(value):
            assert value == pytest.approx(target, rel=1e-7, abs=1e-7)


def test_kpi_insights_for_reports(shop):
    from kpiengine.analysis import kpi_insights

    data = kpi_insights(shop, "roi", period="2024-06")
    assert data["period"] == "2024-06" and data["target"] == 0.3
    assert len(data["drivers"]) == 2 and data["tree"]["name"] == "roi"
    change = data["change"]
    assert change["start"] == "2024-05" and change["waterfall"][-1]["kind"] == "end"
    if data["status"] in ("off_track", "at_risk"):
        assert {n["input"] for n in data["needs"]} == {"revenue", "marketing_cost"}
    first = kpi_insights(shop, "roi", period="2023-01")
    assert first["change"] is None and "no period before" in first["unavailable"]["change"]
    assert kpi_insights(shop, "nope")["unavailable"]["kpi"].startswith("unknown KPI")
