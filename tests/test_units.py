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


@pytest.mark.parametrize("text", ["currency + leads", "2 * leads", "leads ** x", ""])
def test_malformed_units(text):
    with pytest.raises(UnitSyntaxError):
        units.parse(text)
