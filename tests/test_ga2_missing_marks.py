"""`ga_export`: a count worked out from a rate or an average (bounces = (1 - engagement rate) x
sessions, session_duration = average x sessions, engaged sessions = sessions - bounces ...) is
unknown on a row whose rate, average or sessions cell has no value (`—`, empty) while its
sessions are not 0: an error at that cell, with or without a breakdown, never 0 (the row's
sessions stayed in every rate's denominator). `distinct:` in a mapping is an error at its
kpi.yaml line.

Expected values are computed here from the file text with the csv module.
"""

from __future__ import annotations

import csv
import io

import pytest
from test_connector_ga_export import by_key, fetch, source

from kpiengine.connector import Mapping
from kpiengine.errors import KpiError, Location

HEAD = "# Start date: 20240101\n# End date: 20240131\n"  # lines 1-2; the header on line 3
HEADER = (
    "Landing page,Sessions,Engagement rate,Average engagement time per session,"
    "Session key event rate"
)
HOME = "/home,1000,50.00%,00:01:00,2.00%"


def write(tmp_path, *rows: str, header: str = HEADER, **kwargs):
    (tmp_path / "lp.csv").write_text(HEAD + "\n".join([header, *rows]) + "\n")
    return source("lp.csv", root=tmp_path, **kwargs)


def raised(conn, *variables, dims=()) -> KpiError:
    with pytest.raises(KpiError) as info:
        fetch(conn, *variables, grain="month", dims=dims)
    return info.value


@pytest.mark.parametrize("dims", [(), ("landing_page",)])
@pytest.mark.parametrize("variable", ["bounces", "engaged_sessions"])
def test_a_rate_without_value_on_a_row_with_sessions_is_an_error(tmp_path, variable, dims):
    """Was: /blog's 500 sessions counted no bounce and no engaged session (38.8% + 31.8%)."""
    conn = write(tmp_path, HOME, "/blog,500,—,00:00:30,1.00%")
    error = raised(conn, variable, "sessions", dims=dims)
    assert error.location == Location("lp.csv", 5, len("/blog,500,") + 1)
    assert "`Engagement rate` has no value (`—`)" in error.message
    assert "never 0" in error.message


@pytest.mark.parametrize("dims", [(), ("landing_page",)])
def test_an_average_duration_without_value_is_an_error(tmp_path, dims):
    """Was: `—` counted as 0 s for the row's 200 sessions."""
    conn = write(tmp_path, HOME, "(not set),200,20.00%,—,0.00%")
    error = raised(conn, "session_duration", dims=dims)
    assert error.location == Location("lp.csv", 5, len("(not set),200,20.00%,") + 1)
    assert "`Average engagement time per session`" in error.message


def test_an_empty_rate_cell_is_an_error(tmp_path):
    conn = write(tmp_path, HOME, "/blog,500,,00:00:30,1.00%")
    error = raised(conn, "bounces")
    assert error.location == Location("lp.csv", 5, len("/blog,500,") + 1)
    assert "has no value (empty)" in error.message


@pytest.mark.parametrize("cell", ["—", ""])
def test_sessions_without_value_beside_a_rate_is_an_error(tmp_path, cell):
    conn = write(tmp_path, HOME, f"/blog,{cell},40.00%,00:00:30,1.00%")
    error = raised(conn, "engaged_sessions")
    assert error.location == Location("lp.csv", 5, len("/blog,") + 1)
    assert "`Sessions` has no value" in error.message


def test_a_mapped_rate_without_value_is_an_error(tmp_path):
    """`map:` to a rate makes a count per session too: the same rule."""
    mapping = Mapping("conversions", Location("kpi.yaml", 9, 5), column="Session key event rate")
    conn = write(tmp_path, HOME, "/blog,500,40.00%,00:00:30,—", mappings={"conversions": mapping})
    error = raised(conn, "conversions")
    assert error.location == Location("lp.csv", 5, len("/blog,500,40.00%,00:00:30,") + 1)


def test_sessions_minus_a_count_without_sessions_is_an_error(tmp_path):
    """GA4 engaged sessions from a Bounces column: Sessions - Bounces."""
    header = "Landing page,Sessions,Bounces,Engaged sessions per user"  # a GA4 header
    conn = write(tmp_path, "/home,1000,500,1.2", "/blog,—,100,1.1", header=header)
    error = raised(conn, "engaged_sessions")
    assert error.location == Location("lp.csv", 5, len("/blog,") + 1)


def test_no_sessions_means_no_derived_count_whatever_the_rate_cell(tmp_path):
    """A row of 0 sessions has 0 bounces and 0 s of sessions even with `—` cells."""
    rows = [HOME, "/blog,300,25.00%,00:00:20,1.00%", "/old,0,—,—,—"]
    conn = write(tmp_path, *rows)
    frame = fetch(conn, "bounces", "engaged_sessions", "session_duration", grain="month")
    [got] = by_key(frame).values()
    cells = list(csv.reader(io.StringIO("\n".join(rows))))
    counted = [r for r in cells if r[1] != "0"]
    engaged = sum(int(float(r[2].rstrip("%")) / 100 * int(r[1]) + 0.5) for r in counted)
    sessions = sum(int(r[1]) for r in counted)
    duration = sum(
        int(r[1]) * sum(int(p) * 60**i for i, p in enumerate(reversed(r[3].split(":"))))
        for r in counted
    )
    assert got == {
        "engaged_sessions": engaged,
        "bounces": sessions - engaged,
        "session_duration": duration,
    }


def test_distinct_in_a_mapping_is_an_error_at_its_line(tmp_path):
    """Was: `cannot read the file as delimited text` (DuckDB could not sum text)."""
    where = Location("kpi.yaml", 7, 21)
    mapping = Mapping("visitors", where, distinct="Landing page")
    with pytest.raises(KpiError) as info:
        write(tmp_path, HOME, mappings={"visitors": mapping})
    assert info.value.location == where
    assert "does not take `distinct:`" in info.value.message
