"""The status of a partial period without a projection: an additive KPI is judged pro rata (its
value to date against the target for the days to date), a ratio on its value to date, and a KPI
that is neither is not judged. JSON, CSV, the terminal table and the reports agree. Targets to
date are computed here by hand."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli
from kpiengine.errors import Location
from kpiengine.model import TargetSpec
from kpiengine.periods import DEFAULT
from kpiengine.targets import to_date_target

DEFS = """\
variables:
  sales: {unit: currency}
  orders: {unit: orders}
  sessions: {unit: sessions}
  headcount: {unit: customers, aggregate: last}
kpis:
  sales_kpi: {title: Sales, formula: sales, unit: currency, target: 3000}
  order_rate:
    {title: Order rate, formula: orders / sessions, unit: orders / sessions, format: percent,
     target: 0.05}
  sales_per_head:
    {title: Sales per head, formula: sales / headcount, unit: currency / customers, target: 100}
  planned_sales:
    {title: Planned sales, formula: sales, unit: currency,
     target: {annual: 36600, split: [1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0.5, 0.5]}}
"""
# 12 days of data (29 January to 9 February): too few to project; February holds 9 of 29 days
DAYS = [dt.date(2024, 1, 29) + dt.timedelta(days=k) for k in range(12)]
DATA = "date,sales,orders,sessions,headcount\n" + "".join(f"{d},110,2,50,4\n" for d in DAYS)


HERE = Location("kpi.yaml", 1, 1)


@pytest.fixture
def root(write_workspace):
    return write_workspace({"shop": DEFS}, kpi_yaml="grain: month\ndata: data.csv\n", data=DATA)


def _run(root, *args: str) -> str:
    result = CliRunner().invoke(
        cli, [*args, "--period", "current", "--workspace", str(root)], catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def test_each_kind_of_kpi_is_judged_as_it_can_be(root):
    rows = {r["kpi"]: r for r in json.loads(_run(root, "eval", "--format", "json"))}
    sales = rows["sales_kpi"]
    assert sales["period"] == "2024-02" and sales["complete"] is False
    assert sales["projected"] is None and sales["value"] == 9 * 110
    # 990 to date against 3,000 x 9 / 29 = 931.03: on track pro rata (not off track against 3,000)
    assert sales["target"] == 3000 and sales["target_to_date"] == pytest.approx(3000 * 9 / 29)
    assert sales["status"] == "on_track" and sales["status_basis"] == "pro_rata"
    assert "9 of 29 days" in sales["status_reason"]
    # an annual target split by month: February's weight 2 of 12, spread over its 29 days
    planned = rows["planned_sales"]
    february = 36600 * 2 / 12
    assert planned["target"] == pytest.approx(february)
    assert planned["target_to_date"] == pytest.approx(february * 9 / 29)  # 1,893.10 > 990
    assert planned["status"] == "off_track" and planned["status_basis"] == "pro_rata"
    # a ratio of sums: its value to date (18 / 450 = 4%) stands for the month's
    rate = rows["order_rate"]
    assert rate["value"] == pytest.approx(18 / 450)
    assert rate["status"] == "off_track" and rate["status_basis"] == "value"
    assert rate["target_to_date"] is None and rate["status_reason"] is None
    # a sum over a stock grows with the days and is no sum: not judged, and says why
    head = rows["sales_per_head"]
    assert head["value"] == pytest.approx(990 / 4) and head["target"] == 100
    assert head["status"] == "undefined" and head["status_basis"] == "none"
    assert "not judged" in head["status_reason"] and "no projection" in head["status_reason"]
    assert head["reason"] is None  # the value itself is defined


def test_csv_terminal_and_reports_say_the_same(root):
    text = _run(root, "eval", "--format", "csv")
    csv_rows = {row["kpi"]: row for row in csv.DictReader(io.StringIO(text))}
    assert csv_rows["sales_kpi"]["status"] == "on_track"
    assert csv_rows["sales_kpi"]["status_basis"] == "pro_rata"
    assert csv_rows["sales_per_head"]["status"] == "undefined"
    table = _run(root, "eval")
    [sales_line] = [line for line in table.splitlines() if " sales_kpi " in line]
    assert "on track" in sales_line and "off track" not in sales_line
    assert "pro rata, target to date" in sales_line
    assert table.count("? not judged") == 1 and csv_rows["sales_per_head"]["status_reason"]
    report = root / "r.md"
    _run(root, "report", "-o", str(report))
    text = report.read_text()
    [sales_row] = [line for line in text.splitlines() if line.startswith("| Sales |")]
    assert "🟢" in sales_row and "🔴" not in sales_row
    [head_row] = [line for line in text.splitlines() if line.startswith("| Sales per head |")]
    assert "❔" in head_row
    html = root / "r.html"
    _run(root, "report", "-o", str(html))
    page = html.read_text()
    assert 'data-kpi="sales_kpi" data-status="on_track"' in page
    assert 'data-kpi="sales_per_head" data-status="undefined"' in page


def test_the_target_to_date_sums_the_target_s_days():
    # a constant period target, spread evenly: 3,000 x 9 / 29
    constant = TargetSpec(HERE, constant=3000.0)
    february = DEFAULT.ordinal_of(dt.date(2024, 2, 1), "month")
    assert to_date_target(constant, "month", february, 9, DEFAULT) == pytest.approx(3000 * 9 / 29)
    # targets by month on a quarter: January whole (31 days) and 10 of February's 29 days
    by_month = TargetSpec(HERE, by_period={"2024-01": 3100.0, "2024-02": 2900.0, "2024-03": 3100.0})
    q1 = DEFAULT.ordinal_of(dt.date(2024, 1, 1), "quarter")
    assert to_date_target(by_month, "quarter", q1, 41, DEFAULT) == pytest.approx(3100 + 1000)
    assert math.isnan(to_date_target(None, "month", february, 9, DEFAULT))
