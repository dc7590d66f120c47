"""Number columns of a `sql` source's database table read as numbers: PostgreSQL NUMERIC's `NaN`
is a missing value and its `Infinity` an error naming the column (as a float's); a NaN is no
value for `count:` and `distinct:`; `where:` compares a number column's cells as numbers; a text
column of formatted numbers gets a fix in the database's own SQL.

Expected values are written by hand from the rows below.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import sqlglot
from test_sql_renames import connector

import kpiengine
from connectors._sql_types import not_a_number
from kpiengine.connector import Request
from kpiengine.errors import KpiError
from kpiengine.model import Aggregate
from kpiengine.sourceconfig import Mapping
from kpiengine.sqlgen import GENERATED_DIALECTS, TESTED_DIALECTS

DEFINITIONS = (
    "units: [things]\nvariables:\n  amt: {unit: currency}\n  n: {unit: things}\n"
    "  ids: {unit: things, aggregate: distinct}\n"
    "kpis:\n  k_amt: {title: Amount, formula: amt, unit: currency}\n"
    "  k_n: {title: Count, formula: n, unit: things}\n"
    "  k_ids: {title: Distinct, formula: ids, unit: things}\n"
)
#: January: 10.10 (a), NaN (a), 2 (b); February 5 (a). `amount` NUMERIC, `f` a float
ROWS = [
    ("2024-01-05", "a", "10.10", "10.1"),
    ("2024-01-06", "a", "NaN", "NaN"),
    ("2024-01-07", "b", "2", "2"),
    ("2024-02-01", "a", "5", "5"),
]
#: by hand: NaN left out; channel a's January is 10.10, not "no data"
AMOUNT = {
    ("2024-01", ""): 12.10,
    ("2024-01", "a"): 10.10,
    ("2024-01", "b"): 2.0,
    ("2024-02", ""): 5.0,
    ("2024-02", "a"): 5.0,
}
#: three January rows, one NaN: two values, two distinct ones
COUNTED = {("2024-01", ""): 2.0, ("2024-01", "a"): 1.0, ("2024-02", ""): 1.0}


def workspace(root: Path, source: str, mapping: str, kpis: list[str], by: list[str]):
    (root / "definitions").mkdir(parents=True, exist_ok=True)
    (root / "definitions" / "k.yaml").write_text(DEFINITIONS)
    (root / "kpi.yaml").write_text(
        f"currency: EUR\nsources:\n  s:\n{source}    date: d\n"
        f"    dimensions: {{channel: ch}}\n    map: {mapping}\n"
    )
    return kpiengine.evaluate(kpiengine.load_workspace(root), kpis=kpis, by=by)


def cells(results, kpi: str) -> dict[tuple[str, str], float]:
    return {
        (r["period"], r["segment"].get("channel", "")): r["value"]
        for r in results.records()
        if r["kpi"] == kpi and r["value"] is not None
    }


def postgres(request, *statements: str) -> str:
    import psycopg

    url = request.getfixturevalue("postgres_url")
    with psycopg.connect(url) as con:
        for statement in statements:
            con.execute(statement)
    return "    connector: sql\n    url: ${KPIENGINE_TEST_POSTGRES}\n"


def pg_rows(request) -> str:
    values = ", ".join(f"('{d}', '{c}', '{a}', '{f}')" for d, c, a, f in ROWS)
    return postgres(
        request,
        "DROP TABLE IF EXISTS r3",
        "CREATE TABLE r3 (d date, ch text, amount numeric(18,2), f float8)",
        f"INSERT INTO r3 VALUES {values}",
    )


def test_postgres_numeric_nan_is_a_missing_value(request, tmp_path):
    """Was: January's sum NaN, shown as "no data"; by channel, a "no data" and the total 2."""
    source = pg_rows(request) + "    table: r3\n"
    results = workspace(tmp_path, source, "{amt: amount}", ["k_amt"], ["channel"])
    got = {k: round(v, 9) for k, v in cells(results, "k_amt").items()}
    assert got.items() >= AMOUNT.items(), got


@pytest.mark.parametrize("engine", ["postgres", "duckdb"])
def test_count_and_distinct_leave_a_float_nan_out(request, tmp_path, engine):
    """Was: 3 values and 3 distinct ones in January (NaN counted), where `files:` gives 2."""
    if engine == "postgres":
        source = pg_rows(request) + "    table: r3\n"
    else:
        path = tmp_path / "w.duckdb"
        with duckdb.connect(str(path)) as con:
            con.execute("CREATE TABLE r3 (d DATE, ch VARCHAR, amount DECIMAL(18,2), f DOUBLE)")
            con.executemany(
                "INSERT INTO r3 VALUES (?, ?, ?, ?)",
                [(d, c, None if a == "NaN" else a, float(f)) for d, c, a, f in ROWS],
            )
        source = f"    connector: sql\n    url: duckdb:///{path}\n    table: r3\n"
    mapping = "{n: {count: f}, ids: {distinct: f}}"
    results = workspace(tmp_path / "ws", source, mapping, ["k_n", "k_ids"], ["channel"])
    assert cells(results, "k_n").items() >= COUNTED.items()
    assert cells(results, "k_ids").items() >= COUNTED.items()


@pytest.mark.parametrize("dialect", [*TESTED_DIALECTS, *GENERATED_DIALECTS])
def test_every_dialect_counts_no_nan(dialect):
    source = connector(dialect, {}, {})
    location = source.config.location
    source.config.mappings["spend"] = Mapping("spend", location, count=True, present="f")
    text = source.sql(Request({"spend": Aggregate()}, "month", []))
    assert len(sqlglot.parse(text, read=dialect)) == 1
    assert "'nan'" in text.lower()


def test_postgres_numeric_infinity_is_the_error_a_float_gets(request, tmp_path):
    """Was: "connector `sql` `fetch()` returned 1 infinite values ... report it"."""
    source = postgres(
        request,
        "DROP TABLE IF EXISTS r8",
        "CREATE TABLE r8 (d date, ch text, amount numeric)",
        "INSERT INTO r8 VALUES ('2024-01-05', 'a', 10.10), ('2024-01-06', 'a', 'Infinity'),"
        " ('2024-02-01', 'a', 5)",
    )
    with pytest.raises(KpiError) as caught:
        workspace(tmp_path, source + "    table: r8\n", "{amt: amount}", ["k_amt"], [])
    assert caught.value.message == (
        "source `s`: expected a number in column `amount` of table `r8`, found `inf` on 2024-01-06"
    )


#: `prob` 0.50, 0.5 and 1: `where: {prob: [0.5]}` keeps the first two (1 + 2)
WHERE = [("2024-01-05", "a", "0.50", 1), ("2024-01-06", "a", "0.5", 2), ("2024-01-07", "a", "1", 4)]


@pytest.mark.parametrize(
    ("engine", "type_"),
    [("postgres", "numeric(3,2)"), ("postgres", "float8"), ("duckdb", "DECIMAL(3,2)")]
    + [("duckdb", "DOUBLE"), ("duckdb", "INTEGER")],
)
def test_where_compares_a_number_column_as_numbers(request, tmp_path, engine, type_):
    """Was: `CAST(prob AS TEXT) IN ('0.5')`, 0 rows for `0.50` with no warning."""
    value = "1" if type_ == "INTEGER" else "0.5"
    rows = [(d, c, "1" if type_ == "INTEGER" and p != "1" else p, a) for d, c, p, a in WHERE]
    expected = {("2024-01", ""): 7.0 if type_ == "INTEGER" else 3.0}
    create = f"CREATE TABLE w (d date, ch text, prob {type_}, amt numeric)"
    if engine == "postgres":
        values = ", ".join(f"('{d}', '{c}', {p}, {a})" for d, c, p, a in rows)
        source = postgres(
            request, "DROP TABLE IF EXISTS w", create, f"INSERT INTO w VALUES {values}"
        )
    else:
        path = tmp_path / "w.duckdb"
        with duckdb.connect(str(path)) as con:
            con.execute(create.replace("numeric", "DECIMAL(18,2)"))
            con.executemany("INSERT INTO w VALUES (?, ?, ?, ?)", rows)
        source = f"    connector: sql\n    url: duckdb:///{path}\n"
    mapping = f"{{amt: {{column: amt, where: {{prob: [{value}]}}}}}}"
    results = workspace(tmp_path / "ws", source + "    table: w\n", mapping, ["k_amt"], [])
    assert cells(results, "k_amt") == expected


def test_where_with_no_number_on_a_number_column_is_an_error(tmp_path):
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE w (d DATE, ch VARCHAR, prob DECIMAL(3,2), amt DOUBLE)")
        con.execute("INSERT INTO w VALUES ('2024-01-05', 'a', 0.5, 1)")
    source = f"    connector: sql\n    url: duckdb:///{path}\n    table: w\n"
    mapping = "{amt: {column: amt, where: {prob: [high]}}}"
    with pytest.raises(KpiError, match=r"column `prob` .* with `high`, which is no number"):
        workspace(tmp_path / "ws", source, mapping, ["k_amt"], [])


@pytest.mark.parametrize("dialect", GENERATED_DIALECTS)
def test_a_generated_dialect_compares_a_number_as_a_number_too(dialect):
    """The column's type is unknown: its text, or the number it reads as."""
    source = connector(dialect, {}, {})
    where = {"prob": ["0.5"]}
    source.config.mappings["spend"] = Mapping("spend", source.config.location, "spend", where=where)
    text = source.sql(Request({"spend": Aggregate()}, "month", []))
    assert len(sqlglot.parse(text, read=dialect)) == 1
    cast = "SAFE_CAST(" if dialect == "bigquery" else "TRY_CAST("
    assert cast in text and "IN ('0.5')" in text


def test_postgres_text_numbers_fix_is_postgres_sql(request, tmp_path):
    """Was: "such as ``" and a fix `... AS DOUBLE)` PostgreSQL refuses (and fails on '')."""
    url = request.getfixturevalue("postgres_url")
    source = postgres(
        request,
        "DROP TABLE IF EXISTS t9",
        "CREATE TABLE t9 (d date, ch text, txt text)",
        "INSERT INTO t9 VALUES ('2024-01-05', 'a', '5'), ('2024-01-06', 'a', ''),"
        " ('2024-01-07', 'a', '1,234.50'), ('2024-02-01', 'a', '—')",
    )
    with pytest.raises(KpiError) as caught:
        workspace(tmp_path, source + "    table: t9\n", "{amt: txt}", ["k_amt"], [])
    assert "such as an empty text cell," in caught.value.message
    fix = caught.value.fix or ""
    cast = fix.split("(e.g. `")[1].split("` where")[0]
    assert "DOUBLE PRECISION" in cast
    import psycopg

    with psycopg.connect(url) as con:  # the fix runs: 5 + 1234.50, the others NULL
        assert con.execute(f"SELECT SUM({cast.split(' AS txt')[0]}) FROM t9").fetchone() == (
            1239.5,
        )


def test_the_fix_is_in_each_dialect_and_quotes_odd_names():
    _, fix = not_a_number("Total Amount", "table `t`", "Cannot parse string '' ", False, "spark")
    assert "CAST(NULLIF(NULLIF(REPLACE(`Total Amount`, ',', ''), '—'), '') AS DOUBLE)" in fix
    text, _ = not_a_number("x", "table `t`", "string '  ' to DOUBLE", False, "duckdb")
    assert "such as an empty text cell," in text


#: day-first text dates: 5 January, 1 February, 13 March (PostgreSQL read the first as May)
TEXT_DATES = [("05/01/2024", "a", 1), ("01/02/2024", "a", 4), ("13/03/2024", "a", 8)]


@pytest.mark.parametrize("engine", ["postgres", "duckdb"])
def test_a_text_date_that_is_not_iso_is_an_error_with_a_fix_that_runs(request, tmp_path, engine):
    """Was: `05/01/2024` summed in May on PostgreSQL; `13/01/2024` the database's bare error."""
    create = "CREATE TABLE r5 (d text, ch text, amt numeric)"
    values = ", ".join(f"('{d}', '{c}', {a})" for d, c, a in TEXT_DATES)
    if engine == "postgres":
        source = postgres(
            request, "DROP TABLE IF EXISTS r5", create, f"INSERT INTO r5 VALUES {values}"
        )
    else:
        path = tmp_path / "w.duckdb"
        with duckdb.connect(str(path)) as con:
            con.execute(create.replace("numeric", "DECIMAL(18,2)"))
            con.execute(f"INSERT INTO r5 VALUES {values}")
        source = f"    connector: sql\n    url: duckdb:///{path}\n"
    with pytest.raises(KpiError) as caught:
        workspace(tmp_path / "ws", source + "    table: r5\n", "{amt: amt}", ["k_amt"], [])
    message = caught.value.message
    assert "column `d` of table `r5` holds dates as text, such as `05/01/2024`" in message
    cast = (caught.value.fix or "").split("e.g. `")[1].split("` when")[0]
    query = f"SELECT {cast}, ch, amt FROM r5"
    results = workspace(
        tmp_path / "ws2", source + f"    query: {query}\n", "{amt: amt}", ["k_amt"], []
    )
    got = cells(results, "k_amt")
    assert {k: got[k] for k in [("2024-01", ""), ("2024-02", ""), ("2024-03", "")]} == {
        ("2024-01", ""): 1.0,
        ("2024-02", ""): 4.0,
        ("2024-03", ""): 8.0,
    }


def test_iso_text_dates_are_read(tmp_path):
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE r5 (d VARCHAR, ch VARCHAR, amt DOUBLE)")
        con.execute("INSERT INTO r5 VALUES ('2024-01-05', 'a', 1), ('2024-02-01 10:00', 'a', 4)")
    source = f"    connector: sql\n    url: duckdb:///{path}\n    table: r5\n"
    results = workspace(tmp_path / "ws", source, "{amt: amt}", ["k_amt"], [])
    assert cells(results, "k_amt") == {("2024-01", ""): 1.0, ("2024-02", ""): 4.0}
