"""Shared by the tests of kpiengine.interop: fixture paths, a DuckDB warehouse, an oracle."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

import kpiengine
from kpiengine.interop.model import Model
from kpiengine.interop.writer import write_workspace

FIXTURES = Path(__file__).parent / "fixtures" / "interop"
ORDERS_CSV = FIXTURES / "data" / "orders.csv"
#: id, created_at, region, status, customer_id, amount (a quarter of the rows empty), price, stock
DEALS_CSV = FIXTURES / "roundtrip" / "data" / "deals.csv"


def warehouse(tmp_path: Path, tables: dict[str, Path], schema: str | None = None) -> Path:
    """A DuckDB file with one table per CSV (types as DuckDB detects them)."""
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        if schema:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for name, path in tables.items():
            table = f"{schema}.{name}" if schema else name
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{path}')")
    return db


def load(model: Model, folder: Path, db: Path | None = None):
    """Write the imported model, load it, and check it loads without an error."""
    if db is not None:
        model.use_database(f"duckdb:///{db}")
    root = write_workspace(model, folder)
    ws = kpiengine.load_workspace(root)
    assert not ws.errors, [f.format() for f in ws.errors]
    return ws


def totals(ws, kpis: list[str]) -> dict[tuple[str, str], float | None]:
    """(KPI, month) -> value of the total, evaluated from the workspace's sources."""
    results = kpiengine.evaluate(ws, grain="month", kpis=kpis)
    return {(r["kpi"], r["period"]): r["value"] for r in results.records() if not r["segment"]}


def csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def monthly(
    rows: list[dict[str, str]],
    date: str,
    value: Callable[[dict[str, str]], float],
    keep: Callable[[dict[str, str]], bool] = lambda r: True,
) -> dict[str, float]:
    """An independent oracle: month label -> sum of `value` over kept rows."""
    out: dict[str, float] = {}
    for row in rows:
        if keep(row):
            month = dt.date.fromisoformat(row[date][:10]).strftime("%Y-%m")
            out[month] = out.get(month, 0.0) + value(row)
    return out


def duckdb_monthly(path: Path, sql: str, date: str = "created_at") -> dict[str, float | None]:
    """An independent oracle: month label -> the aggregate `sql` over the CSV's rows."""
    query = (
        f"SELECT strftime({date}, '%Y-%m') AS month, CAST({sql} AS DOUBLE) "
        f"FROM read_csv('{path}') GROUP BY month"
    )
    return dict(duckdb.sql(query).fetchall())


def unmapped_names(model: Model) -> set[str]:
    return {u.name for u in model.unmapped}


def assert_monthly(got: dict, expected: dict[str, dict[str, float | None]]) -> None:
    """Each KPI's total by month (`got[(kpi, month)]`) equals the oracle's (`duckdb_monthly`)."""
    for kpi, months in expected.items():
        for month, value in months.items():
            assert got[(kpi, month)] == pytest.approx(value), (kpi, month)
