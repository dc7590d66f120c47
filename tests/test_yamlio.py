import pytest

from kpiengine.errors import KpiError
from kpiengine.yamlio import parse_yaml

TEXT = """\
kpis:
  roi:
    formula: (revenue - cost) / cost
    target: "0.3"
    examples:
      - given: {revenue: 10}
        expect: 0.4286
"""


def test_positions_of_keys_and_values():
    data = parse_yaml(TEXT, "f.yaml")
    roi = data["kpis"]["roi"]
    assert str(roi.key_loc("formula")) == "f.yaml:3:5"
    assert str(roi.value_loc("formula")) == "f.yaml:3:14"
    assert str(roi.value_loc("target")) == "f.yaml:4:14"  # after the opening quote
    examples = roi["examples"]
    assert str(examples.item_loc(0)) == "f.yaml:6:9"
    assert examples[0].raw["expect"] == "0.4286"


def test_period_like_keys_stay_text():
    data = parse_yaml("target: {2024: 5, 2024-06: 1}", "f.yaml")
    assert set(data["target"]) == {"2024", "2024-06"}


def test_duplicate_keys_are_errors():
    with pytest.raises(KpiError) as info:
        parse_yaml("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert str(info.value.location) == "f.yaml:3:1"
    assert "first at line 1" in info.value.message


@pytest.mark.parametrize(
    ("text", "where", "words", "fix"),
    [
        ("kpis:\n  k:\n\tformula: a\n", "f.yaml:3:1", "a tab indents", "replace the tab"),
        ("kpis:\n  k:\n    formula: a\n     unit: ratio\n", "f.yaml:4:6",
         "indented 5 spaces, the line above 4", "indent it 4 spaces"),
        ("kpis:\n  k:\n    title: Cost: per lead\n", "f.yaml:3:16",
         "a `: ` inside a value", "`title: 'Cost: per lead'`"),
    ],
)  # fmt: skip
def test_syntax_errors_say_what_was_typed_wrong(text, where, words, fix):
    with pytest.raises(KpiError) as info:
        parse_yaml(text, "f.yaml")
    assert str(info.value.location) == where
    assert words in info.value.message and fix in (info.value.fix or "")


def test_syntax_error_has_position():
    with pytest.raises(KpiError) as info:
        parse_yaml("kpis:\n  roi: [1, 2\n", "f.yaml")
    assert info.value.location.file == "f.yaml"
    assert info.value.location.line >= 2
    assert "invalid YAML" in info.value.message
