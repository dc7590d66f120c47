"""The `ads` connector's export profiles: Google Ads (UI downloads, the UTF-16 "Excel" download,
API and BigQuery exports) and Meta Ads Manager, as data (not a plugin module).

Each platform's column roles (the headers that play each, any case, the first present wins), its
totals rule (Google: `Total: ...` rows, found by the reading layer; Meta: a summary row with every
name column empty), its currency rule (a code column, `Amount spent (EUR)` in the header, and the
marks in the amounts) and the campaign types the API writes as enums.
"""

from __future__ import annotations

import re

from kpiengine.filesource import Profile

GOOGLE, META = "google_ads", "meta_ads"
#: platform -> (value of the `platform` dimension, default `channel`)
PLATFORMS = {GOOGLE: ("Google Ads", "Paid Search"), META: ("Meta Ads", "Paid Social")}

PROFILES = {
    GOOGLE: Profile(
        GOOGLE,
        {
            "date": ("Day", "Date", "segments.date", "segments_date"),
            "campaign": ("Campaign", "Campaign name", "campaign.name", "campaign_name"),
            "campaign_type": (
                "Campaign type",
                "campaign.advertising_channel_type",
                "campaign_advertising_channel_type",
            ),
            "currency": (
                "Currency code",
                "Currency",
                "customer.currency_code",
                "customer_currency_code",
            ),
            "impressions": ("Impr.", "Impressions", "metrics.impressions", "metrics_impressions"),
            "clicks": ("Clicks", "metrics.clicks", "metrics_clicks"),
            "cost": ("Cost", "metrics.cost_micros", "metrics_cost_micros"),
            "conversions": ("Conversions", "metrics.conversions", "metrics_conversions"),
            "conversion_value": (
                "Conv. value",
                "Conversion value",
                "Total conv. value",
                "metrics.conversions_value",
                "metrics_conversions_value",
            ),
        },
        totals="label",
        currency="column",
        day_first=False,
    ),
    META: Profile(
        META,
        {
            "date": ("Day", "Date", "Reporting starts"),
            "date_end": ("Reporting ends",),
            "campaign": ("Campaign name", "Campaign"),
            "currency": ("Currency",),
            "impressions": ("Impressions",),
            "clicks": ("Link clicks", "Clicks (all)", "Clicks"),
            "cost": ("Amount spent",),  # and `Amount spent (EUR)`: see AMOUNT_SPENT
            "conversions": ("Results", "Purchases", "Conversions"),
            "conversion_value": (
                "Purchases conversion value",
                "Website purchases conversion value",
                "Purchase conversion value",
                "Conversion value",
            ),
            "result_type": ("Result type", "Result indicator"),
        },
        totals="summary",
        currency="header",
        day_first=False,
    ),
}
ROLES = (
    "date",
    "date_end",
    "campaign",
    "campaign_type",
    "currency",
    "impressions",
    "clicks",
    "cost",
    "conversions",
    "conversion_value",
    "result_type",
)
ALIASES = {"ad_spend": "cost", "spend": "cost", "ad_revenue": "conversion_value", "day": "date"}
METRICS = ("impressions", "clicks", "cost", "conversions", "conversion_value")
MONEY = ("cost", "conversion_value")
#: Meta summary rows: every name column empty.
META_NAMES = ("campaign name", "ad set name", "ad name")
#: API enum values of campaign types, as the Google Ads UI writes them.
CAMPAIGN_TYPES = {
    "SEARCH": "Search",
    "DISPLAY": "Display",
    "SHOPPING": "Shopping",
    "VIDEO": "Video",
    "PERFORMANCE_MAX": "Performance Max",
    "DEMAND_GEN": "Demand Gen",
    "DISCOVERY": "Discovery",
    "MULTI_CHANNEL": "App",
    "SMART": "Smart",
    "HOTEL": "Hotel",
    "LOCAL": "Local",
    "LOCAL_SERVICES": "Local Services",
    "TRAVEL": "Travel",
}
#: `Total: Account`, `Total : campagnes`, `Gesamt: Kampagnen`, ... in the first column.
TOTAL_LABEL = re.compile(r"^(total|totals|totale|totales|totaal|gesamt|summe)\s*:", re.I)
#: Totals of every row shown (as opposed to the whole account, filters included).
SHOWN_TOTALS = ("campaigns", "all campaigns", "filtered campaigns", "all", "")
AMOUNT_SPENT = re.compile(r"^amount spent(?:\s*\(([A-Za-z]{3})\))?$", re.IGNORECASE)
CODE = re.compile(r"^[A-Z]{3}$")


def detect_platform(columns: list[str]) -> str | None:
    """`google_ads` or `meta_ads` from a header row; None when it looks like neither."""
    lowered = {c.strip().lower() for c in columns}
    if "reporting starts" in lowered or any(AMOUNT_SPENT.match(c.strip()) for c in columns):
        return META
    if lowered & {"impr.", "currency code", "conv. value", "avg. cpc"}:
        return GOOGLE
    if any(c.startswith(("metrics.", "metrics_", "segments.", "segments_")) for c in lowered):
        return GOOGLE
    if {"campaign", "cost"} <= lowered:
        return GOOGLE
    return None
