"""The sample workspace: four kinds of exports evaluated to values computed here from the files."""

import csv
import datetime as dt
from collections import defaultdict

import pytest

import kpiengine

ROOT = kpiengine.sample_workspace()
MONTH = "2024-06"
HUBSPOT_CHANNELS = {"Email Marketing": "Email", "Referrals": "Referral", "Direct Traffic": "Direct"}


def rows(name, skip=0):
    with open(ROOT / name, newline="", encoding="utf-8") as handle:
        lines = handle.read().splitlines()[skip:]
    return list(csv.DictReader(lines))


def number(text):
    return float(text.replace(",", "")) if text.strip() else 0.0


def euro(text):  # "1.234,50 €"
    return float(text.replace("€", "").replace(".", "").replace(",", ".").strip())


def in_month(text, month=MONTH):
    return text[:7] == month


@pytest.fixture(scope="module")
def expected():
    out = defaultdict(float)
    with open(ROOT / "costs/marketing_costs.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            month, year = row["Month"].split("/")
            if f"{year}-{month}" == MONTH:
                out["marketing_cost"] += euro(row["Amount"])
                if row["Channel"] == "Email":
                    out["marketing_cost Email"] += euro(row["Amount"])
    for row in rows("exports/hubspot_deals.csv"):
        channel = HUBSPOT_CHANNELS.get(row["Original Source Type"], row["Original Source Type"])
        if in_month(row["Create Date"]):
            out["opportunities"] += 1
        if row["Deal Stage"] == "Closed won" and in_month(row["Close Date"]):
            out["deals_won"] += 1
            out["revenue"] += number(row["Amount"])
            if channel == "Email":
                out["revenue Email"] += number(row["Amount"])
    for row in rows("exports/hubspot_contacts.csv"):
        if in_month(row["Became a Customer Date"]):
            out["new_customers"] += 1
    for row in rows("exports/google_ads_campaigns.csv", skip=2):
        if row["Day"].startswith(MONTH):
            out["ad_spend"] += number(row["Cost"])
            out["ad_revenue"] += number(row["Conv. value"])
    for row in rows("exports/ga4_traffic_acquisition.csv", skip=9):
        if row["Date"][:6] == MONTH.replace("-", ""):
            out["sessions"] += number(row["Sessions"])
            out["key_events"] += number(row["Key events"])
            out["engaged"] += number(row["Engaged sessions"])
    return out


@pytest.fixture(scope="module")
def results():
    ws = kpiengine.load_workspace(ROOT)
    assert [f.format() for f in ws.findings] == []
    return kpiengine.evaluate(ws, by=["channel"])


def value(results, kpi, segment=None):
    table = results.table
    s = table.segments.index(segment or {})
    return results.kpis[kpi].values[table.labels.index(MONTH), s]


def test_every_source_is_used(results):
    assert {s.name: s.connector for s in results.sources} == {
        "ga4": "ga_export",
        "ga4_users": "ga_export",
        "hubspot_contacts": "crm",
        "hubspot_deals": "crm",
        "google_ads": "ads",
        "costs": "csv",
    }
    assert all(s.error is None and s.coverage for s in results.sources)


def test_values_match_the_exports(results, expected):
    e = expected
    assert value(results, "roi") == pytest.approx(
        (e["revenue"] - e["marketing_cost"]) / e["marketing_cost"]
    )
    assert value(results, "roas") == pytest.approx(e["ad_revenue"] / e["ad_spend"])
    assert value(results, "close_rate") == pytest.approx(e["deals_won"] / e["opportunities"])
    assert value(results, "cac") == pytest.approx(e["marketing_cost"] / e["new_customers"])
    assert value(results, "conversion_rate") == pytest.approx(e["key_events"] / e["sessions"])
    assert value(results, "bounce_rate") == pytest.approx(1 - e["engaged"] / e["sessions"])


def test_channels_line_up_across_sources(results, expected):
    e = expected
    email = {"channel": "Email"}
    assert value(results, "roi", email) == pytest.approx(
        (e["revenue Email"] - e["marketing_cost Email"]) / e["marketing_cost Email"]
    )
    channels = {s.get("channel") for s in results.table.segments[1:]}
    assert "Email Marketing" not in channels and "Email" in channels


def test_december_is_partial():
    ga = rows("exports/ga4_traffic_acquisition.csv", skip=9)
    last = max(dt.date(int(r["Date"][:4]), int(r["Date"][4:6]), int(r["Date"][6:])) for r in ga[1:])
    assert last.month == 12 and last.day < 31
