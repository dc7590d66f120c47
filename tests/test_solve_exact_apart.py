"""The exact value a whole-count note gives beside the whole number: the decimals that tell them
apart, and a figure that is not 0 (the regression round: `exactly 0.00` beside 1)."""

from kpiengine.analysis.shown import exact_apart


def test_the_decimals_tell_the_exact_value_from_the_whole_one():
    assert exact_apart(1925.56, 1925) == "1,925.56"
    assert exact_apart(98.04, 99) == "98.04"


def test_a_small_value_keeps_a_figure_that_is_not_zero():
    value = 0.02 / 2095.16 * 49  # 0.000468 open deals for a velocity of 0.02
    text = exact_apart(value, 1)
    assert float(text) != 0 and abs(float(text) - value) < 0.00001
