"""A formula's constant counts as a unit conversion only when it is one the unit needs (a power of
ten for per-1,000 or percent units; a time ratio such as 12, 52 / 4.33 or 365 / 30 within 2%);
other constants are coefficients, kept; when coefficients stand beside a wrong conversion the
old message (the factor needed, no formula to paste) is given; KPI210 counts powers of ten."""

from __future__ import annotations

import pytest

from kpiengine.formula import parse_formula
from kpiengine.unitcheck import check_declared, infer_unit
from kpiengine.units import UnitSystem

system = UnitSystem()
UNITS = {
    "ad_spend": "currency",
    "impressions": "impressions",
    "arpa": "currency / customers / month",
    "lifetime": "year",
}
LTV = "currency / customers"


def lookup(name: str):
    return system.parse(UNITS[name]) if name in UNITS else None


def problems(text: str, declared: str):
    formula = parse_formula(text)
    unit, found = infer_unit(formula, lookup)
    assert not found and unit is not None
    return check_declared(formula, unit, system.parse(declared), lookup)


@pytest.mark.parametrize(
    "text",
    [
        "arpa * lifetime * 12 * 70 / 100",  # a 70% margin beside the 12 months
        "arpa * lifetime * 12 * 0.1",
        "arpa / 4.33 * lifetime * 52",  # 52 / 4.33 = 12.009, 0.08% off
        "arpa * lifetime * 365 / 30",  # 12.17, 1.4% off
    ],
)
def test_a_conversion_beside_coefficients_converts(text):
    assert problems(text, LTV) == []


def test_a_coefficient_beside_a_wrong_conversion_gets_the_old_message():
    # 7 might be days a week or seven seats: the factor needed is said, no formula to paste
    [found] = problems("arpa * lifetime * 7 * 0.7", LTV)
    assert found.message.endswith("its value must be multiplied by 12 to be in " + LTV)
    assert found.fix == (
        "express every duration and rate in the same time unit, or multiply by the "
        "conversion factor 12"
    )


def test_a_vat_factor_is_no_part_of_a_per_mille_conversion():
    assert problems("(ad_spend * 1.19) / impressions * 1000", "currency / (1000 impressions)") == []


def test_kpi210_counts_only_powers_of_ten(write_workspace):
    import kpiengine
    from kpiengine.engine import Engine

    root = write_workspace(
        {
            "ads": """\
            kpis:
              cpm_vat: {title: CPM gross, formula: (ad_spend * 1.19) / impressions * 1000}
              cpm_low: {title: CPM low, formula: ad_spend * 1.19 / impressions * 100}
            """
        }
    )
    report = Engine(kpiengine.load_workspace(root)).lint()
    found = {f.kpi: f for f in report.findings if f.code == "KPI210"}
    assert set(found) == {"cpm_low"}
    # its powers of ten make 100: 10 times too small; the 1.19 is kept
    assert "factor of 100, not 1,000" in found["cpm_low"].message
    assert "10 times too small" in found["cpm_low"].message
    assert found["cpm_low"].fix == "write `ad_spend * 1.19 / impressions * 1000`"
