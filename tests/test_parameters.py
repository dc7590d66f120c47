"""Parameters: assumptions read like variables, set in definitions or kpi.yaml, never fetched."""

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli
from kpiengine.plan import make_plan
from kpiengine.workspace import load_workspace

DEFS = """\
variables:
  revenue: {unit: currency}
parameters:
  margin:
    value: 0.5
    unit: ratio
    description: The gross margin we assume.
kpis:
  gross: {title: Gross, formula: revenue * margin, unit: currency}
"""
DATA = "date,revenue\n2024-11-05,100\n2024-12-05,100\n2025-01-05,100\n2025-02-05,100\n"


def run(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def values(ws):
    code, out, err = run("eval", "-w", str(ws), "--format", "json")
    assert code == 0, err
    return {r["period"]: r["value"] for r in json.loads(out) if r["kpi"] == "gross"}


def test_a_parameter_is_read_like_a_variable(write_workspace):
    ws = write_workspace({"defs": DEFS}, kpi_yaml="data: data.csv\n", data=DATA)
    assert values(ws) == {p: 50.0 for p in ("2024-11", "2024-12", "2025-01", "2025-02")}


def test_kpi_yaml_overrides_the_default(write_workspace):
    kpi_yaml = "data: data.csv\nparameters:\n  margin: 0.25\n"
    ws = write_workspace({"defs": DEFS}, kpi_yaml=kpi_yaml, data=DATA)
    assert set(values(ws).values()) == {25.0}
    loaded = load_workspace(ws)
    assert loaded.parameters["margin"].unit_text == "ratio"  # kept from the definition
    assert loaded.parameters["margin"].overrides is not None


def test_values_by_period_hold_from_their_start(write_workspace):
    kpi_yaml = "data: data.csv\nparameters:\n  margin:\n    value: {2024-12: 0.2, 2025: 0.4}\n"
    ws = write_workspace({"defs": DEFS}, kpi_yaml=kpi_yaml, data=DATA)
    got = values(ws)
    # no value before December 2024: undefined, with a reason
    assert got == {"2024-11": None, "2024-12": 20.0, "2025-01": 40.0, "2025-02": 40.0}


def test_the_plan_never_asks_sources_for_a_parameter(write_workspace):
    ws = load_workspace(write_workspace({"defs": DEFS}, kpi_yaml="data: data.csv\n", data=DATA))
    plan = make_plan(ws, {"revenue"}, ["gross"])
    assert set(plan.variables) == {"revenue"}
    assert ws.inputs_of("gross") == {"revenue"} and ws.parameters_of("gross") == {"margin"}


@pytest.mark.parametrize(
    ("kpi_yaml", "where", "expected"),
    [
        ("parameters:\n  margin: {value: {2024-13: 0.2}}\n", (2, 20), "is not a period start"),
        ("parameters:\n  margin: {value: {2024: high}}\n", (2, 26), "must be a number"),
        ("parameters:\n  margin: {value: high}\n", (2, 19), "must be a number, or a map"),
        ("parameters:\n  other: {value: 1}\n", (2, 3), "has no `unit`"),
        ("parameters:\n  margin: {value: 1, units: ratio}\n", (2, 22), "unknown key `units`"),
    ],
)
def test_bad_parameters_are_located(write_workspace, kpi_yaml, where, expected):
    ws = load_workspace(write_workspace({"defs": DEFS}, kpi_yaml=kpi_yaml))
    [finding] = [f for f in ws.findings if expected in f.message]
    assert (finding.location.line, finding.location.column) == where
    assert finding.location.file.endswith("kpi.yaml")


def test_solve_and_drivers_see_a_parameter(write_workspace):
    ws = write_workspace({"defs": DEFS}, kpi_yaml="data: data.csv\n", data=DATA)
    code, out, err = run(
        "solve", "gross", "-w", str(ws), "--for", "margin", "--target", "80", "--format", "json"
    )
    assert code == 0, err
    [answer] = json.loads(out)
    assert [s["value"] for s in answer["solutions"]] == [pytest.approx(0.8)]  # 80 / 100
    code, out, err = run("drivers", "gross", "-w", str(ws))
    assert code == 0, err
    assert "margin" in out


def test_show_lists_parameters(write_workspace):
    ws = write_workspace({"defs": DEFS}, kpi_yaml="parameters:\n  margin: 0.3\n")
    code, out, err = run("show", "gross", "-w", str(ws))
    assert "margin (ratio) = 0.3; set at" in out and "The gross margin we assume." in out


def test_library_ltv_rests_on_an_assumed_lifetime(tmp_path):
    (tmp_path / "d.csv").write_text(
        "date,average_order_value,purchase_frequency,marketing_cost,sales_cost,new_customers\n"
        "2025-01-01,150,3,300,150,1\n"
    )
    data = str(tmp_path / "d.csv")
    # LTV = 150 x 3 x 3 years = 1,350; CAC = 450; LTV:CAC = 3. For 4: a 4-year lifetime
    args = ["solve", "ltv_to_cac", "--data", data, "--for", "customer_lifetime"]
    code, out, err = run(*args, "--target", "4", "--format", "json")
    assert code == 0, err
    [answer] = json.loads(out)
    assert answer["input_value"] == 3
    assert [s["value"] for s in answer["solutions"]] == [pytest.approx(4.0)]


def test_periods_per_year_by_grain(tmp_path):
    (tmp_path / "d.csv").write_text("date,churned_customers,customers_at_start\n2025-01-06,1,10\n")
    data = str(tmp_path / "d.csv")
    for grain, n in (("week", 52), ("month", 12), ("quarter", 4), ("year", 1)):
        args = ["eval", "--data", data, "--kpi", "annual_churn_rate", "--grain", grain]
        code, out, err = run(*args, "--format", "json")
        assert code == 0, err
        [row] = json.loads(out)
        assert row["value"] == pytest.approx(1 - 0.9**n), grain


def test_a_date_key_is_a_period_start():
    from kpiengine.paramspec import period_start

    assert period_start(2024) == dt.date(2024, 1, 1)
    assert period_start("2025-03") == dt.date(2025, 3, 1)
    assert period_start(dt.date(2025, 3, 15)) == dt.date(2025, 3, 15)
    assert period_start("2025-02-30") is None and period_start(True) is None


def test_a_bare_value_for_a_misspelt_parameter_names_the_one_meant(write_workspace):
    """`gross_margn_rate: 0.7` in kpi.yaml overrides nothing: an error suggesting the library's
    `gross_margin_rate`, not "add a unit" (which would make a new, unused parameter)."""
    import kpiengine

    root = write_workspace(kpi_yaml="parameters:\n  gross_margn_rate: 0.7\n")
    [finding] = [f for f in kpiengine.load_workspace(root).errors if "gross_margn" in f.message]
    assert "did you mean `gross_margin_rate`" in finding.message
    assert (finding.location.line, finding.location.column) == (2, 3)
