"""kpiengine.interop.sqlexpr and sqlwrite: SQL read as formulas and formulas written as SQL."""

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import no_dynamic_code

from kpiengine.formula import parse_formula
from kpiengine.interop.sqlexpr import (
    RowMeasure,
    Untranslatable,
    conditions,
    count_measure,
    parse,
    plain_column,
    row_measure,
    to_formula,
    with_present,
)
from kpiengine.interop.sqlwrite import formula_sql
from kpiengine.interop.truth import TRUE


def names(node) -> str:
    """Leaves for the tests: a column is its name, an aggregate `agg_column`."""
    if node.key == "column":
        return node.name
    inner = node.this
    return f"{node.key}_{inner.name if inner is not None and inner.key == 'column' else 'rows'}"


def read(sql: str, notes: list | None = None) -> str:
    return to_formula(parse(sql), names, notes)


@pytest.mark.parametrize(
    ("sql", "formula"),
    [
        ("a + b * c", "a + b * c"),
        ("(a + b) * c", "(a + b) * c"),
        ("a - (b - c)", "a - (b - c)"),
        ("a / (b * c)", "a / (b * c)"),
        ("-(a + b)", "-(a + b)"),
        ("x / NULLIF(y, 0)", "x / y"),
        ("CAST(a AS DOUBLE) / b", "a / b"),
        ("a::NUMERIC / b", "a / b"),
        ("CAST(a AS DOUBLE PRECISION) / NULLIF(b, 0)", "a / b"),
        ("GREATEST(a, 1.5e3, .5)", "max(a, 1.5e3, 0.5)"),
        ("LEAST(a, b)", "min(a, b)"),
        ("LN(a) + EXP(b) + SQRT(c) + ABS(d)", "log(a) + exp(b) + sqrt(c) + abs(d)"),
        ("POWER(a, b + 1)", "a ** (b + 1)"),
        ("SUM(amount) / COUNT(*)", "sum_amount / count_rows"),
        ("LAG(SUM(amount)) OVER (ORDER BY day)", "prev(sum_amount)"),
        ("007 + a", "7 + a"),
    ],
)
def test_translations(sql, formula):
    assert read(sql) == formula
    parse_formula(formula)


def test_coalesce_zero_is_read_as_the_value_with_a_note():
    notes: list[str] = []
    assert read("COALESCE(x, 0) + 1", notes) == "x + 1"
    assert "undefined" in notes[0]


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("CASE WHEN a THEN 1 END", "CASE"),
        ("SUBSTRING(a, 1)", "SUBSTRING"),
        ("'text'", "not a number"),
        ("LOG(a)", "LOG's base"),
        ("a % 2", "MOD"),
        ("COALESCE(x, 1)", "COALESCE"),
        ("NULLIF(x, 1)", "NULLIF"),
        ("CAST(x AS INT)", "CAST"),
        ("LAG(SUM(a), 12) OVER (ORDER BY d)", "only LAG by one row"),
        ("a +", "cannot parse"),
        ("", "empty"),
    ],
)
def test_untranslatable_says_why(sql, reason):
    with pytest.raises(Untranslatable) as caught:
        read(sql)
    assert reason in caught.value.reason


def test_row_measures_and_conditions():
    assert row_measure(parse("1")).count
    assert row_measure(parse("orders.amount")).table == "orders"
    quick = row_measure(parse("CASE WHEN kind = 'quick' AND n IN (1, 2) THEN amt ELSE 0 END"))
    assert (quick.column, quick.where) == ("amt", {"kind": ["quick"], "n": ["1", "2"]})
    flag = row_measure(parse("CASE WHEN is_first IS TRUE THEN TRUE ELSE FALSE END"))
    assert flag.count and flag.where == {"is_first": TRUE}  # every spelling of true
    assert conditions(parse("'x' = a"))[1] == {"a": ["x"]}
    for bad in ("a > 1", "a = 1 OR b = 2", "NOT a = 1", "a = 1 AND a = 2"):
        with pytest.raises(Untranslatable):
            conditions(parse(bad))
    assert plain_column("CAST(ordered_at AS DATE)") == "ordered_at"
    assert plain_column("a || b") is None


def row(sql: str) -> tuple:
    found = row_measure(parse(sql))
    return found.column, found.count, found.where


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        # the rows where amount has a value: `count: amount`
        ("CASE WHEN amount IS NOT NULL THEN 1 ELSE 0 END", ("amount", True, {})),
        ("CASE WHEN NOT amount IS NULL THEN 1 ELSE 0 END", ("amount", True, {})),
        ("CASE WHEN NOT (amount IS NULL) THEN 1 END", ("amount", True, {})),
        (
            "CASE WHEN status IN ('won') AND amount IS NOT NULL THEN 1 ELSE 0 END",
            ("amount", True, {"status": ["won"]}),
        ),
        # what `kpi export osi` wrote before: a CASE inside the CASE of `where:`
        (
            "CASE WHEN status IN ('won') THEN CASE WHEN amount IS NOT NULL THEN 1 ELSE 0 END "
            "ELSE 0 END",
            ("amount", True, {"status": ["won"]}),
        ),
        # SUM skips NULL: testing the summed column itself changes nothing
        ("CASE WHEN amount IS NOT NULL THEN amount ELSE 0 END", ("amount", False, {})),
    ],
)
def test_is_not_null_counts_the_rows_with_a_value(sql, expected):
    assert row(sql) == expected


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("CASE WHEN amount IS NULL THEN 1 ELSE 0 END", "keeps the rows without a value"),
        ("CASE WHEN a IS NOT NULL AND b IS NOT NULL THEN 1 END", "2 columns have a value"),
        ("CASE WHEN discount IS NOT NULL THEN amount ELSE 0 END", "where `discount` has a value"),
        ("CASE WHEN NOT status = 'won' THEN 1 END", "IS NOT NULL"),
    ],
)
def test_other_presence_tests_say_why(sql, reason):
    with pytest.raises(Untranslatable) as caught:
        row_measure(parse(sql))
    assert reason in caught.value.reason


def test_conditions_list_the_columns_that_must_have_a_value():
    tables, where, present = conditions(parse("o.status = 'won' AND o.amount IS NOT NULL"))
    assert (tables, where, present) == (["o", "o"], {"status": ["won"]}, ["amount"])
    # COUNT skips NULL: COUNT(CASE ... THEN 1 END) counts the kept rows, an ELSE 0 every row
    kept = count_measure(parse("CASE WHEN amount IS NOT NULL THEN 1 END"))
    assert (kept.column, kept.count) == ("amount", True)
    every = count_measure(parse("CASE WHEN amount IS NOT NULL THEN 1 ELSE 0 END"))
    assert (every.column, every.count, every.zeros) == ("amount", True, RowMeasure(count=True))
    counted = with_present(RowMeasure(count=True, where={"s": ["a"]}), ["x"], "x")
    assert (counted.column, counted.count, counted.where) == ("x", True, {"s": ["a"]})


@pytest.mark.parametrize(
    "formula",
    [
        "(revenue - marketing_cost) / marketing_cost",
        "a - b / c",
        "-(a + b) ** 2",
        "max(a, b, 3) - min(c) + abs(d) * sqrt(e) / log(f) + exp(g)",
        "(a / b) / (c / d)",
        "(revenue - prev(revenue)) / prev(revenue)",
        "a ** -2 + 0.25",
    ],
)
def test_formula_to_sql_and_back(formula):
    parsed = parse_formula(formula)

    def shift(func: str, name: str) -> str:
        assert func == "prev"
        return f"LAG({name}) OVER (ORDER BY day)"

    sql = formula_sql(parsed, lambda n: n, shift)
    assert sympy.simplify(parse_formula(read(sql)).expr - parsed.expr) == 0


SQL_WORDS = st.sampled_from(
    [
        "a",
        "b",
        "x",
        "1",
        "0",
        "2.5",
        "-",
        "+",
        "*",
        "/",
        "(",
        ")",
        ",",
        "NULLIF(",
        "COALESCE(",
        "SUM(",
        "COUNT(*)",
        "CAST(",
        " AS DOUBLE)",
        "GREATEST(",
        "LN(",
        "POWER(",
        "CASE WHEN ",
        " THEN ",
        " ELSE ",
        " END",
        "'s'",
        "__import__('os')",
        "eval(",
        "a.b",
        "LAG(",
        ") OVER (",
        "ORDER BY d",
        "||",
        "%",
        "^",
        ";",
        "--",
        "/*",
        "1e999",
        "  ",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(SQL_WORDS, max_size=14).map("".join))
def test_any_sql_gives_a_checked_formula_or_a_reason(sql):
    with no_dynamic_code():
        try:
            formula = read(sql)
        except Untranslatable as exc:
            assert exc.reason
            return
    parse_formula(formula)  # the whitelisting parser accepts what was produced


def test_ids_are_names_a_formula_reads():
    from kpiengine.interop.guess import ident

    assert ident("Orders.totalAmount") == "orders_total_amount"
    assert ident("a__b") == "a_b"  # a double underscore marks shifted names
    assert ident("2x") == "m_2x"
    assert ident("log") == "log_metric" and ident("in") == "in_metric"
    for name in ("Orders.totalAmount", "a__b", "2x", "log", "in", "max"):
        parse_formula(ident(name))
