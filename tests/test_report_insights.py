"""The analysis in each KPI section of `kpi report`: top drivers, the change explained as a
waterfall, what each input would need to be to reach the target. Checked against the change
decomposition computed here, elasticities by finite differences and the targets of the records.

(Split from test_report.py, whose DOM helpers it uses, to keep each module short.)
"""

from __future__ import annotations

import math

import pytest
import sympy
from test_report import (
    NOW,
    number_in,
    parse,
    records_for,
    rendered_once,
    sample_by_channel,
    shown_matches,
)

import kpiengine
from kpiengine.analysis import expand, explain_change, input_names
from kpiengine.engine import load_context
from kpiengine.evaluation import is_rate, reads_earlier
from kpiengine.i18n import label, locales
from kpiengine.parameters import constant_array
from kpiengine.report import render_report

LOCALES = locales()
H = 1e-6  # relative step of the finite differences


@pytest.fixture(scope="module")
def sample_results():
    return sample_by_channel()


@pytest.fixture(scope="module")
def sample_report(sample_results):
    return rendered_once(sample_results)


@pytest.fixture(scope="module")
def independent(sample_results):
    """A context of its own: the sample evaluated again, without the channel breakdown."""
    return load_context(sample_results.workspace, list(sample_results.kpis))


def input_at(results, name: str, i: int) -> float:
    """An input's total in period i, read from the input table (`x__prev`: period i - 1)."""
    base, *funcs = name.split("__")
    assert set(funcs) <= {"prev"}, name
    if base not in results.table.values:  # a parameter, or periods_per_year
        return float(constant_array(results.workspace, base, results.table)[i - len(funcs), 0])
    return float(results.table.values[base][i - len(funcs), 0])


def kpi_function(results, kpi: str, i: int):
    """The KPI's formula over its raw inputs, and their values in period i."""
    expr = expand(results.workspace, kpi)
    values = {n: input_at(results, n, i) for n in input_names(expr)}
    symbols = [sympy.Symbol(n) for n in values]
    f = sympy.lambdify(symbols, expr)
    return (lambda point: float(f(*[point[n] for n in values]))), values


def elasticities(results, kpi: str, i: int) -> dict[str, float]:
    """d ln KPI / d ln x for every input, by central finite differences."""
    f, values = kpi_function(results, kpi, i)
    value = f(values)
    out = {}
    for name, x in values.items():
        if name == "periods_per_year":  # a fact of the calendar, not a driver
            continue
        up, down = dict(values), dict(values)
        up[name], down[name] = x * (1 + H), x * (1 - H)
        out[name] = (f(up) - f(down)) / (2 * H * value)
    return out


def exact_change(results, kpi: str, i: int, name: str) -> float:
    """The KPI's change when input `name` alone is 1% higher, by substitution."""
    f, values = kpi_function(results, kpi, i)
    return f({**values, name: values[name] * 1.01}) - f(values)


def kpi_sections(html: str) -> dict[str, object]:
    return {s.attrs["data-kpi"]: s for s in parse(html).find_all("section", class_="kpi")}


def md_section(markdown: str, kpi: str) -> str:
    part = markdown.split(f"(`{kpi}`)\n", 1)[1]
    return part.split("\n### ", 1)[0]


def md_rows(text: str, after: str) -> list[list[str]]:
    """Cells of the table rows for inputs (first cell in backticks) after the line `after`."""
    block = text.split(after, 1)[1].split("\n\n**", 1)[0]
    return [
        [c.strip() for c in line.strip().strip("|").split(" | ")]
        for line in block.splitlines()
        if line.startswith("| `")
    ]


# --- the change explained -------------------------------------------------------------------------


@pytest.mark.parametrize("back", [1, 7])
def test_waterfall_shows_the_explain_change_contributions(
    sample_results, sample_report, independent, back
):
    period, previous = sample_results.labels[-back], sample_results.labels[-back - 1]
    html = sample_report("html", period=period, generated_at=NOW)
    markdown = sample_report("md", period=period, generated_at=NOW)
    records, before = records_for(sample_results, period), records_for(sample_results, previous)
    checked = 0
    for kpi, section in kpi_sections(html).items():
        record, fmt = records[(kpi, "")], records[(kpi, "")]["format"]
        if record["value"] is None or before[(kpi, "")]["value"] is None:
            continue
        explanation = explain_change(independent, kpi, previous, period)
        expected = [(c.input, c.contribution) for c in explanation.contributions]
        panel = section.find("div", class_="change-panel")
        rows = [r for r in panel.find("table", class_="contributions").find_all("tr")]
        steps = [r for r in rows if "data-input" in r.attrs]
        assert [r.attrs["data-input"] for r in steps] == [name for name, _ in expected], kpi
        for row, (_, contribution) in zip(steps, expected, strict=True):
            assert float(row.attrs["data-contribution"]) == pytest.approx(contribution, rel=1e-12)
            shown = row.find_all("td")[3].text()
            assert shown_matches(shown, contribution, fmt), (kpi, shown, contribution)
        # the contributions add up to the change between the two values the report shows: in
        # a partial period, "vs previous" (the same days of the previous period)
        total = math.fsum(c for _, c in expected)
        prev_value = record["previous"]
        if record["compared"] == "period":
            assert prev_value == before[(kpi, "")]["value"]
        elif prev_value is None:  # no value to date (a distinct count): whole, with a warning
            assert explanation.compared == "period" and explanation.warnings, kpi
            assert panel.find("p", class_="wf-warning")
            prev_value = before[(kpi, "")]["value"]
        else:
            assert explanation.compared == "to_date", kpi
        change = record["value"] - prev_value
        assert total == pytest.approx(change, rel=1e-9, abs=1e-12), kpi
        assert explanation.change == pytest.approx(change, rel=1e-9, abs=1e-12)
        start = rows[1].find_all("td")[3].text()
        end = rows[-1].find_all("td")[3].text()
        assert shown_matches(start, prev_value, fmt), (kpi, start)
        assert shown_matches(end, record["value"], fmt), (kpi, end)
        # the chart: one bar per contribution between the two totals, described in its <title>
        svg = panel.find("svg", class_="waterfall")
        kinds = [g.attrs["data-kind"] for g in svg.find_all("g", class_="wf-row")]
        assert kinds == ["start", *["step"] * len(expected), "end"]
        described = svg.find("title").text()
        for row in steps:
            assert row.find("code").text() in described
            assert row.find_all("td")[3].text() in described
        # the Markdown shows the same contributions as a table
        cells = md_rows(md_section(markdown, kpi), "**Change since")
        assert [c[0].strip("`") for c in cells] == [c.label for c in explanation.contributions]
        for cell, (_, contribution) in zip(cells, expected, strict=True):
            assert shown_matches(cell[3], contribution, fmt), (kpi, cell, contribution)
        checked += 1
    assert checked >= 20


def test_no_waterfall_without_a_previous_period(sample_results, sample_report):
    first = sample_results.labels[0]
    html = sample_report("html", period=first, generated_at=NOW)
    assert not parse(html).find_all("div", class_="change-panel")
    markdown = sample_report("md", period=first, generated_at=NOW)
    assert "**Change since" not in markdown


# --- top drivers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("back", [1, 4])
def test_top_driver_has_the_largest_elasticity(sample_results, sample_report, back):
    period = sample_results.labels[-back]
    i = sample_results.labels.index(period)
    ws = sample_results.workspace
    html = sample_report("html", period=period, generated_at=NOW)
    markdown = sample_report("md", period=period, generated_at=NOW)
    unique = 0
    for kpi, section in kpi_sections(html).items():
        if not records_for(sample_results, period)[(kpi, "")]["value"]:
            continue  # undefined or 0: no elasticity
        if not sample_results.kpis[kpi].complete[i] and reads_earlier(ws, kpi):
            continue  # reads the same days of November, not its table: test_explain_partial
        found = elasticities(sample_results, kpi, i)
        ranked = sorted(found, key=lambda n: -abs(found[n]))
        drivers = section.find("ol", class_="drivers").find_all("li", class_="driver")
        assert 1 <= len(drivers) <= 3 and len(drivers) == min(3, len(found))
        shown = [d.attrs["data-input"] for d in drivers]
        sizes = [abs(found[n]) for n in shown]
        pairs = zip(sizes[:-1], sizes[1:], strict=True)
        assert all(a >= b * (1 - 1e-6) for a, b in pairs), (kpi, sizes)  # ranked
        assert sizes[0] == pytest.approx(abs(found[ranked[0]]), rel=1e-6), kpi
        if len(ranked) == 1 or abs(found[ranked[0]]) > abs(found[ranked[1]]) * (1 + 1e-6):
            assert shown[0] == ranked[0], (kpi, shown, found)
            unique += 1
        # a rate, or a KPI at or below 0, shows its change (points), else its % change
        definition = ws.kpis[kpi]
        current = records_for(sample_results, period)[(kpi, "")]["value"]
        absolute = is_rate(definition) or current < 0
        for li in drivers:
            name = li.attrs["data-input"]
            effect = li.find("strong", class_="effect").text()  # "+1% x → -0.98%"
            assert li.attrs["data-basis"] == ("absolute" if absolute else "relative"), kpi
            if absolute:
                exact = exact_change(sample_results, kpi, i, name)
                assert float(li.attrs["data-effect"]) == pytest.approx(exact, rel=1e-9)
                assert shown_matches(effect, exact, definition.format), (kpi, name, effect)
                assert (effect[0] == "-") == (exact < 0) and "%" not in effect, (kpi, effect)
            else:  # the exact % change for +1%, not the elasticity (-0.99%, not -1.00%)
                exact = exact_change(sample_results, kpi, i, name) / current
                assert float(li.attrs["data-effect"]) == pytest.approx(100 * exact, rel=1e-6)
                assert shown_matches(effect, exact, "percent"), (kpi, name, effect)
            if current > 0:
                assert float(li.attrs["data-elasticity"]) == pytest.approx(found[name], rel=1e-6)
            else:
                assert "data-elasticity" not in li.attrs, kpi
            value = li.find("span", class_="driver-value").find_all("span", class_="num")[-1]
            value_fmt = "currency" if "€" in value.text() else "number"
            assert shown_matches(value.text(), input_at(sample_results, name, i), value_fmt)
        top = md_section(markdown, kpi).split("\n1. ", 1)[1].splitlines()[0]
        assert top.startswith(f"+1% `{drivers[0].find('code').text()}` → **"), (kpi, top)
    assert unique >= 3  # e.g. profit_per_acquisition: revenue, not the cost or the customers


# --- what the target needs ------------------------------------------------------------------------


def test_off_track_kpi_shows_the_input_values_that_reach_the_target(sample_results, sample_report):
    period = sample_results.labels[sample_results.table.last_complete()]
    i = sample_results.labels.index(period)
    html = sample_report("html", period=period, generated_at=NOW)
    markdown = sample_report("md", period=period, generated_at=NOW)
    records = records_for(sample_results, period)
    checked = 0
    for kpi, section in kpi_sections(html).items():
        record = records[(kpi, "")]
        panel = section.find_all("div", class_="needs-panel")
        if record["status"] not in ("off_track", "at_risk"):
            assert not panel, kpi
            continue
        f, values = kpi_function(sample_results, kpi, i)
        target = record["target"]
        rows = [r for r in panel[0].find_all("tr") if "data-input" in r.attrs]
        assert {r.attrs["data-input"] for r in rows} == {n for n in values if "__" not in n}
        md = {c[0].strip("`"): c for c in md_rows(md_section(markdown, kpi), "**To reach")}
        for row in rows:
            name = row.attrs["data-input"]
            needed = float(row.attrs["data-needed"])
            assert f({**values, name: needed}) == pytest.approx(target, rel=1e-9), (kpi, name)
            shown = row.find("td", class_="needed").text()
            fmt = "currency" if "€" in shown else "number"
            assert shown_matches(shown, needed, fmt), (kpi, shown, needed)
            assert shown_matches(md[name][2], needed, fmt), (kpi, md[name])
            # the value shown, substituted back, gives the target up to its rounding
            decimals = len(shown.split(".")[1]) if "." in shown else 0
            slope = abs(f({**values, name: needed * (1 + H)}) - target) / abs(needed * H)
            tolerance = 1.01 * slope * 0.5 * 10**-decimals + 1e-12  # 1%: the slope varies
            assert abs(f({**values, name: number_in(shown)}) - target) <= tolerance
            assert row.attrs["data-feasible"] == "true"
            checked += 1
    assert checked >= 2  # the KPIs off track or at risk in the report's period


# --- computed once per KPI shown, at the report's period -----------------------------------------


def test_insights_are_computed_for_the_kpis_shown_at_the_period_only(sample_results, monkeypatch):
    from kpiengine.report import insights

    calls = []
    real = insights.kpi_insights

    def spy(ctx, kpi_id, period=None, segment=None, top=3):
        calls.append((kpi_id, period, segment))
        return real(ctx, kpi_id, period, segment, top)

    monkeypatch.setattr(insights, "kpi_insights", spy)
    period = sample_results.labels[-2]
    render_report(sample_results, "html", period=period, generated_at=NOW)
    assert sorted(calls) == sorted((k, period, None) for k in sample_results.kpis)


def test_insights_never_break_the_report(sample_results, monkeypatch):
    from kpiengine.report import insights

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(insights, "kpi_insights", broken)
    dom = parse(render_report(sample_results, "html", generated_at=NOW))
    assert "the analysis failed: boom" in dom.find("section", class_="kpi").text()


@pytest.mark.parametrize("locale", LOCALES)
def test_insight_labels_in_every_locale(sample_report, locale):
    text = parse(sample_report("html", locale=locale, generated_at=NOW))
    text = text.visible_text()
    for key in ("top_drivers", "to_reach_target", "feasible", "needed"):
        assert label(key, locale) in text, key
    assert label("top_drivers", "de") == "Top drivers"  # untranslated: English


def test_needs_without_a_solution_or_feasible_value_say_so(write_workspace):
    root = write_workspace(
        {
            "shop": """
            variables:
              amount: {unit: currency, aggregate: sum, title: Amount}
              cost: {unit: currency, aggregate: sum, title: Cost}
            kpis:
              margin:
                title: Margin
                formula: (amount - cost) / amount
                unit: ratio
                format: percent
                direction: higher
            """
        },
        "name: Tiny <b>shop</b>\ndata: data.csv\ngrain: month\ntargets: {margin: 1.2}\n",
        "date,amount,cost\n2024-01-01,100,60\n2024-02-01,120,70\n",
    )
    results = kpiengine.evaluate(kpiengine.load_workspace(root))
    section = parse(render_report(results, "html", generated_at=NOW)).find("section", class_="kpi")
    rows = {r.attrs["data-input"]: r for r in section.find("table", class_="needs").find_all("tr")
            if "data-input" in r.attrs}  # fmt: skip
    # 1.2 needs a negative amount (-350) or a negative cost (-24): neither can happen
    assert float(rows["amount"].attrs["data-needed"]) == pytest.approx(-350)
    assert float(rows["cost"].attrs["data-needed"]) == pytest.approx(-24)
    for row in rows.values():
        assert row.attrs["data-feasible"] == "false"
        assert "✗ No" in row.text() and "would be negative" in row.text()
    markdown = render_report(results, "md", generated_at=NOW)
    assert "❌ No: `amount` would be negative" in markdown
    # a target of exactly 100%: only a cost of 0 reaches it; no amount does
    (root / "kpi.yaml").write_text(
        "name: Tiny shop\ndata: data.csv\ngrain: month\ntargets: {margin: 1}\n", "utf-8"
    )
    results = kpiengine.evaluate(kpiengine.load_workspace(root))
    section = parse(render_report(results, "html", generated_at=NOW)).find("section", class_="kpi")
    needs = section.find("table", class_="needs")
    amount = needs.find("tr", **{"data-input": "amount"})
    assert "data-needed" not in amount.attrs
    assert label("no_solution") in amount.text()
    cost = needs.find("tr", **{"data-input": "cost"})
    assert float(cost.attrs["data-needed"]) == 0 and cost.attrs["data-feasible"] == "true"
    markdown = render_report(results, "md", generated_at=NOW)
    assert f"| `amount` | 120.00 | — | — | {label('no_solution')} |" in markdown


def test_the_report_defaults_to_the_last_complete_period(tmp_path):
    import datetime as dt

    from click.testing import CliRunner

    from kpiengine.cli import cli
    from kpiengine.report.context import last_complete_period

    sample = kpiengine.load_workspace(kpiengine.sample_workspace())
    results = kpiengine.evaluate(sample, kpis=["roi"])
    end = results.table.coverage[1]
    assert end.month == 12 and end < dt.date(end.year, 12, 31)  # December is partial
    assert last_complete_period(results) == "2024-11"
    out = tmp_path / "r.md"
    result = CliRunner().invoke(cli, ["report", "--sample", "-o", str(out), "--kpi", "roi"])
    assert result.exit_code in (0, 1), result.stderr
    assert "**Period:** November 2024" in out.read_text()
