"""The `ads` connector never adds up the same report twice: files of one source over dates that
overlap, with a campaign in common, are an error naming both files and the days (a download
saved twice, `ts.csv` and `ts (1).csv`); monthly downloads, and files of other campaigns (one
per account), still add up.

Expected values are computed here from the file texts with the csv module.
"""

import csv
import io
import shutil

import pytest
from test_connector_ads import FIXTURES, GOOGLE_API, META, connector, fetch

from kpiengine.errors import KpiError

TIME_SERIES = "google_ads_time_series.csv"
OVERLAP = r"`{}` and `{}` are the same report over dates that overlap \({} to {}"


def twice(tmp_path, name, first, second):
    """A fixture saved under two names, as a browser saves a second download."""
    shutil.copy(FIXTURES / name, tmp_path / first)
    shutil.copy(FIXTURES / name, tmp_path / second)


def records(text, header_first):
    rows = list(csv.reader(io.StringIO(text)))
    start = next(i for i, r in enumerate(rows) if r and r[0] == header_first)
    return [dict(zip(rows[start], r, strict=True)) for r in rows[start + 1 :]]


def test_a_google_download_saved_twice_is_an_error(tmp_path):
    twice(tmp_path, TIME_SERIES, "ts.csv", "ts (1).csv")
    message = OVERLAP.format("ts \\(1\\).csv", "ts.csv", "2026-02-02", "2026-02-06")
    with pytest.raises(KpiError, match=message) as info:
        fetch(connector(tmp_path, "*.csv", currency="EUR"), "ad_spend")
    assert "count those days twice" in info.value.message and "delete one" in info.value.fix
    assert info.value.location.file == "ts.csv"


def test_a_meta_export_saved_twice_is_an_error(tmp_path):
    twice(tmp_path, META, "m.csv", "m (1).csv")
    # the summary row states 2024-06-01 to 2024-07-31
    with pytest.raises(KpiError, match=OVERLAP.format("m \\(1\\).csv", "m.csv", "2024-06-01",
                                                      "2024-07-31")):  # fmt: skip
        fetch(connector(tmp_path, "*.csv", currency="EUR"), "ad_spend")
    # without a summary row, the days of the rows
    lines = (FIXTURES / META).read_text("utf-8").splitlines(keepends=True)
    rows = records("".join(lines), "Reporting starts")
    days = sorted(r["Day"] for r in rows if r["Day"])
    for name in ("m.csv", "m (1).csv"):
        (tmp_path / name).write_text(lines[0] + "".join(lines[2:]), "utf-8")
    with pytest.raises(KpiError, match=OVERLAP.format("m \\(1\\).csv", "m.csv", days[0], days[-1])):
        fetch(connector(tmp_path, "*.csv", currency="EUR"), "clicks")


def test_two_june_campaign_reports_without_days_are_an_error(tmp_path):
    report = (
        'Campaign report\r\n"June 1, 2024 - June 30, 2024"\r\n'
        "Campaign,Currency code,Impr.,Clicks,Cost\r\n"
        'Brand,USD,"10,000",500,"1,000.00"\r\n'
        'Total: Account,USD,"10,000",500,"1,000.00"\r\n'
    )
    for name in ("june.csv", "june_dup.csv"):
        (tmp_path / name).write_text(report, "utf-8")
    with pytest.raises(KpiError, match=OVERLAP.format("june.csv", "june_dup.csv", "2024-06-01",
                                                      "2024-06-30")):  # fmt: skip
        fetch(connector(tmp_path, "*.csv"), "ad_spend")


def test_an_api_export_twice_overlaps_on_the_days_of_its_rows(tmp_path):
    twice(tmp_path, GOOGLE_API, "api.csv", "api_copy.csv")
    rows = records((FIXTURES / GOOGLE_API).read_text("utf-8"), "segments.date")
    days = sorted(r["segments.date"] for r in rows)
    with pytest.raises(KpiError, match=OVERLAP.format("api.csv", "api_copy.csv", days[0],
                                                      days[-1])):  # fmt: skip
        fetch(connector(tmp_path, "*.csv"), "ad_spend")


def test_reports_over_partly_the_same_days_name_those_days(tmp_path):
    def report(first, last, days):
        head = f'Campaign report\r\n"January {first}, 2025 - January {last}, 2025"\r\n'
        body = "".join(f"2025-01-{d:02d},Brand,EUR,10.00\r\n" for d in days)
        return head + "Day,Campaign,Currency code,Cost\r\n" + body

    (tmp_path / "a.csv").write_text(report(1, 20, range(1, 21)), "utf-8")
    (tmp_path / "b.csv").write_text(report(15, 31, range(15, 32)), "utf-8")
    with pytest.raises(KpiError, match=OVERLAP.format("a.csv", "b.csv", "2025-01-15",
                                                      "2025-01-20")):  # fmt: skip
        fetch(connector(tmp_path, "*.csv", currency="EUR"), "ad_spend")


def test_monthly_downloads_still_add_up(tmp_path):
    """The API export cut in its June rows and its July rows: two files over other days."""
    text = (FIXTURES / GOOGLE_API).read_text("utf-8")
    header, *lines = text.splitlines(keepends=True)
    (tmp_path / "june.csv").write_text(header + "".join(t for t in lines if "2024-06" in t))
    (tmp_path / "july.csv").write_text(header + "".join(t for t in lines if "2024-07" in t))
    rows = records(text, "segments.date")
    expected = {}
    for r in rows:
        month = r["segments.date"][:7]
        expected[month] = expected.get(month, 0.0) + float(r["metrics.cost_micros"]) / 1e6
    frame = fetch(connector(tmp_path, "*.csv"), "ad_spend")
    got = dict(zip(frame.dates.astype(str), frame.values["ad_spend"], strict=True))
    assert {d[:7]: v for d, v in got.items()} == pytest.approx(expected)


def test_files_of_other_campaigns_over_the_same_days_add_up(tmp_path):
    """One campaign report per account, the same month: no campaign in common."""

    def report(campaign, cost):
        head = 'Campaign report\r\n"June 1, 2024 - June 30, 2024"\r\n'
        row = f"{campaign},USD,{cost:.2f}\r\n"
        return head + "Campaign,Currency code,Cost\r\n" + row + f"Total: Account,USD,{cost:.2f}\r\n"

    (tmp_path / "shop.csv").write_text(report("Shop - Brand", 120.0), "utf-8")
    (tmp_path / "app.csv").write_text(report("App - Installs", 80.5), "utf-8")
    frame = fetch(connector(tmp_path, "*.csv"), "ad_spend")
    assert frame.values["ad_spend"].sum() == pytest.approx(120.0 + 80.5)
