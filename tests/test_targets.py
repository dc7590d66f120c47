import numpy as np
import pytest

from kpiengine.errors import Location
from kpiengine.model import TargetSpec
from kpiengine.periods import ordinal_of, parse_label
from kpiengine.targets import period_targets, status

LOC = Location("t.yaml")


def targets(spec, additive, grain, first_label, n):
    first = ordinal_of(parse_label(first_label)[1], grain)
    return period_targets(spec, additive, grain, first, n)


def test_constant_applies_everywhere():
    out = targets(TargetSpec(LOC, constant=0.3), False, "month", "2024-01", 3)
    assert out.tolist() == [0.3, 0.3, 0.3]


def test_an_additive_constant_is_per_period_of_the_workspace_grain():
    spec = TargetSpec(LOC, constant=60000)
    first = ordinal_of(parse_label("2024-Q1")[1], "quarter")
    quarters = period_targets(spec, True, "quarter", first, 2, per="month")
    assert quarters == pytest.approx([180000, 180000])  # three months each
    week = ordinal_of(parse_label("2024-W10")[1], "week")  # 4-10 March 2024
    assert period_targets(spec, True, "week", week, 1, per="month") == pytest.approx(
        [60000 * 7 / 31]
    )
    month = ordinal_of(parse_label("2024-02")[1], "month")
    assert period_targets(spec, True, "month", month, 1, per="month").tolist() == [60000]
    ratio = period_targets(TargetSpec(LOC, constant=0.3), False, "quarter", first, 1, per="month")
    assert ratio.tolist() == [0.3]  # a rate's target holds in any period


def test_annual_additive_split_evenly_and_by_weights():
    even = targets(TargetSpec(LOC, annual={"2024": 1200}), True, "month", "2024-01", 12)
    assert even == pytest.approx([100] * 12)
    weights = [2] + [1] * 11
    spec = TargetSpec(LOC, annual={"2024": 1300}, split=[w / 13 for w in weights])
    by_weight = targets(spec, True, "month", "2024-01", 12)
    assert by_weight[0] == pytest.approx(200) and by_weight[1] == pytest.approx(100)
    quarters = targets(spec, True, "quarter", "2024-Q1", 4)
    assert quarters == pytest.approx([400, 300, 300, 300])
    assert targets(spec, True, "year", "2024", 1) == pytest.approx([1300])


def test_monthly_additive_targets_sum_to_quarters():
    spec = TargetSpec(LOC, by_period={"2024-01": 10, "2024-02": 20, "2024-03": 30})
    assert targets(spec, True, "quarter", "2024-Q1", 2)[0] == pytest.approx(60)
    assert np.isnan(targets(spec, True, "quarter", "2024-Q1", 2)[1])  # Q2 has no targets


def test_ratio_target_applies_unchanged_inside_its_period():
    spec = TargetSpec(LOC, by_period={"2024": 0.3, "2024-06": 0.5})
    out = targets(spec, False, "month", "2024-05", 2)
    assert out.tolist() == [0.3, 0.5]
    # a quarter mixing 0.3 and 0.5 months has no single target
    assert np.isnan(targets(spec, False, "quarter", "2024-Q2", 1)[0])
    assert targets(spec, False, "quarter", "2024-Q1", 1)[0] == 0.3


def test_status_honours_direction_and_band():
    values = np.array([110.0, 95.0, 80.0, np.nan])
    targets_ = np.full(4, 100.0)
    assert status(values, targets_, "higher", 0.1).tolist() == [
        "on_track", "at_risk", "off_track", "undefined"
    ]  # fmt: skip
    assert status(values, targets_, "lower", 0.1).tolist() == [
        "at_risk", "on_track", "on_track", "undefined"
    ]  # fmt: skip
    assert status(values, np.full(4, np.nan), "higher", 0.1).tolist() == ["no_target"] * 4


def test_a_target_written_as_a_percentage(write_workspace):
    """`roi: 5%` (YAML text) is 0.05, as a percent KPI shows it; quoted numbers are an error
    that says they are text, at the value, and lint shows it though the KPI is a built-in."""
    import kpiengine
    from kpiengine.engine import Engine

    data = "date,revenue,marketing_cost\n2024-01-01,100,50\n2024-02-01,120,60\n"
    root = write_workspace(
        kpi_yaml="data: data.csv\ntargets:\n  roi: {2024-01: 5 %, 2024-02: 0.07}\n", data=data
    )
    records = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["roi"]).records()
    assert {r["period"]: r["target"] for r in records} == {"2024-01": 0.05, "2024-02": 0.07}
    root = write_workspace(
        kpi_yaml='data: data.csv\ntargets:\n  roi: {2024: "0.5"}\n', data=data, folder="bad"
    )
    found = Engine(kpiengine.load_workspace(root)).lint(True).findings
    [finding] = [f for f in found if f.code == "KPI003"]
    assert 'the text "0.5"' in finding.message and finding.location.line == 3
