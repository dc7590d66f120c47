"""A Meta Ads Manager export broken down by week (`Reporting starts` to `Reporting ends`, seven
days each, Monday to Sunday) evaluated by month: the week across two months cannot be split
(the source's variables are undefined, with why), and the fix names the grain of the rows
(`--grain week`), at which the export is exact.

Expected values are computed here from the file text with the csv module.
"""

import csv
import datetime as dt
import io
from collections import defaultdict

import numpy as np
import pytest
from test_connector_ads import connector, fetch

HEADER = (
    '"Reporting starts","Reporting ends","Campaign name","Impressions","Link clicks",'
    '"Amount spent (USD)"\r\n'
)
#: five weeks from Monday 1 July 2024; the last, 29 July to 4 August, spans two months
ROWS = (
    '"2024-07-01","2024-07-07","Prospecting","10400","312","151.20"\r\n'
    '"2024-07-01","2024-07-07","Retargeting","3150","98","48.75"\r\n'
    '"2024-07-08","2024-07-14","Prospecting","9870","301","149.90"\r\n'
    '"2024-07-08","2024-07-14","Retargeting","3320","104","50.10"\r\n'
    '"2024-07-15","2024-07-21","Prospecting","11020","340","162.35"\r\n'
    '"2024-07-15","2024-07-21","Retargeting","2980","91","47.60"\r\n'
    '"2024-07-22","2024-07-28","Prospecting","10150","322","155.00"\r\n'
    '"2024-07-22","2024-07-28","Retargeting","3075","95","49.05"\r\n'
    '"2024-07-29","2024-08-04","Prospecting","9990","298","150.45"\r\n'
    '"2024-07-29","2024-08-04","Retargeting","3210","99","51.30"\r\n'
)


def export():
    """The export with Meta's summary row (the sums, every name empty) first."""
    rows = list(csv.reader(io.StringIO(ROWS)))
    sums = [sum(int(r[i]) for r in rows) for i in (3, 4)]
    spend = sum(float(r[5]) for r in rows)
    summary = f'"2024-07-01","2024-08-04","","{sums[0]}","{sums[1]}","{spend:.2f}"\r\n'
    return HEADER + summary + ROWS


def test_a_week_across_two_months_says_to_evaluate_by_week(tmp_path):
    (tmp_path / "m.csv").write_text(export(), "utf-8")
    # as Google's rows of weeks: no month gets a value, and why is said (a KPI015 finding)
    frame = fetch(connector(tmp_path, "m.csv"), "ad_spend")
    assert np.isnan(frame.values["ad_spend"]).all()
    said = frame.missing["ad_spend"]
    # header, summary row, eight rows of July's four weeks: line 11
    assert "the first, at m.csv:11:1, covers 2024-07-29 to 2024-08-04, a week partly in " \
        "2024-07 and partly in 2024-08" in said  # fmt: skip
    assert said.endswith("or evaluate with `--grain week`") and "coarser" not in said
    # and by week the export is exact
    frame = fetch(connector(tmp_path, "m.csv"), "ad_spend", "clicks", grain="week")
    expected = defaultdict(float)
    for row in csv.reader(io.StringIO(ROWS)):
        expected[dt.date.fromisoformat(row[0])] += float(row[5])
    got = defaultdict(float)
    for day, value in zip(frame.dates.astype(str), frame.values["ad_spend"], strict=True):
        got[dt.date.fromisoformat(day)] += float(value)
    assert dict(got) == pytest.approx(dict(expected))


def test_a_month_row_by_week_names_the_month(tmp_path):
    """Rows of months (a monthly breakdown) by week: the fix names the grain of the rows."""
    text = (
        '"Reporting starts","Reporting ends","Campaign name","Impressions","Amount spent (USD)"\n'
        '"2024-06-01","2024-07-31","","600","60.00"\n'
        '"2024-06-01","2024-06-30","A","100","10.00"\n'
        '"2024-06-01","2024-06-30","B","200","20.00"\n'
        '"2024-07-01","2024-07-31","A","300","30.00"\n'
    )
    (tmp_path / "m.csv").write_text(text, "utf-8")
    said = fetch(connector(tmp_path, "m.csv"), "ad_spend", grain="week").missing["ad_spend"]
    assert "at m.csv:3:1, covers 2024-06-01 to 2024-06-30, more than one week" in said
    assert said.endswith("or evaluate with `--grain month`")


def test_an_export_without_breakdown_by_week_is_its_range(tmp_path):
    """One month without a time breakdown (every row the report's range) is a report without
    days: by week, one period, its range (as a Google Ads report of June is)."""
    text = (
        '"Reporting starts","Reporting ends","Campaign name","Impressions","Amount spent (USD)"\n'
        '"2024-06-01","2024-06-30","","300","30.00"\n'
        '"2024-06-01","2024-06-30","A","100","10.00"\n'
        '"2024-06-01","2024-06-30","B","200","20.00"\n'
    )
    (tmp_path / "m.csv").write_text(text, "utf-8")
    frame = fetch(connector(tmp_path, "m.csv"), "ad_spend", grain="week")
    assert frame.grain == "range" and frame.span == (dt.date(2024, 6, 1), dt.date(2024, 6, 30))
    assert frame.values["ad_spend"].tolist() == [10.0 + 20.0]
