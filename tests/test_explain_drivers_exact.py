"""`kpi drivers`: the change for +1% of an input is exact (by substitution), not linear."""

from __future__ import annotations

import sympy

from kpiengine.analysis.drivers import sensitivity
from kpiengine.formula import symbol


def test_change_for_one_percent_is_exact_and_differs_from_the_linear_estimate():
    expr = symbol("marketing_cost") / symbol("new_customers")
    values = {"marketing_cost": 18346.44, "new_customers": 43.0}
    found = {d.input: d for d in sensitivity(expr, values)}
    cac = 18346.44 / 43
    assert abs(found["new_customers"].change_1pct - (18346.44 / 43.43 - cac)) < 1e-9
    assert abs(found["new_customers"].impact_1pct - (-cac / 100)) < 1e-9  # linear: -4.2666
    assert abs(found["new_customers"].change_1pct - found["new_customers"].impact_1pct) > 0.04
    assert abs(found["marketing_cost"].change_1pct - cac * 0.01) < 1e-9  # linear input: equal


def test_a_square_gets_its_exact_change():
    expr = symbol("x") ** 2 + sympy.Integer(0) * symbol("y") + symbol("y")
    [x] = [d for d in sensitivity(expr, {"x": 10.0, "y": 1.0}) if d.input == "x"]
    assert abs(x.change_1pct - (10.1**2 - 100)) < 1e-9  # 2.01, while the linear estimate is 2
    assert abs(x.impact_1pct - 2.0) < 1e-9
