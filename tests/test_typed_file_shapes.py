"""Parquet and JSON files as real exports write them: repeated column names, headers spelt
in another case than a CSV's of the same glob, a cell past DuckDB's type sample, `.json`
files (lines or an array), numbers in a date column, an empty file."""

from __future__ import annotations

import datetime as dt
import json

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


def evaluate(root, data: str, column: str = "rev") -> dict[str, float]:
    (root / "definitions").mkdir()
    (root / "definitions" / "k.yaml").write_text(DEFINITIONS)
    (root / "kpi.yaml").write_text(
        "currency: USD\nsources:\n"
        f"  s: {{connector: csv, path: '{data}', date: date, map: {{revenue: {column}}}}}\n"
    )
    results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["rev"])
    values = results.kpis["rev"].values[:, 0]
    return {p: v for p, v in zip(results.labels, values, strict=True) if v == v}


def error(root, data: str, column: str = "rev") -> str:
    with pytest.raises(KpiError) as caught:
        evaluate(root, data, column)
    return str(caught.value)


def lines(path, rows) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


# --- 1. repeated names ----------------------------------------------------------------------


def test_a_parquet_file_with_two_columns_of_one_name_is_an_error(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table(
        [pa.array([dt.date(2024, 1, 1)]), pa.array([1.0]), pa.array([2.0])],
        names=["date", "rev", "rev"],
    )
    pq.write_table(table, tmp_path / "dup.parquet")
    message = error(tmp_path, "dup.parquet")
    assert message.startswith("dup.parquet: two columns are named `rev`: columns 2 and 3")


def test_a_json_object_with_a_key_twice_is_an_error_at_its_line(tmp_path):
    (tmp_path / "d.ndjson").write_text(
        '{"date":"2024-01-01","rev":1}\n{"date":"2024-01-02","rev":1,"rev":2}\n'
    )
    message = error(tmp_path, "d.ndjson")
    assert message.startswith("d.ndjson:2:1: two columns are named `rev`: keys 2 and 3")


def test_json_keys_differing_in_case_are_an_error_naming_both(tmp_path):
    (tmp_path / "d.ndjson").write_text(
        '{"date":"2024-01-01","Rev":1}\n{"date":"2024-01-02","rev":2}\n'
    )
    message = error(tmp_path, "d.ndjson")
    assert message.startswith("d.ndjson:2:1: two columns are named `Rev` and `rev`")
    assert "`Rev` on line 1" in message


def test_a_csv_header_repeating_a_name_in_another_case_names_both_as_written(tmp_path):
    (tmp_path / "dup.csv").write_text("date,Rev,rev\n2024-01-01,1,2\n")
    message = error(tmp_path, "dup.csv")
    assert message.startswith("dup.csv:1:10: two columns are named `Rev` and `rev`")
    assert "columns 2 and 3 of the header" in message


# --- 2. a glob of CSV and Parquet -----------------------------------------------------------


def test_csv_and_parquet_headers_differing_in_case_are_read_together(tmp_path):
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "a.csv").write_text("Date,Rev\n2024-02-13,2.00\n")
    path = tmp_path / "g" / "b.parquet"
    duckdb.sql(
        "COPY (SELECT DATE '2024-01-03' AS date, 5.25::DECIMAL(18,2) AS rev) "
        f"TO '{path}' (FORMAT parquet)"
    )
    assert evaluate(tmp_path, "g/*") == {"2024-01": 5.25, "2024-02": 2.0}


# --- 3. NDJSON past DuckDB's type sample --------------------------------------------------

ROWS = 21000  # past DuckDB's JSON sample (20,480 rows type a column)


def test_a_text_number_past_the_json_sample_is_read_by_the_number_grammar(tmp_path):
    rows = [{"date": f"2024-01-{i % 28 + 1:02d}", "rev": 1} for i in range(ROWS)]
    lines(tmp_path / "late.ndjson", [*rows, {"date": "2024-01-09", "rev": "1,234.50"}])
    assert evaluate(tmp_path, "late.ndjson") == {"2024-01": ROWS + 1234.5}


def test_an_object_past_the_json_sample_is_a_bad_cell_at_its_line(tmp_path):
    rows = [{"date": f"2024-01-{i % 28 + 1:02d}", "rev": 1} for i in range(ROWS)]
    lines(tmp_path / "nest.ndjson", [*rows, {"date": "2024-01-09", "rev": {"a": 1}}])
    message = error(tmp_path, "nest.ndjson")
    assert message.startswith(f"nest.ndjson:{ROWS + 1}:")
    assert '`{"a":1}`' in message


def test_a_cut_last_json_line_is_an_error_at_its_line(tmp_path):
    lines(tmp_path / "cut.ndjson", [{"date": "2024-01-01", "rev": 1}] * 3)
    with (tmp_path / "cut.ndjson").open("a") as handle:
        handle.write('{"date":"2024-01-09","re')
    message = error(tmp_path, "cut.ndjson")
    assert message.startswith("cut.ndjson:4:22: cannot read this line as JSON")


# --- 4. `.json` files -----------------------------------------------------------------------


def test_json_lines_named_json_are_read_as_json(tmp_path):
    (tmp_path / "lines.json").write_text(
        '{"date":"2024-01-01","rev":1.5}\n{"date":"2024-01-02","rev":2}\n'
    )
    assert evaluate(tmp_path, "lines.json") == {"2024-01": 3.5}


def test_a_pretty_printed_json_array_is_read(tmp_path):
    rows = [{"date": "2024-01-01", "rev": 1.5}, {"date": "2024-02-02", "rev": 2}]
    (tmp_path / "a.json").write_text(json.dumps(rows, indent=2))
    assert evaluate(tmp_path, "a.json") == {"2024-01": 1.5, "2024-02": 2.0}


def test_delimited_text_named_json_is_still_read_as_csv(tmp_path):
    (tmp_path / "x.json").write_text("date,rev\n2024-01-01,3\n")
    assert evaluate(tmp_path, "x.json") == {"2024-01": 3.0}


# --- 5. messages ----------------------------------------------------------------------------


def test_a_parquet_date_column_of_numbers_says_so(tmp_path):
    path = tmp_path / "d.parquet"
    duckdb.sql(
        "COPY (SELECT * FROM (VALUES (45306::BIGINT, 1.0), (45307::BIGINT, 2.0)) t(date, rev)) "
        f"TO '{path}' (FORMAT parquet)"
    )
    message = error(tmp_path, "d.parquet")
    assert message.startswith("d.parquet: the date column `date` is a Parquet BIGINT column")
    assert "45306 would be 2024-01-15" in message  # 1899-12-30 + 45306 days


def test_an_empty_json_lines_file_says_it_is_empty(tmp_path):
    (tmp_path / "e.ndjson").write_text("")
    assert error(tmp_path, "e.ndjson").startswith("e.ndjson: the file is empty")


@pytest.mark.parametrize(
    ("sql", "shown"),
    [("true", "BOOLEAN"), ("[1.5]", "DECIMAL(2,1)[]"), ("{'v': 1.5}", "STRUCT(v DECIMAL(2,1))")],
)
def test_a_parquet_column_of_no_numbers_is_an_input_error_not_a_plugin_failure(
    tmp_path, sql, shown
):
    duckdb.sql(
        f"COPY (SELECT DATE '2024-01-05' AS date, {sql} AS rev) "
        f"TO '{tmp_path / 'data.parquet'}' (FORMAT parquet)"
    )
    message = error(tmp_path, "data.parquet")
    assert message.startswith("data.parquet: expected") and f"found {shown} values" in message
    assert "connector" not in message  # not KPI012: the file is at fault, not the plugin


def test_a_parquet_column_of_nulls_only_holds_no_values(tmp_path):
    """pandas writes a column of `None`s with DuckDB's type `"NULL"`: no values, no error."""
    duckdb.sql(
        "COPY (SELECT DATE '2024-01-05' AS date, NULL AS rev UNION ALL "
        f"SELECT DATE '2024-02-05', NULL) TO '{tmp_path / 'data.parquet'}' (FORMAT parquet)"
    )
    assert evaluate(tmp_path, "data.parquet") == {}
