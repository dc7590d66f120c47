"""Formulas are checked on exact fractions, without sympy: the verdict must be sympy's.

The reference is the same check with every value a sympy expression (the fractions forced to
hand over at once): same error at the same column, or the same names, references, guards and
expression. The grammar is built to find where the two could differ: names that cancel
(`y - y`), factors and exponents of 0, constants that only sympy can fold (`sqrt(4)`), and
divisions by constant parts.
"""

from __future__ import annotations

import ast
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpiengine import formula as formula_module
from kpiengine.formula import Formula, FormulaError, parse_formula
from kpiengine.formulavalues import Fractions


class _AlwaysSympy(Fractions):
    """Hands every formula over to sympy: the check as it was before the fractions."""

    def __init__(self) -> None:
        super().__init__()
        self.undecided = True


def _outcome(formula: Formula | FormulaError) -> tuple:
    if isinstance(formula, FormulaError):
        return ("error", formula.message, formula.column)
    guards = [(g.kind, g.text) for g in formula.guards]
    return ("ok", formula.names, formula.shifts, guards, formula.expr)


def _parse(text: str) -> Formula | FormulaError:
    try:
        return parse_formula(text)
    except FormulaError as exc:
        return exc


def _both(text: str) -> tuple[tuple, tuple]:
    fast = _outcome(_parse(text))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(formula_module, "Fractions", _AlwaysSympy)
        reference = _outcome(_parse(text))
    return fast, reference


LEAVES = st.sampled_from(
    ["x", "y", "z", "0", "1", "2", "3", "0.5", "1e3", "200", "prev(x)", "ytd(y)", "-1", "0.1"]
)


def _tree(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "/", "**"]), children).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        children.map(lambda c: f"-{c}"),
        st.tuples(st.sampled_from(["abs", "sqrt", "log", "exp"]), children).map(
            lambda t: f"{t[0]}({t[1]})"
        ),
        st.tuples(st.sampled_from(["min", "max"]), st.lists(children, min_size=1, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        ),
    )


formulas = st.recursive(LEAVES, _tree, max_leaves=7)


@settings(max_examples=600, deadline=None)
@given(text=formulas)
def test_fractions_give_sympys_verdict(text: str) -> None:
    fast, reference = _both(text)
    assert fast == reference, text


@pytest.mark.parametrize(
    "text",
    [
        "x / (y - y)",  # names that cancel: only sympy sees the division by zero
        "x / (0 * y)",
        "x / (1 ** y - 1)",
        "x ** (y - y + 200)",  # an exponent sympy folds to 200: over the limit
        "x / (1 / 0)",  # sympy: x / zoo is 0, so no error
        "x ** sqrt(40000)",  # a constant only sympy folds (200)
        "sqrt(0 * y - 1)",  # a square root of -1
        "log(y / y - 1)",
        "x / 0",
        "2 ** 2000",
        "1.5 ** 99 * x",
        "x ** -2 + 10 ** 100",
        "min(1, 0 / 0) + x",
        "0 ** -x",  # sympy writes it zoo ** x
        "log(min(0, abs(x)))",  # sympy knows min(0, abs(x)) is 0
        "sqrt(-abs(x))",  # sympy knows it is the root of a negative number
        "sqrt(-x ** 2)",
        "(-abs(x)) ** 0.5",
    ],
)
def test_cases_where_sympy_simplifies_get_its_verdict(text: str) -> None:
    fast, reference = _both(text)
    assert fast == reference


def test_a_plain_formula_is_checked_without_building_sympy() -> None:
    formula = parse_formula("(revenue - cost) / cost")
    assert formula.built is None  # the expression is built on first use only
    assert str(formula.expr) == "(-cost + revenue)/cost"


def test_a_formula_sympy_must_judge_is_refused_with_its_message() -> None:
    with pytest.raises(FormulaError, match="not a finite real number"):
        parse_formula("revenue / (cost - cost)")


class _NotRational(Exception):
    """A root, a log or a fractional power: no exact rational value to compare with."""


def _exact(node: ast.AST, values: dict[str, Fraction]) -> Fraction | None:
    """The formula's exact value as written (no simplification); None where it is undefined."""
    if isinstance(node, ast.Constant):
        return Fraction(str(node.value))
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.UnaryOp):
        inner = _exact(node.operand, values)
        return None if inner is None else -inner
    if isinstance(node, ast.Call):
        func = ast.unparse(node.func)
        if func in ("prev", "ytd"):
            return values[ast.unparse(node)]
        if func not in ("min", "max", "abs"):
            raise _NotRational
        args = [_exact(a, values) for a in node.args]
        known = [a for a in args if a is not None]
        if len(known) < len(args):
            return None
        return min(known) if func == "min" else max(known) if func == "max" else abs(known[0])
    assert isinstance(node, ast.BinOp)
    left, right = _exact(node.left, values), _exact(node.right, values)
    if left is None or right is None:
        return None
    if isinstance(node.op, ast.Pow):
        if right.denominator != 1 or abs(right) > 12:
            raise _NotRational
        return None if left == 0 and right < 0 else left ** int(right)
    if isinstance(node.op, ast.Div):
        return None if right == 0 else left / right
    return (
        left + right
        if isinstance(node.op, ast.Add)
        else (left - right if isinstance(node.op, ast.Sub) else left * right)
    )


@settings(max_examples=300, deadline=None)
@given(text=formulas, values=st.lists(st.integers(-40, 40), min_size=5, max_size=5))
def test_worked_examples_are_computed_as_written(text: str, values: list[int]) -> None:
    """Examples are computed in 30-digit decimals on the formula as written (`x / x` at
    x = 0 is undefined, as in evaluation, where sympy would say 1): the exact value."""
    from kpiengine.examples import tree_value

    try:
        formula = parse_formula(text)
    except FormulaError:
        return
    given = {"x": values[0] / 4, "y": values[1] / 4, "z": values[2] / 4}
    given |= {"x__prev": values[3] / 4, "y__ytd": values[4] / 4}
    exact_values = {k: Fraction(v) for k, v in given.items()}
    exact_values |= {"prev(x)": exact_values["x__prev"], "ytd(y)": exact_values["y__ytd"]}
    try:
        expected = _exact(formula.tree, exact_values)
    except _NotRational:
        return
    ours = tree_value(formula.tree, given)
    if expected is None:
        assert math.isnan(ours), text
    elif abs(expected) < 1e300:
        assert ours == pytest.approx(float(expected), rel=1e-12, abs=1e-300), text
