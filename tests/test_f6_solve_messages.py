"""What `kpi solve` and `kpi explain` say: an interval without the values that leave the KPI
undefined or cannot happen ("any value above 0", never "any value"), exact values and
percentages with the decimals that tell them apart, contributions with the decimals that make
them add up to the change shown, and a refused `--by` split in JSON when JSON is asked for."""

from __future__ import annotations

import json

import pytest
import sympy
from click.testing import CliRunner

import kpiengine
from kpiengine.analysis import solve_for
from kpiengine.analysis.explain import Contribution, Explanation, shown_places
from kpiengine.analysis.shown import exact_apart, kpi_values_apart
from kpiengine.analysis.solutionsets import interval_text
from kpiengine.cli import cli
from kpiengine.engine import load_context
from kpiengine.terminal.analysis import render_explanation

ROAS = """\
date,channel,ad_spend,ad_revenue
2024-03-01,Search,1100,4400
2024-03-01,Email,0,0
"""


def _workspace(tmp_path, rows: str, yaml: str = "currency: EUR\ndata: data.csv\n"):
    (tmp_path / "data.csv").write_text(rows)
    (tmp_path / "kpi.yaml").write_text(yaml)
    return kpiengine.load_workspace(tmp_path)


def test_a_target_reached_by_any_spend_leaves_out_0_and_negative_spends(tmp_path):
    ws = _workspace(tmp_path, ROAS + "")
    ctx = load_context(ws, ["roas"], by=["channel"])
    email = {"channel": "Email"}
    found = solve_for(ctx, "roas", 0.0, "ad_spend", "2024-03", email)
    [solution] = found.solutions
    assert solution.interval == "any value above 0" and solution.feasible
    # 0 / 0 is undefined, 0 / -5 a spend that cannot be: only spends above 0 give 0
    assert sympy.sympify(solution.exact) == sympy.Interval.open(0, sympy.oo)
    revenue = solve_for(ctx, "roas", 0.0, "ad_revenue", "2024-03", email)
    assert revenue.solutions == []
    assert any("undefined whatever `ad_revenue` is" in n for n in revenue.notes)


def test_intervals_read_as_words():
    assert interval_text(sympy.Interval(0, sympy.oo)) == "any value of 0 or above"
    assert interval_text(sympy.Interval.Lopen(-sympy.oo, 3)) == "any value of 3 or below"
    assert interval_text(sympy.Interval.open(-sympy.oo, 3)) == "any value below 3"
    assert interval_text(sympy.Interval(1, 2)) == "any value in [1, 2]"


def test_exact_values_and_percentages_are_told_apart(tmp_path):
    assert exact_apart(1925.5555, 1925) == "1,925.56"
    assert exact_apart(1925.999, 1926) == "1,925.999"
    ws = kpiengine.load_workspace(tmp_path)
    # 1,733 conversions over 1,925 sessions against a target of 90%
    assert kpi_values_apart(ws, "conversion_rate", [1733 / 1925, 0.9]) == ["90.03%", "90.00%"]
    assert kpi_values_apart(ws, "conversion_rate", [0.017, 0.0173]) == ["1.70%", "1.73%"]
    assert kpi_values_apart(ws, "conversion_rate", [0.4, 0.4]) == ["40.0%", "40.0%"]


def test_contributions_shown_add_up_to_the_change_shown(tmp_path):
    # -0.14 pp and -0.13 pp make -0.27 pp: with one decimal -0.1 and -0.1 would make -0.3
    assert shown_places([-0.0014, -0.0013], -0.0027, "percent") == 2
    assert shown_places([-0.011, -0.002], -0.013, "percent") == 1
    assert shown_places([0.5, 0.25], 0.75, "integer") is None
    ws = kpiengine.load_workspace(tmp_path)
    rows = [
        Contribution("sessions", "sessions", 1000, 1100, -0.0014, 0.52),
        Contribution("conversions", "conversions", 34, 36.4, -0.0013, 0.48),
    ]
    e = Explanation("conversion_rate", "2024-01", "2024-02", {}, 0.034, 0.0313, -0.0027,
                    "shapley", rows)  # fmt: skip
    text = render_explanation(ws, e, None)
    assert "-0.14 pp" in text and "-0.13 pp" in text
    assert "sum of contributions -0.27 pp = change -0.27 pp" in text


COSTS = """\
date,channel,marketing_cost
2024-01-01,Search,1000
2024-01-01,Social,500
2024-02-01,Search,1200
2024-02-01,Social,300
"""
CUSTOMERS = "date,new_customers\n2024-01-01,10\n2024-02-01,12\n"
TWO_SOURCES = """\
currency: EUR
sources:
  c: {connector: csv, path: costs.csv, date: date, rows: month, dimensions: {channel: channel}}
  n: {connector: csv, path: cust.csv, date: date, rows: month}
kpis: [cost_per_customer]
"""
DEFS = """\
kpis:
  cost_per_customer:
    formula: marketing_cost / new_customers
    unit: currency / customers
    format: currency
"""


def test_a_refused_split_answers_in_json(tmp_path):
    (tmp_path / "costs.csv").write_text(COSTS)
    (tmp_path / "cust.csv").write_text(CUSTOMERS)
    (tmp_path / "kpi.yaml").write_text(TWO_SOURCES)
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "k.yaml").write_text(DEFS)
    args = [
        "explain",
        "cost_per_customer",
        "-w",
        str(tmp_path),
        "--from",
        "2024-01",
        "--to",
        "2024-02",
    ]
    out = CliRunner().invoke(cli, [*args, "--by", "channel", "--format", "json"])
    assert out.exit_code == 2
    answer = json.loads(out.stdout)
    assert answer["kpi"] == "cost_per_customer"
    # new customers are not split by channel: no segment has them, not "0 vs 10"
    assert "no segment by channel has a value of `new_customers` in 2024-01" in answer["error"]
    assert "0 vs" not in answer["error"]


@pytest.mark.parametrize("target", [0.9])
def test_the_whole_count_note_tells_the_exact_value_apart(tmp_path, target):
    ws = _workspace(tmp_path, "date,sessions,conversions\n2024-03-05,51141,1733\n")
    ctx = load_context(ws, ["conversion_rate"])
    found = solve_for(ctx, "conversion_rate", target, "sessions", "2024-03")
    [solution] = found.solutions
    assert solution.value == pytest.approx(1733 / 0.9)  # 1,925.56
    from kpiengine.terminal.analysis import render_goalseek

    text = render_goalseek(ws, [found])
    assert "1,925 gives conversion_rate 90.03% (exactly 1,925.56 would give the target)" in text
    assert text.startswith("conversion_rate in 2024-03 (total): 3.4%, target 90.0%")
