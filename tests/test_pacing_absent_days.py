"""Pacing a partial period when exports leave out days without activity: a day the source
covers without rows is a zero day for a summed input, a day after its last date is the future,
a day before its first date is unknown, and a mean has no value on a day without rows.
Expected projections are computed here from the rows with plain loops."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import kpiengine
from kpiengine import Frame

DEFS = """\
variables:
  spend: {unit: currency}
  visits: {unit: sessions}
  price: {unit: currency, aggregate: mean}
kpis:
  spend_kpi: {title: Spend, formula: spend, unit: currency, direction: lower, target: 2200}
  avg_price: {title: Average price, formula: price, unit: currency}
  visits_kpi: {title: Visits, formula: visits, unit: sessions}
"""


def _days(lo: dt.date, hi: dt.date) -> list[dt.date]:
    return [lo + dt.timedelta(days=k) for k in range((hi - lo).days + 1)]


def _frame(rows: list[tuple[dt.date, dict[str, float]]]) -> Frame:
    names = sorted({n for _, values in rows for n in values})
    return Frame(
        np.array([d for d, _ in rows], "datetime64[D]"),
        {},
        {n: np.array([values.get(n, np.nan) for _, values in rows]) for n in names},
    )


@pytest.fixture
def ws(write_workspace):
    return kpiengine.load_workspace(write_workspace({"ads": DEFS}))


def _february(ws, frame: Frame, kpi: str) -> dict:
    results = kpiengine.evaluate(ws, frame, kpis=[kpi])
    [row] = [r for r in results.records() if r["period"] == "2024-02"]
    return row


def test_weekday_only_rows_pace_as_rows_with_zero_weekends(ws):
    """100 on weekdays, none on weekends, to Tuesday 13 February: 900 so far, and the 12
    weekdays left make 2,100 (not 2,500, as if weekends spent 100 too)."""
    days = _days(dt.date(2023, 11, 1), dt.date(2024, 2, 13))
    weekdays = [(d, {"spend": 100.0, "price": 50.0}) for d in days if d.weekday() < 5]
    zeros = [(d, {"spend": 100.0 if d.weekday() < 5 else 0.0}) for d in days]
    left = [d for d in _days(dt.date(2024, 2, 14), dt.date(2024, 2, 29)) if d.weekday() < 5]
    expected = 100 * sum(1 for d, _ in weekdays if d >= dt.date(2024, 2, 1)) + 100 * len(left)
    assert expected == 2100
    for rows in (weekdays, zeros):
        row = _february(ws, _frame(rows), "spend_kpi")
        assert row["value"] == 900 and row["complete"] is False
        assert row["projected"] == pytest.approx(expected)
        assert row["projected_low"] == pytest.approx(expected)
        assert row["projected_high"] == pytest.approx(expected)
        assert row["status"] == "on_track" and row["p_target"] == 1.0
    # a mean has no value on a day without rows: the price stays 50, not 50 x 5 / 7
    price = _february(ws, _frame(weekdays), "avg_price")
    assert price["value"] == 50 and price["projected"] == pytest.approx(50)


def test_sparse_sums_pace_on_their_zero_days(ws):
    """1,000 on a few days a month: the days between are zero days of the source's span, so
    there is a projection: the rows to date plus, for each day left, the mean of the same
    weekday over the last 56 days of data (zero where no rows)."""
    dated = ["2023-11-03", "2023-11-14", "2023-11-27", "2023-12-04", "2023-12-12",
             "2023-12-20", "2024-01-05", "2024-01-16", "2024-01-25", "2024-02-02",
             "2024-02-09"]  # fmt: skip
    sales = {dt.date.fromisoformat(d): 1000.0 for d in dated}
    row = _february(ws, _frame([(d, {"spend": v}) for d, v in sales.items()]), "spend_kpi")
    last = dt.date(2024, 2, 9)
    history = _days(last - dt.timedelta(days=55), last)
    expected = 2000.0
    for day in _days(dt.date(2024, 2, 10), dt.date(2024, 2, 29)):
        same = [sales.get(h, 0.0) for h in history if h.weekday() == day.weekday()]
        expected += sum(same) / len(same)
    assert row["value"] == 2000 and row["projected"] == pytest.approx(expected)
    assert row["projected_low"] <= row["projected"] <= row["projected_high"]


def test_days_before_a_source_starts_are_unknown_not_zero(write_workspace):
    """Visits from November, spend only from 20 January (100 a day): spend's weekdays are
    learnt from its own days, so February ends at 1,300 + 16 x 100 = 2,900."""
    root = write_workspace(
        {"ads": DEFS},
        kpi_yaml="""\
        grain: month
        sources:
          web: {connector: csv, path: web.csv, date: Date, map: {visits: {column: Visits}}}
          ads: {connector: csv, path: ads.csv, date: Date, map: {spend: {column: Spend}}}
        """,
    )
    web = ["Date,Visits"] + [f"{d},10" for d in _days(dt.date(2023, 11, 1), dt.date(2024, 2, 13))]
    ads = ["Date,Spend"] + [f"{d},100" for d in _days(dt.date(2024, 1, 20), dt.date(2024, 2, 13))]
    (root / "web.csv").write_text("\n".join(web) + "\n")
    (root / "ads.csv").write_text("\n".join(ads) + "\n")
    ws = kpiengine.load_workspace(root)
    results = kpiengine.evaluate(ws, kpis=["spend_kpi", "visits_kpi"])
    assert results.daily is not None and set(results.daily.values) == {"spend", "visits"}
    [row] = [r for r in results.records() if r["period"] == "2024-02" and r["kpi"] == "spend_kpi"]
    assert row["value"] == 1300
    assert row["projected"] == pytest.approx(1300 + 16 * 100)
    assert row["projected_low"] == pytest.approx(2900) and row["projected_high"] == pytest.approx(
        2900
    )
