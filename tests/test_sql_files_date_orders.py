"""A `sql` source's CSV `files:` (with the NaN tests: the `sql` connector's reading of cells):
another date column of the file settles the order of day, month and year of the `date:` column
when its cells are in one of that column's orders, year/month/day (`24/01/30`) included.

`24/01/15` and `24/02/20` read as day/month/year (2015, 2020) or year/month/day (2024); the
`created` column's `24/01/30` and `24/02/28` only as year/month/day (day/month/year would be in
2030 and 2028, after next year). Expected values are written by hand.
"""

from __future__ import annotations

import pytest

import kpiengine
from kpiengine.errors import KpiError

SPEND = "kpis:\n  spend: {title: Spend, formula: marketing_cost, unit: currency}\n"
AMBIGUOUS = "day,cost\n24/01/15,10\n24/02/20,5\n"
SETTLED = "day,created,cost\n24/01/15,24/01/30,10\n24/02/20,24/02/28,5\n"


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-12-10")


def spend(tmp_path, data: str) -> dict[str, float]:
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "k.yaml").write_text(SPEND)
    (tmp_path / "costs.csv").write_text(data)
    (tmp_path / "kpi.yaml").write_text(
        "currency: USD\nsources:\n  s:\n    connector: sql\n    url: duckdb://\n"
        "    files: {costs: costs.csv}\n    table: costs\n    date: day\n"
        "    map: {marketing_cost: cost}\n"
    )
    records = kpiengine.evaluate(kpiengine.load_workspace(tmp_path), kpis=["spend"]).records()
    return {r["period"]: r["value"] for r in records if r["value"] is not None}


def test_alone_the_dates_are_ambiguous(tmp_path):
    with pytest.raises(KpiError, match="day/month/year or year/month/day"):
        spend(tmp_path, AMBIGUOUS)


def test_a_year_month_day_column_settles_the_order(tmp_path):
    """Was: only day/month and month/day twins helped; the same error as alone."""
    assert spend(tmp_path, SETTLED) == {"2024-01": 10.0, "2024-02": 5.0}
