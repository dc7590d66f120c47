"""`kpi lint --kpi X` keeps the data findings about X's inputs (a total row counted twice in a
variable X reads), not only those naming X."""

from __future__ import annotations

from click.testing import CliRunner

from kpiengine.cli import cli

DEFS = """\
variables:
  clicks: {unit: clicks}
  impressions: {unit: impressions}
  sessions: {unit: sessions}
kpis:
  clicks_kpi: {formula: clicks, unit: clicks}
  sessions_kpi: {formula: sessions, unit: sessions}
"""
SOURCE = """\
sources:
  ads:
    connector: csv
    path: data.csv
    date: Date
    dimensions: {channel: Channel}
    map: {clicks: Clicks, impressions: Impressions, sessions: Sessions}
"""
# `Overall` is no totals label of the reading layer: the rows are read, and KPI305 says why not
DATA = """\
Date,Channel,Clicks,Impressions,Sessions
2024-01-01,Search,10,100,1
2024-01-01,Social,5,200,2
2024-01-01,Overall,15,300,3
"""


def _lint(root, kpi: str) -> str:
    args = ["lint", "--kpi", kpi, "--workspace", str(root)]
    return CliRunner().invoke(cli, args, catch_exceptions=False).output


def test_lint_of_one_kpi_keeps_the_findings_about_its_inputs(write_workspace):
    root = write_workspace({"d": DEFS}, SOURCE, DATA)
    found = [line for line in _lint(root, "clicks_kpi").splitlines() if "KPI305" in line]
    assert len(found) == 1 and "`clicks`" in found[0]  # not `impressions`: no input of it
    found = [line for line in _lint(root, "sessions_kpi").splitlines() if "KPI305" in line]
    assert len(found) == 1 and "`sessions`" in found[0]
