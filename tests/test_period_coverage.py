"""Which days a period holds: a week's year (its Thursday's), a quarter of monthly rows dated on
the 1st (whole months), a first day a few days in (the first event). Expected values by hand."""

from __future__ import annotations

import datetime as dt
import json

from click.testing import CliRunner

from kpiengine.cli import cli

SOURCE = """\
sources:
  main:
    connector: csv
    path: data.csv
    date: Date
    map: {revenue: {column: Revenue}}
"""


def _daily(first: dt.date, last: dt.date) -> str:
    days = (last - first).days + 1
    return "Date,Revenue\n" + "".join(f"{first + dt.timedelta(i)},1\n" for i in range(days))


def _eval(root, *args: str) -> dict[str, dict]:
    out = CliRunner().invoke(
        cli,
        ["eval", "-w", str(root), "--kpi", "sales_revenue", "--format", "json", *args],
        catch_exceptions=False,
    )
    assert out.exit_code in (0, 1), out.output
    return {r["period"]: r for r in json.loads(out.stdout)}


def test_a_week_belongs_to_the_year_and_quarter_of_its_thursday(write_workspace, monkeypatch):
    """2025-W01 runs from Monday 30 December 2024 to 5 January 2025: its year to date is its own
    7 days (a revenue of 1 a day), not 2024's 364 plus 7."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-03-10")
    root = write_workspace({}, SOURCE, _daily(dt.date(2023, 12, 1), dt.date(2025, 2, 28)))
    weeks = ("--grain", "week", "--from", "2024-W51", "--to", "2025-W02")
    ytd = _eval(root, *weeks, "--window", "ytd")
    assert ytd["2024-W52"]["value"] == 52 * 7  # 2024-W01 starts on Monday 1 January 2024
    assert ytd["2025-W01"]["value"] == 7
    assert ytd["2025-W02"]["value"] == 14
    assert ytd["2025-W01"]["last_year"] == 7  # 2024-W01, 1-7 January 2024
    qtd = _eval(root, *weeks, "--window", "qtd")
    assert qtd["2025-W01"]["value"] == 7
    # 2024-W40 (30 September to 6 October, Thursday 3 October) opens Q4: 12 weeks to W51
    assert qtd["2024-W51"]["value"] == 12 * 7


def test_a_week_starting_on_sunday_follows_its_iso_week(write_workspace, monkeypatch):
    """Data to Saturday 4 January 2025: the Sunday week 2025-W01 (29 December to 4 January) is
    whole, 7 days of 2025's year to date (a Monday week would hold 6)."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-03-10")
    data = _daily(dt.date(2023, 12, 1), dt.date(2025, 1, 4))
    root = write_workspace({}, SOURCE + "week_start: sunday\n", data)
    ytd = _eval(
        root, "--grain", "week", "--from", "2025-W01", "--to", "2025-W01", "--window", "ytd"
    )
    assert ytd["2025-W01"]["value"] == 7


def test_a_quarter_of_monthly_rows_dated_on_the_first_is_whole(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-07-15")
    rows = "".join(f"2024-{m:02d}-01,{100 * m}\n" for m in range(1, 7))
    root = write_workspace({}, SOURCE, "Date,Revenue\n" + rows)
    got = _eval(root, "--grain", "quarter")
    q2 = got["2024-Q2"]
    assert q2["value"] == 400 + 500 + 600
    assert q2["complete"] is True and q2["coverage"] == 1.0
    assert q2["status_basis"] == "value"


def test_a_first_day_a_few_days_in_is_the_first_event(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-04-10")
    early = _eval(write_workspace({}, SOURCE, _daily(dt.date(2024, 1, 5), dt.date(2024, 3, 31))))
    assert early["2024-01"]["complete"] is True and early["2024-01"]["coverage"] == 1.0
    assert early["2024-01"]["status_basis"] == "value"
    late = _eval(
        write_workspace({}, SOURCE, _daily(dt.date(2024, 1, 9), dt.date(2024, 3, 31)), "late")
    )
    assert late["2024-01"]["complete"] is False
    assert late["2024-01"]["coverage"] == 23 / 31
