"""`--to DAY` (or today) inside a period whose rows are coarser than days: the source's value
to that day is unknown, not the whole month's judged pro rata; an export whose stated range
ends by that day is the period so far, as before."""

from __future__ import annotations

import datetime as dt

import pytest

import kpiengine

DEFS = """\
kpis:
  sess: {title: Sessions, formula: sessions, unit: sessions}
"""
SPEND = """\
variables:
  cost: {unit: currency}
kpis:
  spend: {title: Spend, formula: cost, unit: currency}
"""
GA4_JAN = """\
# ----------------------------------------
# Traffic acquisition: Session default channel group
# Account: Demo
# Property: Demo - GA4
# ----------------------------------------
#
# All Users
# Start date: 20240101
# End date: 20240131
Session default channel group,Users,Sessions
Direct,400,500
Email,400,500
Grand total,750,1000
"""


def _year_month(end: str) -> str:
    return (
        "# ----------------------------------------\n# Free form 1\n"
        "# ----------------------------------------\n#\n# All Users\n"
        f"# Start date: 20240101\n# End date: {end}\n"
        "Year month,Sessions,Total users\n202401,1000,750\n202402,1200,800\n"
        ",2200,1400,Grand total\n"
    )


def _workspace(write_workspace, text: str, extra: str = "targets: {sess: 1500}\n"):
    kpi_yaml = "sources:\n  ga: {connector: ga_export, path: exports/*.csv}\n" + extra
    root = write_workspace({"mine": DEFS}, kpi_yaml)
    (root / "exports").mkdir()
    (root / "exports" / "report.csv").write_text(text, "utf-8")
    return kpiengine.load_workspace(root)


def _total(results, label: str) -> dict:
    return next(r for r in results.records() if r["period"] == label and not r["segment"])


def test_to_a_day_inside_a_range_without_days(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-06-01")
    ws = _workspace(write_workspace, GA4_JAN)
    whole = _total(kpiengine.evaluate(ws, kpis=["sess"]), "2024-01")
    assert (whole["value"], whole["status"]) == (1000, "off_track")  # 1,000 of 1,500
    cut = kpiengine.evaluate(ws, kpis=["sess"], end=dt.date(2024, 1, 15))
    [record] = [r for r in cut.records() if not r["segment"]]
    # was 1,000 (the whole of January) on track against 1,500 x 15/31 = 725.8
    assert record["value"] is None and record["status"] == "undefined"
    assert record["target_to_date"] is None
    reason = record["reason"]
    assert "source `ga` has 1-31 Jan 2024 without days" in reason and "2024-01-15" in reason


def test_today_inside_a_range_without_days(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-01-15")
    ws = _workspace(write_workspace, GA4_JAN)
    [record] = [r for r in kpiengine.evaluate(ws, kpis=["sess"]).records() if not r["segment"]]
    assert record["value"] is None and record["status"] == "undefined"
    assert "1-31 Jan 2024 without days" in record["reason"]


def test_to_a_day_inside_monthly_rows(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-06-01")
    ws = _workspace(write_workspace, _year_month("20240229"))
    results = kpiengine.evaluate(ws, kpis=["sess"], end=dt.date(2024, 2, 10))
    assert _total(results, "2024-01")["value"] == 1000  # January ends before the cut: whole
    february = _total(results, "2024-02")
    # was February's whole 1,200 judged against 1,500 x 10/29 = 517 pro rata
    assert february["value"] is None and february["status"] == "undefined"
    assert "monthly rows" in february["reason"] and "2024-02-10" in february["reason"]


def test_an_export_taken_on_the_cut_day_is_the_month_so_far(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-06-01")
    ws = _workspace(write_workspace, _year_month("20240210"))  # exported on 10 February
    results = kpiengine.evaluate(ws, kpis=["sess"], end=dt.date(2024, 2, 10))
    february = _total(results, "2024-02")
    assert february["value"] == 1200 and february["status_basis"] == "pro_rata"
    assert february["target_to_date"] == pytest.approx(1500 * 10 / 29)


def test_monthly_rows_in_the_month_in_progress_stay_judged(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-05-12")
    root = write_workspace(
        {"mine": SPEND},
        "sources:\n  costs: {connector: csv, path: costs.csv, date: date, map: {cost: cost}}\n"
        "targets: {spend: 3000}\n",
    )
    (root / "costs.csv").write_text("date,cost\n2024-04,3000\n2024-05,3100\n", "utf-8")
    results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["spend"])
    may = _total(results, "2024-05")  # the month so far: no day says otherwise
    assert may["value"] == 3100 and may["status"] != "undefined"


def test_by_a_dimension_the_range_is_not_cut_either(write_workspace, monkeypatch):
    """A Universal Analytics export: channels for June without days, and a Day Index table."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-09-01")
    days = "".join(f"6/{d}/24,{300 + d}\n" for d in range(1, 31))
    text = (
        "# ----------------------------------------\n# All Web Site Data\n# Channels\n"
        "# 20240601-20240630\n# ----------------------------------------\n\n"
        "Default Channel Grouping,Users,Sessions\nDirect,900,1000\nEmail,300,400\n"
        ',"1,200","1,400"\n\nDay Index,Sessions\n' + days + ',"9,465"\n'
    )
    ws = _workspace(write_workspace, text, "")
    june = (dt.date(2024, 6, 1), dt.date(2024, 6, 2))
    by_day = kpiengine.evaluate(ws, kpis=["sess"], grain="day", start=june[0], end=june[1])
    assert [r["value"] for r in by_day.records() if not r["segment"]] == [301, 302]
    by = kpiengine.evaluate(
        ws, kpis=["sess"], grain="day", by=["channel"], start=june[0], end=june[1]
    )
    records = by.records()
    assert records and all(r["value"] is None for r in records)  # was June's 1,400
    assert all("1-30 Jun 2024 without days" in r["reason"] for r in records)


USERS = """\
kpis:
  users: {title: Users, formula: visitors, unit: visitors}
"""


def test_distinct_counts_of_monthly_rows_are_cut_too(write_workspace, monkeypatch):
    """Users are never asked by day: the monthly rows themselves say they reach past the cut."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-06-01")
    root = write_workspace(
        {"mine": USERS}, "sources:\n  ga: {connector: ga_export, path: exports/*.csv}\n"
    )
    (root / "exports").mkdir()
    (root / "exports" / "users.csv").write_text(_year_month("20240229"), "utf-8")
    ws = kpiengine.load_workspace(root)
    results = kpiengine.evaluate(ws, kpis=["users"], end=dt.date(2024, 2, 10))
    assert _total(results, "2024-01")["value"] == 750
    february = _total(results, "2024-02")  # was 800, the users of the whole of February
    assert february["value"] is None
    assert "source `ga` has monthly rows" in february["reason"]
    assert "2024-02-10" in february["reason"]


def _costs(write_workspace, rows: str):
    root = write_workspace(
        {"mine": SPEND},
        "sources:\n  costs: {connector: csv, path: costs.csv, date: date, map: {cost: cost}}\n",
    )
    (root / "costs.csv").write_text("date,cost\n" + rows, "utf-8")
    return kpiengine.load_workspace(root)


def test_monthly_rows_after_the_cut_are_left_out_of_its_quarter(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-01")
    ws = _costs(write_workspace, "2024-09,500\n2024-10,1000\n2024-11,2000\n2024-12,4000\n")
    cut = kpiengine.evaluate(ws, kpis=["spend"], grain="quarter", end=dt.date(2024, 11, 30))
    # November's row ends on the cut day; December's lies wholly after it, as later days do
    assert _total(cut, "2024-Q4")["value"] == 1000 + 2000  # was undefined
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-11-30")
    today = kpiengine.evaluate(ws, kpis=["spend"], grain="quarter")
    assert _total(today, "2024-Q4")["value"] == 1000 + 2000


def _ga_file(first: str, last: str, sessions: int) -> str:
    return (
        "# ----------------------------------------\n"
        "# Traffic acquisition: Session default channel group\n# Account: Demo\n"
        "# Property: Demo - GA4\n# ----------------------------------------\n#\n# All Users\n"
        f"# Start date: {first}\n# End date: {last}\n"
        f"Session default channel group,Sessions\nDirect,{sessions}\nGrand total,{sessions}\n"
    )


def _monthly_files(write_workspace, march_end: str):
    kpi_yaml = "sources:\n  ga: {connector: ga_export, path: x/*.csv}\n"
    root = write_workspace({"mine": DEFS}, kpi_yaml)
    (root / "x").mkdir()
    files = [("20240101", "20240131", 1000), ("20240201", "20240229", 1100)]
    for i, (first, last, sessions) in enumerate([*files, ("20240301", march_end, 1200)]):
        (root / "x" / f"ga_{i}.csv").write_text(_ga_file(first, last, sessions), "utf-8")
    return kpiengine.load_workspace(root)


def test_files_without_days_after_the_cut_are_left_out(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-06-01")
    ws = _monthly_files(write_workspace, "20240331")
    results = kpiengine.evaluate(ws, kpis=["sess"], grain="quarter", end=dt.date(2024, 2, 29))
    # was one period `2024-01-01/2024-03-31`, undefined: March's file starts after the cut
    [record] = [r for r in results.records() if not r["segment"]]
    assert (record["period"], record["value"]) == ("2024-Q1", 1000 + 1100)


def test_a_file_without_days_holding_the_cut_is_named_by_its_range(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-06-01")
    ws = _monthly_files(write_workspace, "20240315")
    results = kpiengine.evaluate(ws, kpis=["sess"], grain="month", end=dt.date(2024, 3, 10))
    assert _total(results, "2024-02")["value"] == 1100
    march = _total(results, "2024-03")
    assert march["value"] is None
    # was "has monthly rows"
    assert "source `ga` has 1-15 Mar 2024 without days" in march["reason"]
    assert "2024-03-10" in march["reason"]
