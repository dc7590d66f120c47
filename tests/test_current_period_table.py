"""The period in progress, as people look at it: `kpi eval --period current` prints its table.

Its changes to date came out of numpy as `np.float64`, whose text (`np.float64(0.5)`) the table's
rounding could not read: a traceback instead of the table. Records hold Python numbers only.
"""

from __future__ import annotations

import numbers

import numpy as np
from click.testing import CliRunner

from kpiengine.cli import cli
from kpiengine.engine import Engine
from kpiengine.resources import sample_workspace
from kpiengine.workspace import load_workspace

TODAY = "2024-06-15"  # inside the sample's last month of data: June is in progress


def test_the_current_period_prints_its_table(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", TODAY)
    out = CliRunner().invoke(cli, ["eval", "--sample", "--period", "current"])
    assert out.exception is None or isinstance(out.exception, SystemExit), out.output
    assert out.exit_code in (0, 1), out.output
    assert "2024-06" in out.output and "Traceback" not in out.output


def test_records_hold_python_numbers_only(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", TODAY)
    results = Engine(load_workspace(sample_workspace())).evaluate()
    partial = [r for r in results.records() if r["period"] == "2024-06"]
    assert partial and any(r["change"] is not None for r in partial)
    for record in results.records():
        for key, value in record.items():
            assert not isinstance(value, np.generic), (key, type(value))
            if isinstance(value, numbers.Number):
                assert type(value) in (int, float, bool), (key, type(value))
