"""Totals rows that are not a file's grand total (`connectors/_csv_totals.group_totals`), and a
totals row past the sniffed sample (`FileTable._line_of`, `scanerrors`).

A `Total` row between the data rows is left out of the sums (the reading layer's totals rule):
it is compared with the rows it follows (a group's subtotal: those since the totals row before;
a running total: all above), and a KPI016 warning names it when none add up to it, never a
silent drop. Past the first 256 KiB a totals label in the date column is an error at its
`file:line:column`. Expected sums are computed here by hand or with the `csv` module.
"""

from __future__ import annotations

import csv
import io

import pytest

from kpiengine.connector import Mapping, Request, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.model import Aggregate


def connector(tmp_path, text: str, name: str = "d.csv", counts: frozenset[str] = frozenset()):
    from kpiengine.connectors.csv_files import CsvConnector

    (tmp_path / name).write_text(text, encoding="utf-8", newline="")
    where = Location("kpi.yaml", 3, 5)
    config = SourceConfig(
        name="p",
        connector="csv",
        root=tmp_path,
        location=where,
        options={"path": name, "date": "date"},
        mappings={"rev": Mapping("rev", where, column="rev")},
        variables=frozenset({"rev"}),
        counts=counts,
    )
    return CsvConnector(config)


def fetch(conn):
    return conn.fetch(Request({"rev": Aggregate()}, "month", [], None, None))


def rows_sum(text: str) -> float:
    """The data rows' `rev` by the csv module: totals rows (a `Total` label) left out."""
    return sum(float(r["rev"]) for r in csv.DictReader(io.StringIO(text)) if r["date"][0] == "2")


def test_a_wrong_total_between_rows_is_a_warning_at_its_cell(tmp_path):
    text = "date,rev\n2024-01-01,1.00\nTotal,3.00\n2024-01-02,4.00\n"
    frame = fetch(connector(tmp_path, text))
    assert sum(frame.values["rev"]) == pytest.approx(rows_sum(text)) == 5.0
    (warning,) = frame.warnings
    assert warning.message == (
        "`Total` says 3.00 in column `rev` but the 1 row from line 2 adds up to 1.00; the "
        "totals row is left out of the sums, the rows counted"
    )
    where = warning.location
    assert (where.file, where.line, where.column) == ("d.csv", 3, len("Total,") + 1)


def test_group_subtotals_that_add_up_are_quiet_and_a_wrong_one_is_named(tmp_path):
    groups = "2024-01-01,1.50\n2024-01-02,2.25\nSubtotal,3.75\n2024-01-03,4.00\nSubtotal,4.00\n"
    frame = fetch(connector(tmp_path, "date,rev\n" + groups + "Total,7.75\n"))
    assert sum(frame.values["rev"]) == pytest.approx(7.75) and not frame.warnings
    # the last group's subtotal, after every row, is its group's too: 4.00, not 5.00
    wrong = groups.replace("Subtotal,4.00", "Subtotal,5.00")
    (warning,) = fetch(connector(tmp_path, "date,rev\n" + wrong + "Total,7.75\n")).warnings
    assert warning.message.startswith("`Subtotal` says 5.00 in column `rev` but the 1 row from "
                                      "line 5 adds up to 4.00 (all 3 above it: 7.75)")  # fmt: skip
    assert warning.location.line == 6


def test_whole_counts_are_compared_exactly_and_amounts_within_their_rounding(tmp_path):
    """Rows shown without decimals may each be rounded by half a unit (1 + 1 may total 3):
    not counts, which are exact (1 + 1 is 2)."""
    text = "date,rev\n2024-01-01,1\n2024-01-02,1\nTotal,3\n2024-01-03,4\n"
    assert not fetch(connector(tmp_path, text)).warnings
    (warning,) = fetch(connector(tmp_path, text, counts=frozenset({"rev"}))).warnings
    assert (
        "`Total` says 3 in column `rev` but the 2 rows from line 2 add up to 2" in warning.message
    )


def test_a_running_total_between_rows_is_quiet(tmp_path):
    text = "date,rev\n2024-01-01,1.00\nTotal,1.00\n2024-01-02,2.00\nTotal,3.00\n2024-01-03,4.00\n"
    frame = fetch(connector(tmp_path, text))
    assert sum(frame.values["rev"]) == pytest.approx(rows_sum(text)) == 7.0
    assert not frame.warnings


def test_a_second_plain_total_at_the_end_is_compared_with_every_row(tmp_path):
    text = "date,rev\n2024-01-01,1.00\n2024-01-02,2.00\nTotal,3.00\nTotal,4.00\n"
    (warning,) = fetch(connector(tmp_path, text)).warnings
    assert "`Total` says 4.00" in warning.message and warning.location.line == 5


def test_a_scoped_total_at_the_end_of_a_file_without_groups_is_not_compared(tmp_path):
    text = "date,rev\n2024-01-01,1.00\n2024-01-02,2.00\nTotal: Search,1.00\n"
    assert not fetch(connector(tmp_path, text)).warnings


def test_a_totals_row_past_the_sample_is_an_error_at_its_line(tmp_path):
    """The sniff reads the first 256 KiB: a `Total` row far below is read as data, and its
    date cell is reported where it is."""
    lines = ["date,ch,rev"] + [f"2024-01-{i % 28 + 1:02d},A,1.00" for i in range(20_000)]
    lines[15_000] = "Total,A,1.00"  # line 15,001
    text = "\n".join(lines) + "\n"
    assert len(text.encode()) > 256 * 1024
    with pytest.raises(KpiError) as caught:
        fetch(connector(tmp_path, text))
    error = caught.value
    assert "expected a date" in error.message and "found `Total`" in error.message
    assert (error.location.file, error.location.line, error.location.column) == ("d.csv", 15_001, 1)
    assert "totals row" in error.fix
