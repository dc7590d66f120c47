"""The `ads` connector and the periods its reports state: a report without days whose range is
exactly one period of the grain asked for is that period (June 1 to 30 by month), so it sits
beside dated sources; Meta's summary row states how far the export goes (Meta leaves out days
without delivery), as Google's title lines do.

Expected values are computed here by hand or from the file texts with the csv module.
"""

import csv
import datetime as dt
import io
import shutil

import pytest
from test_connector_ads import FIXTURES, META, connector, fetch, table

from kpiengine.connector import Request
from kpiengine.errors import KpiError
from kpiengine.model import Aggregate
from kpiengine.periods import Calendar


def campaign_report(first, last, rows, total):
    """A Google Ads campaign report without days, as the UI downloads it (CRLF lines)."""
    head = f'Campaign report\r\n"{first} - {last}"\r\n'
    return head + "Campaign,Currency code,Impr.,Clicks,Cost\r\n" + rows + total


JUNE = campaign_report(
    "June 1, 2024",
    "June 30, 2024",
    'Brand,USD,"10,000",500,"1,000.00"\r\n',
    'Total: Account,USD,"10,000",500,"1,000.00"\r\n',
)
JULY = campaign_report(
    "July 1, 2024",
    "July 31, 2024",
    "Brand,USD,4000,200,500.00\r\n",
    "Total: Account,USD,4000,200,500.00\r\n",
)
Q2 = campaign_report(
    "April 1, 2024",
    "June 30, 2024",
    'Brand,USD,"30,000",1500,"3,000.00"\r\n',
    'Total: Account,USD,"30,000",1500,"3,000.00"\r\n',
)


def write(tmp_path, **files):
    for name, text in files.items():
        (tmp_path / name).write_text(text, "utf-8")


# --- 1. a report without days over exactly one period ---------------------------------------


def test_a_campaign_report_of_one_whole_month_is_that_month():
    conn = connector(FIXTURES, "google_ads_campaigns_july.csv", currency="EUR")
    frame = fetch(conn, "ad_spend", "clicks")
    assert frame.grain == "month" and frame.dates.astype(str).tolist() == ["2025-07-01"]
    assert frame.span == (dt.date(2025, 7, 1), dt.date(2025, 7, 31))
    assert frame.values["ad_spend"].tolist() == pytest.approx([1512.40 + 5201.77])
    assert frame.values["clicks"].tolist() == [2904 + 3870]
    # by quarter, July is the third quarter so far (as GA reads a download of it); by week,
    # no period of the grain: one period, its range
    assert fetch(conn, "ad_spend", grain="quarter").grain == "quarter"
    assert fetch(conn, "ad_spend", grain="week").grain == "range"


def test_a_quarter_or_a_year_by_its_grain(tmp_path):
    write(tmp_path, **{"q.csv": Q2})
    frame = fetch(connector(tmp_path, "q.csv"), "ad_spend", grain="quarter")
    assert frame.grain == "quarter" and frame.values["ad_spend"].tolist() == [3000.0]
    assert fetch(connector(tmp_path, "q.csv"), "ad_spend", grain="month").grain == "range"
    year = campaign_report("January 1, 2024", "December 31, 2024", "Brand,USD,10,1,9.50\r\n", "")
    write(tmp_path, **{"q.csv": year})
    assert fetch(connector(tmp_path, "q.csv"), "ad_spend", grain="year").grain == "year"
    assert fetch(connector(tmp_path, "q.csv"), "ad_spend", grain="quarter").grain == "range"


def test_a_fiscal_quarter_is_the_workspace_calendars(tmp_path):
    write(tmp_path, **{"q.csv": Q2})  # April to June: FY2025-Q1 when years start in April
    request = Request({"ad_spend": Aggregate()}, "quarter", [], calendar=Calendar(4))
    frame = connector(tmp_path, "q.csv").fetch(request)
    assert frame.grain == "quarter" and frame.values["ad_spend"].tolist() == [3000.0]
    shifted = Request({"ad_spend": Aggregate()}, "quarter", [], calendar=Calendar(2))
    assert connector(tmp_path, "q.csv").fetch(shifted).grain == "range"  # Feb to Apr, May to Jul


def test_monthly_downloads_without_days_are_each_their_month(tmp_path):
    (tmp_path / "ads").mkdir()
    write(tmp_path, **{"ads/june.csv": JUNE, "ads/july.csv": JULY})
    frame = fetch(connector(tmp_path, "ads/*.csv"), "ad_spend", "clicks")
    assert frame.grain == "month"
    assert table(frame, "ad_spend") == {("2024-06",): 1000.0, ("2024-07",): 500.0}
    assert table(frame, "clicks") == {("2024-06",): 500.0, ("2024-07",): 200.0}
    # the last one the month so far: July so far (partial), as GA reads a download of it
    write(tmp_path, **{"ads/july.csv": JULY.replace("July 31, 2024", "July 15, 2024")})
    frame = fetch(connector(tmp_path, "ads/*.csv"), "ad_spend")
    assert frame.grain == "month" and frame.span == (dt.date(2024, 6, 1), dt.date(2024, 7, 15))
    assert table(frame, "ad_spend") == {("2024-06",): 1000.0, ("2024-07",): 500.0}
    # one starting inside its month, or a month so far before another month: each file lies in
    # its month, and the days no report covers between them (1-7 July, 16-30 June) are a hole,
    # which leaves the months holding it unknown (`monthgaps.blank_holes`)
    write(tmp_path, **{"ads/july.csv": JULY.replace("July 1, 2024", "July 8, 2024")})
    frame = fetch(connector(tmp_path, "ads/*.csv"), "ad_spend")
    assert frame.grain == "month"
    assert [h[:2] for h in frame.holes] == [(dt.date(2024, 7, 1), dt.date(2024, 7, 7))]
    write(tmp_path, **{"ads/june.csv": JUNE.replace("June 30, 2024", "June 15, 2024"),
                       "ads/july.csv": JULY})  # fmt: skip
    frame = fetch(connector(tmp_path, "ads/*.csv"), "ad_spend")
    assert frame.grain == "month"
    assert [h[:2] for h in frame.holes] == [(dt.date(2024, 6, 16), dt.date(2024, 6, 30))]


GA4_JUNE = (
    "# ----------------------------------------\n"
    "# Traffic acquisition: Session primary channel group (Default channel group)\n"
    "# Account: Demo\n"
    "# Property: demo - GA4\n"
    "# ----------------------------------------\n"
    "#\n"
    "# All Users\n"
    "# Start date: 20240601\n"
    "# End date: 20240630\n"
    "Session primary channel group (Default channel group),Sessions,Engaged sessions,"
    "Engagement rate,Average engagement time per session,Key events,Total revenue\n"
    "Organic Search,800,500,0.625,45.125,12,1200\n"
    "Direct,400,250,0.625,30.250,8,800\n"
)
DEFINITIONS = """kpis:
  spend:
    title: {en: Spend}
    formula: ad_spend
    unit: currency
    format: currency
  cost_per_session:
    title: {en: Cost per session}
    formula: ad_spend / sessions
    unit: currency / sessions
    format: currency
"""


def test_a_june_campaign_report_beside_a_ga4_june_export(tmp_path):
    """The repro of the report: both are June, so the cost per session is defined, without a
    warning that the ads source has no month."""
    import kpiengine

    root = tmp_path / "ws"
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "raw.yaml").write_text(DEFINITIONS)
    write(root, **{"ga.csv": GA4_JUNE, "ads.csv": JUNE})
    (root / "kpi.yaml").write_text(
        "currency: USD\ngrain: month\nkpis: [spend, cost_per_session]\nsources:\n"
        "  ga: {connector: ga_export, path: ga.csv}\n  ads: {connector: ads, path: ads.csv}\n"
    )
    results = kpiengine.evaluate(kpiengine.load_workspace(root))
    got = {(r["kpi"], r["period"]): r["value"] for r in results.records() if not r["segment"]}
    expected = {("spend", "2024-06"): 1000.0, ("cost_per_session", "2024-06"): 1000.0 / 1200}
    assert got == pytest.approx(expected)  # 1,200 sessions: 800 + 400
    assert not [f for f in results.findings if f.code == "KPI013"]


# --- 5. Meta's summary row states how far the export goes ------------------------------------


def meta_rows(text):
    rows = list(csv.DictReader(io.StringIO(text)))
    return [r for r in rows if r["Campaign name"]], [r for r in rows if not r["Campaign name"]]


def test_the_meta_summary_rows_range_is_the_sources_span(tmp_path):
    text = (FIXTURES / META).read_text("utf-8")
    rows, (summary,) = meta_rows(text)
    assert max(r["Day"] for r in rows) == "2024-07-10"  # Meta leaves out days without delivery
    frame = fetch(connector(FIXTURES, META, currency="EUR"), "ad_spend")
    stated = (
        dt.date.fromisoformat(summary["Reporting starts"]),
        dt.date.fromisoformat(summary["Reporting ends"]),
    )
    assert frame.covered() == stated == (dt.date(2024, 6, 1), dt.date(2024, 7, 31))
    # without the summary row, the rows say how far it goes (as before)
    lines = text.splitlines(keepends=True)
    write(tmp_path, **{"m.csv": lines[0] + "".join(lines[2:])})
    frame = fetch(connector(tmp_path, "m.csv", currency="EUR"), "ad_spend")
    assert frame.covered() == (dt.date(2024, 6, 1), dt.date(2024, 7, 10))


def test_july_of_a_meta_export_to_july_31_is_a_whole_month(tmp_path):
    """The rows stop on 10 July, the export on 31 July: July is complete, not projected."""
    import kpiengine

    root = tmp_path / "ws"
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "raw.yaml").write_text(DEFINITIONS)
    shutil.copy(FIXTURES / META, root / "m.csv")
    (root / "kpi.yaml").write_text(
        "currency: EUR\ngrain: month\nkpis: [spend]\nsources:\n  m: {connector: ads, path: m.csv}\n"
    )
    records = kpiengine.evaluate(kpiengine.load_workspace(root)).records()
    july = next(r for r in records if r["period"] == "2024-07" and not r["segment"])
    assert july["value"] == pytest.approx(104.55 + 38.40)  # the two rows of 10 July
    assert july["complete"] and july["coverage"] == 1.0 and july["projected"] is None


def test_a_meta_row_outside_the_summary_rows_range_is_an_error(tmp_path):
    text = (FIXTURES / META).read_text("utf-8")
    lines = text.splitlines(keepends=True)
    late = next(i for i, t in enumerate(lines) if t.startswith('"2024-07-10"'))
    lines[late] = lines[late].replace("2024-07-10", "2024-08-10")  # its starts, ends and day
    write(tmp_path, **{"m.csv": "".join(lines)})
    with pytest.raises(
        KpiError, match="outside the report's date range 2024-06-01 to 2024-07-31"
    ) as info:
        fetch(connector(tmp_path, "m.csv", currency="EUR"), "ad_spend")
    assert info.value.location.line == late + 1
