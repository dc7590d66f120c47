"""The engines of the parity tests: which run here, and loading one table into each.

Each engine is a fixture that skips when its package (or Java, for Spark) is missing, unless its
KPIENGINE_REQUIRE_... flag is 1 (set by .ci/run as root): then it fails. Spark starts once per
test session (the connector keeps one SparkSession per process and URL).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import duckdb
import pytest

SPARK_URL = "spark:local[2]"
POSTGRES = os.environ.get("KPIENGINE_TEST_POSTGRES")


def _missing(flag: str, why: str) -> None:
    if os.environ.get(flag) == "1":
        pytest.fail(f"{why}, but {flag}=1 says the engine is required")
    pytest.skip(why)


@pytest.fixture(scope="session")
def spark_url() -> str:
    if importlib.util.find_spec("pyspark") is None:
        _missing("KPIENGINE_REQUIRE_SPARK", 'no pyspark (pip install "kpiengine[spark]")')
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        _missing("KPIENGINE_REQUIRE_SPARK", "no Java for Spark (openjdk-17-jre-headless)")
    return SPARK_URL


@pytest.fixture(scope="session")
def chdb_url() -> str:
    if importlib.util.find_spec("chdb") is None:
        _missing("KPIENGINE_REQUIRE_CLICKHOUSE", 'no chdb (pip install "kpiengine[clickhouse]")')
    return "chdb://"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    if not POSTGRES:
        _missing("KPIENGINE_REQUIRE_POSTGRES", "no PostgreSQL (set KPIENGINE_TEST_POSTGRES)")
    assert POSTGRES is not None
    return POSTGRES


def write_parquet(path: Path, columns: dict[str, str], rows: list[tuple]) -> None:
    """`rows` as a typed Parquet file (`columns`: name -> DuckDB type), NULLs kept."""
    with duckdb.connect() as con:
        con.execute(f"CREATE TABLE t ({', '.join(f'{c} {t}' for c, t in columns.items())})")
        if rows:
            marks = ", ".join("?" for _ in columns)
            con.executemany(f"INSERT INTO t VALUES ({marks})", rows)
        con.execute(f"COPY t TO '{path}' (FORMAT parquet)")


def load_postgres(url: str, table: str, columns: dict[str, str], rows: list[tuple]) -> None:
    """`rows` as a PostgreSQL table (DuckDB types mapped to PostgreSQL's)."""
    import psycopg

    types = {
        "DATE": "date",
        "TIMESTAMP": "timestamp",
        "VARCHAR": "text",
        "DOUBLE": "double precision",
        "BIGINT": "bigint",
    }
    with psycopg.connect(url) as con:
        con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(
            f"CREATE TABLE {table} ({', '.join(f'{c} {types[t]}' for c, t in columns.items())})"
        )
        with con.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def load_snowflake(table: str, columns: dict[str, str], rows: list[tuple]) -> None:
    """`rows` as the table `db.s.TABLE` of a fakesnow Snowflake (call inside
    `fakesnow.patch()`), `columns`: name -> type."""
    import snowflake.connector

    with snowflake.connector.connect(database="db", schema="s") as con:
        cur = con.cursor()
        cur.execute("CREATE DATABASE IF NOT EXISTS db")
        cur.execute("CREATE SCHEMA IF NOT EXISTS db.s")
        types = ", ".join(f'"{c}" {t}' for c, t in columns.items())
        cur.execute(f"CREATE TABLE db.s.{table} ({types})")
        marks = ", ".join("%s" for _ in columns)
        for row in rows:
            cur.execute(f"INSERT INTO db.s.{table} VALUES ({marks})", row)
