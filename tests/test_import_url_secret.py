"""`kpi import ... --url` keeps the password out of kpi.yaml: the `url:` written reads it from
the environment variable the `sql` connector documents (`${PGPASSWORD}` for PostgreSQL), and the
import's output says so, without the password.

Was: `kpi import cube in.yml -o out --url 'postgresql://u:PW@h/db'` wrote `url:
postgresql://u:PW@h/db` into out/kpi.yaml. Expected URLs are written here by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kpiengine.cli import cli

FIXTURES = Path(__file__).parent / "fixtures" / "interop"
MODELS = {
    "cube": FIXTURES / "cube" / "handwritten",
    "metricflow": FIXTURES / "metricflow" / "handwritten",
    "osi": FIXTURES / "osi" / "handwritten" / "orders.yaml",
}
PASSWORD = "S3cr@t!x"  # as typed
ENCODED = "S3cr%40t%21x"  # as written in a URL


def run_import(tool: str, out: Path, *options: str):
    result = CliRunner().invoke(cli, ["import", tool, str(MODELS[tool]), "-o", str(out), *options])
    assert result.exit_code in (0, 1), result.output
    return result


def urls(out: Path) -> set[str]:
    settings = yaml.safe_load((out / "kpi.yaml").read_text("utf-8"))
    return {s["url"] for s in settings["sources"].values() if "url" in s}


def written(out: Path) -> str:
    return "".join(p.read_text("utf-8") for p in sorted(out.rglob("*")) if p.is_file())


@pytest.mark.parametrize("tool", sorted(MODELS))
def test_the_password_is_written_as_pgpassword(tmp_path, tool):
    url = f"postgresql://kpi:{ENCODED}@db.example:5432/marketing?sslmode=require"
    result = run_import(tool, tmp_path / "ws", "--url", url)
    assert urls(tmp_path / "ws") == {
        "postgresql://kpi:${PGPASSWORD}@db.example:5432/marketing?sslmode=require"
    }
    for secret in (PASSWORD, ENCODED, "S3cr"):
        assert secret not in written(tmp_path / "ws")
        assert secret not in result.output
    assert "${PGPASSWORD}" in result.output and "not written to kpi.yaml" in result.output


def test_the_brief_s_repro_writes_no_literal_password(tmp_path):
    result = run_import("cube", tmp_path / "out", "--url", "postgresql://u:PW@h/db")
    assert urls(tmp_path / "out") == {"postgresql://u:${PGPASSWORD}@h/db"}
    assert ":PW@" not in written(tmp_path / "out") and ":PW@" not in result.output


def test_the_written_url_reads_the_password_back(tmp_path, monkeypatch):
    """With PGPASSWORD set to the password, the `sql` connector's URL is the one given."""
    from kpiengine.connectors._sql_url import DatabaseUrl

    url = f"postgresql://kpi:{ENCODED}@db.example:5432/marketing"
    run_import("cube", tmp_path / "ws", "--url", url)
    [template] = urls(tmp_path / "ws")
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    params = DatabaseUrl.expand(template).postgres_params()
    assert params == {
        "host": "db.example",
        "port": "5432",
        "user": "kpi",
        "password": PASSWORD,
        "dbname": "marketing",
    }


@pytest.mark.parametrize(
    ("given", "expected", "variable"),
    [
        (
            "postgresql://kpi@db/marketing?password=PW&sslmode=require",
            "postgresql://kpi@db/marketing?password=${PGPASSWORD}&sslmode=require",
            "PGPASSWORD",
        ),
        (
            "postgresql+psycopg2://kpi:PW@db/marketing",
            "postgresql+psycopg2://kpi:${PGPASSWORD}@db/marketing",
            "PGPASSWORD",
        ),
        (
            "clickhouse://default:PW@ch.example:8123/web",
            "clickhouse://default:${CLICKHOUSE_PASSWORD}@ch.example:8123/web",
            "CLICKHOUSE_PASSWORD",
        ),
        (
            "snowflake://kpi:PW@acme-xy123/analytics/public",
            "snowflake://kpi:${SNOWFLAKE_PASSWORD}@acme-xy123/analytics/public",
            "SNOWFLAKE_PASSWORD",
        ),
        (
            "sc://spark.example:15002/;token=PW;user_id=kpi",
            "sc://spark.example:15002/;token=${KPI_SPARK_TOKEN};user_id=kpi",
            "KPI_SPARK_TOKEN",
        ),
    ],
)
def test_each_scheme_s_documented_variable(tmp_path, given, expected, variable):
    result = run_import("cube", tmp_path / "ws", "--url", given)
    assert urls(tmp_path / "ws") == {expected}
    assert "=PW" not in written(tmp_path / "ws") and ":PW@" not in written(tmp_path / "ws")
    assert f"${{{variable}}}" in result.output


@pytest.mark.parametrize(
    "given",
    [
        "postgresql://kpi:${PGPASSWORD}@db/marketing",
        "postgresql://kpi@db/marketing?password=${PGPASSWORD}",
        "postgresql://kpi@db/marketing",
        "duckdb:///warehouse.duckdb",
        "${KPI_DATABASE_URL}",
    ],
)
def test_a_url_without_a_literal_password_is_written_as_given(tmp_path, given):
    result = run_import("cube", tmp_path / "ws", "--url", given)
    assert urls(tmp_path / "ws") == {given}
    assert "not written to kpi.yaml" not in result.output


def test_the_writer_never_writes_a_literal_password(tmp_path):
    """The library path too: a model whose source holds a URL with a password."""
    from kpiengine.interop.cube import import_cube
    from kpiengine.interop.writer import write_workspace

    model = import_cube(MODELS["cube"])
    model.use_database("postgresql://u:PW@h/db")
    write_workspace(model, tmp_path / "ws")
    assert urls(tmp_path / "ws") == {"postgresql://u:${PGPASSWORD}@h/db"}
