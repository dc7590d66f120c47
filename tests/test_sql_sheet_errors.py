"""A spreadsheet error value (`#N/A`, `#DIV/0!`) in the column of a `count:` or `distinct:`
mapping of a `sql` source's `files:` (CSV or Parquet) is the `csv` connector's error at the same
cell: the row's id is unknown, so the row can be neither counted nor left out. Before, `#N/A`
was an id: 3 visitors for 2, 3 orders for 2. A database's own table is read as before.

Expected values and places are written by hand from the fixtures.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from kpiengine.connector import Mapping, Request, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.model import Aggregate

WHERE = Location("kpi.yaml", 3, 5)
SUM = Aggregate()
DISTINCT = Aggregate("distinct", "distinct")
HEADER = "Date,Status,Customer,Total,Qty\n"
ROWS = "2024-01-05,paid,c1,10,1\n2024-01-06,paid,#N/A,20,#N/A\n2024-01-07,paid,c2,5,2\n"
ORDERS = (Mapping("orders", WHERE, count=True, present="Qty"), SUM)
VISITORS = (Mapping("visitors", WHERE, distinct="Customer"), DISTINCT)


def sql_source(root: Path, url: str, files: dict | None, mapping: Mapping, **options):
    from kpiengine.connectors.sql import SqlConnector

    config = SourceConfig(
        name="s",
        connector="sql",
        root=root,
        location=WHERE,
        options={"url": url, **({"files": files} if files else {}), "table": "t",
                 "date": "Date", **options},
        mappings={mapping.variable: mapping},
        dimensions={},
        variables=frozenset([mapping.variable]),
    )  # fmt: skip
    return SqlConnector(config)


def csv_source(root: Path, file: str, mapping: Mapping):
    from kpiengine.connectors.csv_files import CsvConnector

    config = SourceConfig(
        name="c",
        connector="csv",
        root=root,
        location=WHERE,
        options={"path": file, "date": "Date"},
        mappings={mapping.variable: mapping},
        dimensions={},
        variables=frozenset([mapping.variable]),
    )
    return CsvConnector(config)


def error_of(conn, mapping: Mapping, rule: Aggregate) -> KpiError:
    with pytest.raises(KpiError) as caught:
        conn.fetch(Request({mapping.variable: rule}, "month", []))
    return caught.value


def written(root: Path, kind: str, text: str) -> str:
    """`d.csv`, or `d.parquet` of its cells as text (as a spreadsheet's export holds them)."""
    (root / "d.csv").write_text(text, encoding="utf-8")
    if kind == "csv":
        return "d.csv"
    source, target = str(root / "d.csv"), str(root / "d.parquet")
    duckdb.sql(
        f"COPY (SELECT * FROM read_csv('{source}', all_varchar = true, header = true)) "
        f"TO '{target}' (FORMAT parquet)"
    )
    (root / "d.csv").unlink()
    return "d.parquet"


# where `#N/A` is: line 3 (after the header and one row); `2024-01-06,paid,` is 16 characters,
# so the Customer cell starts at column 17 and, after `#N/A,20,`, the Qty cell at column 25
PLACES = {("csv", "orders"): ("d.csv", 3, 25), ("csv", "visitors"): ("d.csv", 3, 17)}


@pytest.mark.parametrize("kind", ["csv", "parquet"])
@pytest.mark.parametrize(("mapping", "rule"), [ORDERS, VISITORS])
def test_an_error_value_in_a_counted_column_is_the_csv_connectors_error(
    tmp_path, kind, mapping, rule
):
    file = written(tmp_path, kind, HEADER + ROWS)
    error = error_of(sql_source(tmp_path, "duckdb://", {"t": file}, mapping), mapping, rule)
    column = mapping.present or mapping.distinct
    assert error.message == (
        f"`#N/A` in column `{column}` is a spreadsheet error value (a formula failed): the "
        "row cannot be counted, nor left out"
    )
    assert error.location is not None
    place = (error.location.file, error.location.line, error.location.column)
    # a Parquet file has no lines: the file alone, as the `csv` connector names it
    assert place == PLACES.get((kind, mapping.variable), ("d.parquet", 0, 0))
    same = error_of(csv_source(tmp_path, file, mapping), mapping, rule)
    assert (same.message, same.location) == (error.message, error.location)


def test_past_the_sample_and_in_any_case_and_spacing(tmp_path):
    """Row 2,102 of 2,102 (line 2,103): `#div/0!` with a no-break space, the rest ids."""
    rows = "".join(f"2024-01-{i % 28 + 1:02d},paid,c{i},1,1\n" for i in range(2101))
    text = HEADER + rows + "2024-01-09,paid,\u00a0#div/0!,1,1\n"
    written(tmp_path, "csv", text)
    mapping, rule = VISITORS
    error = error_of(sql_source(tmp_path, "duckdb://", {"t": "d.csv"}, mapping), mapping, rule)
    assert "`#div/0!` in column `Customer`" in error.message
    assert error.location == Location("d.csv", 2103, 17)


def test_a_row_where_leaves_out_is_an_error_too(tmp_path):
    """As the `csv` connector checks every row of the column: `#N/A` on a `refunded` row."""
    text = HEADER + "2024-01-05,paid,c1,10,1\n2024-01-06,refunded,#N/A,20,1\n"
    written(tmp_path, "csv", text)
    mapping = Mapping("visitors", WHERE, distinct="Customer", where={"Status": ["paid"]})
    error = error_of(sql_source(tmp_path, "duckdb://", {"t": "d.csv"}, mapping), mapping, DISTINCT)
    assert error.location == Location("d.csv", 3, 21)  # `2024-01-06,refunded,`: 20 characters


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_ids_with_a_hash_and_missing_marks_still_count(tmp_path, kind):
    """Order names `#1001` are ids, `n/a` none: #1001, #1002 (twice), #1003 are 3 customers,
    and 3 rows have a Qty (`—` and `n/a` are none)."""
    ids = ["#1001", "#1002", "n/a", "#1002", "#1003"]
    qty = ["1", "—", "2", "n/a", "3"]
    cells = enumerate(zip(ids, qty, strict=True))
    rows = "".join(f"2024-01-0{i + 5},paid,{c},1,{q}\n" for i, (c, q) in cells)
    file = written(tmp_path, kind, HEADER + rows)
    for (mapping, rule), expected in ((VISITORS, 3.0), (ORDERS, 3.0)):
        conn = sql_source(tmp_path, "duckdb://", {"t": file}, mapping)
        frame = conn.fetch(Request({mapping.variable: rule}, "month", []))
        assert frame.values[mapping.variable].tolist() == [expected]


def test_a_databases_own_table_is_read_as_before(tmp_path):
    """No `files:`: a database has no formulas; `#N/A` is an id as any other (3 customers)."""
    db = tmp_path / "x.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE t (Date DATE, Customer VARCHAR)")
        con.execute("INSERT INTO t VALUES ('2024-01-05', 'c1'), ('2024-01-06', '#N/A'), "
                    "('2024-01-07', 'c2')")  # fmt: skip
    mapping, rule = VISITORS
    conn = sql_source(tmp_path, f"duckdb:///{db}", None, mapping)
    frame = conn.fetch(Request({mapping.variable: rule}, "month", []))
    assert frame.values["visitors"].tolist() == [3.0]
    assert "__sheet" not in conn.sql(Request({mapping.variable: rule}, "month", []))


@pytest.mark.parametrize("engine", ["chdb", "spark"])
def test_other_engines_reading_files_give_the_error(tmp_path, request, engine):
    file = written(tmp_path, "csv", HEADER + ROWS)
    mapping, rule = ORDERS
    url = request.getfixturevalue(f"{engine}_url")
    error = error_of(sql_source(tmp_path, url, {"t": file}, mapping), mapping, rule)
    assert "`#N/A` in column `Qty` is a spreadsheet error value" in error.message
    assert error.location == Location("d.csv", 3, 25)


def test_a_query_renaming_the_column_names_the_mapping(tmp_path):
    """The query's `cust` is no column of the file: the error is at the mapping in kpi.yaml."""
    file = written(tmp_path, "csv", HEADER + ROWS)
    mapping = Mapping("visitors", WHERE, distinct="cust")
    conn = sql_source(tmp_path, "duckdb://", {"t": file}, mapping, table=None,
                      query="SELECT Date, Customer AS cust FROM t")  # fmt: skip
    error = error_of(conn, mapping, DISTINCT)
    assert "column `cust` of the query holds a spreadsheet error value" in error.message
    assert error.location == WHERE
