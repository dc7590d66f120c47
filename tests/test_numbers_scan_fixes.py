"""The fix a scan's bad-cell error gives is the cell's own when it has one: an ISO week after
a file's sample (in a column of days) says to export by day, not to set `date_format:`."""

from __future__ import annotations

import pytest

import kpiengine
from kpiengine.errors import KpiError
from kpiengine.fileformats.datespec import WEEKS_FIX

#: beyond the 256 KB that a file's sample reads
ROWS = 24_000


def _error(tmp_path, last: str) -> KpiError:
    root = tmp_path / "ws"
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "k.yaml").write_text(
        "kpis:\n  spend: {title: Spend, formula: marketing_cost, unit: currency}\n"
    )
    days = "".join(f"2024-01-{i % 28 + 1:02d},{i % 5}\n" for i in range(ROWS))
    (root / "costs.csv").write_text(f"date,cost\n{days}{last},3\n", "utf-8")
    (root / "kpi.yaml").write_text(
        "currency: USD\nsources:\n  s:\n    connector: csv\n    path: costs.csv\n"
        "    date: date\n    map: {marketing_cost: {column: cost}}\n"
    )
    with pytest.raises(KpiError) as info:
        kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["spend"], grain="month")
    return info.value


def test_an_iso_week_after_the_sample_gets_the_weeks_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-01")
    error = _error(tmp_path, "2024-W05")
    assert str(error).startswith(f"costs.csv:{ROWS + 2}:1: expected a date like")
    assert "it is an ISO week" in error.message
    assert error.fix == WEEKS_FIX


def test_another_bad_day_keeps_the_date_format_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-01")
    error = _error(tmp_path, "2024-13-05")
    assert error.fix is not None and error.fix.startswith("set the source's `date_format:`")
    assert "years 1000 to 2999" in error.fix
