"""SMART target plans and writing their targets back into kpi.yaml."""

from __future__ import annotations

import csv
import shutil
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import kpiengine
from kpiengine.analysis import plan_annual, plan_ratio, split_amount
from kpiengine.analysis.plan import parse_given, plan_kpi, read_weights
from kpiengine.engine import load_context
from kpiengine.errors import KpiError
from kpiengine.targets import period_targets
from kpiengine.writeback import write_targets

SHOP = Path(__file__).parent / "fixtures" / "analysis" / "shop"


@pytest.fixture(scope="module")
def shop():
    return load_context(kpiengine.load_workspace(SHOP), ["sales_revenue", "roas", "roi"])


def exact_sum(values) -> Fraction:
    return sum((Fraction(repr(v)) for v in values), Fraction(0))


def revenue_by_month(year: int) -> list[float]:
    """Last year's seasonality, straight from the CSV."""
    totals: dict[int, float] = defaultdict(float)
    with (SHOP / "data.csv").open() as handle:
        for row in csv.DictReader(handle):
            if row["date"].startswith(f"{year}-"):
                totals[int(row["date"][5:7])] += float(row["revenue"])
    return [totals[m] for m in range(1, 13)]


def test_annual_split_follows_last_years_seasonality_and_sums_exactly(shop):
    plan = plan_annual(shop, "sales_revenue", 1_200_000, year=2025)
    assert plan.weights == "last year (2024)"
    assert exact_sum(m.value for m in plan.months) == 1_200_000
    assert exact_sum(q.value for q in plan.quarters) == 1_200_000
    last_year = revenue_by_month(2024)
    for month, amount in zip(plan.months, last_year, strict=True):
        assert month.value == pytest.approx(1_200_000 * amount / sum(last_year), abs=0.01)
    for q, quarter in enumerate(plan.quarters):
        assert exact_sum(m.value for m in plan.months[3 * q : 3 * q + 3]) == Fraction(
            repr(quarter.value)
        )
    assert [m.label for m in plan.months][:2] == ["2025-01", "2025-02"]


def test_other_weights(shop, tmp_path):
    even = plan_annual(shop, "sales_revenue", 1000, year=2025, weights="even")
    assert exact_sum(m.value for m in even.months) == 1000
    assert {m.value for m in even.months} == {83.33, 83.34}
    file = tmp_path / "weights.txt"
    file.write_text("# peak in December\n1 1 1 1 1 1\n1 1 1 1 1 12\n")
    weighted = plan_annual(shop, "sales_revenue", 2300, year=2025, weights=str(file))
    assert weighted.months[-1].value == 1200 and weighted.months[0].value == 100
    inline = plan_annual(shop, "sales_revenue", 2300, year=2025, weights="1,1,1,1,1,1,1,1,1,1,1,12")
    assert [m.value for m in inline.months] == [m.value for m in weighted.months]
    with pytest.raises(KpiError, match="12 non-negative numbers"):
        read_weights("1,2,3")
    with pytest.raises(KpiError, match="missing: 2022-01"):
        plan_annual(shop, "sales_revenue", 1000, year=2023)


def test_split_amount_rounds_by_largest_remainder():
    parts = split_amount(Fraction(100), [Fraction(1, 3)] * 3, 2)
    assert parts == [Fraction("33.34"), Fraction("33.33"), Fraction("33.33")]
    assert sum(split_amount(Fraction(7), [Fraction(1, 12)] * 12, 0)) == 7


def test_ratio_plan_derives_the_input_target(shop):
    plan = plan_ratio(shop, "roas", 4, {"ad_spend": 25_000}, year=2025)
    assert plan.derived == {"ad_revenue": 100_000}
    assert "ad_revenue must be €100,000.00/month" in plan.message
    assert plan.target_entries() == {"2025": 4}
    held = plan_ratio(shop, "roas", 4, {}, year=2025, derive="ad_revenue")
    assert held.held["ad_spend"] > 0 and held.derived["ad_revenue"] == pytest.approx(
        4 * held.held["ad_spend"]
    )
    with pytest.raises(KpiError, match="but one"):
        plan_ratio(shop, "roas", 4, {})
    with pytest.raises(KpiError, match="not an input"):
        plan_ratio(shop, "roas", 4, {"clicks": 3})
    with pytest.raises(KpiError, match="not additive"):
        plan_annual(shop, "roas", 4)


def test_plan_names_and_given_values(shop):
    assert plan_kpi(shop.ws, "revenue")[0] == "sales_revenue"
    assert parse_given(["ad_spend=25,000"]) == {"ad_spend": 25000.0}
    with pytest.raises(KpiError, match="NAME=VALUE"):
        parse_given(["ad_spend"])


@pytest.fixture
def workspace(tmp_path):
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    return root


def test_writing_targets_keeps_the_rest_of_kpi_yaml(workspace, shop):
    before = (workspace / "kpi.yaml").read_bytes()
    plan = plan_annual(shop, "sales_revenue", 1_200_000, year=2025)
    result = write_targets(workspace, "sales_revenue", plan.target_entries(), 2025, True)
    after = (workspace / "kpi.yaml").read_bytes()
    start = before.index(b"  sales_revenue:")
    end = before.index(b"\n\n# the end")
    assert after[:start] == before[:start] and after.endswith(before[end:])
    # a block entry stays a block: its lines as written, then a line per month
    kept = before[start : before.index(b"\n\n# the end")] + b"\n    2025-01: "
    assert after[start:].startswith(kept)
    assert after.count(b"\n    2025-") == 12
    assert result.entry.startswith("sales_revenue: {")
    ws = kpiengine.load_workspace(workspace)
    assert not ws.errors
    spec = ws.kpis["sales_revenue"].target
    first = (2025 - 1970) * 12
    months = period_targets(spec, True, "month", first, 12)
    assert np.allclose(months, [m.value for m in plan.months])
    # 2024 still has its annual target, split as before
    year_2024 = period_targets(spec, True, "year", 2024 - 1970, 1)
    assert year_2024[0] == pytest.approx(1_000_000)
    assert not list(workspace.glob(".kpi.yaml.*"))  # no temporary file left


def test_writing_a_ratio_target_keeps_its_other_years(workspace):
    write_targets(workspace, "roas", {"2025": 4}, 2025, False)
    write_targets(workspace, "roi", {"2025": 0.35}, 2025, False)
    text = (workspace / "kpi.yaml").read_text()
    assert "  roas: {2023: 2.5, 2024: 3, 2025: 4}\n" in text
    assert "  roi: {annual: 0.30, 2025: 0.35}        # the board's number\n" in text
    ws = kpiengine.load_workspace(workspace)
    roi = period_targets(ws.kpis["roi"].target, False, "month", (2024 - 1970) * 12, 24)
    assert list(roi[:12]) == [0.3] * 12 and list(roi[12:]) == [0.35] * 12
    write_targets(workspace, "roas", {"2025": 5}, 2025, False)  # again: replaces 2025 only
    assert "  roas: {2023: 2.5, 2024: 3, 2025: 5}\n" in (workspace / "kpi.yaml").read_text()


def test_writing_a_new_target(workspace, tmp_path):
    before = (workspace / "kpi.yaml").read_text()
    write_targets(workspace, "ctr", {"2025": 0.02}, 2025, False)
    after = (workspace / "kpi.yaml").read_text()
    insert = "\n  ctr: {2025: 0.02}"
    position = before.index("\n\n# the end")
    assert after == before[:position] + insert + before[position:]
    assert not kpiengine.load_workspace(workspace).errors
    # no targets: key yet, Windows line endings kept
    other = tmp_path / "other"
    other.mkdir()
    (other / "kpi.yaml").write_bytes(b"name: Other\r\ngrain: month")
    write_targets(other, "ctr", {"2025": 0.02}, 2025, False)
    expected = b"name: Other\r\ngrain: month\r\ntargets:\r\n  ctr: {2025: 0.02}\r\n"
    assert (other / "kpi.yaml").read_bytes() == expected
    # no kpi.yaml at all, and an empty `targets:`
    empty = tmp_path / "empty"
    empty.mkdir()
    write_targets(empty, "ctr", {"2025": 0.02}, 2025, False)
    assert (empty / "kpi.yaml").read_text() == "targets:\n  ctr: {2025: 0.02}\n"
    (empty / "kpi.yaml").write_text("targets:   # none yet\nname: x\n")
    write_targets(empty, "ctr", {"2025": 0.02}, 2025, False)
    text = (empty / "kpi.yaml").read_text()
    assert text == "targets:   # none yet\n  ctr: {2025: 0.02}\nname: x\n"
    assert kpiengine.load_workspace(empty).kpis["ctr"].target.by_period == {"2025": 0.02}
