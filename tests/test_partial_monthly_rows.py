"""The month in progress of a KPI reading monthly rows beside inputs to date is not judged: a
month's cost row may be the whole month's or the month so far (no day says which), so CAC from it
over 12 days' customers is neither on nor off track; the reason names the input."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli

DEFS = """\
variables:
  cost: {unit: currency}
  buyers: {unit: customers}
kpis:
  cac: {title: CAC, formula: cost / buyers, unit: currency / customers, direction: lower}
  spend: {title: Spend, formula: cost, unit: currency, direction: lower}
"""
TODAY = "2024-05-12"


def _workspace(write_workspace, costs_by_day: bool):
    costs = "date,cost\n" + (
        "".join(f"2024-04-{d:02d},100\n" for d in range(1, 31))
        + "".join(f"2024-05-{d:02d},100\n" for d in range(1, 13))
        if costs_by_day
        else "2024-04,3000\n2024-05,3100\n"
    )
    buyers = "date,buyers\n" + "".join(f"2024-04-{d:02d},1\n" for d in range(1, 31))
    buyers += "".join(f"2024-05-{d:02d},1\n" for d in range(1, 13))
    source = """\
kpis: [cac, spend]
targets: {cac: 90, spend: 3000}
sources:
  costs: {connector: csv, path: costs.csv, date: date, map: {cost: cost}}
  crm: {connector: csv, path: buyers.csv, date: date, map: {buyers: buyers}}
"""
    root = write_workspace({"d": DEFS}, source)
    (root / "costs.csv").write_text(costs, "utf-8")
    (root / "buyers.csv").write_text(buyers, "utf-8")
    return root


def _may(root) -> dict[str, dict]:
    args = ["eval", "-w", str(root), "--period", "current", "--format", "json"]
    out = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert out.exit_code in (0, 1), out.output
    return {r["kpi"]: r for r in json.loads(out.stdout) if not r["segment"]}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", TODAY)


def test_monthly_costs_beside_daily_customers_are_not_judged(write_workspace):
    got = _may(_workspace(write_workspace, costs_by_day=False))
    cac = got["cac"]
    assert cac["period"] == "2024-05" and cac["value"] == 3100 / 12
    assert (cac["status"], cac["status_basis"]) == ("undefined", "none")
    assert "`cost` in one row for the period" in cac["status_reason"]
    # a KPI of the monthly rows alone is judged as before: its row is all it has
    assert got["spend"]["status"] != "undefined"


def test_daily_costs_and_customers_are_judged(write_workspace):
    cac = _may(_workspace(write_workspace, costs_by_day=True))["cac"]
    assert cac["value"] == 1200 / 12
    assert cac["status"] in ("on_track", "at_risk", "off_track")
    assert cac["status_basis"] != "none"
