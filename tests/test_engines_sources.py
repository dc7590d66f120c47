"""The `sql` connector's engine options: a chDB database folder, the settings sent to a
ClickHouse server, and a clear message (file, line, no traceback) for each bad `files:` or URL."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

import kpiengine
from kpiengine.cli import cli
from kpiengine.errors import KpiError

ROWS = [
    ("2024-01-03", "Email", 120.5, 40.0),
    ("2024-01-20", "Ads", 300.0, 250.25),
    ("2024-02-11", "Email", 80.0, 30.0),
]


def write(root: Path, url: str, extra: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    lines = ["date,channel,revenue,marketing_cost", *(",".join(map(str, r)) for r in ROWS)]
    (root / "deals.csv").write_text("\n".join(lines) + "\n")
    (root / "kpi.yaml").write_text(
        f"sources:\n  deals:\n    connector: sql\n    url: {url}\n    table: deals\n{extra}"
        "    dimensions: [channel]\n    map: {revenue: revenue, marketing_cost: marketing_cost}\n"
    )
    return root


def roi(root: Path) -> dict:
    results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["roi"], by=["channel"])
    return {(r["period"], r["segment"].get("channel")): r["value"] for r in results.records()}


def test_a_chdb_database_folder_is_read(tmp_path, chdb_url):
    import chdb

    folder = tmp_path / "warehouse"
    con = chdb.connect(str(folder))
    try:
        cursor = con.cursor()
        cursor.execute(
            "CREATE TABLE deals (date Date, channel String, revenue Float64, "
            "marketing_cost Float64) ENGINE = MergeTree ORDER BY date"
        )
        values = ", ".join(f"('{d}', '{c}', {r}, {m})" for d, c, r, m in ROWS)
        cursor.execute(f"INSERT INTO deals VALUES {values}")
    finally:
        con.close()
    got = roi(write(tmp_path / "ws", "chdb://../warehouse"))  # relative to the workspace
    assert got[("2024-01", "Email")] == pytest.approx((120.5 - 40.0) / 40.0)
    assert got[("2024-01", None)] == pytest.approx((420.5 - 290.25) / 290.25)
    assert got[("2024-02", "Email")] == pytest.approx((80.0 - 30.0) / 30.0)


def test_a_clickhouse_server_gets_its_settings_and_a_read_only_session(tmp_path, monkeypatch):
    """No server runs here: a stand-in `clickhouse_connect` records what the connector sends
    and answers the column probe, so the connection settings are checked exactly."""
    calls: list[dict] = []

    class Result:
        column_names = ["date", "channel", "revenue", "marketing_cost"]
        result_rows: list = []

    class Client:
        def query(self, sql):
            if "LIMIT 0" not in sql:
                raise RuntimeError("no server here")
            return Result()

        def close(self):
            pass

    fake = types.ModuleType("clickhouse_connect")
    fake.get_client = lambda **kw: calls.append(kw) or Client()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "clickhouse_connect", fake)
    monkeypatch.setenv("CLICKHOUSE_PASSWORD", "p@ss word&1")
    root = write(tmp_path, "clickhouse://kpi:${CLICKHOUSE_PASSWORD}@ch.example:8443/marketing")
    with pytest.raises(KpiError, match="source `deals`: the database said"):
        roi(root)  # the stand-in answers the probe only: the aggregation is refused
    assert len(calls) == 2  # one client per query: the column probe, then the aggregation
    assert (
        calls[0]
        == calls[1]
        == {
            "host": "ch.example",
            "port": 8443,
            "username": "kpi",
            "password": "p@ss word&1",  # URL-encoded in the URL, decoded for the client
            "database": "marketing",
            "settings": {"readonly": 1},
            "connect_timeout": 10,
        }
    )


@pytest.mark.parametrize(
    ("url", "extra", "said", "line"),
    [
        ("duckdb://", "    files: {deals: deals.txt}\n", "is neither .csv nor .parquet", 6),
        ("duckdb://", "    files: {my table: deals.csv}\n", "is not a plain table name", 6),
        ("duckdb://", "    files: {deals: gone.csv}\n", "no file `gone.csv`", 6),
        ("duckdb://", "    files: [deals.csv]\n", "`files` maps table names", 6),
        ("duckdb://", "", "an in-memory DuckDB (`duckdb://`) has no tables", 4),
        ("chdb://no-such-folder", "", "no chDB database folder at", 4),
        (
            "clickhouse://kpi@127.0.0.1:9/db",
            "    files: {deals: deals.csv}\n",
            "`files` is for in-process engines",
            6,
        ),
        ("spark:local[two]", "", "a Spark URL is spark:local[N]", 4),
        ("spark://127.0.0.1:9/path", "", "a standalone Spark master URL is spark://HOST:PORT", 4),
    ],
)
def test_bad_engine_options_are_clear(tmp_path, url, extra, said, line):
    result = CliRunner().invoke(cli, ["eval", "-w", str(write(tmp_path / "ws", url, extra))])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert said in result.output
    assert f"kpi.yaml:{line}:" in result.output
