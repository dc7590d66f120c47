"""A constant target is for each period of the workspace's grain: evaluated by quarter, an
additive KPI's monthly target is three months' (as its `qtd` window's at the quarter's last
month), by week its days' share; a ratio's target is the same at every grain."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli


def _workspace(tmp_path):
    first = dt.date(2024, 1, 1)
    days = [first + dt.timedelta(i) for i in range(182)]  # January to June 2024
    rows = "".join(f"{d},{500 + d.day},{200 + d.day}\n" for d in days)
    (tmp_path / "data.csv").write_text("date,revenue,marketing_cost\n" + rows)
    (tmp_path / "kpi.yaml").write_text(
        "name: t\ncurrency: USD\ndata: data.csv\nkpis: [sales_revenue, roi]\n"
        "targets: {sales_revenue: 60000, roi: 1.5}\n"
    )
    return tmp_path


def _records(root, *args: str) -> dict:
    out = CliRunner().invoke(
        cli,
        ["eval", "-w", str(root), "--format", "json", *args],
        env={"KPIENGINE_TODAY": "2024-08-01"},
    )
    assert out.exit_code in (0, 1), out.output
    return {(r["kpi"], r["period"]): r for r in json.loads(out.stdout)}


def test_a_quarter_has_three_months_of_target(tmp_path):
    root = _workspace(tmp_path)
    quarter = _records(root, "--grain", "quarter", "--period", "2024-Q2")
    qtd = _records(root, "--window", "qtd", "--period", "2024-06")
    assert quarter[("sales_revenue", "2024-Q2")]["target"] == pytest.approx(180000)
    assert qtd[("sales_revenue", "2024-06")]["target"] == pytest.approx(180000)
    assert quarter[("roi", "2024-Q2")]["target"] == pytest.approx(1.5)


def test_a_week_has_its_days_share(tmp_path):
    week = _records(_workspace(tmp_path), "--grain", "week", "--period", "2024-W10")
    assert week[("sales_revenue", "2024-W10")]["target"] == pytest.approx(60000 * 7 / 31)
