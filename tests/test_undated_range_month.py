"""Undated exports over a range (GA reports, Google Ads and Microsoft Advertising reports without
days): one period whose label is the range at every grain, month included, unless the range is
exactly one period of the grain asked for, which it then is.

Was, by month: a GA4 report of 8 to 31 July was labelled `2025-07`, complete, against the whole
month's target, while a Google Ads report of the same days was refused (KPI013 "which no month
holds"), so `clicks / sessions` was undefined. Expected values are computed here with the csv
module and by hand, not by kpiengine.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from click.testing import CliRunner

import kpiengine
from kpiengine.cli import cli
from kpiengine.engine import Engine

GRAINS = ("day", "week", "month", "quarter", "year")
MONTH_TARGET = 3100.0  # sessions a month (`targets: {s: 3100}`)

GA4_EN = (
    "\ufeff# ----------------------------------------\n"
    "# Traffic acquisition: Session default channel group\n"
    "# Account: Acme\n"
    "# Property: acme - GA4\n"
    "# ----------------------------------------\n"
    "#\n"
    "# All Users\n"
    "# Start date: {start:%Y%m%d}\n"
    "# End date: {end:%Y%m%d}\n"
    "Session default channel group,Users,Sessions,Engaged sessions,Views\n"
    'Grand total,"1,200","1,500",900,"4,000"\n'
    'Direct,700,"1,000",600,"3,000"\n'
    'Organic Search,500,500,300,"1,000"\n'
)
GA4_FR = (
    "# ----------------------------------------\n"
    "# Acquisition de trafic : Groupe de canaux par défaut de la session\n"
    "# Compte : Acme\n"
    "# Propriété : acme - GA4\n"
    "# ----------------------------------------\n"
    "#\n"
    "# Tous les utilisateurs\n"
    "# Date de début : {start:%Y%m%d}\n"
    "# Date de fin : {end:%Y%m%d}\n"
    "Groupe de canaux par défaut de la session,Sessions,Utilisateurs actifs,Vues\n"
    'Organic Search,1 200,900,"2 500"\n'
    'Direct,400,300,"1 000"\n'
)
GA4_ZH = (
    "# ----------------------------------------\n"
    "# 流量获取：会话默认渠道组\n"
    "# 账号：Acme\n"
    "# 媒体资源：acme - GA4\n"
    "# ----------------------------------------\n"
    "#\n"
    "# 所有用户\n"
    "# 开始日期：{start:%Y%m%d}\n"
    "# 结束日期：{end:%Y%m%d}\n"
    "会话默认渠道组,会话数,活跃用户,浏览次数\n"
    '总计,"1,250",900,"3,000"\n'
    'Organic Search,"1,000",700,"2,400"\n'
    "Direct,250,200,600\n"
)
UA = (
    "# ----------------------------------------\n"
    "# All Web Site Data\n"
    "# Channels\n"
    "# {start:%Y%m%d}-{end:%Y%m%d}\n"
    "# ----------------------------------------\n"
    "\n"
    "Default Channel Grouping,Users,Sessions,Bounce Rate\n"
    'Organic Search,"1,234","1,500",45.67%\n'
    'Direct,766,"1,000",40.00%\n'
    ',"2,000","2,500",43.40%\n'
)
GOOGLE_ADS = (
    "Campaign report\n"
    '"{start:%B} {start.day}, {start.year} - {end:%B} {end.day}, {end.year}"\n'
    "Campaign,Campaign type,Currency code,Impr.,Clicks,Cost\n"
    "Brand,Search,EUR,100,10,5.00\n"
    'Generic,Search,EUR,"1,000",20,10.00\n'
    'Total: Account,--,EUR,"1,100",30,15.00\n'
)


def microsoft(start, end) -> str:
    """A Microsoft Advertising Summary report (Reporting API layout: BOM, CRLF, quoted fields)."""
    q = lambda *cells: ",".join(f'"{c}"' for c in cells)  # noqa: E731
    lines = [
        q("Report Name: Campaigns"),
        q(f"Report Time: {start.month}/{start.day}/{start.year},{end.month}/{end.day}/{end.year}"),
        q("Time Zone: (GMT+01:00) Brussels, Copenhagen, Madrid, Paris"),
        q("Last Completed Available Day: 8/2/2025 10:15:00 AM (GMT)"),
        q("Last Completed Available Hour: 8/2/2025 10:15:00 AM (GMT)"),
        q("Report Aggregation: Summary"),
        q("Report Filter: "),
        q("Potential Incomplete Data: false"),
        q("Rows: 2"),
        "",
        q("CampaignName", "CurrencyCode", "Impressions", "Clicks", "Spend"),
        q("Brand", "EUR", "300", "12", "6.00"),
        q("Generic", "EUR", "700", "33", "11.50"),
        "",
        q("©2025 Microsoft Corporation. All rights reserved. "),
    ]
    return "\ufeff" + "\r\n".join(lines) + "\r\n"


def numbers(text: str, header_start: str, column: str, decimal: str = ".") -> list[float]:
    """The column's cells in the data rows (not the totals row) of the table after the line
    starting with `header_start`, read with the csv module."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    header, *rows = csv.reader(io.StringIO("\n".join(lines[start:end])))
    totals = ("Grand total", "总计", "", "Total: Account")
    out = []
    for row in rows:
        if row[0] in totals:
            continue
        cell = row[header.index(column)].replace(" ", "").replace("\u202f", "")
        cell = cell.replace(",", "") if decimal == "." else cell.replace(",", ".")
        out.append(float(cell))
    return out


GA = {
    "ga4_en": (GA4_EN, "Session default", "Sessions"),
    "ga4_fr": (GA4_FR, "Groupe de canaux", "Sessions"),
    "ga4_zh": (GA4_ZH, "会话默认渠道组", "会话数"),
    "ua": (UA, "Default Channel", "Sessions"),
}
ADS = {
    "google_ads": (lambda s, e: GOOGLE_ADS.format(start=s, end=e), "Campaign,", "Clicks"),
    "microsoft": (microsoft, '"CampaignName"', "Clicks"),
}


def workspace(tmp_path, ga: str, ads: str, start, end):
    ga_text, _, _ = GA[ga]
    make, _, _ = ADS[ads]
    root = tmp_path / f"{ga}_{ads}_{start}_{end}"
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "d.yaml").write_text(
        "kpis:\n"
        "  s: {formula: sessions, unit: sessions}\n"
        "  ctr_site: {formula: clicks / sessions, unit: clicks / sessions}\n",
        "utf-8",
    )
    (root / "kpi.yaml").write_text(
        "currency: EUR\nsources:\n  ga: {connector: ga_export, path: ga.csv}\n"
        "  ads: {connector: ads, path: ads.csv}\ntargets:\n  s: 3100\n",
        "utf-8",
    )
    (root / "ga.csv").write_text(ga_text.format(start=start, end=end), "utf-8", newline="")
    (root / "ads.csv").write_text(make(start, end), "utf-8", newline="")
    return root


def expected(ga: str, ads: str, start, end) -> tuple[float, float]:
    ga_text, ga_header, ga_column = GA[ga]
    make, ads_header, ads_column = ADS[ads]
    decimal = "," if ga == "ga4_fr" else "."
    sessions = sum(numbers(ga_text.format(start=start, end=end), ga_header, ga_column, decimal))
    clicks = sum(numbers(make(start, end), ads_header, ads_column))
    return sessions, clicks


def totals(root, grain: str) -> dict[str, dict]:
    results = Engine(kpiengine.load_workspace(root)).evaluate(grain=grain, kpis=["s", "ctr_site"])
    return {r["kpi"]: r for r in results.records() if not r["segment"]}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-12-07")


JULY_8 = (dt.date(2025, 7, 8), dt.date(2025, 7, 31))
JULY = (dt.date(2025, 7, 1), dt.date(2025, 7, 31))


@pytest.mark.parametrize("grain", GRAINS)
def test_ga4_and_google_ads_over_8_to_31_july_are_one_range_period(tmp_path, grain):
    """The repro: both exports are the period `2025-07-08/2025-07-31` at every grain; the
    month's target is prorated to the range's 24 of 31 days."""
    root = workspace(tmp_path, "ga4_en", "google_ads", *JULY_8)
    sessions, clicks = expected("ga4_en", "google_ads", *JULY_8)
    assert (sessions, clicks) == (1500, 30)
    got = totals(root, grain)
    for kpi in ("s", "ctr_site"):
        assert got[kpi]["period"] == "2025-07-08/2025-07-31", (grain, got[kpi])
    assert got["s"]["value"] == sessions
    assert got["ctr_site"]["value"] == pytest.approx(clicks / sessions)  # 0.02
    assert got["ctr_site"]["reason"] is None
    assert got["s"]["target"] == pytest.approx(MONTH_TARGET * 24 / 31)  # 2400


@pytest.mark.parametrize("ga", sorted(GA))
@pytest.mark.parametrize("ads", sorted(ADS))
@pytest.mark.parametrize("grain", ["month", "quarter", "day"])
def test_every_ga_flavour_and_ad_platform_agree(tmp_path, ga, ads, grain):
    root = workspace(tmp_path, ga, ads, *JULY_8)
    sessions, clicks = expected(ga, ads, *JULY_8)
    got = totals(root, grain)
    assert got["ctr_site"]["period"] == got["s"]["period"] == "2025-07-08/2025-07-31"
    assert got["s"]["value"] == pytest.approx(sessions)
    assert got["ctr_site"]["value"] == pytest.approx(clicks / sessions)
    assert got["s"]["target"] == pytest.approx(MONTH_TARGET * 24 / 31)


@pytest.mark.parametrize("ga", sorted(GA))
def test_a_range_of_exactly_one_month_is_that_month(tmp_path, ga):
    root = workspace(tmp_path, ga, "google_ads", *JULY)
    sessions, clicks = expected(ga, "google_ads", *JULY)
    month = totals(root, "month")
    assert month["s"]["period"] == month["ctr_site"]["period"] == "2025-07"
    assert month["s"]["value"] == pytest.approx(sessions)
    assert month["ctr_site"]["value"] == pytest.approx(clicks / sessions)
    assert month["s"]["target"] == MONTH_TARGET and month["s"]["complete"]
    # by quarter, July alone is not the third quarter: its own period, with July's target
    quarter = totals(root, "quarter")
    assert quarter["s"]["period"] == quarter["ctr_site"]["period"] == "2025-07-01/2025-07-31"
    assert quarter["ctr_site"]["value"] == pytest.approx(clicks / sessions)
    assert quarter["s"]["target"] == pytest.approx(MONTH_TARGET)


def test_the_connector_gives_a_range_period_by_month(tmp_path):
    """`ga_export` alone: 8 to 31 July by month is a `range` frame (was: July's)."""
    from kpiengine.connectors.ga_export import GaExportConnector

    from kpiengine.connector import Request, SourceConfig
    from kpiengine.model import Aggregate

    def frame(start, end, grain):
        (tmp_path / "ga.csv").write_text(GA4_EN.format(start=start, end=end), "utf-8")
        config = SourceConfig(
            name="ga", connector="ga_export", root=tmp_path, location=None,
            options={"path": "ga.csv"},
        )  # fmt: skip
        request = Request({"sessions": Aggregate()}, grain, [], None, None)
        return GaExportConnector(config).fetch(request)

    ranged = frame(*JULY_8, "month")
    assert ranged.grain == "range" and ranged.span == JULY_8
    assert ranged.values["sessions"].tolist() == [1500.0]  # 1,000 + 500
    whole = frame(*JULY, "month")
    assert whole.grain == "month" and whole.dates.astype(str).tolist() == ["2025-07-01"]
    # July is the third quarter so far (a partial quarter), as a month-to-date download is
    # its month so far; a range starting inside a quarter would be a range of its own
    assert frame(*JULY, "quarter").grain == "quarter"
    assert frame(*JULY_8, "quarter").grain == "range"
    assert frame(dt.date(2025, 7, 1), dt.date(2025, 9, 30), "quarter").grain == "quarter"


def test_the_table_shows_the_ratio_without_kpi013(tmp_path):
    root = workspace(tmp_path, "ga4_en", "google_ads", *JULY_8)
    args = ["eval", "--workspace", str(root), "--grain", "month", "--kpi", "ctr_site"]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code in (0, 1), out.output
    assert "KPI013" not in out.output and "no month holds" not in out.output
    assert "0.02" in out.output


def test_a_window_over_a_range_says_why_it_is_undefined(tmp_path):
    root = workspace(tmp_path, "ga4_en", "google_ads", *JULY_8)
    results = Engine(kpiengine.load_workspace(root)).evaluate(kpis=["s"], window="ytd")
    (record,) = [r for r in results.records() if not r["segment"]]
    assert record["value"] is None
    assert "ytd is not defined for a range of dates" in record["reason"]
