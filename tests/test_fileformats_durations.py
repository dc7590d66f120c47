"""Durations: the forms GA writes, the errors, and Python against DuckDB."""

from __future__ import annotations

import math

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpiengine.fileformats.durations import (
    DurationError,
    bad_duration_sql,
    duration_sql,
    parse_duration,
)


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def py_read(cell, decimal):
    try:
        value = parse_duration(cell, decimal)
    except DurationError:
        return "bad"
    return "missing" if math.isnan(value) else value


def sql_read(con, cells, decimal):
    query = (
        f"SELECT {duration_sql('x', decimal)}, {bad_duration_sql('x', decimal)} "
        "FROM (SELECT unnest(?) AS x, unnest(range(?)) AS i) ORDER BY i"
    )
    rows = con.execute(query, [cells, len(cells)]).fetchall()
    return ["bad" if bad else "missing" if v is None else v for v, bad in rows]


@pytest.mark.parametrize(
    ("cell", "seconds"),
    [
        ("00:02:13", 133.0),
        ("2:13", 133.0),
        ("1:02:03", 3723.0),
        ("00:00:12.5", 12.5),
        ("75:00", 4500.0),
        ("۰۰:۰۲:۱۳", 133.0),
        ("1h 2m 3s", 3723.0),
        ("0m 45s", 45.0),
        ("2 min 13 s", 133.0),
        ("1.5 hours", 5400.0),
        ("2分13秒", 133.0),
        ("45.5", 45.5),
        ("133", 133.0),
    ],
)
def test_durations(cell, seconds):
    assert parse_duration(cell) == seconds


def test_decimal_comma_and_missing():
    assert parse_duration("45,5", ",") == 45.5
    assert math.isnan(parse_duration("", "."))
    assert math.isnan(parse_duration("--", "."))


@pytest.mark.parametrize("decimal", [".", ","])
def test_arabic_decimal_separator_in_seconds(con, decimal):
    # Persian GA writes `۵۰٫۲۵` (U+066B), which the number grammar reads as 50.25 whatever
    # the file's mark; by hand: 50 + 25/100, 12 + 5/10, 1.5 hours = 5400 seconds
    cells = ["۵۰٫۲۵", "۰۰:۰۰:۱۲٫۵", "1٫5 hours", "٫5"]
    assert [parse_duration(c, decimal) for c in cells] == [50.25, 12.5, 5400.0, 0.5]
    assert sql_read(con, cells, decimal) == [50.25, 12.5, 5400.0, 0.5]


@pytest.mark.parametrize(
    "cell", ["00:75:00", "1:2:3:4", "a:b", "12:60", "2 fortnights", "45%", "-5", "1e3", "3s 2m"]
)
def test_bad_durations(cell):
    with pytest.raises(DurationError, match="duration"):
        parse_duration(cell)


CELLS = ["00:02:13", "2:13", "1h 2m 3s", "45.5", "45,5", "", "-", "12:60", "1,234", None, "45٫5"]


@settings(derandomize=True, max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(
    st.lists(
        st.one_of(
            st.sampled_from(CELLS),
            st.text("0123456789:., hms", max_size=10),
            st.tuples(st.integers(0, 99), st.integers(0, 59), st.integers(0, 59)).map(
                lambda t: f"{t[0]:02d}:{t[1]:02d}:{t[2]:02d}"
            ),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_python_and_duckdb_agree(con, cells):
    for decimal in (".", ","):
        assert sql_read(con, cells, decimal) == [py_read(c, decimal) for c in cells]
