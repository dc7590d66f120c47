"""A parameter overridden in another unit of the same kind is converted to the declared unit.

The library's LTV multiplies a yearly purchase frequency by `customer_lifetime` in years. A
workspace that gives the lifetime in months (`{value: 12, unit: month}`) cannot edit the
built-in formula, so the override is converted exactly (12 months = 1 year); a unit of another
kind is an error at the override, never at the built-in definition.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli
from kpiengine.workspace import load_workspace

DATA = "date,average_order_value,purchase_frequency\n2024-01-01,150,3\n2024-01-31,150,3\n"


def run(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def ltv(root) -> tuple[int, float | None, str]:
    code, out, err = run(
        "eval",
        "-w",
        str(root),
        "--data",
        str(root / "data.csv"),
        "--kpi",
        "ltv",
        "--format",
        "json",
    )
    rows = [r for r in json.loads(out or "[]") if r["kpi"] == "ltv" and not r["segment"]]
    return code, rows[0]["value"] if rows else None, err


@pytest.mark.parametrize(
    ("written", "years"),
    [
        ("{value: 12, unit: month}", 1),
        ("{value: 18, unit: months}", 1.5),
        ("{value: 3, unit: year}", 3),
        ("{value: 8, unit: quarter}", 2),
    ],
)
def test_a_lifetime_in_months_is_converted_to_the_years_ltv_needs(write_workspace, written, years):
    root = write_workspace(kpi_yaml=f"parameters:\n  customer_lifetime: {written}\n", data=DATA)
    code, value, err = ltv(root)
    assert code == 0, err
    assert "KPI103" not in err
    # 150 per order x 3 orders a year x the lifetime in years
    assert value == pytest.approx(150 * 3 * years)
    parameter = load_workspace(root).parameters["customer_lifetime"]
    assert parameter.unit_text == "year" and parameter.constant == years  # exact: 12/12 is 1


def test_values_by_period_are_converted_each(write_workspace):
    written = "{value: {2024: 6, 2025-01: 24}, unit: month}"
    root = write_workspace(kpi_yaml=f"parameters:\n  customer_lifetime: {written}\n")
    parameter = load_workspace(root).parameters["customer_lifetime"]
    assert [v for _, v in parameter.by_period] == [0.5, 2.0]


def test_a_unit_of_another_kind_is_an_error_at_the_override(write_workspace):
    root = write_workspace(
        kpi_yaml="parameters:\n  customer_lifetime: {value: 12, unit: customers}\n", data=DATA
    )
    ws = load_workspace(root)
    [finding] = [f for f in ws.findings if "customer_lifetime" in f.message]
    assert finding.code == "KPI003"
    assert finding.location.file.endswith("kpi.yaml")
    assert (finding.location.line, finding.location.column) == (2, 40)  # `customers`
    assert "cannot be converted to year" in finding.message
    assert "<built-in>" not in str(finding.location)
    code, _, err = ltv(root)
    assert code == 1 and "kpi.yaml:2:40" in err and "KPI103" not in err
