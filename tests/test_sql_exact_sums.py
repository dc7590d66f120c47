"""A `sql` source sums integer and DECIMAL/NUMERIC columns in their own type and converts the
sum to DOUBLE once aggregated, as the `csv` connector sums a typed Parquet column: 100,001 cells
of 0.10 are 10000.1, not the 10000.10000002 of a per-row DOUBLE.

Expected values: the engine's own `CAST(SUM(col) AS DOUBLE)` on the same table, and by hand
(50,001 even rows of 0.10 in Email, 50,000 odd ones in Search).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from kpiengine.connectors._sql_types import exact_type
from test_sql_renames import connector

import kpiengine
from kpiengine.connector import Request
from kpiengine.model import Aggregate

ROWS = 100_001
DEFINITIONS = (
    "variables:\n  sales: {unit: currency}\n  paid_sales: {unit: currency}\n"
    "  fees: {unit: currency}\n  revenue_mean: {unit: currency, aggregate: mean}\n"
    "  closing: {unit: currency, aggregate: {time: last, segments: sum}}\n"
    "  opening: {unit: currency, aggregate: {time: first, segments: sum}}\n"
    "kpis:\n  revenue: {title: Revenue, formula: sales, unit: currency}\n"
    "  paid: {title: Paid, formula: paid_sales, unit: currency}\n"
    "  fee_total: {title: Fees, formula: fees, unit: currency}\n"
    "  average: {title: Average, formula: revenue_mean, unit: currency}\n"
    "  last_day: {title: Last day, formula: closing, unit: currency}\n"
    "  first_day: {title: First day, formula: opening, unit: currency}\n"
)
KPIS = ["revenue", "paid", "fee_total", "average", "last_day", "first_day"]
#: by hand: 0.10 on each row; Email the even rows (50,001), Search the odd ones (50,000)
REVENUE = {"": 10000.1, "Email": 5000.1, "Search": 5000.0}
#: `where: {channel: Email}`: Email's rows alone
PAID = {"": 5000.1, "Email": 5000.1, "Search": 0.0}
FEES = {"": 3 * ROWS, "Email": 3 * 50_001, "Search": 3 * 50_000}


def day_sums(day: int) -> dict[str, float]:
    """By hand (Decimal): the rows of one day of January (row i is on day i % 31 + 1)."""
    sums = {"Email": Decimal(0), "Search": Decimal(0)}
    for i in range(day - 1, ROWS, 31):
        sums["Email" if i % 2 == 0 else "Search"] += Decimal("0.10")
    return {"": float(sum(sums.values())), **{k: float(v) for k, v in sums.items()}}


ENGINES = ["duckdb", "duckdb_file", "chdb", "spark", "postgres", "snowflake"]
#: a table of the rows (DuckDB SQL), each engine's types
SELECT = (
    "SELECT DATE '2024-01-01' + CAST(i % 31 AS INTEGER) AS day, "
    "CASE WHEN i % 2 = 0 THEN 'Email' ELSE 'Search' END AS channel, "
    "CAST(0.10 AS DECIMAL(18,2)) AS amount, CAST(3 AS INTEGER) AS n FROM range({n}) t(i)"
)


def workspace(root: Path, source: str) -> Path:
    (root / "definitions").mkdir(parents=True, exist_ok=True)
    (root / "definitions" / "k.yaml").write_text(DEFINITIONS)
    (root / "kpi.yaml").write_text(
        f"currency: USD\nsources:\n  s:\n{source}    date: day\n    dimensions: [channel]\n"
        "    map:\n      sales: amount\n      fees: n\n      revenue_mean: amount\n"
        "      paid_sales: {column: amount, where: {channel: Email}}\n"
        "      closing: amount\n      opening: amount\n"
    )
    return root


def source(request, tmp: Path, engine: str) -> tuple[str, float]:
    """The rows in a table `sales` as `engine` holds them: the source's lines of kpi.yaml, and
    the engine's own `CAST(SUM(amount) AS DOUBLE)`."""
    table = "    table: sales\n"
    if engine == "postgres":
        import psycopg

        url = request.getfixturevalue("postgres_url")
        with psycopg.connect(url) as con:
            con.execute("DROP TABLE IF EXISTS sales")
            con.execute(
                "CREATE TABLE sales AS SELECT DATE '2024-01-01' + (i % 31) AS day, CASE WHEN "
                "i % 2 = 0 THEN 'Email' ELSE 'Search' END AS channel, CAST(0.10 AS NUMERIC) AS "
                f"amount, CAST(3 AS INTEGER) AS n FROM generate_series(0, {ROWS - 1}) AS i"
            )
            plain = con.execute("SELECT CAST(SUM(amount) AS DOUBLE PRECISION) FROM sales")
            total = plain.fetchone()[0]  # type: ignore[index]
        return f"    connector: sql\n    url: ${{KPIENGINE_TEST_POSTGRES}}\n{table}", total
    if engine == "duckdb_file":
        path = tmp / "w.duckdb"
        with duckdb.connect(str(path)) as con:
            con.execute(f"CREATE TABLE sales AS {SELECT.format(n=ROWS)}")
            total = con.execute("SELECT CAST(SUM(amount) AS DOUBLE) FROM sales").fetchone()[0]
        return f"    connector: sql\n    url: duckdb:///{path}\n{table}", total
    if engine == "snowflake":
        return f"    connector: sql\n    url: snowflake://kpi@account/db/s\n{table}", 0.0
    parquet = tmp / "sales.parquet"
    with duckdb.connect() as con:
        con.execute(f"COPY ({SELECT.format(n=ROWS)}) TO '{parquet}' (FORMAT parquet)")
    url = "duckdb://" if engine == "duckdb" else request.getfixturevalue(f"{engine}_url")
    if engine == "chdb":
        import chdb

        said = chdb.query(f"SELECT toFloat64(sum(amount)) FROM file('{parquet}', Parquet)", "CSV")
        total = float(str(said).strip())
    else:
        with duckdb.connect() as con:
            plain = f"SELECT CAST(SUM(amount) AS DOUBLE) FROM read_parquet('{parquet}')"
            total = con.execute(plain).fetchone()[0]  # type: ignore[index]
    files = f"    files: {{sales: {parquet}}}\n"
    return f"    connector: sql\n    url: {json.dumps(url)}\n{files}{table}", total


def evaluate(request, tmp: Path, engine: str):
    text, total = source(request, tmp, engine)
    root = workspace(tmp / "ws", text)
    if engine != "snowflake":
        return kpiengine.evaluate(kpiengine.load_workspace(root), kpis=KPIS, by=["channel"]), total
    import fakesnow

    with fakesnow.patch():
        import snowflake.connector

        with snowflake.connector.connect(database="db", schema="s") as con:
            cur = con.cursor()
            cur.execute("CREATE DATABASE IF NOT EXISTS db")
            cur.execute("CREATE SCHEMA IF NOT EXISTS db.s")
            cur.execute(
                'CREATE TABLE db.s.sales ("day" DATE, "channel" TEXT, "amount" NUMBER(18,2), '
                '"n" NUMBER(38,0))'
            )
            cur.execute(
                "INSERT INTO db.s.sales SELECT DATEADD(day, MOD(SEQ4(), 31), '2024-01-01'), "
                "IFF(MOD(SEQ4(), 2) = 0, 'Email', 'Search'), 0.10, 3 FROM "
                f"TABLE(GENERATOR(ROWCOUNT => {ROWS}))"
            )
            cur.execute('SELECT CAST(SUM("amount") AS DOUBLE) FROM db.s.sales')
            total = cur.fetchone()[0]  # type: ignore[index]
        results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=KPIS, by=["channel"])
        return results, total


def cells(results, kpi: str) -> dict[str, float]:
    return {
        r["segment"].get("channel", ""): r["value"]
        for r in results.records()
        if r["kpi"] == kpi and r["period"] == "2024-01"
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_decimal_and_integer_columns_are_summed_exactly(request, tmp_path, engine):
    results, total = evaluate(request, tmp_path, engine)
    if engine == "snowflake":  # fakesnow sums NUMBER as DOUBLE itself (SUM(TRY_CAST(x AS
        # DOUBLE)), in its own order); Snowflake sums it exactly, as the query asks (test below)
        assert cells(results, "revenue")[""] == pytest.approx(total, rel=1e-11)
        return
    assert cells(results, "revenue")[""] == total  # the engine's own sum, converted once
    assert total == 10000.1
    assert cells(results, "revenue") == REVENUE  # exactly: no tolerance
    assert cells(results, "paid") == PAID
    assert cells(results, "fee_total") == FEES
    assert cells(results, "average")[""] == pytest.approx(0.1, abs=1e-12)
    # three branches of the roll-up's union (sums, then each stock): the NULLs of a DECIMAL
    assert cells(results, "last_day") == day_sums(31)
    assert cells(results, "first_day") == day_sums(1)


DOUBLE = {"postgres": "DOUBLE PRECISION", "clickhouse": "Nullable(Float64)"}


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "clickhouse", "spark", "snowflake"])
def test_an_exact_measure_is_cast_to_double_once_rolled_up(dialect):
    """Generated SQL: the column summed as it is, one CAST of the roll-up, and no NaN or
    infinity test (an integer or DECIMAL holds neither; PostgreSQL's NUMERIC does: its NaN is
    NULL, in its own type, and its infinity looked for as a float's, tests/test_sql_numeric.py)."""
    con = connector(dialect, {}, {})
    con._columns, con._types = ["date", "spend"], {"date": "DATE", "spend": "DECIMAL(18,2)"}
    con.url.dialect = dialect  # as if its engine ran it (types known)
    text = con.sql(Request({"spend": Aggregate()}, "month", []))
    quote = "`" if dialect == "spark" else '"'
    if dialect == "postgres":
        assert "__inf" in text and "NULLIF(\"spend\", 'NaN') AS __m0" in text
    else:
        assert "__inf" not in text and "NULLIF" not in text.upper()
        assert f"{quote}spend{quote} AS __m0" in text  # the row's value: the column as it is
    cast = "CAST(SUM({q}spend{q}) AS {t})".format(q=quote, t=DOUBLE.get(dialect, "DOUBLE"))
    assert text.count("CAST(SUM(") == 1 and cast in text  # converted once, rolled up


@pytest.mark.parametrize(
    ("dialect", "type_name", "exact"),
    [
        ("duckdb", "DECIMAL(18,2)", True),
        ("duckdb", "DECIMAL(38,2)", False),  # its sum could overflow DECIMAL(38)
        ("duckdb", "BIGINT", True),  # summed into HUGEINT
        ("duckdb", "DOUBLE", False),
        ("duckdb", "VARCHAR", False),
        ("postgres", "numeric", True),
        ("postgres", "numeric(12,2)", True),
        ("postgres", "bigint", True),  # summed into NUMERIC
        ("postgres", "double precision", False),
        ("clickhouse", "Nullable(Decimal(18, 2))", True),
        ("clickhouse", "Decimal(38, 2)", False),
        ("clickhouse", "Int32", True),
        ("clickhouse", "Int64", False),  # ClickHouse's sum of Int64 wraps around
        ("clickhouse", "LowCardinality(Nullable(String))", False),
        ("spark", "decimal(18,2)", True),
        ("spark", "bigint", False),  # wraps around without ANSI mode
        ("spark", "int", True),
        ("snowflake", "NUMBER(18,2)", True),
        ("snowflake", "REAL", False),
    ],
)
def test_the_types_each_engine_sums_exactly(dialect, type_name, exact):
    assert exact_type(type_name, dialect) is exact
