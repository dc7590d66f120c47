"""The `sql` connector's engines through the CLI: Spark local and chDB read `files:` (Parquet or
CSV) and give the `kpi eval --format json` values DuckDB gives; URLs with a password never show
it; `kpi sql --dialect` prints every dialect."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlglot
from click.testing import CliRunner
from engine_helpers import write_parquet
from kpiengine.connectors._sql_url import DatabaseUrl
from secretguard import VARIABLE, contains_secret

from kpiengine.cli import cli
from kpiengine.sqlgen import GENERATED_DIALECTS, TESTED_DIALECTS

SECRET = "${" + VARIABLE + "}"  # the planted secret, read by the URL

ROWS = [
    ("2024-01-03", "Email", 120.5, 40.0, 2),
    ("2024-01-20", "Ads", 300.0, 250.25, 3),
    ("2024-02-11", "Email", 80.0, 30.0, 1),
    ("2024-02-28", "Ads", 410.0, 199.0, 4),
    ("2024-03-05", "Ads", 10.0, 50.0, 0),
]


def make(root: Path, url: str, suffix: str = "csv") -> Path:
    root.mkdir(parents=True)
    if suffix == "parquet":
        columns = {"date": "DATE", "channel": "VARCHAR", "revenue": "DOUBLE"}
        columns |= {"marketing_cost": "DOUBLE", "new_customers": "BIGINT"}
        rows = [(dt.date.fromisoformat(row[0]), *row[1:]) for row in ROWS]
        write_parquet(root / "deals.parquet", columns, rows)
    else:
        lines = ["date,channel,revenue,marketing_cost,new_customers"]
        lines += [",".join(map(str, row)) for row in ROWS]
        (root / "deals.csv").write_text("\n".join(lines) + "\n")
    (root / "kpi.yaml").write_text(
        "sources:\n  deals:\n    connector: sql\n"
        f"    url: {url}\n    table: deals\n    files: {{deals: deals.{suffix}}}\n"
        "    dimensions: [channel]\n"
        "    map: {revenue: revenue, marketing_cost: marketing_cost}\n"
    )
    return root


def evaluate(root: Path) -> list:
    result = CliRunner().invoke(
        cli, ["eval", "-w", str(root), "--kpi", "roi", "--by", "channel", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_chdb_and_spark_give_duckdbs_values(tmp_path, chdb_url, spark_url, suffix):
    expected = evaluate(make(tmp_path / "duckdb", "duckdb://", suffix))
    by_cell = {(r["period"], r["segment"].get("channel")): r["value"] for r in expected}
    # ROI = (revenue - cost) / cost, by hand from ROWS
    assert by_cell[("2024-01", "Email")] == pytest.approx((120.5 - 40.0) / 40.0)
    assert by_cell[("2024-02", None)] == pytest.approx((490.0 - 229.0) / 229.0)
    assert evaluate(make(tmp_path / "chdb", chdb_url, suffix)) == expected
    assert evaluate(make(tmp_path / "spark", spark_url, suffix)) == expected


@pytest.mark.parametrize(
    "url",
    [
        f"clickhouse://kpi:{SECRET}@127.0.0.1:9/db",
        f"chdb://{SECRET}",
        f"snowflake://kpi:{SECRET}@nowhere/db/schema",
        f"sc://127.0.0.1:9/;token={SECRET}",
        f"sc://127.0.0.1:9/;user_id=kpi;token={SECRET}",
        # Spark's JVM prints a master URL it rejects, past any redaction: refused before it
        f"spark://kpi:{SECRET}@127.0.0.1:9",
        f"spark://127.0.0.1:9/{SECRET}",
    ],
)
def test_passwords_never_shown(tmp_path, url, capfd):
    result = CliRunner().invoke(cli, ["eval", "-w", str(make(tmp_path / "ws", url))])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "source `deals`" in result.output  # and secretguard fails the test on a leak
    assert not contains_secret(capfd.readouterr())  # nor written by a JVM to the terminal


@pytest.mark.parametrize(
    "url", ["sc://127.0.0.1:9/;token=x", "spark://127.0.0.1:9", "spark://127.0.0.1:9,[::1]:9"]
)
def test_an_unreachable_spark_server_is_said_at_once(tmp_path, url):
    """Spark's clients retry a closed port for many minutes; the connector asks the port first."""
    result = CliRunner().invoke(cli, ["eval", "-w", str(make(tmp_path / "ws", url))])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "no Spark server answers at 127.0.0.1:9" in result.output


@pytest.mark.parametrize(
    ("url", "servers"),
    [
        ("sc://spark.example:15002/;token=t", [("spark.example", 15002)]),
        ("sc://spark.example", [("spark.example", 15002)]),
        ("spark://m1:7077,m2:7078", [("m1", 7077), ("m2", 7078)]),
        ("spark://[::1]", [("::1", 7077)]),
    ],
)
def test_spark_servers_are_read_from_the_url(url, servers):
    assert DatabaseUrl.expand(url).spark_servers() == servers


def test_a_literal_spark_connect_token_is_a_secret():
    url = DatabaseUrl.expand("sc://h:15002/;user_id=kpi;token=T0k%26en;session_id=s")
    said = url.redact("could not reach sc://h:15002/;user_id=kpi;token=T0k%26en (T0k&en)")
    assert "T0k" not in said and "user_id=kpi" in said and said.count("***") == 2


def test_unknown_scheme_lists_the_supported_ones(tmp_path):
    result = CliRunner().invoke(cli, ["eval", "-w", str(make(tmp_path / "ws", "mysql://h/db"))])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "unknown database URL scheme `mysql`" in result.output
    for form in ("spark:local[2]", "chdb://", "clickhouse://", "sc://"):
        assert form in result.output


@pytest.mark.parametrize("dialect", [*TESTED_DIALECTS, *GENERATED_DIALECTS])
def test_kpi_sql_prints_every_dialect(tmp_path, dialect):
    args = ["sql", "-w", str(make(tmp_path / "ws", "duckdb://")), "--source", "deals"]
    result = CliRunner().invoke(cli, [*args, "--kpi", "roi", "--dialect", dialect])
    assert result.exit_code == 0, result.output
    assert "revenue" in result.stdout and "GROUP BY" in result.stdout.upper()
    assert sqlglot.parse_one(result.stdout, read=dialect) is not None
    upper = CliRunner().invoke(cli, [*args, "--kpi", "roi", "--dialect", dialect.upper()])
    assert upper.exit_code == 0 and upper.stdout == result.stdout


@pytest.mark.parametrize("dialect", ["tirno", "mysql"])
def test_kpi_sql_names_the_dialects_for_an_unknown_one(tmp_path, dialect):
    root = make(tmp_path / "ws", "duckdb://")
    result = CliRunner().invoke(
        cli, ["sql", "-w", str(root), "--source", "deals", "--kpi", "roi", "--dialect", dialect]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"unknown dialect `{dialect}`" in result.output
    assert ", ".join([*TESTED_DIALECTS, *GENERATED_DIALECTS]) in result.output
    assert ("did you mean `trino`?" in result.output) == (dialect == "tirno")
