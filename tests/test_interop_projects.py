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


def _jaffle_shop(folder: Path) -> None:
    """The jaffle shop's `orders`, `order_items` and `customers` marts (dbt's latest spec)."""
    rng = random.Random(31)
    orders, items, first = [], [], {}
    for order_id in range(1, 151):
        day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(150))
        customer = rng.randrange(1, 40)
        prices = [round(rng.choice([3.5, 6.0, 7.25, 11.0]), 2) for _ in range(rng.randint(1, 4))]
        food = [rng.random() < 0.6 for _ in prices]
        for price, is_food in zip(prices, food, strict=True):
            items.append([len(items) + 1, order_id, day, is_food, not is_food, price])
        first.setdefault(customer, []).append((day, sum(prices)))
        number = len(first[customer])  # by order id, not by date: the mart's own numbering
        total = round(sum(prices) * 1.06, 2)
        orders.append(
            [
                order_id,
                customer,
                day,
                total,
                round(total * 0.3, 2),
                any(food),
                not all(food),
                number,
                round(total - sum(prices), 2),
            ]
        )
    tables = {
        "orders": (
            [
                "order_id",
                "customer_id",
                "ordered_at",
                "order_total",
                "order_cost",
                "is_food_order",
                "is_drink_order",
                "customer_order_number",
                "tax_paid",
            ],
            orders,
        ),
        "order_items": (
            [
                "order_item_id",
                "order_id",
                "ordered_at",
                "is_food_item",
                "is_drink_item",
                "product_price",
            ],
            items,
        ),
        # the fixture's `customers` measure has no `expr`: MetricFlow reads a column so named
        "customers": (
            [
                "customer_id",
                "customers",
                "customer_name",
                "customer_type",
                "first_ordered_at",
                "count_lifetime_orders",
                "lifetime_spend_pretax",
                "lifetime_spend",
            ],
            [
                [
                    c,
                    c,
                    f"Customer {c}",
                    "returning" if len(v) > 1 else "new",
                    min(d for d, _ in v),
                    len(v),
                    round(sum(t for _, t in v), 2),
                    round(sum(t for _, t in v) * 1.06, 2),
                ]
                for c, v in sorted(first.items())
            ],
        ),
    }
    for name, (header, rows) in tables.items():
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows(
                [str(v).lower() if isinstance(v, bool) else v for v in row] for row in rows
            )


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
    "metricflow-jaffle-latest-spec": (
        "metricflow",
        FIXTURES / "metricflow" / "autofix_latest_spec" / "models",
        _jaffle_shop,
        {
            "revenue": ("order_items", "ordered_at", "SUM(product_price)"),
            "food_revenue_pct": (
                "order_items",
                "ordered_at",
                "SUM(product_price) FILTER (WHERE is_food_item) / SUM(product_price)",
            ),
            "orders": ("orders", "ordered_at", "COUNT(*)"),
            "new_customer_orders": (
                "orders",
                "ordered_at",
                "COUNT(*) FILTER (WHERE customer_order_number = 1)",
            ),
            "order_cost": ("orders", "ordered_at", "SUM(order_cost)"),
            "customers": ("customers", "first_ordered_at", "COUNT(DISTINCT customers)"),
            "average_order_value": (
                "customers",
                "first_ordered_at",
                "SUM(lifetime_spend_pretax) / SUM(count_lifetime_orders)",
            ),
        },
        {"cumulative_revenue", "large_orders", "conversion_metric", "revenue_growth_mom"},
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
        assert f" {name} (" in listed, name  # after its file:line:column
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


def _import(tool: str, path: Path, ws: Path, *options: str) -> str:
    imported = CliRunner().invoke(cli, ["import", tool, str(path), "-o", str(ws), *options])
    assert imported.exit_code == 0, imported.output
    assert "0 errors" in imported.output
    return imported.output


def _eval(ws: Path, kpis: list[str]) -> dict[tuple[str, str], float | None]:
    args = ["eval", "-w", str(ws), "--format", "json", "--grain", "month"]
    for kpi in kpis:
        args += ["--kpi", kpi]
    evaluated = CliRunner().invoke(cli, args)
    assert evaluated.exit_code == 0, evaluated.output
    return {
        (r["kpi"], r["period"]): r["value"]
        for r in json.loads(evaluated.output)
        if not r["segment"]
    }


def test_cube_with_its_own_data_evaluates_windows(tmp_path):
    """The shared_calc_group cube holds its rows in its `sql` (a UNION ALL of literals): run
    through an empty DuckDB, its rolling window and year to date equal DuckDB's window functions
    over the same query, where the window starts on or after the first sale (15 January 2017):
    before, the days it lacks are unknown and it is undefined."""
    path = FIXTURES / "cube" / "shared_calc_group"
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    output = _import("cube", path, tmp_path / "ws", "--url", f"duckdb:///{db}")
    assert " sales.rolling_amount (" in output.split("not imported (", 1)[1]
    got = _eval(tmp_path / "ws", ["sales_total", "sales_r3_amount", "sales_ytd_amount"])
    query = yaml.safe_load((path / "sales.yml").read_text())["cubes"][0]["sql"]
    oracle = f"""
        SELECT strftime(month, '%Y-%m'), total,
               SUM(total) OVER (ORDER BY month ROWS BETWEEN 2 PRECEDING AND CURRENT ROW),
               COUNT(*) OVER (ORDER BY month ROWS BETWEEN 2 PRECEDING AND CURRENT ROW),
               SUM(total) OVER (PARTITION BY year(month) ORDER BY month)
        FROM (SELECT date_trunc('month', CAST(sale_date AS DATE)) AS month,
                     SUM(amount) AS total FROM ({query}) GROUP BY 1)
        ORDER BY 1"""
    with duckdb.connect() as con:
        rows = con.execute(oracle).fetchall()
    assert len(rows) == 6
    for month, total, last3, months, _ytd in rows:
        assert got[("sales_total", month)] == pytest.approx(total)
        assert got[("sales_ytd_amount", month)] is None  # 2017 starts before 15 January
        # 3 months from February (after 15 January); fewer than 3 months, or from January: none
        if months == 3 and month >= "2017-04":
            assert got[("sales_r3_amount", month)] == pytest.approx(last3)
        else:
            assert got[("sales_r3_amount", month)] is None


def test_cube_query_over_a_schema_table_evaluates(tmp_path):
    """bye_redis reads `SELECT * FROM public.orders`: a DuckDB file with that table serves it."""
    data = tmp_path / "data"
    data.mkdir()
    _calendar_orders(data)
    db = tmp_path / "shop.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA public")
        con.execute(
            f"CREATE TABLE public.orders AS SELECT * FROM read_csv('{data / 'orders.csv'}')"
        )
    _import("cube", FIXTURES / "cube" / "bye_redis", tmp_path / "ws", "--url", f"duckdb:///{db}")
    got = _eval(tmp_path / "ws", ["orders_count"])
    oracle = _duckdb_monthly(data / "orders.csv", "created_at", "COUNT(*)")
    assert len(oracle) == 6
    for month, value in oracle.items():
        assert got[("orders_count", month)] == value


def test_cube_of_literals_evaluates_in_an_in_memory_duckdb(tmp_path):
    """format_showcase reads one row of literals dated `current_timestamp`: an in-memory DuckDB
    (no tables needed for a query) evaluates every measure as DuckDB aggregates that row."""
    path = FIXTURES / "cube" / "schema_compiler" / "format_showcase.yml"
    _import("cube", path, tmp_path / "ws", "--url", "duckdb://")
    cube = yaml.safe_load(path.read_text())["cubes"][0]
    measures = {m["name"]: m for m in cube["measures"]}
    got = _eval(tmp_path / "ws", [f"format_showcase_{name}" for name in measures])
    aggregate = {"sum": "SUM({})", "avg": "AVG({})", "count": "COUNT(*)"}
    selects = ", ".join(aggregate[m["type"]].format(m.get("sql")) for m in measures.values())
    with duckdb.connect() as con:
        month, *values = con.execute(
            f"SELECT strftime(MAX(sample_date), '%Y-%m'), {selects} FROM ({cube['sql']})"
        ).fetchone()
    assert len(values) == len(measures) == 13
    for name, value in zip(measures, values, strict=True):
        assert got[(f"format_showcase_{name}", month)] == pytest.approx(float(value)), name
