"""`ga_export` checks on real export shapes: a UA goal conversion rate above 100% is no lint
error, a negative count is an error at its cell, a comparison export is named as one before its
cells are read, and UA's Audience Overview summary headers are recognised (an unknown header is
reported at its own line). Expected values and places come from the file text (csv module).
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from test_connector_ga_export import FIXTURES, fetch, source

from kpiengine.cli import cli
from kpiengine.errors import KpiError, Location

GA4_DAYS = """\
# ----------------------------------------
# Traffic acquisition: Session default channel group
# Account: Demo
# Property: Demo - GA4
# ----------------------------------------
#
# All Users
# Start date: 20240101
# End date: 20240102
Date,Session default channel group,Sessions,Users,Views
20240101,Direct,100,80,250
20240101,Email,300,200,700
20240102,Direct,{sessions},10,{views}
Grand total,,{total},285,{views_total}
"""

UA_COMPARISON = """\
# ----------------------------------------
# All Web Site Data
# Channels
# 20240201-20240229
# 20240101-20240131
# ----------------------------------------

Default Channel Grouping,Date Range,Users,Sessions,Bounce Rate,Pages / Session
Organic Search,"Feb 1, 2024 - Feb 29, 2024","3,653","4,541",55.59%,2.16
Organic Search,"Jan 1, 2024 - Jan 31, 2024","3,100","4,000",50.00%,2.00
Organic Search,% Change,17.84%,13.53%,11.18%,8.00%
,"Feb 1, 2024 - Feb 29, 2024","3,653","4,541",55.59%,2.16
,"Jan 1, 2024 - Jan 31, 2024","3,100","4,000",50.00%,2.00
"""

UA_AUDIENCE = """\
# ----------------------------------------\r
# All Web Site Data\r
# Audience Overview\r
# 20240101-20240103\r
# ----------------------------------------\r
\r
Day Index,Users\r
1/1/24,543\r
1/2/24,906\r
1/3/24,857\r
,"2,011"\r
\r
Users,New Users,Sessions,{per_user},Pageviews,Pages / Session,Avg. Session Duration,Bounce Rate\r
"2,011","1,802","2,875",1.43,"6,843",2.38,00:02:31,48.22%\r
"""


def _write(tmp_path, name: str, text: str, **options):
    (tmp_path / name).write_bytes(text.encode("utf-8"))
    return source(name, root=tmp_path, **options)


def _place(text: str, line_start: str, cell: str) -> tuple[int, int]:
    """The 1-based line and column of `cell` on the line starting with `line_start`."""
    lines = text.replace("\r\n", "\n").split("\n")
    number = next(i for i, line in enumerate(lines, 1) if line.startswith(line_start))
    return number, lines[number - 1].index(cell) + 1


# --- a goal conversion rate above 100% (UA counts every goal) -----------------------------------


def test_a_ua_goal_conversion_rate_above_100_percent_is_no_lint_error(write_workspace):
    """Was: KPI312 error "`goal_conversion_rate` is declared in [0, 1] but is ... 221.74%"
    (lint exit 1 on a valid export): UA counts up to 20 goals per session."""
    text = (FIXTURES / "ua_channels.csv").read_text()
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Default Channel"))
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[start : lines.index("", start)]))))
    other = next(r for r in rows if r["Default Channel Grouping"] == "(Other)")
    assert float(other["Goal Completions"]) / float(other["Sessions"]) > 1  # 51 / 23
    root = write_workspace(
        {"mine": "kpis:\n  sess: {formula: sessions, unit: sessions}\n"},
        "currency: USD\nsources:\n  ga:\n    connector: ga_export\n    path: ua.csv\n",
    )
    (root / "ua.csv").write_text(text)
    result = CliRunner().invoke(
        cli,
        ["lint", "--workspace", str(root), "--format", "json"],
        env={"KPIENGINE_TODAY": "2024-09-01"},
    )
    assert result.exit_code in (0, 1), result.output
    codes = {f["code"] for f in json.loads(result.stdout)["findings"]}
    assert "KPI312" not in codes


# --- negative counts ----------------------------------------------------------------------------


@pytest.mark.parametrize("column", ["Sessions", "Views"])
def test_a_negative_count_is_an_error_at_its_cell(tmp_path, column):
    """Was: `20240102,Direct,-5,10` read as -5 sessions, silently (its totals row agreeing)."""
    sessions, views = ("-5", "40") if column == "Sessions" else ("5", "-40")
    text = GA4_DAYS.format(
        sessions=sessions,
        views=views,
        total=100 + 300 + int(sessions),
        views_total=250 + 700 + int(views),
    )
    variable = {"Sessions": "sessions", "Views": "pageviews"}[column]
    conn = _write(tmp_path, "s.csv", text)
    with pytest.raises(KpiError) as info:
        fetch(conn, variable, grain="day")
    bad = sessions if column == "Sessions" else views
    line, _ = _place(text, "20240102,", bad)
    row = text.splitlines()[line - 1].split(",")
    column_number = len(",".join(row[: row.index(bad)])) + 2
    assert info.value.location == Location("s.csv", line, column_number)
    assert f"`{bad}` in column `{column}` is not a count (0 or more)" in info.value.message


def test_counts_of_zero_and_more_read_as_written(tmp_path):
    text = GA4_DAYS.format(sessions="0", views="40", total=400, views_total=990)
    frame = fetch(_write(tmp_path, "s.csv", text), "sessions", grain="day")
    assert sorted(frame.values["sessions"].tolist()) == [0.0, 400.0]


def test_the_ua_fixture_day_index_has_no_negative_day():
    """The fixture's last day was `-1,367` (made to add up to the channel table's total): an
    accident GA never writes; its days now add up to that total with every day positive."""
    text = (FIXTURES / "ua_channels.csv").read_text()
    lines = text.splitlines()
    start = lines.index("Day Index,Sessions")
    rows = list(csv.reader(lines[start + 1 :]))
    days = [float(r[1].replace(",", "")) for r in rows if r and r[0]]
    assert len(days) == 30 and min(days) > 0
    assert sum(days) == float(next(r for r in rows if r and not r[0])[1].replace(",", ""))
    frame = fetch(source("ua_channels.csv"), "sessions", grain="day")
    assert frame.values["sessions"].sum() == sum(days)


# --- comparison exports -------------------------------------------------------------------------


def test_a_comparison_export_with_rate_columns_is_named_as_one(tmp_path):
    """Was: "column `Pages / Session` mixes percentages (`8.00%`...) with plain numbers" (its
    `% Change` row), a cell error hiding the comparison message."""
    conn = _write(tmp_path, "cmp.csv", UA_COMPARISON)
    with pytest.raises(KpiError) as info:
        fetch(conn, "sessions", grain="month")
    line, column = _place(UA_COMPARISON, "Default Channel", "Date Range")
    assert info.value.location == Location("cmp.csv", line, column)
    assert "comparison exports are not supported (column `Date Range`)" in info.value.message


# --- UA Audience Overview summary headers -------------------------------------------------------


def test_ua_audience_overview_summary_headers_are_recognised(tmp_path):
    """Was: `Number of Sessions per User` an unrecognised header "in another language"."""
    text = UA_AUDIENCE.format(per_user="Number of Sessions per User")
    conn = _write(tmp_path, "audience.csv", text)
    assert conn.unread() is None
    assert {"sessions", "pageviews", "visitors"} <= conn.provides()


def test_an_unknown_header_is_reported_at_its_own_line(tmp_path):
    """Was: at line 7 (the first table, Day Index), not the summary block holding it."""
    text = UA_AUDIENCE.format(per_user="Sitzungen pro Nutzer")
    conn = _write(tmp_path, "audience.csv", text)
    error = conn.unread()
    assert error is not None and "Sitzungen pro Nutzer" in error.message
    line, column = _place(text, "Users,New Users", "Sitzungen pro Nutzer")
    assert error.location == Location("audience.csv", line, column)
