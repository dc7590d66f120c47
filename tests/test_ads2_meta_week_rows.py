"""Meta rows of weeks (`Reporting starts` to `Reporting ends` seven days apart) by month behave
as Google's `Week` rows: a week across two months leaves the source's KPIs undefined with the
reason naming the row's file:line (a KPI015 warning), never a run stopped without a place; `kpi
lint` does not fail on a workspace `kpi eval` evaluates, and `--grain week` is exact.
"""

import csv
import io
import json

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli

ROWS = (
    "2026-01-19,2026-01-25,P,8,2680,405.26,51\n"
    "2026-01-19,2026-01-25,R,11,21306,317.22,158\n"
    "2026-01-26,2026-02-01,P,16,40705,339.13,355\n"
    "2026-01-26,2026-02-01,R,17,17208,147.20,252\n"
    "2026-02-02,2026-02-08,P,9,1472,290.46,19\n"
)
HEADER = "Reporting starts,Reporting ends,Campaign name,Results,Impressions,Amount spent (EUR),"
HEADER += "Link clicks\n"


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-06-30")
    rows = list(csv.reader(io.StringIO(ROWS)))
    sums = [sum(float(r[i]) for r in rows) for i in (3, 4, 5, 6)]
    summary = f"2026-01-19,2026-02-08,,{sums[0]:.0f},{sums[1]:.0f},{sums[2]:.2f},{sums[3]:.0f}\n"
    (tmp_path / "meta.csv").write_text(HEADER + summary + ROWS, "utf-8")
    (tmp_path / "kpi.yaml").write_text(
        "currency: EUR\nsources:\n  meta:\n    connector: ads\n    path: meta.csv\n", "utf-8"
    )
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "d.yaml").write_text(
        "kpis:\n  cpc: {title: CPC, formula: ad_spend / clicks, unit: currency / clicks, "
        "format: currency}\n",
        "utf-8",
    )
    return tmp_path


def test_eval_by_month_leaves_the_kpis_undefined_naming_the_row(workspace):
    out = CliRunner().invoke(cli, ["eval", "-w", str(workspace), "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert rows and all(r["value"] is None for r in rows)
    # header, summary row, two rows of 19 to 25 January: the week across months is on line 5
    assert all("meta.csv:5:1" in r["reason"] and "--grain week" in r["reason"] for r in rows)


def test_lint_warns_kpi015_at_the_row(workspace):
    out = CliRunner().invoke(cli, ["lint", "-w", str(workspace)])
    assert out.exit_code != 2, out.output
    assert "KPI015" in out.output and "meta.csv:5:1" in out.output


def test_by_week_the_rows_count(workspace):
    args = ["eval", "-w", str(workspace), "--format", "json", "--grain", "week", "--kpi", "cpc"]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    got = {r["period"]: r["value"] for r in json.loads(out.stdout)}
    rows = list(csv.reader(io.StringIO(ROWS)))
    week = [r for r in rows if r[0] == "2026-01-26"]  # ISO week 5
    spend, clicks = sum(float(r[5]) for r in week), sum(float(r[6]) for r in week)
    assert got["2026-W05"] == pytest.approx(spend / clicks)
