"""`ga_export`: exports by a time dimension other than Date (Year month, ISO week, Month, Nth
week...) are read as their periods; hour and day of week are segments.

Was: such an export was one `range` period (its time split ignored). Expected values are
computed here from the fixture text with the csv module and `datetime`, not by kpiengine.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from kpiengine.cli import cli
from kpiengine.connector import NoDailyValues, Request, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.model import DISTINCT, Aggregate
from kpiengine.periods import Calendar

FIXTURES = Path(__file__).parent / "fixtures" / "ga"
PERSIAN = str.maketrans("۰۱۲۳۴۵۶۷۸۹٬", "0123456789,")
SUNDAY = Calendar(week_start="sunday")


def _source(path, root=FIXTURES, dimensions=None, **options):
    from kpiengine.connectors.ga_export import GaExportConnector

    config = SourceConfig(
        name="ga",
        connector="ga_export",
        root=root,
        location=Location("kpi.yaml", 3, 5),
        options={"path": path, **options},
        dimensions=dimensions or {},
    )
    return GaExportConnector(config)


def _fetch(conn, *variables, grain="month", dims=(), calendar=None, distinct=()):
    rules = {v: Aggregate(time=DISTINCT) if v in distinct else Aggregate() for v in variables}
    return conn.fetch(Request(rules, grain, list(dims), None, None, calendar or Calendar()))


def _series(frame, variable="sessions", *dims):
    """{(date, *dimension values): value} of a frame."""
    return {
        (str(day), *(str(frame.dims[d][i]) for d in dims)): float(frame.values[variable][i])
        for i, day in enumerate(frame.dates.astype(str))
    }


def _rows(name, encoding="utf-8"):
    """Header, data rows and the line of each data row of a fixture's first table (csv)."""
    lines = (FIXTURES / name).read_text(encoding).lstrip("\ufeff").splitlines()
    start = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    header, *rows = csv.reader(lines[start:end])
    numbers = range(start + 2, end + 1)
    kept = [(r, n) for r, n in zip(rows, numbers, strict=True) if r[0] and r[0] != "Grand total"]
    return header, [r for r, _ in kept], [n for _, n in kept]


def _sum(rows, header, column, key, number=float):
    """Sums of a column by key(row)."""
    out: dict = defaultdict(float)
    for row in rows:
        out[key(row)] += number(row[header.index(column)])
    return dict(out)


def _left_out(frame, variable="sessions"):
    """Why the connector left a variable out; its values must all be missing."""
    assert len(frame) and np.isnan(frame.values[variable]).all()
    return frame.missing[variable]


def _write(root, name, text):
    (root / name).write_text(text, "utf-8")
    return name


# --- Year month -------------------------------------------------------------------------------
YEAR_MONTH = "ga4_exploration_year_month.csv"


def _month(text):
    return f"{text[:4]}-{text[4:]}-01"


def test_year_month_exploration_by_month_quarter_and_year():
    header, rows, _ = _rows(YEAR_MONTH)
    conn = _source(YEAR_MONTH)
    by_month = _sum(rows, header, "Sessions", lambda r: (_month(r[0]),))
    assert _series(_fetch(conn, "sessions")) == by_month
    assert len(by_month) == 3
    by_channel = _sum(rows, header, "Engaged sessions", lambda r: (_month(r[0]), r[1]))
    frame = _fetch(conn, "engaged_sessions", dims=["channel"])
    assert _series(frame, "engaged_sessions", "channel") == by_channel
    assert frame.span == (dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    total = sum(by_month.values())
    assert total == 109528  # the Grand total row
    for grain in ("quarter", "year"):
        rolled = _fetch(conn, "sessions", grain=grain)
        assert _series(rolled) == {("2024-01-01",): total}


def test_year_month_users_per_row_and_from_the_totals_row():
    header, rows, _ = _rows(YEAR_MONTH)
    conn = _source(YEAR_MONTH)
    per_row = _sum(rows, header, "Total users", lambda r: (_month(r[0]), r[1]))
    frame = _fetch(conn, "visitors", dims=["channel"], distinct={"visitors"})
    assert _series(frame, "visitors", "channel") == per_row
    # a month's users are not the sum of its channels' (people visit through several)
    months = _fetch(conn, "visitors", distinct={"visitors"})
    assert np.isnan(months.values["visitors"]).all()
    quarter = _fetch(conn, "visitors", grain="quarter", distinct={"visitors"})
    assert quarter.values["visitors"][quarter.totals].tolist() == [71711.0]


def test_year_month_refuses_a_finer_grain_naming_the_first_row():
    """Weeks: the variables are left out, saying why (their KPIs undefined, other sources
    stand); days: `NoDailyValues` (the engine leaves a partial month unprojected)."""
    _, rows, lines = _rows(YEAR_MONTH)
    first = lines[next(i for i, r in enumerate(rows) if r[0] == "202401")]
    conn = _source(YEAR_MONTH)
    why = _left_out(_fetch(conn, "sessions", grain="week"))
    assert why.startswith("`Year month` `202401` covers 2024-01-01 to 2024-01-31 (")
    assert f"({YEAR_MONTH}:{first}:1), more than one week" in why
    assert "export the report by `Date`" in why
    with pytest.raises(NoDailyValues) as day:
        _fetch(conn, "sessions", grain="day")
    assert day.value.location == Location(YEAR_MONTH, first, 1)
    assert "more than one day" in day.value.message


def test_year_month_through_the_cli(write_workspace):
    """`--grain month` on a Year month export ending mid-March: three months, March partial
    and not projected (no daily values); `--grain week`: undefined, with a warning naming the
    row."""
    header, rows, _ = _rows(YEAR_MONTH)
    root = write_workspace(
        {"raw": "kpis:\n  k_sessions: {formula: sessions, unit: sessions, format: number}\n"},
        "grain: month\nsources:\n  ga:\n    connector: ga_export\n    path: ga.csv\n",
    )
    text = (FIXTURES / YEAR_MONTH).read_text("utf-8")
    (root / "ga.csv").write_text(text.replace("20240331", "20240315"), "utf-8")
    run = ["eval", "--workspace", str(root), "--kpi", "k_sessions"]
    result = CliRunner().invoke(cli, [*run, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    got = {r["period"]: r for r in json.loads(result.stdout) if not r["segment"]}
    expected = _sum(rows, header, "Sessions", lambda r: f"{r[0][:4]}-{r[0][4:]}")
    assert {p: r["value"] for p, r in got.items()} == expected
    assert got["2024-02"]["complete"] and not got["2024-03"]["complete"]
    assert got["2024-03"]["projected"] is None
    weekly = CliRunner().invoke(cli, [*run, "--grain", "week", "--format", "json"])
    assert weekly.exit_code in (0, 1), weekly.output
    assert all(r["value"] is None for r in json.loads(weekly.stdout))
    assert "KPI015" in weekly.stderr and "(ga.csv:" in weekly.stderr
    assert "more than one week" in weekly.stderr
    lint = CliRunner().invoke(cli, ["lint", "--workspace", str(root)])
    assert lint.exit_code in (0, 1) and "Traceback" not in lint.output, lint.output


# --- Month without its year (French) ----------------------------------------------------------
MOIS = "ga4_fr_mois.csv"


def test_french_month_without_year_takes_it_from_the_range():
    """`Mois` 11, 12, 01, 02 over 2023-11-01 to 2024-02-29: each number is one month."""
    header, rows, _ = _rows(MOIS)
    year = {"11": 2023, "12": 2023, "01": 2024, "02": 2024}
    by_month = _sum(rows, header, "Sessions", lambda r: (f"{year[r[0]]}-{r[0]}-01",))
    frame = _fetch(_source(MOIS), "sessions")
    assert _series(frame) == by_month
    assert frame.span == (dt.date(2023, 11, 1), dt.date(2024, 2, 29))
    by_year = _sum(rows, header, "Sessions", lambda r: (f"{year[r[0]]}-01-01",))
    assert _series(_fetch(_source(MOIS), "sessions", grain="year")) == by_year
    assert sum(by_year.values()) == 37508  # the totals row


def test_french_month_over_two_years_is_an_error_naming_what_to_export(tmp_path):
    text = (FIXTURES / MOIS).read_text("utf-8")
    two_years = text.replace("20231101", "20230101").replace("20240229", "20241231")
    conn = _source(_write(tmp_path, MOIS, two_years), root=tmp_path)
    with pytest.raises(KpiError) as info:
        _fetch(conn, "sessions")
    _, rows, lines = _rows(MOIS)
    assert info.value.location.file == MOIS
    assert info.value.location.line == lines[next(i for i, r in enumerate(rows) if r[0] == "01")]
    assert "`Mois` numbers months without their year, and `01` falls in 2 years" in (
        info.value.message
    )
    assert "export `Année et mois` (Year month) instead of `Mois`" in info.value.fix
    # the range as one period needs no year
    whole = Calendar().for_range(dt.date(2023, 1, 1), dt.date(2024, 12, 31))
    assert _fetch(conn, "sessions", grain="range", calendar=whole).values["sessions"] == [37508]
    no_range = "\n".join(line for line in text.splitlines() if "Date de" not in line) + "\n"
    bare = _source(_write(tmp_path, "bare.csv", no_range), root=tmp_path)
    with pytest.raises(KpiError, match="no `# Start date` and `# End date` lines"):
        _fetch(bare, "sessions")


# --- ISO weeks, Nth week, Week and Year week ----------------------------------------------------
ISO_WEEK = "ga4_exploration_iso_week.csv"


def test_iso_weeks_are_weeks_of_a_monday_calendar():
    header, rows, lines = _rows(ISO_WEEK)
    monday = lambda text: dt.date.fromisocalendar(int(text[:4]), int(text[4:]), 1).isoformat()  # noqa: E731
    by_week = _sum(rows, header, "Sessions", lambda r: (monday(r[0]), r[1]))
    conn = _source(ISO_WEEK)
    weekly = _fetch(conn, "sessions", grain="week", dims=["device"])
    assert _series(weekly, "sessions", "device") == by_week
    quarter = _fetch(conn, "sessions", grain="quarter")
    assert quarter.values["sessions"].tolist() == [sum(by_week.values())] == [88938.0]
    # week 5 runs from 29 January to 4 February: no month holds it
    first = lines[next(i for i, r in enumerate(rows) if r[0] == "202405")]
    why = _left_out(_fetch(conn, "sessions"))
    assert f"`202405` covers 2024-01-29 to 2024-02-04 ({ISO_WEEK}:{first}:1), more than one " in (
        why
    )
    # a Sunday calendar's weeks do not hold ISO weeks either
    assert "more than one week" in _left_out(
        _fetch(conn, "sessions", grain="week", calendar=SUNDAY)
    )


NTH_WEEK = "ga4_report_nth_week.csv"


def test_nth_week_chart_of_a_report_from_a_sunday():
    """The report's chart by week (0000 = 7 to 13 January 2024, a Sunday to a Saturday), then
    its table by channel."""
    text = (FIXTURES / NTH_WEEK).read_text("utf-8-sig")
    chart = [line.split(",") for line in text.splitlines() if line[:4].isdigit()]
    start = dt.date(2024, 1, 7)
    expected = {((start + dt.timedelta(weeks=int(n))).isoformat(),): float(s) for n, s in chart}
    conn = _source(NTH_WEEK)
    assert _series(_fetch(conn, "sessions", grain="week", calendar=SUNDAY)) == expected
    # Monday weeks cannot be told from it: the channel table's one range period instead
    monday = _fetch(conn, "sessions", grain="week")
    assert monday.grain == "range" and monday.values["sessions"].tolist() == [31312.0]
    assert sum(expected.values()) == 31312  # the table's Grand total
    chart_only = _source(NTH_WEEK, table=1)
    why = _left_out(_fetch(chart_only, "sessions"))
    assert why.startswith("`Nth week` `0003` covers 2024-01-28 to 2024-02-03 (counted from ")
    assert f"({NTH_WEEK}:14:1)" in why
    assert _fetch(chart_only, "sessions", grain="quarter").values["sessions"].tolist() == [31312]


def test_week_without_year_and_year_week_are_sunday_weeks_cut_at_new_year(tmp_path):
    head = "# Free form 1\n#\n# All Users\n# Start date: {}\n# End date: {}\n"
    weeks = head.format("20240107", "20240203") + "Week,Sessions\n02,10\n03,20\n04,30\n05,40\n"
    conn = _source(_write(tmp_path, "weeks.csv", weeks), root=tmp_path)
    assert _series(_fetch(conn, "sessions", grain="week", calendar=SUNDAY)) == {
        ("2024-01-07",): 10.0,
        ("2024-01-14",): 20.0,
        ("2024-01-21",): 30.0,
        ("2024-01-28",): 40.0,
    }
    assert "set `week_start: sunday`" in _left_out(_fetch(conn, "sessions", grain="week"))
    # 2023's week 53 is Sunday 31 December alone, 2024's week 01 Monday 1 to Saturday 6 January:
    # one Sunday week together
    cut = head.format("20231231", "20240106") + "Year week,Sessions\n202353,7\n202401,5\n"
    conn = _source(_write(tmp_path, "cut.csv", cut), root=tmp_path)
    assert _series(_fetch(conn, "sessions", grain="week", calendar=SUNDAY)) == {
        ("2023-12-31",): 12.0
    }
    assert _series(_fetch(conn, "sessions", grain="year")) == {
        ("2023-01-01",): 7.0,
        ("2024-01-01",): 5.0,
    }


# --- Nth month, Year and Month columns, API names, Date hour and minute ------------------------
def test_nth_month_is_months_only_from_the_first_of_a_month(tmp_path):
    head = "# Traffic acquisition\n#\n# All Users\n# Start date: {}\n# End date: {}\n"
    body = "Nth month,Sessions\n0000,100\n0001,200\n0002,300\n"
    months = _source(_write(tmp_path, "m.csv", head.format("20240101", "20240331") + body),
                     root=tmp_path)  # fmt: skip
    assert _series(_fetch(months, "sessions")) == {
        ("2024-01-01",): 100.0,
        ("2024-02-01",): 200.0,
        ("2024-03-01",): 300.0,
    }
    mid = _source(_write(tmp_path, "mid.csv", head.format("20240115", "20240414") + body),
                  root=tmp_path)  # fmt: skip
    why = _left_out(_fetch(mid, "sessions"))
    assert "counted from the range's start, 2024-01-15" in why
    assert "export `Year month` instead" in why
    assert "only when the range starts on the 1st of a month" in why
    bare = _source(_write(tmp_path, "bare.csv", body), root=tmp_path)
    with pytest.raises(KpiError, match="counts from the start date, but the export has no"):
        _fetch(bare, "sessions")


def test_year_and_month_columns_narrow_each_other(tmp_path):
    text = (
        "# Free form 1\n# Start date: 20231201\n# End date: 20240229\n"
        "Year,Month,Sessions,Total users\n2024,01,50,40\n2023,12,70,60\n2024,02,30,25\n"
        ",,150,110,Grand total\n"
    )
    conn = _source(_write(tmp_path, "ym.csv", text), root=tmp_path)
    assert _series(_fetch(conn, "sessions")) == {
        ("2023-12-01",): 70.0,
        ("2024-01-01",): 50.0,
        ("2024-02-01",): 30.0,
    }
    users = _fetch(conn, "visitors", distinct={"visitors"})
    assert users.values["visitors"].tolist() == [60.0, 40.0, 25.0]


def test_api_names_as_headers(tmp_path):
    """A CSV written from the Data API names its columns by their API names."""
    months = "yearMonth,sessionDefaultChannelGroup,sessions,screenPageViews\n"
    months += "202405,Direct,100,300\n202405,Email,20,45\n202406,Direct,120,310\n"
    conn = _source(_write(tmp_path, "api.csv", months), root=tmp_path)
    frame = _fetch(conn, "sessions", "pageviews", dims=["channel"])
    assert _series(frame, "pageviews", "channel") == {
        ("2024-05-01", "Direct"): 300.0,
        ("2024-05-01", "Email"): 45.0,
        ("2024-06-01", "Direct"): 310.0,
    }
    assert frame.covered() == (dt.date(2024, 5, 1), dt.date(2024, 6, 30))  # whole months
    weeks = "isoYearIsoWeek,sessions\n202452,5\n202501,6\n"
    conn = _source(_write(tmp_path, "weeks.csv", weeks), root=tmp_path)
    assert _series(_fetch(conn, "sessions", grain="week")) == {
        ("2024-12-23",): 5.0,
        ("2024-12-30",): 6.0,
    }
    hours = "dateHourMinute,sessions\n202406011305,2\n202406012359,3\n202406020000,4\n"
    conn = _source(_write(tmp_path, "minutes.csv", hours), root=tmp_path)
    assert _series(_fetch(conn, "sessions", grain="day")) == {
        ("2024-06-01",): 5.0,
        ("2024-06-02",): 4.0,
    }


# --- Persian and Chinese; hour of day as a segment ----------------------------------------------
def test_persian_year_month_with_persian_digits():
    header, rows, _ = _rows("ga4_fa_year_month.csv")
    number = lambda text: float(text.translate(PERSIAN).replace(",", ""))  # noqa: E731
    expected = _sum(rows, header, "جلسه‌ها", lambda r: (_month(r[0]),), number)
    conn = _source("ga4_fa_year_month.csv")
    assert conn.exports()[0].language == "fa"
    assert _series(_fetch(conn, "sessions")) == expected
    assert sum(expected.values()) == 22664  # the totals row, ۲۲٬۶۶۴
    key_events = _sum(rows, header, "رویدادهای کلیدی", lambda r: (_month(r[0]),), number)
    assert _series(_fetch(conn, "conversions"), "conversions") == key_events


def test_hour_of_day_is_a_segment_summed_over_by_default():
    header, rows, _ = _rows("ga4_zh_year_month_hour.csv")
    conn = _source("ga4_zh_year_month_hour.csv")
    by_month = _sum(rows, header, "会话数", lambda r: (_month(r[0]),))
    assert _series(_fetch(conn, "sessions")) == by_month
    assert sum(by_month.values()) == 30342  # the 总计 row
    # users are counted per (month, hour) row: never added up over hours
    users = _fetch(conn, "visitors", distinct={"visitors"})
    assert np.isnan(users.values["visitors"]).all()
    named = _source("ga4_zh_year_month_hour.csv", dimensions={"hour": "小时"})
    by_hour = _fetch(named, "sessions", "visitors", dims=["hour"], distinct={"visitors"})
    assert _series(by_hour, "sessions", "hour") == _sum(
        rows, header, "会话数", lambda r: (_month(r[0]), r[1])
    )
    assert _series(by_hour, "visitors", "hour") == _sum(
        rows, header, "活跃用户", lambda r: (_month(r[0]), r[1])
    )


def test_day_of_week_is_a_segment(tmp_path):
    text = (
        "# Free form 1\n# Start date: 20240601\n# End date: 20240630\n"
        "Day of week name,Sessions,Total users\nSaturday,500,400\nMonday,700,520\n"
        "Sunday,450,380\n,1650,1100,Grand total\n"
    )
    conn = _source(_write(tmp_path, "dow.csv", text), root=tmp_path,
                   dimensions={"weekday": "Day of week name"})  # fmt: skip
    frame = _fetch(conn, "sessions", "visitors", distinct={"visitors"})
    assert frame.values["sessions"][~frame.totals].tolist() == [1650.0]
    assert frame.values["visitors"][frame.totals].tolist() == [1100.0]  # the totals row
    assert np.isnan(frame.values["visitors"][~frame.totals]).all()  # not 400 + 520 + 380
    by_day = _fetch(conn, "sessions", dims=["weekday"])
    assert _series(by_day, "sessions", "weekday") == {
        ("2024-06-01", "Monday"): 700.0,
        ("2024-06-01", "Saturday"): 500.0,
        ("2024-06-01", "Sunday"): 450.0,
    }


# --- bad cells and headers ------------------------------------------------------------------------
def test_a_bad_week_names_its_line_and_column(tmp_path):
    text = (
        "# Free form 1\n# Start date: 20240101\n# End date: 20240303\n"
        "Device category,ISO week of ISO year,Sessions\nmobile,202401,5\ndesktop,202460,6\n"
    )
    conn = _source(_write(tmp_path, "bad.csv", text), root=tmp_path)
    with pytest.raises(KpiError) as info:
        _fetch(conn, "sessions", grain="week")
    assert info.value.location == Location("bad.csv", 6, 9)
    expected = "expected an ISO year and week like 202401 in `ISO week of ISO year`"
    assert f"{expected}, found `202460`" in info.value.message


def test_a_month_column_holding_years_says_how_to_name_it(tmp_path):
    text = "# Start date: 20240101\n# End date: 20240331\nMonth,Sessions\n202401,5\n202402,6\n"
    name = _write(tmp_path, "m.csv", text)
    with pytest.raises(KpiError) as info:
        _fetch(_source(name, root=tmp_path), "sessions")
    assert info.value.location == Location("m.csv", 4, 1)
    assert "expected a month number, 01 to 12 in `Month`, found `202401`" in info.value.message
    assert "`headers: {Month: Year month}`" in info.value.fix
    named = _source(name, root=tmp_path, headers={"Month": "Year month"})
    assert _series(_fetch(named, "sessions")) == {("2024-01-01",): 5.0, ("2024-02-01",): 6.0}


def test_a_row_outside_the_range_is_an_error(tmp_path):
    text = "# Start date: 20240201\n# End date: 20240229\nYear month,Sessions\n202401,5\n202402,6\n"
    with pytest.raises(KpiError) as info:
        _fetch(_source(_write(tmp_path, "out.csv", text), root=tmp_path), "sessions")
    assert info.value.location == Location("out.csv", 4, 1)
    assert "outside the export's date range (2024-02-01 to 2024-02-29)" in info.value.message


def test_time_headers_are_recognised_in_every_language():
    from kpiengine.connectors._ga_headers import ALIASES, FIELDS, header_key
    from kpiengine.connectors._ga_time_headers import TIME_FIELDS

    owner: dict[str, str] = {}
    for name, (_, names) in FIELDS.items():
        for header in "|".join(names.values()).split("|"):
            assert owner.setdefault(header_key(header), name) == name, header  # no clash
    for name, (_, names) in TIME_FIELDS.items():
        assert set(names) == {"en", "fr", "zh", "fa"}
        for header in "|".join(names.values()).split("|"):
            assert ALIASES[header_key(header)] == name
    assert ALIASES[header_key("Mois")] == "month_of_year"
    assert ALIASES[header_key("isoYearIsoWeek")] == "iso_year_week"
    assert ALIASES[header_key("yearMonth")] == "month"  # the same key as `Year month`
