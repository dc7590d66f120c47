"""A monthly export without a month: the month, the quarters and years holding it and the windows
over it are unknown (never a silent sum of the other months), and KPI017 names the month; the
other periods add up as before. Expected sums are computed from the rows with the csv module."""

from __future__ import annotations

import calendar
import csv
import io
import json

import duckdb
import pytest
from click.testing import CliRunner

from kpiengine.cli import cli

DEFS = """\
variables:
  cost: {unit: currency}
  headcount: {unit: customers, aggregate: {time: last, segments: sum}}
kpis:
  spend: {title: Spend, formula: cost, unit: currency}
  staff: {title: Customers, formula: headcount, unit: customers}
"""
TODAY = "2024-09-10"
# no row for 2024-02 (either channel); channel B has no row in May (a paused campaign)
ROWS = [
    ("2024-01", "A", 100, 5),
    ("2024-01", "B", 10, 1),
    ("2024-03", "A", 300, 7),
    ("2024-04", "A", 400, 8),
    ("2024-04", "B", 40, 2),
    ("2024-05", "A", 500, 9),
    ("2024-06", "A", 600, 10),
    ("2024-06", "B", 60, 3),
]


def _csv(day_of_month: str = "") -> str:
    """The rows, dated by month (`2024-01`), its first day (`first`) or its last (`last`)."""
    lines = ["Month,Channel,Cost,Customers"]
    for month, channel, cost, customers in ROWS:
        year, number = map(int, month.split("-"))
        day = {"": "", "first": "-01", "last": f"-{calendar.monthrange(year, number)[1]}"}
        lines.append(f"{month}{day[day_of_month]},{channel},{cost},{customers}")
    return "\n".join(lines) + "\n"


def _sums(months: set[str]) -> float:
    """The cost of the rows in `months`, read back from the CSV with the csv module."""
    rows = csv.DictReader(io.StringIO(_csv()))
    return sum(float(r["Cost"]) for r in rows if r["Month"] in months)


SOURCE = """\
kpis: [spend, staff]
sources:
  s:
    connector: csv
    path: data.csv
    date: Month
    dimensions: {channel: Channel}
    map: {cost: Cost, headcount: Customers}
"""


def _run(root, command: str, *args: str) -> tuple[dict[str, dict], str]:
    out = CliRunner().invoke(
        cli, [command, "-w", str(root), "--format", "json", *args], catch_exceptions=False
    )
    assert out.exit_code in (0, 1), out.output
    if command == "lint":
        return {}, out.stdout
    records = json.loads(out.stdout)
    return {(r["kpi"], r["period"]): r for r in records if not r["segment"]}, out.stderr


@pytest.fixture
def monthly(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", TODAY)

    def make(day_of_month: str = ""):
        return write_workspace({"d": DEFS}, SOURCE, _csv(day_of_month))

    return make


@pytest.mark.parametrize("day_of_month", ["", "first", "last"], ids=["2024-01", "01", "31"])
def test_a_quarter_over_a_missing_month_is_unknown(monthly, day_of_month):
    got, stderr = _run(monthly(day_of_month), "eval", "--grain", "quarter")
    q1 = got[("spend", "2024-Q1")]
    assert q1["value"] is None
    assert "no data for `cost`" in q1["reason"]
    assert got[("spend", "2024-Q2")]["value"] == _sums({"2024-04", "2024-05", "2024-06"})
    # a stock keeps its latest value: March, the quarter's last month, has rows
    assert got[("staff", "2024-Q1")]["value"] == 7
    assert "KPI017" in stderr and "2024-02" in stderr


def test_the_month_itself_and_the_windows_over_it(monthly):
    root = monthly()
    got, _ = _run(root, "eval")
    assert got[("spend", "2024-02")]["value"] is None
    assert got[("spend", "2024-03")]["value"] == _sums({"2024-03"})
    ytd, _ = _run(root, "eval", "--window", "ytd")
    assert ytd[("spend", "2024-01")]["value"] == _sums({"2024-01"})
    for month in ("2024-02", "2024-03", "2024-06"):
        assert ytd[("spend", month)]["value"] is None, month
    rolling, _ = _run(root, "eval", "--window", "rolling:3")
    assert rolling[("spend", "2024-04")]["value"] is None  # February to April
    expected = _sums({"2024-03", "2024-04", "2024-05"})
    assert rolling[("spend", "2024-05")]["value"] == expected
    yearly, _ = _run(root, "eval", "--grain", "year")
    assert yearly[("spend", "2024")]["value"] is None


def test_lint_names_the_missing_month(monthly):
    _, stdout = _run(monthly(), "lint")
    finding = next(f for f in json.loads(stdout)["findings"] if f["code"] == "KPI017")
    assert "2024-02" in finding["message"] and "`s`" in finding["message"]


def test_a_segment_without_a_month_is_no_gap(write_workspace, monkeypatch):
    """Channel B has no row in March or May (a paused campaign): quarters add what there is."""
    monkeypatch.setenv("KPIENGINE_TODAY", TODAY)
    rows = [*ROWS, ("2024-02", "A", 20, 6)]  # February: channel A only
    text = "Month,Channel,Cost,Customers\n" + "".join(f"{m},{c},{x},{n}\n" for m, c, x, n in rows)
    root = write_workspace({"d": DEFS}, SOURCE, text)
    q1 = sum(float(r["Cost"]) for r in csv.DictReader(io.StringIO(text)) if r["Month"] < "2024-04")
    got, stderr = _run(root, "eval", "--grain", "quarter")
    assert got[("spend", "2024-Q1")]["value"] == q1 == 100 + 10 + 20 + 300
    assert "KPI017" not in stderr


def test_a_daily_source_without_rows_in_a_month_had_none(write_workspace, monkeypatch):
    """Daily event rows: a month without any is 0, not a gap."""
    monkeypatch.setenv("KPIENGINE_TODAY", TODAY)
    text = (
        "Day,Cost,Customers\n2024-01-03,100,1\n2024-01-31,50,1\n2024-03-05,30,2\n2024-03-31,5,2\n"
    )
    source = "kpis: [spend]\nsources:\n  s:\n    connector: csv\n    path: data.csv\n"
    source += "    date: Day\n    map: {cost: Cost, headcount: Customers}\n"
    got, stderr = _run(write_workspace({"d": DEFS}, source, text), "eval", "--grain", "quarter")
    assert got[("spend", "2024-Q1")]["value"] == 100 + 50 + 30 + 5
    assert "KPI017" not in stderr


def test_sql_push_down_finds_the_same_gap(write_workspace, monkeypatch, tmp_path):
    monkeypatch.setenv("KPIENGINE_TODAY", TODAY)
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE costs (month DATE, channel TEXT, cost DOUBLE, customers INT)")
        con.executemany(
            "INSERT INTO costs VALUES (?, ?, ?, ?)", [(f"{m}-01", c, x, n) for m, c, x, n in ROWS]
        )
    source = (
        "kpis: [spend]\nsources:\n  s:\n    connector: sql\n"
        f"    url: duckdb:///{db}\n    table: costs\n    date: month\n"
        "    dimensions: {channel: channel}\n    map: {cost: cost, headcount: customers}\n"
    )
    got, stderr = _run(write_workspace({"d": DEFS}, source), "eval", "--grain", "quarter")
    assert got[("spend", "2024-Q1")]["value"] is None
    assert got[("spend", "2024-Q2")]["value"] == _sums({"2024-04", "2024-05", "2024-06"})
    assert "KPI017" in stderr


@pytest.mark.parametrize("day_of_month", ["first", "last"])
def test_months_dated_on_one_day_cover_their_months_whole(monthly, day_of_month):
    """Monthly rows dated on the 1st or on the month's last day stand for whole months: the
    first month is complete (not a late start covering its last day), weeks cannot count them."""
    root = monthly(day_of_month)
    got, _ = _run(root, "eval")
    january = got[("spend", "2024-01")]
    assert january["value"] == _sums({"2024-01"})
    assert january["complete"] is True and january["coverage"] == 1.0
    quarters, _ = _run(root, "eval", "--grain", "quarter")
    assert quarters[("spend", "2024-Q2")]["complete"] is True
    out = CliRunner().invoke(cli, ["eval", "-w", str(root), "--grain", "week"])
    assert out.exit_code == 2 and "whole months" in out.output
