"""The ga_export connector on exports of several segments, and on several reports of one source.

Segments overlap (a mobile session is one of `All Users` too): rows of different segments are
never added, whether a `Segment` column tells them (GA4 Explorations, UA with segments applied)
or each segment has its own table; `segment:` chooses one. Two reports of the same sessions
over the same dates in one source are refused whatever their dimensions.

Expected values are computed here from the fixture text (csv module), not by kpiengine.
"""

from __future__ import annotations

import csv
import io

import pytest

from kpiengine.connector import Request, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.model import Aggregate

# a GA4 Free form exploration with a segment comparison, as GA writes it (BOM, CRLF)
EXPLORATION = (
    "\ufeff# ----------------------------------------\r\n"
    "# Free form 1\r\n"
    "# ----------------------------------------\r\n"
    "#\r\n"
    "# All Users\r\n"
    "# Mobile Traffic\r\n"
    "# Start date: 20240601\r\n"
    "# End date: 20240602\r\n"
    "Date,Segment,Session default channel group,Sessions,Engaged sessions\r\n"
    "20240601,All Users,Organic Search,1161,672\r\n"
    "20240601,All Users,Direct,834,501\r\n"
    "20240601,Mobile Traffic,Organic Search,600,300\r\n"
    "20240601,Mobile Traffic,Direct,400,220\r\n"
    "20240602,All Users,Organic Search,1229,717\r\n"
    "20240602,All Users,Direct,847,522\r\n"
    "20240602,Mobile Traffic,Organic Search,610,310\r\n"
    "20240602,Mobile Traffic,Direct,410,230\r\n"
)
# Universal Analytics with two segments applied: a totals row per segment
UA_SEGMENTS = """\
# ----------------------------------------
# All Web Site Data
# Channels
# 20240601-20240630
# ----------------------------------------

Default Channel Grouping,Segment,Users,Sessions,Bounce Rate
Organic Search,All Users,"3,653","4,541",55.59%
Organic Search,Mobile Traffic,"1,200","1,500",60.00%
Direct,All Users,"2,488","3,082",42.15%
Direct,Mobile Traffic,900,"1,000",50.00%
,All Users,"6,141","7,623",49.82%
,Mobile Traffic,"2,100","2,500",54.80%
"""
# one table per segment, each under its own `#` lines
BLOCKS = (
    "\ufeff# ----------------------------------------\r\n"
    "# Free form 1\r\n"
    "# ----------------------------------------\r\n"
    "#\r\n"
    "# Mobile Traffic\r\n"
    "# Start date: 20240601\r\n"
    "# End date: 20240602\r\n"
    "Date,Session default channel group,Sessions\r\n"
    "20240601,Organic Search,600\r\n"
    "20240601,Direct,400\r\n"
    "20240602,Organic Search,610\r\n"
    "\r\n"
    "#\r\n"
    "# All Users\r\n"
    "# Start date: 20240601\r\n"
    "# End date: 20240602\r\n"
    "Date,Session default channel group,Sessions\r\n"
    "20240601,Organic Search,1161\r\n"
    "20240601,Direct,834\r\n"
    "20240602,Organic Search,1229\r\n"
)
REPORT = """\
# ----------------------------------------
# {title}
# Account: N
# Property: {property}
# ----------------------------------------
#
# All Users
# Start date: 20240601
# End date: 20240630
{table}"""
CHANNELS = 'Session default channel group,Sessions,Engaged sessions\nGrand total,"1,600",900\n'
CHANNELS += "Organic Search,1000,600\nDirect,600,300\n"
LANDING = 'Landing page + query string,Sessions,Engaged sessions\nGrand total,"1,600",900\n'
LANDING += "/,1000,600\n(not set),400,100\n/pricing,200,200\n"


def _connector(root, path="ga.csv", **options):
    from kpiengine.connectors.ga_export import GaExportConnector

    config = SourceConfig(
        name="ga",
        connector="ga_export",
        root=root,
        location=Location("kpi.yaml", 3, 5),
        options={"path": path, **options},
    )
    return GaExportConnector(config)


def _source(root, text, **options):
    (root / "ga.csv").write_bytes(text.encode("utf-8"))
    return _connector(root, **options)


def _sessions(conn, dims=()):
    request = Request({"sessions": Aggregate()}, "month", list(dims), None, None)
    return conn.fetch(request)


def _sum(text, column, **where):
    """The sum of a column over the data rows whose cells are `where`'s (csv module; the rows
    after the last header line that starts like the first data row's header)."""
    lines = [ln for ln in text.lstrip("\ufeff").splitlines() if ln and not ln.startswith("#")]
    header = next(ln for ln in lines if column in ln.split(","))
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[lines.index(header) :]))))
    total = 0.0
    for row in rows:
        first = row[next(iter(row))]
        if first in ("", "Grand total") or first == header.split(",")[0]:
            continue  # a totals row (`Grand total`, UA's empty first field), a later header
        if all(row.get(k) == v for k, v in where.items()):
            total += float(row[column].replace(",", ""))
    return total


# --- a Segment column -------------------------------------------------------------------------
def test_a_segment_column_of_several_segments_must_be_chosen(tmp_path):
    conn = _source(tmp_path, EXPLORATION)
    with pytest.raises(KpiError) as info:
        _sessions(conn)
    message = info.value.message
    assert "column `Segment`" in message and "`All Users`, `Mobile Traffic`" in message
    assert "segment: All Users" in (info.value.fix or "")
    assert info.value.location == Location("ga.csv", 9, len("Date,") + 1)


@pytest.mark.parametrize("segment", ["All Users", "Mobile Traffic", "all users"])
def test_segment_option_reads_one_segment(tmp_path, segment):
    frame = _sessions(_source(tmp_path, EXPLORATION, segment=segment))
    chosen = "Mobile Traffic" if segment.startswith("Mobile") else "All Users"
    expected = _sum(EXPLORATION, "Sessions", Segment=chosen)
    assert expected == (1161 + 834 + 1229 + 847 if chosen == "All Users" else 2020)
    assert frame.values["sessions"].sum() == expected


def test_segment_option_not_in_the_column(tmp_path):
    with pytest.raises(KpiError) as info:
        _sessions(_source(tmp_path, EXPLORATION, segment="Desktop"))
    assert "`segment: Desktop`" in info.value.message
    assert "`All Users`, `Mobile Traffic`" in info.value.message


def test_one_segment_in_the_column_changes_nothing(tmp_path):
    text = "\r\n".join(ln for ln in EXPLORATION.split("\r\n") if "Mobile" not in ln)
    frame = _sessions(_source(tmp_path, text))
    assert frame.values["sessions"].sum() == _sum(text, "Sessions")


@pytest.mark.parametrize("header", ["Segment", "區隔", "细分", "بخش", "Comparison"])
def test_the_segment_column_in_every_language(tmp_path, header):
    text = EXPLORATION.replace("Date,Segment,", f"Date,{header},")
    with pytest.raises(KpiError) as info:
        _sessions(_source(tmp_path, text))
    assert f"column `{header}` holds 2 segments" in info.value.message


def test_ua_totals_row_per_segment_names_the_segment_column(tmp_path):
    """Each segment's totals row: the error is about choosing a segment, not a row limit."""
    with pytest.raises(KpiError) as info:
        _sessions(_source(tmp_path, UA_SEGMENTS))
    assert "column `Segment` holds 2 segments" in info.value.message
    assert "export the whole report again" not in (info.value.fix or "")
    assert "segment: All Users" in (info.value.fix or "")


@pytest.mark.parametrize("segment", ["All Users", "Mobile Traffic"])
def test_ua_segment_checked_against_its_own_totals_row(tmp_path, segment):
    frame = _sessions(_source(tmp_path, UA_SEGMENTS, segment=segment))
    expected = _sum(UA_SEGMENTS, "Sessions", Segment=segment)
    assert expected == (7623 if segment == "All Users" else 2500)  # its totals row
    assert frame.values["sessions"].sum() == expected


def test_ua_segment_whose_rows_miss_its_totals_row_is_still_checked(tmp_path):
    text = UA_SEGMENTS.replace('All Users,"2,488","3,082"', 'All Users,"2,488","3,000"')
    with pytest.raises(KpiError, match="totals row gives Sessions = 7,623"):
        _sessions(_source(tmp_path, text, segment="All Users"))


def test_dated_table_with_a_totals_row_per_segment(tmp_path):
    """A Date first, the totals rows naming their segment: not rows that lost their date."""
    text = (
        "# 20240601-20240602\n\nDate,Segment,Default Channel Grouping,Sessions\n"
        "20240601,All Users,Direct,10\n20240601,Mobile Traffic,Direct,4\n"
        "20240602,All Users,Direct,20\n20240602,Mobile Traffic,Direct,6\n"
        ",All Users,,30\n,Mobile Traffic,,10\n"
    )
    frame = _sessions(_source(tmp_path, text, segment="Mobile Traffic"))
    assert frame.values["sessions"].sum() == _sum(text, "Sessions", Segment="Mobile Traffic")


# --- one table per segment --------------------------------------------------------------------
def test_one_table_per_segment_must_be_chosen(tmp_path):
    with pytest.raises(KpiError) as info:
        _sessions(_source(tmp_path, BLOCKS))
    assert "one table per segment" in info.value.message
    assert "`Mobile Traffic`: table on line 8" in info.value.message
    assert "`All Users`: table on line 17" in info.value.message
    assert "segment:" in (info.value.fix or "")


@pytest.mark.parametrize(
    ("options", "expected"),
    [({"segment": "All Users"}, 1161 + 834 + 1229), ({"segment": "Mobile Traffic"}, 1610),
     ({"table": 2}, 1161 + 834 + 1229)],
)  # fmt: skip
def test_one_table_per_segment_chosen(tmp_path, options, expected):
    blocks = BLOCKS.split("\r\n\r\n")
    which = 1 if options.get("segment", "All Users") == "All Users" else 0
    assert _sum(blocks[which], "Sessions") == expected
    frame = _sessions(_source(tmp_path, BLOCKS, **options))
    assert frame.values["sessions"].sum() == expected


def test_segments_named_without_a_column_to_tell_them(tmp_path):
    text = EXPLORATION.replace("Date,Segment,", "Date,").replace("All Users,", "")
    text = text.replace("Mobile Traffic,", "")
    with pytest.raises(KpiError, match="name 2 segments .*no Segment column"):
        _sessions(_source(tmp_path, text))


def test_the_usual_export_of_one_segment(tmp_path):
    text = REPORT.format(title="Traffic acquisition", property="n - GA4", table=CHANNELS)
    assert _sessions(_source(tmp_path, text)).values["sessions"].sum() == 1600
    with pytest.raises(KpiError, match="no such segment"):
        _sessions(_source(tmp_path, text, segment="Mobile Traffic"))


# --- two reports of the same sessions in one source -------------------------------------------
def _two_reports(root, second_property="n - GA4", second_range=("20240601", "20240630")):
    (root / "exports").mkdir()
    channels = REPORT.format(title="Traffic acquisition", property="n - GA4", table=CHANNELS)
    landing = REPORT.format(title="Landing page", property=second_property, table=LANDING)
    landing = landing.replace("20240601", second_range[0]).replace("20240630", second_range[1])
    (root / "exports" / "channels.csv").write_text(channels, "utf-8")
    (root / "exports" / "landing.csv").write_text(landing, "utf-8")
    return _connector(root, "exports/*.csv")


def test_two_reports_of_the_same_sessions_are_refused(tmp_path):
    with pytest.raises(KpiError) as info:
        _sessions(_two_reports(tmp_path))
    message = info.value.message
    assert "`exports/channels.csv`" in message and "`exports/landing.csv`" in message
    assert "Sessions" in message and "overlap (2024-06-01 to 2024-06-30)" in message


def test_two_reports_of_different_properties_add_up(tmp_path):
    frame = _sessions(_two_reports(tmp_path, second_property="other - GA4"))
    assert frame.values["sessions"].sum() == _sum(CHANNELS, "Sessions") + _sum(LANDING, "Sessions")


def test_two_reports_of_dates_that_do_not_overlap_add_up(tmp_path):
    frame = _sessions(_two_reports(tmp_path, second_range=("20240701", "20240731")))
    assert sorted(frame.values["sessions"].tolist()) == [1600.0, 1600.0]


# --- a chart's table of top rows beside the full table ----------------------------------------
CHART = (
    "\ufeff# ----------------------------------------\r\n# Traffic acquisition\r\n"
    "# Property: n - GA4\r\n# ----------------------------------------\r\n#\r\n# All Users\r\n"
    "# Start date: 20240601\r\n# End date: 20240603\r\n"
    "Nth day,Session default channel group,Sessions\r\n"
    "0000,Organic Search,1161\r\n0000,Direct,834\r\n0001,Organic Search,1229\r\n"
    "0001,Direct,847\r\n0002,Organic Search,1151\r\n0002,Direct,769\r\n\r\n"
    "#\r\n# All Users\r\n# Start date: 20240601\r\n# End date: 20240603\r\n"
    "Session default channel group,Sessions\r\n"
    'Grand total,"7,427"\r\nOrganic Search,"3,541"\r\nDirect,"2,450"\r\nPaid Search,"1,154"\r\n'
    "Email,282\r\n"
)


def test_a_chart_table_short_of_the_full_tables_total(tmp_path):
    from kpiengine.connector import NoDailyValues

    chart, full = CHART.split("\r\n\r\n")
    assert _sum(chart, "Sessions") == 5991 and _sum(full, "Sessions") == 7427
    conn = _source(tmp_path, CHART)
    with pytest.raises(NoDailyValues, match="adds up to Sessions = 5,991.*totals 7,427"):
        conn.fetch(Request({"sessions": Aggregate()}, "day", [], None, None))
    week = conn.fetch(Request({"sessions": Aggregate()}, "week", [], None, None))
    assert "5,991" in week.missing["sessions"]
    assert _sessions(conn).values["sessions"].sum() == 7427  # the full table, by month


def test_a_chart_table_holding_every_row_is_read(tmp_path):
    text = CHART.replace('Grand total,"7,427"', 'Grand total,"5,991"')
    text = text.replace('"3,541"', "3390").replace('"2,450"', "2450").replace('"1,154"', "100")
    text = text.replace("Email,282", "Email,51")
    chart = text.split("\r\n\r\n")[0]
    conn = _source(tmp_path, text)
    frame = conn.fetch(Request({"sessions": Aggregate()}, "day", [], None, None))
    assert frame.values["sessions"].tolist() == [1161 + 834, 1229 + 847, 1151 + 769]
    assert frame.values["sessions"].sum() == _sum(chart, "Sessions")
