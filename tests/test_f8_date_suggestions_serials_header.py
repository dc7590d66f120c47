"""Date suggestions that read the cell as a person does, printed as YAML; grouped serials;
months in the header only when two of them are successive.

- a day and a month without a year (`15 Jan`, `Jan 15`, `Thu, 15 Jan`) gets no `date_format`
  (every one would misdate it): the message says the cell has no year;
- a suggested `date_format` reads its cell back to the date a person reads (`15 Jan 99` is
  1999, which `%y` reads as 2099: no suggestion), and prints as YAML that loads to it;
- `45,307` among serial numbers is one written with a thousands separator, not serial 45;
- one date-like header cell (`Reporting month,Channel,Spend,2024-12`) is no sheet of months.

Expected dates, places and spans are typed by hand (45306 is 2024-01-15: Excel's serial, as
README says; 45307 the day after).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml

from kpiengine.connector import Request, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.fileformats.dateformat import yaml_text
from kpiengine.fileformats.dateguess import spec_of
from kpiengine.fileformats.dates import DateError, compile_format, detect_date_format
from kpiengine.fileformats.headerdates import dates_in_header

D = dt.date


def locate(index: int) -> Location:
    return Location("c.csv", index + 2, 1)  # a header, then a row per cell


def fetch(tmp_path, text: str):
    """The csv connector's frame of a file (in process), by month."""
    from kpiengine.connectors.csv_files import CsvConnector

    from kpiengine.model import Aggregate

    (tmp_path / "c.csv").write_text(text, encoding="utf-8")
    config = SourceConfig(
        name="s",
        connector="csv",
        root=tmp_path,
        location=Location("kpi.yaml", 3, 5),
        options={"path": "c.csv"},
        currency="EUR",
        variables=frozenset({"amt"}),
    )
    return CsvConnector(config).fetch(Request({"amt": Aggregate()}, "month", []))


def suggested(fix: str | None) -> object:
    """The `date_format: ...` line a fix prints, loaded as YAML."""
    found = re.search(r"`(date_format: .*?)`(?: |$|,|;)", fix or "")
    assert found is not None, fix
    return yaml.safe_load(found[1])["date_format"]


# --- a day without its year --------------------------------------------------------------------


@pytest.mark.parametrize(
    "cells",
    [
        ["15 Jan", "16 Jan"],
        ["15-Jan", "16-Jan"],  # Excel's `d-mmm`
        ["Jan 15", "Jan 16"],
        ["Mon 15 Jan", "Tue 16 Jan"],
        ["Thu, 15 Jan", "Fri, 16 Jan"],
        ["Mon Jan-15", "Tue Jan-16"],  # a weekday names a day: the number is its day
        ["15. Jan.", "16. Jan."],
        ["Jan. 15", "Jan. 16"],
        ["January", "February"],
    ],
)
def test_a_date_without_its_year_gets_no_format_and_says_so(cells):
    assert spec_of(cells[0]) is None
    with pytest.raises(KpiError) as info:
        detect_date_format(cells, column="Date", locate=locate, excel_serials=True)
    error = info.value
    assert error.location == Location("c.csv", 2, 1)
    assert f"`{cells[0]}` (line 2) has no year" in error.message
    assert "export the dates with their years" in (error.fix or "")
    assert "date_format:" not in (error.fix or "")


@pytest.mark.parametrize(
    ("cell", "spec", "day"),
    [
        ("Jan '24", "%b '%y", D(2024, 1, 1)),  # an apostrophe marks a year
        ("15 Jan '24", "%d %b '%y", D(2024, 1, 15)),
        ("Jan ’24", "%b ’%y", D(2024, 1, 1)),
        ("Mon, 15 Jan 24", "%a, %d %b %y", D(2024, 1, 15)),  # two numbers: a day, a year
        ("Jan 15, 24", "%b %d, %y", D(2024, 1, 15)),
        ("Jan-24", "%b-%y", D(2024, 1, 1)),  # Excel's `mmm-yy`, as detection reads it
        ("2024-Jan-15", "%Y-%b-%d", D(2024, 1, 15)),
        ("Jan. 15 2024", "%b %d %Y", D(2024, 1, 15)),
    ],
)
def test_a_suggested_spec_reads_the_date_a_person_reads(cell, spec, day):
    assert spec_of(cell) == spec
    assert compile_format(spec).read(cell) == day


@pytest.mark.parametrize("cell", ["15 Jan 99", "Jan '99", "Jan 45"])
def test_no_spec_that_misdates_a_two_digit_year(cell, monkeypatch):
    # 99 is 1999 to a person, `Jan 45` January 1945 (no day is 45); `%y` reads 2099, 2045
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-30")
    assert spec_of(cell) is None


# --- suggestions printed as YAML ---------------------------------------------------------------


@pytest.mark.parametrize(
    "spec", ["%b '%y", "%d/%m/%Y", "a \"b\" 'c'", "%Y\\%m", "%b ’%y", "'%y", ": %d"]
)
def test_yaml_text_loads_to_the_spec(spec):
    assert yaml.safe_load(f"date_format: {yaml_text(spec)}") == {"date_format": spec}


def test_yaml_text_of_a_quote_is_in_double_quotes():
    assert yaml_text("%b '%y") == '"%b \'%y"'
    assert yaml_text("%d/%m/%Y") == "'%d/%m/%Y'"


@pytest.mark.parametrize(
    ("cells", "spec"),
    [
        (["Jan '24", "Feb '24"], "%b '%y"),
        (["2024-Jan-15", "2024-Feb-16"], "%Y-%b-%d"),
        (["2024-01-31 22:00:00 CET"], "%Y-%m-%d %H:%M:%S %Z"),
        (["16/01/2024 #"], "%d/%m/%Y"),  # the generic examples
        (["Xyz, 15 Qrs 2024"], "%a, %d %b %Y"),
    ],
)
def test_the_printed_suggestion_is_yaml(cells, spec):
    with pytest.raises(KpiError) as info:
        detect_date_format(cells, column="Date", locate=locate)
    assert suggested(info.value.fix) == spec


def test_the_orders_offered_for_ambiguous_dates_are_yaml():
    with pytest.raises(KpiError) as info:
        detect_date_format(["01/02/2024", "03/04/2024"], column="Date", locate=locate)
    found = re.findall(r"`date_format: (.*?)`", info.value.fix or "")
    assert [yaml.safe_load(f"x: {f}")["x"] for f in found] == ["%d/%m/%Y", "%m/%d/%Y"]


# --- serials with a thousands separator --------------------------------------------------------


@pytest.mark.parametrize("cell", ["45,307", "45.307", "45\u00a0307", "45 307", "45'307"])
def test_a_serial_with_a_thousands_separator_is_named_so(cell):
    with pytest.raises(DateError) as info:
        compile_format("excel").read(cell)
    text = str(info.value)
    assert f"a serial number written with a thousands separator, {cell} = 2024-01-16" in text
    assert "serial number 45 " not in text
    assert "without separators" in text


@pytest.mark.parametrize(
    ("cell", "day"),
    [("45306,25", D(2024, 1, 15)), ("45306.250", D(2024, 1, 15)), ("45307", D(2024, 1, 16))],
)
def test_a_serial_with_a_time_still_reads(cell, day):
    assert compile_format("excel").read(cell) == day


def test_a_grouped_serial_among_serials_is_named_at_its_cell(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-30")
    with pytest.raises(KpiError) as info:
        fetch(tmp_path, "date;amt\n45306;10\n45.307;20\n45337;30\n")
    assert info.value.location == Location("c.csv", 3, 1)
    assert "thousands separator, 45.307 = 2024-01-16" in info.value.message


def test_a_column_of_grouped_serials_says_so():
    with pytest.raises(KpiError) as info:
        detect_date_format(["45,306", "45,307"], column="Date", locate=locate, excel_serials=True)
    assert "thousands separator, 45,306 = 2024-01-15" in info.value.message
    assert "date_format:" not in (info.value.fix or "")


# --- months in the header ----------------------------------------------------------------------


def _places(columns: list[str]) -> dict[str, Location]:
    return {c: Location("w.csv", 1, 10 * i + 1) for i, c in enumerate(columns)}


@pytest.mark.parametrize(
    "columns",
    [
        ["Reporting month", "Channel", "Spend", "2024-12"],
        ["Channel", "2023-12", "2024-12"],  # this year beside last year: no run of months
        ["Channel", "Jan 2024", "Mar 2024"],
        ["Kanal", "2024-01-01", "2024-01-08"],
    ],
)
def test_no_successive_periods_in_the_header_is_no_sheet_of_months(columns):
    assert dates_in_header(columns, _places(columns).__getitem__, ["Spend"]) is None


def test_one_month_in_a_header_keeps_the_no_date_column_error(tmp_path):
    with pytest.raises(KpiError) as info:
        fetch(tmp_path, "Reporting month,Channel,amt,2024-12\nJan 2025,Paid,10,5\n")
    assert info.value.message.startswith("no date column (columns:")
    assert "`date: COLUMN`" in (info.value.fix or "")


@pytest.mark.parametrize(
    ("columns", "grain", "layout"),
    [
        (["Channel", "Spend", "Dec 2023", "Jan 2024"], "month", "Channel,Spend,date,value"),
        (["Kanal", "2024-01-31", "2024-02-01"], "day", "Kanal,date,value"),
        (["Date", "Value", "2024-01", "2024-02"], "month", "Date,Value,month,amount"),
    ],
)
def test_successive_periods_get_an_unpivoted_header_without_repeats(columns, grain, layout):
    places = _places(columns)
    error = dates_in_header(columns, places.__getitem__, ["Spend"])
    assert error is not None
    assert error.location == places[columns[-2]]
    assert f"the {grain}s are in the header" in error.message
    assert f"`{layout}`" in (error.fix or "")
