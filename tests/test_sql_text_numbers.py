"""A text column mapped as a number whose cells the database cannot cast (`1,234.50`, `12,5`,
`45%`, `—`): kpiengine's error names the source, the table (or the query), the column and the
cell, and says how to read it (a `query:` that cleans it, or CSV through `files:`), instead of
the database's own conversion error; never the URL's password.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

import kpiengine
from kpiengine.errors import KpiError

DEFINITIONS = (
    "variables:\n  fees: {unit: currency}\n  sales: {unit: currency}\n"
    "kpis:\n  revenue: {title: Revenue, formula: sales + fees, unit: currency}\n"
)
#: `fee` reads well; `amount` holds one cell of each messy kind after a good one
ROWS = [
    ("2024-01-02", "Email", "10.5", "1"),
    ("2024-01-03", "Email", "{cell}", "2"),
]
CELLS = ["1,234.50", "—", "12,5", "45%"]


def evaluate(root: Path, source: str):
    (root / "definitions").mkdir(parents=True, exist_ok=True)
    (root / "definitions" / "k.yaml").write_text(DEFINITIONS)
    (root / "kpi.yaml").write_text(
        f"currency: USD\nsources:\n  s:\n{source}    date: day\n"
        "    map: {fees: fee, sales: amount}\n"
    )
    return kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["revenue"])


def rows(cell: str) -> list[tuple[str, str, str, str]]:
    return [(d, c, a.format(cell=cell), f) for d, c, a, f in ROWS]


def assert_named(exc: KpiError, named: str, cell: str) -> None:
    text = str(exc)
    assert "source `s`" in text and named in text and "column `amount`" in text
    assert f"such as `{cell}`," in text  # the cell the database named
    assert "Conversion Error" not in text and "invalid input syntax" not in text
    assert "query:" in (exc.fix or "") and "CSV" in (exc.fix or "")
    assert re.search(r"kpi\.yaml:\d+", text)  # at the mapping


@pytest.mark.parametrize("cell", CELLS)
def test_duckdb_table_text_cell_is_named(tmp_path, cell):
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE sales (day DATE, channel VARCHAR, amount VARCHAR, fee VARCHAR)")
        con.executemany("INSERT INTO sales VALUES (?, ?, ?, ?)", rows(cell))
    source = f"    connector: sql\n    url: duckdb:///{path}\n    table: sales\n"
    with pytest.raises(KpiError) as caught:
        evaluate(tmp_path / "ws", source)
    assert_named(caught.value, "table `sales`", cell)


def test_a_query_over_a_parquet_file_is_named_as_the_query(tmp_path):
    parquet = tmp_path / "sales.parquet"
    with duckdb.connect() as con:
        con.execute("CREATE TABLE t (day DATE, channel VARCHAR, amount VARCHAR, fee VARCHAR)")
        con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows("1,234.50"))
        con.execute(f"COPY t TO '{parquet}' (FORMAT parquet)")
    source = (
        f"    connector: sql\n    url: duckdb://\n    files: {{sales: {parquet}}}\n"
        "    query: SELECT * FROM sales\n"
    )
    with pytest.raises(KpiError) as caught:
        evaluate(tmp_path / "ws", source)
    assert_named(caught.value, "the query", "1,234.50")
    assert "read the file as CSV" in (caught.value.fix or "")


def test_a_good_text_column_still_reads(tmp_path):
    """Text cells that are plain numbers are read as before (10.5 + 7.25, fees 1 + 2)."""
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE sales (day DATE, channel VARCHAR, amount VARCHAR, fee VARCHAR)")
        con.executemany("INSERT INTO sales VALUES (?, ?, ?, ?)", rows("7.25"))
    source = f"    connector: sql\n    url: duckdb:///{path}\n    table: sales\n"
    results = evaluate(tmp_path / "ws", source)
    values = [r["value"] for r in results.records() if r["period"] == "2024-01"]
    assert values == [20.75]


@pytest.mark.parametrize("cell", ["1,234.50", "45%"])
def test_postgres_table_text_cell_is_named_without_the_password(request, tmp_path, cell):
    import psycopg

    url = request.getfixturevalue("postgres_url")
    with psycopg.connect(url) as con:
        con.execute("DROP TABLE IF EXISTS sales")
        con.execute("CREATE TABLE sales (day date, channel text, amount text, fee text)")
        for row in rows(cell):
            con.execute("INSERT INTO sales VALUES (%s, %s, %s, %s)", row)
    secret = "s3cret-pw"  # the throw-away server trusts every password
    with_password = url.replace("://kpi@", f"://kpi:{secret}@")
    assert secret in with_password
    source = f"    connector: sql\n    url: {with_password}\n    table: sales\n"
    with pytest.raises(KpiError) as caught:
        evaluate(tmp_path / "ws", source)
    assert_named(caught.value, "table `sales`", cell)
    assert secret not in str(caught.value) and secret not in (caught.value.fix or "")
