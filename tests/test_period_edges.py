"""Edges of the data's periods: months without rows inside a source's dates, comparisons to the
same date (short months, leap years) and a first period the data starts inside. Expected values
are sums written by hand over rows of 100 a day."""

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli

DEFS = """\
kpis:
  sales: {title: Sales, formula: revenue, unit: currency}
  cpc_k: {title: Cost per click, formula: ad_spend / clicks, unit: currency / clicks}
"""


def _daily(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _run(root, *args):
    result = CliRunner().invoke(cli, ["eval", "-w", str(root), *args])
    assert result.exit_code in (0, 1), result.output
    return result


def _json(root, *args):
    out = _run(root, "--format", "json", *args).stdout
    return {(r["kpi"], r["period"], r["segment"].get("channel")): r for r in json.loads(out)}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-01-01")


def test_a_month_without_rows_inside_the_source_has_none_of_a_summed_input(write_workspace):
    rows = [("2024-01-10", "search", 100, 10), ("2024-01-20", "social", 50, 5)]
    rows += [("2024-03-03", "search", 120, 12), ("2024-03-31", "social", 30, 3)]
    data = "date,channel,ad_spend,clicks\n" + "".join(f"{d},{c},{s},{k}\n" for d, c, s, k in rows)
    root = write_workspace({"d": DEFS}, "data: data.csv\nkpis: [cpc_k]\n", data)
    got = _json(root, "--by", "channel", "--from", "2024-01", "--to", "2024-03")
    february = got[("cpc_k", "2024-02", None)]
    assert february["value"] is None and february["reason"] == "no `clicks` in 2024-02"
    # March: search 120 / 12; social's 30 / 3; the total (120 + 30) / (12 + 3)
    assert got[("cpc_k", "2024-03", None)]["value"] == pytest.approx(150 / 15)


def test_a_monthly_export_without_a_month_lacks_it(write_workspace):
    data = "month,ad_spend,clicks\n2024-01,100,10\n2024-03,120,12\n"
    root = write_workspace(
        {"d": DEFS}, "data: data.csv\nkpis: [cpc_k]\n", data.replace("month", "date")
    )
    got = _json(root)
    assert got[("cpc_k", "2024-02", None)]["reason"] == "no data for `ad_spend` in 2024-02"


def test_the_same_date_in_a_leap_year_for_years_and_year_to_date(write_workspace):
    days = _daily(dt.date(2024, 1, 1), dt.date(2025, 3, 15))
    data = "date,revenue\n" + "".join(f"{d},100\n" for d in days)
    root = write_workspace({"d": DEFS}, "data: data.csv\nkpis: [sales]\n", data)
    year = _json(root, "--grain", "year", "--period", "current")[("sales", "2025", None)]
    ytd = _json(root, "--window", "ytd", "--period", "current")[("sales", "2025-03", None)]
    to_date_2024 = 100 * len(_daily(dt.date(2024, 1, 1), dt.date(2024, 3, 15)))  # 75 days
    assert year["value"] == ytd["value"] == 100 * 74
    assert year["last_year"] == ytd["last_year"] == to_date_2024


def test_the_days_of_a_shorter_previous_month_are_the_whole_month(write_workspace):
    days = _daily(dt.date(2025, 1, 1), dt.date(2025, 3, 30))
    data = "date,revenue\n" + "".join(f"{d},100\n" for d in days)
    root = write_workspace({"d": DEFS}, "data: data.csv\nkpis: [sales]\n", data)
    march = _json(root, "--period", "current")[("sales", "2025-03", None)]
    assert march["value"] == 30 * 100 and march["previous"] == 28 * 100  # all of February
    args = ["explain", "sales", "-w", str(root), "--from", "2025-02", "--to", "2025-03"]
    head, compared = CliRunner().invoke(cli, args).stdout.splitlines()[:2]
    assert "2025-02 (to 2025-02-28)" in head and "2025-03 (to 2025-03-30)" in head
    assert "2025-03-01 to 2025-03-30 vs 2025-02-01 to 2025-02-28" in compared


def test_changes_against_a_first_period_the_data_starts_inside_are_flagged(write_workspace):
    days = _daily(dt.date(2024, 3, 16), dt.date(2025, 4, 30))
    data = "date,revenue\n" + "".join(f"{d},100\n" for d in days)
    root = write_workspace({"d": DEFS}, "data: data.csv\nkpis: [sales]\n", data)
    note = "compares with 2024-03 (16/31 d): the data starts on 2024-03-16"
    assert f"vs last year {note}" in _run(root, "--period", "2025-03").stdout
    assert f"vs prev {note}" in _run(root, "--period", "2024-04").stdout
    assert note not in _run(root, "--period", "2024-06").stdout
    lint = CliRunner().invoke(cli, ["lint", "-w", str(root), "--format", "json"])
    [found] = [f for f in json.loads(lint.stdout)["findings"] if f["code"] == "KPI307"]
    assert "2024-03 holds 16 of 31 days" in found["message"]
    assert "the changes of 2024-04 and 2025-03 against it" in found["message"]


def test_a_first_event_a_few_days_in_is_no_late_start(write_workspace):
    days = _daily(dt.date(2024, 3, 5), dt.date(2024, 5, 31))
    data = "date,revenue\n" + "".join(f"{d},100\n" for d in days)
    root = write_workspace({"d": DEFS}, "data: data.csv\nkpis: [sales]\n", data)
    assert "the data starts on" not in _run(root, "--period", "2024-04").stdout
