"""Real exports the generic `csv` connector reads (or rejects at the right place):

- a quoted line break in a file whose header or rows end with a delimiter (DuckDB's parallel
  reader cannot pad such rows: the file is read by one thread, `Sniffed.serial`);
- a bad cell in a row holding a multi-line quoted field: at its own line and column;
- UTF-16 without a BOM, when its bytes leave no doubt (`encodings.bomless_utf16`);
- a line of text under the table (`Exported from Shopify on ...`): said so, not a date format.

Expected sums are computed with the csv module, places by hand.
"""

from __future__ import annotations

import csv
import io

import pytest

from kpiengine.connector import Mapping, Request, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.fileformats.encodings import detect_encoding
from kpiengine.fileformats.sniff import sniff
from kpiengine.fileformats.tables import open_tables, run_sql
from kpiengine.model import Aggregate

BIG = 300 * 1024  # past the sniff's first 256 KiB


def fetch(tmp_path, data: str | bytes, date: str = "date", column: str = "rev"):
    from kpiengine.connectors.csv_files import CsvConnector

    raw = data.encode() if isinstance(data, str) else data
    (tmp_path / "d.csv").write_bytes(raw)
    where = Location("kpi.yaml", 3, 5)
    config = SourceConfig(
        name="p",
        connector="csv",
        root=tmp_path,
        location=where,
        options={"path": "d.csv", "date": date},
        mappings={"rev": Mapping("rev", where, column=column)},
        variables=frozenset({"rev"}),
    )
    frame = CsvConnector(config).fetch(Request({"rev": Aggregate()}, "month", [], None, None))
    return sum(frame.values["rev"])


def error(tmp_path, data: str | bytes, **kwargs) -> KpiError:
    with pytest.raises(KpiError) as caught:
        fetch(tmp_path, data, **kwargs)
    return caught.value


def total(text: str, delimiter: str = ",", column: str = "rev") -> float:
    return sum(float(r[column]) for r in csv.DictReader(io.StringIO(text), delimiter=delimiter))


# --- a quoted line break with a trailing delimiter ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ('Order,date,Note,rev,\n1001,2024-01-05,"a\nb",10.00,\n1002,2024-01-06,y,20.00,\n', ","),
        ('Order;date;Note;rev;\n1001;2024-01-05;"a\nb";10.00;\n1002;2024-01-06;y;20.00;\n', ";"),
        ('Order,date,Note,rev\n1001,2024-01-05,"a\r\nb",10.00,\n1002,2024-01-06,y,20.00,\n', ","),
    ],
)
def test_a_quoted_line_break_with_a_trailing_delimiter_is_read(tmp_path, text, delimiter):
    assert fetch(tmp_path, text) == pytest.approx(total(text, delimiter)) == 30.0


def test_a_quoted_line_break_past_the_sample_is_read_again_by_one_thread(tmp_path):
    rows = [f"{i},2024-01-05,x,1.00," for i in range(BIG // 20)]
    text = "Order,date,Note,rev,\n" + "\n".join(rows) + '\n9,2024-01-06,"a\nb",10.00,\n'
    assert fetch(tmp_path, text) == pytest.approx(total(text)) == len(rows) + 10


def test_a_table_read_in_parallel_retries_serially(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('a,b,\n1,"x\ny",\n2,z,\n')
    (table,) = open_tables(path, "d.csv")
    assert table.sniffed is not None and table.sniffed.serial
    table.sniffed.serial = False  # as if the sample had not shown the line break
    assert run_sql(f"SELECT count(*), sum(a::INT) FROM {table.reader()}", table) == [(2, 3)]


def test_the_common_path_keeps_the_parallel_reader(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('a,b\n1,"x\ny"\n2,z\n')  # no padding: DuckDB reads it in parallel
    assert "parallel" not in sniff(path).read_csv_sql()
    path.write_text("a,b,\n1,x,\n2,z,\n")  # padding, no line break in a field
    assert "parallel" not in sniff(path).read_csv_sql()


# --- a bad cell after a multi-line field --------------------------------------------------------


NLL = 'date,channel,note,rev,orders\n2024-01-05,A,x,10,1\n2024-01-07,A,"l1\nl2",#REF!,1\n'


def test_a_bad_cell_after_a_multi_line_field_is_at_its_line_and_column(tmp_path):
    where = error(tmp_path, NLL).location
    assert (where.line, where.column) == (4, len('l2",') + 1)


def test_a_bad_cell_far_past_the_sample_is_at_its_line_and_column(tmp_path):
    rows = [f"2024-01-{1 + i % 28:02d},A,x,10,1" for i in range(BIG // 20)]
    text = "date,channel,note,rev,orders\n" + "\n".join(rows)
    text += '\n2024-01-07,A,"l1\r\nl2\rl3",5,1\n2024-01-07,"B\nC",x,#REF!,1\n'
    where = error(tmp_path, text).location
    # header, rows, then a record of three lines (CRLF and CR each end one), then the bad one
    assert (where.line, where.column) == (1 + len(rows) + 3 + 2, len('C",x,') + 1)


def test_a_field_beyond_the_header_after_a_multi_line_field(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('date,rev\n2024-01-01,"1\n2",3\n')
    with pytest.raises(KpiError, match="beyond the last column") as caught:
        sniff(path, name="d.csv")
    assert caught.value.location == Location("d.csv", 3, len('2",') + 1)


# --- UTF-16 without a BOM -----------------------------------------------------------------------


U16 = "date\tchannel\trev\r\n2024-01-05\tКанал\t10.5\r\n2024-01-06\tB\t2\r\n"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_read(tmp_path, codec):
    assert fetch(tmp_path, U16.encode(codec)) == pytest.approx(total(U16, "\t")) == 12.5
    assert detect_encoding(U16.encode(codec), "d.csv") == (codec, None)


def test_a_nul_file_that_may_be_utf16_says_which_encoding_to_set():
    data = U16.encode("utf-16-le") + b"\x01\x00\x02\x00"  # control characters: in doubt
    with pytest.raises(KpiError, match="NUL bytes") as caught:
        detect_encoding(data, "d.csv")
    assert caught.value.location == Location("d.csv", 1, 2)
    assert caught.value.fix == (
        "export the report again as CSV, or set the source's `encoding: utf-16-le` if it is "
        "UTF-16 text"
    )
    with pytest.raises(KpiError) as sparse:  # NUL runs: not UTF-16
        detect_encoding(b"date,rev\n2024-01-01,1\n" + b"\x00" * 64, "d.csv")
    assert sparse.value.fix == "export the report again as CSV"


# --- a line of text under the table -------------------------------------------------------------

ROWS = "date,channel,rev,orders\n2024-01-01,A,312.90,2\n2024-01-02,B,485.90,4\n"
NOTE = "Exported from Shopify on 2026-12-07"


@pytest.mark.parametrize("end", [",,,\n", "\n", "", ",,,\n\n,,,\n"])
def test_a_note_under_a_small_table_says_so(tmp_path, end):
    caught = error(tmp_path, ROWS + NOTE + end)
    assert caught.message == (
        f"`{NOTE}` is a line of text under the table, not a row: it is one field after the last "
        "row, in a file of 4 columns"
    )
    assert caught.location == Location("d.csv", 4, 1)
    assert caught.fix == "remove the line (and any other notes under the table) from the file"


@pytest.mark.parametrize("end", [",,,\n", "\n"])
def test_a_note_under_a_large_table_says_so(tmp_path, end):
    rows = [f"2024-01-{1 + i % 28:02d},A,1.50,1" for i in range(BIG // 20)]
    caught = error(tmp_path, "date,channel,rev,orders\n" + "\n".join(rows) + f"\n{NOTE}{end}")
    assert "is a line of text under the table" in caught.message
    assert caught.location == Location("d.csv", len(rows) + 2, 1)


def test_a_line_of_text_between_rows_is_not_a_note(tmp_path):
    caught = error(tmp_path, ROWS + NOTE + ",,,\n2024-01-03,A,1,1\n")
    assert caught.message.startswith("expected a date")
    assert caught.location == Location("d.csv", 4, 1)
    short = error(tmp_path, ROWS + NOTE + "\n2024-01-03,A,1,1\n")
    assert short.message == "the row has 1 field but the header (line 1) has 4"


def test_a_row_with_its_first_cell_alone_is_a_row(tmp_path):
    text = ROWS + "2024-01-03,,,\n"
    assert fetch(tmp_path, text) == pytest.approx(312.90 + 485.90)
    from kpiengine.fileformats.rows import note_under

    path = tmp_path / "one.csv"
    path.write_text(f"date\n2024-01-01\n{NOTE}\n")  # a one-column file: a row, a bad cell
    assert note_under(sniff(path), 3, 1) is None
    path.write_text(ROWS + NOTE + ",,,\n")
    assert note_under(sniff(path), 4, 4) is not None
    assert note_under(sniff(path), 3, 4) is None  # a data row


@pytest.mark.parametrize("last", ["2024-01-04", "312.90"])
def test_a_last_row_cut_short_is_no_note(tmp_path, last):
    """A last line of one date or number is a row cut short, not a note: the width error."""
    caught = error(tmp_path, ROWS + last + "\n")
    assert caught.message == "the row has 1 field but the header (line 1) has 4"
    assert caught.location == Location("d.csv", 4, len(last) + 1)
