"""A KPI with `direction: none` and a target is not judged: its target is a reference and its
gap a plain difference, and no output says it has no target (JSON, CSV, the terminal table,
HTML and Markdown reports alike); without a target it keeps `no_target`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re

import numpy as np
import pytest
from click.testing import CliRunner

from kpiengine.cli import cli
from kpiengine.targets import status

TODAY = "2026-12-07"
DEFS = """\
variables:
  inbound: {unit: currency}
  revenue: {unit: currency}
kpis:
  inbound_share:
    title: Inbound share
    formula: inbound / revenue
    unit: ratio
    format: percent
    direction: none
  inbound_amount: {title: Inbound amount, formula: inbound, unit: currency, direction: none}
  sales: {title: Sales, formula: revenue, unit: currency, direction: higher}
"""
KPI_YAML = """\
name: Direction none
kpis: [inbound_share, inbound_amount, sales]
targets: {inbound_share: 0.4, sales: 2500}
sources:
  sales: {connector: csv, path: sales.csv, date: date, map: {inbound: inbound, revenue: revenue}}
"""


def _rows() -> list[tuple[dt.date, int, int]]:
    day, rows = dt.date(2026, 10, 1), []
    while day <= dt.date.fromisoformat(TODAY):
        rows.append((day, 40 + day.day % 7, 100 + day.day % 3))
        day += dt.timedelta(days=1)
    return rows


@pytest.fixture
def root(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", TODAY)
    folder = write_workspace({"d": DEFS}, KPI_YAML)
    lines = "".join(f"{d},{i},{r}\n" for d, i, r in _rows())
    (folder / "sales.csv").write_text("date,inbound,revenue\n" + lines, "utf-8")
    return folder


def _run(*args: str) -> str:
    out = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert out.exit_code in (0, 1), out.output
    return out.stdout


def _share(month: int) -> float:
    """November's inbound share from the CSV, by hand."""
    rows = [(i, r) for d, i, r in _rows() if d.month == month]
    return sum(i for i, _ in rows) / sum(r for _, r in rows)


def test_status_of_a_kpi_without_direction():
    values, targets = np.array([0.5, 0.3, math.nan, 0.5]), np.array([0.4, 0.4, 0.4, math.nan])
    got = status(values, targets, "none", 0.1).tolist()
    assert got == ["not_judged", "not_judged", "not_judged", "no_target"]


def test_json_and_csv_records(root):
    args = ["eval", "-w", str(root), "--format", "json"]
    records = json.loads(_run(*args)) + json.loads(_run(*args, "--period", "current"))
    share = [r for r in records if r["kpi"] == "inbound_share"]
    assert {r["period"] for r in share} == {"2026-10", "2026-11", "2026-12"}
    assert {r["status"] for r in share} == {"not_judged"}
    assert all("direction is `none`" in r["status_reason"] for r in share)
    november = next(r for r in share if r["period"] == "2026-11")
    assert november["gap"] == pytest.approx(_share(11) - 0.4)  # a plain difference, kept
    december = next(r for r in share if r["period"] == "2026-12")
    assert december["p_target"] is None  # no chance of "reaching" a reference
    amount = {r["status"] for r in records if r["kpi"] == "inbound_amount"}
    assert amount == {"no_target"}  # no target: as before
    table = _run("eval", "-w", str(root), "--format", "csv")
    rows = [r for r in csv.DictReader(io.StringIO(table)) if r["kpi"] == "inbound_share"]
    assert {r["status"] for r in rows} == {"not_judged"}
    assert all("direction is `none`" in r["status_reason"] for r in rows)


def test_terminal_table(root, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    text = _run("eval", "-w", str(root))
    line = next(x for x in text.splitlines() if "inbound_share" in x)
    assert "not judged: direction none" in line and "40.0%" in line


@pytest.mark.parametrize("period", [None, "current"])
def test_reports(root, tmp_path, period):
    extra = ["--period", period] if period else []
    html_path, md_path = tmp_path / "r.html", tmp_path / "r.md"
    _run("report", "-w", str(root), "-o", str(html_path), *extra)
    _run("report", "-w", str(root), "-o", str(md_path), *extra)
    html, md = html_path.read_text("utf-8"), md_path.read_text("utf-8")
    row = re.search(r'<tr data-kpi="inbound_share".*?</tr>', html, re.S)
    assert row is not None
    cells = row.group(0)
    assert 'data-status="not_judged"' in cells and "No target" not in cells
    assert "Not judged" in cells and "the target is a reference" in cells
    assert 'data-gap="reference"' in cells  # the difference, marked as to a reference
    card = html[html.index('id="kpi-inbound_share"') :]
    card = card[: card.index("</section>")]
    assert "Difference from target" in card and "Gap to target" not in card
    assert "No target" not in card and "chance of reaching" not in card
    md_row = next(x for x in md.splitlines() if x.startswith("| Inbound share |"))
    assert "⚪ Not judged (no preferred direction: the target is a reference)" in md_row
    assert "No target" not in md_row and "40.0%" in md_row
    assert "· Difference " in md and "⚪ 1 Not judged" in md  # the KPI line and the summary
    amount_row = next(x for x in md.splitlines() if x.startswith("| Inbound amount |"))
    assert "No target" in amount_row


def test_french_report(root, tmp_path):
    path = tmp_path / "r.md"
    _run("report", "-w", str(root), "-o", str(path), "--locale", "fr")
    md_row = next(x for x in path.read_text("utf-8").splitlines() if "| Inbound share |" in x)
    assert "Non évalué" in md_row and "Sans objectif" not in md_row
