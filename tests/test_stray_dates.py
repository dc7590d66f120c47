"""A date typed a century off (`1900-01-06` for `2024-01-06`) is counted, as written, but never
silently: KPI016 names the stray rows' period and how far they are from the rest of the data,
in `kpi eval` and `kpi lint`; data with an ordinary gap, or two real years apart, is not
flagged."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from kpiengine.cli import cli
from kpiengine.errors import Location
from kpiengine.sourcefindings import stray_dates
from kpiengine.table import Frame

TODAY = "2024-04-15"
WORKSPACE = """\
name: t
currency: USD
grain: month
kpis: [roas]
sources:
  ads:
    connector: csv
    path: data.csv
    date: Date
    map: {ad_spend: Cost, ad_revenue: Revenue}
"""


def _workspace(tmp_path, rows: list[str]):
    (tmp_path / "kpi.yaml").write_text(WORKSPACE)
    (tmp_path / "data.csv").write_text("Date,Cost,Revenue\n" + "\n".join(rows) + "\n")
    return tmp_path


def _kpi(folder, *args: str):
    return CliRunner().invoke(
        cli, [*args, "-w", str(folder)], env={"KPIENGINE_TODAY": TODAY}, catch_exceptions=False
    )


TYPO = ["2024-01-05,10,30", "1900-01-06,5,5", "2024-02-03,20,50", "2024-03-03,20,50"]


def test_eval_names_a_date_a_century_early(tmp_path):
    out = _kpi(_workspace(tmp_path, TYPO), "eval", "--format", "json")
    assert out.exit_code == 0, out.output
    assert "KPI016" in out.stderr
    assert "1900-01" in out.stderr and "124 years before" in out.stderr
    # still counted as written: January 2024 is 30 / 10, not mixed with the 1900 row
    values = {r["period"]: r["value"] for r in json.loads(out.stdout) if r["kpi"] == "roas"}
    assert values["2024-01"] == pytest.approx(30 / 10)


def test_lint_names_it_too(tmp_path):
    out = _kpi(_workspace(tmp_path, TYPO), "lint", "--format", "json")
    findings = [f for f in json.loads(out.stdout)["findings"] if f["code"] == "KPI016"]
    assert len(findings) == 1 and "1900-01" in findings[0]["message"]


def test_ordinary_gaps_are_not_flagged(tmp_path):
    # two years without a campaign between two real ones: a gap, not a typo
    rows = ["2020-03-01,1,2", "2020-09-01,1,2", "2023-01-10,1,2", "2023-06-01,1,2"]
    rows.append("2024-02-01,1,2")
    out = _kpi(_workspace(tmp_path, rows), "eval", "--format", "json")
    assert out.exit_code == 0, out.output
    assert "KPI016" not in out.stderr


def _days(*days: str) -> Frame:
    return Frame(np.array(days, dtype="datetime64[D]"))


def test_a_stray_date_after_the_rest_and_by_day():
    where = Location("kpi.yaml", 1, 1)
    found = stray_dates("s", where, _days("2023-05-01", "2023-05-02", "2023-05-09", "2031-05-03"))
    assert found is not None and "dated 2031-05-03" in found.message and "after" in found.message
    assert stray_dates("s", where, _days("2023-05-01", "2031-05-03")) is None  # which is stray?
    assert stray_dates("s", where, _days("2020-01-01", "2021-06-01", "2024-01-01")) is None
