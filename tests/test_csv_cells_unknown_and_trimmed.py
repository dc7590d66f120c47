"""The `csv` connector's reading of cells that once misled silently:

- a spreadsheet error value (`#N/A`, `#DIV/0!`) in the column of `count:` or `distinct:` is an
  error at its cell, in the sample and past it (the number is unknown, not absent);
- `where:` values and dimension labels are trimmed of the one whitespace of the reading layer
  (`sql.WHITESPACE`: tab, no-break and zero-width spaces, a BOM), as number cells are;
- a file of another export (another delimiter) whose own cells read with the other decimal mark
  than the source's other files tell is an error naming both files, not 1000x off;
- a cell in the other decimal mark past the sample gets the sample's explanation.

Expected values by hand (or the csv module).
"""

from __future__ import annotations

import csv
import io

import pytest

from kpiengine.connector import Mapping, Request, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.model import Aggregate

WHERE = Location("kpi.yaml", 3, 5)
SUM = Aggregate()
DISTINCT = Aggregate(time="distinct", segments="distinct")
SAMPLE = 2000  # rows the reading layer samples: a cell past them is read by the scan only


def connector(tmp_path, files: dict[str, str], mappings: dict[str, Mapping], dims=None, **options):
    from kpiengine.connectors.csv_files import CsvConnector

    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    config = SourceConfig(
        name="s",
        connector="csv",
        root=tmp_path,
        location=WHERE,
        options={"path": next(iter(files)) if len(files) == 1 else "data*", **options},
        mappings=mappings,
        dimensions=dims or {},
        variables=frozenset(mappings),
    )
    return CsvConnector(config)


def rows_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def orders_and_visitors(before: int) -> str:
    """`before` good rows, then one with `#N/A` as its customer and quantity."""
    rows = [["Date", "Customer", "Total", "Qty"]]
    rows += [[f"2024-01-{i % 28 + 1:02d}", f"c{i % 3}", "10", "1"] for i in range(before)]
    rows += [["2024-01-06", "#N/A", "20", "#N/A"], ["2024-01-07", "c9", "5", "n/a"]]
    return rows_text(rows)


@pytest.mark.parametrize("before", [1, SAMPLE + 100])
@pytest.mark.parametrize(
    ("mapping", "rule", "column"),
    [
        (Mapping("orders", WHERE, count=True, present="Qty"), SUM, 4),
        (Mapping("visitors", WHERE, distinct="Customer"), DISTINCT, 2),
    ],
)
def test_a_spreadsheet_error_in_a_counted_column_is_an_error_at_its_cell(
    tmp_path, before, mapping, rule, column
):
    """Without the check: 2 orders for 1 (`#N/A` counted), 3 visitors for 2 in the small file."""
    conn = connector(tmp_path, {"d.csv": orders_and_visitors(before)}, {mapping.variable: mapping})
    with pytest.raises(KpiError) as caught:
        conn.fetch(Request({mapping.variable: rule}, "month", []))
    error = caught.value
    assert "#N/A" in error.message and "spreadsheet error" in error.message
    assert error.location is not None and error.location.file == "d.csv"
    assert error.location.line == before + 2  # the header, then `before` rows
    line = orders_and_visitors(before).splitlines()[before + 1]
    field = ["Date", "Customer", "Total", "Qty"][column - 1]
    assert f"`{field}`" in error.message
    assert line.split(",")[column - 1] == "#N/A"


def test_ids_without_errors_still_count(tmp_path):
    """By hand: c0, c1 and c2 have rows; `n/a` is no id."""
    ids = ["c0", "c1", "n/a", "c2", "c1"]
    text = rows_text([["Date", "Customer"]] + [[f"2024-01-0{i + 5}", c] for i, c in enumerate(ids)])
    mapping = Mapping("visitors", WHERE, distinct="Customer")
    conn = connector(tmp_path, {"d.csv": text}, {"visitors": mapping})
    frame = conn.fetch(Request({"visitors": DISTINCT}, "month", []))
    assert frame.values["visitors"].tolist() == [3.0]


STATUSES = ["paid", "paid\t", "paid\u00a0", "\u200bpaid", "\ufeffpaid "]


def test_where_values_are_trimmed_of_every_whitespace(tmp_path):
    """Every row is `paid` once trimmed: 10 + 20 + 40 + 80 + 160 = 310 (by hand)."""
    totals = [10, 20, 40, 80, 160]
    rows = [["Date", "Status", "Total"]]
    rows += [
        [f"2024-01-0{i + 1}", s, str(t)]
        for i, (s, t) in enumerate(zip(STATUSES, totals, strict=True))
    ]
    mapping = Mapping("revenue", WHERE, column="Total", where={"Status": ["paid"]})
    conn = connector(tmp_path, {"d.csv": rows_text(rows)}, {"revenue": mapping})
    frame = conn.fetch(Request({"revenue": SUM}, "month", []))
    assert frame.values["revenue"].tolist() == [310.0]


@pytest.mark.parametrize("distinct", [False, True])
def test_dimension_labels_are_trimmed_of_every_whitespace(tmp_path, distinct):
    """One segment, `Email`, whatever the spaces around it (rows by hand: 5 rows, 5 ids)."""
    rows = [["Date", "channel", "Total", "uid"]]
    rows += [[f"2024-01-0{i + 1}", s.replace("paid", "Email"), "10", f"u{i}"]
             for i, s in enumerate(STATUSES)]  # fmt: skip
    mappings = {"revenue": Mapping("revenue", WHERE, column="Total")}
    if distinct:
        mappings["visitors"] = Mapping("visitors", WHERE, distinct="uid")
    conn = connector(tmp_path, {"d.csv": rows_text(rows)}, mappings, {"channel": "channel"})
    rules = {"revenue": SUM} | ({"visitors": DISTINCT} if distinct else {})
    frame = conn.fetch(Request(rules, "month", ["channel"]))
    segments = ~frame.totals  # a distinct count's total is a row of its own
    assert frame.dims["channel"][segments].tolist() == ["Email"]
    assert frame.values["revenue"][segments].tolist() == [50.0]
    if distinct:
        assert frame.values["visitors"].tolist() == [5.0, 5.0]


def test_another_export_reading_otherwise_is_an_error_naming_both_files(tmp_path):
    """`1.500 €` alone is 1500 (`;`, `,` as the decimal mark: 3500 for the two rows); beside
    a `,`-delimited file with `2.50` it is not silently 1.5."""
    files = {
        "data_a.csv": "date;revenue\n2024-01-05;1.500 €\n2024-01-06;2.000 €\n",
        "data_b.csv": "date,revenue\n2024-02-05,2.50\n2024-02-06,3.75\n",
    }
    mapping = {"revenue": Mapping("revenue", WHERE, column="revenue")}
    alone = connector(tmp_path, {"data_a.csv": files["data_a.csv"]}, mapping)
    frame = alone.fetch(Request({"revenue": SUM}, "month", []))
    assert frame.values["revenue"].tolist() == [3500.0]
    conn = connector(tmp_path, files, mapping)
    with pytest.raises(KpiError) as caught:
        conn.fetch(Request({"revenue": SUM}, "month", []))
    error = caught.value
    assert "data_b.csv" in error.message and "`2.50`" in error.message
    assert error.location is not None and error.location.file == "data_a.csv"
    assert error.location.line == 2 and "decimal:" in (error.fix or "")
    # the user's `decimal:` decides: `.` reads 1.5 + 2.0 in January
    told = connector(tmp_path, files, mapping, decimal=".")
    frame = told.fetch(Request({"revenue": SUM}, "month", []))
    assert frame.values["revenue"].tolist() == [3.5, 6.25]


OTHER_MARK = [("12,5", ""), ("1.234,56", ""), ("1 234,56 €", "amount"), ("0,5 %", "rate")]


@pytest.mark.parametrize("before", [10, SAMPLE + 500])
@pytest.mark.parametrize(("cell", "quantity"), OTHER_MARK)
def test_the_other_decimal_mark_is_explained_wherever_the_cell_is(tmp_path, before, cell, quantity):
    rows = [["date", "revenue"]] + [["2024-01-05", "23.01"]] * before + [["2024-01-06", cell]]
    mapping = {"revenue": Mapping("revenue", WHERE, column="revenue")}
    conn = connector(tmp_path, {"d.csv": rows_text(rows)}, mapping)
    with pytest.raises(KpiError) as caught:
        conn.fetch(Request({"revenue": SUM}, "month", [], quantities={"revenue": quantity}))
    error = caught.value
    assert "the cells mix decimal marks" in error.message, error.message
    assert "`23.01`" in error.message  # the cell telling the file's mark, as in the sample
    assert error.location is not None and error.location.line == before + 2
    assert "decimal:" in (error.fix or "")


def test_dimension_labels_past_the_sample_are_trimmed_too(tmp_path):
    """Labels are trimmed once grouped: `Email\\t` at line 2,102 joins `Email` (2,101 rows
    of 10, by hand 21,010)."""
    rows = [["Date", "channel", "Total"]] + [["2024-01-05", "Email", "10"]] * (SAMPLE + 100)
    rows += [["2024-01-06", "Email\t", "10"], ["2024-01-07", "\u200bEmail\ufeff", "0"]]
    mappings = {"revenue": Mapping("revenue", WHERE, column="Total")}
    conn = connector(tmp_path, {"d.csv": rows_text(rows)}, mappings, {"channel": "channel"})
    frame = conn.fetch(Request({"revenue": SUM}, "month", ["channel"]))
    assert frame.dims["channel"].tolist() == ["Email"]
    assert frame.values["revenue"].tolist() == [10.0 * (SAMPLE + 101)]
