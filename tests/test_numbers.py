import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpiengine.numbers import (
    NumberError,
    ascii_digits,
    guess_decimal,
    parse_duration,
    parse_number,
    parse_numbers,
)


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [
        ("1234", None, 1234.0),
        ("1,234.50", None, 1234.5),
        ("1,234.50", ".", 1234.5),
        ("1.234,50", None, 1234.5),
        ("1.234,50", ",", 1234.5),
        ("1 234,50", ",", 1234.5),
        ("1\u00a0234,50", ",", 1234.5),  # no-break space
        ("1\u202f234,50", ",", 1234.5),  # narrow no-break space
        ("1\u202f234,50", None, 1234.5),
        ("1'234.50", ".", 1234.5),
        ("$1,234", None, 1234.0),
        ("€ 1.234,50", ",", 1234.5),
        ("1234 €", None, 1234.0),
        ("US$ 0,00", ",", 0.0),
        ("EUR 12.5", ".", 12.5),
        ("2.546", ",", 2546.0),
        ("2.546", ".", 2.546),
        ("1,234,567", None, 1234567.0),
        ("1.234.567", None, 1234567.0),
        ("1,00,000", ".", 100000.0),
        ("0,123", None, 0.123),
        ("12,5", None, 12.5),
        (".5", None, 0.5),
        ("-3.25", None, -3.25),
        ("\u22123.25", None, -3.25),
        ("(1,200)", None, -1200.0),
        ("(1.200,5)", ",", -1200.5),
        ("-$5", None, -5.0),
        ("+7", None, 7.0),
    ],
)
def test_parse_number(text, decimal, expected):
    assert parse_number(text, decimal) == expected


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [
        ("45.6%", None, 0.456),
        ("45.6 %", ".", 0.456),
        ("99,88%", None, 0.9988),
        ("99,88%", ",", 0.9988),
        ("62,5\u00a0%", ",", 0.625),
        ("100%", None, 1.0),
        ("0.00%", None, 0.0),
        ("221.74%", ".", 2.2174),
        ("-4.5%", None, -0.045),
    ],
)
def test_percentages_are_fractions(text, decimal, expected):
    assert parse_number(text, decimal) == pytest.approx(expected, abs=1e-15)


def test_percentage_is_exact_not_float_noise():
    assert parse_number("45.6%") == 0.456  # not 0.45599999999999996
    assert parse_number("12.34%") == 0.1234


@pytest.mark.parametrize("text", ["", "   ", "-", "–", "—", "n/a", "N/A", "nan"])
def test_missing_is_nan(text):
    assert math.isnan(parse_number(text))


def test_persian_and_arabic_digits():
    assert parse_number("۱۲۳") == 123.0
    assert parse_number("۱٬۲۳۴٫۵") == 1234.5  # Arabic thousands and decimal marks
    assert parse_number("١٢٫٥٪") == 0.125
    assert parse_number("۵۷٫۹۵٪", ",") == 0.5795  # `٫` is a decimal mark whatever `decimal` says
    assert ascii_digits("۱۴۰۳/۰۳/۱۲") == "1403/03/12"
    assert ascii_digits("٢٠٢٤") == "2024"


@pytest.mark.parametrize(
    ("text", "decimal"),
    [
        ("abc", None),
        ("1.5K", None),  # an abbreviation, not a currency
        ("5 apples", None),
        ("1.2.3", "."),
        ("1.5", ","),  # with a decimal comma, '.' must group three digits
        ("1,5", "."),
        ("1,2345", "."),
        ("12:30", None),
        ("(12", None),
        ("12-", None),
        ("1e5", None),
        ("1 2", None),
        ("45%%", None),
    ],
)
def test_unparseable_raises_number_error(text, decimal):
    with pytest.raises(NumberError) as info:
        parse_number(text, decimal)
    assert isinstance(info.value, ValueError)
    assert text in str(info.value)


def test_bad_decimal_argument():
    with pytest.raises(ValueError):
        parse_number("1", ";")


def test_parse_numbers_bulk_and_index_of_bad_value():
    assert parse_numbers(["1", "2,5", "1.234,5", "45%", ""], ",")[:4] == [1.0, 2.5, 1234.5, 0.45]
    assert math.isnan(parse_numbers(["-"])[0])
    assert parse_numbers(["1,234", "12.5"]) == [1234.0, 12.5]
    with pytest.raises(NumberError) as info:
        parse_numbers(["1", "2", "x3"], ".")
    assert info.value.index == 2
    with pytest.raises(NumberError) as info:
        parse_numbers(["1", "1.5"], ",")  # the fast path must not accept `1.5` as 1.5 here
    assert info.value.index == 1


def test_parse_numbers_rejects_infinity():
    with pytest.raises(NumberError):
        parse_numbers(["inf"])


def one_by_one(values, decimal):
    """parse_numbers value by value, beside a `-` that the bulk path leaves to the value by value
    path: what the bulk path must agree with."""
    out = []
    for index, value in enumerate(values):
        try:
            out.append(parse_numbers([value, "-"], decimal)[0])
        except NumberError as exc:
            return out, index, str(exc)
    return out, None, None


def bulk(values, decimal):
    try:
        return parse_numbers(values, decimal), None, None
    except NumberError as exc:
        return None, exc.index, str(exc)


@pytest.mark.parametrize("decimal", [None, ".", ","])
def test_parse_numbers_columns_agree_with_values_one_by_one(decimal):
    columns = [
        ["1,234", "12", "+7", "-0", ".5", "5.", "1,234.5", "1,234,567"],
        ["1,2345", "1"],  # a comma must group three digits
        ["12,345", "1234,567"],  # at most three digits before the first group
        ["1.5,000"],  # no group after the decimal point
        ["1,234."],  # a decimal point needs digits after a group
        [",5", "5,", "1,,234", "-", "", "n/a", " 5", "1e5", "1_000"],
        ["1.234,5", "1\u202f234,5", "1 234", "1234,5", "-12,5", "1.2"],
        ["9" * 400, "9" * 400 + ".", "1," + "000," * 120 + "000"],  # beyond float: read alike
        ["1\n2", "3"],  # a value holding a line break
    ]
    for column in columns:
        expected_values, expected_index, expected_message = one_by_one(column, decimal)
        values, index, message = bulk(column, decimal)
        assert (index, message) == (expected_index, expected_message), column
        if index is None:
            assert [repr(v) for v in values] == [repr(v) for v in expected_values], column


def test_parse_numbers_long_columns_index_of_bad_value():
    column = [f"{n:,}" for n in range(40_000)]
    assert parse_numbers(column) == [float(n) for n in range(40_000)]
    column[33_333] = "3x"
    with pytest.raises(NumberError) as info:
        parse_numbers(column)
    assert info.value.index == 33_333 and "3x" in str(info.value)
    column[33_333] = "-"  # missing: only its chunk is read value by value
    values = parse_numbers(column)
    assert math.isnan(values[33_333]) and values[33_334] == 33_334.0
    assert parse_numbers(iter(["1", "2,5"]), ",") == [1.0, 2.5]  # any iterable
    assert parse_numbers([1, 2.5]) == [1.0, 2.5]  # not only text


@given(
    st.lists(
        st.one_of(
            st.integers(-(10**12), 10**12).map(lambda n: f"{n:,}"),
            st.floats(-1e9, 1e9).map(lambda x: f"{x:,.3f}"),
            st.integers(0, 10**6).map(str),
            st.text("0123456789,.-+ ", max_size=8),
        ),
        max_size=12,
    ),
    st.sampled_from([None, ".", ","]),
)
def test_parse_numbers_bulk_path_reads_as_one_by_one(values, decimal):
    expected_values, expected_index, expected_message = one_by_one(values, decimal)
    got, index, message = bulk(values, decimal)
    assert (index, message) == (expected_index, expected_message)
    if index is None:
        assert [repr(v) for v in got] == [repr(v) for v in expected_values]


@pytest.mark.parametrize(
    ("samples", "integers", "expected"),
    [
        (["45.67%", "2.13", "$0.00"], [], "."),
        (["99,88%", "1,15", "US$ 0,00"], [], ","),
        (["1.234,50"], [], ","),
        (["1,234.50"], [], "."),
        (["0,5"], [], ","),
        (["1 234,567"], [], ","),
        ([], ["2.546", "1.449"], ","),  # whole numbers: the '.' groups thousands
        ([], ["2,546"], "."),
        (["1.234.567"], [], ","),
        (["12", "300"], [], "."),  # no mark at all: it does not matter
        ([], [], "."),
    ],
)
def test_guess_decimal(samples, integers, expected):
    assert guess_decimal(samples, integers=integers) == expected


def test_guess_decimal_ambiguous_only_when_it_matters():
    with pytest.raises(ValueError, match="1,234"):
        guess_decimal(["1,234", "56,789"])
    assert guess_decimal(["1,234"], default=",") == ","
    assert guess_decimal(["12"], default=",") == ","


def test_guess_decimal_mixed_conventions():
    with pytest.raises(ValueError, match="mix"):
        guess_decimal(["1,5", "2.5"])


def test_guess_decimal_names_the_first_value_of_each_convention():
    with pytest.raises(ValueError) as info:
        guess_decimal(["12", "2.5", "1,5", "2.5", "\uff11\uff0c\uff15"])  # full-width 1,5
    assert str(info.value) == "the numbers mix decimal marks: `2.5` uses '.', `1,5` uses ','"
    assert guess_decimal(["1\uff0c5"] * 3, integers=["7"] * 3) == ","


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("00:02:13", 133.0),
        ("2:13", 133.0),
        ("1:02:03", 3723.0),
        ("00:00:12.5", 12.5),
        ("75:00", 4500.0),
        ("۰۰:۰۲:۱۳", 133.0),
        ("1h 2m 3s", 3723.0),
        ("0m 45s", 45.0),
        ("2 min 13 s", 133.0),
        ("2分13秒", 133.0),
        ("45.5", 45.5),
        ("133", 133.0),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


def test_parse_duration_decimal_comma_and_missing():
    assert parse_duration("45,5", ",") == 45.5
    assert math.isnan(parse_duration(""))
    assert math.isnan(parse_duration("-"))


@pytest.mark.parametrize("text", ["00:75:00", "1:2:3:4", "a:b", "12:60", "2 fortnights", "45%"])
def test_bad_duration(text):
    with pytest.raises(NumberError):
        parse_duration(text)


@given(
    st.decimals(
        min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False
    )
)
def test_locale_formats_round_trip(value):
    english = f"{value:,.2f}"
    french = english.replace(",", "\u202f").replace(".", ",")
    german = english.replace(",", "_").replace(".", ",").replace("_", ".")
    expected = float(value)
    assert parse_number(english, ".") == expected
    assert parse_number(french, ",") == expected
    assert parse_number(german, ",") == expected
    assert parse_number(f"({english.lstrip('-')})", ".") == -abs(expected)


@given(st.integers(min_value=1000, max_value=10**12))
def test_whole_numbers_with_groups_decide_the_mark(value):
    dotted = f"{value:,}".replace(",", ".")
    assert guess_decimal([], integers=[dotted]) == ","
    assert parse_number(dotted, guess_decimal([], integers=[dotted])) == value
