"""KPI014 reads a title's locales: `french:` is no locale (error, `fr` suggested), `fr_FR:` is
never looked up as written (error), an empty title is an error, a title keyed by locale without
the workspace's `locale:` an info. KPI010 points at a `given:` value that is text, and warns of
an input the formula does not use."""

from __future__ import annotations

import json

from click.testing import CliRunner

from kpiengine.cli import cli

TITLES = """\
variables:
  cost: {unit: currency}
kpis:
  net_a: {title: {en: Net A, fr: Net A (fr)}, formula: revenue - cost, unit: currency}
  net_b: {title: {en: Net B}, formula: revenue - 2 * cost, unit: currency}
  net_c: {title: {en: Net C, french: Net C (fr)}, formula: revenue - 3 * cost, unit: currency}
  net_d: {title: {en: "", fr: ""}, formula: revenue - 4 * cost, unit: currency}
  net_e: {title: Marge nette, formula: revenue - 5 * cost, unit: currency}
  net_f: {title: {en: Net F, fr_FR: Net F (fr)}, formula: revenue - 6 * cost, unit: currency}
"""
EXAMPLES = """\
kpis:
  roi2:
    title: {en: ROI 2}
    formula: (gross_profit - marketing_cost) / marketing_cost
    unit: ratio
    examples:
      - given: {gross_profit: "10,000", marketing_cost: 7000}
        expect: 0.428571
      - given: {gross_profit: 10000, marketing_cost: 7000, revenue: 123}
        expect: 0.428571
"""


def findings(root) -> list[dict]:
    result = CliRunner().invoke(cli, ["lint", "-w", str(root), "--format", "json"])
    return json.loads(result.stdout)["findings"]


def test_title_locales(write_workspace):
    root = write_workspace({"a": TITLES}, "name: t\nlocale: fr\n")
    found = [(f["kpi"], f["severity"], f["line"], f["column"], f["message"])
             for f in findings(root) if f["code"] == "KPI014"]  # fmt: skip
    lines = TITLES.splitlines()
    by = {(kpi, severity, line, column): message for kpi, severity, line, column, message in found}
    # net_a has its French title; net_e's plain title is in whatever language it is written
    assert not [k for k in by if k[0] in ("net_a", "net_e")]
    missing = by[("net_b", "info", 5, lines[4].index("{en") + 1)]
    assert missing == (
        '`net_b` has no title in `fr`, the workspace\'s `locale:`: reports in fr show "Net B"'
    )
    wrong = by[("net_c", "error", 6, lines[5].index("french") + 1)]
    assert wrong == "`net_c`'s title is keyed `french:`, which is no locale; did you mean `fr`?"
    empty = [k for k in by if k[0] == "net_d"]
    assert sorted(k[1:] for k in empty) == [
        ("error", 7, lines[6].index('""') + 2),  # after the opening quote
        ("error", 7, lines[6].rindex('""') + 2),
    ]
    assert 'is empty: it is shown as "Net d", made from its id' in by[("net_d", *empty[0][1:])]
    spelled = by[("net_f", "error", 9, lines[8].index("fr_FR") + 1)]
    assert "looks up as `fr`" in spelled
    assert not [k for k in by if k[0] == "net_f" and k[1] == "info"]  # said once, by the error


def test_example_inputs_that_are_text_or_unused(write_workspace):
    root = write_workspace({"a": EXAMPLES}, "name: t\n")
    found = [f for f in findings(root) if f["code"] == "KPI010"]
    lines = EXAMPLES.splitlines()
    text = next(f for f in found if f["severity"] == "error")
    assert (text["line"], text["column"]) == (7, lines[6].index("10,000") + 1)
    assert 'must be a number, not the text "10,000"' in text["message"]
    assert text["fix"].endswith(": `10000`")
    unused = next(f for f in found if f["severity"] == "warning")
    assert (unused["line"], unused["column"]) == (9, lines[8].index("revenue") + 1)
    assert unused["message"] == (
        "the example gives `revenue`, which `roi2` does not use (it reads `gross_profit`, "
        "`marketing_cost` from the example)"
    )
    assert len(found) == 2
