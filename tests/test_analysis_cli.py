"""`kpi solve`, `kpi drivers`, `kpi explain` and `kpi plan`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import kpiengine
from kpiengine.cli import cli

SHOP = Path(__file__).parent / "fixtures" / "analysis" / "shop"


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def shop(tmp_path):
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    return root


def test_solve_one_input(shop):
    code, out, err = run("solve", "roi", "-w", shop, "--target", "0.3", "--for", "revenue",
                         "--period", "2024-06", "--format", "json")  # fmt: skip
    assert code == 0, err
    (result,) = json.loads(out)
    assert result["period"] == "2024-06" and result["target"] == 0.3
    assert result["solutions"][0]["feasible"] is True
    code, out, _ = run("solve", "roi", "-w", shop, "--target", "0.3", "--period", "2024-06")
    assert code == 0
    assert "marketing_cost" in out and "revenue" in out and "feasible" in out


def test_solve_reports_usage_errors_without_traceback(shop):
    code, _, err = run("solve", "roi", "-w", shop, "--for", "sessions")
    assert code == 2 and "`sessions` is not an input of `roi`" in err
    code, _, err = run("solve", "nope", "-w", shop)
    assert code == 2 and "unknown KPI `nope`" in err
    code, _, err = run("solve", "roi", "-w", shop, "--period", "2030-01", "--for", "revenue")
    assert code == 2 and "no data for 2030-01" in err
    code, _, err = run("solve", "roi", "-w", shop, "--segment", "channel")
    assert code == 2 and "DIMENSION=VALUE" in err


def test_solve_by_segment_and_for_a_kpi(shop):
    code, out, err = run("solve", "funnel_roas", "-w", shop, "--for", "ctr", "--target", "4",
                         "--segment", "channel=Search", "--format", "json")  # fmt: skip
    assert code == 0, err
    (result,) = json.loads(out)
    assert result["segment"] == {"channel": "Search"} and result["input"] == "ctr"


def test_drivers(shop):
    code, out, err = run("drivers", "profit_per_acquisition", "-w", shop, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert {d["input"] for d in data["drivers"]} == {"revenue", "marketing_cost", "new_customers"}
    assert data["tree"]["children"][0]["kind"] == "kpi"
    code, out, _ = run("drivers", "funnel_roas", "-w", shop, "--period", "2024-03")
    assert code == 0 and "driver tree:" in out and "├─ " in out


def test_explain(shop):
    code, out, err = run("explain", "roas", "-w", shop, "--from", "2024-05", "--to", "2024-06",
                         "--by", "channel", "--format", "json")  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    total = sum(c["contribution"] for c in data["contributions"])
    assert total == pytest.approx(data["change"])
    assert data["segments"]["kind"] == "mix_rate"
    assert data["waterfall"][0]["kind"] == "start"
    code, out, _ = run("explain", "funnel_roas", "-w", shop, "--method", "lmdi")
    assert code == 0 and "waterfall:" in out and "(lmdi)" in out


def test_plan_and_write(shop):
    before = (shop / "kpi.yaml").read_text()
    code, out, err = run("plan", "revenue", "-w", shop, "--annual", "1200000", "--year", "2025")
    assert code == 0, err
    assert "2025-Q4" in out and "planning KPI `sales_revenue`" in out
    assert (shop / "kpi.yaml").read_text() == before  # nothing written without --write
    code, out, err = run("plan", "roas", "-w", shop, "--target", "4", "--given",
                         "ad_spend=25000", "--write", "--format", "json")  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["derived"] == {"ad_revenue": 100000.0}
    assert data["written"]["entry"].startswith("roas: {2023: 2.5, 2024: 3, 2025: 4")
    ws = kpiengine.load_workspace(shop)
    assert ws.kpis["roas"].target.by_period["2025"] == 4
    code, _, err = run("plan", "roas", "-w", shop, "--annual", "4")
    assert code == 2 and "not additive" in err
    code, _, err = run("plan", "roas", "--sample", "--target", "4", "--write")
    assert code == 2 and "--write needs a workspace folder" in err


def test_sample_workspace_commands():
    code, out, err = run("solve", "roi", "--sample", "--target", "0.3", "--for", "revenue")
    assert code == 0, err
    assert "revenue" in out
    code, out, err = run("explain", "roas", "--sample", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert sum(c["contribution"] for c in data["contributions"]) == pytest.approx(data["change"])
    code, out, err = run("plan", "roas", "--sample", "--target", "4", "--given", "ad_spend=25000")
    assert code == 0, err
    assert "ad_revenue must be €100,000.00/month" in out
