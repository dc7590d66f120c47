"""What makes a manager trust the report: rates change in points, values tell neighbours apart,
findings are about the period and segments shown, no command-line hints, kpi.yaml defaults."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_report import number_in, parse, rendered_once

import kpiengine
from kpiengine.cli import cli
from kpiengine.engine import Engine
from kpiengine.formatting import decimals_for, strip_bidi
from kpiengine.report import render_report

NOW = dt.datetime(2024, 12, 20, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def sample():
    ws = kpiengine.load_workspace(kpiengine.sample_workspace())
    engine = Engine(ws)
    return engine, engine.evaluate(by=["channel"])


@pytest.fixture(scope="module")
def sample_report(sample):
    """The sample's reports, each rendered once for the tests that only read it."""
    return rendered_once(sample[1])


def test_rates_change_in_points_and_amounts_in_percent(sample, sample_report):
    engine, results = sample
    rows = {r["kpi"]: r for r in results.records() if r["period"] == "2024-11" and not r["segment"]}
    bounce, revenue = rows["bounce_rate"], rows["sales_revenue"]
    assert bounce["change_pct"] is None and bounce["change"] == pytest.approx(
        bounce["value"] - bounce["previous"]
    )
    assert revenue["change_pct"] == pytest.approx(
        (revenue["value"] - revenue["previous"]) / revenue["previous"]
    )
    dom = parse(sample_report("html", period="2024-11", engine=engine, generated_at=NOW))
    cells = dom.find("tr", **{"data-kpi": "bounce_rate"}).find_all("td")
    shown = cells[5].visible_text()
    assert shown.split(" (")[0].endswith("pp") and "%" not in shown
    assert number_in(shown) == pytest.approx((bounce["value"] - bounce["previous"]) * 100, abs=0.05)
    figure = dom.find("section", id="kpi-sales_revenue").find_all("div", class_="figure")[3]
    text = figure.visible_text()  # "▲ +12.3% (+€1,234.00)": relative and absolute
    assert "%" in text and "€" in text
    markdown = sample_report("md", period="2024-11", engine=engine, generated_at=NOW)
    line = next(s for s in markdown.splitlines() if s.startswith("| Bounce rate |"))
    assert " pp" in line.split("|")[6] and ("✅" in line or "🔴" in line)


def test_percent_decimals_tell_neighbours_apart():
    assert decimals_for([0.00077, 0.00087, 0.00103], "percent") == 3  # 0.077%, 0.087%, 0.103%
    assert decimals_for([0.42, 0.45, 0.5], "percent") == 1
    assert decimals_for([0.401, 0.4012], "percent") == 1  # 0.05% apart: the same to a reader
    assert decimals_for([0.2, 0.3], "percent", fixed=0) == 0
    assert decimals_for([100.0, 200.0], "currency") is None


def _finding_codes(html: str, section: str = "findings") -> list[tuple[str, str]]:
    dom = parse(html)
    found = dom.find("section", id=section).find_all("li", class_="finding")
    return [(li.attrs["data-code"], li.find("p", class_="message").text()) for li in found]


def test_findings_are_about_the_period_shown(sample, sample_report):
    engine, _ = sample
    november = _finding_codes(
        sample_report("html", period="2024-11", engine=engine, generated_at=NOW)
    )
    december = _finding_codes(
        sample_report("html", period="2024-12", engine=engine, generated_at=NOW)
    )
    assert "KPI307" not in {c for c, _ in november}  # November is complete
    assert "KPI308" not in {c for c, _ in november}  # all inputs cover November
    assert any(c == "KPI307" and "2024-12" in m for c, m in december)
    assert any(c == "KPI308" and "cac" in m for c, m in december)
    periods = re.compile(r"\b20\d\d-(?:0[1-9]|1[0-2])\b")
    for code, message in november:
        if code.startswith("KPI3"):  # data findings name periods: only November's
            assert set(periods.findall(message)) <= {"2024-11", "2024-10"}, message
    # lint (every period) says December's close rate rests on few cases; November's report not
    assert not any("close_rate` in 2024-12" in m for _, m in november)


def test_findings_about_segments_not_shown_stay_out():
    from kpiengine.errors import Finding
    from kpiengine.report.findings import concerns

    email = Finding("KPI303", "warning", "m", details={"periods": ["2024-11"], "segments": [{}]})
    other = Finding("KPI303", "warning", "m", details={"segments": [{"channel": "Email"}]})
    assert concerns(email, "2024-11", [{}])
    assert not concerns(email, "2024-10", [{}])
    assert not concerns(other, "2024-11", [{}])
    assert concerns(other, "2024-11", [{}, {"channel": "Email"}])


def test_the_report_has_no_command_line_hints(sample, sample_report):
    engine, _ = sample
    for period in ("2024-11", "2024-12"):
        html = sample_report("html", period=period, engine=engine, generated_at=NOW)
        text = parse(html).visible_text()
        assert "--" not in text.replace("——", ""), re.findall(r".{40}--.{20}", text)
        assert "evaluate with" not in text


def test_a_report_without_segments_has_no_segment_section():
    ws = kpiengine.load_workspace(kpiengine.sample_workspace())
    results = Engine(ws).evaluate(kpis=["roi", "cac"])
    dom = parse(render_report(results, "html", period="2024-11", generated_at=NOW))
    assert not dom.find_all("div", class_="breakdown-panel")
    assert "No breakdown" not in dom.visible_text()


def test_kpi_yaml_report_defaults(tmp_path: Path):
    import shutil

    root = tmp_path / "ws"
    shutil.copytree(kpiengine.sample_workspace(), root)
    text = (root / "kpi.yaml").read_text(encoding="utf-8")
    text = re.sub(r"report:.*?\n(?=\S)", "", text, flags=re.S)
    text += "\nreport:\n  by: [channel]\n  kpis: [roi, cac]\n  title: Board pack\n"
    (root / "kpi.yaml").write_text(text, encoding="utf-8")
    assert kpiengine.load_workspace(root).settings.report.kpis == ["roi", "cac"]
    out = root / "r.html"
    result = CliRunner().invoke(cli, ["report", "-w", str(root), "-o", str(out)])
    assert out.exists(), result.output
    dom = parse(out.read_text(encoding="utf-8"))
    assert sorted(s.attrs["data-kpi"] for s in dom.find_all("section", class_="kpi")) == [
        "cac",
        "roi",
    ]
    assert dom.find("h1").text() == "Board pack"
    assert dom.find_all("div", class_="breakdown-panel")  # by channel, from kpi.yaml
    (root / "kpi.yaml").write_text(text + "  colour: red\n", encoding="utf-8")
    findings = kpiengine.load_workspace(root).findings
    assert any(f.code == "KPI002" and "colour" in f.message for f in findings)


def test_the_sample_report_breaks_down_by_channel(tmp_path: Path):
    out = tmp_path / "r.html"
    CliRunner().invoke(cli, ["report", "--sample", "-o", str(out)])
    dom = parse(out.read_text(encoding="utf-8"))
    assert len(dom.find_all("div", class_="breakdown-panel")) >= 20


def test_bidi_controls_are_stripped():
    assert strip_bidi("a\u202ebc\u2066d\u2069") == "abcd"


def test_data_cannot_start_maths_or_reorder_text(sample):
    from kpiengine.report.filters import markdown_text

    assert markdown_text("costs $5 and $6") == "costs \\$5 and \\$6"
    _, results = sample
    defaults = results.workspace.settings.report
    title, defaults.title = defaults.title, "North\u202ewind $x$"
    try:
        html = render_report(results, "html", period="2024-11", generated_at=NOW)
        markdown = render_report(results, "md", period="2024-11", generated_at=NOW)
    finally:
        defaults.title = title
    for text in (html, markdown):
        assert not any(0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069 for c in text)
    assert markdown.startswith("# Northwind \\$x\\$")


def test_a_partial_period_is_labelled_and_its_status_basis_shown(sample, sample_report):
    """December to date: the heading says 18 of 31 days, and each status says what it judged
    (the projection the record gives), so "on track" beside a low value is explained."""
    engine, results = sample
    text = sample_report("md", period="2024-12", engine=engine, generated_at=NOW)
    assert "## Scorecard · December 2024 (18/31 d)" in text
    assert "**Period:** December 2024 (18 of 31 days)" in text
    record = next(
        r
        for r in results.records()
        if r["kpi"] == "sales_revenue" and r["period"] == "2024-12" and not r["segment"]
    )
    assert record["status_basis"] == "projection"
    [row] = [line for line in text.splitlines() if line.startswith("| Sales revenue |")]
    assert f"(projected at period end: €{record['projected']:,.2f})" in row
    html = parse(sample_report("html", period="2024-12", engine=engine, generated_at=NOW))
    cell = html.find("tr", **{"data-kpi": "sales_revenue"}).find("td", class_="status-cell")
    assert cell.find("span", **{"data-basis": "projection"}) is not None
