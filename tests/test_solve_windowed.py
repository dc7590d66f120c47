"""`kpi solve` on a KPI that reads its inputs through windows (`ytd(revenue) / ytd(cost)`), or
that has no input it can move (`leads / leads`, `0 / marketing_cost`, `prev(revenue)`): the
window's value needed, written as the formula writes it, and what the period itself must add;
or a message saying why there is nothing to solve for. Never a traceback or an empty answer.

Expected values are computed here from the CSV rows with the csv module."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli

DEFS = """\
variables:
  revenue: {unit: currency}
  marketing_cost: {unit: currency}
  new_customers: {unit: customers}
  leads: {unit: leads}
kpis:
  roas_ytd:
    formula: ytd(revenue) / ytd(marketing_cost)
    unit: ratio
  cac:
    formula: marketing_cost / new_customers
    unit: currency / customers
  cac_ytd:
    formula: ytd(cac)
    unit: currency / customers
  self_ratio:
    formula: leads / leads
    unit: ratio
  nothing:
    formula: 0 / marketing_cost
    unit: 1 / currency
  looking_back:
    formula: prev(revenue) / last_year(revenue)
    unit: ratio
  two_windows:
    formula: ytd(revenue) / rolling(revenue, 3)
    unit: ratio
"""

# two rows a month (its first and last day), January to April 2024
DATA = """\
date,revenue,marketing_cost,new_customers,leads
2024-01-01,1000,400,3,10
2024-01-31,500,200,2,10
2024-02-01,1200,500,4,10
2024-02-29,300,100,1,10
2024-03-01,900,300,2,10
2024-03-31,900,300,2,10
2024-04-01,1100,350,3,10
2024-04-30,400,250,3,10
"""


def monthly() -> dict[str, dict[str, float]]:
    """The CSV summed by month, independently of kpiengine."""
    out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in csv.DictReader(io.StringIO(DATA)):
        for name in ("revenue", "marketing_cost", "new_customers"):
            out[row["date"][:7]][name] += float(row[name])
    return out


def ytd(name: str, through: str = "2024-04") -> float:
    return sum(v[name] for month, v in monthly().items() if month <= through)


def before(name: str, month: str = "2024-04") -> float:
    return sum(v[name] for m, v in monthly().items() if m < month)


@pytest.fixture
def root(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-12-18")
    return write_workspace({"k": DEFS}, "data: data.csv\ncurrency: EUR\n", DATA)


def solve(root, *args: str):
    result = CliRunner().invoke(cli, ["solve", *args, "-w", str(root), "--period", "2024-04"])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result


def money(value: float) -> str:
    return f"€{value:,.2f}"


def test_a_ytd_ratio_is_solved_for_each_window_by_its_formula_name(root):
    result = solve(root, "roas_ytd", "--target", "3")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "revenue__ytd" not in out and "marketing_cost__ytd" not in out
    revenue_needed = 3 * ytd("marketing_cost")  # 7,200.00
    april = revenue_needed - before("revenue")  # 2,400.00 in April itself
    row = next(line for line in out.splitlines() if line.startswith("ytd(revenue) "))
    assert money(ytd("revenue")) in row and money(revenue_needed) in row and "yes" in row
    assert (
        f"ytd(revenue) {money(revenue_needed)} needs `revenue` {money(april)} in 2024-04 "
        f"(the year to date before 2024-04 holds {money(before('revenue'))})"
    ) in out
    cost_needed = ytd("revenue") / 3
    row = next(line for line in out.splitlines() if line.startswith("ytd(marketing_cost) "))
    assert money(cost_needed) in row and row.rstrip().endswith("yes")


def test_json_keeps_the_internal_name_and_adds_the_label(root):
    result = solve(root, "roas_ytd", "--target", "3", "--format", "json")
    assert result.exit_code == 0, result.output
    answers = {a["label"]: a for a in json.loads(result.stdout)}
    assert set(answers) == {"ytd(revenue)", "ytd(marketing_cost)"}
    revenue = answers["ytd(revenue)"]
    assert revenue["input"] == "revenue__ytd"
    assert revenue["input_value"] == pytest.approx(ytd("revenue"))
    assert revenue["solutions"][0]["value"] == pytest.approx(3 * ytd("marketing_cost"))
    assert revenue["formula"] == "ytd(revenue)/ytd(marketing_cost)"


def test_a_window_the_period_cannot_reach_is_not_feasible(root):
    """ROAS 5 needs year-to-date cost of 6,300 / 5 = 1,260, but January to March already
    spent 1,800: April's cost would be negative."""
    result = solve(root, "roas_ytd", "--target", "5", "--for", "ytd(marketing_cost)")
    assert result.exit_code == 0, result.output
    needed = ytd("revenue") / 5
    april = needed - before("marketing_cost")
    assert april < 0
    row = next(line for line in result.stdout.splitlines() if line.startswith("ytd(market"))
    assert money(needed) in row and row.rstrip().endswith("NO")
    assert (
        f"`marketing_cost` in 2024-04 would be negative (-{money(-april)}): the year to date "
        f"before 2024-04 already holds {money(before('marketing_cost'))}"
    ) in result.stdout


def test_for_a_variable_read_only_through_a_window_solves_for_that_window(root):
    plain = solve(root, "roas_ytd", "--target", "3", "--for", "revenue")
    assert plain.exit_code == 0, plain.output
    assert "cancels out" not in plain.output and "__" not in plain.stdout
    assert "`roas_ytd` reads `revenue` only as ytd(revenue) (the year to date)" in plain.stdout
    written = solve(root, "roas_ytd", "--target", "3", "--for", "ytd(revenue)", "--format", "json")
    (answer,) = json.loads(written.stdout)
    assert answer["solutions"][0]["value"] == pytest.approx(3 * ytd("marketing_cost"))
    assert money(3 * ytd("marketing_cost")) in plain.stdout


def test_a_windowed_kpi_of_a_kpi_is_solved_for_its_inputs_windows(root):
    """cac_ytd = ytd(cac) = ytd(marketing_cost) / ytd(new_customers) = 2,400 / 20 = 120;
    target 100 needs 24 customers in the year (10 in April), or cost of 2,000."""
    result = solve(root, "cac_ytd", "--target", "100", "--format", "json")
    assert result.exit_code == 0, result.output
    answers = {a["label"]: a for a in json.loads(result.stdout)}
    assert set(answers) == {"ytd(marketing_cost)", "ytd(new_customers)"}  # not `cac`
    customers = answers["ytd(new_customers)"]["solutions"][0]
    assert customers["value"] == pytest.approx(ytd("marketing_cost") / 100)
    text = solve(root, "cac_ytd", "--target", "100").stdout
    april = ytd("marketing_cost") / 100 - before("new_customers")
    assert f"needs `new_customers` {april:.0f} in 2024-04" in text
    refused = solve(root, "cac_ytd", "--target", "100", "--for", "cac")
    assert refused.exit_code == 2
    assert "`cac_ytd` reads `cac` only as ytd(cac)" in refused.output
    assert "`ytd(marketing_cost)`, `ytd(new_customers)`" in refused.output


@pytest.mark.parametrize(
    ("kpi", "value"), [("self_ratio", "1"), ("nothing", "0")], ids=["x/x", "0/x"]
)
def test_a_kpi_with_no_input_says_there_is_nothing_to_solve_for(root, kpi, value):
    text = solve(root, kpi, "--target", "3")
    assert text.exit_code == 2
    assert f"`{kpi}` does not depend on any input: nothing to solve for" in text.output
    assert f"is {value} whatever the inputs" in text.output
    as_json = solve(root, kpi, "--target", "3", "--format", "json")
    assert as_json.exit_code == 2
    answer = json.loads(as_json.stdout)
    assert answer["kpi"] == kpi and "nothing to solve for" in answer["error"]


def test_past_values_cannot_be_solved_for(root):
    result = solve(root, "looking_back", "--target", "1")
    assert result.exit_code == 2
    assert "reads its inputs only in earlier periods" in result.output
    assert "`last_year(revenue)`, `prev(revenue)`" in result.output
    asked = solve(root, "looking_back", "--target", "1", "--for", "prev(revenue)")
    assert asked.exit_code == 2 and "which have happened and cannot change" in asked.output


def test_a_variable_in_two_windows_asks_which(root):
    result = solve(root, "two_windows", "--target", "2", "--for", "revenue")
    assert result.exit_code == 2
    assert "`two_windows` reads `revenue` as `rolling(revenue, 3)`, `ytd(revenue)`" in (
        result.output
    )
    assert "--for 'rolling(revenue, 3)'" in result.output
