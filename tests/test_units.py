from fractions import Fraction

import pytest

from kpiengine.units import RATIO, UnitSyntaxError, UnitSystem, format_unit

units = UnitSystem(currency="EUR", extra_entities=frozenset({"members"}))


def test_compound_units_and_formatting():
    assert format_unit(units.parse("currency / customers")) == "currency / customers"
    assert format_unit(units.parse("customers / year")) == "customers / year"
    assert format_unit(units.parse("orders / customers / year")) == "orders / customers / year"
    assert units.parse("currency / currency") == RATIO
    assert format_unit(RATIO) == "ratio"


def test_singulars_iso_codes_and_declared_entities():
    assert units.parse("customer") == units.parse("customers")
    assert units.parse("opportunity") == units.parse("opportunities")
    assert units.parse("EUR") == units.parse("currency")  # the workspace currency
    assert units.parse("USD") != units.parse("currency")
    assert units.parse("members / month").dims


def test_time_scales_are_exact():
    per_year = units.parse("1 / year")
    month = units.parse("month")
    product = per_year * month
    assert product.dimensionless
    assert product.scale == Fraction(1, 12)
    assert (units.parse("week") / units.parse("day")).scale == 7
    assert units.parse("days") == units.parse("day")


def test_unknown_unit_suggests():
    with pytest.raises(UnitSyntaxError) as info:
        units.parse("currency / custmers")
    assert "did you mean `customers`" in str(info.value)
    assert info.value.column == 11


def test_counts_in_multiples_of_ten():
    per_mille = units.parse("currency / (1000 impressions)")
    assert per_mille == units.parse("currency / (1000 * impressions)")
    assert per_mille.same_dimension(units.parse("currency / impressions"))
    assert per_mille.scale == Fraction(1, 1000)
    # a value per 1,000 impressions is 1,000 times the value per impression
    assert units.parse("currency / impressions").factor_to(per_mille) == 1000
    assert format_unit(per_mille) == "currency / (1000 impressions)"
    per_month = units.parse("currency / (1000  impressions) / month")
    assert format_unit(per_month) == "currency / (1000 impressions) / month"
    assert format_unit(units.parse("(100 customers) / year")) == "(100 customers) / year"
    for unit in (per_mille, per_month, units.parse("customers / (100 visitors)")):
        assert units.parse(format_unit(unit)) == unit


def test_a_multiple_keeps_the_column_of_an_unknown_name():
    with pytest.raises(UnitSyntaxError) as info:
        units.parse("currency / (1000 impresions)")
    assert "did you mean `impressions`" in str(info.value)
    assert info.value.column == len("currency / (1000 ")


@pytest.mark.parametrize(
    "text", ["currency + leads", "2 * leads", "1500 leads", "0.1 * leads", "leads ** x", ""]
)
def test_malformed_units(text):
    with pytest.raises(UnitSyntaxError):
        units.parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "currency/(1000 impressions)",
        "currency / (1,000 impressions)",
        "currency / (1_000 impressions)",
        "currency / (1e3 impressions)",
        "currency per 1000 impressions",
        "currency / 1000 impressions",  # the multiple binds to its entity, as it is read
        "currency / ((1000 impressions))",
        "EUR / (1000  impression)",
    ],
)
def test_spellings_of_per_thousand_read_as_cpm(text):
    unit = UnitSystem("EUR").parse(text)
    assert unit.dim_map == {"currency": 1, "impressions": -1}
    assert unit.scale == Fraction(1, 1000)


@pytest.mark.parametrize(
    "text", ["currency / 1000", "1000 / impressions", "currency / (1000 impressions)**2"]
)
def test_every_scaled_unit_displays_as_text_that_parses_back(text):
    unit = units.parse(text)
    assert "(x" not in format_unit(unit)
    assert units.parse(format_unit(unit)) == unit


def test_a_count_that_is_no_power_of_ten_and_percent_say_what_is_expected():
    with pytest.raises(UnitSyntaxError) as info:
        units.parse("currency / (1500 leads)")
    assert "multiple of ten" in str(info.value) and "`1500`" in str(info.value)
    assert info.value.column == len("currency / (")
    with pytest.raises(UnitSyntaxError) as info:
        units.parse("percent")
    assert "`ratio`" in str(info.value) and "format: percent" in str(info.value)
