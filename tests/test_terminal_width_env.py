"""A `COLUMNS` of 0, a negative number, a word or an absurd size is ignored, as rich ignores an
unset one: `kpi eval` still prints its table (120 columns in a pipe, the terminal's size on a
terminal), never a bare newline."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from kpiengine.cli import cli
from kpiengine.terminal import console

MINI = """\
date,revenue,marketing_cost
2024-01-05,100,50
2024-02-05,120,60
2024-03-05,150,60
"""
DEFS = """\
variables:
  revenue: {unit: currency}
  marketing_cost: {unit: currency}
kpis:
  roi:
    title: Return on marketing investment
    formula: (revenue - marketing_cost) / marketing_cost
    unit: ratio
    format: percent
"""


def table(root, columns: str) -> str:
    env = {"COLUMNS": columns, "CI": "", "KPIENGINE_TODAY": "2024-12-18"}
    result = CliRunner().invoke(cli, ["eval", "-w", str(root), "--period", "2024-03"], env=env)
    assert result.exit_code in (0, 1), result.output
    return result.stdout


@pytest.mark.parametrize("columns", ["0", "-3", "1", "19", "wide", "1e9", "99999999999", " "])
def test_a_bad_columns_falls_back_to_120(write_workspace, columns):
    root = write_workspace({"k": DEFS}, "data: data.csv\n", MINI)
    text = table(root, columns)
    reference = table(root, "120")
    assert text == reference
    # the table itself: ROI for 2024-03 is (150 - 60) / 60 = 150.0%
    assert "Return on marketing investment" in text and "150.0%" in text
    assert max(cell_len(line) for line in text.splitlines()) <= 120


def test_a_sane_columns_is_kept(monkeypatch):
    monkeypatch.setattr(console, "is_terminal", lambda: False)
    for columns, expected in [("20", 20), (" 80 ", 80), ("10000", 10_000), ("0", 120)]:
        monkeypatch.setenv("COLUMNS", columns)
        assert console.width() == expected
    monkeypatch.delenv("COLUMNS")
    assert console.width() == 120


def test_on_a_terminal_a_bad_columns_gives_the_terminals_size(monkeypatch):
    size = {"columns": 0}
    monkeypatch.setattr(console, "is_terminal", lambda: True)
    monkeypatch.setattr(
        console.os, "get_terminal_size", lambda fd=0: os.terminal_size((size["columns"], 24))
    )
    monkeypatch.setenv("COLUMNS", "0")
    size["columns"] = 97
    assert console.width() == 97
    size["columns"] = 0  # a pty that says 0: 120
    assert console.width() == 120
    monkeypatch.setenv("COLUMNS", "150")  # a good COLUMNS comes first, as before
    assert console.width() == 150
