"""`map:` of the crm connector's own outcome variables: a `where:` that names no stage keeps the
built-in meaning (won or lost deals, by close date) and filters it; a deal variable the mapping
leaves unfiltered is left out beside it (never two populations mixed in one KPI).

Expected values by hand from `DEALS` (March 2026, Sales Pipeline): won deals 1, 5 and 6 (closed
in March; 6 created in February): revenue 1,000 + 3,000 + 500 = 4,500, 3 deals, sales cycles
9 + 15 + 33 = 57 days; lost deal 2; deal 3 open; deal 4 won in the Partner Pipeline.
"""

from __future__ import annotations

import pytest
from test_connector_crm import connector, table

from kpiengine.connector import Mapping, Request
from kpiengine.errors import Location
from kpiengine.model import Aggregate

DEALS = (
    '"Record ID","Deal Name","Deal Stage","Close Date","Amount","Pipeline","Create Date"\n'
    '"1","A","Closed won","2026-03-10 10:00","1000","Sales Pipeline","2026-03-01 10:00"\n'
    '"2","B","Closed lost","2026-03-12 10:00","5000","Sales Pipeline","2026-03-02 10:00"\n'
    '"3","C","Appointment scheduled","","7000","Sales Pipeline","2026-03-03 10:00"\n'
    '"4","D","Closed won","2026-03-15 10:00","2000","Partner Pipeline","2026-03-04 10:00"\n'
    '"5","E","Closed won","2026-03-20 10:00","3000","Sales Pipeline","2026-03-05 10:00"\n'
    '"6","F","Closed won","2026-03-25 10:00","500","Sales Pipeline","2026-02-20 10:00"\n'
)
SALES = {"Pipeline": ["Sales Pipeline"]}
AT = Location("kpi.yaml", 7, 16)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-04-10")


def deals(tmp_path, **mappings):
    (tmp_path / "deals.csv").write_text(DEALS, "utf-8")
    maps = {v: Mapping(v, AT, **spec) for v, spec in mappings.items()}
    return connector("deals.csv", root=tmp_path, mappings=maps, currency="EUR")


def month(values, period):
    return sum(
        v for key, v in values.items() if (key[0] if isinstance(key, tuple) else key) == period
    )


def test_a_filtered_revenue_mapping_is_the_won_revenue_of_those_deals(tmp_path):
    got = table(deals(tmp_path, revenue={"column": "Amount", "where": SALES}), "revenue")
    assert month(got["revenue"], "2026-03") == 4500.0  # not 16,000: every deal by create date
    assert month(got["revenue"], "2026-02") == 0.0  # deal 6 was won in March


def test_a_revenue_column_without_where_is_the_won_revenue(tmp_path):
    """Another amount column (`Amount in company currency`) keeps the won deals by close date."""
    got = table(deals(tmp_path, revenue={"column": "Amount"}), "revenue")
    assert month(got["revenue"], "2026-03") == 6500.0  # deals 1, 4, 5, 6: 1,000+2,000+3,000+500
    assert month(got["revenue"], "2026-02") == 0.0  # not deal 6's 500 by its create date


def test_filtered_counts_keep_the_built_in_measures(tmp_path):
    conn = deals(
        tmp_path,
        deals_won={"count": True, "where": SALES},
        deals_lost={"count": True, "where": SALES},
        deals_won_with_amount={"count": True, "present": "Amount", "where": SALES},
        sales_cycle_days={"count": True, "where": SALES},
    )
    names = ("deals_won", "deals_lost", "deals_won_with_amount", "sales_cycle_days")
    got = table(conn, *names)
    march = {v: month(got[v], "2026-03") for v in names}
    assert march == {
        "deals_won": 3.0,
        "deals_lost": 1.0,
        "deals_won_with_amount": 3.0,
        "sales_cycle_days": 57.0,
    }
    assert month(got["deals_won"], "2026-02") == 0.0
    frame = conn.fetch(Request({"deals_won": Aggregate()}, "month", []))
    assert frame.dated_by["deals_won"] == "Close Date"


def test_a_where_on_the_stage_is_counted_as_written(tmp_path):
    """A cohort count names the stage and its date: nothing added to it."""
    spec = {"count": True, "where": {"Deal Stage": ["Closed won"]}, "date": "Create Date"}
    got = table(deals(tmp_path, deals_won=spec), "deals_won")
    assert month(got["deals_won"], "2026-02") == 1.0  # deal 6
    assert month(got["deals_won"], "2026-03") == 3.0  # deals 1, 4, 5 (all pipelines)


def test_an_unfiltered_deal_variable_beside_a_filtered_one_is_left_out(tmp_path):
    conn = deals(tmp_path, revenue={"column": "Amount", "where": SALES})
    rules = {"revenue": Aggregate(), "deals_won_with_amount": Aggregate()}
    frame = conn.fetch(Request(rules, "month", []))
    why = frame.missing["deals_won_with_amount"]
    assert "`revenue` is mapped (kpi.yaml:7:16)" in why
    assert "`deals_won_with_amount: {count: Amount, where: {Pipeline: [Sales Pipeline]}}`" in why
    assert "revenue" not in frame.missing
    got = table(conn, "revenue")
    assert month(got["revenue"], "2026-03") == 4500.0


def test_average_deal_size_and_win_rate_of_one_pipeline(tmp_path):
    from kpiengine.engine import Engine
    from kpiengine.workspace import load_workspace

    (tmp_path / "deals.csv").write_text(DEALS, "utf-8")
    where = "where: {Pipeline: [Sales Pipeline]}"
    (tmp_path / "kpi.yaml").write_text(
        "currency: EUR\nsources:\n  hubspot:\n    connector: crm\n    path: deals.csv\n"
        f"    map:\n      revenue: {{column: Amount, {where}}}\n"
        f"      deals_won: {{count: true, {where}}}\n"
        f"      deals_lost: {{count: true, {where}}}\n"
        f"      deals_won_with_amount: {{count: Amount, {where}}}\n",
        "utf-8",
    )
    kpis = ["sales_revenue", "average_deal_size", "win_rate"]
    records = Engine(load_workspace(tmp_path)).evaluate(kpis=kpis).records()
    got = {r["kpi"]: r["value"] for r in records if r["period"] == "2026-03"}
    assert got["sales_revenue"] == pytest.approx(4500.0)
    assert got["average_deal_size"] == pytest.approx(1500.0)  # 4,500 / 3
    assert got["win_rate"] == pytest.approx(0.75)  # 3 won of 4 closed
