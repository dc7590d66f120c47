"""A `sql` source only reads: one checked SELECT, read-only sessions, no file access.

PostgreSQL runs for real when KPIENGINE_TEST_POSTGRES holds a URL (see test_connector_sql.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from kpiengine.connectors._sql_query import QueryRejected, checked_query

import kpiengine
from kpiengine.errors import KpiError

POSTGRES = os.environ.get("KPIENGINE_TEST_POSTGRES")
DEFS = "variables:\n  revenue: {unit: currency}\n  marketing_cost: {unit: currency}\n"
INJECTION = (
    "SELECT * FROM deals) AS y; COPY (SELECT 1) TO '{out}'; SELECT * FROM (SELECT * FROM deals"
)


def workspace(root: Path, source: str) -> kpiengine.Workspace:
    (root / "definitions").mkdir(parents=True, exist_ok=True)
    (root / "definitions" / "d.yaml").write_text(DEFS)
    (root / "kpi.yaml").write_text(
        "sources:\n  db:\n    connector: sql\n"
        + source
        + "    map: {revenue: amount, marketing_cost: cost}\n"
    )
    return kpiengine.load_workspace(root)


def duckdb_file(tmp_path: Path) -> Path:
    db = tmp_path / "w.duckdb"
    (tmp_path / "rows.csv").write_text("date,amount,cost\n2024-01-05,100,80\n2024-02-05,120,90\n")
    with duckdb.connect(str(db)) as con:
        con.execute(f"CREATE TABLE deals AS SELECT * FROM read_csv('{tmp_path / 'rows.csv'}')")
        con.execute(f"CREATE VIEW deals_file AS SELECT * FROM read_csv('{tmp_path / 'rows.csv'}')")
    return db


def query_source(db: Path, query: str, extra: str = "") -> str:
    quoted = query.replace('"', '\\"')
    return f'    url: duckdb:///{db}\n    query: "{quoted}"\n{extra}'


def evaluate(ws):
    return kpiengine.evaluate(ws, kpis=["roi"])


def test_the_issue_injection_writes_nothing_on_duckdb(tmp_path):
    db = duckdb_file(tmp_path)
    out = tmp_path / "x.csv"
    with pytest.raises(KpiError, match="query") as caught:
        workspace(tmp_path / "ws", query_source(db, INJECTION.format(out=out)))
        evaluate(kpiengine.load_workspace(tmp_path / "ws"))
    assert "kpi.yaml" in str(caught.value.location)
    assert not out.exists()


@pytest.mark.parametrize(
    "query",
    [
        "COPY deals TO '/tmp/kpiengine-copy.csv'",
        "SELECT 1; SELECT 2",
        "PRAGMA version",
        "ATTACH 'other.db'",
        "SET threads = 1",
        "CREATE TABLE t AS SELECT 1",
        "INSERT INTO deals VALUES (1)",
        "DELETE FROM deals",
        "UPDATE deals SET amount = 0",
        "DROP TABLE deals",
        "SELECT * INTO copy_of_deals FROM deals",
        "WITH gone AS (DELETE FROM deals RETURNING *) SELECT * FROM gone",
        "INSTALL httpfs",
        "LOAD httpfs",
        "VALUES (1)",
        "DESCRIBE deals",
    ],
)
@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_only_one_read_only_select_is_accepted(query, dialect):
    with pytest.raises(QueryRejected):
        checked_query(query, dialect)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT read_text('/etc/hostname') AS content, * FROM deals",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM '/etc/passwd'",
        "SELECT * FROM 'https://example.com/x.csv'",
        "SELECT pg_read_file('/etc/passwd') AS x",
        "SELECT * FROM glob('*')",
        "SELECT getenv('HOME') AS h",
        "SELECT current_setting('data_directory') AS d",
        "SELECT lo_import('/etc/passwd') AS x",
    ],
)
def test_file_and_network_functions_need_allow_files(query):
    dialect = "postgres" if "pg_" in query or "lo_" in query else "duckdb"
    with pytest.raises(QueryRejected, match="allow_files"):
        checked_query(query, dialect)
    assert checked_query(query, dialect, allow_files=True)


def test_a_plain_select_runs_as_written():
    sql = checked_query(
        "WITH d AS (SELECT * FROM deals WHERE amount > 0) "
        "SELECT date, amount, cost FROM d UNION ALL SELECT * FROM range(0) r(a, b, c)",
        "duckdb",
    )
    assert sql.startswith("WITH d AS") and "UNION ALL" in sql


def test_a_query_reading_a_file_is_refused_then_allowed(tmp_path):
    db = duckdb_file(tmp_path)
    csv = tmp_path / "rows.csv"
    query = f"SELECT * FROM read_csv('{csv}')"
    with pytest.raises(KpiError, match="allow_files"):
        evaluate(workspace(tmp_path / "a", query_source(db, query)))
    allowed = query_source(db, query, "    allow_files: true\n")
    results = evaluate(workspace(tmp_path / "b", allowed))
    assert results.kpis["roi"].values[0, 0] == pytest.approx(0.25)


def test_duckdb_is_opened_without_external_access(tmp_path):
    """A view over a file is the database reading outside itself: refused unless allowed."""
    db = duckdb_file(tmp_path)
    with pytest.raises(KpiError, match="file system operations are disabled"):
        evaluate(workspace(tmp_path / "a", f"    url: duckdb:///{db}\n    table: deals_file\n"))
    allowed = f"    url: duckdb:///{db}\n    table: deals_file\n    allow_files: true\n"
    assert evaluate(workspace(tmp_path / "b", allowed)).kpis["roi"].values[0, 0] == 0.25
    plain = f"    url: duckdb:///{db}\n    table: deals\n"
    assert evaluate(workspace(tmp_path / "c", plain)).kpis["roi"].values[0, 0] == 0.25


def test_a_path_as_table_is_refused(tmp_path):
    db = duckdb_file(tmp_path)
    with pytest.raises(KpiError, match="names a file"):
        workspace(tmp_path / "ws", f"    url: duckdb:///{db}\n    table: /etc/hostname\n")
        evaluate(kpiengine.load_workspace(tmp_path / "ws"))


def test_the_database_file_is_unchanged(tmp_path):
    db = duckdb_file(tmp_path)
    before = db.read_bytes()
    evaluate(workspace(tmp_path / "ws", query_source(db, "SELECT * FROM deals")))
    assert db.read_bytes() == before


@pytest.fixture
def postgres():
    if not POSTGRES:
        if os.environ.get("KPIENGINE_REQUIRE_POSTGRES") == "1":
            pytest.fail("KPIENGINE_TEST_POSTGRES is not set but PostgreSQL is required")
        pytest.skip("no PostgreSQL (set KPIENGINE_TEST_POSTGRES)")
    import psycopg

    with psycopg.connect(POSTGRES, autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS ro_deals, ro_written, ro_pwned")
        con.execute("DROP FUNCTION IF EXISTS ro_write()")
        con.execute("CREATE TABLE ro_deals (date date, amount numeric, cost numeric)")
        con.execute("INSERT INTO ro_deals VALUES ('2024-01-05', 100, 80), ('2024-02-05', 120, 90)")
        con.execute("CREATE TABLE ro_written (n integer)")
        con.execute(
            "CREATE FUNCTION ro_write() RETURNS integer LANGUAGE sql AS "
            "'INSERT INTO ro_written VALUES (1) RETURNING n'"
        )
        yield con
        con.execute("DROP TABLE IF EXISTS ro_deals, ro_written, ro_pwned")
        con.execute("DROP FUNCTION IF EXISTS ro_write()")


def test_the_issue_injection_creates_no_table_on_postgres(tmp_path, postgres):
    query = (
        "SELECT * FROM ro_deals) AS y; CREATE TABLE ro_pwned AS SELECT 1; SELECT * FROM (SELECT 1"
    )
    with pytest.raises(KpiError, match="query"):
        evaluate(workspace(tmp_path / "ws", f'    url: {POSTGRES}\n    query: "{query}"\n'))
    found = postgres.execute("SELECT to_regclass('ro_pwned')").fetchone()
    assert found == (None,)


def test_the_postgres_session_is_read_only(tmp_path, postgres):
    """A SELECT calling a function that writes passes the parser; the session refuses it."""
    query = "SELECT date, amount, cost, ro_write() AS w FROM ro_deals"
    with pytest.raises(KpiError, match="read-only transaction"):
        evaluate(workspace(tmp_path / "ws", f'    url: {POSTGRES}\n    query: "{query}"\n'))
    assert postgres.execute("SELECT count(*) FROM ro_written").fetchone() == (0,)
    ok = evaluate(workspace(tmp_path / "ok", f"    url: {POSTGRES}\n    table: ro_deals\n"))
    assert ok.kpis["roi"].values[0, 0] == pytest.approx(0.25)
