"""The number grammar: each cell of issue 11, and Python against DuckDB on generated cells."""

from __future__ import annotations

import math
from decimal import Decimal

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpiengine.errors import KpiError, Location
from kpiengine.fileformats.currency import currency_fits
from kpiengine.fileformats.decimals import guess_decimal
from kpiengine.fileformats.numbers import (
    NumberError,
    bad_number_sql,
    currency_sql,
    number_sql,
    parse_number,
    read_number,
)

PROPERTY = settings(
    derandomize=True,
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def sql_read(con, cells: list[str | None], *decimals: str, quantity: str = "") -> list[list[tuple]]:
    """(value or 'missing' or 'bad', currency) of each cell, as DuckDB reads it, for each
    decimal mark (one query for all), in a column holding `quantity` (`quantities`)."""
    q = quantity
    columns = ", ".join(
        f"{number_sql('x', d, quantity=q)}, {bad_number_sql('x', d, quantity=q)}, "
        f"{currency_sql('x', d)}"
        for d in decimals
    )
    query = f"SELECT {columns} FROM (SELECT unnest(?) AS x, unnest(range(?)) AS i) ORDER BY i"
    rows = con.execute(query, [cells, len(cells)]).fetchall()
    return [
        [
            (
                "bad" if row[3 * k + 1] else "missing" if row[3 * k] is None else row[3 * k],
                None if row[3 * k + 1] else row[3 * k + 2],  # a refused cell's: not asked
            )
            for row in rows
        ]
        for k in range(len(decimals))
    ]


def py_read(cell: str | None, decimal: str, quantity: str = "") -> tuple:
    try:
        number = read_number(cell, decimal, quantity)
    except NumberError:
        return ("bad", None)
    return ("missing" if math.isnan(number.value) else number.value, number.currency)


# --- the cells of the issue -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1e3", 1000.0),
        ("1e+06", 1e6),
        ("1.2E-05", 1.2e-05),
        ("-3.5e2", -350.0),
        ("1E3", 1000.0),
        ("(1,200)", -1200.0),
        ("45.6%", 0.456),
        ("1234-", -1234.0),
        ("\u22123.25", -3.25),
        ("1,234", 1234.0),
        ("1,234.50", 1234.5),
        ("1,00,000", 100000.0),
        ("1'234.50", 1234.5),
        (".5", 0.5),
        ("5.", 5.0),
        ("+7", 7.0),
        (" 12 ", 12.0),
        ("۱۲۳", 123.0),
        ("۱٬۲۳۴٫۵", 1234.5),
        ("١٢٫٥٪", 0.125),
        ("１２３", 123.0),
        ("%45", 0.45),
        ("12 %", 0.12),
    ],
)
def test_cells_read_with_a_decimal_point(cell, expected):
    assert parse_number(cell, ".") == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1,234", 1.234),
        ("1.234", 1234.0),
        ("1.234,50", 1234.5),
        ("1 234,50", 1234.5),
        ("1\u202f234,50", 1234.5),
        ("62,5\u00a0%", 0.625),
        ("1,2E-05", 1.2e-05),
        ("۵۷٫۹۵٪", 0.5795),  # `٫` is a decimal mark whatever the column's mark
    ],
)
def test_cells_read_with_a_decimal_comma(cell, expected):
    assert parse_number(cell, ",") == expected


def test_percentages_are_exact_decimals():
    assert parse_number("45.6%", ".") == 0.456  # not 0.45599999999999996
    assert parse_number("12.34%", ".") == 0.1234


@pytest.mark.parametrize(
    ("cell", "decimal", "value", "currency"),
    [
        ("US$50.00", ".", 50.0, "USD"),
        ("1 234,50 €", ",", 1234.5, "EUR"),
        ("1.234,50 €", ",", 1234.5, "EUR"),
        ("€ 1.234,50", ",", 1234.5, "EUR"),
        ("EUR 12.5", ".", 12.5, "EUR"),
        ("12.5 GBP", ".", 12.5, "GBP"),
        ("-$5", ".", -5.0, "$"),
        ("$-5", ".", -5.0, "$"),
        ("($1,200.00)", ".", -1200.0, "$"),
        ("R$ 1.234,56", ",", 1234.56, "BRL"),
        ("CHF 1'234.50", ".", 1234.5, "CHF"),
        ("12 kr", ",", 12.0, "kr"),
        ("1234", ".", 1234.0, None),
        ("1.234,50- €", ",", -1234.5, "EUR"),  # SAP and German Excel: the sign before the mark
        ("$1,234.50-", ".", -1234.5, "$"),
        # an accounting format's zero, as Excel writes it to CSV: a zero, not a missing cell
        (" $ -   ", ".", 0.0, "$"),
        ("$-", ".", 0.0, "$"),
        ("- €", ",", 0.0, "EUR"),
        ("EUR -", ",", 0.0, "EUR"),
        (" $ (1,234.00) ", ".", -1234.0, "$"),  # the accounting format's negative
        ("(50,50) €", ",", -50.5, "EUR"),
    ],
)
def test_currency_is_recorded(cell, decimal, value, currency):
    number = read_number(cell, decimal)
    assert (number.value, number.currency) == (value, currency)


def test_an_ambiguous_symbol_fits_each_currency_it_may_be():
    assert currency_fits("$", "CAD") and currency_fits("$", "usd")
    assert not currency_fits("$", "EUR")
    assert currency_fits("USD", "USD") and not currency_fits("USD", "CAD")


@pytest.mark.parametrize("cell", ["", "  ", "-", "--", "—", "–", "(not set)", "n/a", "N/A", "nan"])
def test_missing_cells_are_nan(cell):
    assert math.isnan(parse_number(cell, "."))


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("5k", "abbreviations"),
        ("1.5K", "abbreviations"),
        ("1-2", "range"),
        ("2024-01-15", "date"),
        ("#DIV/0!", "spreadsheet error"),
        ("#N/A", "spreadsheet error"),
        ("#REF!", "spreadsheet error"),
        ("#VALUE!", "spreadsheet error"),
        ("#NAME?", "spreadsheet error"),
        ("#NUM!", "spreadsheet error"),
        ("#NULL!", "spreadsheet error"),
        ("#ERROR!", "spreadsheet error"),  # Google Sheets: a formula it cannot parse
        ("Loading...", "spreadsheet error"),  # Google Sheets: downloaded before it computed
        ("1,2,3", "decimal mark `.`"),
        ("inf", "decimal mark"),
        ("abc", "decimal mark"),
        ("1_000", "decimal mark"),
        ("(12", "decimal mark"),
        ("45%%", "decimal mark"),
        ("1 2", "decimal mark"),
        ("12:30", "decimal mark"),
        ("$5 USD", "decimal mark"),  # two currency marks
        ("1e5%", "decimal mark"),
        ("1,234e3", "decimal mark"),
        ("0,123", "decimal mark"),  # a group of thousands does not start with 0
        ("1,5", "decimal mark"),
        ("1e400", "float's range"),
        ("ABC 5", "decimal mark"),  # not an ISO currency code
    ],
)
def test_rejected_cells_name_the_cell_and_what_was_expected(cell, reason):
    with pytest.raises(NumberError) as info:
        parse_number(cell, ".")
    message = str(info.value)
    assert f"`{cell}`" in message and reason in message
    assert isinstance(info.value, ValueError) and isinstance(info.value, KpiError)
    located = info.value.at(Location("data.csv", 3, 14))
    assert str(located).startswith("data.csv:3:14: ")


def test_a_decimal_point_is_not_a_thousands_mark_with_a_decimal_comma():
    with pytest.raises(NumberError):
        parse_number("1.5", ",")
    with pytest.raises(ValueError, match="decimal mark"):
        parse_number("1", ";")


# --- the decimal mark of a column ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "whole", "expected"),
    [
        (["45.67%", "2.13", "$0.00"], False, "."),
        (["99,88%", "1,15", "US$ 0,00"], False, ","),
        (["1.234,50"], False, ","),
        (["1,234.50"], False, "."),
        (["0,5"], False, ","),
        (["0,123"], False, ","),
        (["1 234,567"], False, ","),
        (["1.234.567"], False, ","),
        (["1,234", "12.5"], False, "."),  # `12.5` decides; `1,234` then reads 1234
        (["2.546", "1.449"], True, ","),  # counts: the '.' groups thousands
        (["2,546"], True, "."),
        (["12", "300"], False, "."),  # no mark: it does not matter
        ([], False, "."),
    ],
)
def test_guess_decimal(cells, whole, expected):
    assert guess_decimal(cells, whole=whole) == expected


def test_only_ambiguous_cells_read_their_lone_mark_as_grouping_thousands():
    """`1,234` and `56,789`: one mark before three digits is how both conventions group
    thousands (amounts have two decimals, counts none): `.` is the decimal mark. German
    `1.500 €` and `2.250 €` say `,`. The export's language (`default`) comes first."""
    assert guess_decimal(["1,234", "56,789"]) == "."
    assert guess_decimal(["1.500 €", "2.250 €", "750 €"]) == ","
    assert guess_decimal(["(1,200)"]) == "."
    assert guess_decimal(["1,234"], default=",") == ","


def test_guess_decimal_asks_when_ambiguous_cells_group_both_ways():
    with pytest.raises(NumberError, match="`1.500`") as info:
        guess_decimal(["1,234", "1.500"])
    assert "`1,234`" in str(info.value) and "decimal:" in (info.value.fix or "")


def test_guess_decimal_names_a_cell_of_each_convention():
    with pytest.raises(NumberError) as info:
        guess_decimal(["12", "2.5", "1,5", "2.5"])
    assert "`1,5`" in str(info.value) and "`2.5`" in str(info.value)


# --- SQL ----------------------------------------------------------------------------------------


ISSUE_CELLS = [
    "1e3", "1e+06", "1.2E-05", "-3.5e2", "5k", "1-2", "#DIV/0!", "2024-01-15", "—", "--",
    "(not set)", "1,234", "(1,200)", "45.6%", "US$50.00", "1 234,50 €", "۱۲۳", "1,2,3", "inf",
    "nan", "NaN", "Infinity", "1_000", "0x10", " 12 ", "\t12\n", "\u00a012", "1e400", "9" * 400,
    "1.5", "1,5", "1.", ",5", None, "", "N/A", "+-5", " +-5", "+-0", "+-1,5", "+-.6", "+5", "+0",
    " -0", "1e0005", "1e-0003", "0e5327", "1.5e-0010", "+-7E4",
]  # fmt: skip


@pytest.mark.parametrize("decimal", [".", ","])
def test_sql_reads_the_issue_cells_as_python_does(con, decimal):
    expected = [py_read(c, decimal) for c in ISSUE_CELLS]
    assert sql_read(con, ISSUE_CELLS, decimal) == [expected]


def test_typed_columns_are_not_cast_to_text(con):
    con.execute("CREATE OR REPLACE TABLE typed(i BIGINT, f DOUBLE, d DECIMAL(9, 2))")
    con.execute("INSERT INTO typed VALUES (1, 'nan', 1.5), (2, 'inf', 2.25), (3, 0.5, NULL)")
    query = (
        f"SELECT {number_sql('i', '.', 'BIGINT')}, {number_sql('f', '.', 'DOUBLE')}, "
        f"{bad_number_sql('f', '.', 'DOUBLE')}, {number_sql('d', '.', 'DECIMAL(9,2)')} "
        "FROM typed ORDER BY i"
    )
    assert con.execute(query).fetchall() == [
        (1.0, None, False, 1.5),  # NaN: missing
        (2.0, None, True, 2.25),  # infinity: bad
        (3.0, 0.5, False, None),
    ]
    assert "VARCHAR" not in number_sql("f", ".", "DOUBLE")
    with pytest.raises(ValueError, match="DATE"):
        number_sql("x", ".", "DATE")


# --- properties: Python and DuckDB read every cell alike ----------------------------------------

DIGITS = {"ascii": "0123456789", "persian": "۰۱۲۳۴۵۶۷۸۹", "arabic": "٠١٢٣٤٥٦٧٨٩"}
SEPARATORS = {".": [",", " ", "\u00a0", "\u202f", "'", "٬"], ",": [".", " ", "\u202f", "'"]}
MARKS = ["$", "US$", "€", "£", "EUR", "USD", "kr", "R$", "¥", "CHF"]
BIDI = ["\u200e", "\u200f", "\u061c", "\u2066", "\u2069", "\u202b", "\u202c"]


@st.composite
def number_cells(draw, decimal: str) -> tuple[str, Decimal]:
    """A well-formed cell and its value, written independently of the grammar."""
    integer = draw(st.integers(0, 10**12))
    places = draw(st.integers(0, 4))
    fraction = draw(st.integers(0, 10**places - 1)) if places else 0
    digits = f"{integer:,}".replace(",", "_")
    style = draw(st.sampled_from(["plain", "grouped", "exponent"]))
    if style == "grouped":
        text = digits.replace("_", draw(st.sampled_from(SEPARATORS[decimal])))
    else:
        text = digits.replace("_", "")
    if places:
        text += decimal + f"{fraction:0{places}d}"
    value = Decimal(integer) + (Decimal(fraction) / Decimal(10) ** places if places else 0)
    affix = draw(st.sampled_from(["", "-", "+", "\u2212", "-after", "()", "%", "%before"]))
    mark = draw(st.sampled_from(["", *MARKS])) if affix not in ("%", "%before") else ""
    if style == "exponent":
        exponent = draw(st.integers(-20, 20))
        text += draw(st.sampled_from("eE")) + f"{exponent:+d}"
        value *= Decimal(10) ** exponent
        mark, affix = "", affix if affix in ("", "-", "+") else ""
    if mark:
        gap = draw(st.sampled_from(["", " ", "\u00a0"]))
        text = f"{mark}{gap}{text}" if draw(st.booleans()) else f"{text}{gap}{mark}"
    if affix in ("-", "\u2212", "+"):
        text = affix + text
        value = -value if affix != "+" else value
    elif affix == "-after":
        text, value = text + "-", -value
    elif affix == "()":
        text, value = f"({text})", -value
    elif affix == "%":
        text, value = text + draw(st.sampled_from(["%", " %", "\u00a0%", "٪"])), value / 100
    elif affix == "%before":
        text, value = "%" + text, value / 100
    script = draw(st.sampled_from(list(DIGITS)))
    text = text.translate(str.maketrans("0123456789", DIGITS[script]))
    pad = draw(st.sampled_from(["", " ", "\t", "\u00a0"]))
    text = pad + text + pad
    for _ in range(draw(st.integers(0, 2))):  # bidirectional marks, ignored wherever they sit
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(BIDI)) + text[at:]
    return text, value


def mutated(cell: str) -> st.SearchStrategy[str]:
    alphabet = "0123456789.,-+()%$€ eE_#/:kK'\u00a0\u2212\u200e\u061c"
    return st.one_of(
        st.tuples(st.integers(0, len(cell)), st.sampled_from(alphabet)).map(
            lambda p: cell[: p[0]] + p[1] + cell[p[0] :]
        ),
        st.integers(0, max(len(cell) - 1, 0)).map(lambda i: cell[:i] + cell[i + 1 :]),
        st.just(cell),
    )


@pytest.mark.parametrize("decimal", [".", ","])
@PROPERTY
@given(data=st.data())
def test_well_formed_cells_read_their_value(decimal, data):
    cell, value = data.draw(number_cells(decimal))
    assert parse_number(cell, decimal) == float(value)


# A DuckDB query per example, its time mostly planning the query (~0.15 s whatever the number of
# rows): few examples of many cells each (more distinct cells than 80 examples of 1 to 25).
@settings(PROPERTY, max_examples=15)
@given(
    cells=st.lists(
        st.one_of(
            number_cells(".").map(lambda c: c[0]),
            number_cells(",").map(lambda c: c[0]),
            number_cells(".").flatmap(lambda c: mutated(c[0])),
            number_cells(",").flatmap(lambda c: mutated(c[0])),
            st.text("0123456789.,-+()%$€ eEinfa_#'\u00a0", max_size=10),
            st.sampled_from(["", "-", "--", "N/A", "(not set)", "nan", "inf", None, "$ -"]),
            st.sampled_from(["- €", "1.234,50- €", "12- $", "($ -)", "$ - -", "- - €", "-$-"]),
            st.sampled_from(["$ (5)", "(5,5) €", "$ -(5)", "(5) € )", "$(5", "(-5)", "(5 %)"]),
            # what DuckDB's own cast reads that the grammar does not, or reads otherwise: `_`,
            # two signs (`+-5`), exponents of any length (`1e0005`), padded
            st.from_regex(
                r"[ \t]?[-+]{0,2}[0-9]{1,4}(_[0-9]{1,3})*([.,][0-9_]*)?([eE][-+]{0,2}[0-9]{1,6})?",
                fullmatch=True,
            ),
            st.sampled_from(["Infinity", "-inf", "+NaN", "1e", "+.5", "0x10", "1.e3", "\v12"]),
            # bidirectional marks as CLDR writes them (`fa`, `ar`), and alone
            st.sampled_from(["\u200e\u221245", "\u061c-\u0664\u066a\u061c", "45\u200e%\u200e"]),
            st.sampled_from(["\u200e", "\u200f-", "\u061c\u202a\u202c", "$\u200e5", "5\u2069-"]),
        ),
        min_size=20,
        max_size=80,
    ),
    # what the column holds: a percentage or a currency it refuses is bad (`quantities`)
    quantity=st.sampled_from(["", "amount", "count", "plain", "rate"]),
)
def test_python_and_duckdb_read_every_cell_alike(con, cells, quantity):
    expected = [[py_read(c, decimal, quantity) for c in cells] for decimal in (".", ",")]
    assert sql_read(con, cells, ".", ",", quantity=quantity) == expected


# the cells of the regex -?[0-9]{1,5}([.,][0-9]{1,5})?, drawn without hypothesis's regex
# strategy (five times slower per example); as often as it, runs with leading or trailing zeros
# (`007`, `1.500`, `0,000`)
_any_digits = st.text("0123456789", min_size=1, max_size=5)
_zeros = st.text("0", min_size=1, max_size=3)
plain_digits = st.one_of(
    _any_digits,
    _any_digits,
    st.builds(lambda zeros, rest: (zeros + rest)[:5], _zeros, _any_digits),
    st.builds(lambda rest, zeros: (rest + zeros)[-5:], _any_digits, _zeros),
)
plain_cells = st.builds(
    lambda sign, whole, fraction: sign + whole + fraction,
    st.sampled_from(["", "-"]),
    plain_digits,
    st.one_of(st.just(""), st.builds(str.__add__, st.sampled_from(".,"), plain_digits)),
)


@settings(max_examples=1500, deadline=None)
@given(cell=plain_cells, decimal=st.sampled_from([".", ","]))
def test_plain_cells_are_guessed_as_the_grammar_reads_them(cell, decimal):
    """`guess_decimal` reads plain cells without the grammar's patterns: the same answer."""
    from kpiengine.fileformats.decimals import plain_reading

    try:
        expected: float | None = read_number(cell, decimal).value
    except NumberError:
        expected = None
    assert plain_reading(cell, decimal) == expected
    assert plain_reading(f"{cell}%", decimal) is False  # anything else: the grammar reads it
