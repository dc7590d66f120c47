"""The ga_export connector on localized preambles, totals of unread columns, durations written as
seconds, and the `date_format` option.

Expected values are computed here from the fixture text (csv module, by hand), not by kpiengine.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from kpiengine.connector import Request, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.model import Aggregate

PERSIAN = str.maketrans("۰۱۲۳۴۵۶۷۸۹٫٬٪", "0123456789.,%")
TABLE = """\
Session primary channel group (Default Channel Group),Sessions,Engaged sessions
Organic Search,1800,1100
Direct,1300,800
"""


def _source(root, text, **options):
    from kpiengine.connectors.ga_export import GaExportConnector

    (root / "ga.csv").write_text(text, "utf-8")
    config = SourceConfig(
        name="ga",
        connector="ga_export",
        root=root,
        location=Location("kpi.yaml", 3, 5),
        options={"path": "ga.csv", **options},
    )
    return GaExportConnector(config)


def _fetch(conn, *variables, grain="month"):
    return conn.fetch(Request({v: Aggregate() for v in variables}, grain, [], None, None))


def _table(text, first_header):
    """Header and data rows (no totals) of the table whose header starts with `first_header`."""
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    start = next(i for i, line in enumerate(lines) if line.startswith(first_header))
    header, *rows = list(csv.reader(io.StringIO("\n".join(lines[start:]))))
    return header, rows


# --- 2. localized preamble keys ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("開始日", "終了日"),  # Japanese
        ("Дата начала", "Дата окончания"),  # Russian
        ("Startdatum", "Enddatum"),  # German
        ("Startdatum", "Einddatum"),  # Dutch
        ("Fecha de inicio", "Fecha de finalización"),  # Spanish
        ("Data di inizio", "Data di fine"),  # Italian
        ("Data de início", "Data de término"),  # Portuguese
        ("시작일", "종료일"),  # Korean
        ("开始日期", "结束日期"),  # Chinese
    ],
)
def test_localized_preamble_dates_date_an_undated_table(tmp_path, start, end):
    """Was (ja, ru): `the table has no Date column and the file no # Start date line`."""
    text = f"# Demo\n# {start}: 20250101\n# {end}: 20250131\n{TABLE}"
    conn = _source(tmp_path, text)
    frame = _fetch(conn, "sessions")
    assert frame.span == (dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    assert frame.dates.astype(str).tolist() == ["2025-01-01"]
    assert frame.values["sessions"].tolist() == [1800 + 1300]
    assert conn.exports()[0].ga4  # the dates' keys say GA4


def test_german_preamble_is_ga4_and_gets_its_sessions_tolerance(tmp_path):
    """Was: `# Startdatum:` unknown to the connector, so the file was taken for UA and its
    sessions held to rounding: 3 x 340 = 1020 against a total of 1000 failed. GA4 counts
    sessions approximately (2%: 20 of 1000)."""
    text = (
        "# Free form 1\n# Startdatum: 20250101\n# Enddatum: 20250103\n"
        "Datum,Sitzungen\n,1000,Summe\n20250101,340\n20250102,340\n20250103,340\n"
    )
    conn = _source(tmp_path, text, headers={"Datum": "Date", "Sitzungen": "Sessions"})
    frame = _fetch(conn, "sessions", grain="day")
    assert frame.values["sessions"].tolist() == [340.0, 340.0, 340.0]


def test_headers_option_translates_preamble_keys(tmp_path):
    """Keys GA writes in a language not built in (Turkish here) are translated by `headers:`
    as headers are; they give the export's range."""
    text = f"# Demo\n# Başlangıç tarihi: 20250101\n# Bitiş tarihi: 20250115\n{TABLE}"
    headers = {"Başlangıç tarihi": "Start date", "Bitiş tarihi": "End date"}
    frame = _fetch(_source(tmp_path, text, headers=headers), "sessions")
    assert frame.span == (dt.date(2025, 1, 1), dt.date(2025, 1, 15))
    with pytest.raises(KpiError, match="no `# Start date` line"):
        _fetch(_source(tmp_path, text), "sessions")


# --- 3. totals of the columns read ---------------------------------------------------------------
PAGES = """\
# Free form 1
# Start date: 20250101
# End date: 20250131
Page path and screen class,Views,Sessions,Active users
,5000,1500,1200,Grand total
/,2500,1200,1000
/pricing,1500,700,600
/blog/post,1000,500,400
"""


def test_totals_are_checked_on_the_columns_read_only(tmp_path):
    """Sessions by page do not add up (a session views several pages): pageviews alone must
    not fail on them; sessions read still are checked, with a whole count of rows."""
    header, rows = _table(PAGES, "Page path")
    data = [r for r in rows if r[0]]
    views = sum(float(r[header.index("Views")]) for r in data)
    sessions = sum(float(r[header.index("Sessions")]) for r in data)
    assert (views, sessions) == (5000, 2400)
    conn = _source(tmp_path, PAGES)
    assert _fetch(conn, "pageviews").values["pageviews"].tolist() == [views]
    with pytest.raises(KpiError) as caught:
        _fetch(conn, "sessions")
    message = str(caught.value)
    assert "ga.csv:5:" in message  # the totals row's line
    assert "Sessions = 1,500 but the 3 rows" in message and "add up to 2,400" in message


# --- 4. durations as seconds ---------------------------------------------------------------------
FRENCH_RAW = """\
# Acquisition de trafic
# Date de début : 20250101
# Date de fin : 20250131
Groupe de canaux par défaut de la session,Sessions,Durée d'engagement moyenne par session
Organic Search,1800,50.123
Direct,1300,45.75
"""


def test_french_export_with_seconds_written_with_a_point(tmp_path):
    """Was: `expected a duration ... found 50.123`: the durations did not vote for the decimal
    mark, and French defaults to `,`. `45.75` can only be read with `.`."""
    header, rows = _table(FRENCH_RAW, "Groupe")
    expected = sum(
        float(r[header.index("Sessions")])
        * float(r[header.index("Durée d'engagement moyenne par session")])
        for r in rows
    )
    assert expected == pytest.approx(1800 * 50.123 + 1300 * 45.75)
    frame = _fetch(_source(tmp_path, FRENCH_RAW), "session_duration")
    assert frame.values["session_duration"].tolist() == [pytest.approx(expected)]


PERSIAN_FILE = """\
# جذب ترافیک
# تاریخ شروع: ۲۰۲۵۰۱۰۱
# تاریخ پایان: ۲۰۲۵۰۱۳۱
گروه کانال پیش‌فرض جلسه,جلسه‌ها,میانگین زمان تعامل در هر جلسه
Organic Search,"۱٬۸۰۰","۵۰٫۲۵"
Direct,"۱٬۳۰۰","۴۵٫۷۵"
"""


def test_persian_seconds_with_the_arabic_decimal_separator(tmp_path):
    """Was: `expected a duration ... found ۵۰٫۲۵`."""
    header, rows = _table(PERSIAN_FILE.translate(PERSIAN), "گروه")
    expected = sum(float(r[1].replace(",", "")) * float(r[2]) for r in rows)
    assert expected == 1800 * 50.25 + 1300 * 45.75
    frame = _fetch(_source(tmp_path, PERSIAN_FILE), "session_duration")
    assert frame.values["session_duration"].tolist() == [expected]


# --- 5. the date_format option ------------------------------------------------------------------
KOREAN = """\
# 모든 웹사이트 데이터
# 20240601-20240603
일 색인,세션
24. 6. 1.,800
24. 6. 2.,900
24. 6. 3.,800
,"2,500"
"""


def test_date_format_option_reads_the_date_column(tmp_path):
    """Was: the error suggested `date_format`, which the connector then refused."""
    headers = {"일 색인": "Day Index", "세션": "Sessions"}
    with pytest.raises(KpiError) as caught:
        _fetch(_source(tmp_path, KOREAN, headers=headers), "sessions", grain="day")
    assert "ga.csv:4:" in str(caught.value) and "date_format" in caught.value.fix
    conn = _source(tmp_path, KOREAN, headers=headers, date_format="%y. %m. %d.")
    frame = _fetch(conn, "sessions", grain="day")
    assert frame.dates.astype(str).tolist() == ["2024-06-01", "2024-06-02", "2024-06-03"]
    assert frame.values["sessions"].tolist() == [800.0, 900.0, 800.0]
    with pytest.raises(KpiError, match="`date_format` is a strptime format"):
        _source(tmp_path, KOREAN, date_format=5)


# --- the export's date range says how far a dated table goes -----------------------------------
def test_a_daily_export_ending_before_its_end_date_covers_its_range(tmp_path):
    """GA4 leaves out days without sessions: rows ending on 20 February in an export whose
    `# End date:` is 29 February still cover February whole (not 20 of 29 days)."""
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(51)]  # to 20 February
    rows = [f"{d:%Y%m%d},Email,10" for d in days]
    text = (
        "# Start date: 20240101\n# End date: 20240229\n"
        "Date,Session default channel group,Sessions\n" + "\n".join(rows) + "\n"
    )
    frame = _fetch(_source(tmp_path, text), "sessions")
    assert frame.covered() == (dt.date(2024, 1, 1), dt.date(2024, 2, 29))
    assert frame.values["sessions"].sum() == 10 * len(days)


def test_the_same_report_saved_twice_under_one_glob_is_an_error(tmp_path):
    """`jan.csv` and `jan (1).csv` (a download saved twice) would add January up twice."""
    from kpiengine.connectors.ga_export import GaExportConnector

    month = (
        "# Start date: 20240101\n# End date: 20240131\n"
        "Session default channel group,Sessions\nEmail,100\nDirect,50\n"
    )
    (tmp_path / "exports").mkdir()
    for name in ("jan.csv", "jan (1).csv"):
        (tmp_path / "exports" / name).write_text(month, "utf-8")
    february = month.replace("20240101", "20240201").replace("20240131", "20240229")
    (tmp_path / "exports" / "feb.csv").write_text(february, "utf-8")
    config = SourceConfig(
        name="ga",
        connector="ga_export",
        root=tmp_path,
        location=Location("kpi.yaml", 3, 5),
        options={"path": "exports/*.csv"},
    )
    with pytest.raises(KpiError) as info:
        _fetch(GaExportConnector(config), "sessions")
    assert "overlap (2024-01-01 to 2024-01-31)" in info.value.message
    assert "`exports/jan (1).csv`" in info.value.message
    (tmp_path / "exports" / "jan (1).csv").unlink()
    frame = _fetch(GaExportConnector(config), "sessions")
    assert frame.values["sessions"].sum() == 2 * 150
