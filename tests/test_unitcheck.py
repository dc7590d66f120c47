from fractions import Fraction

import pytest

from kpiengine.formula import parse_formula
from kpiengine.unitcheck import (
    CLASH,
    DECLARED_MISMATCH,
    TIME_SCALE,
    check_declared,
    consistent_readings,
    constant_factor,
    infer_unit,
    scaled_unit,
)
from kpiengine.units import UnitSystem

system = UnitSystem()
UNITS = {
    "revenue": "currency",
    "marketing_cost": "currency",
    "visitors": "visitors",
    "new_customers": "customers",
    "price": "currency / orders",
    "frequency": "orders / customers / year",
    "lifetime_months": "month",
    "lifetime_years": "year",
    "rate_per_year": "customers / year",
    "rate_per_month": "customers / month",
    "ad_spend": "currency",
    "impressions": "impressions",
}
PER_MILLE = system.parse("currency / (1000 impressions)")


def lookup(name):
    return system.parse(UNITS[name]) if name in UNITS else None


def infer(text):
    return infer_unit(parse_formula(text), lookup)


def test_missing_parenthesis_is_a_clash_with_the_consistent_reading():
    formula = parse_formula("revenue - marketing_cost / marketing_cost")
    unit, problems = infer_unit(formula, lookup)
    assert [p.kind for p in problems] == [CLASH]
    assert "currency" in problems[0].message and "ratio" in problems[0].message
    readings = consistent_readings(formula, lookup, system.parse("ratio"))
    assert readings == ["(revenue - marketing_cost) / marketing_cost"]


def test_parenthesised_roi_is_clean():
    unit, problems = infer("(revenue - marketing_cost) / marketing_cost")
    assert problems == [] and unit.dimensionless


def test_min_max_clash():
    _, problems = infer("max(revenue, visitors)")
    assert [p.kind for p in problems] == [CLASH]


def test_ltv_per_year_times_months_reports_factor():
    formula = parse_formula("price * frequency * lifetime_months")
    unit, problems = infer_unit(formula, lookup)
    assert problems == []
    assert unit.scale == Fraction(1, 12)
    found = check_declared(formula, unit, system.parse("currency / customers"), lookup)
    assert [p.kind for p in found] == [TIME_SCALE]
    assert "1/12" in found[0].message
    assert "lifetime_months` in month" in found[0].message


def test_per_year_rate_times_years_is_clean():
    formula = parse_formula("price * frequency * lifetime_years")
    unit, problems = infer_unit(formula, lookup)
    assert problems == []
    assert check_declared(formula, unit, system.parse("currency / customers"), lookup) == []


def test_adding_rates_in_different_time_units():
    _, problems = infer("rate_per_year + rate_per_month")
    assert [p.kind for p in problems] == [TIME_SCALE]
    assert "12" in problems[0].message


def test_inverted_ratio_is_named():
    formula = parse_formula("visitors / new_customers")
    unit, _ = infer_unit(formula, lookup)
    found = check_declared(formula, unit, system.parse("customers / visitors"), lookup)
    assert [p.kind for p in found] == [DECLARED_MISMATCH]
    assert "inverted" in found[0].message


def test_log_of_a_currency():
    _, problems = infer("log(revenue)")
    assert [p.kind for p in problems] == [CLASH]


def test_unknown_names_give_no_unit_and_no_cascade():
    unit, problems = infer("revenue - mystery")
    assert problems == []
    assert unit is None


@pytest.mark.parametrize(
    "text",
    [
        "ad_spend / impressions * 1000",
        "1000 * ad_spend / impressions",
        "ad_spend / (impressions / 1000)",
    ],
)
def test_cpm_times_1000_is_per_1000_impressions(text):
    formula = parse_formula(text)
    unit, problems = infer_unit(formula, lookup)
    assert problems == []
    assert constant_factor(formula.tree) == 1000
    assert check_declared(formula, unit, PER_MILLE, lookup) == []
    assert str(scaled_unit(formula, unit, PER_MILLE)) == "currency / (1000 impressions)"


@pytest.mark.parametrize(
    ("text", "factor"), [("ad_spend / impressions", "1000"), ("ad_spend / impressions * 100", "10")]
)
def test_cpm_without_the_right_factor_is_flagged(text, factor):
    formula = parse_formula(text)
    unit, _ = infer_unit(formula, lookup)
    [found] = check_declared(formula, unit, PER_MILLE, lookup)
    assert found.kind == DECLARED_MISMATCH
    assert f"must be multiplied by {factor}" in found.message
    assert "declared in currency / (1000 impressions)" in found.message
    assert scaled_unit(formula, unit, PER_MILLE) == unit


def test_a_factor_of_12_converts_months_to_years():
    formula = parse_formula("rate_per_month * 12")
    unit, _ = infer_unit(formula, lookup)
    assert check_declared(formula, unit, system.parse("customers / year"), lookup) == []
    wrong = parse_formula("rate_per_month * 10")
    [found] = check_declared(wrong, unit, system.parse("customers / year"), lookup)
    assert found.kind == TIME_SCALE and "12" in found.message


def test_a_workspace_cpm_without_the_factor_is_kpi102(write_workspace):
    import kpiengine

    root = write_workspace(
        {
            "ads": """\
            kpis:
              my_cpm:
                title: My CPM
                formula: ad_spend / impressions
                unit: currency / (1000 impressions)
              my_cpm_ok:
                title: My CPM, per mille
                formula: 1000 * ad_spend / impressions
                unit: currency / (1000 impressions)
            """
        }
    )
    ws = kpiengine.load_workspace(root)
    found = [(f.kpi, f.code) for f in ws.findings if f.code.startswith("KPI10")]
    assert found == [("my_cpm", "KPI102")]
    [finding] = [f for f in ws.findings if f.kpi == "my_cpm" and f.code == "KPI102"]
    assert "must be multiplied by 1000" in finding.message
    assert str(ws.kpis["my_cpm_ok"].inferred_unit) == "currency / (1000 impressions)"


WRONG_VALUES = """\
parameters:
  lifetime_months: {value: 24, unit: month}
  purchases_per_year: {value: 3, unit: orders / customers / year}
kpis:
  roi_typo:
    title: ROI with a missing parenthesis
    formula: revenue - marketing_cost / marketing_cost
    unit: ratio
  ltv_months:
    title: LTV, a per-year rate times months
    formula: revenue / orders * purchases_per_year * lifetime_months
    unit: currency / customers
  orders_per_revenue:
    title: Order value, inverted
    formula: orders / revenue
    unit: currency / orders
  order_share:
    title: Orders per unit of revenue, loosely declared
    formula: orders / revenue
    unit: ratio
  roi_kept:
    title: A clash the analyst allows
    formula: revenue - marketing_cost / marketing_cost
    unit: ratio
    allow: {KPI101: "a test of allow"}
"""


def test_kpis_whose_units_say_the_value_is_wrong_are_not_evaluated(write_workspace):
    """KPI101, KPI103 and an inverted ratio (KPI102) leave the KPI out of runs (lint still
    names them); a declared unit that is only loose does not; `allow:` keeps a KPI in."""
    import kpiengine

    root = write_workspace(
        {"mine": WRONG_VALUES},
        kpi_yaml="currency: USD\ndata: data.csv\n",
        data="date,revenue,marketing_cost,orders\n2024-01-10,1000,400,10\n",
    )
    ws = kpiengine.load_workspace(root)
    kpis = ["roi_typo", "ltv_months", "orders_per_revenue", "order_share", "roi_kept"]
    records = kpiengine.evaluate(ws, kpis=kpis).records()
    values = {r["kpi"]: r["value"] for r in records if not r["segment"]}
    assert values == {"order_share": 10 / 1000, "roi_kept": 1000 - 400 / 400}
    for kpi in ("roi_typo", "ltv_months", "orders_per_revenue"):
        assert not ws.kpis[kpi].sound and ws.kpis[kpi].evaluable  # lint still checks them
        assert ws.blocked_by(kpi) == kpi
    with pytest.raises(kpiengine.KpiError, match="has errors"):
        kpiengine.evaluate(ws, kpis=["ltv_months"])
