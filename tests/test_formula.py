import pytest
import sympy

from kpiengine.formula import FormulaError, parse_formula, symbol
from kpiengine.regroup import regroupings


def value(text: str, **values: float) -> float:
    formula = parse_formula(text)
    return float(formula.expr.xreplace({symbol(k): sympy.Float(v) for k, v in values.items()}))


def test_arithmetic_matches_python():
    assert value("(revenue - cost) / cost", revenue=10000, cost=7000) == pytest.approx(3000 / 7000)
    assert value("-a ** 2 + b * 3", a=2, b=5) == pytest.approx(-(2**2) + 15)
    assert value("min(a, b) + max(a, b, 10) + abs(-a)", a=3, b=7) == pytest.approx(3 + 10 + 3)
    assert value("sqrt(a) * exp(0) + log(a)", a=4) == pytest.approx(2 + 1.3862943611198906)


def test_unparenthesised_roi_is_read_as_python_reads_it():
    formula = parse_formula("revenue - cost / cost")
    assert formula.explicit == "revenue - (cost / cost)"
    assert value("revenue - cost / cost", revenue=10000, cost=7000) == 9999


def test_names_with_their_columns():
    formula = parse_formula("(revenue - marketing_cost) / marketing_cost")
    assert formula.names == {"revenue": 1, "marketing_cost": 11}


def test_decimal_constants_are_exact():
    formula = parse_formula("x * 0.1")
    assert formula.expr == symbol("x") * sympy.Rational(1, 10)


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("revenue.real", 0, "attribute"),
        ("revenue[0]", 0, "indexing"),
        ("'text'", 0, "text"),
        ("lambda: 1", 0, "lambda"),
        ("a + foo(b)", 4, "function `foo`"),
        ("a + __import__('os')", 4, "function `__import__`"),
        ("a ^ 2", 2, "`^`"),  # at the operator
        ("a % 2", 2, "`%`"),
        ("(a / a) ^ 2", 8, "`^`"),
        ("a / b + (a - b) ^ 2", 16, "`^`"),
        ("a if b else c", 0, "if"),
        ("min(a, key=b)", 0, "plain arguments"),
        ("abs(a, b)", 0, "1 argument"),
        ("a + _secret", 4, "not a valid name"),
        ("a + b__c", 4, "not a valid name"),
        ("2 ** 1000", 5, "exponents"),
        ("prev(a + b)", 5, "variable or KPI name"),
        ("a + min", 4, "is a function"),
        ("True", 0, "boolean"),
    ],
)
def test_rejected_with_column(text, column, words):
    with pytest.raises(FormulaError) as info:
        parse_formula(text)
    assert words in info.value.message
    assert info.value.column == column


def test_syntax_error_has_a_column():
    with pytest.raises(FormulaError) as info:
        parse_formula("revenue - * cost")
    assert "cannot parse" in info.value.message
    assert info.value.column >= 8


@pytest.mark.parametrize(
    ("text", "column", "words", "fix"),
    [
        ("cac = cost / customers", 4, "without `=`", "write `cost / customers`"),
        ("a / b %", 6, "`%` after a formula", "x / 100"),
        ("a / b +", 6, "ends with `+`: an operand is missing", "finish the formula"),
        ("revenue - cost **", 15, "ends with `**`", "finish the formula"),
    ],
)
def test_common_slips_say_what_to_write(text, column, words, fix):
    with pytest.raises(FormulaError) as info:
        parse_formula(text)
    assert words in info.value.message and fix in (info.value.fix or "")
    assert info.value.column == column


def test_empty_and_too_long():
    with pytest.raises(FormulaError):
        parse_formula("   ")
    with pytest.raises(FormulaError):
        parse_formula("+".join(["a"] * 4000))


def test_guards_cover_denominators_and_domains():
    formula = parse_formula("a / (b - c) + log(d) + sqrt(e) + f ** -1")
    kinds = [(g.kind, g.text) for g in formula.guards]
    assert ("nonzero", "b - c") in kinds
    assert ("positive", "d") in kinds
    assert ("nonnegative", "e") in kinds
    assert ("nonzero", "f") in kinds


def test_shifts_become_separate_inputs():
    formula = parse_formula("(revenue - prev(revenue)) / prev(revenue) + last_year(leads)")
    assert formula.shifts == {("prev", "revenue"), ("last_year", "leads")}
    assert "revenue__prev" in formula.input_names
    assert "leads__last_year" in formula.input_names


def test_regroupings_enumerate_other_readings():
    formula = parse_formula("a - b / b")
    readings = {sympy.srepr(t) for t in regroupings(formula.tree)}
    assert len(readings) == 1  # (a - b) / b is the only other tree of three operands
