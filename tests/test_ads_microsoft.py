"""The `ads` connector's Microsoft Advertising (Bing Ads) profile: reports downloaded from the
UI's Reports page and from the Reporting API load without hand edits.

The fixtures are written as Microsoft writes its CSV reports (see tests/fixtures/ads/README.md):
a UTF-8 BOM, quoted `key: value` lines (`"Report Time: 1/30/2024,2/1/2024"`, ...), a blank line,
the header, every cell quoted, a blank line and the copyright line; the UI's download shows
display names (`Gregorian date`, `Campaign name`, `Currency code`), thousands separators and a
`Total` row. Expected values are read from the file texts with the csv module, or by hand.
"""

import csv
import datetime as dt
import io
from collections import defaultdict

import pytest
from test_connector_ads import FIXTURES, connector, fetch, table

from kpiengine.connector import NoDailyValues, Request
from kpiengine.errors import KpiError
from kpiengine.model import Aggregate
from kpiengine.periods import Calendar

API_DAILY = "microsoft_ads_api_campaigns_daily.csv"
API_SUMMARY = "microsoft_ads_api_adgroups_summary.csv"
UI_DAILY = "microsoft_ads_ui_keywords_daily.csv"
ALL = ("impressions", "clicks", "ad_spend", "conversions", "ad_revenue")
#: variable -> the column of each header style (API, UI)
COLUMNS = {
    "impressions": ("Impressions", "Impressions"),
    "clicks": ("Clicks", "Clicks"),
    "ad_spend": ("Spend", "Spend"),
    "conversions": ("Conversions", "Conversions"),
    "ad_revenue": ("Revenue", "Revenue"),
}


def text_of(name):
    return (FIXTURES / name).read_bytes().decode("utf-8")


def write(path, text):
    path.write_bytes(text.encode("utf-8"))


def records(text):
    """Every record of a report, read with the csv module (BOM removed)."""
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def rows_of(text):
    """(header, data rows as dicts, `Total` rows as dicts): the header is the first record of
    several fields; the rows run to the blank line before the copyright line."""
    listed = records(text)
    start = next(i for i, r in enumerate(listed) if len(r) > 1)
    header, rows, totals = listed[start], [], []
    for record in listed[start + 1 :]:
        if not any(record):
            break
        (totals if record[0] == "Total" else rows).append(dict(zip(header, record, strict=True)))
    return header, rows, totals


def number(cell):
    return float(cell.replace(",", ""))


def by_month(rows, date, parse):
    """{(month,): {variable: sum}} of rows whose day `parse` reads from column `date`."""
    out = defaultdict(lambda: defaultdict(float))
    for row in rows:
        month = parse(row[date]).strftime("%Y-%m")
        for variable, (api, _) in COLUMNS.items():
            out[(month,)][variable] += number(row[api])
    return out


def report(time, aggregation, header, rows, newline="\r\n"):
    """A Reporting API CSV as Microsoft writes it (the layout of the fixtures)."""

    def q(*cells):
        return ",".join(f'"{c}"' for c in cells)

    head = [
        q("Report Name: test"),
        q(f"Report Time: {time}"),
        q("Time Zone: (GMT-08:00) Pacific Time (US & Canada); Tijuana"),
        q("Last Completed Available Day: 7/2/2024 10:15:00 AM (GMT)"),
        q("Last Completed Available Hour: 7/2/2024 10:15:00 AM (GMT)"),
        q(f"Report Aggregation: {aggregation}"),
        q("Report Filter: "),
        q("Potential Incomplete Data: false"),
        q(f"Rows: {len(rows)}"),
        "",
    ]
    tail = ["", q("©2024 Microsoft Corporation. All rights reserved. ")]
    body = [q(*header)] + [q(*r) for r in rows]
    return "\ufeff" + newline.join(head + body + tail) + newline


HEADER = ("TimePeriod", "CampaignName", "CurrencyCode", "Impressions", "Clicks", "Spend")


def line_of(text, start):
    lines = text.removeprefix("\ufeff").split("\r\n")
    return next(n for n, line in enumerate(lines, start=1) if line.startswith(start))


# --- 1. the fixtures are Microsoft's shape -------------------------------------------------------


@pytest.mark.parametrize("name", [API_DAILY, API_SUMMARY, UI_DAILY])
def test_the_fixtures_have_microsofts_shape(name):
    data = (FIXTURES / name).read_bytes()
    assert data.startswith(b'\xef\xbb\xbf"Report Name: ')  # a BOM, the quoted header lines
    assert b"\n" not in data.replace(b"\r\n", b"")  # CRLF lines
    lines = data.decode("utf-8").removeprefix("\ufeff").split("\r\n")
    assert lines[-1] == "" and lines[-3] == ""  # a blank line, the copyright, the last break
    assert lines[-2] == '"©2024 Microsoft Corporation. All rights reserved. "'
    assert lines[9] == "" and lines[8] == f'"Rows: {len(rows_of(text_of(name))[1])}"'


# --- 2. the API's daily campaign report ------------------------------------------------------


def test_an_api_daily_report_is_read_by_its_days():
    conn = connector(FIXTURES, API_DAILY)
    assert conn.platform == "microsoft_ads"
    _, rows, _ = rows_of(text_of(API_DAILY))
    expected = by_month(rows, "TimePeriod", dt.date.fromisoformat)
    assert set(expected) == {("2024-01",), ("2024-02",)}  # 30 January to 1 February
    frame = fetch(conn, *ALL)
    for variable in ALL:
        got = table(frame, variable)
        assert got == pytest.approx({k: v[variable] for k, v in expected.items()}), variable
    assert frame.span == (dt.date(2024, 1, 30), dt.date(2024, 2, 1))  # `Report Time`
    # `1,180.00` (Revenue, format version 1.0): a thousands separator, not a decimal comma
    assert table(frame, "ad_revenue")[("2024-02",)] == 1701.30


def test_rates_are_not_variables_and_dimensions_name_the_platform():
    conn = connector(FIXTURES, API_DAILY)
    assert conn.provides() == set(ALL)  # Ctr, AverageCpc, ConversionRate: never summed
    frame = fetch(conn, "clicks", grain="day", dims=("platform", "channel", "campaign"))
    assert set(frame.dims["platform"]) == {"Microsoft Advertising"}
    assert set(frame.dims["channel"]) == {"Paid Search"}
    _, rows, _ = rows_of(text_of(API_DAILY))
    brand = sum(number(r["Clicks"]) for r in rows if r["CampaignName"] == "Brand - Exact")
    got = table(frame, "clicks", "campaign")
    assert sum(v for (_, c), v in got.items() if c == "Brand - Exact") == brand


def test_line_endings_and_a_file_without_the_report_header(tmp_path):
    text = text_of(API_DAILY)
    write(tmp_path / "lf.csv", text.replace("\r\n", "\n"))
    _, rows, _ = rows_of(text)
    spend = sum(number(r["Spend"]) for r in rows)
    lf = fetch(connector(tmp_path, "lf.csv"), "ad_spend")
    assert sum(table(lf, "ad_spend").values()) == pytest.approx(spend)
    # `ExcludeReportHeader`: the API's column names alone tell the platform
    body = text.split("\r\n\r\n")[1]
    write(tmp_path / "bare.csv", body + "\r\n")
    conn = connector(tmp_path, "bare.csv")
    assert conn.platform == "microsoft_ads"
    assert sum(table(fetch(conn, "ad_spend"), "ad_spend").values()) == pytest.approx(spend)


def test_detect_platform():
    from kpiengine.connectors.ads import detect_platform

    ui = rows_of(text_of(UI_DAILY))[0]
    assert detect_platform(ui) == "microsoft_ads"  # `Spend`, where Google writes `Cost`
    assert detect_platform(["TimePeriod", "CampaignName", "Clicks"]) == "microsoft_ads"
    meta = {"Report Name": "x", "Report Time": "1/1/2024,1/31/2024"}
    assert detect_platform(["Campaign", "Clicks"], meta) == "microsoft_ads"
    assert detect_platform(["Campaign", "Impr.", "Cost"]) == "google_ads"
    assert detect_platform(["Campaign name", "Amount spent (GBP)"]) == "meta_ads"


# --- 3. the UI's download: display names, thousands, the Total row ----------------------------


def test_a_ui_report_counts_its_rows_not_its_total_row():
    text = text_of(UI_DAILY)
    _, rows, totals = rows_of(text)
    assert len(totals) == 1
    frame = fetch(connector(FIXTURES, UI_DAILY, currency="EUR"), *ALL)
    for variable, (column, _) in COLUMNS.items():
        expected = sum(number(r[column]) for r in rows)
        assert expected == pytest.approx(number(totals[0][column]))  # the Total row agrees
        assert table(frame, variable) == {("2024-01",): pytest.approx(expected)}, variable


def test_ui_dates_are_month_first(tmp_path):
    """`1/2/2024` in a report of 1 to 31 January is 2 January (Microsoft writes the month
    first; 1 February would be outside the range)."""
    header = ("Gregorian date", "Campaign name", "Currency code", "Impressions", "Clicks", "Spend")
    rows = [("1/2/2024", "A", "USD", "1,000", "10", "10.00"),
            ("1/12/2024", "A", "USD", "2,000", "20", "20.00")]  # fmt: skip
    write(tmp_path / "r.csv", report("1/1/2024,1/31/2024", "Daily", header, rows))
    frame = fetch(connector(tmp_path, "r.csv"), "impressions", grain="day")
    assert frame.dates.astype(str).tolist() == ["2024-01-02", "2024-01-12"]
    assert frame.values["impressions"].tolist() == [1000.0, 2000.0]
    outside = [*rows, ("2/12/2024", "A", "USD", "5", "1", "1.00")]
    text = report("1/1/2024,1/31/2024", "Daily", header, outside)
    write(tmp_path / "r.csv", text)
    with pytest.raises(KpiError, match="outside the report's date range 2024-01-01 to 2024-01-31"):
        fetch(connector(tmp_path, "r.csv"), "impressions")


def test_the_account_currency_is_checked_against_the_workspace():
    text = text_of(UI_DAILY)
    with pytest.raises(KpiError, match="amounts are in EUR but the workspace currency is USD") as e:
        fetch(connector(FIXTURES, UI_DAILY, currency="USD"), "ad_spend")
    assert e.value.location.line == line_of(text, '"1/15/2024"')


def test_an_edited_total_row_is_an_error(tmp_path):
    text = text_of(UI_DAILY).replace('"412.02"', '"422.02"')
    write(tmp_path / "k.csv", text)
    with pytest.raises(
        KpiError, match="add up to 412.02 in column `Spend` but `Total` says 422.02"
    ) as e:
        fetch(connector(tmp_path, "k.csv", currency="EUR"), "ad_spend")
    assert e.value.location.line == line_of(text, '"Total"')


def test_rows_other_than_the_reports_are_an_error(tmp_path):
    text = text_of(API_DAILY)
    lines = text.split("\r\n")
    cut = "\r\n".join(lines[:12] + lines[13:])  # a row deleted
    write(tmp_path / "c.csv", cut)
    with pytest.raises(KpiError, match="4 data rows but its `Rows:` line says 5") as e:
        fetch(connector(tmp_path, "c.csv"), "ad_spend")
    assert e.value.location.line == 9
    # the UI's `Rows:` may count its Total row or not: both read
    write(tmp_path / "k.csv", text_of(UI_DAILY).replace('"Rows: 5"', '"Rows: 6"'))
    assert fetch(connector(tmp_path, "k.csv", currency="EUR"), "ad_spend").values["ad_spend"].sum()


# --- 4. reports without days: one period, the range `Report Time` states ------------------------


def test_a_summary_report_of_june_is_june():
    _, rows, _ = rows_of(text_of(API_SUMMARY))
    frame = fetch(connector(FIXTURES, API_SUMMARY), *ALL)
    assert frame.grain == "month" and frame.dates.astype(str).tolist() == ["2024-06-01"]
    assert frame.span == (dt.date(2024, 6, 1), dt.date(2024, 6, 30))
    for variable, (column, _) in COLUMNS.items():
        assert frame.values[variable].sum() == pytest.approx(sum(number(r[column]) for r in rows))
    assert fetch(connector(FIXTURES, API_SUMMARY), "ad_spend", grain="week").grain == "range"


def test_a_summary_report_of_other_days_is_one_period_labelled_by_its_range(tmp_path):
    import kpiengine
    from kpiengine.engine import Engine

    text = text_of(API_SUMMARY).replace("6/1/2024,6/30/2024", "6/3/2024,6/20/2024")
    _, rows, _ = rows_of(text)
    spend = sum(number(r["Spend"]) for r in rows)
    clicks = sum(number(r["Clicks"]) for r in rows)
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "ads.yaml").write_text(
        "kpis:\n"
        "  s_spend: {formula: ad_spend, unit: currency, direction: lower}\n"
        "  s_cpc: {formula: ad_spend / clicks, unit: currency / clicks, direction: lower}\n"
    )
    (tmp_path / "kpi.yaml").write_text(
        "currency: USD\nkpis: [s_spend, s_cpc]\nsources:\n  m: {connector: ads, path: m.csv}\n"
    )
    write(tmp_path / "m.csv", text)
    records = Engine(kpiengine.load_workspace(tmp_path)).evaluate(grain="month").records()
    got = {r["kpi"]: r for r in records if not r["segment"]}
    assert got["s_spend"]["period"] == "2024-06-03/2024-06-20"
    assert got["s_spend"]["value"] == pytest.approx(spend)
    assert got["s_cpc"]["value"] == pytest.approx(spend / clicks)  # not an average of AverageCpc


def test_day_of_week_rows_are_the_ranges(tmp_path):
    rows = [("1", "A", "USD", "10", "1", "1.50"), ("7", "A", "USD", "20", "2", "2.25")]
    write(tmp_path / "d.csv", report("6/1/2024,6/30/2024", "DayOfWeek", HEADER, rows))
    frame = fetch(connector(tmp_path, "d.csv"), "ad_spend")
    assert frame.dates.astype(str).tolist() == ["2024-06-01"] and frame.grain == "month"
    assert frame.values["ad_spend"].tolist() == [pytest.approx(1.50 + 2.25)]


def test_an_unreadable_report_time_is_an_error_at_its_line(tmp_path):
    rows = [("A", "USD", "10", "1", "1.50")]
    write(tmp_path / "t.csv", report("Last month", "Summary", HEADER[1:], rows))
    with pytest.raises(KpiError, match="`Report Time: Last month` is not a date range") as e:
        fetch(connector(tmp_path, "t.csv"), "ad_spend")
    assert e.value.location.line == 2


# --- 5. weeks and months: `Report Aggregation` says what TimePeriod holds ------------------------

WEEKS = [
    ("2024-01-07", "A", "USD", "100", "10", "10.00"),
    ("2024-01-14", "A", "USD", "100", "10", "20.00"),
    ("2024-01-28", "A", "USD", "100", "10", "40.00"),  # to Saturday 3 February
]


def test_weekly_rows_are_sunday_weeks(tmp_path):
    write(tmp_path / "w.csv", report("1/7/2024,2/3/2024", "Weekly", HEADER, WEEKS))
    conn = connector(tmp_path, "w.csv")
    sunday = Request({"ad_spend": Aggregate()}, "week", [], calendar=Calendar(week_start="sunday"))
    frame = conn.fetch(sunday)
    assert frame.dates.astype(str).tolist() == ["2024-01-07", "2024-01-14", "2024-01-28"]
    assert frame.values["ad_spend"].tolist() == [10.0, 20.0, 40.0]
    # by month, the week of 28 January is partly February: no month counts the source's rows
    # (read as days, it would all be January's)
    frame = fetch(conn, "ad_spend")
    why = frame.missing["ad_spend"]
    assert "the week of `2024-01-28` (2024-01-28 to 2024-02-03)" in why
    assert "`week_start: sunday`" in why and "Daily aggregation" in why
    assert all(v != v for v in frame.values["ad_spend"])  # NaN: undefined, never short
    with pytest.raises(NoDailyValues, match="more than one day"):
        fetch(conn, "ad_spend", grain="day")


def test_monthly_rows_are_whole_months_whatever_the_range(tmp_path):
    """Microsoft widens a monthly report to whole months: January's row is January's."""
    rows = [("2024-01-01", "A", "USD", "100", "10", "10.00"),
            ("2024-02-01", "A", "USD", "100", "10", "20.00")]  # fmt: skip
    write(tmp_path / "m.csv", report("1/10/2024,2/29/2024", "Monthly", HEADER, rows))
    frame = fetch(connector(tmp_path, "m.csv"), "ad_spend")
    assert table(frame, "ad_spend") == {("2024-01",): 10.0, ("2024-02",): 20.0}
    assert frame.span == (dt.date(2024, 1, 1), dt.date(2024, 2, 29))


@pytest.mark.parametrize(
    ("kind", "cell", "what"),
    [("Hourly", "2024-01-15|7", "hours of days"), ("Yearly", "2024", "years")],
)
def test_hours_and_years_are_refused_at_the_aggregation_line(tmp_path, kind, cell, what):
    write(
        tmp_path / "h.csv",
        report("1/1/2024,1/31/2024", kind, HEADER, [(cell, "A", "USD", "1", "1", "1")]),
    )
    with pytest.raises(
        KpiError, match=f"`Report Aggregation: {kind}`: its `TimePeriod` cells are {what}"
    ) as e:
        connector(tmp_path, "h.csv")
    assert e.value.location.line == 6 and "Daily" in e.value.fix


def test_files_of_other_aggregations_are_an_error(tmp_path):
    write(
        tmp_path / "a.csv",
        report("1/7/2024,1/13/2024", "Daily", HEADER, [("2024-01-08", "A", "USD", "1", "1", "1")]),
    )
    write(
        tmp_path / "b.csv",
        report(
            "1/14/2024,1/20/2024", "Weekly", HEADER, [("2024-01-14", "A", "USD", "1", "1", "1")]
        ),
    )
    with pytest.raises(
        KpiError, match="`b.csv` is a `Report Aggregation: Weekly` report but `a.csv` is `Daily`"
    ):
        connector(tmp_path, "*.csv")
