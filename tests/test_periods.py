import datetime as dt

import numpy as np
import pytest

from kpiengine.periods import (
    PeriodError,
    label,
    label_bounds,
    ordinal_of,
    ordinals,
    parse_label,
    year_ago,
)


@pytest.mark.parametrize(
    ("day", "grain", "expected"),
    [
        (dt.date(2024, 6, 15), "day", "2024-06-15"),
        (dt.date(2024, 6, 15), "week", "2024-W24"),
        (dt.date(2024, 12, 30), "week", "2025-W01"),  # ISO week-year
        (dt.date(2021, 1, 3), "week", "2020-W53"),
        (dt.date(2024, 6, 15), "month", "2024-06"),
        (dt.date(2024, 6, 15), "quarter", "2024-Q2"),
        (dt.date(2024, 6, 15), "year", "2024"),
    ],
)
def test_labels(day, grain, expected):
    assert label(ordinal_of(day, grain), grain) == expected
    assert label_bounds(expected)[0] <= day <= label_bounds(expected)[1]


def test_vectorised_ordinals_match_single():
    days = np.array(["2023-01-01", "2023-12-31", "2024-02-29"], dtype="datetime64[D]")
    months = ordinals(days, "month")
    assert list(months) == [ordinal_of(d.item(), "month") for d in days]
    assert months[2] - months[0] == 13


def test_parse_labels_and_errors():
    assert parse_label("2024-Q3") == ("quarter", dt.date(2024, 7, 1))
    assert parse_label("2024-W01") == ("week", dt.date(2024, 1, 1))
    assert label_bounds("2024-02") == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    for bad in ("2024-13", "June", "2024-Q5"):
        with pytest.raises(PeriodError):
            parse_label(bad)


def test_same_period_last_year():
    assert label(year_ago(ordinal_of(dt.date(2024, 6, 1), "month"), "month"), "month") == "2023-06"
    leap = ordinal_of(dt.date(2024, 2, 29), "day")
    assert label(year_ago(leap, "day"), "day") == "2023-02-28"
    week53 = ordinal_of(dt.date(2020, 12, 28), "week")  # 2020-W53; 2019 has no week 53
    assert year_ago(week53, "week") is None
