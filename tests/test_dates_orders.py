"""Orders of day, month and year, a column mixing two orders, and ISO weeks.

A two-digit year may be written last (`15/01/24`, day/month or month/day) or first (`24/01/15`,
as Japanese, Chinese and Korean settings write it): a column is read without `date_format:` only
when one order reads every row with years up to next year; else the ambiguity error names the
rows. A column that no one order reads whole (`20/01/2024` beside `02/28/2024`) mixes orders: the
error names the two rows at their lines, the odd one's place first. ISO weeks (`2024-W01`) are no
dates: the error is at the first such cell. Expected dates are written by hand.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest
from click.testing import CliRunner

from kpiengine.cli import cli
from kpiengine.errors import KpiError, Location
from kpiengine.fileformats.dates import DateError, compile_format, detect_date_format, read_date
from kpiengine.fileformats.datespec import date_orders
from kpiengine.fileformats.preamble import parse_date_range

D = dt.date
TODAY = "2024-12-10"


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", TODAY)


def locate(index: int) -> Location:
    return Location("data.csv", index + 2, 1)  # the header on line 1, a cell per line


def error_of(cells, **options) -> KpiError:
    with pytest.raises(KpiError) as info:
        detect_date_format(cells, column="Date", locate=locate, **options)
    error = info.value
    assert "%~" not in error.message and "%~" not in (error.fix or "")
    return error


def dates(cells, **options) -> list[dt.date | None]:
    fmt = detect_date_format(cells, **options)
    return [fmt.read(c) for c in cells]


# --- two-digit years ----------------------------------------------------------------------------


def test_the_orders_of_a_spec():
    assert date_orders("%d/%m/%y%~") == ("%d/%m/%y%~", "%m/%d/%y%~", "%y/%m/%d%~")
    assert date_orders("%d.%m.%y") == ("%d.%m.%y", "%m.%d.%y", "%y.%m.%d")
    assert date_orders("%d/%m/%Y%~") == ("%d/%m/%Y%~", "%m/%d/%Y%~")  # `2024/...` is told
    assert date_orders("%Y-%m-%d%~") == ("%Y-%m-%d%~",)
    assert date_orders("%Y%m%d") == ("%Y%m%d",)
    assert date_orders("%d-%b-%y") == ("%d-%b-%y",)


@pytest.mark.parametrize("mark", ["/", ".", "-"])
def test_a_year_first_or_last_is_ambiguous(mark):
    """`24/01/15` is 24 January 2015 (day/month/year) or 15 January 2024 (year/month/day); no
    month/day reading (no 24th month). Each row reads both ways: an error, not 2005-2020."""
    cells = [f"24{mark}01{mark}15", f"24{mark}02{mark}20", f"24{mark}03{mark}05"]
    error = error_of(cells)
    assert "day/month/year or year/month/day" in error.message
    assert f"`24{mark}01{mark}15` (line 2)" in error.message
    assert f"`24{mark}03{mark}05` (line 4)" in error.message
    assert "2015-01-24 or 2024-01-15" in error.message
    assert error.location == Location("data.csv", 2, 1)
    assert f"date_format: '%d{mark}%m{mark}%y'" in error.fix
    assert f"date_format: '%y{mark}%m{mark}%d'" in error.fix
    assert f"%m{mark}%d{mark}%y" not in error.fix
    read = dates(cells, date_format=f"%y{mark}%m{mark}%d")
    assert read == [D(2024, 1, 15), D(2024, 2, 20), D(2024, 3, 5)]


def test_three_orders():
    error = error_of(["05/01/24", "06/01/24"])
    assert "day/month/year, month/day/year or year/month/day" in error.message
    assert "2024-01-05, 2024-05-01 or 2005-01-24" in error.message
    for spec in ("%d/%m/%y", "%m/%d/%y", "%y/%m/%d"):
        assert f"date_format: '{spec}'" in error.fix


def test_a_year_after_next_year_is_no_reading():
    """Today is 2024-12-10: `24/01/28` as day/month/year is 24 January 2028, so the rows are
    year/month/day; `28/01/24` as year/month/day is in 2028, so the rows are day/month/year."""
    assert dates(["24/01/15", "24/01/28"]) == [D(2024, 1, 15), D(2024, 1, 28)]
    assert dates(["15/01/24", "28/01/24"]) == [D(2024, 1, 15), D(2024, 1, 28)]
    assert dates(["15.01.24", "31.01.24"]) == [D(2024, 1, 15), D(2024, 1, 31)]


def test_one_order_alone_reads_without_date_format():
    assert dates(["01/13/24", "01/28/24"]) == [D(2024, 1, 13), D(2024, 1, 28)]  # no 13th month
    assert dates(["13/01/24", "30/01/24"]) == [D(2024, 1, 13), D(2024, 1, 30)]


def test_the_export_range_and_locale_still_settle():
    within = (D(2024, 1, 1), D(2024, 1, 31))
    assert dates(["24/01/15", "24/01/20"], within=within) == [D(2024, 1, 15), D(2024, 1, 20)]
    # a locale (GA's English) writes the year last: month/day, not 2006
    assert dates(["6/1/24", "6/2/24"], day_first=False) == [D(2024, 6, 1), D(2024, 6, 2)]
    assert dates(["6/1/24", "6/2/24"], day_first=True) == [D(2024, 1, 6), D(2024, 2, 6)]


def test_four_digit_years_are_as_before():
    assert dates(["13/01/2024", "01/02/2024"]) == [D(2024, 1, 13), D(2024, 2, 1)]
    error = error_of(["05/02/2026", "06/02/2026"])
    assert "read as day/month or as month/day" in error.message
    assert "year/month/day" not in error.message


@pytest.mark.parametrize("spec", ["%y/%m/%d%~", "%y.%m.%d", "%y-%m-%d%~", "%d-%m-%y%~"])
def test_sql_reads_the_new_orders_as_python_does(spec):
    cells = ["24/01/15", "24.01.15", "24-01-15", "15-01-24", "24-02-30", "24-1-5", "x", "", None]
    con = duckdb.connect()
    fmt = compile_format(spec)
    query = (
        f"SELECT {fmt.sql('x')}, {fmt.bad_sql('x')} "
        "FROM (SELECT unnest(?) AS x, unnest(range(?)) AS i) ORDER BY i"
    )
    rows = con.execute(query, [cells, len(cells)]).fetchall()
    python = []
    for cell in cells:
        try:
            python.append(read_date(cell, spec))
        except DateError:
            python.append("bad")
    assert ["bad" if bad else value for value, bad in rows] == python
    assert D(2024, 1, 15) in python or D(2024, 1, 24) in python


def test_date_ranges_of_preambles_read_the_same_way():
    assert parse_date_range("24/01/15 - 24/01/31") == (D(2024, 1, 15), D(2024, 1, 31))
    assert parse_date_range("15/01/24 - 31/01/24") == (D(2024, 1, 15), D(2024, 1, 31))
    assert parse_date_range("15/01/24 - 20/01/24") is None  # or 2015-01-24 to 2020-01-24
    assert parse_date_range("1/1/24 - 1/31/24") == (D(2024, 1, 1), D(2024, 1, 31))


# --- a column mixing day/month and month/day ----------------------------------------------------


def test_a_column_mixing_orders_names_both_rows():
    cells = ["05/01/2024", "20/01/2024", "03/02/2024", "02/28/2024"]
    error = error_of(cells)
    assert "`20/01/2024` (line 3) can only be day/month" in error.message
    assert "`02/28/2024` (line 5) only month/day" in error.message
    assert error.location == Location("data.csv", 5, 1)  # the odd row, not the header
    assert "date_format" in error.fix and "'%d/%m/%Y'" in error.fix and "'%m/%d/%Y'" in error.fix


def test_one_odd_row_among_many():
    cells = [f"{d:02d}/01/2024" for d in range(13, 29)] + ["01/31/2024"]
    error = error_of(cells)
    assert "`01/31/2024` (line 18) only month/day" in error.message
    assert error.location == Location("data.csv", 18, 1)


def test_a_bad_cell_names_its_format_without_internal_tokens():
    with pytest.raises(DateError) as info:
        read_date("20/01/2024", "%m/%d/%Y%~")
    error = info.value
    assert error.expected == "a date in the format `%m/%d/%Y`"
    assert "%~" not in error.message and "%~" not in (error.fix or "")


# --- ISO weeks ----------------------------------------------------------------------------------


@pytest.mark.parametrize("week", ["2024-W01", "2024-W1", "2024W01", "2024-w01"])
def test_iso_weeks_are_named_at_their_cell(week):
    error = error_of([week, "2024-W02"])
    assert error.message.startswith(f"`{week}` is an ISO week (line 2)")
    assert "weekly rows are not read as dates" in error.message
    assert error.location == Location("data.csv", 2, 1)
    assert "by day" in error.fix


@pytest.mark.parametrize("quarter", ["Q1 2024", "2024-Q1", "2024 Q1", "q1/2024"])
def test_quarters_are_named_at_their_cell(quarter):
    """No `date_format` reads a quarter: the message says what the cell is (it suggested a
    format of weekday names)."""
    error = error_of([quarter, "Q2 2024"])
    assert error.message.startswith(f"`{quarter}` is a quarter (line 2)")
    assert "quarterly rows are not read as dates" in error.message
    assert error.location == Location("data.csv", 2, 1)
    assert "by day or by month" in error.fix and "date_format" not in error.fix


def test_a_week_among_days():
    error = error_of(["2024-01-01", "2024-01-02", "2024-W02"])
    assert error.location == Location("data.csv", 4, 1)


@pytest.mark.parametrize("spec", ["%G-W%V", "%Y-W%W", "%Y-W%U"])
def test_week_directives(spec):
    error = error_of(["2024-W01", "2024-W02"], date_format=spec)
    assert f"`date_format: '{spec}'` reads weeks" in error.message
    assert error.location == Location("data.csv", 2, 1)
    with pytest.raises(ValueError, match="weekly rows are not read as dates"):
        compile_format(spec)


def test_a_week_read_as_a_day_says_it_is_a_week():
    with pytest.raises(DateError) as info:
        read_date("2024-W05", "%Y-%m-%d%~")
    assert info.value.expected == "a date in the format `%Y-%m-%d`: it is an ISO week"


# --- through the CLI ------------------------------------------------------------------------------

DEFS = """\
variables:
  revenue: {unit: currency}
kpis:
  rev: {title: Revenue, formula: revenue, unit: currency}
"""


def workspace(write_workspace, rows: str, date_format: str | None = None):
    option = f"    date_format: '{date_format}'\n" if date_format else ""
    kpi_yaml = (
        "name: t\ncurrency: USD\nkpis: [rev]\nsources:\n  s:\n    connector: csv\n"
        f"    path: data.csv\n    date: Date\n{option}    map: {{revenue: {{column: Revenue}}}}\n"
    )
    return write_workspace({"d": DEFS}, kpi_yaml, "Date,Revenue\n" + rows)


def run(root, command: str, *args: str):
    return CliRunner().invoke(cli, [command, "-w", str(root), *args])


@pytest.mark.parametrize("command", ["eval", "lint"])
def test_cli_two_digit_years(write_workspace, command):
    root = workspace(write_workspace, "24/01/15,1\n24/02/20,2\n24/03/05,4\n")
    out = run(root, command)
    assert out.exit_code != 0
    assert "data.csv:2:1: the dates in column `Date` read as day/month/year or" in out.output
    assert "date_format: '%y/%m/%d'" in out.output


def test_cli_two_digit_years_with_date_format(write_workspace):
    root = workspace(write_workspace, "24/01/15,1\n24/02/20,2\n24/03/05,4\n", "%y/%m/%d")
    out = run(root, "eval", "--format", "json")
    assert out.exit_code == 0, out.output
    values = {r["period"]: r["value"] for r in json.loads(out.stdout) if not r["segment"]}
    assert {p: values[p] for p in ("2024-01", "2024-02", "2024-03")} == {
        "2024-01": 1.0,
        "2024-02": 2.0,
        "2024-03": 4.0,
    }
    assert min(values) == "2024-01"  # nothing in 2005-2020


@pytest.mark.parametrize("command", ["eval", "lint"])
def test_cli_mixed_orders(write_workspace, command):
    rows = "05/01/2024,1\n20/01/2024,2\n03/02/2024,4\n02/28/2024,8\n"
    out = run(workspace(write_workspace, rows), command)
    assert out.exit_code != 0
    assert "data.csv:5:1: the dates in column `Date` mix orders" in out.output
    assert "`20/01/2024` (line 3)" in out.output and "`02/28/2024` (line 5)" in out.output
    assert "%~" not in out.output


@pytest.mark.parametrize("date_format", [None, "%G-W%V", "%Y-W%W"])
def test_cli_iso_weeks(write_workspace, date_format):
    out = run(workspace(write_workspace, "2024-W01,1\n2024-W02,2\n", date_format), "eval")
    assert out.exit_code != 0
    assert "data.csv:2:1: " in out.output and "weekly rows are not read as dates" in out.output
    assert "data.csv:1:1" not in out.output
