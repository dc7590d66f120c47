"""The `csv` source option `rows: day | month`: what each row covers, over the guess that rows
dated only on months' first days are monthly rows.

A daily export that holds only first-of-month days (a report filtered to the 1st, a sparse
event log) is read as days with `rows: day`: the month the data ends in is partial, a month
without rows had none. `rows: month` reads rows as months even when there is one, and refuses a
row not dated as a month at its cell. Expected values are the rows' own numbers, by hand.
"""

from __future__ import annotations

import json

import duckdb
import pytest
from click.testing import CliRunner

from kpiengine.cli import cli

DEFS = """\
variables:
  signups: {unit: signups}
kpis:
  signups_kpi: {title: Signups, formula: signups, unit: signups}
"""
TODAY = "2024-06-10"
SOURCE = """\
kpis: [signups_kpi]
sources:
  s:
    connector: csv
    path: data.csv
    map: {signups: Signups}
"""
FIRSTS = "Date,Signups\n2024-01-01,3\n2024-02-01,5\n2024-03-01,7\n"
GAP = "Date,Signups\n2024-01-01,3\n2024-02-01,5\n2024-04-01,7\n"  # no row dated in March


def _workspace(write_workspace, monkeypatch, data: str, rows: str | None = None):
    monkeypatch.setenv("KPIENGINE_TODAY", TODAY)
    kpi_yaml = SOURCE + (f"    rows: {rows}\n" if rows is not None else "")
    return write_workspace({"d": DEFS}, kpi_yaml, data)


def _eval(root, *args: str) -> tuple[dict[str, dict], str]:
    out = CliRunner().invoke(
        cli, ["eval", "-w", str(root), "--format", "json", *args], catch_exceptions=False
    )
    assert out.exit_code in (0, 1), out.output
    return {r["period"]: r for r in json.loads(out.stdout) if not r["segment"]}, out.stderr


def _lint(root) -> list[dict]:
    out = CliRunner().invoke(cli, ["lint", "-w", str(root), "--format", "json"])
    return json.loads(out.stdout)["findings"]


def _failing(root, *args: str) -> str:
    out = CliRunner().invoke(cli, ["eval", "-w", str(root), *args])
    assert out.exit_code == 2, out.output
    assert "Traceback" not in out.output
    return out.output


def test_the_guess_reads_first_of_month_rows_as_whole_months(write_workspace, monkeypatch):
    """Without `rows:`, as before: March's row on the 1st is the whole of March."""
    got, _ = _eval(_workspace(write_workspace, monkeypatch, FIRSTS))
    assert got["2024-03"]["value"] == 7
    assert got["2024-03"]["complete"] is True


def test_rows_day_makes_the_last_month_partial(write_workspace, monkeypatch):
    """Daily rows ending on 1 March cover 1 of March's 31 days."""
    got, _ = _eval(_workspace(write_workspace, monkeypatch, FIRSTS, "day"))
    assert [got[m]["value"] for m in ("2024-01", "2024-02", "2024-03")] == [3, 5, 7]
    assert got["2024-02"]["complete"] is True
    assert got["2024-03"]["complete"] is False
    assert got["2024-03"]["coverage"] == pytest.approx(1 / 31)


def test_rows_day_counts_days_and_weeks(write_workspace, monkeypatch):
    root = _workspace(write_workspace, monkeypatch, FIRSTS, "day")
    days, _ = _eval(root, "--grain", "day")
    assert [days[d]["value"] for d in ("2024-01-01", "2024-01-02", "2024-01-03")] == [3, 0, 0]
    weeks, _ = _eval(root, "--grain", "week")
    # 2024-01-01 and 2024-02-01 fall in ISO weeks 1 and 5; the weeks between had no signups
    assert [weeks[w]["value"] for w in ("2024-W01", "2024-W02", "2024-W05")] == [3, 0, 5]


def test_rows_day_a_month_without_rows_had_none(write_workspace, monkeypatch):
    """No row in March: with `rows: day` March had no signups (0), no gap; by the guess it is a
    missing month (KPI017), unknown, and so is the first quarter."""
    guessed = _workspace(write_workspace, monkeypatch, GAP)
    got, _ = _eval(guessed)
    assert got["2024-03"]["value"] is None
    [gap] = [f for f in _lint(guessed) if f["code"] == "KPI017"]
    assert "`rows: day`" in gap["fix"]
    days = _workspace(write_workspace, monkeypatch, GAP, "day")
    got, _ = _eval(days)
    assert got["2024-03"]["value"] == 0
    quarters, _ = _eval(days, "--grain", "quarter")
    assert quarters["2024-Q1"]["value"] == 3 + 5
    assert not [f for f in _lint(days) if f["code"] == "KPI017"]


def test_rows_month_keeps_the_gap_without_the_hint(write_workspace, monkeypatch):
    root = _workspace(write_workspace, monkeypatch, GAP, "month")
    got, _ = _eval(root)
    assert got["2024-03"]["value"] is None
    [gap] = [f for f in _lint(root) if f["code"] == "KPI017"]
    assert "rows:" not in gap["fix"]


def test_the_guess_by_week_says_how_to_read_days(write_workspace, monkeypatch):
    output = _failing(_workspace(write_workspace, monkeypatch, FIRSTS), "--grain", "week")
    assert "whole months, which no week can count" in output
    assert "every date is a month's first day" in output
    assert "`rows: day`" in output


def test_rows_month_makes_a_single_row_a_whole_month(write_workspace, monkeypatch):
    """One row on 1 March: by the guess a day (March partial, 1 of 31 days); declared, March."""
    one = "Date,Signups\n2024-03-01,7\n"
    got, _ = _eval(_workspace(write_workspace, monkeypatch, one))
    assert got["2024-03"]["complete"] is False
    got, _ = _eval(_workspace(write_workspace, monkeypatch, one, "month"))
    assert got["2024-03"]["value"] == 7
    assert got["2024-03"]["complete"] is True and got["2024-03"]["coverage"] == 1.0


def test_rows_month_dated_on_month_ends(write_workspace, monkeypatch):
    ends = "Date,Signups\n2024-01-31,3\n2024-02-29,5\n2024-03-31,7\n"
    root = _workspace(write_workspace, monkeypatch, ends, "month")
    got, _ = _eval(root, "--grain", "quarter")
    assert got["2024-Q1"]["value"] == 3 + 5 + 7
    assert got["2024-Q1"]["complete"] is True


def test_rows_month_refuses_a_row_inside_a_month(write_workspace, monkeypatch):
    data = "Date,Signups\n2024-01-01,3\n2024-02-15,5\n2024-03-01,7\n"
    output = _failing(_workspace(write_workspace, monkeypatch, data, "month"))
    assert "data.csv:3:1:" in output  # the header is line 1
    assert "`2024-02-15` is not a month's first day" in output


def test_rows_month_refuses_a_first_among_month_ends(write_workspace, monkeypatch):
    data = "Date,Signups\n2024-01-31,3\n2024-02-29,5\n2024-04-01,7\n2024-04-30,1\n"
    output = _failing(_workspace(write_workspace, monkeypatch, data, "month"))
    assert "data.csv:4:1:" in output
    assert "`2024-04-01` is not a month's last day" in output


def test_rows_month_names_the_file_of_the_bad_row(write_workspace, monkeypatch):
    root = _workspace(write_workspace, monkeypatch, FIRSTS, "month")
    (root / "kpi.yaml").write_text(
        (root / "kpi.yaml").read_text().replace("path: data.csv", "path: '*.csv'")
    )
    (root / "more.csv").write_text("Date,Signups\n2024-04-01,1\n2024-05-02,2\n")
    output = _failing(root)
    assert "more.csv:3:1:" in output and "`2024-05-02`" in output


def test_a_wrong_value_names_its_place_and_the_choices(write_workspace, monkeypatch):
    output = _failing(_workspace(write_workspace, monkeypatch, FIRSTS, "weekly"))
    assert "kpi.yaml:7:11:" in output  # `    rows: weekly` is line 7, its value at column 11
    assert "`rows` is one of `day`, `month`, not the text `weekly`" in output


def test_rows_day_refuses_dates_that_name_months(write_workspace, monkeypatch):
    data = "Month,Signups\n2024-01,3\n2024-02,5\n"
    root = _workspace(write_workspace, monkeypatch, data, "day")
    (root / "kpi.yaml").write_text((root / "kpi.yaml").read_text() + "    date: Month\n")
    output = _failing(root)
    assert "kpi.yaml:7:11:" in output
    assert "dates of column `Month` name months" in output


def test_no_hint_for_a_connector_without_the_option(write_workspace, monkeypatch, tmp_path):
    """A `sql` source of months with a gap: KPI017 as before, without `rows:` in its fix."""
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE t (date DATE, signups DOUBLE)")
        con.executemany("INSERT INTO t VALUES (?, ?)", [("2024-01-01", 3), ("2024-03-01", 7)])
    monkeypatch.setenv("KPIENGINE_TODAY", TODAY)
    kpi_yaml = (
        "kpis: [signups_kpi]\nsources:\n  s:\n    connector: sql\n"
        f"    url: duckdb:///{db}\n    table: t\n    map: {{signups: signups}}\n"
    )
    [gap] = [f for f in _lint(write_workspace({"d": DEFS}, kpi_yaml)) if f["code"] == "KPI017"]
    assert "2024-02" in gap["message"]
    assert "rows:" not in gap["fix"]
