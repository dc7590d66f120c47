"""Accessibility of the HTML report: WCAG AA contrast computed from the stylesheet's colours
(text 4.5:1, chart marks 3:1) in light and dark schemes, language and direction on the root,
and the media queries for dark schemes and reduced motion."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STYLE = (Path(__file__).parents[1] / "templates" / "_style.css.j2").read_text(encoding="utf-8")

TEXT = [  # (foreground, background): text read on it
    ("ink", "card"), ("ink", "bg"), ("muted", "card"), ("muted", "bg"), ("faint", "card"),
    ("accent", "card"), ("accent", "accent-soft"), ("target", "card"),
    ("good", "good-bg"), ("warn", "warn-bg"), ("bad", "bad-bg"), ("none", "none-bg"),
    ("good", "card"), ("bad", "card"), ("muted", "none-bg"),
]  # fmt: skip
MARKS = [  # chart marks against the card, and the bullet's bar against its bands
    ("accent", "card"), ("target", "card"), ("bar-on", "card"), ("bar-risk", "card"),
    ("bar-off", "card"), ("wf-total", "card"), ("ink", "band-off"), ("ink", "band-risk"),
    ("ink", "band-on"),
]  # fmt: skip


def variables(block: str) -> dict[str, str]:
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", block))


def schemes() -> dict[str, dict[str, str]]:
    light = variables(STYLE[STYLE.index(":root") : STYLE.index("}", STYLE.index(":root"))])
    start = STYLE.index("prefers-color-scheme: dark")
    dark_root = STYLE.index(":root", start)
    dark = {**light, **variables(STYLE[dark_root : STYLE.index("}", dark_root)])}
    return {"light": light, "dark": dark}


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_and_marks_meet_wcag_aa(scheme):
    colours = schemes()[scheme]
    low = [
        (fg, bg, round(contrast(colours[fg], colours[bg]), 2))
        for fg, bg in TEXT
        if contrast(colours[fg], colours[bg]) < 4.5
    ]
    assert not low, f"text under 4.5:1 in the {scheme} scheme: {low}"
    low = [
        (fg, bg, round(contrast(colours[fg], colours[bg]), 2))
        for fg, bg in MARKS
        if contrast(colours[fg], colours[bg]) < 3
    ]
    assert not low, f"chart marks under 3:1 in the {scheme} scheme: {low}"


def test_charts_use_the_palette_not_fixed_colours():
    charts = STYLE[STYLE.index("/* charts */") : STYLE.index("@media (prefers-reduced-motion")]
    fills = re.findall(r"(?:fill|stroke):\s*(#[0-9a-fA-F]{3,6})", charts)
    assert not fills, f"chart colours outside the palette (no dark variant): {fills}"


def test_root_language_direction_and_media_queries():
    import datetime as dt

    import kpiengine
    from kpiengine.report import render_report

    ws = kpiengine.load_workspace(kpiengine.sample_workspace())
    results = kpiengine.evaluate(ws, kpis=["roi"])
    when = dt.datetime(2024, 12, 20, tzinfo=dt.UTC)
    html = render_report(results, "html", locale="fa", period="2024-11", generated_at=when)
    assert re.search(r'<html lang="fa" dir="rtl">', html)
    assert "@media (prefers-reduced-motion: reduce)" in html
    assert "prefers-color-scheme: dark" in html
    for svg in re.findall(r"<svg[^>]*class=\"[^\"]*chart[^>]*>", html):
        assert 'role="img"' in svg and "aria-label" in svg  # each chart is named
