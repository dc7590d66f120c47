"""Explaining a change: Shapley and LMDI contributions, mix versus rate across segments."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import kpiengine
from kpiengine.analysis import (
    explain_change,
    input_names,
    lmdi,
    shapley,
    split_by_segment,
    waterfall,
)
from kpiengine.analysis.explain import MAX_PLAYERS, UndefinedMix
from kpiengine.engine import load_context
from kpiengine.errors import KpiError
from kpiengine.formula import FormulaError, parse_formula
from kpiengine.vectorize import compile_expr

SHOP = Path(__file__).parent / "fixtures" / "analysis" / "shop"
ROAS_ROWS = "date,ad_revenue,ad_spend\n2024-05-10,50000,10000\n2024-06-10,50000,12500\n"


def context(write_workspace, rows: str, kpis: list[str], by=()):
    root = write_workspace(kpi_yaml="data: data.csv\n", data=rows)
    return load_context(kpiengine.load_workspace(root), kpis, by=by)


def test_roas_from_5_to_4_with_spend_up_25_percent_is_all_spend(write_workspace):
    ctx = context(write_workspace, ROAS_ROWS, ["roas"])
    for method in ("shapley", "lmdi"):
        e = explain_change(ctx, "roas", "2024-05", "2024-06", method=method)
        assert (e.before, e.after, e.change) == (5.0, 4.0, -1.0)
        parts = {c.input: c.contribution for c in e.contributions}
        assert parts["ad_spend"] == pytest.approx(-1.0, abs=1e-12)
        assert parts.get("ad_revenue", 0.0) == pytest.approx(0.0, abs=1e-12)
    steps = waterfall(e)
    assert [s["kind"] for s in steps] == ["start", "step", "end"]
    assert steps[1]["start"] == 5.0 and steps[1]["end"] == pytest.approx(4.0)


def test_contributions_sum_to_the_change_on_real_data():
    ws = kpiengine.load_workspace(SHOP)
    ctx = load_context(ws, ["profit_per_acquisition", "sales_growth", "funnel_roas", "roi"])
    for kpi in ("profit_per_acquisition", "sales_growth", "funnel_roas", "roi"):
        for start, end in [("2024-05", "2024-06"), ("2023-06", "2024-06")]:
            e = explain_change(ctx, kpi, start, end)
            total = math.fsum(c.contribution for c in e.contributions)
            assert total == pytest.approx(e.change, rel=1e-12, abs=1e-12)
    growth = explain_change(ctx, "sales_growth", "2024-05", "2024-06")
    assert {c.label for c in growth.contributions} == {"revenue", "prev(revenue)"}


def test_shapley_is_order_independent_and_matches_the_two_input_formula():
    expr = parse_formula("a * b").expr
    before, after = {"a": 2.0, "b": 3.0}, {"a": 5.0, "b": 7.0}
    phi_a, phi_b = shapley(expr, [["a"], ["b"]], before, after)
    # for a product: each input's change times the mean of the other's two values
    assert phi_a == pytest.approx(3 * (3 + 7) / 2) and phi_b == pytest.approx(4 * (2 + 5) / 2)
    assert shapley(expr, [["b"], ["a"]], before, after) == pytest.approx([phi_b, phi_a])


def test_lmdi_is_exact_for_products_and_refuses_other_forms():
    expr = parse_formula("a * b / c").expr
    before, after = {"a": 2.0, "b": 3.0, "c": 4.0}, {"a": 2.5, "b": 2.0, "c": 5.0}
    parts = lmdi(expr, before, after)
    change = 2.5 * 2 / 5 - 2 * 3 / 4
    assert math.fsum(parts.values()) == pytest.approx(change, rel=1e-12)
    with pytest.raises(KpiError, match="product of powers"):
        lmdi(parse_formula("a + b").expr, before, after)


def test_an_undefined_period_is_reported(write_workspace):
    rows = "date,ad_revenue,ad_spend\n2024-05-10,500,\n2024-06-10,500,100\n2024-07-10,400,0\n"
    ctx = context(write_workspace, rows, ["roas"])
    with pytest.raises(KpiError, match="`roas` is undefined in 2024-05: no `ad_spend` in 2024-05"):
        explain_change(ctx, "roas", "2024-05", "2024-06")
    with pytest.raises(KpiError, match="its denominator `ad_spend` is 0"):
        explain_change(ctx, "roas", "2024-06", "2024-07")


def test_an_undefined_mix_is_reported():
    expr = parse_formula("a / (b - c)").expr
    with pytest.raises(UndefinedMix):
        shapley(expr, [["b"], ["c"]], {"a": 1, "b": 2.0, "c": 1.0}, {"a": 1, "b": 3.0, "c": 2.0})


def test_many_inputs_are_grouped_by_the_formula_names(write_workspace):
    names = [f"v{k}" for k in range(MAX_PLAYERS + 2)]
    defs = {
        "d": "variables:\n"
        + "".join(f"  {n}: {{unit: currency}}\n" for n in names)
        + "kpis:\n"
        + "  part_a: {title: A, formula: "
        + " + ".join(names[:7])
        + ", unit: currency}\n"
        + "  part_b: {title: B, formula: "
        + " + ".join(names[7:])
        + ", unit: currency}\n"
        + "  big: {title: Big, formula: part_a / part_b, unit: ratio}\n"
    }
    header = "date," + ",".join(names)
    rows = "\n".join(
        f"2024-0{m}-01," + ",".join(str(k + m) for k in range(len(names))) for m in (1, 2)
    )
    root = write_workspace(defs, kpi_yaml="data: data.csv\n", data=f"{header}\n{rows}\n")
    ctx = load_context(kpiengine.load_workspace(root), ["big"])
    e = explain_change(ctx, "big", "2024-01", "2024-02")
    assert [c.label for c in e.contributions] != [] and len(e.contributions) == 2
    assert {c.label for c in e.contributions} == {"part_a", "part_b"}
    assert math.fsum(c.contribution for c in e.contributions) == pytest.approx(e.change)
    assert "grouped" in e.notes[0]


def test_mix_versus_rate_by_hand(write_workspace):
    # rates stay 10% (A) and 50% (B); the mix moves from 50/50 to 20/80: all mix
    rows = (
        "date,channel,conversions,sessions\n"
        "2024-05-01,A,10,100\n2024-05-01,B,50,100\n"
        "2024-06-01,A,4,40\n2024-06-01,B,80,160\n"
    )
    ctx = context(write_workspace, rows, ["conversion_rate"], by=["channel"])
    split = split_by_segment(ctx, "conversion_rate", "2024-05", "2024-06")
    assert split.kind == "mix_rate"
    assert split.change == pytest.approx(84 / 200 - 60 / 200)
    assert split.mix == pytest.approx(split.change) and split.rate == pytest.approx(0.0)
    # same mix, rates move: all rate
    rows = rows.replace("2024-06-01,A,4,40", "2024-06-01,A,20,100").replace(
        "2024-06-01,B,80,160", "2024-06-01,B,40,100"
    )
    ctx = context(write_workspace, rows, ["conversion_rate"], by=["channel"])
    split = split_by_segment(ctx, "conversion_rate", "2024-05", "2024-06")
    assert split.mix == pytest.approx(0.0) and split.rate == pytest.approx(split.change)


def test_mix_versus_rate_on_real_data_sums_to_the_change():
    ws = kpiengine.load_workspace(SHOP)
    ctx = load_context(ws, ["roas", "roi", "sales_revenue"], by=["channel"])
    for kpi in ("roas", "roi"):
        split = split_by_segment(ctx, kpi, "2024-05", "2024-06")
        assert split.mix + split.rate == pytest.approx(split.change, rel=1e-12)
        assert math.fsum(r.change for r in split.rows) == pytest.approx(split.change)
    email = next(r for r in split_by_segment(ctx, "roas").rows if r.segment == {"channel": "Email"})
    assert email.before is None and email.change == 0  # no ad spend: no rate, no weight
    sums = split_by_segment(ctx, "sales_revenue", "2024-05", "2024-06")
    assert sums.kind == "sum"
    assert math.fsum(r.change for r in sums.rows) == pytest.approx(sums.change)
    with pytest.raises(KpiError, match="needs --by"):
        split_by_segment(load_context(ctx.ws, ["roas"]), "roas")


_NAMES = ["a", "b", "c", "d", "e"]


@st.composite
def formulas(draw, depth: int = 0) -> str:
    if depth >= 3 or (depth and draw(st.booleans())):
        return draw(st.sampled_from([*_NAMES, "3", "0.5"]))
    op = draw(st.sampled_from(["+", "-", "*", "/"]))
    return f"({draw(formulas(depth + 1))} {op} {draw(formulas(depth + 1))})"


values = st.lists(st.floats(0.5, 20, allow_nan=False), min_size=5, max_size=5)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(formulas(), values, values)
def test_contributions_sum_to_the_change_for_random_formulas(text, first, second):
    try:
        expr = parse_formula(text).expr
    except FormulaError:  # e.g. `a / (b - b)`: rejected as undefined whatever the data
        assume(False)
    names = input_names(expr)
    assume(names)
    before = dict(zip(_NAMES, map(np.float64, first), strict=True))
    after = dict(zip(_NAMES, map(np.float64, second), strict=True))
    func = compile_expr(expr, names)
    corners = [
        func(*[(after if bit else before)[n] for n, bit in zip(names, bits, strict=True)])
        for bits in itertools.product((0, 1), repeat=len(names))
    ]
    assume(all(np.isfinite(c) for c in corners))
    players = [[n] for n in names if before[n] != after[n]]
    parts = shapley(expr, players, before, after)
    change = func(*[after[n] for n in names]) - func(*[before[n] for n in names])
    scale = max(1.0, *(abs(c) for c in corners))
    assert abs(math.fsum(parts) - change) <= 1e-12 * scale * 2 ** len(names)
