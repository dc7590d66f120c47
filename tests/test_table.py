import numpy as np
import pytest

from kpiengine.errors import KpiError
from kpiengine.model import Aggregate
from kpiengine.table import Frame, build_table

DATES = ["2024-01-05", "2024-01-20", "2024-01-31", "2024-01-31", "2024-02-10", "2024-02-11"]
CHANNEL = ["A", "A", "A", "B", "B", "A"]
VALUES = [1.0, 2.0, 4.0, 8.0, 16.0, np.nan]


def frame():
    return Frame(
        np.array(DATES, dtype="datetime64[D]"),
        {"channel": np.array(CHANNEL, dtype=object)},
        {"x": np.array(VALUES)},
    )


def table(rule: Aggregate, by=("channel",), grain="month"):
    return build_table(frame(), {"x": rule}, grain, list(by))


def test_sum_by_month_and_channel():
    t = table(Aggregate("sum", "sum"))
    assert t.labels == ["2024-01", "2024-02"]
    assert t.segments == [{}, {"channel": "A"}, {"channel": "B"}]
    x = t.values["x"]
    assert x[0].tolist() == [15.0, 7.0, 8.0]
    # February: A has only a missing value -> missing; total is B alone
    assert x[1, 0] == 16.0 and np.isnan(x[1, 1]) and x[1, 2] == 16.0


def test_last_in_time_then_sum_across_segments():
    x = table(Aggregate("last", "sum")).values["x"]
    # January: A's last day is the 31st (4), B's is the 31st (8)
    assert x[0].tolist() == [12.0, 4.0, 8.0]


def test_first_mean_min_max():
    assert table(Aggregate("first", "sum")).values["x"][0].tolist() == [9.0, 1.0, 8.0]
    mean = table(Aggregate("mean", "mean")).values["x"][0]
    assert mean[1] == pytest.approx(7 / 3) and mean[0] == pytest.approx((7 / 3 + 8) / 2)
    assert table(Aggregate("min", "min")).values["x"][0].tolist() == [1.0, 1.0, 8.0]
    assert table(Aggregate("max", "max")).values["x"][0].tolist() == [8.0, 4.0, 8.0]


def test_gaps_in_time_become_empty_periods():
    f = Frame(np.array(["2024-01-01", "2024-04-01"], dtype="datetime64[D]"), {}, {"x": np.ones(2)})
    t = build_table(f, {"x": Aggregate()}, "month")
    assert t.labels == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert np.isnan(t.values["x"][1:3, 0]).all()


def test_unknown_dimension():
    with pytest.raises(KpiError, match="no dimension `region`"):
        table(Aggregate(), by=("region",))
