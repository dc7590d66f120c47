"""A window (`ytd`, `qtd`, `mtd`, `rolling`) that starts before its variable's data is undefined,
with the reason, as is every comparison with it; expected values are days x the daily amount,
counted by hand."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli

DEFS = """\
variables:
  revenue: {unit: currency}
  cost: {unit: currency}
  headcount: {unit: customers, aggregate: {time: last, segments: sum}}
kpis:
  sales: {title: Sales, formula: revenue, unit: currency}
  spend: {title: Spend, formula: cost, unit: currency}
  staff: {title: Customers, formula: headcount, unit: customers}
"""


def _daily(first: dt.date, last: dt.date, column: str, amount: int) -> str:
    days = (last - first).days + 1
    rows = [f"{first + dt.timedelta(days=i)},{amount}\n" for i in range(days)]
    return f"date,{column}\n" + "".join(rows)


def _eval(root, *args: str) -> dict[str, dict]:
    out = CliRunner().invoke(
        cli, ["eval", "-w", str(root), "--format", "json", *args], catch_exceptions=False
    )
    assert out.exit_code in (0, 1), out.output
    return {r["period"]: r for r in json.loads(out.stdout)}


@pytest.fixture
def from_march(write_workspace):
    """Revenue 100 a day from 1 March 2024 to 30 June 2025, nothing before."""

    def make(kpi_yaml: str = ""):
        data = _daily(dt.date(2024, 3, 1), dt.date(2025, 6, 30), "revenue", 100)
        return write_workspace({"d": DEFS}, "data: data.csv\nkpis: [sales]\n" + kpi_yaml, data)

    return make


def test_ytd_before_the_data_is_undefined_and_so_is_its_year_on_year(from_march):
    got = _eval(from_march(), "--window", "ytd", "--from", "2024-03", "--to", "2025-04")
    for month in ("2024-03", "2024-07", "2024-12"):  # January and February 2024 are unknown
        assert got[month]["value"] is None
        assert "`revenue` for the year to date" in got[month]["reason"]
    assert got["2025-01"]["value"] == 100 * 31
    march = got["2025-03"]
    assert march["value"] == 100 * (31 + 28 + 31)
    assert march["previous"] == 100 * (31 + 28)
    assert march["last_year"] is None  # not 3,100 (March 2024 alone): +190% for a flat series
    assert march["change_yoy"] is None and march["change_yoy_pct"] is None


def test_qtd_before_the_data_is_undefined(from_march):
    got = _eval(from_march(), "--window", "qtd", "--from", "2024-03", "--to", "2025-04")
    assert got["2024-03"]["value"] is None
    assert "`revenue` for the quarter to date" in got["2024-03"]["reason"]
    assert got["2024-04"]["value"] == 100 * 30
    assert got["2024-06"]["value"] == 100 * (30 + 31 + 30)
    assert got["2025-03"]["value"] == 100 * (31 + 28 + 31)
    assert got["2025-03"]["last_year"] is None and got["2025-03"]["change_yoy_pct"] is None
    assert got["2025-04"]["last_year"] == 100 * 30 and got["2025-04"]["change_yoy_pct"] == 0


def test_a_fiscal_year_before_the_data_is_undefined(from_march):
    root = from_march("fiscal_year_start: 4\n")
    got = _eval(root, "--window", "ytd", "--from", "2024-03", "--to", "2025-04")
    assert got["2024-03"]["value"] is None  # FY2024 began in April 2023
    assert got["2024-04"]["value"] == 100 * 30  # FY2025 begins in April 2024
    assert got["2025-03"]["value"] == 100 * 365  # April 2024 - March 2025
    assert got["2025-03"]["last_year"] is None
    assert got["2025-04"]["value"] == 100 * 30 and got["2025-04"]["change_yoy_pct"] == 0


def test_data_starting_mid_month_leaves_windows_from_its_first_day_undefined(write_workspace):
    """Revenue from 16 March: March to date and the 3 months to May lack 1-15 March."""
    data = _daily(dt.date(2024, 3, 16), dt.date(2024, 8, 31), "revenue", 100)
    root = write_workspace({"d": DEFS}, "data: data.csv\nkpis: [sales]\n", data)
    plain = _eval(root)
    assert plain["2024-03"]["value"] == 100 * 16 and plain["2024-03"]["coverage"] < 1
    for window in ("mtd", "qtd", "ytd", "rolling:1"):
        march = _eval(root, "--window", window)["2024-03"]
        assert march["value"] is None, window
    assert _eval(root, "--window", "mtd")["2024-04"]["value"] == 100 * 30
    assert _eval(root, "--window", "qtd")["2024-04"]["value"] == 100 * 30
    rolling = _eval(root, "--window", "rolling:3")
    assert rolling["2024-05"]["value"] is None
    assert "`revenue` for the last 3 periods" in rolling["2024-05"]["reason"]
    assert rolling["2024-06"]["value"] == 100 * (30 + 31 + 30)


def test_each_variable_is_windowed_from_its_own_first_day(write_workspace):
    """Cost from 1 January 2024, revenue from 1 March: the year to date March is known for cost
    only."""
    sources = "".join(
        f"  {name}:\n    connector: csv\n    path: {name}.csv\n    date: date\n"
        f"    map: {{{name}: {{column: {name}}}}}\n"
        for name in ("revenue", "cost")
    )
    root = write_workspace({"d": DEFS}, "kpis: [sales, spend]\nsources:\n" + sources)
    (root / "revenue.csv").write_text(
        _daily(dt.date(2024, 3, 1), dt.date(2024, 6, 30), "revenue", 100)
    )
    (root / "cost.csv").write_text(_daily(dt.date(2024, 1, 1), dt.date(2024, 6, 30), "cost", 10))
    spend = _eval(root, "--window", "ytd", "--kpi", "spend")["2024-03"]
    assert spend["value"] == 10 * (31 + 29 + 31)
    sales = _eval(root, "--window", "ytd", "--kpi", "sales")["2024-03"]
    assert sales["value"] is None


def test_a_stock_over_a_window_is_its_latest_value_however_early_the_window_starts(
    write_workspace,
):
    """A count of customers on the 1st of each month from March 2024: its year to date is the latest
    count, which no unknown earlier day can change."""
    data = "date,headcount\n2024-03-01,12\n2024-04-01,15\n2024-05-01,14\n"
    root = write_workspace({"d": DEFS}, "data: data.csv\nkpis: [staff]\n", data)
    got = _eval(root, "--window", "ytd")
    assert [got[m]["value"] for m in ("2024-03", "2024-04", "2024-05")] == [12, 15, 14]


def test_a_partial_period_compares_no_window_that_starts_before_the_data(write_workspace):
    """Data 1 March - 15 April 2024: the previous quarter to date of 1-15 April (1 January -
    15 March) is unknown; 1-15 March alone is not it."""
    data = _daily(dt.date(2024, 3, 1), dt.date(2024, 4, 15), "revenue", 100)
    root = write_workspace({"d": DEFS}, "data: data.csv\nkpis: [sales]\n", data)
    qtd = _eval(root, "--window", "qtd", "--period", "current")["2024-04"]
    assert qtd["value"] == 100 * 15 and qtd["compared"] == "to_date"
    assert qtd["previous"] is None and qtd["change"] is None
    two = _eval(root, "--window", "rolling:2", "--period", "current")["2024-04"]
    assert two["value"] == 100 * (31 + 15)  # March whole and 1-15 April
    assert two["previous"] is None  # February and 1-15 March: February unknown
    ytd = _eval(root, "--window", "ytd", "--period", "current")["2024-04"]
    assert ytd["value"] is None and ytd["previous"] is None
