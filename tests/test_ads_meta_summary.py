"""The `ads` connector on Meta exports without a campaign, ad set or ad name (broken down by
age and gender, by account, by placement): the summary row (every breakdown cell empty) is
not counted, and cross-checks the rows as the other summary rows do.

Expected values are computed here with the csv module from the file texts.
"""

import csv
import io

import numpy as np
import pytest
from test_connector_ads import connector, fetch

from kpiengine.errors import KpiError

AGE = (
    "\ufeffReporting starts,Reporting ends,Age,Gender,Impressions,Link clicks,Amount spent (EUR)\n"
    "2024-01-01,2024-01-31,,,30000,300,300.00\n"
    "2024-01-01,2024-01-31,18-24,female,20000,200,200.00\n"
    "2024-01-01,2024-01-31,25-34,male,10000,100,100.00\n"
)
ACCOUNT = (
    "\ufeffReporting starts,Reporting ends,Account name,Impressions,Link clicks,"
    "Amount spent (EUR),Results,Result indicator,Purchases conversion value\n"
    "2024-01-01,2024-01-31,,30000,300,300.00,30,,3000.00\n"
    "2024-01-01,2024-01-31,Acme EU,20000,200,200.00,20,"
    "actions:offsite_conversion.fb_pixel_purchase,2000.00\n"
    "2024-01-01,2024-01-31,Acme DE,10000,100,100.00,10,"
    "actions:offsite_conversion.fb_pixel_purchase,1000.00\n"
)
DAYS = (
    "\ufeffReporting starts,Reporting ends,Placement,Impressions,Link clicks,Amount spent (EUR)\n"
    "2024-01-01,2024-01-02,,30000,300,300.00\n"
    "2024-01-01,2024-01-01,Feed,10000,100,100.00\n"
    "2024-01-01,2024-01-01,Stories,5000,50,50.00\n"
    "2024-01-02,2024-01-02,Feed,10000,100,100.00\n"
    "2024-01-02,2024-01-02,Stories,5000,50,50.00\n"
)


def rows(text, dimension):
    """The rows with their breakdown filled in (the summary row left out), by the csv module."""
    return [r for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff"))) if r[dimension]]


@pytest.mark.parametrize(("text", "dimension"), [(AGE, "Age"), (ACCOUNT, "Account name")])
def test_the_summary_row_of_a_breakdown_is_not_counted(tmp_path, text, dimension):
    (tmp_path / "m.csv").write_text(text, "utf-8")
    expected = sum(float(r["Amount spent (EUR)"]) for r in rows(text, dimension))
    frame = fetch(connector(tmp_path, "m.csv", "EUR"), "ad_spend", "clicks")
    assert float(np.nansum(frame.values["ad_spend"])) == pytest.approx(expected) == 300.0
    clicks = sum(float(r["Link clicks"]) for r in rows(text, dimension))
    assert float(np.nansum(frame.values["clicks"])) == clicks


def test_the_summary_row_cross_checks_the_rows(tmp_path):
    (tmp_path / "m.csv").write_text(AGE.replace(",,,30000,300,300.00", ",,,30000,300,310.00"))
    with pytest.raises(KpiError, match="the summary row says 310.00") as info:
        fetch(connector(tmp_path, "m.csv", "EUR"), "ad_spend")
    assert info.value.location.line == 2


def test_a_daily_breakdown_by_month_and_by_day(tmp_path):
    (tmp_path / "m.csv").write_text(DAYS, "utf-8")
    by_day: dict[str, float] = {}
    for r in rows(DAYS, "Placement"):
        by_day[r["Reporting starts"]] = by_day.get(r["Reporting starts"], 0.0) + float(
            r["Amount spent (EUR)"]
        )
    month = fetch(connector(tmp_path, "m.csv", "EUR"), "ad_spend")
    assert float(np.nansum(month.values["ad_spend"])) == sum(by_day.values()) == 300.0
    day = fetch(connector(tmp_path, "m.csv", "EUR"), "ad_spend", grain="day")
    got: dict[str, float] = {}
    for d, v in zip(day.dates.astype(str), day.values["ad_spend"], strict=True):
        got[d] = got.get(d, 0.0) + float(v)
    assert got == by_day
