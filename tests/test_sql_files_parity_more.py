"""More of "one reading layer": a file read by a `sql` source's `files:` gives the numbers and
errors the `csv` connector gives for the same file. Missing marks are not counted by `count:
COLUMN`, a grand totals row is checked, subtotal rows are left out, a `query:` reads the cells of
the mapped columns by the currency and decimal rules of `table:`, a `where:` value differing only
in case stops both, and a Parquet date in year 999 is refused. Expected values are by hand or
with the csv module.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest

import kpiengine
from kpiengine.errors import KpiError

DEFS = (
    "variables:\n"
    "  amt: {unit: currency, aggregate: sum}\n"
    "  cnt: {unit: leads, aggregate: sum}\n"
    "kpis:\n"
    "  k_amt: {formula: amt, unit: currency, format: number, direction: higher}\n"
    "  k_cnt: {formula: cnt, unit: leads, format: number, direction: higher}\n"
)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-12-07")


def workspaces(tmp: Path, data: str, source: str, currency: str = "USD", sql: str = "") -> list:
    """A csv source and a sql `files:` source (`table: t`, or `sql` instead) reading data.csv,
    both with the `source` lines (dimensions, map)."""
    roots = []
    for kind in ("csv", "sql"):
        root = tmp / kind
        (root / "definitions").mkdir(parents=True)
        (root / "definitions" / "d.yaml").write_text(DEFS)
        (root / "data.csv").write_text(data, encoding="utf-8")
        head = (
            "    connector: csv\n    path: data.csv\n"
            if kind == "csv"
            else '    connector: sql\n    url: "duckdb://"\n    files: {t: data.csv}\n'
            + (sql or "    table: t\n")
            + "    date: date\n"
        )
        (root / "kpi.yaml").write_text(f"currency: {currency}\nsources:\n  s:\n{head}{source}")
        roots.append(root)
    return roots


def values(root: Path, kpi: str, by: list[str] | None = None):
    results = kpiengine.evaluate(
        kpiengine.load_workspace(root), grain="month", by=by or [], kpis=[kpi]
    )
    found = {
        (r["period"], r["segment"].get("channel", "")): r["value"]
        for r in results.records()
        if r["value"] is not None
    }
    return found, [f for f in results.findings if f.code == "KPI016"]


def error_of(root: Path, kpi: str) -> KpiError:
    with pytest.raises(KpiError) as caught:
        values(root, kpi)
    return caught.value


def counted(data: str, column: str) -> float:
    """Rows whose cell holds a value (not blank, not a missing mark), by the csv module."""
    marks = {"", "n/a", "—", "(not set)"}
    return float(
        sum(r[column].strip().lower() not in marks for r in csv.DictReader(io.StringIO(data)))
    )


# --- 1. `count: COLUMN` leaves missing marks out -------------------------------------------------

MISSING = (
    "date,amount,email\n2024-01-15,100,a@x.com\n2024-01-15,n/a,n/a\n"
    "2024-01-16,—,(not set)\n2024-01-16,0,b@x.com\n"
)


@pytest.mark.parametrize("column", ["amount", "email"])
def test_count_column_leaves_missing_marks_out(tmp_path, column):
    csv_root, sql_root = workspaces(tmp_path, MISSING, f"    map: {{cnt: {{count: {column}}}}}\n")
    expected = counted(MISSING, column)
    assert expected == 2.0
    assert (
        values(sql_root, "k_cnt")[0] == values(csv_root, "k_cnt")[0] == {("2024-01", ""): expected}
    )


# --- 2. the grand totals row is checked ----------------------------------------------------------


def test_rows_short_of_the_grand_total_stop_both(tmp_path):
    data = "date,amt\n2024-01-05,100\n2024-01-06,200\nTotal,400\n"
    csv_root, sql_root = workspaces(tmp_path, data, "    map: {amt: amt}\n")
    said = error_of(sql_root, "k_amt")
    assert str(said) == str(error_of(csv_root, "k_amt"))
    assert str(said.location) == "data.csv:4:7"  # the total's cell
    assert "add up to 300 in column `amt` but `Total` says 400, 100 more" in said.message


def test_rows_beyond_the_grand_total_warn_in_both(tmp_path):
    data = "date,amt\n2024-01-05,100\n2024-01-06,200\nTotal,250\n"
    csv_root, sql_root = workspaces(tmp_path, data, "    map: {amt: amt}\n")
    (csv_values, csv_warnings), (sql_values, sql_warnings) = (
        values(csv_root, "k_amt"),
        values(sql_root, "k_amt"),
    )
    assert sql_values == csv_values == {("2024-01", ""): 300.0}
    assert [w.message for w in sql_warnings] == [w.message for w in csv_warnings]
    assert len(sql_warnings) == 1 and "50 less; the rows are counted" in sql_warnings[0].message


def test_a_grand_total_that_agrees_says_nothing(tmp_path):
    data = "date,amt\n2024-01-05,100.5\n2024-01-06,200.25\nTotal,300.75\n"
    _, sql_root = workspaces(tmp_path, data, "    map: {amt: amt}\n")
    assert values(sql_root, "k_amt") == ({("2024-01", ""): 300.75}, [])


# --- 3. subtotal rows are left out ---------------------------------------------------------------

SUBTOTAL = "date,channel,amt\n2024-01-05,Search,100\n2024-01-05,Email,200\n2024-01-05,Total,300\n"


@pytest.mark.parametrize("by", [None, ["channel"]])
def test_subtotal_rows_are_left_out(tmp_path, by):
    source = "    dimensions: {channel: channel}\n    map: {amt: amt}\n"
    csv_root, sql_root = workspaces(tmp_path, SUBTOTAL, source)
    rows = [r for r in csv.DictReader(io.StringIO(SUBTOTAL)) if r["channel"] != "Total"]
    expected = {("2024-01", ""): sum(float(r["amt"]) for r in rows)}
    if by:
        expected |= {("2024-01", r["channel"]): float(r["amt"]) for r in rows}
    assert values(sql_root, "k_amt", by)[0] == values(csv_root, "k_amt", by)[0] == expected


def test_subtotal_rows_beyond_the_sample_are_left_out_of_a_grouped_answer(tmp_path):
    rows = [f"2024-01-{1 + i % 28:02d},Search,1" for i in range(3000)]
    data = "date,channel,amt\n" + "\n".join(rows) + "\n2024-02-01,Search,5\n2024-02-01,Total,5\n"
    source = "    dimensions: {channel: channel}\n    map: {amt: amt}\n"
    _, sql_root = workspaces(tmp_path, data, source)
    found = values(sql_root, "k_amt", ["channel"])[0]
    assert found == {
        ("2024-01", ""): 3000.0,
        ("2024-01", "Search"): 3000.0,
        ("2024-02", ""): 5.0,
        ("2024-02", "Search"): 5.0,
    }


# --- 4. and 7. a query reads the mapped columns' cells as `table:` does --------------------------


@pytest.mark.parametrize(
    ("data", "currency", "said"),
    [
        ("date,amt\n2024-01-15,5 €\n2024-01-16,1.250 €\n", "USD", "column `amt` is in EUR"),
        ("date,amt\n2024-01-15,1.250\n2024-01-16,2.000\n", "KWD", "KWD amounts have three"),
    ],
)
def test_a_query_checks_currencies_and_decimals_as_table_does(tmp_path, data, currency, said):
    csv_root, sql_root = workspaces(
        tmp_path, data, "    map: {amt: amt}\n", currency, sql="    query: SELECT * FROM t\n"
    )
    error = error_of(sql_root, "k_amt")
    assert str(error) == str(error_of(csv_root, "k_amt"))
    assert str(error.location) == "data.csv:2:12" and said in error.message


def test_a_query_reads_a_column_of_missing_marks_as_missing(tmp_path):
    rows = "".join(f"2024-01-{1 + i % 28:02d},{'—' if i % 2 else 'n/a'}\n" for i in range(2100))
    data = "date,amt\n" + rows + "2024-02-01,7\n"
    csv_root, sql_root = workspaces(
        tmp_path, data, "    map: {amt: amt}\n", sql="    query: SELECT date, amt FROM t\n"
    )
    assert values(sql_root, "k_amt")[0] == values(csv_root, "k_amt")[0] == {("2024-02", ""): 7.0}


# --- 5. `where:` values compare alike ------------------------------------------------------------

STAGES = "date,stage\n2024-01-15,Closed Won\n2024-01-16,Open\n"


def test_a_where_value_differing_in_case_stops_both(tmp_path):
    source = "    map: {cnt: {count: true, where: {stage: [Closed won]}}}\n"
    csv_root, sql_root = workspaces(tmp_path, STAGES, source)
    said = error_of(sql_root, "k_cnt")
    assert said.message == error_of(csv_root, "k_cnt").message
    assert said.fix == "write `Closed Won`" and str(said.location).endswith("kpi.yaml:9:16")


def test_a_where_value_no_cell_holds_warns_in_both(tmp_path):
    source = "    map: {cnt: {count: true, where: {stage: [Closed lost]}}}\n"
    csv_root, sql_root = workspaces(tmp_path, STAGES, source)
    (csv_values, csv_warnings), (sql_values, sql_warnings) = (
        values(csv_root, "k_cnt"),
        values(sql_root, "k_cnt"),
    )
    assert sql_values == csv_values == {("2024-01", ""): 0.0}
    assert [w.message for w in sql_warnings] == [w.message for w in csv_warnings]
    assert "did you mean `Closed Won`?" in sql_warnings[0].message


# --- 6. Parquet dates outside years 1000 to 2999 -------------------------------------------------


def test_a_parquet_date_in_year_999_is_refused(tmp_path):
    root = tmp_path / "ws"
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "d.yaml").write_text(DEFS)
    path = root / "data.parquet"
    duckdb.sql(
        "SELECT DATE '0999-01-15' AS date, 5.0 AS amt UNION ALL SELECT DATE '2024-01-15', 7.0"
    ).write_parquet(str(path))
    (root / "kpi.yaml").write_text(
        'currency: USD\nsources:\n  s:\n    connector: sql\n    url: "duckdb://"\n'
        f"    files: {{t: {json.dumps(str(path))}}}\n    table: t\n    map: {{amt: amt}}\n"
    )
    said = error_of(root, "k_amt")
    assert "0999-01-15" in said.message and "years 1000 to 2999" in said.message
    assert said.location is not None and said.location.file == "data.parquet"


# --- 8. a percentage in a column of amounts is the scan's error at its cell ----------------------


def test_a_percentage_among_amounts_is_named_at_its_cell(tmp_path):
    _, sql_root = workspaces(
        tmp_path, "date,amt\n2024-01-15,120\n2024-01-16,45%\n", "    map: {amt: amt}\n"
    )
    said = error_of(sql_root, "k_amt")
    assert str(said.location) == "data.csv:3:12"
    assert (
        said.message
        == "expected an amount in column `amt`, found `45%` (a percentage in a column of amounts)"
    )


def test_decimal_of_leaves_percentages_to_columns_whose_kind_refuses_them(tmp_path):
    from kpiengine.fileformats.tables import open_tables
    from kpiengine.filesource import decimal_of

    path = tmp_path / "d.csv"
    path.write_text("date,amt,n\n2024-01-15,120,3\n2024-01-16,45%,45%\n")
    table = open_tables(path, "d.csv")[0]
    with pytest.raises(KpiError, match="mixes percentages"):
        decimal_of(table, ["amt"])
    assert decimal_of(table, ["amt"], quantities={"amt": "amount"}) == "."
    assert decimal_of(table, ["n"], whole=["n"]) == "."
    with pytest.raises(KpiError, match="mixes percentages"):
        decimal_of(table, ["amt"], quantities={"amt": "rate"})
