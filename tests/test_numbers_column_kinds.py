"""A cell that breaks what its column holds is an error, not a number taken for another.

A percentage in a column of amounts or counts (`45%` read as 0.45 of money), a currency in a
column of counts or rates (`€45` orders), is refused when the column's reader says what the
column holds (`cellreader.Reader.quantity`; `fileformats.quantities`). Fractional counts are
read: Google Ads and GA4 write fractional conversions under data-driven attribution. Values and
messages by hand; Python and DuckDB agree on every cell (the property test in
test_fileformats_numbers.py draws the quantity too).
"""

from __future__ import annotations

import duckdb
import pytest

from kpiengine.cellreader import Reader
from kpiengine.errors import KpiError
from kpiengine.fileformats import compile_format
from kpiengine.fileformats.numbers import NumberError, bad_number_sql, number_sql, read_number
from kpiengine.fileformats.tables import open_tables
from kpiengine.filescan import Scan
from kpiengine.model import Aggregate

BAD = "bad"

# (cell, decimal mark, quantity, value or BAD)
CELLS = [
    # amounts: a currency is read, a percentage is not
    ("45%", ".", "amount", BAD),
    ("45.6 %", ".", "amount", BAD),
    ("12,5 %", ",", "amount", BAD),
    ("(5%)", ".", "amount", BAD),
    ("٤٥٪", ".", "amount", BAD),
    ("€45", ".", "amount", 45.0),
    ("$1,234.50", ".", "amount", 1234.5),
    ("1.234,50 €", ",", "amount", 1234.5),
    ("EUR 12", ".", "amount", 12.0),
    ("$ -", ".", "amount", 0.0),
    ("1,234", ".", "amount", 1234.0),
    # counts: neither, but fractions (data-driven conversions) and exponents are read
    ("45%", ".", "count", BAD),
    ("€45", ".", "count", BAD),
    ("1.234,50 €", ",", "count", BAD),
    ("45 EUR", ".", "count", BAD),
    ("5 zł", ".", "count", BAD),
    ("$ -", ".", "count", BAD),
    ("12.5", ".", "count", 12.5),
    ("12,5", ",", "count", 12.5),
    ("1,234", ".", "count", 1234.0),
    ("1.234", ",", "count", 1234.0),
    ("1E5", ".", "count", 100000.0),
    ("-3", ".", "count", -3.0),
    # averages: as counts
    ("2.5%", ".", "plain", BAD),
    ("€2.5", ".", "plain", BAD),
    ("2.5", ".", "plain", 2.5),
    # rates: a percentage or a fraction, no currency
    ("€5", ".", "rate", BAD),
    ("5% €", ".", "rate", BAD),
    ("USD 0.5", ".", "rate", BAD),
    ("45.6%", ".", "rate", 0.456),
    ("45,6 %", ",", "rate", 0.456),
    ("%45", ".", "rate", 0.45),
    ("0.25", ".", "rate", 0.25),
    ("1,234.5%", ".", "rate", 12.345),
    # missing cells stay missing
    ("", ".", "count", None),
    ("—", ".", "amount", None),
]


def _python(cell: str, decimal: str, quantity: str) -> float | str | None:
    try:
        value = read_number(cell, decimal, quantity).value
    except NumberError:
        return BAD
    return None if value != value else value


@pytest.mark.parametrize(("cell", "decimal", "quantity", "expected"), CELLS)
def test_python_reads_what_the_column_holds(cell, decimal, quantity, expected):
    assert _python(cell, decimal, quantity) == expected


def test_duckdb_reads_as_python_does():
    con = duckdb.connect()
    for cell, decimal, quantity, expected in CELLS:
        reader = Reader("number", decimal, quantity=quantity)
        value = reader.sql("x", "VARCHAR")
        loose = number_sql("x", decimal, "VARCHAR", signs=False, quantity=quantity)  # a scan's
        [(read, bad, bad_loose)] = con.execute(
            f"SELECT {value}, {reader.bad_sql('x', 'VARCHAR', value)}, "
            f"{bad_number_sql('x', decimal, 'VARCHAR', loose, quantity)} FROM (SELECT ? AS x)",
            [cell],
        ).fetchall()
        assert (BAD if bad else read) == expected, (cell, quantity)
        assert bad_loose == bad, (cell, quantity)


def test_any_number_is_read_without_a_quantity():
    """Columns whose reader says nothing read as before: `45%` is 0.45, `€45` is 45."""
    assert read_number("45%", ".").value == 0.45
    assert read_number("€45", ".").value == 45.0
    assert Reader("number").error("45%") is None


def test_the_error_says_what_the_cell_is_and_what_the_column_holds():
    error = Reader("number", ".", quantity="amount").error("45%")
    assert error is not None
    assert str(error).startswith("`45%` is not an amount: a percentage in a column of amounts")
    assert "`%`" in (error.fix or "")
    error = Reader("number", ".", quantity="count").error("€45")
    assert error is not None
    assert str(error).startswith("`€45` is not a count: an amount in EUR in a column of counts")
    assert Reader("number", quantity="rate").expected == "a rate (a fraction or a percentage)"
    with pytest.raises(ValueError, match="holds one of"):
        Reader("number", quantity="money")


def _scan(tmp_path, cells: list[str], quantity: str) -> float:
    rows = "".join(f'2024-01-{i + 10},"{c}"\n' for i, c in enumerate(cells))
    (tmp_path / "data.csv").write_text(f"Day,Value\n{rows}", "utf-8")
    tables = open_tables(tmp_path / "data.csv", "data.csv")
    scan = Scan(tables, "month", source="data.csv")
    day = scan.read("Day", Reader("date", fmt=compile_format("%Y-%m-%d")))
    value = scan.read("Value", Reader("number", ".", quantity=quantity))
    scan.role(day, {"v": (value, Aggregate())})
    return float(scan.run().frame.values["v"][0])


def test_a_scan_stops_at_the_first_cell_its_column_refuses(tmp_path):
    assert _scan(tmp_path, ["10", "12.5", "1,000"], "count") == 1022.5
    with pytest.raises(KpiError) as info:
        _scan(tmp_path, ["10", "45%", "3"], "amount")
    assert str(info.value).startswith(
        "data.csv:3:12: expected an amount in column `Value`, found `45%` (a percentage in a "
        "column of amounts)"
    )
