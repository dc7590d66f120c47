"""Whether a KPI adds up is decided on its formula tree: the verdict must be sympy's.

sympy's verdict: the expanded formula is a polynomial of total degree 1 that is 0 at 0. The
tree gives a linear form (read exactly), NONLINEAR, or hands over (UNDECIDED); the random
formulas are built to find where the two could differ: names read twice, factors and exponents
0, quotients of quotients, roots and functions, and a name standing for another formula.
"""

from __future__ import annotations

import ast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpiengine.additivity import NONLINEAR, UNDECIDED, Linear, linear_form
from kpiengine.formula import FormulaError, parse_formula, sympy_expr
from kpiengine.workspace import load_workspace

#: `k` stands for this formula, as a KPI named in another's formula.
INNER = "(x - y) / 2"


def _sympy_verdict(text: str) -> bool:
    import sympy

    expr = sympy_expr(ast.parse(text.replace("k", f"({INNER})"), mode="eval").body)
    if not expr.free_symbols or not expr.is_polynomial():
        return False
    poly = sympy.Poly(expr, *sorted(expr.free_symbols, key=str))
    return poly.total_degree() == 1 and expr.subs({s: 0 for s in expr.free_symbols}) == 0


def _tree_verdict(text: str) -> bool | None:
    inner = ast.parse(INNER, mode="eval").body
    part = linear_form(
        ast.parse(text, mode="eval").body, lambda name: inner if name == "k" else None
    )
    if part == UNDECIDED:
        return None
    if part == NONLINEAR:
        return False
    assert isinstance(part, Linear)
    return bool(part.coefficients) and part.constant == 0


LEAVES = st.sampled_from(["x", "y", "z", "k", "0", "1", "2", "-1", "0.5", "3"])


def _tree(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "/", "**"]), children).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        children.map(lambda c: f"-{c}"),
        st.tuples(st.sampled_from(["abs", "sqrt", "exp", "min"]), children).map(
            lambda t: f"{t[0]}({t[1]})"
        ),
    )


def _checked(text: str) -> bool:
    try:
        parse_formula(text.replace("k", f"({INNER})"))
    except FormulaError:
        return False
    return True


@settings(max_examples=800, deadline=None)
@given(text=st.recursive(LEAVES, _tree, max_leaves=6).filter(_checked))
def test_the_tree_gives_sympys_verdict(text: str) -> None:
    verdict = _tree_verdict(text)
    if verdict is not None:
        assert verdict == _sympy_verdict(text), text


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("x + y", True),
        ("2 * (x - y) / 4 + z", True),
        ("(x + 5) - 5", True),  # the constant cancels exactly
        ("x + 1", False),
        ("x - x", False),  # no name left: not a sum of anything
        ("k + z", True),  # k is (x - y) / 2
        ("x / y", False),
        ("(x + 1) * y", False),
        ("x ** 2", False),
        ("x / (y * z)", False),
        ("k * z", False),
        ("x ** 1", True),
        ("x * y / y", None),  # a name read twice: sympy cancels it to x
        ("1 / (1 / x)", None),  # x
        ("(x ** 0.5) ** 2", None),  # x
        ("0 * (x / y) + z", None),
        ("sqrt(x)", None),
    ],
)
def test_verdicts_by_hand(text: str, verdict: bool | None) -> None:
    assert _tree_verdict(text) == verdict
    if verdict is not None:
        assert _sympy_verdict(text) == verdict


def test_every_built_in_kpi_is_decided_on_its_tree_as_sympy_decides(tmp_path) -> None:
    """The library's own KPIs need no sympy to tell whether they add up."""
    ws = load_workspace(tmp_path)
    decided = 0
    for kpi_id, kpi in ws.kpis.items():
        if kpi.formula is None or kpi.formula.shifts:
            continue
        part = linear_form(kpi.formula.tree, ws._kpi_tree)
        decided += part != UNDECIDED
        assert ws.is_additive(kpi_id) == ws._linear_by_sympy(kpi_id), kpi_id
    assert decided >= 0.9 * len(ws.kpis)
