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


def test_lint_of_one_kpi_keeps_its_sources_findings(write_workspace, monkeypatch):
    """A source's finding (a row dated 1900, KPI016) concerns the KPIs reading that source; a
    KPI reading another source does not get it."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-01-01")
    rows = [f"2024-{m:02d}-05,Search,{m},{m * 10},{m}" for m in range(1, 13)]
    data = "Date,Channel,Clicks,Impressions,Sessions\n1900-01-06,Search,1,2,3\n"
    data += "\n".join(rows) + "\n"
    source = SOURCE.replace("map: {clicks: Clicks, impressions: Impressions, sessions: Sessions}",
                            "map: {clicks: Clicks, impressions: Impressions}")  # fmt: skip
    source += "  web:\n    connector: csv\n    path: web.csv\n    date: Date\n"
    source += "    map: {sessions: Sessions}\n"
    root = write_workspace({"d": DEFS}, source, data)
    (root / "web.csv").write_text("Date,Sessions\n2024-01-05,3\n2024-02-05,4\n", "utf-8")
    stray = [line for line in _lint(root, "clicks_kpi").splitlines() if "KPI016" in line]
    assert len(stray) == 1 and "1900-01" in stray[0] and "`ads`" in stray[0]
    assert not [line for line in _lint(root, "sessions_kpi").splitlines() if "KPI016" in line]
