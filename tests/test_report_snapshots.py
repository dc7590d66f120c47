"""Snapshots of the sample report, reviewed like code: the Markdown, and the HTML's visible text.

A change to the report shows up here as a diff. After checking that it is intended, update:
`KPIENGINE_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_report_snapshots.py`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
from pathlib import Path

import pytest
from test_report import parse

import kpiengine
from kpiengine.engine import Engine
from kpiengine.report import render_report

SNAPSHOTS = Path(__file__).parent / "snapshots"
NOW = dt.datetime(2024, 12, 20, 8, 0, tzinfo=dt.UTC)
PERIOD = "2024-11"


@pytest.fixture(scope="module")
def sample():
    ws = kpiengine.load_workspace(kpiengine.sample_workspace())
    engine = Engine(ws)
    return engine, engine.evaluate(by=["channel"])


def html_text(html: str) -> str:
    """The visible text, one block element a line (no CSS, no SVG titles)."""
    dom = parse(html)
    lines = []
    for node in dom.find_all():
        block = node.tag in ("h1", "h2", "h3", "h4", "p", "li", "tr", "dt", "dd", "summary", "th")
        if block and (node.tag in ("dt", "dd", "th") or not node.find_all("li")):
            text = node.visible_text()
            if text and (not lines or lines[-1] != text):
                lines.append(text)
    return "\n".join(lines) + "\n"


def check(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("KPIENGINE_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    stored = path.read_text(encoding="utf-8")
    if stored != text:
        diff = "".join(
            list(difflib.unified_diff(stored.splitlines(True), text.splitlines(True), name, "now"))[
                :80
            ]
        )
        pytest.fail(f"{name} changed (KPIENGINE_UPDATE_SNAPSHOTS=1 to accept):\n{diff}")


@pytest.mark.parametrize("locale", ["en", "fa"])
def test_markdown_snapshot(sample, locale):
    engine, results = sample
    text = render_report(results, "md", locale, PERIOD, generated_at=NOW, engine=engine)
    root = str(results.workspace.root)
    check(f"sample-{locale}.md", text.replace(root, "<sample>"))


@pytest.mark.parametrize("locale", ["en", "fa"])
def test_html_text_snapshot(sample, locale):
    engine, results = sample
    html = render_report(results, "html", locale, PERIOD, generated_at=NOW, engine=engine)
    check(
        f"sample-{locale}.html.txt",
        html_text(html).replace(str(results.workspace.root), "<sample>"),
    )
