"""Regressions of `kpi solve` and the waterfall's decimals: an input that cannot be solved for
is refused on its own row, the others answered; an additive KPI in a partial month without a
projection is solved for the caller's target by the period's end; a rolling window's earlier
periods are counted right; a window's value to date is in its variable's unit; where a KPI is
defined is read before `total(x)` cancels x; no extra decimals that still do not add up.
Expected values are worked out by hand from the rows below."""

from __future__ import annotations

import datetime as dt

import pytest

import kpiengine
from kpiengine.analysis import solve_each, solve_for
from kpiengine.analysis.explain import _shown, shown_places
from kpiengine.engine import load_context
from kpiengine.terminal.analysis import render_goalseek

MONTHS = """\
date,channel,revenue
2024-01-01,Search,1000
2024-01-01,Email,500
2024-02-01,Search,1200
2024-02-01,Email,600
2024-03-01,Search,1400
2024-03-01,Email,700
"""
MONTH_DEFS = """\
kpis:
  share:
    formula: revenue / total(revenue)
    unit: ratio
    format: percent
  roll3:
    formula: revenue / rolling(revenue, 3)
    unit: ratio
    format: percent
  roll2:
    formula: revenue / rolling(revenue, 2)
    unit: ratio
    format: percent
"""


def _workspace(root, defs: str, kpi_yaml: str, rows: str):
    (root / "definitions").mkdir()
    (root / "definitions" / "k.yaml").write_text(defs)
    (root / "kpi.yaml").write_text(kpi_yaml)
    (root / "data.csv").write_text(rows)
    return kpiengine.load_workspace(root)


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    ws = _workspace(
        tmp_path_factory.mktemp("months"),
        MONTH_DEFS,
        "currency: EUR\nsources:\n  d: {connector: csv, path: data.csv, date: date, rows: month, "
        "dimensions: {channel: channel}}\nkpis: [share, roll3, roll2]\n",
        MONTHS,
    )
    return load_context(ws, ["share", "roll3", "roll2"], by=["channel"])


def test_a_rolling_windows_earlier_periods_are_counted_right(months):
    # rolling(revenue, 3) in March: January and February, 1,500 + 1,800 = 3,300 (2 periods)
    found = solve_for(months, "roll3", 0.4, "revenue", "2024-03")
    assert any("+ €3,300.00 (the 2 periods before 2024-03)" in n for n in found.notes)
    found = solve_for(months, "roll2", 0.4, "revenue", "2024-03")
    assert any("+ €1,800.00 (the period before 2024-03)" in n for n in found.notes)


def test_where_a_share_is_defined_is_read_before_its_total_cancels(months):
    # total row: revenue / total(revenue) is revenue / revenue, undefined at revenue 0
    found = solve_for(months, "share", 1, "revenue", "2024-03")
    [solution] = found.solutions
    assert solution.interval == "any value above 0"


EVENTS = """\
date,channel,user_id,mql
2024-01-05,Email,a,1
2024-01-06,Email,b,1
2024-01-07,Email,c,0
2024-01-08,Email,d,0
2024-01-05,Search,e,1
2024-01-06,Search,f,1
2024-01-07,Search,g,0
2024-01-08,Search,h,0
"""
EVENT_DEFS = """\
kpis:
  mql_index:
    formula: (mqls / visitors) / (total(mqls) / total(visitors))
    unit: ratio
    format: multiple
    direction: higher
"""
EVENT_YAML = """\
currency: EUR
grain: month
sources:
  ev:
    connector: csv
    path: data.csv
    date: date
    dimensions: {channel: channel}
    map:
      visitors: {distinct: user_id}
      mqls: {column: mql}
kpis: [mql_index]
"""


def test_an_input_that_cannot_be_solved_for_is_refused_alone(tmp_path):
    ws = _workspace(tmp_path, EVENT_DEFS, EVENT_YAML, EVENTS)
    ctx = load_context(ws, ["mql_index"], by=["channel"])
    found = solve_each(ctx, "mql_index", 1.5, "2024-01", {"channel": "Email"})
    by_input = {r.input: r for r in found}
    # Email: (m / 4) / ((m + 2) / 8) = 1.5, Search's 2 MQLs held: 2m = 1.5m + 3, m = 6
    assert by_input["mqls"].solutions[0].value == pytest.approx(6)
    assert by_input["mqls"].refused is None
    refused = by_input["visitors"]
    assert refused.solutions == [] and "distinct of `visitors`" in (refused.refused or "")
    shown = render_goalseek(ws, found)
    assert "cannot solve" in shown and "distinct of `visitors`" in shown


def _daily(root, first: dt.date, last: dt.date, yaml: str, defs: str, row) -> object:
    days = [first + dt.timedelta(k) for k in range((last - first).days + 1)]
    rows = "".join(row(d) for d in days)
    return _workspace(root, defs, yaml, rows)


def test_an_additive_kpi_without_a_projection_keeps_the_callers_target(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-06-09")
    # 8 days of 1,500 in June, no history to project from: 12,000 to date
    ws = _daily(
        tmp_path, dt.date(2024, 6, 1), dt.date(2024, 6, 8),
        "currency: EUR\ndata: data.csv\nkpis: [sales_revenue]\n"
        "targets: {sales_revenue: 30000}\n",
        "kpis: {}\n", lambda d: ("date,revenue\n" if d.day == 1 else "") + f"{d},1500\n",
    )  # fmt: skip
    ctx = load_context(ws, ["sales_revenue"])
    found = solve_for(ctx, "sales_revenue", 60000, "revenue", "2024-06")
    [solution] = found.solutions
    assert found.target == 60000 and found.input_value == 12000
    assert solution.value == 60000 and solution.change == 48000 and solution.feasible
    assert "the value needed is the whole period's, by its end" in (found.period_note or "")
    # its own target (30,000) by the end, not pro rata (8,000)
    found = solve_for(ctx, "sales_revenue", None, "revenue", "2024-06")
    assert found.target == 30000 and found.solutions[0].value == 30000
    # what has happened cannot be undone: 12,000 is already in
    found = solve_for(ctx, "sales_revenue", 10000, "revenue", "2024-06")
    assert not found.solutions[0].feasible


ROAS_DEFS = """\
kpis:
  roas_ytd:
    formula: ytd(revenue) / ytd(marketing_cost)
    unit: ratio
    format: multiple
    direction: higher
"""


def test_a_windows_value_to_date_is_in_its_unit(tmp_path):
    # 1 January to 10 March, 10.25 of cost a day: 70 x 10.25 = 717.50 of the year to date
    ws = _daily(
        tmp_path, dt.date(2024, 1, 1), dt.date(2024, 3, 10),
        "currency: EUR\ndata: data.csv\nkpis: [roas_ytd]\n", ROAS_DEFS,
        lambda d: ("date,revenue,marketing_cost\n" if d.day == d.month == 1 else "")
        + f"{d},100,10.25\n",
    )  # fmt: skip
    ctx = load_context(ws, ["roas_ytd"])
    found = solve_for(ctx, "roas_ytd", 3, "ytd(marketing_cost)", "2024-03")
    assert any("(`ytd(marketing_cost)` to date: €717.50)" in n for n in found.notes)


def test_no_more_decimals_that_still_do_not_add_up():
    # a rate from 0 / 22 to 191 / 375, split in two halves of the Shapley average
    before, after = 0 / 22, 191 / 375
    rate = 0.5 * ((191 / 22 - 0 / 22) + (191 / 375 - 0 / 375))
    base = 0.5 * ((0 / 375 - 0 / 22) + (191 / 375 - 191 / 22))
    parts, change = [rate, base], after - before
    for places in range(1, 5):  # no count of decimals up to the cap adds up
        shown = sum(_shown(p * 100, places) for p in parts)
        assert abs(shown - _shown(change * 100, places)) > 1e-9
    assert shown_places(parts, change, "percent") is None
    assert shown_places(parts, change, "percent", 2) == 2
