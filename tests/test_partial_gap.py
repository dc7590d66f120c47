"""A partial period's gap to target compares what its status compares: the projection with the
whole period's target, or the value to date with the target to date (pro rata); never ten days
of revenue with a whole month's target."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli

TODAY = "2024-06-11"


def _workspace(tmp_path, first: dt.date):
    days = [first + dt.timedelta(i) for i in range((dt.date(2024, 6, 10) - first).days + 1)]
    rows = "".join(f"{d},{700 + (d.toordinal() * 37) % 101}\n" for d in days)
    (tmp_path / "data.csv").write_text("date,revenue\n" + rows)
    (tmp_path / "kpi.yaml").write_text(
        "name: t\ncurrency: USD\ndata: data.csv\nkpis: [sales_revenue]\n"
        "targets: {sales_revenue: 60000}\n"
    )
    return tmp_path


def _current(root) -> dict:
    args = ["eval", "-w", str(root), "--period", "current", "--format", "json"]
    out = CliRunner().invoke(cli, args, env={"KPIENGINE_TODAY": TODAY})
    assert out.exit_code in (0, 1), out.output
    [record] = [r for r in json.loads(out.stdout) if r["kpi"] == "sales_revenue"]
    return record


def test_a_projected_period_is_judged_by_its_projection(tmp_path):
    record = _current(_workspace(tmp_path, dt.date(2024, 3, 1)))
    assert record["status_basis"] == "projection" and record["projected"] is not None
    assert record["gap"] == pytest.approx(record["projected"] - 60000)
    assert record["gap_pct"] == pytest.approx(record["projected"] / 60000 - 1)


def test_without_a_projection_the_gap_is_pro_rata(tmp_path):
    record = _current(_workspace(tmp_path, dt.date(2024, 6, 1)))  # 10 days: too few to project
    assert record["status_basis"] == "pro_rata"
    assert record["target_to_date"] == pytest.approx(60000 * 10 / 30)
    assert record["gap"] == pytest.approx(record["value"] - 60000 * 10 / 30)


def test_solving_a_partial_period_says_its_values_are_to_date(tmp_path):
    root = _workspace(tmp_path, dt.date(2024, 3, 1))
    args = ["solve", "sales_revenue", "-w", str(root), "--target", "60000", "--period", "current"]
    out = CliRunner().invoke(cli, args, env={"KPIENGINE_TODAY": TODAY, "COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    assert "2024-06 holds 10 of 30 days (to 2024-06-10): the value needed is the whole " in (
        out.output
    )
    assert "`now` is the projection to its end, as the status is judged" in out.output
