"""A target met exactly is on track: targets spread over days and summed back are tidied once
(36,000 a year is 3,000 in every month, not 3,000.000000000002), and statuses compare the
numbers shown, so every consumer (status, gap, target) agrees. Expected values by hand."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from click.testing import CliRunner

from kpiengine.cli import cli
from kpiengine.errors import Location
from kpiengine.model import TargetSpec
from kpiengine.periods import DEFAULT
from kpiengine.targets import ON_TRACK, period_targets, status, to_date_target

DEFS = """\
variables:
  revenue: {unit: currency}
  cost: {unit: currency}
kpis:
  rev_k: {title: Revenue, formula: revenue, unit: currency}
  cost_k: {title: Cost, formula: cost, unit: currency, direction: lower}
"""
# 3,000 of revenue and of cost every month of 2024: exactly a twelfth of 36,000
DATA = "date,revenue,cost\n" + "".join(f"2024-{m:02d}-01,3000,3000\n" for m in range(1, 13))
TARGETS = "targets:\n  rev_k: {annual: {2024: 36000}}\n  cost_k: {annual: {2024: 36000}}\n"
WEIGHTS = [10, 8, 8, 7, 7, 6, 6, 8, 10, 10, 10, 10]  # percent of 300,000: 3,000 a point
SPLIT = f"targets:\n  rev_k: {{annual: {{2024: 300000}}, split: {WEIGHTS}}}\n"


def _records(root, *args: str) -> list[dict]:
    result = CliRunner().invoke(
        cli, ["eval", "--format", "json", "--workspace", str(root), *args], catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.output
    return [r for r in json.loads(result.stdout) if not r["segment"]]


@pytest.fixture
def root(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-01")
    return write_workspace(
        {"shop": DEFS}, "data: data.csv\nkpis: [rev_k, cost_k]\n" + TARGETS, DATA
    )


@pytest.mark.parametrize(
    ("args", "target", "periods"),
    [
        ((), 3000, 12),  # a twelfth of 36,000 a month
        (("--grain", "quarter"), 9000, 4),  # three months' twelfths
        (("--window", "ytd"), None, 12),  # 3,000 times the months so far
        (("--window", "qtd"), None, 12),
    ],
)
def test_a_target_met_exactly_is_on_track_both_ways(root, args, target, periods):
    records = _records(root, *args)
    assert len(records) == 2 * periods
    for record in records:
        if target is not None:
            assert record["target"] == target
        assert record["target"] == record["value"]
        assert (record["gap"], record["status"]) == (0, ON_TRACK), record


def test_a_split_target_met_exactly_is_on_track(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-01")
    rows = "".join(f"2024-{m:02d}-01,{3000 * w},0\n" for m, w in enumerate(WEIGHTS, 1))
    root = write_workspace(
        {"shop": DEFS}, "data: data.csv\nkpis: [rev_k]\n" + SPLIT, "date,revenue,cost\n" + rows
    )
    for args in ((), ("--window", "ytd"), ("--grain", "quarter")):
        records = [r for r in _records(root, *args) if r["kpi"] == "rev_k"]
        assert all(r["target"] == r["value"] for r in records), records
        assert {(r["gap"], r["status"]) for r in records} == {(0, ON_TRACK)}
    months = [r["target"] for r in _records(root) if r["kpi"] == "rev_k"]
    assert months == [3000 * w for w in WEIGHTS]


def test_period_targets_sum_a_months_days_back_to_its_share():
    spec = TargetSpec(Location("kpi.yaml"), annual={"2024": 36000.0})
    january_2024 = DEFAULT.ordinal_of(dt.date(2024, 1, 1), "month")
    months = period_targets(spec, True, "month", january_2024, 12, per="month")
    assert months.tolist() == [3000.0] * 12
    # the first 10 of March's 31 days: 3,000 x 10 / 31, tidied
    assert to_date_target(spec, "month", january_2024 + 2, 10) == pytest.approx(3000 * 10 / 31)


def test_status_judges_the_tidied_numbers():
    noisy = np.array([[0.1 + 0.2]])  # 0.30000000000000004, shown as 0.3
    target = np.array([[0.3]])
    assert status(noisy, target, "lower", 0.1)[0, 0] == ON_TRACK
    assert status(target, noisy, "higher", 0.1)[0, 0] == ON_TRACK
