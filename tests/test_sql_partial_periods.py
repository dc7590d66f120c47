"""A `sql` source's period is partial only when its rows stop inside it (README "Partial
periods"), as with the `csv` connector: the query keeps the rows of the dates asked for, but the
data's first and last days are those of all its rows. June asked alone (with May before it) is
complete when the table has rows to 22 July, though none after 22 June; July is partial, 22 of
its 31 days.

Expected values are computed by plain DuckDB over the table (or by hand), not by kpiengine.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import fakesnow  # a test dependency (pinned in the `test` extra)
import pytest
from click.testing import CliRunner
from engine_helpers import load_postgres, load_snowflake, write_parquet

import kpiengine
from kpiengine.cli import cli

FIRST, LAST = dt.date(2023, 5, 1), dt.date(2023, 7, 22)
QUIET = dt.date(2023, 6, 23), dt.date(2023, 6, 30)
COLUMNS = {
    "ordered_at": "DATE",
    "shipped_at": "TIMESTAMP",
    "channel": "VARCHAR",
    "amount": "DOUBLE",
    "customer": "BIGINT",
}
DEFINITIONS = """\
kpis:
  revenue: {title: Revenue, formula: order_amount, unit: currency, direction: none}
  shipped: {title: Shipped, formula: shipped_amount, unit: currency, direction: none}
  buyers: {title: Buyers, formula: customers, unit: customers, direction: none}
variables:
  order_amount: {aggregate: sum, unit: currency}
  shipped_amount: {aggregate: sum, unit: currency}
  customers: {aggregate: distinct, unit: customers}
"""
MAPPINGS = (
    "    date: ordered_at\n    dimensions: [channel]\n    map:\n      order_amount: amount\n"
    "      shipped_amount: {column: amount, date: shipped_at}\n"
    "      customers: {distinct: customer}\n"
)


def rows() -> list[tuple]:
    """One or two orders a day from FIRST to LAST, each shipped two days later, but none from
    23 to 30 June: in the rows of May and June alone, the data would stop on 22 June."""
    out = []
    day, n = FIRST, 0
    while day <= LAST:
        for k in range(0 if QUIET[0] <= day <= QUIET[1] else 1 + n % 2):
            shipped = dt.datetime.combine(day, dt.time(9)) + dt.timedelta(days=2)
            amount = round(3.25 + (n * 7 + k * 5) % 23 * 10.5, 2)
            out.append((day, shipped, ["Email", "Ads"][(n + k) % 2], amount, 1 + (n + k) % 9))
        day, n = day + dt.timedelta(days=1), n + 1
    return out


def csv_text() -> str:
    lines = ["ordered_at,shipped_at,channel,amount,customer"]
    lines += [f"{d},{s:%Y-%m-%d %H:%M:%S},{c},{a},{u}" for d, s, c, a, u in rows()]
    return "\n".join(lines) + "\n"


def month_sum(first: str, last: str) -> float:
    """The amount ordered from `first` to `last`, by DuckDB over the rows."""
    with duckdb.connect() as con:
        con.execute(f"CREATE TABLE t ({', '.join(f'{c} {t}' for c, t in COLUMNS.items())})")
        con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", rows())
        [(total,)] = con.execute(
            f"SELECT SUM(amount) FROM t WHERE ordered_at BETWEEN '{first}' AND '{last}'"
        ).fetchall()
    return float(total)


def workspace(root: Path, source: str) -> Path:
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "k.yaml").write_text(DEFINITIONS)
    (root / "kpi.yaml").write_text(f"grain: month\nsources:\n  orders:\n{source}{MAPPINGS}")
    return root


def database_workspace(root: Path) -> Path:
    """A DuckDB database file holding the table `orders`."""
    root.mkdir(parents=True)
    write_parquet(root / "orders.parquet", COLUMNS, rows())
    with duckdb.connect(str(root / "o.duckdb")) as con:
        con.execute(f"CREATE TABLE orders AS SELECT * FROM '{root / 'orders.parquet'}'")
    return workspace(root, "    connector: sql\n    url: duckdb:///o.duckdb\n    table: orders\n")


def files_workspace(root: Path) -> Path:
    """The table read from a CSV file through `files:` (as `kpi import --data` writes it)."""
    root.mkdir(parents=True)
    (root / "orders.csv").write_text(csv_text())
    return workspace(
        root,
        "    connector: sql\n    url: duckdb://\n    files: {orders: orders.csv}\n"
        "    table: orders\n",
    )


def csv_workspace(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "orders.csv").write_text(csv_text())
    return workspace(root, "    connector: csv\n    path: orders.csv\n")


def evaluate(root: Path, *args: str) -> list[dict]:
    """The total's records of `kpi eval --format json --kpi revenue ARGS`."""
    result = CliRunner().invoke(
        cli, ["eval", "-w", str(root), "--format", "json", "--kpi", "revenue", *args]
    )
    assert result.exit_code == 0, result.output
    return [r for r in json.loads(result.stdout) if not r["segment"]]


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-04-15")


@pytest.mark.parametrize("make", [database_workspace, files_workspace], ids=["file", "files"])
def test_a_month_before_the_last_rows_is_complete_and_compared_with_the_whole_month_before(
    tmp_path, make
):
    root = make(tmp_path / "ws")
    [june] = evaluate(root, "--period", "2023-06")
    assert june["complete"] is True and june["coverage"] == 1.0
    assert june["compared"] == "period" and june["projected"] is None
    assert june["value"] == pytest.approx(month_sum("2023-06-01", "2023-06-30"))
    assert june["previous"] == pytest.approx(month_sum("2023-05-01", "2023-05-31"))
    [july] = evaluate(root, "--period", "2023-07")
    assert july["complete"] is False and july["coverage"] == pytest.approx(22 / 31, abs=1e-3)
    assert july["value"] == pytest.approx(month_sum("2023-07-01", "2023-07-22"))


@pytest.mark.parametrize(
    "args",
    [
        ("--period", "2023-06"),
        ("--period", "2023-07"),
        ("--period", "2023-05"),
        ("--from", "2023-06-01", "--to", "2023-06-30"),
        ("--from", "2023-05-10", "--to", "2023-07-05"),
        ("--to", "2023-06-20"),
        ("--from", "2023-06-01"),
    ],
)
def test_every_request_reads_the_periods_as_the_csv_connector_does(tmp_path, args):
    from_csv = evaluate(csv_workspace(tmp_path / "csv"), *args)
    assert evaluate(database_workspace(tmp_path / "db"), *args) == from_csv
    assert evaluate(files_workspace(tmp_path / "files"), *args) == from_csv


def test_rows_after_today_are_left_out_and_the_month_of_today_is_partial(tmp_path, monkeypatch):
    """KPI015: the source is asked again up to today; June 2023 holds today, the 15th. The
    last rows are shipped on 24 July (ordered on the 22nd)."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2023-06-15")
    root = database_workspace(tmp_path / "db")
    [june] = evaluate(root, "--period", "2023-06")
    assert june["complete"] is False and june["coverage"] == pytest.approx(15 / 30, abs=1e-3)
    assert june["value"] == pytest.approx(month_sum("2023-06-01", "2023-06-15"))
    assert june["previous"] == pytest.approx(month_sum("2023-05-01", "2023-05-15"))
    assert [june] == evaluate(csv_workspace(tmp_path / "csv"), "--period", "2023-06")
    said = " ".join(
        CliRunner().invoke(cli, ["eval", "-w", str(root), "--period", "2023-06"]).output.split()
    )
    assert (
        "KPI015: source `orders` has data dated after today (2023-06-15), up to 2023-07-24" in said
    )


def cells(root: Path) -> dict:
    """Each KPI's June (and May, before it), in total and by channel, with whether the month is
    complete."""
    results = kpiengine.evaluate(
        kpiengine.load_workspace(root),
        kpis=["revenue", "shipped", "buyers"],
        by=["channel"],
        start=dt.date(2023, 6, 1),
        end=dt.date(2023, 6, 30),
    )
    return {
        (r["kpi"], r["period"], str(r["segment"])): (round(r["value"], 6), r["complete"])
        for r in results.records()
        if r["value"] is not None
    }


@pytest.mark.parametrize("engine", ["duckdb", "postgres", "chdb", "spark", "snowflake"])
def test_every_engine_knows_how_far_the_rows_go(request, tmp_path, engine):
    """Two date columns (ordered, shipped), a segment and a distinct count: June complete on
    every engine, as the `csv` connector reads the same rows."""
    expected = cells(csv_workspace(tmp_path / "csv"))
    assert expected[("revenue", "2023-06", "{}")][1] is True
    if engine == "postgres":
        url = request.getfixturevalue("postgres_url")
        load_postgres(url, "partial_orders", COLUMNS, rows())
        source = "    connector: sql\n    url: ${KPIENGINE_TEST_POSTGRES}\n"
        source += "    table: partial_orders\n"
    elif engine == "snowflake":
        source = "    connector: sql\n    url: snowflake://kpi@account/db/s\n    table: orders\n"
    else:
        url = "duckdb://" if engine == "duckdb" else request.getfixturevalue(f"{engine}_url")
        write_parquet(tmp_path / "orders.parquet", COLUMNS, rows())
        source = f"    connector: sql\n    url: {url}\n    table: orders\n"
        source += f"    files: {{orders: {tmp_path / 'orders.parquet'}}}\n"
    root = workspace(tmp_path / engine, source)
    if engine != "snowflake":
        assert cells(root) == expected
        return
    with fakesnow.patch():
        load_snowflake("orders", COLUMNS, rows())
        assert cells(root) == expected
