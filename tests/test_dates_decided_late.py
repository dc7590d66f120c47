"""A date column whose sampled cells read as day/month and month/day alike is decided by the
rest of the file: one `13/01/2024` past the sample makes it day/month, as it would within the
sample; cells of both orders past the sample are an error naming both rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter

import pytest

import kpiengine
from kpiengine.errors import KpiError

DEFS = """\
variables:
  revenue: {unit: currency}
kpis:
  rev: {title: Revenue, formula: revenue, unit: currency}
"""
SOURCE = """\
currency: EUR
sources:
  s:
    connector: csv
    path: data.csv
    date: date
    map: {revenue: revenue}
"""
DAYS = [dt.date(2024, m, d) for m in range(1, 13) for d in range(1, 13)]  # day and month <= 12


def _file(deciders: dict[int, str], rows: int = 3000) -> str:
    lines = ["date,revenue"]
    for i in range(rows):
        day = deciders.get(i + 2, DAYS[i % len(DAYS)].strftime("%d/%m/%Y"))
        lines.append(f"{day},{i % 7 + 1}")
    return "\n".join(lines) + "\n"


def _expected(text: str, order: str) -> dict[str, float]:
    sums: Counter[str] = Counter()
    for row in csv.DictReader(io.StringIO(text)):
        sums[dt.datetime.strptime(row["date"], order).strftime("%Y-%m")] += float(row["revenue"])
    return dict(sums)


def _monthly(root) -> dict[str, float]:
    results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["rev"])
    return dict(zip(results.labels, results.kpis["rev"].values[:, 0].tolist(), strict=True))


@pytest.fixture
def workspace(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-01")
    return lambda text: write_workspace({"d": DEFS}, SOURCE, text)


@pytest.mark.parametrize("line", [10, 2600])
def test_one_deciding_cell_anywhere_decides_the_order(workspace, line):
    text = _file({line: "13/01/2024"})
    assert _monthly(workspace(text)) == _expected(text, "%d/%m/%Y")


def test_a_month_first_decider_past_the_sample_reads_month_day(workspace):
    text = _file({2600: "01/13/2024"})
    assert _monthly(workspace(text)) == _expected(text, "%m/%d/%Y")


def test_deciders_of_both_orders_past_the_sample_are_an_error(workspace):
    root = workspace(_file({2600: "13/01/2024", 2700: "01/13/2024"}))
    with pytest.raises(KpiError) as caught:
        kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["rev"])
    message = str(caught.value)
    assert "13/01/2024" in message and "01/13/2024" in message
