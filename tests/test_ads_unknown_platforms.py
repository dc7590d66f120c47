"""Exports of platforms the `ads` connector does not read (TikTok, LinkedIn) are not claimed as
Google Ads: the error says they are not recognised, lists the metric headers no profile knows
and shows the routes (the `csv` connector with `map:`, or `platform:` with `columns:`); a metric
under an unknown header is named, never dropped. A report segmented by `Conversion action`
names that segment as why it has no cost."""

import numpy as np
import pytest
from test_connector_ads import connector, fetch

from kpiengine.errors import KpiError

TIKTOK = (
    "Date,Campaign name,Campaign ID,Currency,Cost,CPC (destination),CPM,Impressions,"
    "Clicks (destination),CTR (destination),Conversions,CPA,Conversion rate (CVR),"
    "Total complete payment value\n"
    "2024-01-01,Spark TOF,170000001,EUR,100.50,0.50,10.05,10000,201,2.01%,5,20.10,2.49%,250.00\n"
    "2024-01-02,Spark TOF,170000001,EUR,99.50,0.49,9.95,10000,203,2.03%,6,16.58,2.96%,300.00\n"
)
LINKEDIN = (
    "Campaign Performance Report (in UTC)\nReport Start: 1/1/2024, 12:00 AM\n"
    "Report End: 1/31/2024, 11:59 PM\n"
    "Start Date (in UTC),Account Name,Campaign Name,Currency,Total Spent,Impressions,Clicks,"
    "Average CTR,Conversions,Leads\n"
    "1/2/2024,Acme,Lead Gen US,EUR,210.55,12345,98,0.79%,4,3\n"
    "1/3/2024,Acme,Lead Gen US,EUR,190.45,11000,80,0.73%,2,1\n"
)


def test_a_tiktok_export_is_not_read_as_google_ads(tmp_path):
    (tmp_path / "t.csv").write_text(TIKTOK, "utf-8")
    with pytest.raises(KpiError, match="this export is not recognised") as info:
        connector(tmp_path, "t.csv", "EUR")
    message = str(info.value)
    assert "Clicks (destination), Total complete payment value" in message
    assert "clicks: Clicks (destination)" in info.value.fix and "`csv` connector" in info.value.fix


def test_a_tiktok_export_as_google_ads_names_its_clicks(tmp_path):
    (tmp_path / "t.csv").write_text(TIKTOK, "utf-8")
    with pytest.raises(KpiError, match=r"column `Clicks \(destination\)` looks like the clicks"):
        connector(tmp_path, "t.csv", "EUR", platform="google_ads")


def test_a_linkedin_export_is_not_recognised(tmp_path):
    (tmp_path / "l.csv").write_text(LINKEDIN, "utf-8")
    with pytest.raises(KpiError, match="this export is not recognised") as info:
        connector(tmp_path, "l.csv", "EUR")
    assert "Total Spent" in str(info.value)
    assert (
        "date: Start Date (in UTC)" in info.value.fix and "ad_spend: Total Spent" in info.value.fix
    )


CONVERSION_ACTION = (
    'Campaign report\n"January 1, 2024 - January 31, 2024"\n'
    "Campaign,Conversion action,Currency code,Impr.,Clicks,Cost,Conversions\n"
    "Brand,Purchase,EUR,--,--,--,50.00\nBrand,Lead form,EUR,--,--,--,10.00\n"
)


def test_a_conversion_action_segment_is_named_as_why_there_is_no_cost(tmp_path):
    total = 'Total: Account,--,EUR,"15,000","1,200",600.00,60.00\n'
    (tmp_path / "c.csv").write_text(CONVERSION_ACTION + total, "utf-8")
    with pytest.raises(KpiError, match=r"segmented by `Conversion action`.*says 600.00"):
        fetch(connector(tmp_path, "c.csv", "EUR"), "ad_spend")
    (tmp_path / "c.csv").write_text(CONVERSION_ACTION, "utf-8")
    frame = fetch(connector(tmp_path, "c.csv", "EUR"), "ad_spend", "conversions")
    assert np.isnan(frame.values["ad_spend"]).all()
    assert "segmented by `Conversion action`" in frame.missing["ad_spend"]
    assert (
        float(np.nansum(frame.values["conversions"])) == 60.0 and "conversions" not in frame.missing
    )
