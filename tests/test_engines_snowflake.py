"""Snowflake through fakesnow (Snowflake's SQL emulated on DuckDB): the connector's plumbing
(URL, connection keywords, translated query, result names) gives the DuckDB values. It does not
prove Snowflake's own semantics; the generated query is also a golden snapshot."""

from __future__ import annotations

import fakesnow  # a test dependency (pinned in the `test` extra): missing it fails, not skips

import kpiengine

ROWS = [
    ("2024-01-03", "Email", 120.5, 40.0),
    ("2024-01-20", "Ads", 300.0, 250.25),
    ("2024-02-11", "Email", 80.0, 30.0),
]


def values(root):
    results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["roi"], by=["channel"])
    return sorted((r["period"], str(r["segment"]), r["value"]) for r in results.records())


def write(root, url, extra=""):
    root.mkdir(parents=True)
    (root / "kpi.yaml").write_text(
        f"sources:\n  deals:\n    connector: sql\n    url: {url}\n    table: deals\n{extra}"
        "    dimensions: [channel]\n    map: {revenue: revenue, marketing_cost: marketing_cost}\n"
    )
    return root


def test_snowflake_on_fakesnow_gives_duckdbs_values(tmp_path):
    lines = ["date,channel,revenue,marketing_cost", *(",".join(map(str, r)) for r in ROWS)]
    (tmp_path / "deals.csv").write_text("\n".join(lines) + "\n")
    expected = values(
        write(tmp_path / "d", "duckdb://", f"    files: {{deals: {tmp_path / 'deals.csv'}}}\n")
    )
    with fakesnow.patch():
        import snowflake.connector

        with snowflake.connector.connect(database="db", schema="s") as con:
            cur = con.cursor()
            cur.execute("CREATE DATABASE IF NOT EXISTS db")
            cur.execute("CREATE SCHEMA IF NOT EXISTS db.s")
            cur.execute(
                'CREATE TABLE db.s.deals ("date" DATE, "channel" TEXT, "revenue" DOUBLE, '
                '"marketing_cost" DOUBLE)'
            )
            for row in ROWS:
                cur.execute("INSERT INTO db.s.deals VALUES (%s, %s, %s, %s)", row)
        got = values(write(tmp_path / "s", "snowflake://kpi@account/db/s"))
    assert got == expected and expected
