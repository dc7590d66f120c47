"""A change with the partial last period is explained on the same days of both periods (Feb
1-15 against Jan 1-15), as "vs previous" compares them; without daily values it is labelled
(15/29 d) and warned about, never shown as a movement.

The data (two channels, 2022-12-01 to 2024-02-15) is written here and every expected number is
summed from it with the csv module.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
from collections import defaultdict

import pytest
from click.testing import CliRunner
from test_report import parse

import kpiengine
from kpiengine import answers
from kpiengine.analysis import context_of, drivers, explain_change, split_by_segment
from kpiengine.cli import cli
from kpiengine.engine import Engine
from kpiengine.report import render_report

NOW = dt.datetime(2024, 2, 16, 9, 0, tzinfo=dt.UTC)
KPI_YAML = """\
name: partial
currency: USD
grain: month
data: data.csv
kpis: [sales_revenue, sales_growth, roi]
"""
LAST = dt.date(2024, 2, 15)


def revenue(day: dt.date, channel: str) -> int:
    return (100 if channel == "A" else 40) + day.day + 3 * day.month + (25 * (day.month == 2))


def cost(day: dt.date, channel: str) -> int:
    return (50 if channel == "A" else 30) + (day.day % 3) * 5 + day.month * (channel == "B")


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    folder = tmp_path_factory.mktemp("partial")
    (folder / "kpi.yaml").write_text(KPI_YAML, "utf-8")
    with (folder / "data.csv").open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["date", "channel", "revenue", "marketing_cost"])
        day = dt.date(2022, 12, 1)
        while day <= LAST:
            for channel in ("A", "B"):
                out.writerow([day, channel, revenue(day, channel), cost(day, channel)])
            day += dt.timedelta(days=1)
    return folder


@pytest.fixture(scope="module")
def total(root):
    """(revenue, cost) summed from the CSV over days `first`..`last`, for a channel or all."""
    rows = list(csv.DictReader((root / "data.csv").open(encoding="utf-8")))

    def sums(first: str, last: str, channel: str | None = None) -> tuple[float, float]:
        found: dict[str, float] = defaultdict(float)
        for row in rows:
            if first <= row["date"] <= last and channel in (None, row["channel"]):
                found["r"] += float(row["revenue"])
                found["c"] += float(row["marketing_cost"])
        return found["r"], found["c"]

    return sums


@pytest.fixture(scope="module")
def results(root):
    return kpiengine.evaluate(kpiengine.load_workspace(root))


@pytest.fixture(scope="module")
def ctx(results):
    return context_of(results)


def roi(r: float, c: float) -> float:
    return (r - c) / c


def test_the_partial_month_is_compared_with_the_same_days(ctx, results, total):
    jan, feb = total("2024-01-01", "2024-01-15")[0], total("2024-02-01", "2024-02-15")[0]
    e = explain_change(ctx, "sales_revenue", "2024-01", "2024-02")
    assert (e.compared, e.before, e.after, e.change) == ("to_date", jan, feb, feb - jan)
    assert [(c.input, c.before, c.after, c.contribution) for c in e.contributions] == [
        ("revenue", jan, feb, feb - jan)
    ]
    assert e.start_days == ["2024-01-01", "2024-01-15"]
    assert e.end_days == ["2024-02-01", "2024-02-15"]
    assert e.partial == {"period": "2024-02", "covered": 15, "days": 29, "last_day": "2024-02-15"}
    assert e.warnings == []
    # the same comparison as the scorecard's "vs previous"
    [record] = [r for r in results.records() if r["kpi"] == "sales_revenue"][-1:]
    assert record["compared"] == "to_date" and record["previous"] == jan


def test_a_ratio_s_contributions_are_those_of_the_days_to_date(ctx, total):
    r0, c0 = total("2024-01-01", "2024-01-15")
    r1, c1 = total("2024-02-01", "2024-02-15")
    e = explain_change(ctx, "roi", "2024-01", "2024-02")
    assert e.before == pytest.approx(roi(r0, c0)) and e.after == pytest.approx(roi(r1, c1))
    shapley = {  # two inputs: the mean of each one's effect with the other before and after
        "revenue": (roi(r1, c0) - roi(r0, c0) + roi(r1, c1) - roi(r0, c1)) / 2,
        "marketing_cost": (roi(r0, c1) - roi(r0, c0) + roi(r1, c1) - roi(r1, c0)) / 2,
    }
    assert {c.input: c.contribution for c in e.contributions} == pytest.approx(shapley)


def test_a_kpi_reading_the_previous_period_reads_its_same_days(ctx, results, total):
    """sales_growth in February to date is Feb 1-15 over Jan 1-15; in January to date, Jan
    1-15 over Dec 1-15."""
    dec, jan, feb = (total(f"{m}-01", f"{m}-15")[0] for m in ("2023-12", "2024-01", "2024-02"))
    e = explain_change(ctx, "sales_growth", "2024-01", "2024-02")
    assert e.compared == "to_date"
    assert e.before == pytest.approx(jan / dec - 1) and e.after == pytest.approx(feb / jan - 1)
    assert results.kpis["sales_growth"].values[-1, 0] == pytest.approx(e.after)
    parts = {c.input: (c.before, c.after) for c in e.contributions}
    assert parts == {"revenue": (jan, feb), "revenue__prev": (dec, jan)}
    found = drivers(ctx, "sales_growth", "2024-02")  # at the value the scorecard shows
    assert found.value == pytest.approx(feb / jan - 1)
    assert {d.input: d.value for d in found.drivers} == {"revenue": feb, "revenue__prev": jan}


def test_the_same_days_of_last_year(ctx, total):
    last, now = total("2023-02-01", "2023-02-15")[0], total("2024-02-01", "2024-02-15")[0]
    e = explain_change(ctx, "sales_revenue", "2023-02", "2024-02")
    assert (e.compared, e.before, e.after) == ("to_date", last, now)


def test_a_period_before_the_daily_values_is_whole_with_a_warning(ctx, results, total):
    """The daily values start about a year before the partial month: the first days of
    December 2022 are not in them."""
    assert results.daily.period_start(0) > dt.date(2022, 12, 1)
    e = explain_change(ctx, "sales_revenue", "2022-12", "2024-02")
    assert e.compared == "period" and e.before == total("2022-12-01", "2022-12-31")[0]
    assert e.end_days == ["2024-02-01", "2024-02-15"]
    [warning] = e.warnings
    assert "2024-02 holds 15 of 29 days" in warning and "whole of 2022-12" in warning
    assert "the daily values do not give `revenue` for 2022-12 to date" in warning


def test_without_daily_values_the_partial_month_is_labelled_and_warned(results, total):
    bare = context_of(dataclasses.replace(results, daily=None))
    jan, feb = total("2024-01-01", "2024-01-31")[0], total("2024-02-01", "2024-02-15")[0]
    e = explain_change(bare, "sales_revenue", "2024-01", "2024-02")
    assert (e.compared, e.before, e.after) == ("period", jan, feb)
    assert e.partial["covered"] == 15 and e.partial["days"] == 29
    assert e.start_days == ["2024-01-01", "2024-01-31"]
    [warning] = e.warnings
    assert warning.startswith("2024-02 holds 15 of 29 days of data (to 2024-02-15)")
    assert "whole of 2024-01" in warning and warning.endswith("not a movement of the KPI")


def test_complete_periods_are_unchanged(ctx, total):
    e = explain_change(ctx, "sales_revenue")  # the last complete month and the one before
    assert (e.start, e.end, e.compared, e.partial, e.warnings) == (
        "2023-12", "2024-01", "period", None, []
    )  # fmt: skip
    assert e.before == total("2023-12-01", "2023-12-31")[0]


def test_segments_split_the_days_to_date(root, total):
    ctx = Engine(kpiengine.load_workspace(root)).context(["sales_revenue", "roi"], by=["channel"])
    split = split_by_segment(ctx, "sales_revenue", "2024-01", "2024-02")
    assert split.compared == "to_date" and split.warnings == []
    rows = {r.segment["channel"]: (r.before, r.after) for r in split.rows}
    for channel in ("A", "B"):
        jan = total("2024-01-01", "2024-01-15", channel)[0]
        feb = total("2024-02-01", "2024-02-15", channel)[0]
        assert rows[channel] == (jan, feb)
    ratio = split_by_segment(ctx, "roi", "2024-01", "2024-02")
    r0, c0 = total("2024-01-01", "2024-01-15")
    r1, c1 = total("2024-02-01", "2024-02-15")
    assert ratio.before == pytest.approx(roi(r0, c0)) and ratio.after == pytest.approx(roi(r1, c1))


def _change_block(markdown: str, kpi: str) -> str:
    section = markdown.split(f"(`{kpi}`)\n", 1)[1].split("\n### ", 1)[0]
    return section.split("**Change since", 1)[1].split("\n\n**", 1)[0]


def test_report_says_what_it_compares(results, total):
    r0, c0 = total("2024-01-01", "2024-01-15")
    r1, _ = total("2024-02-01", "2024-02-15")
    markdown = render_report(results, "md", period="current", generated_at=NOW)
    block = _change_block(markdown, "sales_revenue")
    assert block.startswith(f" Jan 2024:** ${r0:,.2f} → ${r1:,.2f} (+${r1 - r0:,.2f})")
    assert (
        "_Compared to date: Feb 1 – 15, 2024 vs Jan 1 – 15, 2024, the same days of each period_"
        in block
    )
    assert "| Input | Jan 1 – 15, 2024 | Feb 1 – 15, 2024 | Contribution |" in block
    assert f"| `revenue` | ${r0:,.2f} | ${r1:,.2f} | +${r1 - r0:,.2f} |" in block
    html = render_report(results, "html", period="current", generated_at=NOW)
    section = next(
        s for s in parse(html).find_all("section", class_="kpi") if s.attrs["data-kpi"] == "roi"
    )
    panel = section.find("div", class_="change-panel")
    assert panel.find("p", class_="wf-summary").attrs["data-compared"] == "to_date"
    assert panel.find("p", class_="wf-to-date").text().startswith("Compared to date: Feb 1")
    heads = [th.text() for th in panel.find("table", class_="contributions").find_all("th")]
    assert heads[1:3] == ["Jan 1 – 15, 2024", "Feb 1 – 15, 2024"]
    labels = [t.text() for t in panel.find("svg").find_all("text", class_="wf-label")]
    assert labels[0].startswith("Jan 1 – 15, 2024") and labels[-1].startswith("Feb 1 – 15, 2024")
    start = panel.find("tr", class_="total").find_all("td")[3].text()
    assert start == f"{roi(r0, c0) * 100:.1f}%"
    french = render_report(results, "md", period="current", generated_at=NOW, locale="fr")
    assert "Comparaison à date : 1–15 févr. 2024 contre 1–15 janv. 2024" in french


def test_report_without_daily_values_labels_and_warns(results, total):
    bare = dataclasses.replace(results, daily=None)
    markdown = render_report(bare, "md", period="current", generated_at=NOW)
    block = _change_block(markdown, "sales_revenue")
    assert (
        "⚠️ Feb 2024 holds 15 of its 29 days and is compared with the whole of Jan 2024: a "
        "change between part of a period and a whole one, not a movement of the KPI" in block
    )
    assert "| Input | Jan 2024 | Feb 2024 (15/29 d) | Contribution |" in block
    assert "Compared to date" not in block
    html = render_report(bare, "html", period="current", generated_at=NOW)
    panel = parse(html).find("div", class_="change-panel")
    assert panel.find("p", class_="wf-summary").attrs["data-compared"] == "period"
    assert "15 of its 29 days" in panel.find("p", class_="wf-warning").text()


def test_explain_command_and_mcp_answer(root, total):
    jan, feb = total("2024-01-01", "2024-01-15")[0], total("2024-02-01", "2024-02-15")[0]
    args = ["explain", "sales_revenue", "-w", str(root), "--from", "2024-01", "--to", "2024-02"]
    run = CliRunner().invoke(cli, args)
    assert run.exit_code == 0, run.output
    head, compared = run.stdout.splitlines()[:2]
    assert head == (
        f"sales_revenue (total): ${jan:,.2f} in 2024-01 (to 2024-01-15) -> ${feb:,.2f} in "
        f"2024-02 (to 2024-02-15), change +${feb - jan:,.2f} (shapley)"
    )
    assert compared.startswith("compared to date: 2024-02-01 to 2024-02-15 vs 2024-01-01 to")
    data = json.loads(CliRunner().invoke(cli, [*args, "--format", "json"]).stdout)
    assert (data["compared"], data["before"], data["after"]) == ("to_date", jan, feb)
    assert data["waterfall"][0]["end"] == jan
    by = CliRunner().invoke(cli, [*args, "--by", "channel"])
    assert "segments compared to date: 2024-02-01 to 2024-02-15" in by.stdout
    engine = Engine(kpiengine.load_workspace(root))
    answer = answers.explain(engine, "sales_revenue", "2024-01", "2024-02")
    assert (answer["compared"], answer["before"], answer["end_days"]) == (
        "to_date", jan, ["2024-02-01", "2024-02-15"]
    )  # fmt: skip
