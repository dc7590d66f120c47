"""A projection learns from the days its own inputs' sources cover: a KPI is projected, or not,
the same whatever other KPIs (with longer data) are asked beside it."""

from __future__ import annotations

import datetime as dt
import json

from click.testing import CliRunner

from kpiengine.cli import cli

DEFS = {
    "d": """\
    kpis:
      rev_t: {title: Rev, formula: revenue, unit: currency}
      sess_t: {title: Sess, formula: sessions, unit: sessions}
    """
}
SOURCES = """\
sources:
  a: {connector: csv, path: a.csv}
  b: {connector: csv, path: b.csv}
"""


def _daily(column: str, first: dt.date, days: int, amount: int) -> str:
    rows = "".join(f"{first + dt.timedelta(i)},{amount}\n" for i in range(days))
    return f"date,{column}\n{rows}"


def _june(root, *kpis: str) -> dict:
    args = ["eval", "-w", str(root), "--format", "json", *[f"--kpi={k}" for k in kpis]]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code in (0, 1), out.output
    return next(
        r for r in json.loads(out.stdout) if r["kpi"] == "sess_t" and r["period"] == "2024-06"
    )


def _workspace(write_workspace, session_days: int):
    root = write_workspace(DEFS, SOURCES)
    (root / "a.csv").write_text(_daily("revenue", dt.date(2024, 1, 1), 60, 100), "utf-8")
    first = dt.date(2024, 6, 20) - dt.timedelta(session_days - 1)
    (root / "b.csv").write_text(_daily("sessions", first, session_days, 10), "utf-8")
    return root


def test_three_days_of_an_input_are_too_few_beside_or_alone(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-12-31")
    root = _workspace(write_workspace, 3)
    alone, beside = _june(root, "sess_t"), _june(root, "sess_t", "rev_t")
    assert alone["value"] == beside["value"] == 30
    assert alone["projected"] is None and beside["projected"] is None
    assert alone["status_basis"] == beside["status_basis"]


def test_enough_days_project_the_same_beside_or_alone(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-12-31")
    root = _workspace(write_workspace, 20)  # 1 to 20 June, 10 a day
    alone, beside = _june(root, "sess_t"), _june(root, "sess_t", "rev_t")
    assert alone["value"] == beside["value"] == 200
    assert alone["projected"] == beside["projected"] == 300  # 10 a day, every day alike


def test_a_segment_without_days_in_the_partial_period(write_workspace, monkeypatch):
    """Was a numpy broadcast error: the days fetched for March hold segment `b` only."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-03-10")
    data = "date,revenue,uid\n2023-01-01,5,a\n2024-03-02,7,b\n"
    root = write_workspace(DEFS, "data: data.csv\nkpis: [rev_t]\n", data)
    out = CliRunner().invoke(cli, ["eval", "-w", str(root), "--by", "uid", "--format", "json"])
    assert out.exit_code in (0, 1), out.output
    march = {
        r["segment"].get("uid", ""): r for r in json.loads(out.stdout) if r["period"] == "2024-03"
    }
    assert march[""]["value"] == march["b"]["value"] == 7
