"""The one missing-value list: what is missing, what is not, and Python against DuckDB."""

from __future__ import annotations

import math

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpiengine.fileformats.missing import MISSING, is_missing, missing_sql


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def sql_missing(con, cells: list[str | None]) -> list[bool]:
    query = (
        f"SELECT {missing_sql('x')} FROM (SELECT unnest(?) AS x, unnest(range(?)) AS i) ORDER BY i"
    )
    return [row[0] for row in con.execute(query, [cells, len(cells)]).fetchall()]


@pytest.mark.parametrize(
    "cell",
    [
        "",
        "   ",
        "\t",
        "-",
        "--",
        "—",
        "–",
        "(not set)",
        "(Not Set)",
        "(not provided)",
        "n/a",
        "N/A",
        "na",
        "NA",
        "null",
        "NULL",
        "None",
        "nan",
        "NaN",
        " \u00a0n/a\u202f ",
        None,
        math.nan,
    ],
)
def test_missing(cell):
    assert is_missing(cell)


@pytest.mark.parametrize(
    "cell",
    ["0", "0.00", "$0", "#N/A", "#DIV/0!", "inf", "−", "- -", "---", "n / a", "unknown", "?", "x"],
)
def test_not_missing(cell):
    assert not is_missing(cell)


def test_the_list_is_lower_case_and_trimmed():
    assert all(m == m.strip().lower() for m in MISSING)


def test_sql_and_python_agree_on_the_list(con):
    cells = [*MISSING, *(m.upper() for m in MISSING), *(f" {m}\t" for m in MISSING), None]
    assert all(sql_missing(con, cells))


@settings(derandomize=True, max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(
    st.lists(
        st.one_of(
            st.sampled_from(MISSING).flatmap(
                lambda m: st.tuples(
                    st.sampled_from(["", " ", "\t", "\u00a0", "\u202f", "\n"]),
                    st.sampled_from([m, m.upper(), m.title()]),
                    st.sampled_from(["", " ", "\r\n", "\u00a0"]),
                ).map("".join)
            ),
            st.text("-–—nNaA/lLuUoOeEtTsSdDpPrRvVi() \u00a0\u0130\u212a\u017f", max_size=16),
            st.none(),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_python_and_duckdb_agree(con, cells):
    assert sql_missing(con, cells) == [is_missing(c) for c in cells]
