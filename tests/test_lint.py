"""The lint runner: catalogue, `allow:` silencing, plugin checks, crashes, CLI, JSON and SARIF."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import kpiengine
from kpiengine.checks.runtime import CheckFailed
from kpiengine.cli import cli
from kpiengine.engine import Engine
from kpiengine.plugins import make_plugin_manager, registered
from kpiengine.sarif import SCHEMA, to_sarif
from kpiengine.terminal.lint import render_text

README = Path(__file__).resolve().parents[1] / "README.md"

ROI_ON_REVENUE = """\
kpis:
  campaign_roi:
    title: Campaign ROI
    formula: (revenue - ad_spend) / ad_spend
    unit: ratio
    format: percent
    allow: [KPI203: "we report revenue ROI on purpose"]
"""
BAD = """\
variables:
  cost: {unit: currency}
kpis:
  bad_roi: {title: Return, formula: revenue - cost / cost, unit: ratio, format: percent}
"""
WARNED = """\
variables:
  open_rate_daily: {unit: ratio, aggregate: sum}
kpis:
  open_rate: {title: Open rate, formula: open_rate_daily, unit: ratio, format: percent}
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_builtin_library_lints_clean_of_errors_and_warnings():
    report = Engine(kpiengine.load_workspace(None)).lint()
    assert report.count("error") == 0, render_text(report)
    for finding in report.findings:
        assert finding.severity == "info" or report.workspace.kpis[finding.kpi].notes, finding


def test_catalogue_is_complete_and_documented():
    checks = Engine(kpiengine.load_workspace(None)).checks
    codes = [c.obj.code for c in checks]
    assert len(codes) == len(set(codes)) and len(codes) >= 20
    readme = README.read_text()
    section = readme[readme.index("## Finding codes") : readme.index("## Layout")]
    for item in checks:
        check = item.obj
        assert re.fullmatch(r"KPI[0123]\d\d", check.code) and check.title and check.fix
        assert check.severity in ("error", "warning", "info")
        assert item.origin == "built-in"
        assert f"| {check.code} |" in section, f"{check.code} missing from the README catalogue"


def test_checks_come_through_register_checks():
    found = registered(make_plugin_manager(), "register_checks")
    assert {"KPI101", "KPI201", "KPI303"} <= set(found)
    assert found["KPI201"].origin == "built-in"


def test_allow_silences_one_check_for_one_kpi_with_its_reason(write_workspace):
    root = write_workspace({"roi": ROI_ON_REVENUE})
    report = Engine(kpiengine.load_workspace(root)).lint(kpis=["campaign_roi"])
    assert [f.code for f in report.findings] == []
    [silenced] = report.silenced
    assert silenced.finding.code == "KPI203"
    assert silenced.reason == "we report revenue ROI on purpose"
    assert "reason: we report revenue ROI on purpose" in render_text(report)
    data = report.to_dict()
    assert data["silenced"][0]["reason"] == "we report revenue ROI on purpose"
    [result] = to_sarif(report)["runs"][0]["results"]
    assert result["suppressions"] == [
        {"kind": "inSource", "justification": "we report revenue ROI on purpose"}
    ]


PLUGIN = """\
from kpiengine import hookimpl
from kpiengine.checks.base import Check


class NoDescription(Check):
    code = "KPI901"
    title = "a workspace KPI without a description"
    fix = "add `description:`"

    def run(self, context):
        for kpi in context.kpis:
            if kpi.layer == "workspace" and not kpi.description:
                yield self.finding(f"`{kpi.id}` has no description", kpi)


class Broken(Check):
    code = "KPI902"
    title = "a check with a bug"

    def run(self, context):
        raise RuntimeError("boom")


@hookimpl
def register_checks(register):
    register(NoDescription)
    register(Broken)
"""


def test_plugin_checks_and_crashes_become_findings(write_workspace):
    root = write_workspace({"bad": BAD})
    (root / "plugins").mkdir()
    (root / "plugins" / "house_rules.py").write_text(PLUGIN)
    report = Engine(kpiengine.load_workspace(root)).lint()
    own = [f for f in report.findings if f.code == "KPI901"]
    assert [f.kpi for f in own] == ["bad_roi"]
    [crash] = [f for f in report.findings if f.code == CheckFailed.code]
    assert "KPI902" in crash.message and "boom" in crash.message
    assert "house_rules.py" in crash.message
    assert any(f.code == "KPI201" for f in report.findings)  # the other checks ran
    origins = {r.obj.code: r.origin for r in report.checks}
    assert origins["KPI901"].endswith("house_rules.py")
    scoped = Engine(kpiengine.load_workspace(root)).lint(kpis=["bad_roi"])
    assert CheckFailed.code in {f.code for f in scoped.findings}  # a crash is never scoped away


def test_static_only_without_data(write_workspace):
    report = Engine(kpiengine.load_workspace(write_workspace({"bad": BAD}))).lint()
    assert not report.data_checked
    assert not [f for f in report.findings if f.code.startswith("KPI3")]
    assert "data checks skipped" in render_text(report)


def test_text_grouped_by_kpi_with_colour_only_on_request(write_workspace):
    report = Engine(kpiengine.load_workspace(write_workspace({"bad": BAD}))).lint(kpis=["bad_roi"])
    text = render_text(report)
    assert text.splitlines()[0] == "bad_roi: Return"
    assert "\x1b[" not in text
    assert "\x1b[" in render_text(report, color=True)


@pytest.mark.parametrize(
    ("defs", "strict", "code"),
    [
        ({"roi": ROI_ON_REVENUE}, False, 0),
        ({"roi": ROI_ON_REVENUE}, True, 0),
        ({"warned": WARNED}, False, 0),
        ({"warned": WARNED}, True, 1),
        ({"bad": BAD}, False, 1),
    ],
)
def test_cli_exit_codes(write_workspace, defs, strict, code):
    root = write_workspace(defs)
    args = ["lint", "--workspace", str(root)] + (["--strict"] if strict else [])
    exit_code, out, _ = run(*args)
    assert exit_code == code, out
    assert out.rstrip().splitlines()[-1].endswith(("data checks skipped", "data checks ran"))
    assert "\x1b[" not in out  # not a terminal: no colour


def test_cli_exit_2_when_it_cannot_run(write_workspace, tmp_path):
    root = write_workspace({"bad": BAD})
    exit_code, _, err = run("lint", "-w", str(root), "--data", str(tmp_path / "missing.csv"))
    assert exit_code == 2 and "error:" in err
    (root / "definitions" / "broken.yaml").write_text("kpis: [unclosed\n")
    exit_code, _, err = run("lint", "-w", str(root))
    assert exit_code == 2 and "Traceback" not in err


def test_cli_json_with_data(write_workspace):
    rows = "\n".join(f"2024-{m:02d}-{d:02d},100" for m in (4, 5) for d in (1, 15)) + "\n"
    root = write_workspace(
        kpi_yaml="data: data.csv\n",
        data="date,revenue\n" + rows + "2024-06-01,100\n2024-06-11,100\n",
    )
    exit_code, out, _ = run("lint", "-w", str(root), "--format", "json")
    data = json.loads(out)
    assert exit_code == 0
    assert data["summary"]["data_checked"] is True
    assert set(data["summary"]) == {"errors", "warnings", "infos", "silenced", "data_checked"}
    [partial] = [f for f in data["findings"] if f["code"] == "KPI307"]
    assert "2024-06 holds 11 of 30 days" in partial["message"]
    assert {"code", "severity", "message", "kpi", "file", "line", "column", "fix"} <= set(partial)
    assert {c["code"] for c in data["checks"]} >= {"KPI101", "KPI307"}


def test_sarif_structure(write_workspace):
    root = write_workspace({"bad": BAD, "roi": ROI_ON_REVENUE})
    exit_code, out, _ = run("lint", "-w", str(root), "--format", "sarif")
    assert exit_code == 1
    log = json.loads(out)
    assert log["$schema"] == SCHEMA == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    [sarif_run] = log["runs"]
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "kpiengine" and driver["version"]
    rules = driver["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    assert all(r["shortDescription"]["text"] for r in rules)
    assert sarif_run["results"]
    uris = set()
    for result in sarif_run["results"]:
        assert result["ruleId"] in ids
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"]
        for location in result["locations"]:
            physical = location.get("physicalLocation")
            if physical is None:
                continue
            artifact = physical["artifactLocation"]
            assert artifact["uriBaseId"] in sarif_run["originalUriBaseIds"]
            assert not artifact["uri"].startswith(("/", "file:"))
            assert physical["region"]["startLine"] >= 1
            assert physical["region"].get("startColumn", 1) >= 1
            uris.add((artifact["uriBaseId"], artifact["uri"]))
    assert ("%SRCROOT%", "definitions/bad.yaml") in uris
    # the built-in ltv/roi notes show where the library itself is linted, not in a workspace's
    assert ("KPIENGINE", "definitions/revenue.yaml") not in uris
    _, library_out, _ = run("lint", "-w", str(write_workspace(folder="empty")), "--format", "sarif")
    builtin = json.loads(library_out)["runs"][0]["results"]
    assert any(
        loc["physicalLocation"]["artifactLocation"]
        == {"uri": "definitions/revenue.yaml", "uriBaseId": "KPIENGINE"}
        for r in builtin
        for loc in r["locations"]
        if "physicalLocation" in loc
    )
    [precedence] = [r for r in sarif_run["results"] if r["ruleId"] == "KPI201"]
    region = precedence["locations"][0]["physicalLocation"]["region"]
    line = BAD.splitlines().index(next(x for x in BAD.splitlines() if "bad_roi" in x)) + 1
    assert region == {
        "startLine": line,
        "startColumn": BAD.splitlines()[line - 1].index("cost /") + 1,
    }


def test_show_lists_the_kpis_lint_findings(write_workspace):
    root = write_workspace({"bad": BAD})
    exit_code, out, _ = run("show", "bad_roi", "-w", str(root))
    assert exit_code == 1
    lint_part = out[out.index("  lint:") :]
    assert "error KPI201" in lint_part and "did you mean `(revenue - cost) / cost`?" in lint_part
    assert "KPI101" not in lint_part  # already listed among the definition findings


def test_kpi_yaml_lists_and_report_dimensions_are_named_at_their_place(write_workspace):
    """An unknown id in kpi.yaml's `kpis:` is a located finding (the known ones are evaluated),
    a `report.by` dimension no source has a located KPI003 in lint and the report's error."""
    from click.testing import CliRunner

    from kpiengine.cli import cli

    data = "date,channel,revenue,marketing_cost\n2024-01-01,Email,100,50\n2024-02-01,Email,120,60\n"
    root = write_workspace(kpi_yaml="data: data.csv\nkpis: [roi, roii]\n", data=data)
    out = CliRunner().invoke(cli, ["eval", "-w", str(root), "--format", "csv"])
    assert out.exit_code == 1 and "roi,2024-02,,1.0" in out.output
    assert "kpi.yaml:2:7: error KPI003: kpi.yaml lists unknown KPI `roii`" in out.output
    lint = CliRunner().invoke(cli, ["lint", "-w", str(root)])
    assert lint.exit_code == 1 and "lists unknown KPI `roii`" in lint.output
    root = write_workspace(
        kpi_yaml="data: data.csv\nreport:\n  by: [chanel]\n", data=data, folder="by"
    )
    lint = CliRunner().invoke(cli, ["lint", "-w", str(root)])
    assert lint.exit_code == 1 and "kpi.yaml:3:7" in lint.output and "`channel`" in lint.output
    report = CliRunner().invoke(cli, ["report", "-w", str(root), "-o", str(root / "r.html")])
    assert report.exit_code == 2 and "kpi.yaml:3:7" in report.output
    assert not (root / "r.html").exists()
