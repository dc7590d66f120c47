"""Segments across sources: a source that maps the dimension and covers a period without rows
in a segment another source has holds 0 there for its summed variables (as a covered day
without rows), so the segments add up to the total; its means stay undefined there, and a
source that does not map the dimension cannot be split. Expected values are sums by hand."""

from __future__ import annotations

import numpy as np
import pytest

import kpiengine
from kpiengine.model import Aggregate
from kpiengine.sources import merge_tables
from kpiengine.table import Frame, build_table

SUM, MEAN = Aggregate(), Aggregate("mean", "mean")


def _table(rows, name, dims=True, rule=SUM):
    dates = np.array([d for d, _, _ in rows], "datetime64[D]")
    frame = Frame(
        dates,
        {"channel": np.array([c for _, c, _ in rows])},
        {name: np.array([v for _, _, v in rows], float)},
    )
    return build_table(frame, {name: rule}, "month", ["channel"] if dims else [])


A = [("2026-01-05", "Search", 100), ("2026-01-20", "Search", 50), ("2026-02-25", "Search", 30)]
B = [("2026-01-04", "Social", 40), ("2026-01-28", "Social", 60), ("2026-02-10", "Social", 20)]


def test_a_segment_one_source_has_no_rows_for_is_zero_for_its_sums():
    table = merge_tables([_table(A, "a"), _table(B, "b")], ["channel"], {"a", "b"})
    assert table.segments == [{}, {"channel": "Search"}, {"channel": "Social"}]
    # January: a = 150 in Search, none in Social; b = 100 in Social, none in Search
    np.testing.assert_array_equal(table.values["a"], [[150, 150, 0], [30, 30, 0]])
    np.testing.assert_array_equal(table.values["b"], [[100, 0, 100], [20, 0, 20]])
    a, b = table.values["a"], table.values["b"]
    # the segments add up to the total in every period
    np.testing.assert_array_equal((a + b)[:, 1:].sum(axis=1), (a + b)[:, 0])


def test_periods_a_source_does_not_cover_stay_unknown_in_every_segment():
    later = [("2026-03-02", "Social", 7), ("2026-03-30", "Social", 3)]
    table = merge_tables([_table(A, "a"), _table(later, "b")], ["channel"], {"a", "b"})
    b = table.values["b"]
    assert np.isnan(b[:2]).all()  # January, February: before `b`'s first date
    np.testing.assert_array_equal(b[2], [10, 0, 10])  # March: `b` covers it, no Search rows
    # `a` holds nothing in March (after its last date): unknown, not 0
    assert np.isnan(table.values["a"][2]).all()


def test_means_and_unsplit_sources_stay_undefined_per_segment():
    prices = [("2026-01-04", "Social", 4), ("2026-01-28", "Social", 6)]
    unsplit = merge_tables(
        [_table(A, "a"), _table(B, "b", dims=False), _table(prices, "price", rule=MEAN)],
        ["channel"],
        {"a", "b"},
    )
    b, price = unsplit.values["b"], unsplit.values["price"]
    assert b[0, 0] == 100 and np.isnan(b[:, 1:]).all()  # `b` cannot be split by channel
    assert price[0, 0] == 5 and price[0, 2] == 5 and np.isnan(price[0, 1])  # nothing to average


DEFS = """\
variables:
  spend_a: {unit: currency}
  spend_b: {unit: currency}
kpis:
  spend: {title: Spend, formula: spend_a + spend_b, unit: currency}
"""
SOURCES = """\
currency: EUR
sources:
  a: {connector: csv, path: a.csv, date: date, dimensions: {channel: channel}, map: {spend_a: a}}
  b: {connector: csv, path: b.csv, date: date, %s map: {spend_b: b}}
"""


def _days(start: str, count: int) -> list[np.datetime64]:
    return list(np.arange(np.datetime64(start), np.datetime64(start) + count))


def _workspace(write_workspace, split: bool):
    root = write_workspace(
        {"d": DEFS}, SOURCES % ("dimensions: {channel: channel}," if split else "")
    )
    # a: Search 10 a day, b: Social 4 a day, 1 December to 10 February
    days = _days("2025-12-01", 72)
    (root / "a.csv").write_text(
        "date,channel,a\n" + "".join(f"{d},Search,10\n" for d in days), "utf-8"
    )
    (root / "b.csv").write_text(
        "date,channel,b\n" + "".join(f"{d},Social,4\n" for d in days), "utf-8"
    )
    return kpiengine.load_workspace(root)


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-03-15")


def _rows(ws, period):
    records = kpiengine.evaluate(ws, by=["channel"], kpis=["spend"]).records()
    return {r["segment"].get("channel", ""): r for r in records if r["period"] == period}


def test_segments_of_two_sources_add_up_to_the_total(write_workspace, today):
    rows = _rows(_workspace(write_workspace, split=True), "2026-01")
    # 31 days: Search 31 x 10 of `a` + 0 of `b`, Social 0 + 31 x 4
    assert {k: r["value"] for k, r in rows.items()} == {"": 434, "Search": 310, "Social": 124}
    # February to the 10th, projected to its 28 days: each segment paces at its daily rate
    february = _rows(_workspace(write_workspace, split=True), "2026-02")
    assert february["Search"]["value"] == 100 and february["Social"]["value"] == 40
    assert february["Search"]["projected"] == pytest.approx(280)
    assert february["Social"]["projected"] == pytest.approx(112)


def test_no_projection_for_a_segment_without_a_value(write_workspace, today):
    """`b` has no channel: Search (from `a`) has no spend, so no projected spend either."""
    rows = _rows(_workspace(write_workspace, split=False), "2026-02")
    assert rows[""]["value"] == 140 and rows[""]["projected"] == pytest.approx(392)
    assert set(rows) == {"", "Search"}
    assert rows["Search"]["value"] is None and "spend_b" in rows["Search"]["reason"]
    assert rows["Search"]["projected"] is None and rows["Search"]["projected_high"] is None
    assert rows["Search"]["status_basis"] != "projection"
