"""A file whose first bytes do not tell its encoding (an Excel CSV, Windows-1252, whose first
`é` or `€` comes past its first 256 KiB), read where the query is not the run's cached copy:

- a file larger than `tables.CACHE_BYTES` (32 MB) is scanned where it lies (`Scan.try_run`):
  DuckDB rejecting its bytes, the scan reads it again in the encoding of its every byte;
- the `sql` connector's `files:` write each CSV file as Parquet with their own query, read
  again so too.

The threshold is lowered here (`CACHE_BYTES`, a module constant) rather than writing 32 MB.
The files are those of `test_late_encoding`; the expected sums are worked out with the csv
module.
"""

import csv
import io
from collections import Counter

import kpiengine.connectors._sql_csv as sql_csv
import pytest
from test_late_encoding import csv_conn, excel_csv, expected, got

import kpiengine
import kpiengine.fileformats.tables as tables
import kpiengine.filescan as filescan
from kpiengine.fileformats.encodings import HEAD_BYTES, TAIL_BYTES

LATE = {
    "é and €": ["15.02.2024;Réseau;2.000,00 €"],  # read from a UTF-8 copy
    "é alone": ["15.02.2024;Réseau;2.000,00"],  # DuckDB's latin-1
}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-01")


def spy(monkeypatch, module):
    """The answers of `module.reencoded` (the retry asked for), recorded."""
    answers = []
    real = module.reencoded
    monkeypatch.setattr(module, "reencoded", lambda *a: answers.append(real(*a)) or answers[-1])
    return answers


@pytest.mark.parametrize("late", LATE)
def test_a_file_past_the_cached_size_reads_its_late_accents(tmp_path, monkeypatch, late):
    monkeypatch.setattr(tables, "CACHE_BYTES", 0)  # every file is scanned where it lies
    retries = spy(monkeypatch, filescan)
    data = excel_csv(late=LATE[late])
    assert HEAD_BYTES < data.index(b"\xe9") < len(data) - TAIL_BYTES
    assert got(csv_conn(tmp_path, data)) == expected(data)
    assert retries == [True]  # the scan's query, run again


def sql_workspace(root, data):
    (root / "d.csv").write_bytes(data)
    (root / "definitions").mkdir()
    (root / "definitions" / "k.yaml").write_text(
        "variables:\n  cost: {unit: currency, aggregate: sum}\n"
        "kpis:\n  spend: {title: Spend, formula: cost, unit: currency, format: number}\n"
    )
    (root / "kpi.yaml").write_text(
        "currency: EUR\nsources:\n  s:\n    connector: sql\n    url: 'duckdb://'\n"
        "    files: {t: d.csv}\n    table: t\n    date: Datum\n    map: {cost: Betrag}\n"
    )
    return kpiengine.load_workspace(root)


def by_month(data):
    """{YYYY-MM: cost} read with the csv module (German amounts, `€` after some)."""
    out = Counter()
    for row in csv.DictReader(io.StringIO(data.decode("cp1252"), newline=""), delimiter=";"):
        amount = row["Betrag"].replace("€", "").strip().replace(".", "").replace(",", ".")
        out[f"{row['Datum'][6:]}-{row['Datum'][3:5]}"] += float(amount)
    return dict(out)


@pytest.mark.parametrize("late", LATE)
def test_the_sql_connector_writes_a_late_accents_file_as_parquet(tmp_path, monkeypatch, late):
    retries = spy(monkeypatch, sql_csv)
    data = excel_csv(late=LATE[late])
    result = kpiengine.evaluate(sql_workspace(tmp_path, data), kpis=["spend"], grain="month")
    values = {r["period"]: r["value"] for r in result.records() if r["value"] is not None}
    assert values == pytest.approx(by_month(data))
    assert set(values) == {"2024-01", "2024-02"}
    assert retries == [True]  # its Parquet file written again
