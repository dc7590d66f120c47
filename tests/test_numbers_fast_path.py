"""DuckDB's own cast (the fast path of the number SQL) reads `+-5` as -5 and `1e0005` as
100000: the grammar rejects two signs, and reads an exponent of any length as Python does, so
every reader agrees. In a scan, the cast's value of a cell at or below zero is checked for two
signs by the flags the scan keeps anyway (`percents.flag_sql`); elsewhere by the number SQL
itself. Values by hand.
"""

from __future__ import annotations

import duckdb
import pytest

import kpiengine
from kpiengine.errors import KpiError
from kpiengine.fileformats.numbers import (
    NumberError,
    bad_number_sql,
    number_sql,
    parse_number,
)

SPEND = "kpis:\n  spend: {title: Spend, formula: marketing_cost, unit: currency}\n"


@pytest.mark.parametrize(
    ("cell", "value"),
    [("1e0005", 1e5), ("1E+0003", 1e3), ("1e-0003", 1e-3), ("0e5327", 0.0), ("-2.5e0002", -250.0)],
)
def test_exponents_of_any_length(cell, value):
    assert parse_number(cell, ".") == value
    assert parse_number(cell.replace(".", ","), ",") == value


@pytest.mark.parametrize("cell", ["+-5", " +-5", "+-0", "+-.6", "+-7E4", "\t+-1"])
def test_two_signs_are_rejected_by_every_reader(cell):
    con = duckdb.connect()
    for decimal in (".", ","):
        with pytest.raises(NumberError):
            parse_number(cell, decimal)
        exact = number_sql("x", decimal)
        loose = number_sql("x", decimal, signs=False)  # a scan's: its flags say bad
        [row] = con.execute(
            f"SELECT {exact}, {bad_number_sql('x', decimal)}, "
            f"{bad_number_sql('x', decimal, value=loose)} FROM (SELECT ? AS x)",
            [cell],
        ).fetchall()
        assert row == (None, True, True)


def _workspace(root, cells: list[str], connector: str):
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "k.yaml").write_text(SPEND)
    rows = "".join(f"2024-01-{i + 10},{c}\n" for i, c in enumerate(cells))
    (root / "costs.csv").write_text(f"date,cost\n{rows}", "utf-8")
    source = (
        "    connector: csv\n    path: costs.csv\n"
        if connector == "csv"
        else "    connector: sql\n    url: 'duckdb://'\n    files: {t: costs.csv}\n    table: t\n"
    )
    (root / "kpi.yaml").write_text(
        f"currency: USD\nsources:\n  s:\n{source}    date: date\n"
        "    map: {marketing_cost: {column: cost}}\n"
    )
    return kpiengine.load_workspace(root)


def _spend(ws) -> float:
    [value] = [
        r["value"]
        for r in kpiengine.evaluate(ws, kpis=["spend"], grain="month").records()
        if r["period"] == "2024-01"
    ]
    return value


@pytest.mark.parametrize("connector", ["csv", "sql"])
def test_a_scan_stops_at_two_signs_and_reads_long_exponents(tmp_path, monkeypatch, connector):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-01")
    ws = _workspace(tmp_path / "signs", ["10", "+-5", "-3"], connector)
    with pytest.raises(KpiError) as info:
        _spend(ws)
    assert str(info.value).startswith(
        "costs.csv:3:12: expected an amount in column `cost`, found `+-5`"
    )
    ws = _workspace(tmp_path / "exponents", ["1e0003", "-0", "+2", "-4.5"], connector)
    assert _spend(ws) == 1000 + 0 + 2 - 4.5
