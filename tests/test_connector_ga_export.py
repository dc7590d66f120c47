"""The ga_export connector on GA exports shaped like the real ones (tests/fixtures/ga).

Expected values are computed here from the fixture text with plain Python, not by the connector.
"""

import csv
import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from kpiengine.connector import Mapping, Request, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.model import Aggregate

FIXTURES = Path(__file__).parent / "fixtures" / "ga"
KPI_YAML = Location("kpi.yaml", 3, 5)
PERSIAN = str.maketrans("۰۱۲۳۴۵۶۷۸۹٫٬٪", "0123456789.,%")


def source(
    path, root=FIXTURES, mappings=None, dimensions=None, variables=(), currency=None, **options
):
    from kpiengine.connectors.ga_export import GaExportConnector

    config = SourceConfig(
        name="ga",
        connector="ga_export",
        root=root,
        location=KPI_YAML,
        options={"path": path, **options},
        mappings=mappings or {},
        dimensions=dimensions or {},
        currency=currency,
        variables=frozenset(variables),
    )
    return GaExportConnector(config)


def fetch(conn, *variables, grain="day", dims=(), start=None, end=None):
    return conn.fetch(Request({v: Aggregate() for v in variables}, grain, list(dims), start, end))


def by_key(frame, *dims):
    """{(date, *dimension values): {variable: value}} of a frame."""
    out = {}
    for i, day in enumerate(frame.dates.astype(str)):
        key = (day, *(frame.dims[d][i] for d in dims))
        assert key not in out, f"two rows for {key}"
        out[key] = {v: float(a[i]) for v, a in frame.values.items()}
    return out


def blocks(name, encoding="utf-8", delimiter=","):
    """The tables of a fixture as the test reads them: [(header, data rows, totals rows)]."""
    text = (FIXTURES / name).read_text(encoding)
    out, current = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("#") or not line.strip(delimiter + " "):
            if current:
                header, *rows = list(csv.reader(current, delimiter=delimiter))
                header = [h for h in header if h]
                data = [r for r in rows if r[0] and r[0] not in TOTAL_WORDS]
                totals = [r for r in rows if not r[0] or r[0] in TOTAL_WORDS]
                out.append((header, data, totals))
            current = []
        else:
            current.append(line)
    return out


TOTAL_WORDS = {"Grand total", "Total", "总计", "總計", "جمع کل"}


def half_up(x):
    return math.floor(x + 0.5)


def en(text):
    return float(text.replace(",", "").replace("$", ""))


def pct(text):
    return float(text.rstrip("%")) / 100


def col(header, row, name):
    return row[header.index(name)]


def ymd(text):
    return f"{text[:4]}-{text[4:6]}-{text[6:]}"


def seconds(text):
    """`00:02:13` (or plain seconds) in seconds."""
    total = 0.0
    for part in text.split(":"):
        total = total * 60 + float(part)
    return total


# --- GA4, English ----------------------------------------------------------------------------
def test_ga4_traffic_acquisition_by_day_and_channel():
    [(header, rows, totals)] = blocks("ga4_traffic_acquisition.csv")
    conn = source("ga4_traffic_acquisition.csv")
    assert conn.provides() == {
        "sessions",
        "visitors",
        "bounces",
        "engaged_sessions",
        "pageviews",
        "conversions",
        "session_duration",
    }
    assert conn.dimensions() == {"channel"}
    frame = fetch(conn, *sorted(conn.provides()), dims=["channel"])
    got = by_key(frame, "channel")
    expected = {}
    for row in rows:
        sessions = en(col(header, row, "Sessions"))
        rate = pct(col(header, row, "Engagement rate"))
        expected[(ymd(row[0]), row[1])] = {
            "sessions": sessions,
            "visitors": en(col(header, row, "Users")),
            "engaged_sessions": en(col(header, row, "Engaged sessions")),
            "bounces": half_up((1 - rate) * sessions),  # GA4: bounce rate = 1 - engagement rate
            "pageviews": en(col(header, row, "Views")),
            "conversions": en(col(header, row, "Key events")),
            "session_duration": seconds(col(header, row, "Average engagement time per session"))
            * sessions,
        }
    assert got == expected
    assert len(frame) == 12


def test_ga4_grand_total_row_is_checked_not_counted():
    [(header, rows, totals)] = blocks("ga4_traffic_acquisition.csv")
    assert totals[0][0] == "Grand total"
    frame = fetch(source("ga4_traffic_acquisition.csv"), "sessions", grain="month")
    assert len(frame) == 1  # the rows added up by month in the scan
    assert frame.grain == "month" and frame.span == (dt.date(2024, 6, 1), dt.date(2024, 6, 3))
    assert frame.values["sessions"].sum() == en(col(header, totals[0], "Sessions"))
    assert frame.values["sessions"].sum() == sum(en(col(header, r, "Sessions")) for r in rows)
    channels = fetch(source("ga4_traffic_acquisition.csv"), "sessions", dims=["channel"])
    assert "Grand total" not in set(channels.dims["channel"]) and "" not in set(
        channels.dims["channel"]
    )


def test_revenue_only_when_mapped():
    [(header, rows, _)] = blocks("ga4_traffic_acquisition.csv")
    assert "revenue" not in source("ga4_traffic_acquisition.csv").provides()
    mapping = Mapping("revenue", Location("kpi.yaml", 9, 16), column="Total revenue")
    conn = source("ga4_traffic_acquisition.csv", mappings={"revenue": mapping})
    assert conn.provides() == source("ga4_traffic_acquisition.csv").provides() | {"revenue"}
    frame = fetch(conn, "revenue", grain="month")
    assert frame.values["revenue"].sum() == pytest.approx(
        sum(en(col(header, r, "Total revenue")) for r in rows)
    )


def test_where_and_scale_in_a_mapping():
    [(header, rows, _)] = blocks("ga4_traffic_acquisition.csv")
    mapping = Mapping(
        "organic_sessions",
        KPI_YAML,
        column="Sessions",
        where={"Session default channel group": ["Organic Search"]},
        scale=2.0,
    )
    frame = fetch(
        source("ga4_traffic_acquisition.csv", mappings={"organic_sessions": mapping}),
        "organic_sessions",
    )
    expected = {
        ymd(r[0]): 2 * en(col(header, r, "Sessions")) for r in rows if r[1] == "Organic Search"
    }
    assert dict(zip(frame.dates.astype(str), frame.values["organic_sessions"], strict=True)) == (
        expected
    )


def test_a_mapped_rate_becomes_a_count():
    [(header, rows, _)] = blocks("ga4_traffic_acquisition.csv")
    mappings = {
        "bounces": Mapping("bounces", KPI_YAML, column="Engagement rate"),
        "engagement_seconds": Mapping(
            "engagement_seconds", KPI_YAML, column="Average engagement time per session"
        ),
    }
    conn = source("ga4_traffic_acquisition.csv", mappings=mappings)
    got = by_key(fetch(conn, "bounces", "engagement_seconds"))

    expected: dict = {}
    for r in rows:
        day = expected.setdefault((ymd(r[0]),), {"bounces": 0, "engagement_seconds": 0})
        sessions = en(col(header, r, "Sessions"))
        day["bounces"] += half_up(pct(col(header, r, "Engagement rate")) * sessions)
        day["engagement_seconds"] += half_up(
            seconds(col(header, r, "Average engagement time per session")) * sessions
        )
    assert got == expected


def test_request_window_and_repeated_rows(tmp_path):
    text = (FIXTURES / "ga4_traffic_acquisition.csv").read_text("utf-8")
    lines = text.splitlines()
    repeated = lines + [lines[-1]]  # the last row twice: summed, not duplicated
    (tmp_path / "ga4.csv").write_text("\n".join(repeated), "utf-8")
    [(header, rows, _)] = blocks("ga4_traffic_acquisition.csv")
    # the totals no longer match the rows: the check catches it (on Views: the 79 sessions
    # more are within GA4's approximate sessions, 2% of 7,427, and only read columns are checked)
    with pytest.raises(KpiError, match="totals row gives Views"):
        fetch(source("ga4.csv", root=tmp_path), "sessions", "pageviews")
    without_totals = [line for line in repeated if not line.startswith("Grand total")]
    (tmp_path / "ga4.csv").write_text("\n".join(without_totals), "utf-8")
    frame = fetch(
        source("ga4.csv", root=tmp_path),
        "sessions",
        dims=["channel"],
        start=dt.date(2024, 6, 3),
        end=dt.date(2024, 6, 3),
    )
    last = rows[-1]
    got = by_key(frame, "channel")
    assert set(k[0] for k in got) == {"2024-06-03"}
    assert got[(ymd(last[0]), last[1])]["sessions"] == 2 * en(col(header, last, "Sessions"))


# --- Universal Analytics, English, two tables --------------------------------------------------
def test_ua_channels_by_month():
    (header, rows, totals), _ = blocks("ua_channels.csv")
    conn = source("ua_channels.csv")
    assert conn.provides() == {
        "sessions",
        "visitors",
        "bounces",
        "pageviews",
        "goal_completions",
        "session_duration",
    }
    frame = fetch(conn, *sorted(conn.provides()), grain="month", dims=["channel"])
    expected = {}
    for row in rows:
        sessions = en(col(header, row, "Sessions"))
        expected[("2024-06-01", row[0])] = {
            "sessions": sessions,
            "visitors": en(col(header, row, "Users")),
            "bounces": half_up(pct(col(header, row, "Bounce Rate")) * sessions),
            "pageviews": half_up(float(col(header, row, "Pages / Session")) * sessions),
            "goal_completions": en(col(header, row, "Goal Completions")),
            "session_duration": seconds(col(header, row, "Avg. Session Duration")) * sessions,
        }
    assert by_key(frame, "channel") == expected
    total_sessions = en(col(header, totals[0], "Sessions"))
    assert frame.values["sessions"].sum() == total_sessions  # totals row not counted


def test_ua_daily_sessions_come_from_the_day_index_table():
    (header, _, totals), (day_header, days, day_totals) = blocks("ua_channels.csv")
    assert day_header == ["Day Index", "Sessions"]
    frame = fetch(source("ua_channels.csv"), "sessions", grain="day")
    expected = {}
    for row in days:
        month, day, year = (int(x) for x in row[0].split("/"))
        expected[(dt.date(2000 + year, month, day).isoformat(),)] = {"sessions": en(row[1])}
    assert by_key(frame) == expected
    assert len(frame) == 30
    assert frame.values["sessions"].sum() == en(day_totals[0][1])
    assert en(day_totals[0][1]) == en(col(header, totals[0], "Sessions"))


def test_ua_bounces_by_day_are_one_period_of_the_export_range():
    # no table dates bounces: by day (or week) the export is one `range` period, which the
    # engine labels and evaluates, instead of an error
    (header, rows, _), _ = blocks("ua_channels.csv")
    frame = fetch(source("ua_channels.csv"), "bounces", grain="day")
    assert frame.grain == "range" and frame.span == (dt.date(2024, 6, 1), dt.date(2024, 6, 30))
    assert frame.dates.astype(str).tolist() == ["2024-06-01"]
    bounces = sum(half_up(pct(col(header, r, "Bounce Rate")) * en(col(header, r, "Sessions")))
                  for r in rows)  # fmt: skip
    assert frame.values["bounces"].tolist() == [bounces]
    assert fetch(source("ua_channels.csv"), "bounces", grain="week").grain == "range"
    # June alone starts inside the second quarter: by quarter it is a range of its own too
    quarter = fetch(source("ua_channels.csv"), "bounces", grain="quarter")
    assert quarter.grain == "range" and len(quarter) == 1


def test_table_option():
    (header, rows, _), (_, days, _) = blocks("ua_channels.csv")
    by_number = fetch(source("ua_channels.csv", table=2), "sessions", grain="day")
    assert len(by_number) == len(days)
    by_header = fetch(source("ua_channels.csv", table="Day Index"), "sessions", grain="month")
    assert by_header.values["sessions"].sum() == sum(en(r[1]) for r in days)
    assert len(by_header) == 1  # the days added up into June
    first = fetch(source("ua_channels.csv", table=1), "sessions", grain="month", dims=["channel"])
    assert len(first) == len(rows)
    with pytest.raises(KpiError) as info:
        fetch(source("ua_channels.csv", table=3), "sessions", grain="month")
    assert "no table `3`" in info.value.message and "Day Index" in info.value.message
    with pytest.raises(KpiError, match="table number"):
        source("ua_channels.csv", table=0)


# --- GA4 saved by Excel as UTF-16 with tabs ----------------------------------------------------
def test_excel_utf16_tab_separated():
    raw = (FIXTURES / "ga4_excel_utf16.txt").read_bytes()
    assert raw[:2] == b"\xff\xfe" and "\t".encode("utf-16-le") in raw
    [(header, rows, totals)] = blocks("ga4_excel_utf16.txt", "utf-16", "\t")
    conn = source("ga4_excel_utf16.txt")
    assert conn.provides() == {
        "sessions",
        "engaged_sessions",
        "bounces",
        "conversions",
        "session_duration",
    }
    assert conn.dimensions() == {"source_medium"}
    frame = fetch(conn, *sorted(conn.provides()), dims=["source_medium"])
    expected = {}
    for row in rows:
        sessions = float(col(header, row, "Sessions"))
        engagement = float(col(header, row, "Engagement rate"))  # GA4 writes fractions
        expected[(ymd(row[0]), row[1])] = {
            "sessions": sessions,
            "engaged_sessions": half_up(engagement * sessions),
            "bounces": half_up((1 - engagement) * sessions),
            "conversions": half_up(float(col(header, row, "Session key event rate")) * sessions),
            # seconds with decimals: the total is not rounded
            "session_duration": float(col(header, row, "Average engagement time per session"))
            * sessions,
        }
    assert by_key(frame, "source_medium") == expected
    assert frame.values["sessions"].sum() == float(col(header, totals[0], "Sessions"))


def test_encoding_option():
    explicit = source("ga4_excel_utf16.txt", encoding="utf-16")
    assert (
        fetch(explicit, "sessions").values["sessions"].sum()
        == fetch(source("ga4_excel_utf16.txt"), "sessions").values["sessions"].sum()
    )
    with pytest.raises(KpiError, match="utf-8"):
        source("ga4_excel_utf16.txt", encoding="utf-8").provides()
    with pytest.raises(KpiError, match="unknown encoding"):
        source("ga4_excel_utf16.txt", encoding="klingon")


def test_dimensions_option_names_the_column():
    [(header, rows, _)] = blocks("ga4_excel_utf16.txt", "utf-16", "\t")
    conn = source("ga4_excel_utf16.txt", dimensions={"traffic": "Session source / medium"})
    assert conn.dimensions() == {"traffic"}
    frame = fetch(conn, "sessions", grain="month", dims=["traffic"])
    expected: dict = {}
    for row in rows:
        cell = expected.setdefault(("2024-06-01", row[1]), {"sessions": 0.0})
        cell["sessions"] += float(row[2])
    assert by_key(frame, "traffic") == expected


# --- French, Chinese, Persian headers ----------------------------------------------------------
def fr_number(text):
    text = text.replace("\u202f", "").replace("\u00a0", "").replace("€", "").replace(" ", "")
    percent = text.endswith("%")
    value = float(text.rstrip("%").replace(",", "."))
    return value / 100 if percent else value


def test_french_export_without_date_column():
    [(header, rows, totals)] = blocks("ga4_fr.csv")
    conn = source("ga4_fr.csv")
    variables = ("sessions", "visitors", "engaged_sessions", "bounces", "pageviews", "conversions")
    frame = fetch(conn, *variables, grain="month", dims=["channel"])
    expected = {}
    for row in rows:
        sessions = fr_number(col(header, row, "Sessions"))
        rate = fr_number(col(header, row, "Taux d'engagement"))
        expected[("2024-06-01", row[0])] = {
            "sessions": sessions,
            "visitors": fr_number(col(header, row, "Utilisateurs actifs")),
            "engaged_sessions": fr_number(col(header, row, "Sessions avec engagement")),
            "bounces": half_up((1 - rate) * sessions),
            "pageviews": fr_number(col(header, row, "Vues")),
            "conversions": fr_number(col(header, row, "Événements clés")),
        }
    assert by_key(frame, "channel") == expected
    assert totals[0][0] == "Total"
    by_day = fetch(conn, "sessions", grain="day")  # June as one `range` period
    assert by_day.grain == "range" and by_day.span == (dt.date(2024, 6, 1), dt.date(2024, 6, 30))


def test_french_revenue_mapped_by_its_english_name_and_currency():
    [(header, rows, _)] = blocks("ga4_fr.csv")
    mapping = Mapping("revenue", Location("kpi.yaml", 12, 18), column="Total revenue")
    conn = source("ga4_fr.csv", mappings={"revenue": mapping}, currency="EUR")
    frame = fetch(conn, "revenue", grain="month")
    expected = sum(fr_number(col(header, r, "Revenu total")) for r in rows)
    assert frame.values["revenue"][0] == pytest.approx(expected)
    dollars = source("ga4_fr.csv", mappings={"revenue": mapping}, currency="USD")
    with pytest.raises(KpiError) as info:
        fetch(dollars, "revenue", grain="month")
    # the first cell in euros, read by the reading layer's number grammar
    assert "EUR" in info.value.message and "USD" in info.value.message
    line = next(i for i, t in enumerate((FIXTURES / "ga4_fr.csv").read_text().splitlines(), 1)
                if t.startswith("Organic Search"))  # fmt: skip
    assert info.value.location.file == "ga4_fr.csv" and info.value.location.line == line


def test_chinese_simplified_export():
    [(header, rows, totals)] = blocks("ga4_zh_hans.csv")
    variables = ("sessions", "visitors", "engaged_sessions", "bounces", "pageviews", "conversions")
    frame = fetch(source("ga4_zh_hans.csv"), *variables, dims=["channel"])
    expected = {}
    for row in rows:
        sessions = en(col(header, row, "会话数"))
        expected[(ymd(row[0]), row[1])] = {
            "sessions": sessions,
            "visitors": en(col(header, row, "活跃用户")),
            "engaged_sessions": en(col(header, row, "互动会话数")),
            "bounces": half_up((1 - pct(col(header, row, "互动率"))) * sessions),
            "pageviews": en(col(header, row, "浏览次数")),
            "conversions": en(col(header, row, "关键事件")),
        }
    assert by_key(frame, "channel") == expected
    assert totals[0][0] == "总计"
    assert frame.values["sessions"].sum() == en(col(header, totals[0], "会话数"))


def test_chinese_traditional_export():
    [(header, rows, totals)] = blocks("ga4_zh_hant.csv")
    variables = ("sessions", "engaged_sessions", "bounces", "pageviews", "conversions")
    frame = fetch(source("ga4_zh_hant.csv"), *variables, grain="month", dims=["channel"])
    expected = {}
    for row in rows:
        sessions = en(col(header, row, "工作階段"))
        rate = pct(col(header, row, "參與度"))
        expected[("2024-06-01", row[0])] = {
            "sessions": sessions,
            "engaged_sessions": half_up(rate * sessions),
            "bounces": half_up((1 - rate) * sessions),
            "pageviews": en(col(header, row, "瀏覽")),
            "conversions": en(col(header, row, "主要事件")),
        }
    assert by_key(frame, "channel") == expected
    assert totals[0][0] == "總計"


def test_persian_export_with_persian_digits():
    [(header, rows, totals)] = blocks("ga4_fa.csv")

    def fa(text):
        plain = text.translate(PERSIAN).replace(",", "")
        return float(plain.rstrip("%")) / 100 if plain.endswith("%") else float(plain)

    variables = ("sessions", "visitors", "engaged_sessions", "pageviews", "conversions")
    frame = fetch(source("ga4_fa.csv"), *variables, dims=["channel"])
    expected = {}
    for row in rows:
        sessions = fa(col(header, row, "جلسه‌ها"))
        expected[(ymd(row[0]), row[1])] = {
            "sessions": sessions,
            "visitors": fa(col(header, row, "کاربران فعال")),
            "engaged_sessions": half_up(fa(col(header, row, "نرخ تعامل")) * sessions),
            "pageviews": fa(col(header, row, "بازدیدها")),
            "conversions": fa(col(header, row, "رویدادهای کلیدی")),
        }
    assert by_key(frame, "channel") == expected
    assert totals[0][0] == "جمع کل"
    assert frame.values["sessions"].sum() == fa(col(header, totals[0], "جلسه‌ها"))


# --- Dutch: a language that needs `headers:` ---------------------------------------------------
DUTCH = {
    "Standaard kanaalgroepering": "Default Channel Grouping",
    "Gebruikers": "Users",
    "Nieuwe gebruikers": "New users",
    "Sessies": "Sessions",
    "Bouncepercentage": "Bounce rate",
    "Pagina's/sessie": "Pages / Session",
    "Gem. sessieduur": "Avg. Session Duration",
    "Doelconversieratio": "Goal Conversion Rate",
    "Behaalde doelen": "Goal Completions",
    "Doelwaarde": "Goal Value",
}


def test_unrecognised_headers_list_them_and_the_mapping_to_add():
    with pytest.raises(KpiError) as info:
        source("ua_nl.csv").provides()
    error = info.value
    assert error.location.file == "ua_nl.csv" and error.location.line == 7
    for header in ("Sessies", "Bouncepercentage", "Gebruikers", "Pagina's/sessie"):
        assert header in error.message and header in error.fix
    assert "    headers:\n" in error.fix
    assert "      Sessies: Sessions\n" in error.fix  # a close English header is suggested
    assert '      Gebruikers: "?"\n' in error.fix
    # the block pastes as YAML (a bare `?` is YAML's complex-key mark); a "?" left in place is
    # the option's own error, naming it
    block = error.fix.split("delete the others):\n")[1].split("\n    English headers")[0]
    headers = yaml.safe_load(block)["headers"]
    assert headers["Gebruikers"] == "?" and headers["Sessies"] == "Sessions"
    with pytest.raises(KpiError, match="`\\?`"):
        source("ua_nl.csv", headers=headers)


def test_dutch_export_with_headers_option():
    [(header, rows, totals)] = blocks("ua_nl.csv")

    def nl(text):
        plain = text.replace("US$", "").strip()
        if plain.endswith("%"):
            return float(plain.rstrip("%").replace(",", ".")) / 100
        if "," in plain:
            return float(plain.replace(",", "."))
        return float(plain.replace(".", ""))  # 2.546 sessions: a thousands separator

    conn = source("ua_nl.csv", headers=DUTCH)
    assert conn.provides() == {
        "sessions",
        "visitors",
        "bounces",
        "pageviews",
        "goal_completions",
        "session_duration",
    }
    frame = fetch(conn, *sorted(conn.provides()), grain="month", dims=["channel"])
    expected = {}
    for row in rows:
        sessions = nl(col(header, row, "Sessies"))
        expected[("2024-06-01", row[0])] = {
            "sessions": sessions,
            "visitors": nl(col(header, row, "Gebruikers")),
            "bounces": half_up(nl(col(header, row, "Bouncepercentage")) * sessions),
            "pageviews": half_up(nl(col(header, row, "Pagina's/sessie")) * sessions),
            "goal_completions": nl(col(header, row, "Behaalde doelen")),
            "session_duration": seconds(col(header, row, "Gem. sessieduur")) * sessions,
        }
    assert by_key(frame, "channel") == expected
    assert expected[("2024-06-01", "Organic Search")]["sessions"] == 2546
    assert frame.values["sessions"].sum() == nl(col(header, totals[0], "Sessies"))


def test_headers_option_rejects_unknown_english_headers():
    with pytest.raises(KpiError) as info:
        source("ua_nl.csv", headers={"Sessies": "Sesions"})
    assert "Sesions" in info.value.message and "did you mean `Sessions`" in info.value.message
    with pytest.raises(KpiError, match="maps header text"):
        source("ua_nl.csv", headers=["Sessies"])


# --- which variables ---------------------------------------------------------------------------
def test_defaults_follow_the_workspace_vocabulary():
    assert "new_visitors" not in source("ua_channels.csv").provides()
    declared = source("ua_channels.csv", variables={"sessions", "new_visitors", "revenue"})
    assert declared.provides() == {"sessions", "new_visitors"}
    (header, rows, _), _ = blocks("ua_channels.csv")
    frame = fetch(declared, "new_visitors", grain="month")
    assert frame.values["new_visitors"][0] == sum(en(col(header, r, "New Users")) for r in rows)


def test_unknown_variable_or_dimension_is_a_config_error():
    conn = source("ga4_traffic_acquisition.csv")
    with pytest.raises(KpiError) as info:
        fetch(conn, "revenue")
    assert info.value.location == KPI_YAML and "map it" in info.value.fix
    with pytest.raises(KpiError, match="no dimension `device`"):
        fetch(conn, "sessions", dims=["device"])


def test_mapped_column_missing_names_the_mapping(tmp_path):
    mapping = Mapping("revenue", Location("kpi.yaml", 9, 16), column="Purchase revenue")
    with pytest.raises(KpiError) as info:
        fetch(source("ga4_traffic_acquisition.csv", mappings={"revenue": mapping}), "revenue")
    assert info.value.location == mapping.location
    assert "Purchase revenue" in info.value.message and "Total revenue" in info.value.message


# --- bad input -------------------------------------------------------------------------------
def copy_with(tmp_path, name, old, new, count=1):
    text = (FIXTURES / name).read_text("utf-8")
    assert old in text
    (tmp_path / name).write_text(text.replace(old, new, count), "utf-8")
    lines = (tmp_path / name).read_text("utf-8").splitlines()
    line = next(i for i, t in enumerate(lines, 1) if new in t)
    return line, lines[line - 1]


def test_totals_mismatch_names_file_and_line(tmp_path):
    [(header, _, totals)] = blocks("ga4_traffic_acquisition.csv")
    total = col(header, totals[0], "Sessions")
    line, text = copy_with(
        tmp_path, "ga4_traffic_acquisition.csv", f'"{total}"', '"9,999"'
    )  # the Grand total's Sessions
    with pytest.raises(KpiError) as info:
        fetch(source("ga4_traffic_acquisition.csv", root=tmp_path), "sessions")
    error = info.value
    assert error.location == Location(
        "ga4_traffic_acquisition.csv", line, text.index('"9,999"') + 1
    )
    assert "9,999" in error.message and total in error.message


def test_bad_number_names_file_line_and_column(tmp_path):
    line, text = copy_with(tmp_path, "ua_channels.csv", '"4,541"', '"4,5x1"')
    with pytest.raises(KpiError) as info:
        fetch(source("ua_channels.csv", root=tmp_path), "sessions", grain="month")
    error = info.value
    assert error.location == Location("ua_channels.csv", line, text.index('"4,5x1"') + 1)
    assert "`Sessions`" in error.message and "4,5x1" in error.message
    assert "expected a count" in error.message


def test_bad_rate_and_duration(tmp_path):
    line, text = copy_with(tmp_path, "ua_channels.csv", "55.59%", "55.59%%")
    with pytest.raises(KpiError) as info:
        fetch(source("ua_channels.csv", root=tmp_path), "bounces", grain="month")
    assert info.value.location == Location("ua_channels.csv", line, text.index("55.59%%") + 1)
    assert "percentage" in info.value.message
    mapping = Mapping("seconds", KPI_YAML, column="Avg. Session Duration")
    line, text = copy_with(tmp_path, "ua_channels.csv", "00:03:17", "00:03:71")
    with pytest.raises(KpiError) as info:
        seconds = source("ua_channels.csv", root=tmp_path, mappings={"seconds": mapping})
        fetch(seconds, "seconds", grain="month")
    assert info.value.location.line == line and "duration" in info.value.message


def test_bad_date_names_file_line_and_column(tmp_path):
    line, text = copy_with(tmp_path, "ga4_zh_hans.csv", "20240602,Direct", "20241341,Direct")
    with pytest.raises(KpiError) as info:
        fetch(source("ga4_zh_hans.csv", root=tmp_path), "sessions")
    assert info.value.location == Location("ga4_zh_hans.csv", line, 1)
    assert "20241341" in info.value.message and "日期" in info.value.message


def test_row_longer_than_header(tmp_path):
    line, text = copy_with(tmp_path, "ua_channels.csv", "6/3/24,301", "6/3/24,301,7")
    with pytest.raises(KpiError) as info:
        fetch(source("ua_channels.csv", root=tmp_path), "sessions")
    assert info.value.location == Location("ua_channels.csv", line, len("6/3/24,301,") + 1)


def test_empty_file_no_table_and_missing_file(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(KpiError, match="empty") as info:
        source("empty.csv", root=tmp_path).provides()
    assert info.value.location.file == "empty.csv"
    (tmp_path / "comments.csv").write_text("# ----\n# Start date: 20240601\n\n", "utf-8")
    with pytest.raises(KpiError, match="no header row") as info:
        source("comments.csv", root=tmp_path).provides()
    assert info.value.location.file == "comments.csv"
    with pytest.raises(KpiError, match="no file matches `missing.csv`") as info:
        source("missing.csv", root=tmp_path).provides()
    assert info.value.location == KPI_YAML


def test_windows_1252_is_read_and_a_wrong_encoding_names_the_byte(tmp_path):
    text = (FIXTURES / "ga4_fr.csv").read_text("utf-8").replace("\u202f", "\u00a0")
    (tmp_path / "fr.csv").write_bytes(text.encode("cp1252"))  # as Excel saves it on Windows
    detected = fetch(source("fr.csv", root=tmp_path), "sessions", grain="month")
    latin = fetch(source("fr.csv", root=tmp_path, encoding="cp1252"), "sessions", grain="month")
    assert detected.values["sessions"].tolist() == latin.values["sessions"].tolist()
    with pytest.raises(KpiError) as info:
        source("fr.csv", root=tmp_path, encoding="utf-8").provides()
    assert info.value.location.line == 2 and "encoding" in info.value.fix


def test_comparison_exports_are_refused(tmp_path):
    (tmp_path / "cmp.csv").write_text(
        "# Start date: 20240601\n# End date: 20240630\n"
        "Session default channel group,Date range,Sessions\n"
        "Direct,Jun 1 - Jun 30 2024,100\nDirect,May 2 - May 31 2024,90\n",
        "utf-8",
    )
    with pytest.raises(KpiError, match="comparison") as info:
        fetch(source("cmp.csv", root=tmp_path), "sessions", grain="month")
    assert info.value.location == Location("cmp.csv", 3, len("Session default channel group,") + 1)


def test_slash_dates_read_by_the_export_range(tmp_path):
    days = [dt.date(2024, 6, d) for d in range(1, 13)]  # day and month both <= 12
    body = "\n".join(f"{d:%d/%m/%Y},{10 + i}" for i, d in enumerate(days))
    (tmp_path / "uk.csv").write_text(
        "# All Web Site Data\n# Audience Overview\n# 20240601-20240612\n\n"
        f"Day Index,Sessions\n{body}\n",
        "utf-8",
    )
    frame = fetch(source("uk.csv", root=tmp_path), "sessions")
    assert frame.dates.astype(str).tolist() == [d.isoformat() for d in days]
    assert frame.values["sessions"].tolist() == [10.0 + i for i in range(12)]


def test_undated_export_without_start_date(tmp_path):
    (tmp_path / "bare.csv").write_text("Default Channel Grouping,Sessions\nDirect,5\n", "utf-8")
    with pytest.raises(KpiError, match="Start date"):
        fetch(source("bare.csv", root=tmp_path), "sessions", grain="month")


def test_glob_of_monthly_exports(tmp_path):
    for month in ("05", "06"):
        text = (FIXTURES / "ga4_fr.csv").read_text("utf-8")
        text = text.replace("202406", f"2024{month}")
        (tmp_path / f"fr_{month}.csv").write_text(text, "utf-8")
    [(header, rows, _)] = blocks("ga4_fr.csv")
    frame = fetch(source("fr_*.csv", root=tmp_path), "sessions", grain="month")
    total = sum(fr_number(col(header, r, "Sessions")) for r in rows)
    assert frame.dates.astype(str).tolist() == ["2024-05-01", "2024-06-01"]
    assert frame.values["sessions"].tolist() == [total, total]


def test_frame_has_only_what_was_asked():
    frame = fetch(source("ga4_traffic_acquisition.csv"), "sessions", dims=[])
    assert set(frame.values) == {"sessions"} and frame.dims == {}
    assert frame.dates.dtype == np.dtype("datetime64[D]")


# --- the plugin ------------------------------------------------------------------------------
def test_registered_through_the_plugin_manager():
    from kpiengine.connectors.ga_export import GaExportConnector

    pytest.importorskip("kpiengine.connectors.crm")  # the other built-ins may not exist yet
    from kpiengine.plugins import make_plugin_manager, registered

    found = registered(make_plugin_manager(), "register_connectors")["ga_export"]
    assert found.obj is GaExportConnector and found.origin == "built-in"


def test_fixtures_are_shaped_like_exports():
    for path in FIXTURES.iterdir():
        assert path.read_bytes(), path
    text = (FIXTURES / "ga4_traffic_acquisition.csv").read_text("utf-8")
    assert text.startswith("# ----------------------------------------\n")
    assert "# Start date: 20240601" in text and "Grand total," in text


# --- other date columns, GA4 rules, row counts -------------------------------------------------
def test_nth_day_date_hour_and_year_month_tables(tmp_path):
    (tmp_path / "nth.csv").write_text(
        "# Start date: 20240601\n# End date: 20240603\n"
        "Nth day,Sessions\n0000,10\n0001,20\n0002,30\n",
        "utf-8",
    )
    frame = fetch(source("nth.csv", root=tmp_path), "sessions")
    assert frame.dates.astype(str).tolist() == ["2024-06-01", "2024-06-02", "2024-06-03"]
    assert frame.values["sessions"].tolist() == [10.0, 20.0, 30.0]
    (tmp_path / "hours.csv").write_text(
        "Date + hour (YYYYMMDDHH),Sessions\n2024060100,5\n2024060113,7\n2024060200,1\n", "utf-8"
    )
    frame = fetch(source("hours.csv", root=tmp_path), "sessions")
    assert dict(zip(frame.dates.astype(str), frame.values["sessions"], strict=True)) == {
        "2024-06-01": 12.0,
        "2024-06-02": 1.0,
    }
    (tmp_path / "months.csv").write_text(
        "Year month,Session default channel group,Sessions\n202405,Direct,100\n202406,Direct,120\n",
        "utf-8",
    )
    frame = fetch(source("months.csv", root=tmp_path), "sessions", grain="quarter")
    assert frame.dates.astype(str).tolist() == ["2024-04-01"] and frame.values["sessions"] == [220]
    assert frame.date_grain == "month"  # the rows cover their months whole
    weeks = fetch(source("months.csv", root=tmp_path), "sessions", grain="week")
    assert weeks.date_grain == "month"
    assert (
        np.isnan(weeks.values["sessions"]).all()
        and "more than one week" in weeks.missing["sessions"]
    )


def test_jalali_and_written_dates(tmp_path):
    (tmp_path / "fa.csv").write_text(
        "تاریخ,جلسه‌ها\n۱۴۰۳/۰۳/۱۲,۵\n۱۴۰۳/۰۳/۱۳,۷\n", "utf-8"
    )  # the 12th of Khordad 1403 is the 1st of June 2024
    frame = fetch(source("fa.csv", root=tmp_path), "sessions")
    assert frame.dates.astype(str).tolist() == ["2024-06-01", "2024-06-02"]
    (tmp_path / "fr.csv").write_text("Date,Sessions\n1 juin 2024,3\n2 juin 2024,4\n", "utf-8")
    assert fetch(source("fr.csv", root=tmp_path), "sessions").dates.astype(str).tolist() == [
        "2024-06-01",
        "2024-06-02",
    ]


def test_engaged_from_bounce_rate_only_in_ga4(tmp_path):
    body = "Session default channel group,Sessions,Bounce rate\nDirect,200,0.25\nEmail,81,0.5\n"
    (tmp_path / "ga4.csv").write_text(f"# Start date: 20240601\n# End date: 20240601\n{body}")
    (tmp_path / "ua.csv").write_text(f"# All Web Site Data\n# 20240601-20240601\n\n{body}")
    ga4 = source("ga4.csv", root=tmp_path)
    assert ga4.provides() == {"sessions", "bounces", "engaged_sessions"}
    frame = fetch(ga4, "engaged_sessions", "bounces", dims=["channel"])
    assert by_key(frame, "channel") == {
        ("2024-06-01", "Direct"): {"engaged_sessions": 150.0, "bounces": 50.0},
        ("2024-06-01", "Email"): {"engaged_sessions": 41.0, "bounces": 41.0},  # 40.5 rounds up
    }
    assert source("ua.csv", root=tmp_path).provides() == {"sessions", "bounces"}


def test_count_mapping_counts_rows():
    [(_, rows, _)] = blocks("ga4_traffic_acquisition.csv")
    mapping = Mapping("channels", KPI_YAML, count=True)
    frame = fetch(source("ga4_traffic_acquisition.csv", mappings={"channels": mapping}), "channels")
    per_day: dict = {}
    for row in rows:
        per_day[ymd(row[0])] = per_day.get(ymd(row[0]), 0) + 1
    assert dict(zip(frame.dates.astype(str), frame.values["channels"], strict=True)) == per_day


def test_slash_dates_follow_the_interface_language_when_nothing_else_tells(tmp_path):
    head = "# All Web Site Data\n# 20240101-20241231\n\n"
    (tmp_path / "en.csv").write_text(f"{head}Day Index,Sessions\n1/2/24,1\n1/3/24,2\n", "utf-8")
    (tmp_path / "fr.csv").write_text(f"{head}Index des jours,Sessions\n1/2/24,1\n1/3/24,2\n")
    english = fetch(source("en.csv", root=tmp_path), "sessions").dates.astype(str).tolist()
    french = fetch(source("fr.csv", root=tmp_path), "sessions").dates.astype(str).tolist()
    assert english == ["2024-01-02", "2024-01-03"]  # month/day/year
    assert french == ["2024-02-01", "2024-03-01"]  # day/month/year


# --- big exports: read a table, a column, a distinct value at a time --------------------------
def big_export(rows, seed=7):
    """A GA4 export of `rows` rows (date x channel x source), its Grand total row first: its
    lines (data row i on line 7 + i) and the rows as (day, channel, users, sessions, engaged)."""
    rng = np.random.default_rng(seed)
    channels = ["Organic Search", "Direct", "Paid Search", "Referral", "Email"]
    data = []
    for i in range(rows):
        sessions = int(rng.integers(1, 5000))
        engaged = int(sessions * rng.uniform(0.3, 0.8))
        day = dt.date(2024, 1, 1) + dt.timedelta(days=int(i * 180 / rows))
        data.append((day, channels[i % 5], int(sessions * 0.8), sessions, engaged))
    head = [
        "# ----------------------------------------",
        "# Traffic acquisition: Session default channel group",
        "# Start date: 20240101",
        "# End date: 20240629",
        "Date,Session default channel group,Session source,Users,Sessions,Engaged sessions,"
        "Engagement rate",
    ]
    total = [sum(r[k] for r in data) for k in (2, 3, 4)]
    lines = [*head, f'Grand total,,,"{total[0]:,}","{total[1]:,}","{total[2]:,}",55.00%']
    for day, channel, users, sessions, engaged in data:
        rate = f"{engaged / sessions:.2%}"
        lines.append(
            f'{day:%Y%m%d},{channel},source{sessions % 97},"{users:,}","{sessions:,}",'
            f'"{engaged:,}",{rate}'
        )
    return lines, data


def test_big_export_matches_plain_python(tmp_path):
    lines, data = big_export(40_000)
    (tmp_path / "big.csv").write_text("\n".join(lines) + "\n", "utf-8")
    conn = source("big.csv", root=tmp_path)
    frame = fetch(conn, "sessions", "visitors", "engaged_sessions", "bounces", dims=["channel"])
    expected = {}
    for line in lines[6:]:
        [day, channel, _, users, sessions, engaged, rate] = next(csv.reader([line]))
        key = (ymd(day), channel)
        got = expected.setdefault(key, dict.fromkeys(frame.values, 0.0))
        got["sessions"] += en(sessions)
        got["visitors"] += en(users)
        got["engaged_sessions"] += en(engaged)
        got["bounces"] += half_up((1 - pct(rate)) * en(sessions))
    assert by_key(frame, "channel") == expected
    [table] = conn.exports()[0].tables
    assert [total.line for total in table.file.totals] == [6]


def test_big_export_errors_name_the_line_and_column(tmp_path):
    lines, data = big_export(30_000)
    sessions = f'"{data[20_000][3]:,}"'  # lines[6 + i] holds data[i]
    lines[6 + 20_000] = lines[6 + 20_000].replace(sessions, '"12x"')
    (tmp_path / "big.csv").write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(KpiError) as info:
        fetch(source("big.csv", root=tmp_path), "sessions", "visitors")
    column = lines[6 + 20_000].index('"12x"') + 1
    assert info.value.location == Location("big.csv", 7 + 20_000, column)
    assert "`12x`" in info.value.message
    lines, _ = big_export(30_000)
    lines[6 + 25_000] = lines[6 + 25_000].replace("2024", "2O24", 1)
    (tmp_path / "big.csv").write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(KpiError) as info:
        fetch(source("big.csv", root=tmp_path), "sessions")
    assert info.value.location == Location("big.csv", 7 + 25_000, 1)
    assert "2O24" in info.value.message


def test_a_quote_left_open_is_an_error_at_its_place(tmp_path):
    (tmp_path / "open.csv").write_text(
        'Date,Sessions,Users\n20240601,"54\n20240602,7,"1,234"\n', "utf-8"
    )  # the quote opened on line 2 closes on line 3, then text follows it
    with pytest.raises(KpiError, match="text follows the closing quote") as info:
        fetch(source("open.csv", root=tmp_path), "sessions", "visitors")
    assert info.value.location == Location("open.csv", 2, 10)


# --- average session duration: the sessions-weighted average of the rows ----------------------
@pytest.mark.parametrize(
    ("name", "column"),
    [
        ("ga4_traffic_acquisition.csv", "Average engagement time per session"),
        ("ua_channels.csv", "Avg. Session Duration"),
    ],
)
def test_average_session_duration_weighs_rows_by_sessions(tmp_path, name, column):
    import shutil

    from kpiengine import evaluate, load_workspace

    root = tmp_path / "ws"
    root.mkdir()
    shutil.copy(FIXTURES / name, root / "ga.csv")
    (root / "kpi.yaml").write_text(
        "grain: month\nsources:\n  ga:\n    connector: ga_export\n    path: ga.csv\n    table: 1\n",
        "utf-8",
    )
    # the export's first table as csv reads it: rows with a dimension, not the totals row
    lines = (FIXTURES / name).read_text("utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if column in line)
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    table = list(csv.DictReader(lines[start:end]))
    dim = next(h for h in table[0] if "hannel" in h)
    rows = [r for r in table if r[dim] and r[next(iter(r))] not in TOTAL_WORDS]
    by_channel: dict[str, list[float]] = {}
    for r in rows:
        pair = by_channel.setdefault(r[dim], [0.0, 0.0])
        pair[0] += seconds(r[column]) * en(r["Sessions"])
        pair[1] += en(r["Sessions"])
    total_time = sum(p[0] for p in by_channel.values())
    total_sessions = sum(p[1] for p in by_channel.values())
    mean_of_averages = sum(seconds(r[column]) for r in rows) / len(rows)
    assert abs(total_time / total_sessions - mean_of_averages) > 1  # the test can tell them apart

    results = evaluate(load_workspace(root), kpis=["average_session_duration"], by=["channel"])
    records = [r for r in results.records() if r["kpi"] == "average_session_duration"]
    [total] = [r for r in records if not r["segment"]]
    assert total["period"] == "2024-06"
    assert total["value"] == pytest.approx(total_time / total_sessions)
    got = {r["segment"]["channel"]: r["value"] for r in records if r["segment"]}
    assert got == pytest.approx({c: t / s for c, (t, s) in by_channel.items()})
