"""`kpi report`: HTML and Markdown reports, checked against values computed independently."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import re
import shutil
from collections import defaultdict
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

import kpiengine
from kpiengine.cli import cli
from kpiengine.engine import Engine
from kpiengine.errors import KpiError
from kpiengine.i18n import keys, label, locales
from kpiengine.lintdata import eval_coverage
from kpiengine.report import render_report, write_report

FIXTURES = Path(__file__).parent / "fixtures" / "report"
SHOP = FIXTURES / "shop"
XSS = "<script>alert(1)</script>"
NOW = dt.datetime(2024, 7, 2, 9, 30, tzinfo=dt.UTC)
LOCALES = locales()
PERSIAN = str.maketrans("۰۱۲۳۴۵۶۷۸۹٫٬", "0123456789.,")
STATUS_WORDS = {
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "no_target": "No target",
    "undefined": "Undefined",
}
STATUS_EMOJI = {"on_track": "🟢", "at_risk": "🟡", "off_track": "🔴", "no_target": "⚪"}


# --- a small DOM, enough to query the report --------------------------------------------------

VOID = {"meta", "br", "hr", "img", "input", "link", "circle", "line", "path", "rect"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None = None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children if c != "title"]
        return " ".join(" ".join(parts).split())

    def visible_text(self) -> str:
        """Text without SVG <title> tooltips."""
        parts = [
            c if isinstance(c, str) else c.visible_text()
            for c in self.children
            if isinstance(c, str) or c.tag not in ("title", "style")
        ]
        return " ".join(" ".join(parts).split())

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if (tag is None or child.tag == tag) and all(
                    (v in child.classes()) if k == "class_" else child.attrs.get(k) == v
                    for k, v in attrs.items()
                ):
                    found.append(child)
                found += child.find_all(tag, **attrs)
        return found

    def find(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag}> with {attrs}"
        return found[0]

    def has_attr(self, name: str) -> list[Node]:
        out = [c for c in self.children if isinstance(c, Node) and name in c.attrs]
        for child in self.children:
            if isinstance(child, Node):
                out += child.has_attr(name)
        return out


class DomBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag: str) -> None:
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str) -> Node:
    builder = DomBuilder()
    builder.feed(html)
    return builder.root


# --- independent computations --------------------------------------------------------------------


def number_in(text: str) -> float:
    """The number a formatted cell shows (`-€1,804.34` -> -1804.34, `42.3%` -> 42.3)."""
    text = text.translate(PERSIAN).replace("\u2212", "-")
    match = re.search(r"\d[\d,]*(\.\d+)?", text)
    assert match, text
    sign = -1 if "-" in text[: match.start()] else 1
    return sign * float(match.group().replace(",", ""))


def shown_matches(text: str, value: float, fmt: str) -> bool:
    """True when `text` shows `value` rounded to the digits it shows."""
    shown = number_in(text)
    expected = value * 100 if fmt == "percent" else value
    digits = text.translate(PERSIAN).split(".")[-1] if "." in text.translate(PERSIAN) else ""
    decimals = len(re.match(r"\d*", digits).group()) if digits else 0
    return abs(shown - expected) <= 0.5 * 10**-decimals + 1e-9


def shop_rows() -> list[dict]:
    with (SHOP / "data.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def shop_totals(month: str, campaign: str | None = None) -> dict[str, float]:
    sums: dict[str, float] = defaultdict(float)
    for row in shop_rows():
        if row["date"].startswith(month) and campaign in (None, row["campaign"]):
            for name in ("sales", "orders", "visits", "spend"):
                sums[name] += float(row[name])
    return sums


def rendered_once(results) -> Callable[..., str]:
    """`render_report(results, fmt, **options)`, rendered once for each format and options and
    handed to every test asking for the same (a report takes seconds; it is a str, which no test
    can change). Tests that patch the rendering call `render_report` themselves."""
    made: dict[tuple, str] = {}

    def render(fmt: str, **options) -> str:
        key = (fmt, *sorted(options.items()))
        if key not in made:
            made[key] = render_report(results, fmt, **options)
        return made[key]

    return render


@functools.cache
def sample_by_channel() -> kpiengine.Results:
    """The sample workspace evaluated by channel, once for the report tests of every module that
    reads it (test_report_insights, test_report_charts): no test changes it."""
    ws = kpiengine.load_workspace(kpiengine.sample_workspace())
    return kpiengine.evaluate(ws, by=["channel"])


@pytest.fixture(scope="module")
def sample_results():
    return sample_by_channel()


@pytest.fixture(scope="module")
def sample_report(sample_results):
    return rendered_once(sample_results)


@pytest.fixture(scope="module")
def shop_results():
    return kpiengine.evaluate(kpiengine.load_workspace(SHOP), by=["campaign"])


@pytest.fixture(scope="module")
def shop_report(shop_results):
    return rendered_once(shop_results)


def footnotes(dom: Node) -> dict[str, str]:
    return {n.attrs["id"]: n.text() for n in dom.find_all("li") if "note-" in n.attrs.get("id", "")}


def records_for(results, period: str) -> dict[tuple[str, str], dict]:
    import dataclasses

    index = results.labels.index(period)
    rows = dataclasses.replace(results, selected=[index]).records()
    return {(r["kpi"], " · ".join(r["segment"].values())): r for r in rows}


# --- the sample workspace -------------------------------------------------------------------------


def test_sample_html_scorecard_matches_the_records(sample_results):
    period = sample_results.labels[-7]
    dom = parse(render_report(sample_results, "html", period=period, generated_at=NOW))
    records = records_for(sample_results, period)
    rows = [
        r for r in dom.find("table", class_="scorecard").find_all("tr") if "data-kpi" in r.attrs
    ]
    assert sorted(r.attrs["data-kpi"] for r in rows) == sorted(sample_results.kpis)
    notes = footnotes(dom)
    for row in rows:
        record = records[(row.attrs["data-kpi"], "")]
        cell = row.find("td", class_="value")
        if record["value"] is None:
            assert cell.text().startswith("—")
            note = cell.find("a").attrs["href"][1:]
            assert record["reason"].replace("`", "") in notes[note]
        else:
            assert shown_matches(cell.text(), record["value"], record["format"]), cell.text()
        badge = row.find("span", class_="status")
        assert badge.attrs["data-status"] == record["status"] == row.attrs["data-status"]
        assert badge.text() == STATUS_WORDS[record["status"]]
        previous = row.find_all("td")[5].text()
        value, before = record["value"], record["previous"]
        if value is None or before is None:
            assert previous == "—"
        elif record["format"] == "percent":  # a rate changes in percentage points
            assert previous.split(" (")[0].endswith(" pp"), previous
            assert shown_matches(previous, value - before, "percent"), previous
            assert record["change_pct"] is None
        elif record["format"] in ("currency", "integer", "number") and before != 0:
            assert shown_matches(previous, (value - before) / abs(before), "percent"), previous
    header = dom.find("header", class_="masthead")
    assert header.find("dd", **{"data-period": period})
    for source in sample_results.sources:
        assert header.find("li", **{"data-source": source.name})


def test_sample_html_has_a_section_per_kpi_with_formula_trend_and_breakdown(
    sample_results, sample_report
):
    period = sample_results.labels[-1]
    dom = parse(sample_report("html", generated_at=NOW))
    records = records_for(sample_results, period)
    sections = dom.find_all("section", class_="kpi")
    assert [s.attrs["data-kpi"] for s in sections] == [
        r.attrs["data-kpi"]
        for r in dom.find("table", class_="scorecard").find_all("tr")
        if "data-kpi" in r.attrs
    ]
    channels = [s["channel"] for s in sample_results.table.segments[1:]]
    for section in sections:
        kpi = section.attrs["data-kpi"]
        assert section.find("math").attrs["display"] == "block"
        assert section.find("svg", class_="trend") or section.find("p", class_="empty-chart")
        segment_rows = [r for r in section.find_all("tr") if r.attrs.get("data-segment")]
        assert [r.attrs["data-segment"] for r in segment_rows] == channels
        for row in segment_rows:
            record = records[(kpi, row.attrs["data-segment"])]
            value = row.find_all("td")[1].text()
            if record["value"] is None:
                assert value.startswith("—")
            else:
                assert shown_matches(value, record["value"], record["format"]), (kpi, value)
            assert row.attrs["data-status"] == record["status"]
    text = dom.visible_text()
    assert not re.search(r"\b(nan|NaN|inf|None)\b", text)


def test_sample_markdown_scorecard_matches_the_records(sample_results):
    period = sample_results.labels[-3]
    text = render_report(sample_results, "md", period=period, generated_at=NOW)
    records = records_for(sample_results, period)
    titles = {r["title"]: r for (kpi, seg), r in records.items() if seg == ""}
    lines = text.split("## KPIs")[0].splitlines()
    table = [line for line in lines if line.startswith("| ") and "---" not in line][1:]
    assert len(table) == len(sample_results.kpis)
    for line in table:
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        title = cells[0].replace("\\", "")
        record = titles[title]
        if record["value"] is None:
            assert cells[1].startswith("—[^")
        else:
            assert shown_matches(cells[1], record["value"], record["format"]), cells[1]
        status = record["status"]
        assert cells[4] == f"{STATUS_EMOJI.get(status, '❔')} {STATUS_WORDS[status]}"
    for kpi in sample_results.kpis.values():
        assert f"(`{kpi.kpi.id}`)" in text
    assert "$\\frac{" in text
    assert "<script" not in text


def test_sample_findings_are_listed_most_severe_first(sample_results, sample_report):
    dom = parse(sample_report("html", generated_at=NOW))
    period = sample_results.labels[-1]
    shown = [
        (li.attrs["data-code"], li.find("span", class_="sev").attrs["data-severity"])
        for li in dom.find("section", id="findings").find_all("li", class_="finding")
    ]
    used = set(sample_results.kpis)
    for name in sample_results.kpis:
        used |= sample_results.workspace.kpi_deps_of(name)
    at_period = dataclasses.replace(sample_results, selected=[len(sample_results.labels) - 1])
    engine = Engine(sample_results.workspace)
    days = eval_coverage(sample_results)  # the days each source covers, as evaluated
    expected = [
        f for f in engine.lint(results=at_period, coverage=days).findings
        if (f.kpi is None or f.kpi in used)
        and period in (f.details or {}).get("periods", [period])
    ]  # fmt: skip
    assert sorted(shown) == sorted((f.code, f.severity) for f in expected)
    assert ("KPI307", "warning") in shown and ("KPI308", "warning") in shown  # December is partial
    ranks = [{"error": 0, "warning": 1, "info": 2}[severity] for _, severity in shown]
    assert ranks == sorted(ranks)
    for finding in expected:
        if finding.kpi in sample_results.kpis:
            section = dom.find("section", id=f"kpi-{finding.kpi}")
            codes = [li.attrs.get("data-code") for li in section.find_all("li")]
            assert finding.code in codes


# --- the fixture shop: values from the CSV itself -------------------------------------------------


def test_shop_values_match_the_csv(shop_results):
    dom = parse(render_report(shop_results, "html", period="2024-05", generated_at=NOW))
    may, april = shop_totals("2024-05"), shop_totals("2024-04")
    expected = {
        "revenue": f"${may['sales']:,.2f}",
        "aov": f"${may['sales'] / may['orders']:,.2f}",
        "conversion": f"{may['orders'] / may['visits'] * 100:.1f}%",
        "roas": f"{may['sales'] / may['spend']:.1f}×",
        "growth": f"{(may['sales'] - april['sales']) / april['sales'] * 100:.1f}%",
    }
    for kpi, text in expected.items():
        row = dom.find("tr", **{"data-kpi": kpi})
        assert row.find("td", class_="value").text() == text
    # AOV target 50: every campaign is above it
    section = dom.find("section", id="kpi-aov")
    for campaign in ("Spring sale", XSS, 'Brand & "Co"'):
        sums = shop_totals("2024-05", campaign)
        row = section.find("tr", **{"data-segment": campaign})
        assert row.find_all("td")[1].text() == f"${sums['sales'] / sums['orders']:,.2f}"
        assert row.attrs["data-status"] == "on_track"
    # no ad spend for one campaign: its ROAS is undefined, with the reason in a footnote
    row = dom.find("section", id="kpi-roas").find("tr", **{"data-segment": 'Brand & "Co"'})
    cell = row.find_all("td")[1]
    assert cell.find("span", class_="undef").attrs["title"].startswith("no `spend`")
    note = dom.find("li", id=cell.find("a").attrs["href"][1:])
    assert 'no spend in 2024-05 (campaign=Brand & "Co")' in note.text()


def test_shop_definition_findings_show_in_the_kpi_section(shop_report):
    dom = parse(shop_report("html", generated_at=NOW))
    section = dom.find("section", id="kpi-conversion")
    codes = [li.attrs["data-code"] for li in section.find_all("li", class_="finding")]
    assert "KPI009" in codes
    assert "expects 0.05" in dom.find("section", id="findings").text()


def test_campaign_named_like_a_script_is_shown_as_text(shop_report):
    html = shop_report("html", generated_at=NOW)
    assert "<script" not in html.lower()
    assert "<b>AOV</b>" not in html and "<em>" not in html
    dom = parse(html)
    assert not dom.find_all("script") and not dom.find_all("b")
    assert dom.find("tr", **{"data-segment": XSS}).find("td").text() == XSS
    assert dom.find("h1").text() == "Fixture shop <em>&</em> co"
    assert (
        dom.find("tr", **{"data-kpi": "aov"}).find("a").text() == "Average order value <b>AOV</b>"
    )
    markdown = shop_report("md", generated_at=NOW)
    assert not re.search(r"(?<!\\)<script", markdown)
    assert "| \\<script\\>alert(1)\\</script\\> |" in markdown


def test_persian_report_is_right_to_left_with_persian_digits(shop_results):
    dom = parse(render_report(shop_results, "html", locale="fa", generated_at=NOW))
    html = dom.find("html")
    assert (html.attrs["dir"], html.attrs["lang"]) == ("rtl", "fa")
    assert dom.find("h2", id="scorecard-title").text().startswith(label("scorecard", "fa"))
    cell = dom.find("tr", **{"data-kpi": "revenue"}).find("td", class_="value").text()
    assert re.search("[۰-۹]", cell) and not re.search("[0-9]", cell)
    june = shop_totals("2024-06")
    assert number_in(cell) == pytest.approx(june["sales"])
    assert dom.find("tr", **{"data-kpi": "revenue"}).find("a").text() == "درآمد"
    assert "ژوئن" in dom.find("dd", **{"data-period": "2024-06"}).text()


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_renders_its_labels(shop_results, locale):
    html = render_report(shop_results, "html", locale=locale, generated_at=NOW)
    text = parse(html).visible_text()
    for key in ("scorecard", "findings", "appendix", "vs_previous"):
        assert label(key, locale) in text
    for key in keys():
        if "_" in key:
            assert key not in text, key


def test_missing_translations_fall_back_to_english():
    for key in keys():
        for locale in LOCALES:
            assert label(key, locale) not in ("", key)
    assert label("scorecard", "de") == "Scorecard"
    assert label("scorecard", "fr-CA") == label("scorecard", "fr")
    assert label("scorecard", "zh-TW") == label("scorecard", "zh-Hant")
    with pytest.raises(KeyError):
        label("no_such_label")


def test_a_report_with_every_value_undefined():
    ws = kpiengine.load_workspace(FIXTURES / "undefined")
    results = kpiengine.evaluate(ws, by=["channel"])
    dom = parse(render_report(results, "html", generated_at=NOW))
    records = records_for(results, results.labels[-1])
    assert all(r["value"] is None for r in records.values())
    notes = footnotes(dom)
    cells = [c for c in dom.find_all("td") if c.find_all("span", class_="undef")]
    values = dom.has_attr("data-value")
    assert len(values) == len(results.kpis)
    assert all(v.text().startswith("—") for v in values)
    for section in dom.find_all("section", class_="kpi"):
        kpi = section.attrs["data-kpi"]
        for row in section.find_all("tr"):
            if "data-segment" not in row.attrs:
                continue
            cell = row.find_all("td")[1]
            assert cell.text().startswith("—")
            reason = records[(kpi, row.attrs["data-segment"])]["reason"]
            assert reason.replace("`", "") in notes[cell.find("a").attrs["href"][1:]]
            assert cell.find("span", class_="undef").attrs["title"] == reason
        assert section.find("p", class_="empty-chart")
    assert cells
    text = dom.visible_text()
    assert not re.search(r"\b(nan|NaN|inf|None)\b", text)
    assert not any(c.text() in ("0", "0.00", "0.0%", "$0.00") for c in dom.find_all("td"))
    markdown = render_report(results, "md", generated_at=NOW)
    assert "nan" not in markdown.lower().replace("nanos", "")
    assert re.search(r"\| —\[\^\d+\] \|", markdown)


# --- templates, files, command line --------------------------------------------------------------


def test_workspace_templates_override_and_extend_the_built_in_ones(shop_results, tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "report.html.j2").write_text(
        '{% extends "default:report.html.j2" %}'
        "{% block title %}Board pack: {{ workspace.name }}{% endblock %}",
        "utf-8",
    )
    (folder / "_findings.html.j2").write_text(
        '<section id="findings"><p class="custom">{{ findings|length }} findings '
        "{{ 1234.5|currency }} {{ 0.25|percent }} {{ '2024-06'|period }}</p></section>",
        "utf-8",
    )
    dom = parse(render_report(shop_results, "html", workspace_templates=folder))
    assert dom.find("title").text() == "Board pack: Fixture shop <em>&</em> co"
    assert dom.find("p", class_="custom").text().endswith("findings $1,234.50 25.0% June 2024")
    assert dom.find("table", class_="scorecard")  # the rest is the built-in report


def test_write_report_replaces_the_file_only_when_rendering_succeeds(shop_results, tmp_path):
    out = tmp_path / "report.html"
    out.write_text("previous", "utf-8")
    with pytest.raises(KpiError):
        write_report(shop_results, out, period="2031-01")
    bad = tmp_path / "templates"
    bad.mkdir()
    (bad / "_scorecard.html.j2").write_text("{{ no_such_variable }}", "utf-8")
    with pytest.raises(Exception, match="no_such_variable"):
        write_report(shop_results, out, workspace_templates=bad)
    assert out.read_text("utf-8") == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "templates"]
    write_report(shop_results, out)
    assert parse(out.read_text("utf-8")).find("table", class_="scorecard")
    write_report(shop_results, tmp_path / "report.md")
    assert (tmp_path / "report.md").read_text("utf-8").startswith("# Fixture shop")


def test_cli_report(tmp_path):
    workspace = tmp_path / "shop"
    shutil.copytree(SHOP, workspace)
    runner = CliRunner()
    out = tmp_path / "out.html"
    args = ["report", "-w", str(workspace), "-o", str(out), "--by", "campaign"]
    result = runner.invoke(cli, [*args, "--period", "2024-05", "--locale", "fr"])
    assert result.exit_code == 1, result.output  # KPI009 in the definitions is an error
    assert "KPI009" in result.output
    dom = parse(out.read_text("utf-8"))
    assert dom.find("html").attrs["lang"] == "fr"
    assert dom.find("dd", **{"data-period": "2024-05"}).text() == "mai 2024"
    md = tmp_path / "out.md"
    result = runner.invoke(
        cli, ["report", "-w", str(workspace), "-o", str(md), "--grain", "quarter"]
    )
    assert "| Revenue |" in md.read_text("utf-8")
    assert "Q2 2024" in md.read_text("utf-8")
    result = runner.invoke(cli, [*args, "--period", "1999-01"])
    assert result.exit_code == 2 and "no data for period `1999-01`" in result.output
    assert "Traceback" not in result.output


# --- the pieces -----------------------------------------------------------------------------------


def test_formulas_are_typeset_from_sympy_with_whole_names():
    from kpiengine.formula import parse_formula
    from kpiengine.report.mathml import formula_latex, formula_mathml, is_safe_mathml

    math = formula_mathml(parse_formula("(revenue - prev(revenue)) / last_year(revenue)").expr)
    dom = parse(str(math))
    assert dom.find("math").attrs["xmlns"] == "http://www.w3.org/1998/Math/MathML"
    names = [mi.text() for mi in dom.find_all("mi")]
    assert names == ["revenue", "prev", "revenue", "last_year", "revenue"]
    assert dom.find("mfrac") and not dom.find_all("msub")
    latex = formula_latex(parse_formula("marketing_cost / new_customers").expr)
    assert latex == r"\frac{\mathrm{marketing\_cost}}{\mathrm{new\_customers}}"
    assert not is_safe_mathml("<mi>x</mi><script>alert(1)</script>")
    assert not is_safe_mathml('<mi onclick="x">x</mi>')
    assert is_safe_mathml("<mrow><mi>a</mi><mo>&#x2212;</mo><mn>1</mn></mrow>")


def test_filters_format_for_the_locale_and_never_show_nan():
    from kpiengine.report.filters import Formatter

    en, fr, fa = Formatter("en", "EUR"), Formatter("fr", "EUR"), Formatter("fa", None)
    assert en.kpi_value(1234.5, "currency") == "€1,234.50"
    assert fr.kpi_value(1234.5, "currency") == "1\u202f234,50\xa0€"
    assert fa.kpi_value(1234.5, "currency") == "۱٬۲۳۴٫۵۰"  # no currency: no symbol
    assert en.kpi_value(0.4233, "percent") == "42.3%" and fr.percent(0.4233) == "42,3\xa0%"
    assert en.change(-0.1703) == "-17.0%" and en.change(0.0001) == "+0.01%"
    assert en.gap(-0.008, "percent") == "-0.8 pp"
    assert en.period("2024-Q2") == "Q2 2024" and fr.period("2024-06") == "juin 2024"
    assert fa.period("2024-06") == "ژوئن ۲۰۲۴"
    for value in (None, float("nan"), float("inf")):
        assert en.kpi_value(value, "currency") == en.percent(value) == "—"
