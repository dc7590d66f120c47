"""`ga_export`: the range its `# Start date` and `# End date` lines state.

- The two lines are read together, as the one-line form `# 10/01/2024 - 20/02/2024` is: the
  end's `20/02/2024` says the start is day first; `January 10, 2024` unquoted (two fields) reads.
  A start after the end, or a pair both orders still read, is an error at the start's line.
- A row dated outside the stated range, or an `Nth day` cell that is no whole day index, is an
  error at its cell.
- Bounces are Sessions - Engaged sessions when both columns are there, not the rounded rate.

Expected values are computed here by hand or with the csv module.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from test_connector_ga_export import by_key, fetch, source

from kpiengine.errors import KpiError, Location

TABLE = "Session default channel group,Sessions,Engaged sessions\nDirect,100,50\nEmail,300,100\n"


def write(tmp_path, text: str):
    (tmp_path / "p.csv").write_text(text)
    return source("p.csv", root=tmp_path)


def dates(start: str, end: str, start_key: str = "Start date", end_key: str = "End date") -> str:
    return f"# All Users\n# {start_key}: {start}\n# {end_key}: {end}\n" + TABLE


JAN10_FEB20 = (dt.date(2024, 1, 10), dt.date(2024, 2, 20))


@pytest.mark.parametrize(
    "start, end, keys",
    [
        ("10/01/2024", "20/02/2024", ()),  # day first: 20/02 says so
        ("01/10/2024", "02/20/2024", ()),  # month first: 02/20 says so
        ("10.01.2024", "20.02.2024", ("Startdatum", "Enddatum")),
        ("January 10, 2024", "February 20, 2024", ()),  # unquoted: two fields
    ],
)
def test_start_and_end_dates_are_read_together(tmp_path, start, end, keys):
    """Was: "the file no `# Start date` line (nor a date range)": each read alone."""
    conn = write(tmp_path, dates(start, end, *keys))
    [export] = conn.exports()
    assert export.date_range == JAN10_FEB20
    frame = fetch(conn, "sessions", grain="month")  # one `range` period
    assert sum(frame.values["sessions"]) == 100 + 300


def test_a_start_after_the_end_is_an_error_at_its_line(tmp_path):
    conn = write(tmp_path, dates("20240201", "20240131"))
    with pytest.raises(KpiError) as info:  # the rows have no date but the range
        fetch(conn, "sessions", grain="month")
    assert info.value.location == Location("p.csv", 2, 1)
    assert "starts after it ends" in info.value.message


def test_a_pair_both_orders_read_is_an_error_at_its_line(tmp_path):
    conn = write(tmp_path, dates("01/02/2024", "03/04/2024"))
    with pytest.raises(KpiError) as info:
        fetch(conn, "sessions", grain="month")
    assert info.value.location == Location("p.csv", 2, 1)
    assert "day/month and as month/day" in info.value.message


def test_a_pair_not_needed_to_date_the_rows_is_no_error(tmp_path):
    """Rows dated by their Date column need no range: `01.06.2024` to `05.06.2024` (either
    order) is left unread, as before, rather than refusing the file."""
    rows = "Date,Sessions\n20240601,10\n20240605,5\n"
    conn = write(tmp_path, "# Start date: 01.06.2024\n# End date: 05.06.2024\n" + rows)
    frame = fetch(conn, "sessions", grain="month")
    assert sum(frame.values["sessions"]) == 10 + 5


RANGE = "# Start date: 20240101\n# End date: 20240131\n"  # the header on line 3


@pytest.mark.parametrize(
    "rows, line, why",
    [
        ("Date,Sessions\n20240101,10\n20240131,5\n20240315,9\n", 6, "outside"),
        ("Nth day,Sessions\n0000,10\n0040,5\n", 5, "outside"),  # 10 February
        ("Nth day,Sessions\n0000,10\n-001,5\n", 5, "no day index"),
        ("Nth day,Sessions\n0000,10\n0001.5,5\n", 5, "no day index"),
    ],
)
def test_a_row_outside_the_stated_range_is_an_error_at_its_cell(tmp_path, rows, line, why):
    """Was: March's row counted (February "complete" with 0 sessions), `0040` in February,
    `-001` in December 2023, `0001.5` read as day 2."""
    conn = write(tmp_path, RANGE + rows)
    with pytest.raises(KpiError) as info:
        fetch(conn, "sessions", grain="month")
    assert info.value.location == Location("p.csv", line, 1)
    assert why in info.value.message


def test_rows_within_the_stated_range_are_counted(tmp_path):
    conn = write(tmp_path, RANGE + "Nth day,Sessions\n0000,10\n0030,5\n")
    got = by_key(fetch(conn, "sessions", grain="day"))
    assert got == {("2024-01-01",): {"sessions": 10.0}, ("2024-01-31",): {"sessions": 5.0}}


def test_bounces_are_sessions_minus_engaged_sessions_when_both_are_there(tmp_path):
    """Was: (1 - 57.11%) x 1,234,567, the rounded rate, per row."""
    table = (
        "Session default channel group,Sessions,Engaged sessions,Engagement rate\n"
        'Organic Search,"1,234,567","705,000",57.11%\nDirect,"1,234,001","705,004",57.13%\n'
    )
    conn = write(tmp_path, RANGE + table)
    [got] = by_key(fetch(conn, "bounces", "engaged_sessions", grain="month")).values()
    _, *rows = csv.reader(io.StringIO(table))
    sessions = sum(int(r[1].replace(",", "")) for r in rows)
    engaged = sum(int(r[2].replace(",", "")) for r in rows)
    assert got == {"bounces": sessions - engaged, "engaged_sessions": engaged}
