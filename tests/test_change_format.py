"""The absolute change in brackets (`▲ +1.6% (+0.04)`): signed, and never a non-zero change shown
as zero, in every report locale, in HTML and Markdown. Expected texts are written by hand."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

import kpiengine
from kpiengine.localformat import Formatter
from kpiengine.report import render_report

NOW = dt.datetime(2024, 12, 2, 9, 0, tzinfo=dt.UTC)
#: 0.0438 (a KPI shown with 1 decimal) and -0.0438, as each locale writes them
SMALL = {
    "en": ("+0.04", "-0.04"),
    "fr": ("+0,04", "-0,04"),
    "zh-Hans": ("+0.04", "-0.04"),
    "zh-Hant": ("+0.04", "-0.04"),
    "fa": ("+۰٫۰۴", "-۰٫۰۴"),
}


@pytest.mark.parametrize("locale", sorted(SMALL))
def test_a_small_change_keeps_its_sign_and_a_digit(locale):
    fmt = Formatter(locale, "EUR")
    up, down = SMALL[locale]
    parts = fmt.change_parts(0.0438, 0.016, "number", 1)
    assert parts is not None and parts["extra"] == up and parts["sign"] == 1
    parts = fmt.change_parts(-0.0438, -0.016, "number", 1)
    assert parts is not None and parts["extra"] == down and parts["sign"] == -1


def test_a_rate_s_small_change_keeps_its_sign_and_a_digit():
    fmt = Formatter("en", "EUR")
    roas = fmt.change_parts(-0.03, None, "multiple", 1, rate=True)  # 4.00x -> 3.97x
    assert roas is not None and roas["main"] == "-0.03×" and roas["sign"] == -1
    share = fmt.change_parts(0.0005, None, "percent", 1, rate=True)  # 3.90% -> 3.95%
    assert share is not None and share["main"] == "+0.05 pp" and share["sign"] == 1
    big = fmt.change_parts(0.2, None, "multiple", 1, rate=True)
    assert big is not None and big["main"] == "+0.2×"


@pytest.mark.parametrize(
    ("value", "fmt", "decimals", "expected"),
    [
        (0.0438, "number", 1, "+0.04"),
        (0.0049, "number", 1, "+0.005"),
        (0.0051, "number", 1, "+0.01"),  # the fewest decimals that show a digit
        (-0.0096, "number", 1, "-0.01"),  # rounds to one digit at 2 decimals
        (1.5, "number", 1, "+1.5"),  # shown at the KPI's decimals when they show it
        (0.0438, "number", None, "+0.0438"),  # a plain number's 4 significant digits
        (0.004, "currency", None, "+€0.004"),
        (-1.5, "currency", None, "-€1.50"),
        (0.4, "integer", None, "+0.4"),
        (-12.0, "integer", None, "-12"),
        (0.001, "multiple", None, "+0.001×"),
        (0.0002, "percent", 1, "+0.02 pp"),  # 0.02 percentage points
        (0.0, "number", 1, "0.0"),  # no change: no sign
        (4e-17, "number", 1, "0.0"),  # float noise below a millionth: no change
        (None, "number", 1, "—"),
    ],
)
def test_the_absolute_change_by_format(value, fmt, decimals, expected):
    assert Formatter("en", "EUR").change_amount(value, fmt, decimals) == expected


@pytest.fixture(scope="module")
def sample():
    ws = kpiengine.load_workspace(kpiengine.sample_workspace())
    results = kpiengine.evaluate(ws, by=["channel"])
    index = results.labels.index("2024-11")
    [record] = [
        r
        for r in dataclasses.replace(results, selected=[index]).records()
        if r["kpi"] == "pages_per_session" and not r["segment"]
    ]
    # the case reported: +0.0438 pages, which 1 decimal shows as 0.0; last year +0.0147
    assert record["change"] == pytest.approx(0.0438, abs=5e-5)
    assert record["change_yoy"] == pytest.approx(0.0147, abs=5e-5)
    return results


@pytest.mark.parametrize("locale", sorted(SMALL))
def test_the_sample_markdown_report_shows_the_signed_change(sample, locale):
    text = render_report(sample, "md", locale, "2024-11", generated_at=NOW)
    up = SMALL[locale][0]
    yoy = up.replace("4", "1").replace("۴", "۱")  # +0.01
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len([r for r in rows if f"({up})" in r and f"({yoy})" in r]) == 1  # the scorecard
    # no change in brackets in a table shows as 0.0 (the sample has no change of exactly 0)
    assert not [r for r in rows if re.search(r"\((0|۰)[.,٫](0|۰)\)", r)]


@pytest.mark.parametrize("locale", sorted(SMALL))
def test_the_sample_html_report_shows_the_signed_change(sample, locale):
    html = render_report(sample, "html", locale, "2024-11", generated_at=NOW)
    up = SMALL[locale][0]
    row = html.split('<tr data-kpi="pages_per_session"', 1)[1].split("</tr>", 1)[0]
    assert f'title="{up}"' in row  # the scorecard's tooltip
    section = html.split('id="kpi-pages_per_session"', 1)[1].split("</section>", 1)[0]
    assert f'<span class="chg-abs">({up})</span>' in section
    assert not re.search(r'chg-abs">\((0|۰)[.,٫](0|۰)\)', html)
