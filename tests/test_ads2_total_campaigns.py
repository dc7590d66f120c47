"""A campaign named like a total (`Total`, `Gesamt`, `合計`, ...) is a campaign: Google and
Microsoft write `--` or nothing in the label columns of their totals rows (campaign type, day),
which a campaign's row fills; Meta writes no labelled totals (its summary row has no name). Such a
row is counted, and the real totals rows are checked against the rows with it. Expected values
come from the csv module over the files written here.
"""

import csv
import io

import pytest
from test_connector_ads import connector, fetch

from kpiengine.errors import KpiError

LABELS = ["Total", "Totale", "Gesamt", "Summe", "Totals", "Grand total", "合計"]
HEAD = 'Campaign report\r\n"February 1, 2026 - February 28, 2026"\r\n'


def google(name, totals=True, day=False):
    """A Google Ads campaign report (a Day column after the campaign's: `day`), a campaign
    named `name`, its `Total: Account` and `Total: Campaigns` rows adding up the rows."""
    rows = [
        (name, "Display", "4,902", "150", "763.45"),
        ("Brand", "Search", "16,734", "784", "407.29"),
        ("PMax", "Performance Max", "3,849", "86", "32.38"),
    ]
    when = ["Day"] if day else []
    text = HEAD + ",".join(["Campaign", *when, "Campaign type", "Currency code", "Impr.",
                            "Clicks", "Cost"]) + "\r\n"  # fmt: skip
    for campaign, kind, impressions, clicks, cost in rows:
        cells = [campaign, *(["2026-02-03"] if day else []), kind, "USD", impressions, clicks, cost]
        text += ",".join(f'"{c}"' if "," in c else c for c in cells) + "\r\n"
    if totals:  # 24,485 impressions, 1,020 clicks, 1,203.12 spent
        for label in ("Total: Account", "Total: Campaigns"):
            cells = [label, *(["--"] if day else []), "--", "USD", '"24,485"', '"1,020"']
            text += ",".join([*cells, '"1,203.12"']) + "\r\n"
    return text


def spent(text, header="Cost"):
    """The rows' spend by the csv module: the rows whose campaign type is not `--`."""
    lines = text.splitlines()[2:] if text.startswith("Campaign report") else text.splitlines()
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    kind = "Campaign type" if "Campaign type" in rows[0] else None
    return sum(float(r[header].replace(",", "")) for r in rows if kind is None or r[kind] != "--")


@pytest.mark.parametrize("name", LABELS)
def test_a_google_campaign_named_like_a_total_is_a_campaign(tmp_path, name):
    text = google(name)
    (tmp_path / "ads.csv").write_text(text, "utf-8")
    frame = fetch(connector(tmp_path, "ads.csv"), "ad_spend", "clicks", dims=["campaign"])
    assert frame.values["ad_spend"].sum() == pytest.approx(spent(text))  # 1,203.12
    assert frame.values["clicks"].sum() == 150 + 784 + 86
    assert name in set(frame.dims["campaign"])


@pytest.mark.parametrize("totals", [True, False])
def test_with_a_day_column_and_without_totals_rows(tmp_path, totals):
    text = google("Gesamt", totals=totals, day=True)
    (tmp_path / "ads.csv").write_text(text, "utf-8")
    frame = fetch(connector(tmp_path, "ads.csv"), "ad_spend")
    assert frame.values["ad_spend"].sum() == pytest.approx(spent(text))


def test_the_real_totals_rows_are_still_checked(tmp_path):
    # the account's total says 1,300.00, the rows (the `Total` campaign's included) 1,203.12
    text = google("Total").replace('"1,203.12"\r\nTotal: Campaigns', '"1,300.00"\r\nTotal: C')
    (tmp_path / "ads.csv").write_text(text, "utf-8")
    with pytest.raises(KpiError, match=r"add up to 1,203.12 in column `Cost` but `Total: Acc"):
        fetch(connector(tmp_path, "ads.csv"), "ad_spend")


META = (
    "Campaign name,Reporting starts,Reporting ends,Impressions,Amount spent (USD),Link clicks\n"
    ",2026-02-01,2026-02-28,3000,300.00,30\n"
    "Brand,2026-02-01,2026-02-28,1000,100.00,10\n"
    "{name},2026-02-01,2026-02-28,2000,200.00,20\n"
)


@pytest.mark.parametrize("name", ["Total", "Grand total"])
def test_a_meta_campaign_named_like_a_total_is_a_campaign(tmp_path, name):
    text = META.format(name=name)
    (tmp_path / "meta.csv").write_text(text, "utf-8")
    frame = fetch(connector(tmp_path, "meta.csv"), "ad_spend", dims=["campaign"])
    rows = list(csv.DictReader(io.StringIO(text)))
    named = [r for r in rows if r["Campaign name"]]  # the summary row has none
    assert frame.values["ad_spend"].sum() == sum(float(r["Amount spent (USD)"]) for r in named)
    assert name in set(frame.dims["campaign"])


def test_a_meta_campaign_named_total_by_day(tmp_path):
    text = (
        "Campaign name,Day,Impressions,Amount spent (USD),Link clicks\n"
        ",,3000,300.00,30\n"
        "Brand,2026-02-03,1000,100.00,10\n"
        "Total,2026-02-04,2000,200.00,20\n"
    )
    (tmp_path / "meta.csv").write_text(text, "utf-8")
    frame = fetch(connector(tmp_path, "meta.csv"), "ad_spend", grain="day")
    assert sorted(frame.values["ad_spend"]) == [100.0, 200.0]


def test_a_microsoft_campaign_named_total(tmp_path):
    text = (
        '"Report Name: Campaigns"\n"Report Time: 1/1/2024,1/31/2024"\n'
        '"Report Aggregation: Summary"\n"Potential Incomplete Data: false"\n"Rows: 2"\n\n'
        '"CampaignName","CurrencyCode","Impressions","Clicks","Spend"\n'
        '"Total","USD","100","10","40.00"\n"Brand","USD","200","20","60.00"\n'
        '"Total","","300","30","100.00"\n\n"©2024 Microsoft Corporation. All rights reserved."\n'
    )
    (tmp_path / "ms.csv").write_text(text, "utf-8")
    frame = fetch(connector(tmp_path, "ms.csv"), "ad_spend")
    assert frame.values["ad_spend"].sum() == 40.0 + 60.0


def test_a_bad_cell_of_a_campaign_named_total_is_placed(tmp_path):
    text = google("Total").replace("763.45", "abc")
    (tmp_path / "ads.csv").write_text(text, "utf-8")
    with pytest.raises(KpiError, match="found `abc`") as info:
        fetch(connector(tmp_path, "ads.csv"), "ad_spend")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.startswith("Total,"))
    assert info.value.location.line == line == 4


def test_scoped_totals_rows_stay_totals(tmp_path):
    """`Total: Search` may write its type in the campaign type column: a scoped label names no
    campaign, so such a row is a total, never a campaign counted twice."""
    text = (
        'Campaign report\r\n"June 1, 2024 - June 30, 2024"\r\n'
        "Campaign status,Campaign,Campaign type,Device,Currency code,Impr.,Clicks,Cost\r\n"
        "Enabled,Brand,Search,Mobile phones,USD,100,10,5.00\r\n"
        "Enabled,Generic,Search,Computers,USD,200,20,10.00\r\n"
        "Enabled,PMax,Performance Max,Mobile phones,USD,80,8,4.00\r\n"
        "Total: Account,--,--,--,USD,380,38,19.00\r\n"
        "Total: Search,--,Search,--,USD,300,30,15.00\r\n"
        "Total: Performance Max,--,Performance Max,--,USD,80,8,4.00\r\n"
    )
    (tmp_path / "ads.csv").write_text(text, "utf-8")
    rows = list(csv.DictReader(io.StringIO("\n".join(text.splitlines()[2:]))))
    campaigns = [r for r in rows if not r["Campaign status"].startswith("Total")]
    frame = fetch(connector(tmp_path, "ads.csv"), "ad_spend", "clicks")
    assert frame.values["ad_spend"].sum() == pytest.approx(sum(float(r["Cost"]) for r in campaigns))
    assert frame.values["clicks"].sum() == sum(int(r["Clicks"]) for r in campaigns) == 38
