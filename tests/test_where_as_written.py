"""`where:` values and mapping keys are the text written in kpi.yaml, never YAML 1.1's booleans:
`NO` is Norway and `true` a cell's text, whatever YAML would make of them."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli

DEFS = """\
variables:
  rev: {unit: currency}
kpis:
  r: {title: Revenue, formula: rev, unit: currency}
"""
DATA = "date,country,flag,amount\n2024-01-05,NO,true,1\n2024-01-06,SE,yes,2\n2024-01-07,DK,on,4\n"


def _sum(column: str, value: str) -> float:
    rows = csv.DictReader(io.StringIO(DATA))
    return sum(float(r["amount"]) for r in rows if r[column] == value)


def _source(where: str) -> str:
    return f"""\
currency: EUR
kpis: [r]
sources:
  s:
    connector: csv
    path: data.csv
    date: date
    dimensions:
      country: {{column: country, values: {{NO: Norway, SE: Sweden, DK: Denmark}}}}
    map:
      rev: {{column: amount, where: {where}}}
"""


@pytest.mark.parametrize(
    ("where", "column", "value"),
    [
        ("{country: [NO]}", "country", "NO"),
        ("{country: NO}", "country", "NO"),
        ("{flag: true}", "flag", "true"),
        ("{flag: [yes]}", "flag", "yes"),
        ("{flag: [on]}", "flag", "on"),
    ],
)
def test_where_values_are_the_text_written(write_workspace, monkeypatch, where, column, value):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-06-01")
    root = write_workspace({"d": DEFS}, _source(where), DATA)
    out = CliRunner().invoke(cli, ["eval", "-w", str(root), "--format", "json", "--by", "country"])
    assert out.exit_code == 0, out.output
    records = json.loads(out.stdout)
    total = next(r for r in records if not r["segment"])
    assert total["value"] == _sum(column, value) > 0
    # the dimension's value map keys are text too: `NO` names Norway's rows
    labels = {r["segment"]["country"] for r in records if r["segment"]}
    assert labels == {"Norway", "Sweden", "Denmark"}
