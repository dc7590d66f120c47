"""A total is its segments rolled up by the variable's own rules, asked by segment or not.

A stock summed across channels is each channel's last value added up, not the rows of the
period's last day; a mean is the channels' means averaged, not the mean of all rows. The csv
connector answered the total from all rows when no `--by` was given (150 read as 50, 17.5 as
20). Expected values are computed here from the rows with the csv module.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict

import pytest

from kpiengine.engine import Engine
from kpiengine.workspace import load_workspace

RULES = {
    "last_sum": ("{time: last, segments: sum}", "last", "sum"),
    "first_sum": ("{time: first, segments: sum}", "first", "sum"),
    "last_mean": ("{time: last, segments: mean}", "last", "mean"),
    "mean_sum": ("{time: mean, segments: sum}", "mean", "sum"),
    "mean": ("mean", "mean", "mean"),
    "max_max": ("{time: max, segments: max}", "max", "max"),
    "sum": ("sum", "sum", "sum"),
}
DATA = """\
date,ch,v
2024-01-30,A,100
2024-01-31,B,50
2024-01-31,B,30
2024-02-01,A,120
2024-02-03,B,70
2024-02-03,C,10
2024-02-27,A,90
"""


def _by_hand(time: str, segments: str) -> dict[tuple[str, str], float]:
    """(month, channel or "") -> the value: each channel's days by `time`, then `segments`."""
    rows = list(csv.DictReader(io.StringIO(DATA)))
    days: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        days[(row["date"][:7], row["ch"])][row["date"]].append(float(row["v"]))
    per: dict[tuple[str, str], float] = {}
    for key, by_day in days.items():
        ordered = [by_day[d] for d in sorted(by_day)]
        flat = [v for day in ordered for v in day]
        per[key] = {
            "last": sum(ordered[-1]),
            "first": sum(ordered[0]),
            "mean": statistics.fmean(flat),
            "max": max(flat),
            "sum": sum(flat),
        }[time]
    out = dict(per)
    for month in {m for m, _ in per}:
        values = [v for (m, _), v in per.items() if m == month]
        out[(month, "")] = {"sum": sum, "mean": statistics.fmean, "max": max}[segments](values)
    return out


@pytest.fixture
def workspace(write_workspace):
    variables = "\n".join(
        f"  {name}: {{unit: customers, aggregate: {rule}}}" for name, (rule, *_) in RULES.items()
    )
    kpis = "\n".join(
        f"  k_{name}: {{title: {name}, formula: {name}, unit: customers, format: number}}"
        for name in RULES
    )
    mapped = "\n".join(f"      {name}: {{column: v}}" for name in RULES)
    return write_workspace(
        {"d": f"variables:\n{variables}\nkpis:\n{kpis}\n"},
        "currency: USD\n"
        f"kpis: [{', '.join(f'k_{n}' for n in RULES)}]\n"
        "sources:\n  s:\n    connector: csv\n    path: data.csv\n    date: date\n"
        f"    dimensions: {{channel: ch}}\n    map:\n{mapped}\n",
        DATA,
    )


@pytest.mark.parametrize("by", [(), ("channel",)])
def test_totals_follow_the_segment_rule_with_or_without_by(workspace, by):
    results = Engine(load_workspace(workspace)).evaluate(by=list(by))
    got = {
        (r["kpi"], r["period"], r["segment"].get("channel", "")): r["value"]
        for r in results.records()
    }
    for name, (_, time, segments) in RULES.items():
        for (month, channel), value in _by_hand(time, segments).items():
            if channel and not by:
                continue
            assert got[(f"k_{name}", month, channel)] == pytest.approx(value), (name, month)


def test_the_hand_totals_differ_from_all_rows(workspace):
    """The rules tested are those where the rows alone give another total (the test can fail)."""
    hand = _by_hand("last", "sum")  # January: A's 30th, B's 31st (two rows); the rows: the 31st
    assert hand[("2024-01", "")] == 100 + 50 + 30 != 50 + 30
    assert hand[("2024-02", "")] == 90 + 70 + 10 != 90
    mean = _by_hand("mean", "mean")[("2024-01", "")]  # A's 100 and B's 40, not (100+50+30)/3
    assert mean == pytest.approx((100 + 40) / 2) != pytest.approx(60)
