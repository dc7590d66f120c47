"""Dates DuckDB types but the date grammar refuses are bad cells, wherever they are.

A csv column whose sampled cells are ISO days is read as a DuckDB TIMESTAMP, and DuckDB takes
`-2023-01-05` (a day of 2024 BC) and years past 9999's digits; a Parquet file can hold a
`9999-12-31` placeholder. The grammar reads years 1000 to 2999 (`%Y`): any other typed day is a
bad cell at its place, never a span of millennia or a connector failure (KPI012).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

import kpiengine
from kpiengine.errors import KpiError

DEFINITIONS = """\
variables:
  revenue: {unit: currency, aggregate: sum}
kpis:
  rev: {title: Revenue, formula: revenue, unit: currency, format: currency}
"""


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-12-01")


def workspace(root, data: str):
    (root / "definitions").mkdir()
    (root / "definitions" / "k.yaml").write_text(DEFINITIONS)
    (root / "kpi.yaml").write_text(f"currency: USD\ndata: {data}\n")
    return kpiengine.load_workspace(root)


def test_a_year_before_1000_past_the_sample_is_a_bad_cell_at_its_line(tmp_path):
    first = dt.date(2020, 1, 1)
    lines = ["date,revenue"]
    for i in range(3000):  # past the sniffed sample (2,000 rows type the column)
        day = (first + dt.timedelta(days=i % 1500)).isoformat()
        lines.append(f"{'-' + day if i == 2600 else day},{i % 97}")
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n")
    bad = lines[2601].split(",")[0]
    with pytest.raises(KpiError) as caught:
        kpiengine.evaluate(workspace(tmp_path, "data.csv"), kpis=["rev"])
    # the header is line 1, row i is line i + 2
    assert str(caught.value).startswith("data.csv:2602:1: expected a date like %Y-%m-%d")
    assert f"found `{bad}`" in str(caught.value)


def test_a_parquet_placeholder_date_is_a_bad_cell(tmp_path):
    path = tmp_path / "p.parquet"
    duckdb.sql(
        "COPY (SELECT * FROM (VALUES (DATE '2024-01-05', 10.0), (DATE '9999-12-31', 3.0),"
        f" (DATE '2024-02-05', 12.0)) t(date, revenue)) TO '{path}' (FORMAT parquet)"
    )
    with pytest.raises(KpiError) as caught:
        kpiengine.evaluate(workspace(tmp_path, "p.parquet"), kpis=["rev"])
    assert "found `9999-12-31`" in str(caught.value)


def test_typed_dates_within_the_years_are_read(tmp_path):
    path = tmp_path / "p.parquet"
    duckdb.sql(
        "COPY (SELECT * FROM (VALUES (DATE '2024-01-05', 10.0), (DATE '2024-01-20', 3.0),"
        f" (DATE '2024-02-05', 12.0)) t(date, revenue)) TO '{path}' (FORMAT parquet)"
    )
    results = kpiengine.evaluate(workspace(tmp_path, "p.parquet"), kpis=["rev"])
    values = dict(zip(results.labels, results.kpis["rev"].values[:, 0], strict=True))
    assert values["2024-01"] == 13.0 and values["2024-02"] == 12.0


@pytest.mark.parametrize("kind", ["DATE", "TIMESTAMP"])
@pytest.mark.parametrize("placeholder", ["infinity", "-infinity", "0999-06-30", "3000-01-01"])
def test_a_typed_day_beyond_the_years_is_a_bad_cell_in_any_row(tmp_path, kind, placeholder):
    # typed days are read without a test per row, their first and last days checked: a day
    # beyond the years (or one DuckDB cannot hand over, `infinity`) is then found row by row
    path = tmp_path / "p.parquet"
    duckdb.sql(
        f"COPY (SELECT CAST(d AS {kind}) AS date, revenue FROM (VALUES ('2024-01-05', 10.0), "
        f"('{placeholder}', 3.0), ('2024-02-05', 12.0)) t(d, revenue)) TO '{path}' "
        "(FORMAT parquet)"
    )
    with pytest.raises(KpiError) as caught:
        kpiengine.evaluate(workspace(tmp_path, "p.parquet"), kpis=["rev"])
    assert "p.parquet" in str(caught.value)
    assert "expected a date like %Y-%m-%d in column `date`" in str(caught.value)
    assert f"found `{placeholder}" in str(caught.value)  # a timestamp's time may follow
