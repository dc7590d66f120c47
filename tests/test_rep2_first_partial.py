"""A first period the data starts inside is judged pro rata whatever periods are selected:
`--period`, `--to` or a coarser grain that ends with it must not make it "the period the data
stops inside" (projected to its own value). A period the data both starts and stops inside is
judged against the target for the days it holds. Expected values by hand."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli

DEFS = """\
variables:
  revenue: {unit: currency}
kpis:
  rev_k: {title: Revenue, formula: revenue, unit: currency, target: 20000}
"""


def _days(first: dt.date, last: dt.date) -> str:
    n = (last - first).days + 1
    return "date,revenue\n" + "".join(f"{first + dt.timedelta(k)},800\n" for k in range(n))


def _first(root, *args: str) -> dict:
    result = CliRunner().invoke(
        cli, ["eval", "--format", "json", "--workspace", str(root), *args], catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)[0]


@pytest.fixture
def root(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-01-01")
    # 800 a day from 16 March to 30 April 2024: March holds 16 of its 31 days, 12,800
    data = _days(dt.date(2024, 3, 16), dt.date(2024, 4, 30))
    return write_workspace({"shop": DEFS}, "data: data.csv\nkpis: [rev_k]\n", data)


@pytest.mark.parametrize(
    ("args", "label"),
    [
        ((), "2024-03"),
        (("--period", "2024-03"), "2024-03"),
        (("--to", "2024-03-31"), "2024-03"),
        (("--grain", "quarter", "--period", "2024-Q1"), "2024-Q1"),
    ],
)
def test_the_first_period_is_pro_rata_whatever_is_selected(root, args, label):
    record = _first(root, *args)
    to_date = 20000 * 16 / 31  # 16 of March's 31 days of a 20,000 month: 10,322.58
    assert record["period"] == label and record["value"] == 12800
    assert record["status_basis"] == "pro_rata"
    assert record["target_to_date"] == pytest.approx(to_date)
    assert record["gap"] == pytest.approx(12800 - to_date)
    assert record["status"] == "on_track"
    assert record["projected"] is None


def test_a_period_started_and_stopped_inside_is_judged_on_its_days(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-01-01")
    data = _days(dt.date(2024, 3, 16), dt.date(2024, 3, 25))  # 10 days, 8,000
    root = write_workspace({"shop": DEFS}, "data: data.csv\nkpis: [rev_k]\n", data)
    record = _first(root)
    to_date = 20000 * 10 / 31  # the 10 days held (6,451.61), not the 25 from 1 March
    assert (record["value"], record["status_basis"]) == (8000, "pro_rata")
    assert record["target_to_date"] == pytest.approx(to_date)
    assert record["gap"] == pytest.approx(8000 - to_date)
    assert record["status"] == "on_track"
    assert "its 10 of 31 days" in record["status_reason"]
