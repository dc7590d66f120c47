"""`kpi solve`, `drivers`, `explain` and `plan` on a KPI whose definition has errors (or that
uses one that has) print the findings that stop it, as `kpi eval` does: file:line:column, code,
message and fix; not only "the definition has errors"."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import kpiengine
from kpiengine.analysis import solve_for
from kpiengine.cli import cli
from kpiengine.engine import load_context
from kpiengine.errors import KpiError

DEFS = """\
kpis:
  margin_rate:
    formula: (revenue - marketing_cost) % revenue
    unit: ratio
  doubled:
    formula: margin_rate * 2
    unit: ratio
  roi:
    formula: (revenue - marketing_cost) / marketing_cost
    unit: ratio
"""
VARIABLES = """\
variables:
  revenue: {unit: currency}
  marketing_cost: {unit: currency}
"""
DATA = """\
date,revenue,marketing_cost
2024-01-05,100,50
2024-02-05,120,60
2024-03-05,150,60
"""
# `%` is the 41st character of line 3: 4 spaces, `formula: ` (9), `(revenue - marketing_cost) ` (27)
FINDING = "k.yaml:3:41: error KPI005: operator `%` is not allowed"
FIX = "fix: percentages are fractions here"


@pytest.fixture
def root(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-12-18")
    return write_workspace({"k": DEFS, "v": VARIABLES}, "data: data.csv\n", DATA)


COMMANDS = {
    "solve": ["solve", "{kpi}", "--target", "1"],
    "solve-for": ["solve", "{kpi}", "--target", "1", "--for", "revenue"],
    "drivers": ["drivers", "{kpi}"],
    "explain": ["explain", "{kpi}", "--from", "2024-01", "--to", "2024-02"],
    "plan": ["plan", "{kpi}", "--target", "1"],
}


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
@pytest.mark.parametrize("kpi", ["margin_rate", "doubled"])
def test_each_analysis_shows_the_finding_that_stops_it(root, command, kpi):
    args = [a.format(kpi=kpi) for a in command] + ["-w", str(root)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert (
        f"`{kpi}` cannot be analysed: the definition of `margin_rate` has errors:" in result.output
    )
    line = next(line for line in result.output.splitlines() if "KPI005" in line)
    assert line.endswith(FINDING) and FIX in result.output
    assert result.output.count("KPI005") == 1  # once, not again among the workspace's findings


def test_the_python_api_carries_the_finding_too(root):
    ws = kpiengine.load_workspace(root)
    ctx = load_context(ws, ["roi"])
    with pytest.raises(KpiError) as info:
        solve_for(ctx, "doubled", 1.0, "revenue")
    assert FINDING in str(info.value)
    assert solve_for(ctx, "roi", 1.0, "revenue").solutions[0].value == pytest.approx(120)
