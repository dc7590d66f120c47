"""Constants beyond a float are refused where they stand, at load, never a traceback or an inf.

A float holds at most about 1.8e308: a literal past it (`1` and 309 zeros), a constant part that
folds past it (`1e308 * 10`) or a product whose constant factors do (`revenue * 1e308 * 10`,
which sympy folds to 1e309 * revenue) would make every value infinite.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import kpiengine
from kpiengine.cli import cli
from kpiengine.formula import FormulaError, parse_formula

HUGE = "1" + "0" * 309  # 1e309: past the largest float, 1.7976931348623157e308
DATA = "date,revenue\n2024-01-15,100\n2024-02-15,200\n"


def run(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def refused(text: str) -> FormulaError:
    with pytest.raises(FormulaError) as caught:
        parse_formula(text)
    return caught.value


@pytest.mark.parametrize(
    ("text", "column"),
    [
        (f"{HUGE} * revenue", 0),
        (f"revenue * {HUGE}", 10),
        ("revenue + 1e999", 10),  # Python reads 1e999 as inf
    ],
)
def test_a_literal_beyond_a_float_is_refused_at_its_column(text, column):
    error = refused(text)
    assert error.column == column
    assert "the number is too large for any calculation" in error.message
    assert error.fix is not None and "smaller" in error.fix


@pytest.mark.parametrize(
    ("text", "part", "about"),
    [
        ("1e308 * 10 * revenue", "1e308 * 10", "1e+309"),
        ("revenue * 1e308 * 10", "revenue * 1e308 * 10", "1e+309"),
        ("-1e308 * -10 * revenue", "-1e308 * -10", "1e+309"),
        ("revenue / 1e-200 / 1e-200", "revenue / 1e-200 / 1e-200", "1e+400"),
        ("(1e308 + 1e308) * revenue", "1e308 + 1e308", "2e+308"),
    ],
)
def test_a_constant_part_beyond_a_float_is_refused(text, part, about):
    error = refused(text)
    assert f"`{part}`" in error.message and f"about {about}" in error.message
    assert "too large for any calculation" in error.message


@pytest.mark.parametrize(
    "text",
    [
        "revenue * 1e308",  # the largest order of magnitude a float holds
        "revenue * 1e308 / 10 * 10",  # the factor never goes past 1e308
        "1.7976931348623157e308 * revenue",
        "1e300 * revenue + 1e300 * revenue",  # a sum of two: data-dependent, not a constant
        "revenue / 1e-300",
    ],
)
def test_large_constants_a_float_holds_still_parse(text):
    assert set(parse_formula(text).names) == {"revenue"}


def _workspace(tmp_path, formula: str):
    root = tmp_path / "ws"
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "k.yaml").write_text(
        f"kpis:\n  big:\n    title: {{en: Big}}\n    formula: {formula}\n    unit: currency\n"
    )
    (root / "data.csv").write_text(DATA)
    return root


def test_a_huge_literal_is_kpi005_at_load_and_eval_never_tracebacks(tmp_path):
    root = _workspace(tmp_path, f"{HUGE} * revenue")
    ws = kpiengine.load_workspace(root)
    [finding] = [f for f in ws.findings if f.kpi == "big"]
    assert finding.code == "KPI005"
    assert (finding.location.line, finding.location.column) == (4, 14)  # the literal
    code, out, err = run("eval", "-w", str(root), "--data", str(root / "data.csv"))
    assert code != 0 and "Traceback" not in err and "OverflowError" not in err
    assert "k.yaml:4:14" in err and "KPI005" in err


def test_an_overflowing_product_is_refused_instead_of_undefined_values(tmp_path):
    root = _workspace(tmp_path, "revenue * 1e308 * 10")
    code, out, err = run("lint", "-w", str(root))
    assert code == 1 and "KPI005" in out + err and "1e+309" in out + err
    code, out, err = run(
        "eval", "-w", str(root), "--data", str(root / "data.csv"), "--format", "json"
    )
    assert code != 0 and "not a finite number" not in out + err
    assert not [row for row in json.loads(out or "[]") if row["kpi"] == "big"]


def test_a_name_in_capitals_suggests_its_lower_case():
    error = refused("ltv / Cac")
    assert error.column == 6
    assert "`Cac` is not a valid name; did you mean `cac`?" in error.message
    # no suggestion that would itself be invalid
    assert "did you mean" not in refused("A__b * 2").message
