"""A typed DECIMAL column is summed in its own type and converted to DOUBLE once
aggregated (`ScanQuery.parts`), not per row: 100,001 x 0.10 in a Parquet `DECIMAL(18,2)` column
is 10000.1, as DuckDB's own `sum(decimal)` says, not 10000.100000000153.

Expected values from plain DuckDB over the same file (`sum(rev)::DOUBLE`, `avg(rev)`).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from kpiengine.connector import Mapping, Request, SourceConfig
from kpiengine.errors import Location
from kpiengine.model import Aggregate
from kpiengine.sqlgen import exact_sum_sql, sums_exactly

WHERE = Location("kpi.yaml", 3, 5)
ROWS = 100_001


@pytest.fixture(scope="module")
def decimals(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("dec")
    duckdb.sql(
        f"COPY (SELECT DATE '2024-01-01' + (i % 31)::INT AS date, 0.10::DECIMAL(18,2) AS rev, "
        f"CASE WHEN i % 2 = 0 THEN 'EU' ELSE 'US' END AS region FROM range({ROWS}) t(i)) "
        f"TO '{root / 'd.parquet'}' (FORMAT parquet)"
    )
    return root


def expected(root: Path, value: str, where: str = "TRUE") -> float:
    return duckdb.sql(f"SELECT {value} FROM '{root / 'd.parquet'}' WHERE {where}").fetchall()[0][0]


def fetch(root: Path, mapping: Mapping, time: str = "sum") -> float:
    from kpiengine.connectors.csv_files import CsvConnector

    config = SourceConfig(
        name="s",
        connector="csv",
        root=root,
        location=WHERE,
        options={"path": "d.parquet"},
        mappings={"rev": mapping},
        variables=frozenset({"rev"}),
    )
    frame = CsvConnector(config).fetch(Request({"rev": Aggregate(time=time)}, "month", []))
    [value] = frame.values["rev"].tolist()
    return value


def test_a_decimal_column_sums_exactly(decimals):
    want = expected(decimals, "sum(rev)::DOUBLE")
    assert want == 10000.1
    assert fetch(decimals, Mapping("rev", WHERE, column="rev")) == want


def test_a_decimal_column_sums_exactly_under_where(decimals):
    mapping = Mapping("rev", WHERE, column="rev", where={"region": ["EU"]})
    want = expected(decimals, "sum(rev)::DOUBLE", "region = 'EU'")
    assert want == 5000.1
    assert fetch(decimals, mapping) == want


def test_a_decimal_column_means_exactly(decimals):
    want = expected(decimals, "avg(rev)")
    assert want == 0.1
    assert fetch(decimals, Mapping("rev", WHERE, column="rev"), time="mean") == want


def test_which_types_sum_exactly_and_which_measures_read_them():
    assert sums_exactly(["DECIMAL(18,2)", "DECIMAL", "NUMERIC(10,4)"])
    # integers are summed as DOUBLE: exact below 2^53, and faster than HUGEINT sums
    for other in ("BIGINT", "UINTEGER", "DECIMAL(38,2)", "HUGEINT", "DOUBLE", "VARCHAR"):
        assert not sums_exactly(["DECIMAL(18,2)", other])
    exact = {'"__r1"': "__e0"}
    assert exact_sum_sql('"__r1"', exact) == "__e0"
    where = "(CASE WHEN x IN ('a') THEN \"__r1\" ELSE 0.0 END)"
    assert exact_sum_sql(where, exact) == "(CASE WHEN x IN ('a') THEN __e0 ELSE 0 END)"
    assert exact_sum_sql('("__r1" * 0.01)', exact) is None  # a scale: summed as DOUBLE
