"""A Google Ads report by day with a row whose day is empty: an error at that cell in `kpi eval`
and `kpi lint`, never a total without the row's clicks and cost."""

from __future__ import annotations

import csv
import io

from click.testing import CliRunner

from kpiengine.cli import cli

REPORT = """\
Campaign report
"2 February 2026 - 6 February 2026"
Day,Campaign,Currency code,Impr.,Clicks,Cost
{first},Brand,EUR,"1,204",96,49.92
"Mon, 2 Feb 2026",Generic,EUR,"3,410",121,187.55
"Thu, 5 Feb 2026",Brand,EUR,"1,188",90,47.10
"Fri, 6 Feb 2026",Generic,EUR,"3,302",118,180.01
Total: Campaigns,,,"9,104",425,464.58
"""


def _workspace(write_workspace, first: str):
    root = write_workspace({}, "currency: EUR\nsources: {a: {connector: ads, path: ads.csv}}\n")
    (root / "ads.csv").write_text(REPORT.format(first=first), "utf-8")
    return root


def test_a_row_without_a_day_stops_at_its_cell(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-12-31")
    root = _workspace(write_workspace, "")
    for args in (["eval", "--kpi", "cpc"], ["lint"]):
        out = CliRunner().invoke(cli, [*args, "-w", str(root)])
        assert out.exit_code == 2, (args, out.output)
        assert "ads.csv:4:1: a row has values but no day in column `Day`" in out.output


def test_the_same_row_with_its_day_is_counted(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-12-31")
    root = _workspace(write_workspace, '"Tue, 3 Feb 2026"')
    out = CliRunner().invoke(cli, ["eval", "-w", str(root), "--kpi", "cpc", "--format", "csv"])
    assert out.exit_code in (0, 1), out.output
    lines = REPORT.format(first="x").splitlines()[2:7]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    cost = sum(float(r["Cost"]) for r in rows)
    clicks = sum(int(r["Clicks"]) for r in rows)
    [record] = [r for r in csv.DictReader(io.StringIO(out.stdout)) if not r["segment"]]
    assert float(record["value"]) == cost / clicks
