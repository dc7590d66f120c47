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


TWO = """\
variables:
  revenue: {unit: currency}
  cost: {unit: currency}
kpis:
  profit_k: {title: Profit, formula: revenue - cost, unit: currency, target: 27900}
  rev_k: {title: Revenue, formula: revenue, unit: currency, target: 20000}
  cost_k: {title: Cost, formula: cost, unit: currency, target: 10000, direction: lower}
"""


def _two(root, first_cost: dt.date, last: dt.date, first_revenue: dt.date) -> None:
    """Two sources: 500 of revenue a day from `first_revenue`, 100 of cost a day from
    `first_cost` (an ads account added later), both to `last`."""
    for name, first, amount in (("revenue", first_revenue, 500), ("cost", first_cost, 100)):
        days = range((last - first).days + 1)
        text = f"date,{name}\n" + "".join(f"{first + dt.timedelta(k)},{amount}\n" for k in days)
        (root / f"{name}.csv").write_text(text)


SOURCES = (
    "sources:\n  shop: {connector: csv, path: revenue.csv}\n"
    "  ads: {connector: csv, path: cost.csv}\n"
)


def _records(root, *args: str) -> dict[str, dict]:
    result = CliRunner().invoke(
        cli, ["eval", "--format", "json", "--workspace", str(root), *args], catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.output
    return {(r["kpi"], r["period"]): r for r in json.loads(result.stdout) if not r["segment"]}


def test_a_sum_of_inputs_started_on_other_days_holds_the_days_of_the_first(
    write_workspace, monkeypatch
):
    """Revenue from 1 March, cost from 16 March, data to 25 March: profit holds 25 days of
    revenue, so its target to date is that of 25 days (22,500), not of the 10 days of cost."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-03-25")
    root = write_workspace({"shop": TWO}, SOURCES + "kpis: [profit_k]\n")
    _two(root, dt.date(2024, 3, 16), dt.date(2024, 3, 25), dt.date(2024, 3, 1))
    record = _records(root, "--period", "current")["profit_k", "2024-03"]
    assert record["value"] == 25 * 500 - 10 * 100  # 11,500
    assert record["target_to_date"] == pytest.approx(27900 * 25 / 31)  # 22,500
    assert record["status"] == "off_track"


def test_a_period_started_and_stopped_inside_with_enough_days_is_not_projected(
    write_workspace, monkeypatch
):
    """1,000 a day from 10 March to 30 March against 31,000 a month: on pace (21,000 for its
    21 days), never projected to 22,000 and judged against the whole month's 31,000."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-01-01")
    days = (dt.date(2024, 3, 10) + dt.timedelta(k) for k in range(21))
    data = "date,revenue\n" + "".join(f"{d},1000\n" for d in days)
    defs = DEFS.replace("target: 20000", "target: 31000")
    root = write_workspace({"shop": defs}, "data: data.csv\nkpis: [rev_k]\n", data)
    record = _first(root)
    assert (record["value"], record["status_basis"]) == (21000, "pro_rata")
    assert record["target_to_date"] == pytest.approx(31000 * 21 / 31)  # 21,000
    assert record["projected"] is None and record["status"] == "on_track"


def test_a_kpi_whose_data_starts_later_is_pro_rata_in_its_own_first_period(
    write_workspace, monkeypatch
):
    """Revenue from January, cost from 16 March: cost_k's March holds 16 days (1,600 against a
    target of 10,000 x 16/31) whether other KPIs are asked or not."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-01-01")
    root = write_workspace({"shop": TWO}, SOURCES + "kpis: [rev_k, cost_k]\n")
    _two(root, dt.date(2024, 3, 16), dt.date(2024, 4, 30), dt.date(2024, 1, 1))
    for args in ((), ("--kpi", "cost_k")):
        record = _records(root, "--period", "2024-03", *args)["cost_k", "2024-03"]
        assert record["value"] == 16 * 100
        assert record["status_basis"] == "pro_rata"
        assert record["target_to_date"] == pytest.approx(10000 * 16 / 31)
