"""Typed files read the same on every machine, past DuckDB's type sample too.

- A Parquet TIMESTAMPTZ (pandas' `utc=True` timestamps) is dated by its UTC day whatever the
  machine's zone (`TZ`), as the `sql` connector's `files:` dates it; text timestamps with an
  offset (CSV, JSON lines) keep the day they show in any zone.
- A JSON number column DuckDB typed as integers from its first rows keeps a later fraction
  (`0.75` after 30,000 `10`s), in JSON lines and `.json` arrays; a whole-number column read as
  a dimension or a `where:` value still reads `17`.
- A late cell of a JSON date column DuckDB cannot read (`2024-02-06 10:30:00` after ISO days,
  an empty date, `06/03/2024`) is read by the day it shows or named at its line.
- A date column of epoch milliseconds (pandas' default `to_json`) is said to be one.

Expected values are summed by hand from the rows written.
"""

from __future__ import annotations

import json
import time

import duckdb
import pytest

import kpiengine
from kpiengine import runcache
from kpiengine.errors import KpiError
from kpiengine.fileformats.typedfiles import json_numbers, numeric_days

DEFINITIONS = """\
variables:
  amt: {unit: currency, aggregate: sum}
kpis:
  k_amt: {title: Amount, formula: amt, unit: currency, direction: higher}
"""


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-12-01")


@pytest.fixture
def zone(monkeypatch):
    """Run in a machine zone: a fresh DuckDB database takes the zone `TZ` names."""

    def use(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()
        runcache._database.cache_clear()

    yield use
    monkeypatch.undo()
    time.tzset()
    runcache._database.cache_clear()


def evaluate(root, data: str, source: str = "date: date, map: {amt: amt}") -> dict[str, float]:
    (root / "definitions").mkdir(exist_ok=True)
    (root / "definitions" / "k.yaml").write_text(DEFINITIONS)
    (root / "kpi.yaml").write_text(
        f"currency: EUR\nsources:\n  s: {{connector: csv, path: '{data}', {source}}}\n"
    )
    results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["k_amt"])
    values = results.kpis["k_amt"].values[:, 0]
    return {p: float(v) for p, v in zip(results.labels, values, strict=True) if v == v}


def error(root, data: str, source: str = "date: date, map: {amt: amt}") -> str:
    with pytest.raises(KpiError) as caught:
        evaluate(root, data, source)
    return str(caught.value)


# --- 1. time zones ------------------------------------------------------------------------------

#: UTC instants next to a month's end: 1 in January, 2 in February, 4 in March (UTC days);
#: New York puts 2 in January and 4 in February, Tokyo 1 in February.
STAMPS = [("2024-01-31 23:30:00", 1), ("2024-02-01 02:00:00", 2), ("2024-03-01 00:30:00", 4)]
UTC_MONTHS = {"2024-01": 1.0, "2024-02": 2.0, "2024-03": 4.0}


@pytest.mark.parametrize("name", ["America/New_York", "Asia/Tokyo", "UTC"])
def test_a_parquet_timestamptz_is_dated_by_its_utc_day_in_any_zone(tmp_path, zone, name):
    rows = " UNION ALL ".join(
        f"SELECT TIMESTAMPTZ '{s}+00' AS date, {a}.0 AS amt" for s, a in STAMPS
    )
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"COPY ({rows}) TO '{tmp_path / 'd.parquet'}' (FORMAT parquet)")
    con.close()
    zone(name)
    assert evaluate(tmp_path, "d.parquet") == UTC_MONTHS


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
@pytest.mark.parametrize("name", ["America/New_York", "Asia/Tokyo"])
def test_text_timestamps_with_an_offset_keep_the_day_shown_in_any_zone(
    tmp_path, zone, name, suffix
):
    # shown days: 31 Jan (1 Feb in UTC), 1 Feb (31 Jan in UTC), 29 Feb, 1 Mar (29 Feb in UTC)
    shown = [
        ("2024-01-31T23:30:00-05:00", 1),
        ("2024-02-01T00:30:00+02:00", 2),
        ("2024-02-29T23:00:00Z", 4),
        ("2024-03-01 01:00:00+01:00", 8),
    ]
    if suffix == "csv":
        text = "date,amt\n" + "".join(f"{d},{a}\n" for d, a in shown)
    else:
        text = "".join(json.dumps({"date": d, "amt": a}) + "\n" for d, a in shown)
    (tmp_path / f"d.{suffix}").write_text(text)
    zone(name)
    assert evaluate(tmp_path, f"d.{suffix}") == {"2024-01": 1.0, "2024-02": 6.0, "2024-03": 8.0}


# --- 2. late fractions in JSON number columns ------------------------------------------------

LATE = [{"date": "2024-01-05", "amt": 10}] * 30_000 + [
    {"date": "2024-01-06", "amt": 0.75},
    {"date": "2024-01-07", "amt": 19.99},
]


def test_a_late_fraction_in_json_lines_is_kept(tmp_path):
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in LATE))
    assert evaluate(tmp_path, "d.jsonl") == pytest.approx({"2024-01": 300_020.74}, rel=0, abs=1e-6)


def test_a_late_fraction_in_a_json_array_is_kept(tmp_path):
    (tmp_path / "d.json").write_text(json.dumps(LATE))
    assert evaluate(tmp_path, "d.json") == pytest.approx({"2024-01": 300_020.74}, rel=0, abs=1e-6)


def test_a_whole_number_json_column_still_matches_a_where_value(tmp_path):
    rows = [{"date": f"2024-01-0{i % 9 + 1}", "store": 17 + i % 2, "amt": i} for i in range(10)]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    source = "date: date, map: {amt: {column: amt, where: {store: 17}}}"
    assert evaluate(tmp_path, "d.jsonl", source) == {"2024-01": 0.0 + 2 + 4 + 6 + 8}


# --- 3. late cells of a JSON date column ---------------------------------------------------------

EARLY = 25_000  # past DuckDB's JSON type sample


def late_date(tmp_path, cell: object, amt: object = 1) -> None:
    early = json.dumps({"date": "2024-01-05", "amt": amt}) + "\n"
    last = json.dumps({"date": cell, "amt": 100}) + "\n"
    (tmp_path / "d.jsonl").write_text(early * EARLY + last)


@pytest.mark.parametrize("amt", [1, 1.5])
def test_a_late_date_time_in_a_json_date_column_is_read_by_its_day(tmp_path, amt):
    late_date(tmp_path, "2024-02-06 10:30:00", amt)
    assert evaluate(tmp_path, "d.jsonl") == {"2024-01": EARLY * amt, "2024-02": 100.0}


@pytest.mark.parametrize("amt", [1, 1.5])
@pytest.mark.parametrize(
    ("cell", "said"), [("06/03/2024", "found `06/03/2024`"), ("", "no date in column `date`")]
)
def test_a_late_bad_json_date_is_named_at_its_line(tmp_path, cell, said, amt):
    late_date(tmp_path, cell, amt)
    message = error(tmp_path, "d.jsonl")
    assert message.startswith(f"d.jsonl:{EARLY + 1}:1: ")
    assert said in message
    assert "cannot read the file as JSON" not in message


# --- 4. epoch dates ------------------------------------------------------------------------------


def test_epoch_milliseconds_are_said_to_be_so_with_an_iso_fix():
    # 1706743800000 ms = 19753 days and 84600 s after 1970-01-01: 2024-01-31 23:30:00
    what, fix = numeric_days("1706743800000", "JSON")
    assert what == " (epoch milliseconds? 1706743800000 would be 2024-01-31 23:30:00 UTC)"
    assert 'date_format="iso"' in fix and "serial days" not in fix
    assert numeric_days("1706743800", "JSON")[0].startswith(" (epoch seconds? ")
    what, fix = numeric_days("45306", "JSON")  # 1899-12-30 + 45306 days
    assert what == " (spreadsheet serial days? 45306 would be 2024-01-15)"
    assert "serial days" in fix


def test_a_json_date_column_of_numbers_is_known_as_numbers(tmp_path):
    from kpiengine.fileformats.tables import _typed_table

    rows = [{"ts": 1706743800000, "day": "2024-01-31", "amt": 1}] * 3
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    table = _typed_table(tmp_path / "d.jsonl", "d.jsonl", "json")
    assert table.cells("ts")[0] == "1706743800000"  # read as written, not 1.7e12
    assert json_numbers(table, "ts") == "BIGINT"
    assert json_numbers(table, "day") is None


@pytest.mark.parametrize(
    ("first", "said"),
    [
        (1706743800000, "(epoch milliseconds? 1706743800000 would be 2024-01-31 23:30:00 UTC)"),
        (45306, "(spreadsheet serial days? 45306 would be 2024-01-15)"),
    ],
)
def test_a_json_date_column_of_numbers_is_an_error_never_a_guess(tmp_path, first, said):
    # needs filesource._numeric_days to ask `json_numbers` (JSON integers are read as text)
    rows = [{"date": first + i, "amt": 1} for i in range(3)]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    message = error(tmp_path, "d.jsonl")
    assert message.startswith("d.jsonl: the date column `date` is a JSON BIGINT column")
    assert said in message
