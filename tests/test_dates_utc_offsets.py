"""Timestamps with a UTC offset written as databases write them: DuckDB's `COPY ... TO` writes
`2024-01-31 22:00:00+00`, PostgreSQL's `\\copy` `2024-01-31 17:00:00-05` (the hour alone; `+05:30`
and `+0530` elsewhere). Each is dated by the day it shows, in the CSV, JSON lines and `sql`
`files:` readers, in the sample and past it, and `%z` in a `date_format` reads them too; Python
and SQL read them alike. Expected values are summed by hand from the rows' shown days.

A column of ISO days followed by what no format reads gets a `date_format` fix that starts with
`%Y-%m-%d`, never `%d/%m/%Y`.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kpiengine
from kpiengine.errors import KpiError
from kpiengine.fileformats.dates import DateError, compile_format, detect_date_format

D = dt.date
KPIS = "kpis:\n  k_amt: {title: Amount, formula: amt, unit: currency, direction: higher}\n"
VARIABLES = "variables:\n  amt: {unit: currency, aggregate: sum}\n"
#: DuckDB's COPY: UTC, hour-only offset; row 3 is 1 February.
DUCK = (
    "ts,amount\n2024-01-31 22:00:00+00,0.20\n2024-01-31 23:30:00+00,\n"
    "2024-02-01 04:30:00+00,0.10\n2024-02-15 12:00:00+00,99999999.99\n"
    "2024-02-16 12:00:00+00,0.01\n"
)
#: psql's \copy in New York: row 3 shows 31 January (1 February in UTC).
PG = (
    "ts,amount\n2024-01-31 17:00:00-05,0.20\n2024-01-31 18:30:00-05,\n"
    "2024-01-31 23:30:00-05,0.10\n2024-02-15 07:00:00-05,99999999.99\n"
    "2024-02-16 07:00:00-05,0.01\n"
)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-12-07")


def amounts(tmp_path, name: str, data: str, source: str = "") -> dict[str, float]:
    (tmp_path / "definitions").mkdir(exist_ok=True)
    (tmp_path / "definitions" / "k.yaml").write_text(VARIABLES + KPIS)
    (tmp_path / name).write_text(data)
    source = (
        source or f"{{connector: csv, path: {name}, date: ts, map: {{amt: {{column: amount}}}}}}"
    )
    (tmp_path / "kpi.yaml").write_text(
        f"currency: EUR\ngrain: month\nkpis: [k_amt]\nsources:\n  s: {source}\n"
    )
    records = kpiengine.evaluate(kpiengine.load_workspace(tmp_path), kpis=["k_amt"]).records()
    return {r["period"]: round(r["value"], 2) for r in records if r["value"] is not None}


def test_duckdb_copy_csv(tmp_path):
    assert amounts(tmp_path, "duck.csv", DUCK) == {"2024-01": 0.2, "2024-02": 100000000.1}


def test_psql_copy_csv_keeps_the_day_shown(tmp_path):
    assert amounts(tmp_path, "pg.csv", PG) == {"2024-01": 0.3, "2024-02": 100000000.0}


def test_offsets_past_the_sample(tmp_path):
    """400 plain days (the sample: `%Y-%m-%d`), then offsets of each kind, read by SQL."""
    rows = [f"2024-01-{i % 28 + 1:02d},1" for i in range(400)]
    rows += ["2024-01-31 23:30:00-05,1000", "2024-02-01 00:30:00+05:30,2000"]
    rows += ["2024-02-02T00:30:00+0530,4000", "2024-02-03 01:00:00.25+00,8000"]
    data = "ts,amount\n" + "\n".join(rows) + "\n"
    assert amounts(tmp_path, "big.csv", data) == {"2024-01": 1400.0, "2024-02": 14000.0}


def test_offsets_throughout_a_long_file(tmp_path):
    rows = [f"2024-01-{i % 28 + 1:02d} 23:00:00-05,1" for i in range(400)]
    rows += ["2024-02-29 23:59:59-05,10"]
    data = "ts,amount\n" + "\n".join(rows) + "\n"
    assert amounts(tmp_path, "long.csv", data) == {"2024-01": 400.0, "2024-02": 10.0}


def test_json_lines(tmp_path):
    lines = [line.split(",") for line in PG.splitlines()[1:]]
    data = "".join(
        json.dumps({"ts": ts, "amount": float(a) if a else None}) + "\n" for ts, a in lines
    )
    assert amounts(tmp_path, "pg.jsonl", data) == {"2024-01": 0.3, "2024-02": 100000000.0}


def test_sql_files(tmp_path):
    source = (
        '{connector: sql, url: "duckdb://", files: {t: pg.csv}, table: t, date: ts, '
        "map: {amt: amount}}"
    )
    assert amounts(tmp_path, "pg.csv", PG, source) == {"2024-01": 0.3, "2024-02": 100000000.0}


def test_date_format_with_z_reads_the_hour_alone(tmp_path):
    source = (
        '{connector: csv, path: pg.csv, date: ts, date_format: "%Y-%m-%d %H:%M:%S%z", '
        "map: {amt: {column: amount}}}"
    )
    assert amounts(tmp_path, "pg.csv", PG, source) == {"2024-01": 0.3, "2024-02": 100000000.0}


@pytest.mark.parametrize(
    "cell", ["2024-01-31 22:00:00+00", "2024-01-31 22:00:00-05", "2024-01-31T22:00+05:30",
             "2024-01-31 22:00:00.123456+0530", "2024-01-31 22:00:00 -05"],
)  # fmt: skip
def test_detected_and_read(cell):
    fmt = detect_date_format([cell, cell.replace("-31", "-30")])
    assert fmt.read(cell) == D(2024, 1, 31)


@pytest.mark.parametrize("cell", ["2024-01-31 22:00:00+24", "2024-01-31 22:00:00+0", "+00"])
def test_not_offsets(cell):
    with pytest.raises(DateError):
        compile_format("%Y-%m-%d%~").read(cell)


@pytest.mark.parametrize(
    ("cell", "fix"),
    [
        ("2024-01-31 22:00:00 CET", "'%Y-%m-%d %H:%M:%S %Z'"),
        ("2024-01-31 22h00", "'%Y-%m-%d %H:%M:%S%z'` written as the cells are"),
    ],
)
def test_iso_cells_not_read_get_an_iso_fix(cell, fix):
    with pytest.raises(KpiError) as caught:
        detect_date_format([cell], column="ts")
    assert fix in str(caught.value.fix) and "%d/%m/%Y" not in str(caught.value.fix)
    if "%Z" in fix:  # the fix offered reads the cell
        assert compile_format(fix.strip("'")).read(cell) == D(2024, 1, 31)


# --- Python and SQL read alike -------------------------------------------------------------------

OFFSETS = st.sampled_from(["", "Z", "+00", "-05", "+05:30", "+0530", " -0800", " UTC", "+24", "-5"])
TIMES = st.tuples(
    st.sampled_from([" ", "T"]),
    st.integers(0, 23),
    st.integers(0, 59),
    st.sampled_from(["", ":07", ":59.5", ":00.123456"]),
    OFFSETS,
).map(lambda t: f"{t[0]}{t[1]:02d}:{t[2]:02d}{t[3]}{t[4]}")


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def both(con, cells: list[str], spec: str) -> tuple[list[object], list[object]]:
    fmt = compile_format(spec)
    query = (
        f"SELECT {fmt.sql('x')}, {fmt.bad_sql('x')} "
        "FROM (SELECT unnest(?) AS x, unnest(range(?)) AS i) ORDER BY i"
    )
    sql = ["bad" if bad else v for v, bad in con.execute(query, [cells, len(cells)]).fetchall()]
    py: list[object] = []
    for cell in cells:
        try:
            py.append(fmt.read(cell))
        except DateError:
            py.append("bad")
    return sql, py


@pytest.mark.parametrize("spec", ["%Y-%m-%d%~", "%d/%m/%Y%~", "%Y-%m-%d %H:%M:%S%z"])
@settings(
    derandomize=True, max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(stamps=st.lists(st.tuples(st.dates(D(2000, 1, 1), D(2099, 12, 31)), TIMES), max_size=8))
def test_offsets_read_alike_in_python_and_sql(con, spec, stamps):
    day = "%d/%m/%Y" if spec.startswith("%d") else "%Y-%m-%d"
    cells = [d.strftime(day) + t for d, t in stamps]
    sql, py = both(con, cells, spec)
    assert sql == py
    for (d, t), value in zip(stamps, py, strict=True):  # the day shown, whatever the offset
        if spec.endswith("%z"):  # a time with seconds, then an offset: or bad
            assert value in (d, "bad")
        else:
            assert value == ("bad" if t.endswith(("+24", "-5")) else d)


def test_z_reads_every_offset_form():
    fmt = compile_format("%Y-%m-%d %H:%M:%S%z")
    for offset in ("+00", "-05", "+05:30", "+0530", "Z"):
        assert fmt.read("2024-01-31 22:00:00" + offset) == D(2024, 1, 31)
