import csv
import io
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli

DEFS = """\
variables:
  revenue: {unit: currency}
  cost: {unit: currency}
kpis:
  roi: {title: ROI, formula: (revenue - cost) / cost, unit: ratio, format: percent, target: 0.3}
"""
DATA = "date,channel,revenue,cost\n2024-01-05,A,130,100\n2024-02-05,A,100,100\n"


def run(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def ws(write_workspace):
    return write_workspace({"defs": DEFS}, kpi_yaml="data: data.csv\nkpis: [roi]\n", data=DATA)


def test_eval_json_rows(ws):
    code, out, err = run("eval", "-w", str(ws), "--format", "json", "--by", "channel")
    assert code == 0, err
    rows = json.loads(out)
    assert {"kpi", "period", "segment", "value", "unit", "target", "status", "reason"} <= set(
        rows[0]
    )
    jan = [r for r in rows if r["period"] == "2024-01" and r["segment"] == {}][0]
    assert jan["value"] == pytest.approx(0.3) and jan["status"] == "on_track"
    assert [r["segment"] for r in rows if r["period"] == "2024-01"] == [{}, {"channel": "A"}]


def test_eval_csv_and_period(ws):
    code, out, _ = run("eval", "-w", str(ws), "--format", "csv", "--period", "2024-02")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["kpi"], r["period"], r["value"], r["status"]) for r in rows] == [
        ("roi", "2024-02", "0.0", "off_track")
    ]


def test_eval_table(ws):
    """January (from the 5th: its first event) is whole and on track; February, to the 5th, is
    partial: left out of the default table, shown to date with `--period current`."""
    code, out, _ = run("eval", "-w", str(ws))
    assert code == 0
    assert "30.0%" in out and "on track" not in out.splitlines()[0] and "✓ on track" in out
    assert "2024-02 (5/29 d) is partial" in out and "left out" in out
    code, out, _ = run("eval", "-w", str(ws), "--period", "current")
    assert code == 0 and "2024-02 (5/29 d)" in out and "0.0%" in out


def test_show_explains_the_kpi(ws):
    code, out, _ = run("show", "roi", "-w", str(ws))
    assert code == 0
    assert "read as:      (revenue - cost) / cost" in out
    assert "ratio (from the formula)" in out


def test_show_builtin_examples_and_override(write_workspace):
    root = write_workspace(
        {
            "x": "kpis:\n  cac: {title: C, formula: marketing_cost / new_customers,"
            " unit: currency / customers}\n"
        }
    )
    code, out, _ = run("show", "cac", "-w", str(root))
    assert code == 0 and "overrides:" in out and "<built-in>" in out
    code, out, _ = run("show", "roi", "-w", str(root))
    assert "ok  revenue=10000, marketing_cost=7000 -> 0.428571" in out


def test_unknown_kpi_is_a_usage_error(ws):
    code, _, err = run("eval", "-w", str(ws), "--kpi", "rio")
    assert code == 2 and "did you mean `roi`" in err


def test_definition_errors_exit_1_with_location(write_workspace):
    bad = DEFS.replace("(revenue - cost) / cost", "(revnue - cost) / cost")
    root = write_workspace({"defs": bad}, data=DATA)
    code, _, err = run("eval", "-w", str(root), "--data", str(root / "data.csv"))
    assert code == 1
    assert "defs.yaml:5:" in err and "did you mean `revenue`" in err and "KPI006" in err


def test_unreadable_data_exit_2_with_line_and_column(write_workspace):
    root = write_workspace({"defs": DEFS}, data="date,revenue,cost\n2024-01-01,12,abc\n")
    code, _, err = run("eval", "-w", str(root), "--data", str(root / "data.csv"))
    assert code == 2
    assert "data.csv:2:15: expected an amount in column `cost`, found `abc`" in err


def test_list_shows_what_the_data_feeds(ws):
    code, out, _ = run("list", "-w", str(ws), "--format", "json")
    assert code == 0
    states = {r["kpi"]: r["state"] for r in json.loads(out)}
    assert states["roi"] == "fed"
    assert states["cac"].startswith("missing ")


def test_no_traceback_for_broken_yaml(write_workspace):
    root = write_workspace({"defs": "kpis:\n  roi: {title: ROI\n"})
    proc = subprocess.run(
        [sys.executable, "-m", "kpiengine.cli", "list", "-w", str(root)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "defs.yaml:" in proc.stderr and "invalid YAML" in proc.stderr


def test_sample_runs_clean():
    code, out, err = run(
        "eval", "--sample", "--kpi", "roi", "--period", "2024-06", "--format", "json"
    )
    assert code == 0, err
    assert err == ""
    assert json.loads(out)[0]["kpi"] == "roi"


def test_cpm_unit_reads_per_1000_impressions():
    code, out, err = run("show", "cpm", "--sample")
    assert code == 0, err
    assert "unit:         currency / (1000 impressions) (declared)" in out
    assert "currency / (1000 impressions) (from the formula)" in out
    assert "KPI10" not in out  # the `* 1000` is the conversion the unit declares
    code, out, err = run("eval", "--sample", "--kpi", "cpm", "--format", "json")
    assert code == 0, err
    assert {row["unit"] for row in json.loads(out)} == {"currency / (1000 impressions)"}
    code, out, err = run("report", "--sample", "--kpi", "cpm", "-o", "-", "--format", "md")
    assert code == 0, err
    assert "**Unit:** `EUR / (1000 impressions)`" in out  # the sample's currency is EUR


def test_show_references_prints_the_articles_by_title_and_language(tmp_path):
    import re
    from pathlib import Path

    import yaml

    definitions = Path(__file__).resolve().parents[1] / "definitions"
    articles = yaml.safe_load((definitions / "references.yaml").read_text("utf-8"))["references"]
    roi = yaml.safe_load((definitions / "revenue.yaml").read_text("utf-8"))["kpis"]["roi"]
    cited = roi["references"]
    assert len(cited) >= 2
    code, out, err = run("show", "roi", "--references", "-w", str(tmp_path))
    assert code == 0, err
    shown = out[out.index("  references:") :].splitlines()[1 : len(cited) + 1]
    for line, name in zip(shown, cited, strict=True):
        article = articles[name]
        assert line.strip().startswith(f"{article['title']} ({article['language']}")
    raw = re.compile(r"\d{3}_[0-9a-f]{16}\.txt")
    code, out, err = run("show", "roi", "-w", str(tmp_path))
    assert code == 0, err
    assert not raw.search(out), out  # no file names without --references
    assert "references:" not in out
