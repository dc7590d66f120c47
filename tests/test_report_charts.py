"""Charts a reader can trust: bullet graphs against the target, axes that say where they start,
one outlier clipped and labelled; the print stylesheet and the PDF."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil

import pytest
from test_report import parse, rendered_once, sample_by_channel

from kpiengine.report import write_report
from kpiengine.report.bullets import bullet
from kpiengine.report.charts import line_chart, single_outlier

NOW = dt.datetime(2024, 12, 20, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def sample():
    return sample_by_channel()


@pytest.fixture(scope="module")
def november(sample) -> str:
    """The sample's HTML report of November 2024, rendered once for the tests that read it."""
    return rendered_once(sample)("html", period="2024-11", generated_at=NOW)


def test_bullet_bands_and_target_marker():
    b = bullet(0.3, 0.4, "higher", 0.1, width=100)
    assert b is not None and b.low == 0
    assert b.high == pytest.approx(0.44)
    assert b.target_x == pytest.approx(0.4 / 0.44 * 100)
    assert [band.kind for band in b.bands] == ["off_track", "at_risk", "on_track"]
    assert b.bands[1].x == pytest.approx(0.36 / 0.44 * 100)  # at risk from 90% of the target
    assert b.bar_width == pytest.approx(0.3 / 0.44 * 100)
    lower = bullet(500.0, 480.0, "lower", 0.1, width=100)
    assert [band.kind for band in lower.bands] == ["on_track", "at_risk", "off_track"]
    assert bullet(1.0, None, "higher", 0.1) is None and bullet(1.0, 2.0, "none", 0.1) is None
    huge = bullet(100.0, 1.0, "higher", 0.1, width=100)
    assert huge.clipped and huge.target_x > 25  # one extreme value does not squash the bands


def test_scorecard_bullets_put_the_target_where_it_is(sample, november):
    dom = parse(november)
    records = {
        r["kpi"]: r for r in sample.records() if r["period"] == "2024-11" and not r["segment"]
    }
    checked = 0
    for row in dom.find("table", class_="scorecard").find_all("tr"):
        kpi = row.attrs.get("data-kpi")
        svgs = [s for s in row.find_all("svg") if "bullet" in s.classes()]
        if not kpi:
            continue
        target = records[kpi]["target"]
        if target is None or records[kpi]["value"] is None:
            assert not svgs
            continue
        svg = svgs[0]
        low, high = float(svg.attrs["data-low"]), float(svg.attrs["data-high"])
        width = float(svg.attrs["viewbox"].split()[2])
        expected = (min(max(target, low), high) - low) / (high - low) * width
        assert float(svg.attrs["data-target-x"]) == pytest.approx(expected, abs=0.06)
        assert low <= 0 <= high or low <= records[kpi]["value"]
        checked += 1
    assert checked >= 8


def test_a_single_outlier_is_clipped_and_labelled():
    values = [100, 104, 98, 101, 2500, 99, 103, 102]
    assert single_outlier(values) == 4
    assert single_outlier([100, 104, 98, 101, 99, 103]) is None
    chart = line_chart([f"2024-{m:02d}" for m in range(1, 9)], values, [None] * 8)
    assert chart.outlier is not None and chart.outlier.value == 2500
    assert chart.ticks[-1][1] < 500  # the axis is for the other values
    assert chart.outlier.y is not None and chart.outlier.y < chart.top  # drawn at the edge


def test_axes_include_the_target_and_say_when_they_do_not_start_at_zero(sample, november):
    dom = parse(november)
    section = dom.find("section", id="kpi-bounce_rate")
    trend = next(s for s in section.find_all("svg") if "trend" in s.classes())
    ticks = [t.text() for t in trend.find_all("text") if "tick" in t.classes()]
    values = [float(t.rstrip("%")) for t in ticks if re.fullmatch(r"\d+\.\d%", t)]
    assert min(values) <= 40.0  # the target, 40%
    notes = section.find_all("p", class_="axis-note")
    assert notes and "not zero" in notes[0].text()
    table = section.find("details", class_="chart-data")  # the chart's text alternative
    assert len(table.find_all("tr")) == 1 + sample.labels.index("2024-11") + 1


def test_print_stylesheet_keeps_cards_whole_and_pages_few(november):
    html = november
    css = html[html.index("@media print") :]
    assert re.search(r"\.kpi, [^{]*\{ break-inside: avoid; \}", css)
    dom = parse(html)
    order = [s.attrs["id"] for s in dom.find("main").children if getattr(s, "tag", "") == "section"]
    assert order[:2] == ["scorecard", "findings"]


def _chromium() -> bool:
    return bool(shutil.which("chromium") and shutil.which("chromedriver"))


@pytest.mark.skipif(
    not _chromium() and os.environ.get("KPIENGINE_REQUIRE_BROWSER") != "1",
    reason="PDF needs chromium and chromedriver",
)
@pytest.mark.parametrize("paper", ["letter"])  # A4 and Letter: test_report_browser
def test_pdf_has_few_pages_and_extractable_text(sample, tmp_path, paper):
    pypdf = pytest.importorskip("pypdf")
    path = write_report(sample, tmp_path / "r.pdf", period="2024-11", generated_at=NOW, paper=paper)
    reader = pypdf.PdfReader(str(path))
    assert 2 <= len(reader.pages) < 30
    width = float(reader.pages[0].mediabox.width)
    assert width == pytest.approx(595 if paper == "a4" else 612, abs=2)
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Scorecard" in text and "Bounce rate" in text and "pp" in text
    first = reader.pages[0].extract_text()
    assert "Scorecard" in first  # the scorecard comes first
