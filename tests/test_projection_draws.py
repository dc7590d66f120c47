"""Each simulated future of a partial period takes every input from the same past day: inputs that
move together keep doing so, so a ratio that is the same every day is projected with no spread
(ROAS 4.0 every day: interval 4.0 to 4.0, a 3.9 target reached in every future), and the interval
of a KPI does not depend on which other KPIs are run beside it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli

TODAY = "2024-06-11"
FIRST, LAST = dt.date(2024, 3, 1), dt.date(2024, 6, 10)


def _spend(day: dt.date) -> int:
    """Spend that varies a lot from day to day (50 to 1,000), by a fixed rule."""
    return 50 + (day.toordinal() * 7919) % 951


def _workspace(tmp_path):
    days = [FIRST + dt.timedelta(i) for i in range((LAST - FIRST).days + 1)]
    rows = "".join(f"{d},{_spend(d)},{4 * _spend(d)}\n" for d in days)
    (tmp_path / "data.csv").write_text("date,ad_spend,ad_revenue\n" + rows)
    (tmp_path / "kpi.yaml").write_text(
        "name: t\ncurrency: USD\ndata: data.csv\nkpis: [roas, ad_spend_total]\n"
        "targets: {roas: 3.9}\n"
    )
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "d.yaml").write_text(
        "kpis:\n  ad_spend_total: {title: Spend, formula: ad_spend, unit: currency}\n"
    )
    return tmp_path


def _current(root, *kpis: str) -> dict:
    args = ["eval", "-w", str(root), "--period", "current", "--format", "json"]
    out = CliRunner().invoke(
        cli, [*args, *[f"--kpi={k}" for k in kpis]], env={"KPIENGINE_TODAY": TODAY}
    )
    assert out.exit_code in (0, 1), out.output
    return {r["kpi"]: r for r in json.loads(out.stdout)}


def test_a_ratio_the_same_every_day_is_projected_without_spread(tmp_path):
    roas = _current(_workspace(tmp_path), "roas")["roas"]
    assert roas["value"] == pytest.approx(4.0)
    assert roas["projected"] == pytest.approx(4.0)
    assert roas["projected_low"] == pytest.approx(4.0) and roas["projected_high"] == pytest.approx(
        4.0
    )
    assert roas["p_target"] == 1.0


def test_an_interval_does_not_depend_on_the_kpis_beside_it(tmp_path):
    root = _workspace(tmp_path)
    alone = _current(root, "ad_spend_total")["ad_spend_total"]
    beside = _current(root, "roas", "ad_spend_total")["ad_spend_total"]
    assert alone["projected_low"] < alone["projected_high"]  # the spend itself does vary
    for field in ("projected", "projected_low", "projected_high"):
        assert alone[field] == beside[field]
