"""A partial period's values to date roll their segments up as its value does.

A stock summed across campaigns is each campaign's last value added up; its value to date in
the previous month must be made the same way, not taken from the days' totals (the last day's
total holds only the campaigns that reported that day: "+1,000%" for no change). Campaign A
reports on odd days, B on even days; expected values are computed from the rows below.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from kpiengine.engine import Engine
from kpiengine.workspace import load_workspace

TODAY = "2024-02-15"
DEFS = """\
variables:
  subscribers: {unit: customers, aggregate: {time: last, segments: sum}}
  load: {unit: customers, aggregate: {time: mean, segments: sum}}
kpis:
  subs_kpi: {title: Subscribers, formula: subscribers, unit: customers, direction: higher}
  load_kpi: {title: Load, formula: load, unit: customers, direction: higher}
"""
SOURCE = """\
kpis: [subs_kpi, load_kpi]
sources:
  s:
    connector: csv
    path: data.csv
    dimensions: {campaign: campaign}
    map: {subscribers: {column: subs}, load: {column: subs}}
"""


def _data() -> str:
    lines = ["date,campaign,subs"]
    day = dt.date(2024, 1, 1)
    while day <= dt.date.fromisoformat(TODAY):
        campaign, subs = ("A", 10) if day.day % 2 else ("B", 100)
        lines.append(f"{day},{campaign},{subs}")
        day += dt.timedelta(days=1)
    return "\n".join(lines) + "\n"


def _by_hand(month: str, last_day: int) -> tuple[float, float]:
    """(each campaign's last value added up, each campaign's mean added up) over the month's
    days up to `last_day`."""
    rows = [r for r in csv.DictReader(io.StringIO(_data()))
            if r["date"][:7] == month and int(r["date"][8:]) <= last_day]  # fmt: skip
    last: dict[str, float] = {}
    values: dict[str, list[float]] = {}
    for row in sorted(rows, key=lambda r: r["date"]):
        last[row["campaign"]] = float(row["subs"])
        values.setdefault(row["campaign"], []).append(float(row["subs"]))
    return sum(last.values()), sum(sum(v) / len(v) for v in values.values())


def test_the_previous_month_to_date_rolls_its_campaigns_up(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", TODAY)
    root = write_workspace({"d": DEFS}, SOURCE, _data())
    results = Engine(load_workspace(root)).evaluate(by=["campaign"])
    got = {(r["kpi"], r["period"], r["segment"].get("campaign", "")): r for r in results.records()}
    now_last, now_mean = _by_hand("2024-02", 15)
    before_last, before_mean = _by_hand("2024-01", 15)
    assert (before_last, before_mean) == (110, 110)  # A's 10 and B's 100: no change
    subs, load = got[("subs_kpi", "2024-02", "")], got[("load_kpi", "2024-02", "")]
    assert subs["compared"] == "to_date"
    assert subs["value"] == pytest.approx(now_last)
    assert subs["previous"] == pytest.approx(before_last) and subs["change"] == pytest.approx(0)
    assert load["value"] == pytest.approx(now_mean)
    assert load["previous"] == pytest.approx(before_mean)
