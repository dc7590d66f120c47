"""`ga_export`: a rate cell written with `%` is a percentage, always; a column without `%` cells
and a cell above 1 holds percentages without the sign (Universal Analytics' API writes
`ga:bounceRate` so); a column mixing `%` cells with plain numbers above 1 is an error at the
first such cell.

Expected values are computed here from the file text with the csv module (and the export's own
Goal Completions column), not by the connector.
"""

from __future__ import annotations

import csv

import pytest
from test_connector_ga_export import FIXTURES, blocks, by_key, col, en, fetch, half_up, source

from kpiengine.errors import KpiError, Location

UA_HEAD = (
    "# ----------------------------------------\n# All Web Site Data\n# Channels\n"
    "# 20240601-20240630\n# ----------------------------------------\n\n"
)
GA4_HEAD = (
    "# ----------------------------------------\n# Free form 1\n"
    "# ----------------------------------------\n#\n# All Users\n"
    "# Start date: 20200101\n# End date: 20251231\n"
)


def pct(text: str) -> float:
    return float(text.rstrip("%")) / 100


def write(tmp_path, name: str, text: str):
    (tmp_path / name).write_text(text)
    return source(name, root=tmp_path)


def without_completions(tmp_path):
    """The fixture's channel table without its Goal Completions column: completions are then
    derived from the Goal Conversion Rate (`(Other)` at 221.74%: all goals added up)."""
    lines = (FIXTURES / "ua_channels.csv").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Default Channel"))
    end = lines.index("", start)
    rows = list(csv.reader(lines[start:end]))
    drop = rows[0].index("Goal Completions")
    kept = [[c for i, c in enumerate(r) if i != drop] for r in rows]
    with (tmp_path / "ua.csv").open("w", newline="") as out:
        out.write("\n".join(lines[:start]) + "\n")
        csv.writer(out, lineterminator="\n").writerows(kept)
    return source("ua.csv", root=tmp_path)


def test_a_goal_conversion_rate_above_100_percent_is_a_percentage(tmp_path):
    """Was: `221.74%` (above 1) rescaled the whole column by 0.01: 2 goals instead of 428."""
    (header, rows, _), _ = blocks("ua_channels.csv")
    conn = without_completions(tmp_path)
    frame = fetch(conn, "goal_completions", grain="month", dims=["channel"])
    got = {channel: v["goal_completions"] for (_, channel), v in by_key(frame, "channel").items()}
    derived = {
        r[0]: half_up(pct(col(header, r, "Goal Conversion Rate")) * en(col(header, r, "Sessions")))
        for r in rows
    }
    assert derived["(Other)"] == 51 and derived["Email"] == 64  # 2.2174 x 23, 0.1524 x 420
    assert got == derived
    # the export's own counts agree, row by row
    assert got == {r[0]: en(col(header, r, "Goal Completions")) for r in rows}


def test_the_testers_two_channels(tmp_path):
    text = (
        UA_HEAD + "Default Channel Grouping,Sessions,Goal Conversion Rate\n"
        "Email,420,15.24%\n(Other),23,221.74%\n,443,25.96%\n"
    )
    frame = fetch(write(tmp_path, "ua.csv", text), "goal_completions", grain="month")
    assert frame.values["goal_completions"].sum() == 64 + 51


def test_a_plain_number_among_percentages_is_an_error_at_its_cell(tmp_path):
    """Was: `50` beside `50.00%` rescaled the column: 51 engaged sessions instead of 100."""
    text = (
        GA4_HEAD + "Session default channel group,Sessions,Engagement rate\n"
        "Direct,100,50.00%\nEmail,100,50\nReferral,100,25.00%\n"
    )
    with pytest.raises(KpiError) as caught:
        fetch(write(tmp_path, "ga4.csv", text), "engaged_sessions", grain="month")
    error = caught.value
    line = text.splitlines().index("Email,100,50") + 1
    assert error.location == Location("ga4.csv", line, len("Email,100,") + 1)
    # the scan's error for every file (`kpiengine.fileformats.percents`)
    assert "`Engagement rate`" in error.message and "`50`" in error.message
    assert "mixes percentages" in error.message


def test_the_mixed_cell_past_the_sampled_rows_is_found_by_the_scan(tmp_path):
    """2,100 days of `50.00%`, one `80` on the 2,050th: the sample (2,000 rows) has no plain
    cell; the scan counts every row."""
    import datetime as dt

    start = dt.date(2020, 1, 1)
    rows = [f"{start + dt.timedelta(days=i):%Y%m%d},10,50.00%" for i in range(2100)]
    rows[2049] = rows[2049].replace("50.00%", "80")
    text = GA4_HEAD + "Date,Sessions,Engagement rate\n" + "\n".join(rows) + "\n"
    with pytest.raises(KpiError) as caught:
        fetch(write(tmp_path, "days.csv", text), "engaged_sessions", grain="month")
    line = text.splitlines().index(rows[2049]) + 1
    assert caught.value.location == Location("days.csv", line, len(rows[2049]) - 1)
    assert "`80`" in caught.value.message and "mixes percentages" in caught.value.message


def test_percentages_with_a_plain_zero_are_percentages(tmp_path):
    """A plain `0` is 0 read either way: no error."""
    text = (
        GA4_HEAD + "Session default channel group,Sessions,Engagement rate\n"
        "Direct,100,50.00%\nEmail,40,0\nReferral,80,125.00%\n"
    )
    frame = fetch(write(tmp_path, "ga4.csv", text), "engaged_sessions", grain="month")
    assert frame.values["engaged_sessions"].sum() == 50 + 0 + 100


def test_rates_without_the_percent_sign_are_still_percentages_when_above_1(tmp_path):
    """Universal Analytics' API (the Sheets add-on) writes `ga:bounceRate` as `55.59`."""
    text = (
        UA_HEAD + "Default Channel Grouping,Sessions,Bounce Rate\n"
        "Organic Search,4541,55.59\nDirect,3082,42.15\nEmail,420,0.5\n"
    )
    frame = fetch(write(tmp_path, "api.csv", text), "bounces", grain="month", dims=["channel"])
    got = {channel: v["bounces"] for (_, channel), v in by_key(frame, "channel").items()}
    assert got == {
        "Organic Search": half_up(0.5559 * 4541),
        "Direct": half_up(0.4215 * 3082),
        "Email": half_up(0.005 * 420),
    }


def test_fractions_stay_fractions(tmp_path):
    """GA4's Explorations write fractions (`0.5712`): none above 1, none rescaled."""
    text = (
        GA4_HEAD + "Session default channel group,Sessions,Engagement rate\n"
        "Direct,1000,0.5712\nEmail,200,0.25\n"
    )
    frame = fetch(write(tmp_path, "ga4.csv", text), "engaged_sessions", grain="month")
    assert frame.values["engaged_sessions"].sum() == half_up(571.2) + 50
