"""The report's Sources line never shows a range past today: monthly rows cover their month
whole, but the month in progress only so far (HTML and Markdown alike)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli

TODAY = "2026-12-07"
DEFS = """\
variables:
  cost: {unit: currency}
  fees: {unit: currency}
  revenue: {unit: currency}
kpis:
  spend: {title: Spend, formula: cost + fees, unit: currency, direction: lower}
  sales: {title: Sales, formula: revenue, unit: currency, direction: higher}
"""
KPI_YAML = """\
name: Source ranges
kpis: [spend, sales]
sources:
  costs: {connector: csv, path: costs.csv, date: date, map: {cost: cost}}
  fees: {connector: csv, path: fees.csv, date: date, map: {fees: fees}}
  sales: {connector: csv, path: sales.csv, date: date, map: {revenue: revenue}}
"""


@pytest.fixture
def root(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", TODAY)
    folder = write_workspace({"d": DEFS}, KPI_YAML)
    # monthly rows up to the month in progress; monthly rows that stop at a whole month
    (folder / "costs.csv").write_text("date,cost\n2026-10,3000\n2026-11,3100\n2026-12,900\n")
    (folder / "fees.csv").write_text("date,fees\n2026-09,10\n2026-10,20\n2026-11,30\n")
    days = [f"2026-10-{d:02d},5\n" for d in range(1, 32)] + ["2026-12-03,7\n"]
    (folder / "sales.csv").write_text("date,revenue\n" + "".join(days))
    return folder


def _report(root, path) -> str:
    out = CliRunner().invoke(cli, ["report", "-w", str(root), "-o", str(path)])
    assert out.exit_code in (0, 1), out.output
    return path.read_text("utf-8")


def test_markdown_sources_end_by_today(root, tmp_path):
    md = _report(root, tmp_path / "r.md")
    line = next(x for x in md.splitlines() if x.startswith("**Sources:**"))
    assert "costs (csv): Oct 1, 2026 – Dec 7, 2026" in line  # not Dec 31: today is the 7th
    assert "fees (csv): Sep 1, 2026 – Nov 30, 2026" in line  # a whole month stays whole
    assert "sales (csv): Oct 1, 2026 – Dec 3, 2026" in line  # daily rows: their last day
    assert "Dec 31, 2026" not in md


def test_html_sources_end_by_today(root, tmp_path):
    html = _report(root, tmp_path / "r.html")
    found = re.findall(r'<li data-source="(\w+)">.*?<bdi>(.*?)</bdi> – <bdi>(.*?)</bdi>', html)
    shown = {name: (first, last) for name, first, last in found}
    assert shown == {
        "costs": ("Oct 1, 2026", "Dec 7, 2026"),
        "fees": ("Sep 1, 2026", "Nov 30, 2026"),
        "sales": ("Oct 1, 2026", "Dec 3, 2026"),
    }
