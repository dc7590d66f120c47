"""No secret is printed: interpolated variables and URL passwords show as `***` everywhere.

The planted secret (`KPI_PLANTED_SECRET`, see secretguard.py) holds `&`, `%`, `?`, `#` and `/`,
the characters that broke URLs and leaked into libpq's messages.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from kpiengine.connectors._sql_url import DatabaseUrl, UrlError
from secretguard import PLANTED, contains_secret, files_with_secret, planted_on_purpose

import kpiengine
from kpiengine.cli import cli
from kpiengine.errors import KpiError
from kpiengine.redaction import redact

DEFS = """\
variables:
  revenue: {unit: currency}
  marketing_cost: {unit: currency}
"""
POSTGRES = os.environ.get("KPIENGINE_TEST_POSTGRES")


def sql_workspace(root: Path, url: str, extra: str = "    table: deals\n") -> Path:
    (root / "definitions").mkdir(parents=True, exist_ok=True)
    (root / "definitions" / "d.yaml").write_text(DEFS)
    (root / "kpi.yaml").write_text(
        f"sources:\n  db:\n    connector: sql\n    url: {url}\n{extra}"
        "    map: {revenue: amount, marketing_cost: cost}\n"
    )
    return root


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.output


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg2://kpi:${KPI_PLANTED_SECRET}@127.0.0.1:1/db",
        "postgresql+psycopg://kpi:${KPI_PLANTED_SECRET}@127.0.0.1:1/db",
        "postgresql://kpi@127.0.0.1:1/db?password=${KPI_PLANTED_SECRET}",
        "postgresql://kpi@127.0.0.1:1/db?password=${PGPASSWORD}",
        "duckdb:///${KPI_PLANTED_SECRET}.duckdb",
        "${KPIENGINE_PLANTED_URL}",
    ],
)
def test_a_failing_connection_never_prints_the_secret(tmp_path, monkeypatch, url):
    monkeypatch.setenv("PGPASSWORD", PLANTED)
    monkeypatch.setenv("KPIENGINE_PLANTED_URL", f"postgresql://kpi:{PLANTED}@127.0.0.1:1/db")
    root = sql_workspace(tmp_path / "ws", url)
    code, output = run("eval", "-w", str(root))
    assert code == 2 and "error:" in output
    assert not contains_secret(output)


def test_the_duckdb_path_with_a_secret_is_masked(tmp_path):
    root = sql_workspace(tmp_path / "ws", "duckdb:///${KPI_PLANTED_SECRET}.duckdb")
    code, output = run("eval", "-w", str(root))
    assert code == 2 and "no DuckDB database at" in output and "***" in output


def test_only_documented_variables_are_read(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME_SECRET_FOR_TEST", "not-for-workspaces")
    root = sql_workspace(tmp_path / "ws", "duckdb:///${HOME_SECRET_FOR_TEST}.duckdb")
    code, output = run("eval", "-w", str(root))
    assert code == 2 and "`${HOME_SECRET_FOR_TEST}` is not read" in output
    assert "not-for-workspaces" not in output and "${PGPASSWORD}" in output


def test_variables_are_interpolated_only_in_url(tmp_path):
    root = tmp_path / "ws"
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "d.yaml").write_text(DEFS)
    (root / "kpi.yaml").write_text(
        "sources:\n  f:\n    connector: csv\n    path: ${KPI_PLANTED_SECRET}.csv\n"
        "    map: {revenue: amount}\n"
    )
    code, output = run("eval", "-w", str(root))
    assert code == 2 and "${KPI_PLANTED_SECRET}.csv" in output


def test_substituted_values_are_url_encoded_and_reach_libpq_intact(monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "a&b%c?d#e f+g")
    url = DatabaseUrl.expand("postgresql://kpi@db.example:5433/sales?password=${PGPASSWORD}")
    assert "a&b" not in url.text and "a%26b%25c%3Fd%23e%20f%2Bg" in url.text
    params = url.postgres_params()
    assert params == {
        "host": "db.example",
        "port": "5433",
        "user": "kpi",
        "dbname": "sales",
        "password": "a&b%c?d#e f+g",
    }
    url = DatabaseUrl.expand("postgresql+psycopg2://kpi:${PGPASSWORD}@db/sales")
    assert url.dialect == "postgres" and url.postgres_params()["password"] == "a&b%c?d#e f+g"


def test_literal_url_passwords_are_secrets_too():
    url = DatabaseUrl.expand("postgresql://kpi:hunter%262@db/sales")
    assert url.redact("failed for hunter%262 and hunter&2") == "failed for *** and ***"
    with pytest.raises(UrlError, match="malformed") as caught:
        DatabaseUrl.expand("postgresql://kpi:topsecret@[::1:1/db")
    assert "topsecret" not in str(caught.value)


def test_a_malformed_url_is_a_usage_error(tmp_path):
    root = sql_workspace(tmp_path / "ws", "postgresql://kpi:x@[::1:1/db")
    code, output = run("eval", "-w", str(root))
    assert code == 2 and "malformed" in output and "Traceback" not in output


def test_redact_hides_longest_first():
    assert redact("pw=abcdef and abc", ["abc", "abcdef"]) == "pw=*** and ***"
    assert redact("nothing", []) == "nothing"


def test_a_plugin_failure_message_is_redacted_in_report_and_sarif(tmp_path, monkeypatch):
    """A connector failing with the URL in its exception: the KPI012 finding shows ***."""
    from kpiengine.connectors import sql

    db = tmp_path / "w.duckdb"
    import duckdb

    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE deals AS SELECT DATE '2024-01-05' AS date, 1.0 AS amount")
    monkeypatch.setenv("KPI_DB_FOLDER", str(tmp_path))

    def broken_fetch(self, request):
        secret = os.environ["KPI_PLANTED_SECRET"]
        raise RuntimeError(f"lost connection to {self.url.text} ({secret})")

    monkeypatch.setattr(sql.SqlConnector, "fetch", broken_fetch)
    root = tmp_path / "ws"
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "d.yaml").write_text(DEFS)
    (root / "data.csv").write_text("date,marketing_cost\n2024-01-05,10\n2024-02-05,12\n")
    (root / "kpi.yaml").write_text(
        "sources:\n  db:\n    connector: sql\n"
        "    url: duckdb:///${KPI_DB_FOLDER}/w.duckdb?key=${KPI_PLANTED_SECRET}\n"
        "    table: deals\n    map: {revenue: amount}\n"
        "  costs:\n    connector: csv\n    path: data.csv\n"
    )
    code, output = run("lint", "-w", str(root), "--format", "sarif")
    assert code == 1
    sarif = json.loads(output)
    messages = [r["message"]["text"] for r in sarif["runs"][0]["results"]]
    assert any("KPI012" in r["ruleId"] for r in sarif["runs"][0]["results"]), messages
    assert any("***" in m for m in messages)
    code, output = run("report", "-w", str(root), "-o", str(tmp_path / "r.html"))
    assert code == 1 and "***" in (tmp_path / "r.html").read_text()
    assert not files_with_secret(tmp_path)


def test_kpi_sql_prints_no_secret(tmp_path):
    root = sql_workspace(
        tmp_path / "ws",
        "postgresql://kpi:${KPI_PLANTED_SECRET}@db/sales",
        "    table: deals\n    dialect: snowflake\n",
    )
    code, output = run("sql", "-w", str(root), "--source", "db", "--kpi", "roi")
    assert code in (0, 1) and "SELECT" in output
    assert not contains_secret(output)


@pytest.mark.skipif(not POSTGRES, reason="no PostgreSQL (set KPIENGINE_TEST_POSTGRES)")
def test_postgres_with_a_secret_password_runs_and_errors_stay_clean(tmp_path):
    """Trust authentication ignores the password: the URL with the secret connects, and the
    database's own error about the missing table prints no secret."""
    assert POSTGRES is not None
    host = POSTGRES.split("@", 1)[1]
    root = sql_workspace(
        tmp_path / "ws", f"postgresql://kpi:${{KPI_PLANTED_SECRET}}@{host}", "    table: nope\n"
    )
    with pytest.raises(KpiError, match="the database said: .*nope") as caught:
        kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["roi"])
    assert not contains_secret(str(caught.value))


def test_the_guard_catches_a_leak(tmp_path):
    """The suite-wide guard (secretguard.py) can fail: it sees the secret in a file."""
    with planted_on_purpose():
        (tmp_path / "leak.txt").write_text(f"password={PLANTED}")
        assert files_with_secret(tmp_path) == [tmp_path / "leak.txt"]
        (tmp_path / "leak.txt").unlink()
        assert contains_secret("x Pl4nted%26S3cr%25t%3F%23q9Z%2Fx y")
        assert not contains_secret("x *** y")
