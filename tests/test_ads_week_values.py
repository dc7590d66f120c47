"""The `ads` connector on a date column of weeks under a header it does not know (`週`, `Week
(Mon - Sun)`), named with `columns:`: read as weeks when its dates are all one weekday and its
header or the report's range says weeks (a week across two months counts in neither), named
with `columns: {week: ...}`, or asked for; Sunday weeks suggest `week_start: sunday`; a
`Quarter` segment is read as quarters.

Expected values are computed here with the csv module from the file texts.
"""

import csv
import io

import numpy as np
import pytest
from test_ads_weeks import fetch
from test_connector_ads import connector

from kpiengine.errors import KpiError
from kpiengine.periods import Calendar

COLUMNS = {"campaign": "Campaign", "clicks": "Clicks", "cost": "Cost"}
RANGE = '"January 1, 2024 - February 4, 2024"\r\n'
BODY = (
    "2024-01-01,Brand,EUR,100,100.00\r\n"
    "2024-01-08,Brand,EUR,110,110.00\r\n"
    "2024-01-15,Brand,EUR,120,120.00\r\n"
    "2024-01-22,Brand,EUR,130,130.00\r\n"
    "2024-01-29,Brand,EUR,700,700.00\r\n"
    'Total: Account,--,EUR,"1,160","1,160.00"\r\n'
)


def report(header, preamble=RANGE):
    return f"Campaign report\r\n{preamble}{header},Campaign,Currency code,Clicks,Cost\r\n{BODY}"


def by_week(text, header):
    """clicks by the week's first day, from the csv module."""
    rows = list(csv.reader(io.StringIO(text)))
    start = next(i for i, r in enumerate(rows) if r and r[0] == header)
    return {r[0]: float(r[3].replace(",", "")) for r in rows[start + 1 :] if ":" not in r[0]}


@pytest.mark.parametrize("header", ["週", "Week (Mon - Sun)", "Periode"])
def test_weeks_under_an_unknown_header_are_not_counted_as_days(tmp_path, header):
    """The last week (29 January to 4 February) lies across two months: no month counts
    the source's rows (read as days, January would count it whole: 1,160 clicks)."""
    text = report(header)
    (tmp_path / "w.csv").write_text(text, "utf-8")
    conn = connector(tmp_path, "w.csv", "EUR", columns={"date": header, **COLUMNS})
    frame = fetch(conn, "clicks")
    assert np.isnan(frame.values["clicks"]).all()
    assert "2024-01-29 to 2024-02-04" in frame.missing["clicks"]
    weekly = fetch(conn, "clicks", grain="week")
    got = {str(d): v for d, v in zip(weekly.dates, weekly.values["clicks"], strict=True)}
    assert got == by_week(text, header) and not weekly.missing


def test_a_week_word_tells_weeks_without_a_range(tmp_path):
    (tmp_path / "w.csv").write_text(report("週", preamble=""), "utf-8")
    frame = fetch(connector(tmp_path, "w.csv", "EUR", columns={"date": "週", **COLUMNS}), "clicks")
    assert "2024-01-29 to 2024-02-04" in frame.missing["clicks"]


def test_weeks_or_days_nothing_tells_are_asked_for(tmp_path):
    (tmp_path / "w.csv").write_text(report("Periode", preamble=""), "utf-8")
    with pytest.raises(KpiError, match=r"holds only Mondays \(5 dates") as info:
        fetch(connector(tmp_path, "w.csv", "EUR", columns={"date": "Periode", **COLUMNS}), "clicks")
    assert "`week: Periode`" in info.value.fix and "`day: Periode`" in info.value.fix
    weeks = connector(tmp_path, "w.csv", "EUR", columns={"week": "Periode", **COLUMNS})
    assert "2024-01-29 to 2024-02-04" in fetch(weeks, "clicks").missing["clicks"]
    days = fetch(connector(tmp_path, "w.csv", "EUR", columns={"day": "Periode", **COLUMNS}),
                 "clicks")  # fmt: skip
    assert float(np.nansum(days.values["clicks"])) == 100 + 110 + 120 + 130 + 700


def test_days_of_several_weekdays_stay_days(tmp_path):
    text = report("Periode").replace("2024-01-08", "2024-01-09")
    (tmp_path / "w.csv").write_text(text, "utf-8")
    frame = fetch(connector(tmp_path, "w.csv", "EUR", columns={"date": "Periode", **COLUMNS}),
                  "clicks")  # fmt: skip
    assert not frame.missing and float(np.nansum(frame.values["clicks"])) == 1160


def test_the_columns_block_offers_a_column_of_weeks_as_week(tmp_path):
    (tmp_path / "w.csv").write_text(report("週"), "utf-8")
    with pytest.raises(KpiError) as info:
        connector(tmp_path, "w.csv", "EUR")
    assert "      week: 週\n" in info.value.fix


def test_sunday_weeks_suggest_the_workspace_week_start(tmp_path):
    text = report("Week", '"December 31, 2023 - January 27, 2024"\r\n')
    lines = text.split("\r\n")
    days = ["2023-12-31", "2024-01-07", "2024-01-14", "2024-01-21"]
    body = [f"{d},Brand,EUR,10,10.00" for d in days]
    text = "\r\n".join([*lines[:3], *body, "Total: Account,--,EUR,40,40.00", ""])
    (tmp_path / "w.csv").write_text(text, "utf-8")
    frame = fetch(connector(tmp_path, "w.csv", "EUR"), "clicks", grain="week")
    assert "set `week_start: sunday` in kpi.yaml" in frame.missing["clicks"]
    sunday = Calendar(week_start="sunday")
    good = fetch(connector(tmp_path, "w.csv", "EUR"), "clicks", grain="week", calendar=sunday)
    assert not good.missing and list(good.values["clicks"]) == [10.0] * 4


def test_a_quarter_segment_is_read_as_quarters(tmp_path):
    text = (
        'Campaign report\r\n"January 1, 2024 - June 30, 2024"\r\n'
        "Quarter,Campaign,Currency code,Clicks,Cost\r\n"
        "2024-01-01,Brand,EUR,500,300.00\r\n2024-04-01,Brand,EUR,700,400.00\r\n"
        "Total: Account,--,EUR,1200,700.00\r\n"
    )
    (tmp_path / "q.csv").write_text(text, "utf-8")
    frame = fetch(connector(tmp_path, "q.csv", "EUR"), "ad_spend", grain="quarter")
    assert list(frame.values["ad_spend"]) == [300.0, 400.0]
    monthly = fetch(connector(tmp_path, "q.csv", "EUR"), "ad_spend")
    assert "2024-01-01 to 2024-03-31" in monthly.missing["ad_spend"]
