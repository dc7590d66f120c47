"""In the month the data stops inside, `kpi solve` holds the other inputs at their projections to
the month's end (as its status is judged), never at their values to date against a value needed
"by its end", and a value below what has already happened is not feasible. A KPI mixing a stock
(customers at the period's end) with a summed flow has no projection, with the reason, rather
than one holding the stock at its value to date.

The daily rows are the same every day, so each projected day is exactly that day's value: the
expected values are worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

import kpiengine
from kpiengine.analysis import solve_for
from kpiengine.engine import load_context

DAYS = [dt.date(2024, 1, 1) + dt.timedelta(days=k) for k in range(70)]  # to 10 March
KPI_YAML = """\
currency: EUR
data: data.csv
kpis: [conversion_rate, retention_rate, churn_rate]
targets: {retention_rate: 0.75, churn_rate: 0.25}
"""


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    rows = ["date,sessions,conversions,customers_at_start,customers_at_end,new_customers,"
            "churned_customers"]  # fmt: skip
    for k, day in enumerate(DAYS):  # one more customer each day: 2 new, 1 churned
        rows.append(f"{day},100,5,{100 + k},{101 + k},2,1")
    (root / "data.csv").write_text("\n".join(rows) + "\n")
    (root / "kpi.yaml").write_text(KPI_YAML)
    return root


@pytest.fixture(scope="module")
def ctx(root):
    kpis = ["conversion_rate", "retention_rate", "churn_rate"]
    return load_context(kpiengine.load_workspace(root), kpis)


def test_the_others_are_held_at_their_projections(ctx):
    # by 31 March: 31 x 100 sessions and 31 x 5 conversions (10 days of each so far)
    found = solve_for(ctx, "conversion_rate", 0.06, "sessions", "current")
    assert found.input_value == pytest.approx(3100) and found.input_to_date == 1000
    assert found.kpi_value == pytest.approx(155 / 3100)
    [solution] = found.solutions
    assert solution.value == pytest.approx(155 / 0.06)  # 2,583.33
    assert solution.whole == 2583 and solution.feasible  # 155 / 2,583 is above 6%
    assert any("`now` is the projection to its end" in n for n in found.notes)
    other = solve_for(ctx, "conversion_rate", 0.06, "conversions", "current")
    assert other.solutions[0].value == pytest.approx(0.06 * 3100)


def test_what_has_happened_cannot_be_undone(ctx):
    # 155 / 0.2 = 775 sessions by the end, but 1,000 have already come
    found = solve_for(ctx, "conversion_rate", 0.2, "sessions", "current")
    [solution] = found.solutions
    assert solution.value == pytest.approx(775) and not solution.feasible
    assert "already 1,000 by 2024-03-10" in solution.why[0]


def test_a_stock_beside_a_summed_flow_has_no_projection(root):
    records = kpiengine.evaluate(kpiengine.load_workspace(root)).records()
    by_kpi = {r["kpi"]: r for r in records if r["segment"] == {} and r["period"] == "2024-03"}
    retention = by_kpi["retention_rate"]
    # to date: (170 - 20) / 160; held at 170 by the end it would read (170 - 62) / 160
    assert retention["value"] == pytest.approx(150 / 160)
    assert retention["projected"] is None and retention["status"] == "undefined"
    assert "`customers_at_end` is a stock" in retention["status_reason"]
    # churned customers over the customers at the start (known on day 1): projected
    assert by_kpi["churn_rate"]["projected"] == pytest.approx(31 / 160)


def test_a_kpi_without_a_projection_is_not_solved_for_the_periods_end(ctx):
    with pytest.raises(kpiengine.KpiError, match="`customers_at_end` is a stock"):
        solve_for(ctx, "retention_rate", 0.9, "new_customers", "current")
