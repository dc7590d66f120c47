"""`distinct: COLUMN` counts the ids that have a value: a missing mark (empty, `—`, `n/a`,
`(not set)`, `NaN`, a JSON `null`; `kpiengine.fileformats.missing`) is no id, as `count: COLUMN`
does not count it. In the `csv` connector (CSV, Parquet, JSON lines) and the `sql` connector with
`files:` (CSV, Parquet); a database's own table skips NULL and blank ids, as `count:` does there.

Expected values by hand: the ids with a value are `u1` and `u2` (twice), so 2 distinct.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from kpiengine.connector import Mapping, Request, SourceConfig
from kpiengine.errors import Location
from kpiengine.model import Aggregate
from kpiengine.sqlgen import GENERATED_DIALECTS, TESTED_DIALECTS

IDS = ["u1", "", "—", "n/a", "(not set)", "u2", "NaN", "u2", " N/A ", "--"]
WHERE = Location("kpi.yaml", 3, 5)
DISTINCT = Aggregate(time="distinct", segments="distinct")


def write(root: Path, kind: str) -> str:
    """The ids of January 2024 in a file of `kind`; its name."""
    days = [f"2024-01-{i + 1:02d}" for i in range(len(IDS))]
    if kind == "csv":
        lines = ["date,uid", *(f"{d},{u}" for d, u in zip(days, IDS, strict=True))]
        (root / "d.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return "d.csv"
    if kind == "ndjson":  # JSON's own null beside the marks
        rows = [{"date": d, "uid": u or None} for d, u in zip(days, IDS, strict=True)]
        (root / "d.ndjson").write_text("".join(json.dumps(r) + "\n" for r in rows))
        return "d.ndjson"
    values = ", ".join(
        f"(DATE '{d}', {'NULL' if not u else repr(u)})" for d, u in zip(days, IDS, strict=True)
    )
    duckdb.sql(
        f"COPY (SELECT * FROM (VALUES {values}) t(date, uid)) TO '{root / 'd.parquet'}' "
        "(FORMAT parquet)"
    )
    return "d.parquet"


def visitors(conn) -> list[float]:
    frame = conn.fetch(Request({"visitors": DISTINCT}, "month", []))
    return frame.values["visitors"].tolist()


@pytest.mark.parametrize("kind", ["csv", "parquet", "ndjson"])
def test_csv_connector_counts_only_ids_with_a_value(tmp_path, kind):
    from kpiengine.connectors.csv_files import CsvConnector

    config = SourceConfig(
        name="s",
        connector="csv",
        root=tmp_path,
        location=WHERE,
        options={"path": write(tmp_path, kind)},
        mappings={"visitors": Mapping("visitors", WHERE, distinct="uid")},
        variables=frozenset({"visitors"}),
    )
    assert visitors(CsvConnector(config)) == [2.0]


def sql_connector(root: Path, options: dict):
    from kpiengine.connectors.sql import SqlConnector

    config = SourceConfig(
        "s",
        "sql",
        root,
        WHERE,
        {"table": "d", **options},
        mappings={"visitors": Mapping("visitors", WHERE, distinct="uid")},
        variables=frozenset({"visitors"}),
    )
    return SqlConnector(config)


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_sql_files_count_only_ids_with_a_value(tmp_path, kind):
    name = write(tmp_path, kind)
    conn = sql_connector(tmp_path, {"url": "duckdb://", "files": {"d": str(tmp_path / name)}})
    assert visitors(conn) == [2.0]


def test_sql_table_skips_null_and_blank_ids(tmp_path):
    """A database's own text is its value (as for `count:`): NULL and blank are no ids, the
    database's `n/a` is one. By hand: u1, u2, n/a."""
    db = tmp_path / "t.duckdb"
    with duckdb.connect(str(db)) as con:
        con.sql("CREATE TABLE d (date DATE, uid VARCHAR)")
        con.sql(
            "INSERT INTO d VALUES ('2024-01-01', 'u1'), ('2024-01-02', NULL), "
            "('2024-01-03', ''), ('2024-01-04', '  '), ('2024-01-05', 'u2'), "
            "('2024-01-06', 'n/a'), ('2024-01-07', 'u2')"
        )
    conn = sql_connector(tmp_path, {"url": f"duckdb:///{db}"})
    assert visitors(conn) == [3.0]


@pytest.mark.parametrize("dialect", [*TESTED_DIALECTS, *GENERATED_DIALECTS])
def test_every_dialect_tests_the_id_for_a_value(tmp_path, dialect):
    """The query is generated for every dialect, with the id's test (not run here)."""
    url = "postgresql://u@localhost/db" if dialect == "duckdb" else "duckdb:///x.duckdb"
    conn = sql_connector(tmp_path, {"url": url, "dialect": dialect})
    sql = conn.sql(Request({"visitors": DISTINCT}, "month", []))
    assert "TRIM(" in sql.upper() and "uid" in sql


TABLE_ROWS = [("u1",), (None,), ("",), ("  ",), ("u2",), ("n/a",), ("u2",)]


def test_postgres_table_skips_null_and_blank_ids(tmp_path, postgres_url):
    """The same table in PostgreSQL: u1, u2, n/a (by hand)."""
    import datetime as dt

    from engine_helpers import load_postgres

    rows = [(dt.date(2024, 1, i + 1), u) for i, (u,) in enumerate(TABLE_ROWS)]
    load_postgres(postgres_url, "distinct_ids", {"date": "DATE", "uid": "VARCHAR"}, rows)
    conn = sql_connector(tmp_path, {"url": postgres_url, "table": "distinct_ids"})
    assert visitors(conn) == [3.0]


def test_chdb_files_count_only_ids_with_a_value(tmp_path, chdb_url):
    """chDB reads the CSV of `files:` with the missing marks tested in its dialect."""
    name = write(tmp_path, "csv")
    conn = sql_connector(tmp_path, {"url": chdb_url, "files": {"d": str(tmp_path / name)}})
    assert visitors(conn) == [2.0]
