"""NaN and infinities in a `sql` source's float columns, on every engine that runs here: NaN is a
missing value (as the `csv` connector reads a `NaN` cell), never a month without data; an
infinity is an error naming the column, the table and the first day it is on.

Expected values are written by hand from the rows below.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import pytest
import sqlglot
from engine_helpers import write_parquet
from test_sql_renames import connector

import kpiengine
from kpiengine.connector import Request
from kpiengine.errors import KpiError
from kpiengine.model import Aggregate

NAN, INF = math.nan, math.inf
DEFINITIONS = (
    "variables:\n  unit_cost: {unit: currency, aggregate: mean}\n"
    "  balance: {unit: currency, aggregate: {time: last, segments: sum}}\n"
    "kpis:\n  spend: {title: Spend, formula: marketing_cost, unit: currency}\n"
    "  cost_each: {title: Cost each, formula: unit_cost, unit: currency}\n"
    "  level: {title: Level, formula: balance, unit: currency}\n"
)
COLUMNS = {"day": "DATE", "channel": "VARCHAR", "cost": "DOUBLE"}
#: a NaN beside numbers in January (Email) and in February (Search); March only NaN
ROWS = [
    ("2024-01-15", "Email", NAN),
    ("2024-01-16", "Email", 10.0),
    ("2024-01-17", "Search", 20.0),
    ("2024-02-01", "Search", 4.0),
    ("2024-02-03", "Search", NAN),
    ("2024-03-05", "Email", NAN),
]
#: by hand: NaN left out of the sums and of the mean (which a NaN read as 0 would pull down)
SPEND = {
    ("2024-01", ""): 30.0,
    ("2024-01", "Email"): 10.0,
    ("2024-01", "Search"): 20.0,
    ("2024-02", ""): 4.0,
    ("2024-02", "Search"): 4.0,
}
EACH = {("2024-01", ""): 15.0, ("2024-02", ""): 4.0}
#: the last day with a value: February's Search is 4 (its NaN on the 3rd is no value)
LEVEL = {("2024-01", "Email"): 10.0, ("2024-01", "Search"): 20.0, ("2024-02", "Search"): 4.0}
#: an infinity in January and two in February: the first is -inf on 20 January
INFINITE = [
    ("2024-01-15", "Email", 5.0),
    ("2024-02-02", "Email", INF),
    ("2024-01-20", "Search", -INF),
    ("2024-02-01", "Search", -INF),
]
KPIS = ["spend", "cost_each", "level"]
ENGINES = ["duckdb", "duckdb_file", "chdb", "spark", "postgres", "snowflake"]


MAP = "{marketing_cost: cost, unit_cost: cost, balance: cost}"
#: `count:` and `distinct:` of the cost column (NaN no value, as in a CSV file)
COUNTS = (
    "units: [things]\nvariables:\n  n: {unit: things}\n"
    "  ids: {unit: things, aggregate: distinct}\n"
    "kpis:\n  k_n: {title: Count, formula: n, unit: things}\n"
    "  k_ids: {title: Distinct, formula: ids, unit: things}\n"
)


def workspace(root: Path, source: str, counts: bool = False) -> Path:
    (root / "definitions").mkdir(parents=True, exist_ok=True)
    (root / "definitions" / "k.yaml").write_text(COUNTS if counts else DEFINITIONS)
    mapping = "{n: {count: cost}, ids: {distinct: cost}}" if counts else MAP
    (root / "kpi.yaml").write_text(
        f"currency: USD\nsources:\n  s:\n{source}    date: day\n    dimensions: [channel]\n"
        f"    map: {mapping}\n"
    )
    return root


def literal(value: float, type_: str) -> str:
    """A float as SQL: NaN and the infinities as PostgreSQL and Snowflake write them."""
    if math.isnan(value):
        return f"CAST('NaN' AS {type_})"
    if math.isinf(value):
        return f"CAST('{'-' if value < 0 else ''}Infinity' AS {type_})"
    return repr(value)


def source(request, tmp: Path, engine: str, rows: list[tuple]) -> str:
    """`rows` in a table `costs` as `engine` holds it: the source's lines of kpi.yaml."""
    table = "    table: costs\n"
    if engine == "postgres":
        import psycopg

        url = request.getfixturevalue("postgres_url")
        with psycopg.connect(url) as con:
            con.execute("DROP TABLE IF EXISTS costs")
            con.execute("CREATE TABLE costs (day date, channel text, cost double precision)")
            for day, channel, cost in rows:
                con.execute(
                    f"INSERT INTO costs VALUES ('{day}', '{channel}', {literal(cost, 'float8')})"
                )
        return f"    connector: sql\n    url: ${{KPIENGINE_TEST_POSTGRES}}\n{table}"
    if engine == "duckdb_file":
        path = tmp / "w.duckdb"
        with duckdb.connect(str(path)) as con:
            con.execute("CREATE TABLE costs (day DATE, channel VARCHAR, cost DOUBLE)")
            con.executemany("INSERT INTO costs VALUES (?, ?, ?)", rows)
        return f"    connector: sql\n    url: duckdb:///{path}\n{table}"
    if engine == "snowflake":
        return f"    connector: sql\n    url: snowflake://kpi@account/db/s\n{table}"
    write_parquet(tmp / "costs.parquet", COLUMNS, rows)
    url = "duckdb://" if engine == "duckdb" else request.getfixturevalue(f"{engine}_url")
    files = f"    files: {{costs: {tmp / 'costs.parquet'}}}\n"
    return f"    connector: sql\n    url: {json.dumps(url)}\n{files}{table}"


def evaluate(request, tmp: Path, engine: str, rows: list[tuple], counts: bool = False):
    root = workspace(tmp / "ws", source(request, tmp, engine, rows), counts)
    kpis = ["k_n", "k_ids"] if counts else KPIS
    if engine != "snowflake":
        return kpiengine.evaluate(kpiengine.load_workspace(root), kpis=kpis, by=["channel"])
    import fakesnow

    with fakesnow.patch():
        import snowflake.connector

        with snowflake.connector.connect(database="db", schema="s") as con:
            cur = con.cursor()
            cur.execute("CREATE DATABASE IF NOT EXISTS db")
            cur.execute("CREATE SCHEMA IF NOT EXISTS db.s")
            cur.execute('CREATE TABLE db.s.costs ("day" DATE, "channel" TEXT, "cost" DOUBLE)')
            for day, channel, cost in rows:
                value = literal(cost, "FLOAT")
                cur.execute(f"INSERT INTO db.s.costs VALUES ('{day}', '{channel}', {value})")
        return kpiengine.evaluate(kpiengine.load_workspace(root), kpis=kpis, by=["channel"])


def cells(results, kpi: str) -> dict[tuple[str, str], float]:
    return {
        (r["period"], r["segment"].get("channel", "")): r["value"]
        for r in results.records()
        if r["kpi"] == kpi and r["value"] is not None
    }


def from_csv(tmp: Path):
    """The rows as a CSV export with `NaN` cells, read by the `csv` connector."""
    text = "day,channel,cost\n" + "".join(f"{d},{c},{v!r}\n" for d, c, v in ROWS)
    (tmp / "costs.csv").write_text(text.replace(",nan\n", ",NaN\n"))
    root = workspace(tmp / "csv", f"    connector: csv\n    path: {tmp / 'costs.csv'}\n")
    return kpiengine.evaluate(kpiengine.load_workspace(root), kpis=KPIS, by=["channel"])


def test_a_csv_source_reads_nan_as_missing(tmp_path):
    results = from_csv(tmp_path)
    assert (tmp_path / "costs.csv").read_text().count(",NaN\n") == 3
    assert cells(results, "spend").items() >= SPEND.items()
    assert cells(results, "cost_each").items() >= EACH.items()
    assert cells(results, "level").items() >= LEVEL.items()


@pytest.mark.parametrize("engine", ENGINES)
def test_nan_is_a_missing_value_as_in_a_csv_file(request, tmp_path, engine):
    """Was: a NaN made the month's sum NaN, shown as "no data for `marketing_cost`"."""
    results = evaluate(request, tmp_path, engine, ROWS)
    assert cells(results, "spend").items() >= SPEND.items()
    assert cells(results, "cost_each").items() >= EACH.items()
    assert cells(results, "level").items() >= LEVEL.items()
    csv_results = from_csv(tmp_path)
    for kpi in KPIS:  # the other cells too (segments without rows: 0)
        assert cells(results, kpi) == cells(csv_results, kpi)


#: by hand from ROWS: January's Email 10 and Search 20 (Email's NaN no value), February's 4
COUNTED = {
    ("2024-01", ""): 2.0,
    ("2024-01", "Email"): 1.0,
    ("2024-01", "Search"): 1.0,
    ("2024-02", ""): 1.0,
    ("2024-02", "Search"): 1.0,
}


@pytest.mark.parametrize("engine", ENGINES)
def test_count_and_distinct_leave_nan_out(request, tmp_path, engine):
    """Was: a database table's NaN counted as a value (3 values in January, 2 in March's...),
    where `files:` and the `csv` connector count 2."""
    results = evaluate(request, tmp_path, engine, ROWS, counts=True)
    for kpi in ("k_n", "k_ids"):
        got = cells(results, kpi)
        assert got.items() >= COUNTED.items(), (kpi, got)
        assert not got.get(("2024-03", ""))  # March: NaN only


@pytest.mark.parametrize("engine", ENGINES)
def test_an_infinity_is_an_error_naming_column_table_and_day(request, tmp_path, engine):
    """Was: an undefined value, "the result is not a finite number"."""
    with pytest.raises(KpiError) as caught:
        evaluate(request, tmp_path, engine, INFINITE)
    error = caught.value
    assert "source `s`: expected a number in column `cost` of table `costs`" in error.message
    assert error.message.endswith("found `-inf` on 2024-01-20"), error.message
    if engine in ("duckdb", "chdb", "spark"):
        assert f"({tmp_path / 'costs.parquet'})" in error.message
    lines = (tmp_path / "ws" / "kpi.yaml").read_text().splitlines()
    assert error.location is not None  # the `map:` entry
    assert lines[error.location.line - 1][error.location.column - 1 :].startswith("cost")
    assert "NULL" in (error.fix or "")


def test_an_infinity_outside_the_rows_a_where_keeps_is_not_read(tmp_path):
    """`where:` keeps Email's rows: Search's infinity is no value of the variable."""
    write_parquet(tmp_path / "costs.parquet", COLUMNS, INFINITE[:1] + INFINITE[2:])
    root = workspace(
        tmp_path / "ws",
        f"    connector: sql\n    url: duckdb://\n    files: {{costs: {tmp_path}/costs.parquet}}\n"
        "    table: costs\n",
    )
    kpi_yaml = (root / "kpi.yaml").read_text()
    (root / "kpi.yaml").write_text(
        kpi_yaml.replace(
            "map: {marketing_cost: cost, unit_cost: cost, balance: cost}",
            "map: {marketing_cost: {column: cost, where: {channel: Email}}}",
        )
    )
    results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["spend"])
    # February's rows are Search's: nothing spent (0), as on the rows `where:` leaves out
    assert cells(results, "spend") == {("2024-01", ""): 5.0, ("2024-02", ""): 0.0}


def test_a_query_is_named_as_the_query(tmp_path):
    write_parquet(tmp_path / "costs.parquet", COLUMNS, INFINITE)
    root = workspace(
        tmp_path / "ws",
        f"    connector: sql\n    url: duckdb://\n    files: {{costs: {tmp_path}/costs.parquet}}\n"
        "    query: SELECT day, channel, cost * 2 AS cost FROM costs\n",
    )
    with pytest.raises(KpiError, match=r"column `cost` of the query, found `-inf` on 2024-01-20"):
        kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["spend"])


@pytest.mark.parametrize(
    ("dialect", "nan", "infinite"),
    [
        ("duckdb", "NULLIF", "ISINF("),
        ("postgres", "NULLIF", "= CAST('inf' AS DOUBLE PRECISION)"),
        ("clickhouse", "isNaN(", "isInfinite("),
        ("spark", "NULLIF", "= CAST('inf' AS DOUBLE)"),
        ("snowflake", "NULLIF", "= CAST('inf' AS DOUBLE)"),
        ("bigquery", "IS_NAN(", "IS_INF("),
        ("trino", "IS_NAN(", "IS_INFINITE("),
    ],
)
def test_each_dialect_tests_nan_and_infinity_with_its_own_functions(dialect, nan, infinite):
    """The generated-only dialects too: BigQuery's IS_NAN and IS_INF, Trino's is_nan and
    is_infinite (NaN equals nothing there, so no NULLIF)."""
    text = connector(dialect, {}, {}).sql(Request({"spend": Aggregate()}, "month", []))
    assert len(sqlglot.parse(text, read=dialect)) == 1
    assert nan.upper() in text.upper() and infinite.upper() in text.upper()
    assert "__inf spend" in text
