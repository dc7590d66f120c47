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


# --- won deals without an amount --------------------------------------------------------------


@pytest.fixture(scope="module")
def won_by_month():
    """Month -> [revenue, won deals, won deals with an amount], from the deal file."""
    out: dict[str, list[float]] = defaultdict(lambda: [0.0, 0, 0])
    for row in rows("exports/hubspot_deals.csv"):
        if row["Deal Stage"] == "Closed won":
            month = out[row["Close Date"][:7]]
            month[0] += number(row["Amount"])
            month[1] += 1
            month[2] += 1 if row["Amount"].strip() else 0
    return dict(out)


def test_average_deal_size_counts_the_won_deals_with_an_amount(results, won_by_month):
    revenue, won, with_amount = won_by_month["2024-03"]
    assert (won, with_amount) == (49, 47)  # two won deals without an amount
    assert round(revenue / with_amount, 2) == 808.79 and round(revenue / won, 2) == 775.78
    march = results.table.labels.index("2024-03")
    assert results.kpis["average_deal_size"].values[march, 0] == pytest.approx(
        revenue / with_amount
    )
    # the win and close rates still count every won deal
    assert results.table.values["deals_won"][march, 0] == won
    assert results.table.values["deals_won_with_amount"][march, 0] == with_amount


def test_won_deals_without_an_amount_are_a_finding(won_by_month):
    ws = kpiengine.load_workspace(ROOT)
    report = kpiengine.Engine(ws).lint(True, kpis=["average_deal_size"])
    [finding] = [f for f in report.findings if f.code == "KPI314"]
    assert finding.kpi == "average_deal_size" and finding.severity == "warning"
    missing = {m: w - a for m, (_, w, a) in won_by_month.items() if w > a}
    assert sum(missing.values()) == 10  # ten won deals without an amount in the sample
    assert f"10 `deals_won` are left out of it, in {len(missing)} periods" in finding.message
    assert finding.details["left_out"] == missing
    revenue, won, with_amount = won_by_month["2024-03"]
    assert finding.details["without"]["2024-03"] == pytest.approx(revenue / with_amount)
    assert finding.details["with_them"]["2024-03"] == pytest.approx(revenue / won)
    assert "2024-03: 2 left out, 808.79 without them, 775.78 with them, -4.1%" in (finding.message)
