import csv
import datetime as dt
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from kpiengine.connector import Mapping, Request, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.model import Aggregate
from kpiengine.plugins import make_plugin_manager, registered

FIXTURES = Path(__file__).parent / "fixtures" / "ads"
VARIABLES = frozenset(
    {"impressions", "clicks", "ad_spend", "conversions", "ad_revenue", "revenue", "leads"}
)
GOOGLE_UI = "google_ads_campaign_report.csv"
GOOGLE_API = "google_ads_api.csv"
GOOGLE_UTF16 = "google_ads_excel_utf16.csv"
META = "meta_ads_daily.csv"
ALL = ("impressions", "clicks", "ad_spend", "conversions", "ad_revenue")


def connector(root, name, currency="USD", mappings=None, **options):
    from kpiengine.connectors.ads import AdsConnector

    config = SourceConfig(
        name="ads",
        connector="ads",
        root=root,
        location=Location("kpi.yaml", 3, 5),
        options={"path": name, **options},
        mappings=mappings or {},
        currency=currency,
        variables=VARIABLES,
    )
    return AdsConnector(config)


def fetch(conn, *variables, grain="month", dims=()):
    return conn.fetch(Request({v: Aggregate() for v in variables}, grain, list(dims)))


def table(frame, variable, *dims):
    """{(period, *dims): value} of a Frame (rows of one key added up)."""
    out = defaultdict(float)
    for i, day in enumerate(frame.dates.astype(str)):
        out[(day[:7], *(frame.dims[d][i] for d in dims))] += float(frame.values[variable][i])
    return dict(out)


def copy(tmp_path, name, edit=None):
    """A fixture copied to tmp_path, optionally with `edit(text) -> text` applied."""
    source = FIXTURES / name
    target = tmp_path / name
    if edit is None:
        shutil.copy(source, target)
    else:
        target.write_text(edit(source.read_text("utf-8")), "utf-8")
    return target


# --- the fixtures read independently with the csv module ---------------------------------------


def read_rows(name, encoding="utf-8", delimiter=","):
    """The data rows of a fixture as dicts: preamble, `Total:` and summary rows dropped."""
    with (FIXTURES / name).open(encoding=encoding, newline="") as handle:
        rows = list(csv.reader(handle, delimiter=delimiter))
    start = next(
        i for i, r in enumerate(rows) if r and r[0] in ("Day", "segments.date", "Reporting starts")
    )
    header = rows[start]
    out = []
    for row in rows[start + 1 :]:
        record = dict(zip(header, row, strict=True))
        if row[0].startswith("Total:") or record.get("Campaign name") == "":
            continue
        out.append(record)
    return out


def num(text):
    text = text.strip()
    return None if text in ("", "--") else float(text.replace(",", ""))


def monthly(records, date, column, *keys, scale=1.0):
    out = defaultdict(float)
    for r in records:
        value = num(r[column])
        if value is not None:
            out[(r[date][:7], *(r[k] for k in keys))] += value * scale
    return dict(out)


def assert_tables(got, expected):
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-9), key


# --- registration and detection ----------------------------------------------------------------


def test_registered_through_the_hook():
    from kpiengine.connectors.ads import AdsConnector

    found = registered(make_plugin_manager(), "register_connectors")["ads"]
    assert found.obj is AdsConnector and found.origin == "built-in"


@pytest.mark.parametrize(
    ("name", "platform", "channel"),
    [
        (GOOGLE_UI, "google_ads", "Paid Search"),
        (GOOGLE_API, "google_ads", "Paid Search"),
        (GOOGLE_UTF16, "google_ads", "Paid Search"),
        (META, "meta_ads", "Paid Social"),
    ],
)
def test_platform_is_detected_from_the_headers(name, platform, channel):
    conn = connector(FIXTURES, name, currency=None)
    assert conn.platform == platform
    assert conn.provides() == set(ALL)
    frame = fetch(conn, "clicks", dims=["channel", "platform"])
    assert set(frame.dims["channel"]) == {channel}
    assert set(frame.dims["platform"]) == {"Google Ads" if platform == "google_ads" else "Meta Ads"}


def test_detect_platform_on_header_rows():
    from kpiengine.connectors.ads import detect_platform

    assert detect_platform(["Campaign", "Impr.", "Cost"]) == "google_ads"
    assert detect_platform(["segments.date", "metrics.cost_micros"]) == "google_ads"
    assert detect_platform(["Campaign name", "Amount spent (GBP)"]) == "meta_ads"
    assert detect_platform(["date", "revenue"]) is None


def test_unknown_platform_and_undetectable_files(tmp_path):
    with pytest.raises(KpiError, match="unknown platform `google`; did you mean `google_ads`"):
        connector(FIXTURES, GOOGLE_UI, platform="google")
    (tmp_path / "x.csv").write_text("date,spend_total,taps\n2024-01-01,1,2\n")
    with pytest.raises(KpiError, match="Google Ads or a Meta Ads") as info:
        connector(tmp_path, "x.csv")
    assert "platform: google_ads" in info.value.fix


# --- values, computed independently from the fixture rows ---------------------------------------


def test_google_ui_report_monthly_cost_per_campaign():
    rows = read_rows(GOOGLE_UI)
    conn = connector(FIXTURES, GOOGLE_UI)
    assert conn.dimensions() == {"channel", "platform", "campaign", "campaign_type"}
    frame = fetch(conn, *ALL, dims=["campaign"])
    assert_tables(table(frame, "ad_spend", "campaign"), monthly(rows, "Day", "Cost", "Campaign"))
    for variable, column in [
        ("impressions", "Impr."),
        ("clicks", "Clicks"),
        ("conversions", "Conversions"),
        ("ad_revenue", "Conv. value"),
    ]:
        assert_tables(table(frame, variable), monthly(rows, "Day", column))
    # `--` is missing, not zero
    daily = fetch(conn, "ad_revenue", "ad_spend", grain="day", dims=["campaign"])
    i = next(
        i
        for i, (d, c) in enumerate(
            zip(daily.dates.astype(str), daily.dims["campaign"], strict=True)
        )
        if d == "2024-06-02" and c == "Generic - Running Shoes"
    )
    assert np.isnan(daily.values["ad_revenue"][i]) and daily.values["ad_spend"][i] == 160.38


def test_google_ui_total_rows_are_not_summed():
    frame = fetch(connector(FIXTURES, GOOGLE_UI), "impressions", grain="year")
    rows = read_rows(GOOGLE_UI)
    assert frame.values["impressions"].tolist() == [sum(num(r["Impr."]) for r in rows)]


def test_google_api_export_scales_cost_micros():
    rows = read_rows(GOOGLE_API)
    frame = fetch(connector(FIXTURES, GOOGLE_API), *ALL, dims=["campaign", "campaign_type"])
    expected = monthly(rows, "segments.date", "metrics.cost_micros", "campaign.name", scale=1e-6)
    got = table(frame, "ad_spend", "campaign")
    assert_tables(got, expected)
    assert max(got.values()) < 1000  # micros were not read as dollars
    assert set(frame.dims["campaign_type"]) == {"Search", "Performance Max"}  # as the UI says
    assert_tables(
        table(frame, "ad_revenue"), monthly(rows, "segments.date", "metrics.conversions_value")
    )


def test_meta_export_daily_breakdown_in_euros():
    rows = read_rows(META)
    conn = connector(FIXTURES, META, currency="EUR")
    assert conn.dimensions() == {"channel", "platform", "campaign"}
    frame = fetch(conn, *ALL, dims=["campaign"])
    for variable, column in [
        ("ad_spend", "Amount spent (EUR)"),
        ("clicks", "Link clicks"),
        ("impressions", "Impressions"),
        ("conversions", "Results"),
        ("ad_revenue", "Purchases conversion value"),
    ]:
        assert_tables(
            table(frame, variable, "campaign"), monthly(rows, "Day", column, "Campaign name")
        )


def test_utf16_tab_separated_excel_download():
    rows = read_rows(GOOGLE_UTF16, encoding="utf-16", delimiter="\t")
    frame = fetch(connector(FIXTURES, GOOGLE_UTF16), "ad_spend", "clicks", dims=["campaign"])
    assert_tables(table(frame, "ad_spend", "campaign"), monthly(rows, "Day", "Cost", "Campaign"))
    assert table(frame, "clicks") == monthly(rows, "Day", "Clicks")


def test_options_channel_columns_and_conversion_value_as(tmp_path):
    conn = connector(
        FIXTURES,
        GOOGLE_UI,
        channel="Google Search",
        columns={"clicks": "impr."},
        conversion_value_as="revenue",
    )
    assert "revenue" in conn.provides() and "ad_revenue" not in conn.provides()
    frame = fetch(conn, "clicks", "revenue", dims=["channel"])
    rows = read_rows(GOOGLE_UI)
    assert set(frame.dims["channel"]) == {"Google Search"}
    assert_tables(table(frame, "clicks"), monthly(rows, "Day", "Impr."))
    assert_tables(table(frame, "revenue"), monthly(rows, "Day", "Conv. value"))


def test_map_adds_variables_from_other_columns():
    mappings = {
        "leads": Mapping("leads", Location("k"), count=True, where={"Campaign": ["Brand - Exact"]})
    }
    frame = fetch(connector(FIXTURES, GOOGLE_UI, mappings=mappings), "leads")
    rows = read_rows(GOOGLE_UI)
    expected = defaultdict(float)
    for r in rows:
        expected[(r["Day"][:7],)] += r["Campaign"] == "Brand - Exact"
    assert table(frame, "leads") == dict(expected)


# --- total rows cross-check ------------------------------------------------------------------


def _edit_line(text, startswith, old, new):
    lines = text.split("\r\n") if "\r\n" in text else text.split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith(startswith))
    assert old in lines[index]
    lines[index] = lines[index].replace(old, new, 1)
    return ("\r\n" if "\r\n" in text else "\n").join(lines), index + 1


def line_of(path, startswith):
    """The 1-based number of the first line of a file starting with a text."""
    lines = path.read_text("utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if line.startswith(startswith))


def test_totals_cross_check_catches_an_edited_row(tmp_path):
    path = copy(
        tmp_path, GOOGLE_UI, lambda t: _edit_line(t, "2024-06-02,Brand", "47.70", "57.70")[0]
    )
    with pytest.raises(KpiError, match=r"add up to 2,546\.48 in column `Cost`") as info:
        fetch(connector(tmp_path, GOOGLE_UI), "ad_spend")
    assert "`Total: Campaigns` says 2,536.48" in info.value.message
    assert info.value.location.line == line_of(path, "Total: Campaigns")
    assert info.value.location.column > 1
    # the other metrics still add up
    fetch(connector(tmp_path, GOOGLE_UI), "clicks", "impressions", "ad_revenue")
    # within rounding: a fraction of a cent on a row passes
    copy(tmp_path, GOOGLE_UI, lambda t: _edit_line(t, "2024-06-02,Brand", "47.70", "47.704")[0])
    fetch(connector(tmp_path, GOOGLE_UI), "ad_spend")


def test_campaign_type_totals_are_checked_per_type(tmp_path):
    # moving a cost between campaign types keeps the account total but not `Total: Search`
    def edit(text):
        text = _edit_line(text, "2024-06-02,Brand - Exact", "47.70", "57.70")[0]
        return _edit_line(text, "2024-06-02,PMax", "231.00", "221.00")[0]

    path = copy(tmp_path, GOOGLE_UI, edit)
    with pytest.raises(KpiError, match="add up to 772.56 .* `Total: Search` says 762.56") as info:
        fetch(connector(tmp_path, GOOGLE_UI), "ad_spend")
    assert info.value.location.line == line_of(path, "Total: Search")


def test_an_account_total_above_the_rows_is_an_error_with_or_without_the_shown_total(tmp_path):
    """`Total: Account` counts campaigns a filter (or the default view of removed campaigns)
    hid: rows short of it give a wrong spend, whether `Total: Campaigns` is there or not."""

    def more(text):
        return _edit_line(text, "Total: Account", '"2,536.48"', "2600.00")[0]

    def without_campaigns_total(text):
        lines = more(text).splitlines()
        return "\n".join(line for line in lines if not line.startswith("Total: Camp"))

    for edit in (more, without_campaigns_total):
        copy(tmp_path, GOOGLE_UI, edit)
        with pytest.raises(KpiError, match=r"`Total: Account` says 2,600.00, 63.52 more"):
            fetch(connector(tmp_path, GOOGLE_UI), "ad_spend")


def test_meta_summary_row_cross_check(tmp_path):
    copy(tmp_path, META, lambda t: t.replace('"402.42"', '"412.42"'))
    with pytest.raises(KpiError, match="the summary row says 412.42") as info:
        fetch(connector(tmp_path, META, currency="EUR"), "ad_spend")
    assert str(info.value.location).endswith(":2:" + str(info.value.location.column))


# --- currencies --------------------------------------------------------------------------------


def test_currency_different_from_the_workspace():
    with pytest.raises(KpiError, match="in EUR but the workspace currency is USD") as info:
        fetch(connector(FIXTURES, META, currency="USD"), "ad_spend")
    assert info.value.location.line == 1  # the `Amount spent (EUR)` header
    # counts have no currency
    assert fetch(connector(FIXTURES, META, currency="USD"), "clicks").values["clicks"].sum() > 0


def test_mixed_currency_codes(tmp_path):
    copy(tmp_path, GOOGLE_API, lambda t: t.replace("PERFORMANCE_MAX,USD", "PERFORMANCE_MAX,CAD"))
    with pytest.raises(KpiError, match=r"mixes currencies \(CAD, USD\)") as info:
        fetch(connector(tmp_path, GOOGLE_API), "ad_spend")
    assert str(info.value.location).endswith(f"{GOOGLE_API}:4:{info.value.location.column}")
    assert info.value.location.column > 1


# --- bad input ---------------------------------------------------------------------------------


def test_bad_number_names_file_line_and_column(tmp_path):
    def edit(text):
        return _edit_line(text, "2024-06-15,Spring", "0.00,0.00,0.00", "fifty,0.00,0.00")[0]

    copy(tmp_path, GOOGLE_UI, edit)
    expected = "expected an amount in column `Cost`, found `fifty`"
    with pytest.raises(KpiError, match=expected) as info:
        fetch(connector(tmp_path, GOOGLE_UI), "ad_spend")
    location = info.value.location
    line = (tmp_path / GOOGLE_UI).read_text().splitlines()[location.line - 1]
    assert line[location.column - 1 :].startswith("fifty")


def test_bad_date_names_file_line_and_column(tmp_path):
    copy(tmp_path, META, lambda t: t.replace('"2024-07-10","active"', '"2024-07-32","active"', 1))
    with pytest.raises(KpiError, match="expected a date like %Y-%m-%d in column `Day`") as info:
        fetch(connector(tmp_path, META, currency="EUR"), "clicks")
    assert info.value.location.line == 7 and info.value.location.column > 1


def test_missing_override_column_names_the_closest(tmp_path):
    with pytest.raises(KpiError, match=r"no cost column `Costs`; did you mean `Cost`\?"):
        connector(FIXTURES, GOOGLE_UI, columns={"cost": "Costs"})
    with pytest.raises(KpiError, match="unknown role `clics` in `columns`; did you mean `clicks`"):
        connector(FIXTURES, GOOGLE_UI, columns={"clics": "Clicks"})


def test_no_metric_columns(tmp_path):
    (tmp_path / "g.csv").write_text("Day,Campaign,Impresions,Avg. CPC\n2024-06-01,A,5,1.0\n")
    with pytest.raises(KpiError, match="no ad metric columns.*did you mean `Impresions`") as info:
        connector(tmp_path, "g.csv")
    assert "Impresions" in info.value.message and "columns:" in info.value.fix


def test_meta_results_of_different_kinds_are_not_added(tmp_path):
    copy(tmp_path, META, lambda t: t.replace('"Website purchases","3"', '"Leads","3"'))
    frame = fetch(connector(tmp_path, META, currency="EUR"), "conversions")
    why = frame.missing["conversions"]  # undefined with why, the other variables stand
    assert np.isnan(frame.values["conversions"]).all()
    assert "different results (Leads, Website purchases; " in why and f"{META}:8:" in why
    # naming the Results column does not make the kinds addable
    conn = connector(tmp_path, META, currency="EUR", columns={"conversions": "Results"})
    assert "different results" in fetch(conn, "conversions").missing["conversions"]


def test_meta_rows_spanning_several_days(tmp_path):
    text = (
        '"Reporting starts","Reporting ends","Campaign name","Impressions","Amount spent (USD)"\n'
        '"2024-06-01","2024-06-30","","300","30.00"\n'
        '"2024-06-01","2024-06-30","A","100","10.00"\n'
        '"2024-06-01","2024-06-30","B","200","20.00"\n'
    )
    (tmp_path / "m.csv").write_text(text)
    frame = fetch(connector(tmp_path, "m.csv"), "ad_spend", dims=["campaign"])
    assert table(frame, "ad_spend", "campaign") == {("2024-06", "A"): 10.0, ("2024-06", "B"): 20.0}
    # every row is the report's range (no time breakdown): a report without days, by week or
    # day one period, its range (as a Google Ads report of June is)
    for grain in ("week", "day"):
        frame = fetch(connector(tmp_path, "m.csv"), "ad_spend", grain=grain)
        assert frame.grain == "range" and frame.values["ad_spend"].tolist() == [30]
        assert frame.span == (dt.date(2024, 6, 1), dt.date(2024, 6, 30))
    (tmp_path / "m.csv").write_text(text.replace("2024-06-30", "2024-06-14"))
    frame = fetch(connector(tmp_path, "m.csv"), "ad_spend", grain="day")
    assert frame.grain == "range" and frame.span == (dt.date(2024, 6, 1), dt.date(2024, 6, 14))
    # rows of other ranges (a weekly breakdown) across two weeks: no day can count them
    (tmp_path / "m.csv").write_text(text.replace('"2024-06-30","B"', '"2024-06-14","B"'))
    with pytest.raises(
        KpiError, match="covers 2024-06-01 to 2024-06-14, more than one day"
    ) as info:
        fetch(connector(tmp_path, "m.csv"), "ad_spend", grain="day")
    assert info.value.location.line == 4 and info.value.location.column > 1


def test_google_report_without_day_uses_its_date_range(tmp_path):
    text = (
        "Campaign report\n"
        '"June 1, 2024 - June 30, 2024"\n'
        "Campaign,Impr.,Clicks,Cost\n"
        'A,"1,000",10,5.00\n'
        "B,500,--,2.50\n"
        'Total: Account,"1,500",10,7.50\n'
    )
    (tmp_path / "g.csv").write_text(text)
    frame = fetch(connector(tmp_path, "g.csv"), "ad_spend", "clicks", dims=["campaign"])
    assert frame.dates.astype(str).tolist() == ["2024-06-01", "2024-06-01"]
    assert frame.values["ad_spend"].tolist() == [5.0, 2.5]
    assert frame.values["clicks"][0] == 10.0 and np.isnan(frame.values["clicks"][1])
    # June 1 to 30 is a month: by month, that month's (by week, one period: its range)
    assert frame.grain == "month" and frame.span == (dt.date(2024, 6, 1), dt.date(2024, 6, 30))
    assert fetch(connector(tmp_path, "g.csv"), "ad_spend", grain="week").grain == "range"
    # a range longer than the grain asked for is still one period: the engine labels it
    (tmp_path / "g.csv").write_text(text.replace("June 30", "July 31"))
    frame = fetch(connector(tmp_path, "g.csv"), "ad_spend")
    assert frame.grain == "range" and frame.span == (dt.date(2024, 6, 1), dt.date(2024, 7, 31))
    assert frame.dates.astype(str).tolist() == ["2024-06-01"] and frame.values["ad_spend"] == [7.5]
    assert fetch(connector(tmp_path, "g.csv"), "clicks", grain="year").values["clicks"] == [10.0]


# --- end to end --------------------------------------------------------------------------------


def test_workspace_end_to_end_ctr_and_cpc(tmp_path):
    import kpiengine

    root = tmp_path / "ws"
    root.mkdir()
    shutil.copy(FIXTURES / GOOGLE_UI, root / "google.csv")
    (root / "kpi.yaml").write_text(
        "currency: USD\nsources:\n  google_ads:\n    connector: ads\n    path: google.csv\n"
    )
    results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["ctr", "cpc"], grain="month")
    got = {(r["kpi"], r["period"]): r["value"] for r in results.records() if not r["segment"]}
    rows = read_rows(GOOGLE_UI)
    impressions = monthly(rows, "Day", "Impr.")
    clicks = monthly(rows, "Day", "Clicks")
    cost = monthly(rows, "Day", "Cost")
    assert {k for _, k in got} == {"2024-06", "2024-07"}
    for (month,) in impressions:
        assert got[("ctr", month)] == pytest.approx(clicks[(month,)] / impressions[(month,)])
        assert got[("cpc", month)] == pytest.approx(cost[(month,)] / clicks[(month,)])


# --- scans of large files ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "currency"),
    [(GOOGLE_UI, "USD"), (GOOGLE_API, "USD"), (GOOGLE_UTF16, "USD"), (META, "EUR")],
)
def test_a_fetch_reads_the_file_once(monkeypatch, scans, name, currency):
    import kpiengine.fileformats.tables

    conn = connector(FIXTURES, name, currency=currency)
    scans.clear()
    frame = fetch(conn, *ALL, dims=["campaign"])
    # the checks (values, currencies, result kinds, totals) in the aggregation's scan
    assert len(scans) == 1
    with monkeypatch.context() as cached:
        cached.setattr(kpiengine.fileformats.tables, "CACHE_BYTES", 32 * 1024 * 1024)
        again = fetch(connector(FIXTURES, name, currency=currency), *ALL, dims=["campaign"])
    for variable in ALL:
        assert table(frame, variable, "campaign") == table(again, variable, "campaign")


def test_errors_of_a_streamed_file_name_the_same_line(tmp_path, scans):
    path = copy(
        tmp_path, GOOGLE_UI, lambda t: _edit_line(t, "2024-06-02,Brand", "47.70", "57.70")[0]
    )
    with pytest.raises(KpiError, match=r"add up to 2,546\.48 in column `Cost`") as info:
        fetch(connector(tmp_path, GOOGLE_UI), "ad_spend")
    assert info.value.location.line == line_of(path, "Total: Campaigns")
    copy(tmp_path, GOOGLE_API, lambda t: t.replace("PERFORMANCE_MAX,USD", "PERFORMANCE_MAX,CAD"))
    with pytest.raises(KpiError, match=r"mixes currencies \(CAD, USD\)") as info:
        fetch(connector(tmp_path, GOOGLE_API), "ad_spend")
    assert info.value.location.line == 4
    copy(tmp_path, META, lambda t: t.replace('"Website purchases","3"', '"Leads","3"'))
    why = fetch(connector(tmp_path, META, currency="EUR"), "conversions").missing["conversions"]
    assert (
        f"different results (Leads, Website purchases; another than the first at {META}:8:" in why
    )
    copy(tmp_path, META, lambda t: t.replace('"2024-07-10","active"', '"2024-07-32","active"', 1))
    with pytest.raises(KpiError, match="expected a date like %Y-%m-%d in column `Day`") as info:
        fetch(connector(tmp_path, META, currency="EUR"), "clicks")
    assert info.value.location.line == 7


def test_one_valid_code_passes_without_reading_where_it_is(tmp_path, scans):
    # the scan's first and last code agree: no second look for the lines of the codes
    conn = connector(FIXTURES, GOOGLE_UI)
    scans.clear()
    fetch(conn, "ad_spend")
    assert len(scans) == 1
    copy(tmp_path, GOOGLE_UI, lambda t: t.replace(",USD,", ",usd,"))
    scans.clear()
    fetch(connector(tmp_path, GOOGLE_UI), "ad_spend")  # codes are read without case
    assert len(scans) == 1
