"""YAML tags beyond plain YAML are errors on any node; `1e6` is a number, `1e999` too large.

Before, `!!python/object:os.system` on a mapping (or a list) was silently dropped and only the
same tag on a value was an error; and `target: 1e999` (YAML 1.1 reads `1e999` as text) said
"a number is written without quotes" although it had none.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli
from kpiengine.errors import KpiError
from kpiengine.workspace import load_workspace
from kpiengine.yamlio import parse_yaml


def run(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def refused(text: str) -> KpiError:
    with pytest.raises(KpiError) as caught:
        parse_yaml(text, "k.yaml")
    return caught.value


@pytest.mark.parametrize(
    ("text", "tag", "where"),
    [
        ("k1: !!python/object:os.system\n  a: 1\n", "!!python/object:os.system", (1, 5)),
        ("k1: !!python/object:os.system {a: 1}\n", "!!python/object:os.system", (1, 5)),
        (
            'k: !!python/object/apply:os.system ["echo x"]\n',
            "!!python/object/apply:os.system",
            (1, 4),
        ),
        ("k: !!python/object/apply:os.system echo\n", "!!python/object/apply:os.system", (1, 4)),
        ("k: !!set {a, b}\n", "!!set", (1, 4)),
        ("k: !!omap [a: 1]\n", "!!omap", (1, 4)),
        ("k: !!binary aGk=\n", "!!binary", (1, 4)),
        ("k: !custom x\n", "!custom", (1, 4)),
        ("a:\n  b: [1, !!python/tuple [2]]\n", "!!python/tuple", (2, 10)),
        ("? !!python/name:os.system\n: 1\n", "!!python/name:os.system", (1, 3)),
        ("!!python/object:x\na: 1\n", "!!python/object:x", (1, 1)),
    ],
)
def test_a_non_standard_tag_is_an_error_at_its_position_on_any_node(text, tag, where):
    error = refused(text)
    assert f"the YAML tag `{tag}` is not allowed" in error.message
    assert (error.location.line, error.location.column) == where
    assert error.fix == f"remove `{tag}`"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("k: !!str 5\n", "5"),
        ("k: !!int '5'\n", 5),
        ("k: !!float 1\n", 1.0),
        ("k: !!map {a: 1}\n", {"a": 1}),
        ("k: !!seq [1]\n", [1]),
        ("k: !!null ''\n", None),
    ],
)
def test_the_standard_tags_still_read(text, expected):
    assert parse_yaml(text, "k.yaml")["k"] == expected


def test_a_tagged_mapping_in_a_workspace_is_an_error_not_dropped(tmp_path):
    root = tmp_path / "ws"
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "k.yaml").write_text(
        "variables:\n  k1: !!python/object:os.system\n    unit: currency\n"
    )
    code, out, err = run("lint", "-w", str(root))
    assert code == 2
    assert "k.yaml:2:7" in err and "!!python/object:os.system" in err
    (root / "definitions" / "k.yaml").write_text("variables: {}\n")
    (root / "kpi.yaml").write_text('currency: !!python/object/apply:os.system ["echo PWNED"]\n')
    code, out, err = run("lint", "-w", str(root))
    assert code == 2 and "kpi.yaml:1:11" in err and "PWNED" not in out


@pytest.mark.parametrize(
    ("written", "value"),
    [("1e6", 1e6), ("1.5e6", 1.5e6), ("2E-3", 0.002), ("-1e3", -1000.0), (".5e1", 5.0)],
)
def test_a_plain_number_with_an_exponent_is_a_number(written, value):
    assert parse_yaml(f"k: {written}\n", "k.yaml")["k"] == value


@pytest.mark.parametrize("text", ["k: '1e6'\n", 'k: "1e6"\n', "k: !!str 1e6\n", "k: 1e\n"])
def test_quoted_or_tagged_exponents_stay_text(text):
    assert isinstance(parse_yaml(text, "k.yaml")["k"], str)


DEFS = """\
variables:
  revenue: {unit: currency}
kpis:
  k1:
    title: K1
    formula: revenue * 2
    unit: currency
    target: %s
"""


def test_a_target_written_1e6_is_a_target(write_workspace):
    ws = load_workspace(write_workspace({"k": DEFS % "1e6"}))
    assert not ws.errors
    assert ws.kpis["k1"].target.constant == 1_000_000


@pytest.mark.parametrize("written", ["1e999", "1.0e+999", "{2024-06: 1e999}"])
def test_a_target_too_large_says_so(write_workspace, written):
    ws = load_workspace(write_workspace({"k": DEFS % written}))
    [error] = ws.errors
    assert error.code == "KPI003"
    assert "a number too large for any calculation" in error.message
    assert "quotes" not in error.message and "text" not in error.message


def test_a_quoted_target_still_says_it_is_text(write_workspace):
    ws = load_workspace(write_workspace({"k": DEFS % '"0.5"'}))
    [error] = ws.errors
    assert 'not the text "0.5" (a number is written without quotes)' in error.message
