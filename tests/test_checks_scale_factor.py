"""KPI202 decides on the constant factor the formula evaluates to, not on a written `* 100`:
`conversions / (sessions / 100)`, `conversions * 10 * 10 / sessions` and
`(revenue - marketing_cost) / (marketing_cost / 100)` show 100 times too big as a percent too.
The factor is folded without sympy while definitions load; it must be sympy's."""

from __future__ import annotations

import random
import subprocess
import sys
from fractions import Fraction

import pytest

import kpiengine
from kpiengine.checks._factor import _sympy_factor, constant_factor
from kpiengine.engine import Engine
from kpiengine.formula import FormulaError, parse_formula

DEFINITIONS = """\
kpis:
  tens:
    title: Sessions converting
    formula: conversions * 10 * 10 / sessions
    unit: conversions / sessions
    format: percent
  hundredths:
    title: Sessions converting per hundred
    formula: conversions / (sessions / 100)
    unit: conversions / sessions
    format: percent
  roi_pct2:
    title: Email return
    formula: (revenue - marketing_cost) / (marketing_cost / 100)
    unit: ratio
    format: percent
  growth_pct:
    title: Revenue change
    formula: revenue / prev(revenue) * 100 - 100
    unit: ratio
    format: percent
  clean_rate:
    title: Sessions converting, as a fraction
    formula: conversions / sessions
    unit: conversions / sessions
    format: percent
  clean_back_and_forth:
    title: Sessions converting, scaled and back
    formula: conversions / 100 * 100 / sessions
    unit: conversions / sessions
    format: percent
  clean_growth:
    title: Revenue growth
    formula: (revenue - prev(revenue)) / prev(revenue)
    unit: ratio
    format: percent
  clean_number:
    title: Conversion points
    formula: conversions / (sessions / 100)
    unit: conversions / sessions
    format: number
"""

TRIGGERS = ["tens", "hundredths", "roi_pct2", "growth_pct"]
CLEAN = ["clean_rate", "clean_back_and_forth", "clean_growth", "clean_number"]


def kpi202(ws, kpi_id: str) -> list:
    return [f for f in ws.kpis[kpi_id].findings if f.code == "KPI202"]


def test_hundred_as_evaluated_is_reported_at_load(write_workspace):
    root = write_workspace({"k": DEFINITIONS})
    ws = kpiengine.load_workspace(root)
    for kpi_id in TRIGGERS:
        [finding] = kpi202(ws, kpi_id)
        assert finding.severity == "error" and finding.withholds
        assert not ws.kpis[kpi_id].sound  # kpi eval leaves it out: it would show 100 times
    for kpi_id in CLEAN:
        assert kpi202(ws, kpi_id) == [], kpi_id
    lines = DEFINITIONS.splitlines()
    [tens] = kpi202(ws, "tens")
    line = lines.index("  tens:") + 3
    assert tens.location.line == line
    assert tens.location.column == lines[line - 1].index("10") + 1  # the first constant
    [hundredths] = kpi202(ws, "hundredths")
    line = lines.index("  hundredths:") + 3
    assert hundredths.location.column == lines[line - 1].index("100") + 1
    assert "is 100 times a fraction" in hundredths.message


def test_values_shown_100_times_too_big(write_workspace):
    """With the data, the KPI is withheld from `kpi eval` (5 of 100 would show as 500%)."""
    data = "date,conversions,sessions\n2024-01-10,5,100\n"
    root = write_workspace({"k": DEFINITIONS}, data=data)
    results = Engine(kpiengine.load_workspace(root)).evaluate(
        str(root / "data.csv"), kpis=["hundredths", "clean_rate"]
    )
    assert "hundredths" not in results.kpis
    assert results.kpis["clean_rate"].values[0, 0] == 5 / 100


def test_loading_percent_kpis_needs_no_sympy(write_workspace):
    """The factor of `conversions / (sessions / 100)` is folded on fractions: `kpi list` still
    imports no sympy (see tests/test_startup.py)."""
    root = write_workspace({"k": DEFINITIONS})
    probe = (
        "import sys, kpiengine\n"
        f"ws = kpiengine.load_workspace({str(root)!r})\n"
        "print([f.kpi for f in ws.findings if f.code == 'KPI202'], 'sympy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split("]")[1].strip() == "False"
    assert all(k in out.stdout for k in TRIGGERS)


@pytest.mark.parametrize(
    ("text", "factor"),
    [
        ("conversions / sessions / 0.01", 100),
        ("conversions / sessions * 1e2", 100),
        ("conversions * 10 * 10 / sessions", 100),
        ("conversions / (sessions / 100)", 100),
        ("(revenue - marketing_cost) / (marketing_cost / 100)", 100),
        ("revenue / cost * 100 - 100", 100),
        ("(a / b + c / d) / 2", Fraction(1, 2)),
        ("a / (2 * b) + c / (3 * d)", Fraction(1, 6)),
        ("50 * a + 50 * a", 100),  # like terms: sympy decides
        ("sqrt(100 * a)", 10),  # a root of a factor: sympy decides
        ("(revenue - prev(revenue)) / prev(revenue)", 1),
        ("a / 100 * 100 / b", 1),
    ],
)
def test_factor_by_hand(text, factor):
    assert constant_factor(parse_formula(text)) == factor


def _random_formula(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(["a", "b", "c", "d", *map(str, (1, 2, 3, 10, 100, 0.5, 0.01))])
    kind = rng.choice(["+", "-", "*", "/", "*", "/", "call", "power"])
    if kind == "call":
        func = rng.choice(["abs", "sqrt", "min", "max", "prev"])
        return f"{func}({_random_formula(rng, depth - 1) if func != 'prev' else 'a'})"
    if kind == "power":
        return f"({_random_formula(rng, depth - 1)}) ** {rng.choice([2, -1, 0.5, 3])}"
    left, right = _random_formula(rng, depth - 1), _random_formula(rng, depth - 1)
    return f"({left} {kind} {right})"


def test_factor_is_sympys_on_random_formulas():
    """Formulas that are not constant: the folded factor equals sympy's `as_content_primitive`
    of the expression sympy evaluates."""
    rng = random.Random(6)
    compared = 0
    for _ in range(800):
        try:
            formula = parse_formula(_random_formula(rng, 4))
        except FormulaError:
            continue
        if not formula.expr.free_symbols:
            continue  # `a / a`: a constant formula is KPI212's
        assert constant_factor(formula) == _sympy_factor(formula), formula.text
        compared += 1
    assert compared > 500
