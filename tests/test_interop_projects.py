"""The bundled third-party example projects end to end: `kpi import ... --data DIR` writes `sql`
sources reading CSV files through an in-memory DuckDB (`files:`), `kpi eval --format json`
evaluates them, `kpi lint` lints them, and the values equal a plain DuckDB query over the same
files. What the import cannot map is listed in its output, by name."""

import csv
import datetime as dt
import json
import random
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml
from click.testing import CliRunner
from interop_helpers import FIXTURES, ORDERS_CSV

from kpiengine.cli import cli

SEEDS = FIXTURES / "metricflow" / "sample_dbt_models" / "seeds"


def _calendar_orders(folder: Path) -> None:
    """Cube's calendar_orders table (`public.orders`): id, user_id, status, created_at."""
    rng = random.Random(17)
    with open(folder / "orders.csv", "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "user_id", "status", "created_at"])
        for i in range(120):
            day = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(181))
            status = rng.choice(["completed", "completed", "processing", "shipped"])
            writer.writerow([i + 1, rng.randrange(1, 30), status, day.isoformat()])


def _tpch_orders(folder: Path) -> None:
    """The TPC-H `orders` and `customer` tables the Omni OSI fixture reads."""
    rng = random.Random(23)
    with open(folder / "orders.csv", "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["o_orderkey", "o_custkey", "o_orderdate", "o_totalprice"])
        for i in range(90):
            day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(120))
            price = round(rng.uniform(500, 5000), 2)
            writer.writerow([i + 1, rng.randrange(1, 20), day.isoformat(), price])
    with open(folder / "customer.csv", "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["c_custkey", "c_name"])
        writer.writerows([k, f"Customer#{k:03d}"] for k in range(1, 20))


def _seeds(folder: Path) -> None:
    for table in ("transactions", "customers", "countries"):
        shutil.copy(SEEDS / f"{table}_seed.csv", folder / f"{table}.csv")


def _orders(folder: Path) -> None:
    shutil.copy(ORDERS_CSV, folder / "orders.csv")


# tool, project, data maker, {KPI: (table, date column, SQL aggregate)}, names listed unmapped
PROJECTS = {
    "metricflow-tutorial": (
        "metricflow",
        FIXTURES / "metricflow" / "sample_dbt_models" / "models",
        _seeds,
        {
            "transactions": ("transactions", "ds", "COUNT(*)"),
            "transaction_amount": ("transactions", "ds", "SUM(transaction_amount_usd)"),
            "cancellation_rate": (
                "transactions",
                "ds",
                "SUM(CASE WHEN transaction_type_name = 'cancellation' "
                "THEN transaction_amount_usd ELSE 0 END) / SUM(transaction_amount_usd)",
            ),
            "quick_buy_transactions": (
                "transactions",
                "ds",
                "COUNT(*) FILTER (WHERE transaction_type_name = 'quick-buy')",
            ),
            "new_customers": ("customers", "ds", "COUNT(*)"),
        },
        {"cumulative_transactions", "cancellations_mx", "core_transaction_metrics"},
    ),
    "metricflow-handwritten": (
        "metricflow",
        FIXTURES / "metricflow" / "handwritten",
        _orders,
        {
            "revenue": ("orders", "ordered_at", "SUM(amount)"),
            "buyers": ("orders", "ordered_at", "COUNT(DISTINCT customer_id)"),
            "revenue_per_buyer": (
                "orders",
                "ordered_at",
                "SUM(amount) / COUNT(DISTINCT customer_id)",
            ),
        },
        {"repeat_rate", "revenue_all_time", "median_order"},
    ),
    "cube-calendar-orders": (
        "cube",
        FIXTURES / "cube" / "schema_compiler" / "calendar_orders.yml",
        _calendar_orders,
        {
            "calendar_orders_count": ("orders", "created_at", "COUNT(*)"),
            "calendar_orders_completed_count": (
                "orders",
                "created_at",
                "COUNT(*) FILTER (WHERE status = 'completed')",
            ),
            "calendar_orders_completed_percentage": (
                "orders",
                "created_at",
                "COUNT(*) FILTER (WHERE status = 'completed') / COUNT(*) * 100.0",
            ),
        },
        {"calendar_orders.total", "calendar_orders.joins"},
    ),
    "cube-handwritten": (
        "cube",
        FIXTURES / "cube" / "handwritten",
        _orders,
        {
            "orders_revenue": ("orders", "ordered_at", "SUM(amount)"),
            "orders_customers": ("orders", "ordered_at", "COUNT(DISTINCT customer_id)"),
            "orders_average_order_value": ("orders", "ordered_at", "AVG(amount)"),
        },
        {"orders.revenue_all_time", "orders.segments"},
    ),
    "osi-omni": (
        "osi",
        FIXTURES / "osi" / "ossie_converters" / "omni_fixtureA_osi.yaml",
        _tpch_orders,
        {
            "total_revenue": ("orders", "o_orderdate", "SUM(o_totalprice)"),
            "order_count": ("orders", "o_orderdate", "COUNT(*)"),
        },
        {"orders_to_customer"},
    ),
    "osi-handwritten": (
        "osi",
        FIXTURES / "osi" / "handwritten" / "orders.yaml",
        _orders,
        {
            "revenue": ("orders", "ordered_at", "SUM(amount)"),
            "customers": ("orders", "ordered_at", "COUNT(DISTINCT customer_id)"),
            "return_rate": (
                "orders",
                "ordered_at",
                "COUNT(*) FILTER (WHERE status = 'returned') / COUNT(*)",
            ),
        },
        {"revenue_growth", "tableau_only"},
    ),
}


def _duckdb_monthly(path: Path, date: str, aggregate: str) -> dict[str, float]:
    """Month -> the aggregate, by a plain DuckDB query over the file."""
    sql = (
        f"SELECT strftime(CAST({date} AS DATE), '%Y-%m') AS month, CAST({aggregate} AS DOUBLE) "
        f"FROM read_csv('{path}') GROUP BY 1 ORDER BY 1"
    )
    with duckdb.connect() as con:
        return dict(con.execute(sql).fetchall())


@pytest.mark.parametrize("project", sorted(PROJECTS))
def test_bundled_project_imports_evaluates_and_lints(project, tmp_path):
    tool, path, make_data, expected, unmapped = PROJECTS[project]
    data = tmp_path / "data"
    data.mkdir()
    make_data(data)
    ws = tmp_path / "ws"
    runner = CliRunner()
    imported = runner.invoke(cli, ["import", tool, str(path), "-o", str(ws), "--data", str(data)])
    assert imported.exit_code == 0, imported.output
    assert "0 errors" in imported.output
    listed = imported.output.split("not imported (", 1)[1]  # each feature left out, by name
    for name in unmapped:
        assert f"  {name} (" in listed, name
    settings = yaml.safe_load((ws / "kpi.yaml").read_text())
    for source in settings["sources"].values():
        assert source["url"] == "duckdb://" and len(source["files"]) == 1
    args = ["eval", "-w", str(ws), "--format", "json", "--grain", "month"]
    for kpi in expected:
        args += ["--kpi", kpi]
    evaluated = runner.invoke(cli, args)
    assert evaluated.exit_code == 0, evaluated.output
    got = {
        (r["kpi"], r["period"]): r["value"]
        for r in json.loads(evaluated.output)
        if not r["segment"]
    }
    checked = 0
    for kpi, (table, date, aggregate) in expected.items():
        oracle = _duckdb_monthly(data / f"{table}.csv", date, aggregate)
        assert oracle, kpi
        for month, value in oracle.items():
            assert got[(kpi, month)] == pytest.approx(value), (kpi, month)
            checked += 1
    assert checked >= 2 * len(expected) - 1  # new_customers of the tutorial: one month
    linted = runner.invoke(cli, ["lint", "-w", str(ws)])
    assert linted.exit_code in (0, 1) and "Traceback" not in linted.output
    assert f"\n{linted.output}".count("\n0 errors,") == 1 and "data checks ran" in linted.output


def test_data_folder_without_a_table_says_so(tmp_path):
    runner = CliRunner()
    (tmp_path / "data").mkdir()
    out = runner.invoke(
        cli,
        [
            "import",
            "osi",
            str(FIXTURES / "osi" / "handwritten" / "orders.yaml"),
            "-o",
            str(tmp_path / "ws"),
            "--data",
            str(tmp_path / "data"),
        ],
    )
    assert out.exit_code == 0, out.output
    assert "orders (table): no orders.csv or .parquet in" in out.output
    source = yaml.safe_load((tmp_path / "ws" / "kpi.yaml").read_text())["sources"]["orders"]
    assert source["url"] == "${KPIENGINE_DATABASE_URL}" and "files" not in source
