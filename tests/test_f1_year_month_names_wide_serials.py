"""Year-first months with names, months in a header, serial numbers outside 1990-2099.

- `2024-Jan`, `2024/Jan`, `2024 Jan`, `Jan/2024` (any language's month names read) are months,
  in Python and SQL alike; a cell of names no format reads gets the `date_format` its parts are
  written in (`2024-Jan-15`: `'%Y-%b-%d'`), never a weekday's;
- a sheet with a column per month (`Channel,Jan 2024,Feb 2024`) is an error at the first
  month's header cell asking to unpivot the file (more in test_f8_date_suggestions_serials_header);
- `-5` among serial numbers is a negative serial (before 1900, no date), not a date "written
  out".

Expected dates and places are typed by hand.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from kpiengine.connector import Request, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.fileformats.dateguess import spec_of
from kpiengine.fileformats.dates import DateError, compile_format, detect_date_format
from kpiengine.fileformats.headerdates import dates_in_header

D = dt.date


def locate(index: int) -> Location:
    return Location("c.csv", index + 2, 1)  # a header, then a row per cell


def sql_dates(cells: list[str], spec: str) -> list[object]:
    fmt = compile_format(spec)
    query = f"SELECT {fmt.sql('x')} FROM (SELECT unnest(?) AS x, unnest(range(?)) AS i) ORDER BY i"
    with duckdb.connect() as con:
        return [row[0] for row in con.execute(query, [cells, len(cells)]).fetchall()]


def fetch(tmp_path, text: str, options: dict[str, object] | None = None):
    """The csv connector's frame of a file (in process), by month."""
    from kpiengine.connectors.csv_files import CsvConnector

    from kpiengine.model import Aggregate

    (tmp_path / "c.csv").write_text(text, encoding="utf-8")
    config = SourceConfig(
        name="s",
        connector="csv",
        root=tmp_path,
        location=Location("kpi.yaml", 3, 5),
        options={"path": "c.csv", **(options or {})},
        currency="EUR",
        variables=frozenset({"amt"}),
    )
    return CsvConnector(config).fetch(Request({"amt": Aggregate()}, "month", []))


# --- months written year first, with names ---------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "spec", "expected"),
    [
        (
            ["2024-Jan", "2024-Feb", "2024-Dec"],
            "%Y-%b",
            [D(2024, 1, 1), D(2024, 2, 1), D(2024, 12, 1)],
        ),
        (["2024/Jan", "2023/Nov"], "%Y/%b", [D(2024, 1, 1), D(2023, 11, 1)]),
        (["2024 Jan", "2024 Mar"], "%Y %b", [D(2024, 1, 1), D(2024, 3, 1)]),
        (["Jan/2024", "Oct/2024"], "%b/%Y", [D(2024, 1, 1), D(2024, 10, 1)]),
        (["2024-janv.", "2024-févr."], "%Y-%b", [D(2024, 1, 1), D(2024, 2, 1)]),  # French
        (["2024-Mrz", "2024-Dez"], "%Y-%b", [D(2024, 3, 1), D(2024, 12, 1)]),  # German Excel
        (["2024-ene", "2024-dic"], "%Y-%b", [D(2024, 1, 1), D(2024, 12, 1)]),  # Spanish
        (["2024-mrt", "2024-okt"], "%Y-%b", [D(2024, 3, 1), D(2024, 10, 1)]),  # Dutch
    ],
)
def test_year_first_month_names_are_months_in_python_and_sql(cells, spec, expected):
    fmt = detect_date_format(cells)
    assert (fmt.spec, fmt.grain) == (spec, "month")
    assert [fmt.read(c) for c in cells] == expected
    assert sql_dates(cells, spec) == expected


def test_a_year_month_column_reads_through_the_csv_connector(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-30")
    frame = fetch(tmp_path, "date,amt\n2024-Jan,1\n2024-Feb,10\n2024-Feb,5\n")
    assert [str(d) for d in frame.dates] == ["2024-01-01", "2024-02-01"]
    assert list(frame.values["amt"]) == [1.0, 15.0]


@pytest.mark.parametrize(
    ("cell", "spec", "day"),
    [
        ("2024-Jan-15", "%Y-%b-%d", D(2024, 1, 15)),
        ("Jan.2024", "%b.%Y", D(2024, 1, 1)),
        ("2024.Feb", "%Y.%b", D(2024, 2, 1)),
        ("15-Jan-24", "%d-%b-%y", D(2024, 1, 15)),
        ("2024-Jan-15 10:30", "%Y-%b-%d %H:%M", D(2024, 1, 15)),
        ("Mo., 15. Jan. 2024", "%a, %d. %b %Y", D(2024, 1, 15)),
    ],
)
def test_the_spec_a_cell_of_names_is_written_in(cell, spec, day):
    assert spec_of(cell) == spec
    assert compile_format(spec).read(cell) == day


@pytest.mark.parametrize("cell", ["Xyz, 15 Qrs 2024", "2024", "Email", "2024-Jan-15-16"])
def test_no_spec_for_a_cell_without_one_date(cell):
    assert spec_of(cell) is None


def test_a_cell_no_format_reads_gets_its_own_spec_not_a_weekday():
    with pytest.raises(KpiError) as info:
        detect_date_format(["2024-Jan-15", "2024-Feb-16"], column="Tag", locate=locate)
    assert info.value.location == Location("c.csv", 2, 1)
    assert "`2024-Jan-15`" in info.value.message
    assert "`date_format: '%Y-%b-%d'`" in (info.value.fix or "")
    assert "%a" not in (info.value.fix or "")


def test_a_cell_of_unknown_names_says_no_word_is_a_month():
    with pytest.raises(KpiError) as info:
        detect_date_format(["Xyz, 15 Qrs 2024"], column="Tag", locate=locate)
    assert "no word of `Xyz, 15 Qrs 2024` is a month name" in (info.value.fix or "")


# --- months in the header --------------------------------------------------------------------


def test_months_in_the_header_are_named_at_their_places(tmp_path):
    with pytest.raises(KpiError) as info:
        fetch(tmp_path, "Channel,Jan 2024,Feb 2024,Mar 2024\nEmail,1,2,3\n")
    error = info.value
    # `Channel,` is 8 characters: `Jan 2024` starts at 9, `Feb 2024` at 18, `Mar 2024` at 27
    assert error.location == Location("c.csv", 1, 9)
    assert "the months are in the header (line 1)" in error.message
    assert "`Jan 2024` (column 9), `Feb 2024` (column 18) and `Mar 2024` (column 27)" in (
        error.message
    )
    assert "unpivot the file to one row per month" in (error.fix or "")
    assert "`Channel,date,value`" in (error.fix or "")


def test_a_date_option_naming_no_column_of_a_sheet_of_days_is_the_same_error(tmp_path):
    with pytest.raises(KpiError) as info:
        fetch(tmp_path, "Kanal;2024-01-01;2024-01-02\nEmail;1;2\n", {"date": "Datum"})
    # `Kanal;` is 6 characters: `2024-01-01` starts at 7
    assert info.value.location == Location("c.csv", 1, 7)
    assert "the days are in the header" in info.value.message


def test_a_header_of_many_months_lists_three():
    months = [f"{m} 2024" for m in ("Jan", "Feb", "Mar", "Apr", "May")]
    places = {c: Location("w.csv", 1, 10 * i) for i, c in enumerate(["Channel", *months])}
    error = dates_in_header(["Channel", *months], places.__getitem__, ["amt"])
    assert error is not None
    assert "(column 30) and 2 more" in error.message
    assert "`Channel,date,value`" in (error.fix or "")
    # `amt` is no column of the sheet: its mapping changes
    assert "change the mapping's `column: amt` to `column: value`" in (error.fix or "")
    assert dates_in_header(["Channel", "amt", "date 2"], places.__getitem__) is None


# --- serial numbers outside 1990-2099 --------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "why"),
    [
        ("-5", "a negative serial number, before 1900: no date"),
        ("-45306", "a negative serial number, before 1900: no date"),
        ("0", "serial number 0 is before 1900-01-01, serial 1: no date"),
        ("5", "serial number 5 is 1900-01-05, before 1990"),  # Excel's first days
        ("32873", "serial number 32873 is 1989-12-31, before 1990"),  # 1990-01-01 is 32874
        ("73051", "serial number 73051 is 2100-01-01, after 2099"),  # 2099-12-31 is 73050
    ],
)
def test_serial_numbers_outside_the_years_say_why(cell, why):
    with pytest.raises(DateError) as info:
        compile_format("excel").read(cell)
    assert why in str(info.value)
    assert "written out" not in str(info.value)


def test_a_negative_serial_among_serials_is_named_at_its_cell(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-30")
    with pytest.raises(KpiError) as info:
        fetch(tmp_path, "date,amt\n45306,1\n-5,10\n")
    assert info.value.location == Location("c.csv", 3, 1)
    assert "`-5`" in info.value.message and "negative serial number" in info.value.message
    assert "written out" not in info.value.message


@pytest.mark.parametrize(
    ("cell", "written"),
    [("1e3", False), ("#REF!", False), ("16.01.2024", True), ("2024年1月", True)],
)
def test_only_a_date_written_out_is_called_so_among_serials(cell, written):
    with pytest.raises(DateError) as info:
        compile_format("excel").read(cell)
    assert ("this date is written out" in str(info.value)) is written
