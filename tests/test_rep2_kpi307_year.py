"""KPI307 states facts that hold at every grain: by year, data from 16 March 2024 to 10 June
2025 makes 2024 (291 of 366 days) the base of 2025 (161 days to date), which is no full
period, and whose change is one comparison (its previous year is its year ago), against 2024's
87 days to 10 June. Day counts by hand."""

from __future__ import annotations

import datetime as dt

import kpiengine
from kpiengine.checks.coverage import PartialPeriod
from kpiengine.engine import Engine

DEFS = """\
variables:
  revenue: {unit: currency}
kpis:
  rev_k: {title: Revenue, formula: revenue, unit: currency}
"""


def _data(first: dt.date, last: dt.date) -> str:
    n = (last - first).days + 1
    return "date,revenue\n" + "".join(f"{first + dt.timedelta(k)},100\n" for k in range(n))


def _messages(write_workspace, monkeypatch, grain: str) -> list[str]:
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-12-31")
    data = _data(dt.date(2024, 3, 16), dt.date(2025, 6, 10))
    kpi_yaml = f"grain: {grain}\ndata: data.csv\nkpis: [rev_k]\n"
    ws = kpiengine.load_workspace(write_workspace({"shop": DEFS}, kpi_yaml, data))
    report = Engine(ws).lint(True)
    assert report.data_checked
    return [f.message for f in report.findings if f.code == "KPI307"]


def test_the_first_year_is_the_base_of_a_year_to_date(write_workspace, monkeypatch):
    messages = _messages(write_workspace, monkeypatch, "year")
    [first] = [m for m in messages if m.startswith("2024 ")]
    # 16 March to 31 December 2024: 16 + 30 + 31 + 30 + 31 + 31 + 30 + 31 + 30 + 31 days
    assert first.startswith("2024 holds 291 of 366 days of data (from 2024-03-16)")
    assert "look low" not in first  # 29,100 beside 2025's 16,100: not low
    assert "full period" not in first  # 2025 holds 31 + 28 + 31 + 30 + 31 + 10 = 161 days
    assert "`rev_k` 29,100 (2025: 16,100 over its 161 days)" in first
    assert "2025 and 2025" not in first
    # 2025 to 10 June is compared with 2024 to 10 June: 16 + 30 + 31 + 10 = 87 days held
    assert "the changes of 2025 against it compare 161 days to date with its 87" in first
    assert "current month" not in PartialPeriod.title


def test_a_full_next_period_still_makes_the_first_look_low(write_workspace, monkeypatch):
    messages = _messages(write_workspace, monkeypatch, "month")
    [first] = [m for m in messages if m.startswith("2024-03 ")]
    assert "compared with full periods: totals look low" in first
    assert "`rev_k` 1,600 (2024-04: 3,000)" in first  # 16 and 30 days of 100
    assert (
        "the changes of 2024-04 and 2025-03 against it compare full periods with 16 days" in first
    )


def test_weeks_starting_on_sunday_hold_seven_days(write_workspace, monkeypatch):
    """Sunday weeks, data Wednesday 13 March to Wednesday 17 April 2024: the first week holds
    Wednesday 13 to Saturday 16 March (4 of 7 days), the last Sunday 14 to 17 April (4 of 7)."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-04-17")
    data = _data(dt.date(2024, 3, 13), dt.date(2024, 4, 17))
    kpi_yaml = "grain: week\nweek_start: sunday\ndata: data.csv\nkpis: [rev_k]\n"
    ws = kpiengine.load_workspace(write_workspace({"shop": DEFS}, kpi_yaml, data))
    messages = [f.message for f in Engine(ws).lint(True).findings if f.code == "KPI307"]
    assert len(messages) == 2
    assert all(" holds 4 of 7 days of data " in m for m in messages), messages
