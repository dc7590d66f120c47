"""Gaps and relative changes follow the rule changes follow (README, "Changes"): signed, with
the fewest more decimals that show a non-zero digit, never an unsigned `0.0`; only no
difference at all shows unsigned. Expected texts by hand."""

from __future__ import annotations

import pytest

from kpiengine.localformat import Formatter

EN = Formatter("en", "EUR")


@pytest.mark.parametrize(
    ("value", "fmt", "decimals", "shown"),
    [
        (0.033, "multiple", 1, "+0.03×"),  # a ROAS 4.033 against 4.0, one decimal: not 0.0×
        (0.033, "multiple", None, "+0.03×"),
        (0.0005, "percent", None, "+0.05 pp"),  # 1.25% against 1.2%: not +0.0 pp
        (-0.004, "currency", None, "-€0.004"),
        (-3.23, "percent", 1, "-323.0 pp"),
        (0.0, "percent", None, "0.0 pp"),  # met exactly: no sign
        (0.0, "multiple", None, "0.00×"),
        (0.0, "currency", None, "€0.00"),
    ],
)
def test_a_gap_never_rounds_to_an_unsigned_zero(value, fmt, decimals, shown):
    assert EN.gap(value, fmt, decimals) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.0002, "+0.02%"), (-0.00001, "-0.001%"), (0.125, "+12.5%"), (0.0, "0.0%")],
)
def test_a_small_relative_change_keeps_its_sign(value, shown):
    assert EN.change(value) == shown


def test_the_change_cue_follows_the_shown_percentage():
    # €5,000.00 to €5,000.01: +0.0002% with +€0.01, a rise shown as one
    parts = EN.change_parts(0.01, 0.01 / 5000, "currency")
    assert parts == {"main": "+0.0002%", "extra": "+€0.01", "sign": 1}
