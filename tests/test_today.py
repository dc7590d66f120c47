"""A period that has not ended is never complete: data after today (or after `--to DAY`) is cut,
and the period holding that day is partial, compared to date and projected."""

import datetime as dt
import json

import pytest
from click.testing import CliRunner

import kpiengine
from kpiengine.cli import cli
from kpiengine.errors import KpiError

DEFS = """\
kpis:
  sales: {title: Sales, formula: revenue, unit: currency, target: 3000}
"""


def _daily(first: dt.date, last: dt.date, per_day: float) -> list[str]:
    days = (last - first).days + 1
    return [f"{first + dt.timedelta(days=i)},{per_day}" for i in range(days)]


@pytest.fixture
def root(write_workspace):
    rows = _daily(dt.date(2024, 5, 1), dt.date(2024, 6, 10), 100)
    rows.append("2024-09-15,5000")  # a row dated after the day the run takes as today
    data = "date,revenue\n" + "\n".join(rows) + "\n"
    return write_workspace({"d": DEFS}, "data: data.csv\nkpis: [sales]\n", data)


def _records(root, *args):
    result = CliRunner().invoke(cli, ["eval", "-w", str(root), "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return {r["period"]: r for r in json.loads(result.stdout) if not r["segment"]}, result.stderr


def test_periods_after_today_are_cut_and_the_current_one_is_partial(root, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-06-10")
    got, stderr = _records(root)
    assert sorted(got) == ["2024-05", "2024-06"]  # July to September are still to come
    june = got["2024-06"]
    assert june["value"] == 10 * 100 and not june["complete"]
    assert june["coverage"] == pytest.approx(10 / 30)
    assert june["compared"] == "to_date" and june["previous"] == 10 * 100  # 1-10 May
    assert got["2024-05"]["complete"] and got["2024-05"]["value"] == 31 * 100
    assert "KPI015" in stderr and "data dated after today (2024-06-10), up to 2024-09-15" in stderr


def test_without_today_the_late_row_makes_later_months_whole(root, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-12-31")
    got, _ = _records(root)
    assert got["2024-06"]["complete"] and got["2024-09"]["value"] == 5000


def test_to_a_day_runs_as_of_that_day(root, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-12-31")
    got, _ = _records(root, "--to", "2024-05-20")
    may = got["2024-05"]
    assert list(got) == ["2024-05"] and may["value"] == 20 * 100 and not may["complete"]
    assert may["coverage"] == pytest.approx(20 / 31) and may["compared"] == "to_date"
    assert may["target_to_date"] is None and may["projected"] is not None  # judged on it
    assert may["status"] == "on_track"  # 100 a day reaches 3,100 against a 3,000 target


def test_a_bad_today_is_a_clear_error(monkeypatch, root):
    monkeypatch.setenv("KPIENGINE_TODAY", "next tuesday")
    with pytest.raises(KpiError, match="KPIENGINE_TODAY is `next tuesday`, not a date"):
        kpiengine.evaluate(kpiengine.load_workspace(root))
