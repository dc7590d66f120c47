"""Meta's `Results` count each campaign's own objective. Without a `Result indicator` column, a
summary row leaving `Results` empty above rows that have them is how Ads Manager says they are
of different kinds: conversions from them are undefined with the reason (never a sum of link
clicks and purchases); with the indicator, different kinds leave only the KPIs reading `Results`
undefined, the others evaluate. Expected values come from the csv module.
"""

import csv
import io
import json

import numpy as np
import pytest
from click.testing import CliRunner
from test_connector_ads import connector, fetch

from kpiengine.cli import cli

HEADER = "Reporting starts,Reporting ends,Campaign name,Results,Impressions,Amount spent (USD),"
HEADER += "Link clicks\n"
ROWS = (
    "2026-02-01,2026-02-28,Prospecting,94,134761,2766.72,2527\n"
    "2026-02-01,2026-02-28,Retargeting,4858,258540,421.09,4858\n"  # link clicks
    "2026-02-01,2026-02-28,Catalog Sales,121,256553,4198.66,4531\n"
)


def export(results=""):
    """The export, its summary row's `Results` cell `results` (empty: kinds differ)."""
    rows = list(csv.reader(io.StringIO(ROWS)))
    impressions, spent, clicks = (sum(float(r[i]) for r in rows) for i in (4, 5, 6))
    summary = f"2026-02-01,2026-02-28,,{results},{impressions:.0f},{spent:.2f},{clicks:.0f}\n"
    return HEADER + summary + ROWS


def test_an_empty_summary_result_leaves_conversions_undefined(tmp_path):
    (tmp_path / "m.csv").write_text(export(), "utf-8")
    frame = fetch(connector(tmp_path, "m.csv"), "conversions", "ad_spend")
    assert np.isnan(frame.values["conversions"]).all()
    why = frame.missing["conversions"]
    assert "the summary row leaves `Results` empty (at m.csv:2:" in why
    assert "different kinds" in why and "Result indicator" in why
    rows = list(csv.reader(io.StringIO(ROWS)))
    assert frame.values["ad_spend"].sum() == pytest.approx(sum(float(r[5]) for r in rows))
    assert "ad_spend" not in frame.missing


def test_a_summary_result_of_one_kind_is_added(tmp_path):
    rows = list(csv.reader(io.StringIO(ROWS)))
    total = sum(int(r[3]) for r in rows)
    (tmp_path / "m.csv").write_text(export(str(total)), "utf-8")
    frame = fetch(connector(tmp_path, "m.csv"), "conversions")
    assert frame.values["conversions"].sum() == total and not frame.missing


def workspace(root, text):
    (root / "m.csv").write_text(text, "utf-8")
    (root / "kpi.yaml").write_text(
        "currency: USD\nsources:\n  meta:\n    connector: ads\n    path: m.csv\n", "utf-8"
    )
    (root / "definitions").mkdir()
    (root / "definitions" / "d.yaml").write_text(
        "kpis:\n"
        "  cpc: {title: CPC, formula: ad_spend / clicks, unit: currency / clicks, "
        "format: currency}\n"
        "  cpa: {title: CPA, formula: ad_spend / conversions, unit: currency / conversions, "
        "format: currency}\n",
        "utf-8",
    )


@pytest.mark.parametrize("indicator", [False, True])
def test_kpi_eval_evaluates_the_kpis_that_do_not_read_results(tmp_path, monkeypatch, indicator):
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-06-30")
    text = export()
    if indicator:  # Meta's `Result indicator`: the kinds told, two of them
        kinds = ["", *["actions:offsite_conversion.fb_pixel_purchase"] * 3]
        kinds[2] = "actions:link_click"
        lines = text.splitlines()
        text = "".join(
            ",".join([*line.split(",")[:4], k if i else "Result indicator", *line.split(",")[4:]])
            + "\n"
            for i, (line, k) in enumerate(zip(lines, ["", *kinds], strict=True))
        )
    workspace(tmp_path, text)
    out = CliRunner().invoke(cli, ["eval", "-w", str(tmp_path), "--format", "json"])
    assert out.exit_code == 0, out.output
    got = {r["kpi"]: r for r in json.loads(out.stdout) if r["period"] == "2026-02"}
    rows = list(csv.reader(io.StringIO(ROWS)))
    spent, clicks = sum(float(r[5]) for r in rows), sum(float(r[6]) for r in rows)
    assert got["cpc"]["value"] == pytest.approx(spent / clicks)
    assert got["cpa"]["value"] is None
    assert ("Result indicator" if not indicator else "counts different results") in (
        got["cpa"]["reason"]
    )
