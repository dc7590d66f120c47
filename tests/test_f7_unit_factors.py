"""KPI102/KPI103 count the formula's own conversion constants: the factor said is the one still
missing, and the formula suggested converges (it has no finding of its own); units read as a
person would write them (`/ month / year`), or said to be untellable; no reading divides by
`x - x`; an LTV over a churn ratio is not told to declare a rate per month."""

from __future__ import annotations

import re

import pytest

from kpiengine.formula import parse_formula
from kpiengine.unitcheck import check_declared, consistent_readings, infer_unit
from kpiengine.units import UnitSystem, format_unit

system = UnitSystem()
UNITS = {
    "ad_spend": "currency",
    "impressions": "impressions",
    "arpa": "currency / customers / month",
    "lifetime": "year",
    "churn": "ratio",
    "daily": "customers / day",
    "revenue": "currency",
    "cost": "currency",
}
PER_MILLE = "currency / (1000 impressions)"
CPM = "ad_spend / impressions * 1000"


def lookup(name: str):
    return system.parse(UNITS[name]) if name in UNITS else None


def problems(text: str, declared: str):
    formula = parse_formula(text)
    unit, found = infer_unit(formula, lookup)
    assert not found and unit is not None
    return check_declared(formula, unit, system.parse(declared), lookup)


@pytest.mark.parametrize(
    ("text", "declared", "missing", "better"),
    [
        # per impression times 100 is a tenth of per 1,000: 10 more, `* 1000` in all
        ("ad_spend / impressions * 100", PER_MILLE, "10", CPM),
        # divided by 1,000 where 1,000 multiplies: 1000 * 1000 more
        ("ad_spend / impressions / 1000", PER_MILLE, "1,000,000", CPM),
        # 100 * 1000 = 100,000 where 1,000 converts: 100 times too big
        (
            "ad_spend / impressions * 100 * 1000",
            PER_MILLE,
            "1/100",
            "ad_spend / impressions * 1000",
        ),
        # a monthly ARPA times years: 12 converts; 144 is 12 times too much, / 12 144 too little
        ("arpa * lifetime * 144", "currency / customers", "1/12", "arpa * lifetime * 12"),
        ("arpa * lifetime / 12", "currency / customers", "144", "arpa * lifetime * 12"),
        ("arpa * lifetime * 144 * 12", "currency / customers", "1/144", "arpa * lifetime * 12"),
        # a margin of 0.7 is a coefficient, kept: the 12 is what is missing
        ("arpa * lifetime * 0.7", "currency / customers", "12", "arpa * lifetime * 0.7 * 12"),
    ],
)
def test_the_missing_factor_counts_the_formulas_constants(text, declared, missing, better):
    [found] = problems(text, declared)
    said = re.search(r"must be multiplied by ([0-9/,.]+)", found.message)
    assert said is not None and said.group(1) == missing
    assert found.fix is not None and f"write `{better}`" in found.fix
    assert problems(better, declared) == []  # following the advice converges


def test_a_constant_without_conversion_keeps_the_old_message():
    [found] = problems("ad_spend / impressions", PER_MILLE)
    assert found.message.endswith("its value must be multiplied by 1000")
    assert found.fix == (
        "write `ad_spend / impressions * 1000`, or declare `unit: currency / impressions`"
    )


def test_conventional_days_count_as_the_conversion():
    assert problems("daily * 365", "customers / year") == []  # 365.25 within 2%
    assert problems("daily * 30", "customers / month") == []  # 30.4375 within 2%
    [four_weeks] = problems("daily * 28", "customers / month")  # 8% off: an attempt, wrong
    assert "write `daily * 30.4375`" in four_weeks.fix


def test_a_monthly_amount_over_years_is_written_with_both_units():
    unit, _ = infer_unit(parse_formula("arpa / lifetime"), lookup)
    # currency / customers / month / year: two time units in the denominator
    assert format_unit(unit) == "currency / customers / month / year"
    assert system.parse(format_unit(unit)) == unit
    assert format_unit(system.parse("month / year")) == "month / year"


@pytest.mark.parametrize("text", ["revenue ** 0.333", "sqrt(sqrt(sqrt(sqrt(sqrt(revenue)))))"])
def test_a_unit_that_cannot_be_told_is_said_so(text):
    [found] = problems(text, "ratio")
    assert "cannot be told" in found.message
    assert "333/1000" not in found.message and "1/32" not in found.message
    assert found.fix is not None and "declare `unit:" not in found.fix


def test_no_reading_divides_by_a_difference_of_a_name_with_itself():
    formula = parse_formula("revenue / cost - cost / revenue / cost")
    readings = consistent_readings(formula, lookup, system.parse("ratio"))
    assert readings == ["revenue / (cost - cost / (revenue / cost))"]


def test_an_ltv_over_a_churn_ratio_is_not_told_to_declare_a_rate():
    [found] = problems("arpa / churn", "currency / customers")
    assert "`churn` is a ratio" in found.message
    assert found.fix is not None and "allow: {KPI102:" in found.fix
    assert "declare `unit: currency / customers / month`" not in found.fix


def test_kpi210_counts_the_constant_too(write_workspace):
    import kpiengine
    from kpiengine.engine import Engine

    root = write_workspace(
        {
            "ads": """\
            kpis:
              cpm_a: {title: CPM a, formula: ad_spend / impressions * 100}
              cpm_b: {title: CPM b, formula: ad_spend / impressions / 1000}
              cpm_c: {title: CPM c, formula: 1000 * ad_spend / impressions}
            """
        }
    )
    report = Engine(kpiengine.load_workspace(root)).lint()
    found = {f.kpi: f for f in report.findings if f.code == "KPI210"}
    assert set(found) == {"cpm_a", "cpm_b"}
    assert "100 times the cost of one impression, 10 times too small" in found["cpm_a"].message
    assert "1,000,000 times too small" in found["cpm_b"].message
    assert all(f.fix == "write `ad_spend / impressions * 1000`" for f in found.values())
