"""A mapping's own `date:` dates only the rows it takes: an open deal's expected close date is
no event, so it neither adds months of zeros after the last won deal nor makes the month the
data ends in complete. Expected values come from the csv module.
"""

import csv
import datetime as dt
import io
import json

from click.testing import CliRunner

from kpiengine.cli import cli

DEALS = """created,close_date,stage,amount
2025-01-10,2025-01-20,won,100.0
2025-02-03,2025-02-25,won,200.0
2025-03-02,2025-03-12,won,300.0
2025-03-05,2025-05-30,open,999.0
"""
DEFINITIONS = """variables:
  opps: {unit: opportunities, aggregate: sum}
  won_rev: {unit: currency, aggregate: sum}
  closed: {unit: opportunities, aggregate: sum}
kpis:
  wonrev: {title: Won revenue, formula: won_rev, unit: currency, direction: higher}
  opps_k: {title: Opportunities, formula: opps, unit: opportunities, direction: higher}
"""


def evaluate(root, mapping: str, today: str = "2025-07-01") -> list[dict]:
    (root / "deals.csv").write_text(DEALS, "utf-8")
    result = run(root, mapping, today)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def run(root, mapping: str, today: str = "2025-07-01"):
    """`kpi eval` over the deals file as written in `root`."""
    (root / "definitions").mkdir(exist_ok=True)
    (root / "definitions" / "own.yaml").write_text(DEFINITIONS, "utf-8")
    (root / "kpi.yaml").write_text(
        "currency: USD\nkpis: [wonrev, opps_k]\nsources:\n  crm:\n    connector: csv\n"
        f"    path: deals.csv\n    date: created\n    map:\n      opps: {{count: true}}\n"
        f"      won_rev: {mapping}\n",
        "utf-8",
    )
    return CliRunner(env={"KPIENGINE_TODAY": today}).invoke(
        cli, ["eval", "-w", str(root), "--format", "json"]
    )


def months(rows, stage=None, column="close_date"):
    """Won amounts by month of `column` over the rows of `stage` (all rows: None)."""
    out: dict[str, float] = {}
    for row in rows:
        if stage is None or row["stage"] == stage:
            month = row[column][:7]
            out[month] = out.get(month, 0.0) + float(row["amount"])
    return out


def test_rows_a_where_leaves_out_do_not_date_the_mapping(tmp_path):
    records = evaluate(tmp_path, "{column: amount, where: {stage: [won]}, date: close_date}")
    rows = list(csv.DictReader(io.StringIO(DEALS)))
    won = {r["period"]: r for r in records if r["kpi"] == "wonrev"}
    assert {p: r["value"] for p, r in won.items()} == months(rows, "won")
    last = max(dt.date.fromisoformat(r["close_date"]) for r in rows if r["stage"] == "won")
    assert last.day < 31 and not won[f"{last:%Y-%m}"]["complete"]  # the data ends on the 12th
    opps = {r["period"] for r in records if r["kpi"] == "opps_k"}
    assert opps == {r["created"][:7] for r in rows}


def test_a_mapping_taking_every_row_keeps_their_dates(tmp_path):
    records = evaluate(tmp_path, "{column: amount, date: close_date}")
    rows = list(csv.DictReader(io.StringIO(DEALS)))
    won = {r["period"]: r["value"] for r in records if r["kpi"] == "wonrev"}
    expected = months(rows)
    assert {p: v for p, v in won.items() if v} == expected  # May's open deal included
    assert max(won) == max(expected)


def test_a_where_on_the_source_date_keeps_months_of_zero(tmp_path):
    """On the source's own date column, a month with rows but none taken counts 0."""
    records = evaluate(tmp_path, "{column: amount, where: {stage: [open]}}")
    rows = list(csv.DictReader(io.StringIO(DEALS)))
    won = {r["period"]: r["value"] for r in records if r["kpi"] == "wonrev"}
    expected = months(rows, "open", "created")
    assert won == {m: expected.get(m, 0.0) for m in {r["created"][:7] for r in rows}}


def test_the_rows_are_those_of_every_mapping_on_the_column_whatever_is_asked(tmp_path):
    """Another mapping on `close_date` taking every row (asked or not) dates them all: the
    months after the last won deal, up to the open deal's, count 0 won."""
    mapping = "{column: amount, where: {stage: [won]}, date: close_date}\n"
    mapping += "      closed: {count: true, date: close_date}"
    records = evaluate(tmp_path, mapping)
    rows = list(csv.DictReader(io.StringIO(DEALS)))
    won = {r["period"]: r["value"] for r in records if r["kpi"] == "wonrev"}
    every = {r["close_date"][:7] for r in rows}
    first, last = min(every), max(every)
    months_between = {f"2025-{m:02d}" for m in range(int(first[5:]), int(last[5:]) + 1)}
    assert won == {m: months(rows, "won").get(m, 0.0) for m in months_between}


def test_a_taken_row_without_its_own_date_is_an_error_at_its_cell(tmp_path):
    """A won deal with no close date cannot be counted in any period: an error at its cell,
    never a silent drop; an open deal without one (not taken) is no error."""
    lines = DEALS.splitlines()
    lines[2] = "2025-02-03,,won,200.0"
    (tmp_path / "deals.csv").write_text("\n".join(lines) + "\n", "utf-8")
    result = run(tmp_path, "{column: amount, where: {stage: [won]}, date: close_date}")
    column = lines[0].split(",").index("close_date")
    start = len(",".join(lines[2].split(",")[:column])) + 2  # 1-based, after the comma
    assert result.exit_code == 2
    assert f"deals.csv:3:{start}: a row has values but no date in column `close_date`" in (
        result.output
    )
    lines[2], lines[4] = DEALS.splitlines()[2], "2025-03-05,,open,999.0"
    (tmp_path / "deals.csv").write_text("\n".join(lines) + "\n", "utf-8")
    assert run(tmp_path, "{column: amount, where: {stage: [won]}, date: close_date}").exit_code == 0


SUBSCRIPTIONS = """signup_date,customer_id,mrr,cancelled_at
2024-01-05,c1,100,2024-03-10
2024-01-20,c2,20,
2024-02-03,c3,50,
2024-02-14,c4,20,2024-02-28
"""


def test_an_empty_own_date_without_where_is_an_event_not_happened(tmp_path):
    """An active subscription has no cancel date: counted nowhere, no error (the regression
    round: the whole source stopped); the churned amounts come from the csv module."""
    (tmp_path / "subs.csv").write_text(SUBSCRIPTIONS, "utf-8")
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "subs.yaml").write_text(
        "variables:\n  churned: {unit: currency, aggregate: sum}\n"
        "  buyers: {unit: customers, aggregate: sum}\nkpis:\n"
        "  churned_k: {title: Churned MRR, formula: churned, unit: currency, direction: lower}\n"
        "  buyers_k: {title: Cancelled, formula: buyers, unit: customers, direction: lower}\n",
        "utf-8",
    )
    (tmp_path / "kpi.yaml").write_text(
        "currency: USD\nkpis: [churned_k, buyers_k]\nsources:\n  s:\n    connector: csv\n"
        "    path: subs.csv\n    date: signup_date\n    map:\n"
        "      churned: {column: mrr, date: cancelled_at}\n"
        "      buyers: {count: customer_id, date: cancelled_at}\n",
        "utf-8",
    )
    result = CliRunner(env={"KPIENGINE_TODAY": "2024-04-15"}).invoke(
        cli, ["eval", "-w", str(tmp_path), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = [r for r in csv.DictReader(io.StringIO(SUBSCRIPTIONS)) if r["cancelled_at"]]
    churned = {
        r["period"]: r["value"] for r in json.loads(result.stdout) if r["kpi"] == "churned_k"
    }
    expected: dict[str, float] = {}
    for row in rows:
        expected[row["cancelled_at"][:7]] = expected.get(row["cancelled_at"][:7], 0) + float(
            row["mrr"]
        )
    assert {p: v for p, v in churned.items() if v} == expected


def test_a_row_a_where_leaves_out_needs_no_date_on_the_source_date(tmp_path):
    """A pending order without a payment date is no row of a mapping of paid orders (the
    regression round); a paid one without it is an error at its cell."""
    orders = "paid_at,status,amount\n2024-01-05,paid,100\n,pending,30\n2024-02-03,paid,70\n"
    (tmp_path / "orders.csv").write_text(orders, "utf-8")
    (tmp_path / "kpi.yaml").write_text(
        "currency: USD\nkpis: [sales_revenue]\nsources:\n  s:\n    connector: csv\n"
        "    path: orders.csv\n    date: paid_at\n    map:\n"
        "      revenue: {column: amount, where: {status: [paid]}}\n",
        "utf-8",
    )
    runner = CliRunner(env={"KPIENGINE_TODAY": "2024-04-15"})
    result = runner.invoke(cli, ["eval", "-w", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    expected: dict[str, float] = {}
    for row in csv.DictReader(io.StringIO(orders)):
        if row["status"] == "paid":
            expected[row["paid_at"][:7]] = expected.get(row["paid_at"][:7], 0) + float(
                row["amount"]
            )
    got = {
        r["period"]: r["value"] for r in json.loads(result.stdout) if r["kpi"] == "sales_revenue"
    }
    assert got == expected
    (tmp_path / "orders.csv").write_text(orders + ",paid,5\n", "utf-8")
    result = runner.invoke(cli, ["eval", "-w", str(tmp_path), "--format", "json"])
    assert result.exit_code == 2
    assert "orders.csv:5:1: a row has values but no date in column `paid_at`" in result.output


def test_a_where_cell_with_a_trailing_tab_is_taken_and_its_undated_row_named(tmp_path):
    """`paid\t` is `paid` to `where:` (the scan trims every whitespace), so a paid order
    without a date is an error at its line, as for `paid` (the regression round: dropped)."""
    orders = "id,status,paid_at,amount\n1,paid,2024-01-05,100\n2,pending,,30\n3,paid\t,,40\n"
    (tmp_path / "orders.csv").write_text(orders, "utf-8")
    (tmp_path / "kpi.yaml").write_text(
        "currency: USD\nkpis: [sales_revenue]\nsources:\n  s:\n    connector: csv\n"
        "    path: orders.csv\n    date: paid_at\n    map:\n"
        "      revenue: {column: amount, where: {status: [paid]}}\n",
        "utf-8",
    )
    result = CliRunner(env={"KPIENGINE_TODAY": "2024-04-15"}).invoke(
        cli, ["eval", "-w", str(tmp_path), "--format", "json"]
    )
    assert result.exit_code == 2
    assert "orders.csv:4:" in result.output and "no date in column `paid_at`" in result.output


def test_an_undated_row_without_the_values_a_mapping_reads_is_no_data(tmp_path):
    """A Shopify export's second line item of an order leaves `Paid at` and `Total` empty:
    no row of `revenue`, no error (the regression round: an error placed at the header)."""
    orders = "Name,Paid at,Total,Lineitem name\n#1001,2024-01-05,54.50,Mug\n#1001,,,Spoon\n"
    orders += "#1002,2024-01-09,38.00,Plate\n"
    (tmp_path / "orders.csv").write_text(orders, "utf-8")
    (tmp_path / "kpi.yaml").write_text(
        "currency: USD\nkpis: [sales_revenue]\nsources:\n  s:\n    connector: csv\n"
        "    path: orders.csv\n    date: Paid at\n    map:\n      revenue: {column: Total}\n",
        "utf-8",
    )
    result = CliRunner(env={"KPIENGINE_TODAY": "2024-04-15"}).invoke(
        cli, ["eval", "-w", str(tmp_path), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = [r for r in csv.DictReader(io.StringIO(orders)) if r["Total"]]
    [january] = [r for r in json.loads(result.stdout) if r["kpi"] == "sales_revenue"]
    assert january["value"] == sum(float(r["Total"]) for r in rows)
