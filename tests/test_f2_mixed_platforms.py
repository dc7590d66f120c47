"""Google Ads and Meta exports in one `ads` source (a folder holding both): each file is read
with its own platform's profile (headers, totals rows, currency) and their rows are added up,
by `platform` and `channel` too. A variable one platform's files lack is undefined (never the
other platform's part alone), days one platform's files state they do not cover are unknown,
and a file whose platform cannot be told is an error naming it.

Expected values are computed here from the file texts with the csv module.
"""

import csv
import datetime as dt
import io
from collections import defaultdict

import numpy as np
import pytest
from test_connector_ads import connector, fetch

from kpiengine.errors import KpiError

GOOGLE = (
    'Campaign report\r\n"June 1, 2024 - June 30, 2024"\r\n'
    "Day,Campaign,Campaign type,Currency code,Impr.,Clicks,Cost,Conversions,Conv. value\r\n"
    '2024-06-03,Brand,Search,USD,"1,204",96,49.92,4.00,"1,180.00"\r\n'
    '2024-06-17,Generic,Search,USD,"3,410",121,187.55,2.50,612.50\r\n'
    'Total: Account,--,--,USD,"4,614",217,237.47,6.50,"1,792.50"\r\n'
)
GOOGLE_JULY = (
    'Campaign report\r\n"July 1, 2024 - July 31, 2024"\r\n'
    "Day,Campaign,Campaign type,Currency code,Impr.,Clicks,Cost,Conversions,Conv. value\r\n"
    "2024-07-08,Brand,Search,USD,980,71,38.20,3.00,840.00\r\n"
    "Total: Account,--,--,USD,980,71,38.20,3.00,840.00\r\n"
)
META = (
    '"Reporting starts","Reporting ends","Campaign name","Day","Impressions","Link clicks",'
    '"Amount spent (USD)","Purchases","Purchases conversion value"\r\n'
    '"2024-06-01","2024-06-30","","","30370","400","158.52","7","645.10"\r\n'
    '"2024-06-01","2024-06-01","Summer Sale","2024-06-01","18450","212","96.40","5","412.75"\r\n'
    '"2024-06-02","2024-06-02","Retargeting","2024-06-02","11920","188","62.12","2","232.35"\r\n'
)
META_NO_VALUE = "\r\n".join(
    line.rsplit(",", 1)[0] for line in META.split("\r\n") if line
) + "\r\n"  # fmt: skip


def rows(text, first):
    """A file's data rows as dicts (title lines, `Total:` and summary rows left out)."""
    table = list(csv.reader(io.StringIO(text)))
    start = next(i for i, r in enumerate(table) if r and r[0] == first)
    out = [dict(zip(table[start], r, strict=True)) for r in table[start + 1 :] if r]
    return [r for r in out if not r[first].startswith("Total") and r.get("Campaign name") != ""]


def number(text):
    return float(text.replace(",", ""))


def expected(files):
    """{(month, platform): {variable: sum}} of the files, by the csv module."""
    columns = {
        "Google Ads": (
            "Day",
            {"ad_spend": "Cost", "clicks": "Clicks", "ad_revenue": "Conv. value"},
        ),
        "Meta Ads": (
            "Reporting starts",
            {
                "ad_spend": "Amount spent (USD)",
                "clicks": "Link clicks",
                "ad_revenue": "Purchases conversion value",
            },
        ),
    }
    out: dict = defaultdict(lambda: defaultdict(float))
    for platform, text in files:
        day, metrics = columns[platform]
        for r in rows(text, day):
            for variable, column in metrics.items():
                out[r[day][:7], platform][variable] += number(r[column])
    return out


def by_key(frame, variable, *dims):
    out: dict = defaultdict(float)
    for i, day in enumerate(frame.dates.astype(str)):
        out[(day[:7], *(str(frame.dims[d][i]) for d in dims))] += float(frame.values[variable][i])
    return dict(out)


def folder(tmp_path, files):
    (tmp_path / "ads").mkdir()
    for name, text in files.items():
        (tmp_path / "ads" / name).write_text(text, "utf-8")


def test_google_and_meta_files_add_up(tmp_path):
    folder(tmp_path, {"google.csv": GOOGLE, "meta.csv": META})
    ads = connector(tmp_path, "ads/*.csv")
    assert {"channel", "platform", "campaign"} <= ads.dimensions()
    want = expected([("Google Ads", GOOGLE), ("Meta Ads", META)])
    frame = fetch(ads, "ad_spend", "clicks", "ad_revenue")
    assert frame.missing == {}
    for variable in ("ad_spend", "clicks", "ad_revenue"):
        total = sum(v[variable] for v in want.values())
        assert by_key(frame, variable) == {("2024-06",): pytest.approx(total)}
    frame = fetch(ads, "ad_spend", "clicks", dims=["platform"])
    for variable in ("ad_spend", "clicks"):
        got = by_key(frame, variable, "platform")
        assert got == {k: pytest.approx(v[variable]) for k, v in want.items()}
    channels = by_key(fetch(ads, "ad_spend", dims=["channel"]), "ad_spend", "channel")
    assert channels == {
        ("2024-06", "Paid Search"): pytest.approx(want["2024-06", "Google Ads"]["ad_spend"]),
        ("2024-06", "Paid Social"): pytest.approx(want["2024-06", "Meta Ads"]["ad_spend"]),
    }


def test_each_file_keeps_its_own_totals_check(tmp_path):
    """Google's `Total: Account` is checked against Google's rows only, Meta's summary row
    against Meta's: each one's error names its file."""
    folder(tmp_path, {"google.csv": GOOGLE.replace("237.47", "247.47"), "meta.csv": META})
    with pytest.raises(KpiError, match=r"add up to 237\.47 .* `Total: Account` says 247\.47") as e:
        fetch(connector(tmp_path, "ads/*.csv"), "ad_spend")
    assert e.value.location.file == "ads/google.csv"
    (tmp_path / "ads" / "google.csv").write_text(GOOGLE, "utf-8")
    (tmp_path / "ads" / "meta.csv").write_text(META.replace('"158.52"', '"168.52"'), "utf-8")
    with pytest.raises(KpiError, match=r"add up to 158\.52 .* the summary row says 168\.52") as e:
        fetch(connector(tmp_path, "ads/*.csv"), "ad_spend")
    assert e.value.location.file == "ads/meta.csv"


def test_a_variable_one_platform_lacks_is_undefined_with_why(tmp_path):
    folder(tmp_path, {"google.csv": GOOGLE, "meta.csv": META_NO_VALUE})
    frame = fetch(connector(tmp_path, "ads/*.csv"), "ad_spend", "ad_revenue")
    assert np.isnan(frame.values["ad_revenue"]).all()
    why = frame.missing["ad_revenue"]
    assert "`Conv. value` in the Google Ads files" in why and "(`ads/meta.csv`)" in why
    want = expected([("Google Ads", GOOGLE), ("Meta Ads", META)])
    total = sum(v["ad_spend"] for v in want.values())
    assert by_key(frame, "ad_spend") == {("2024-06",): pytest.approx(total)}


def test_days_one_platform_does_not_cover_are_unknown(tmp_path):
    """Google to 31 July, Meta's export to 30 June: July's sum would lack Meta's spend."""
    folder(tmp_path, {"g1.csv": GOOGLE, "g2.csv": GOOGLE_JULY, "meta.csv": META})
    frame = fetch(connector(tmp_path, "ads/*.csv"), "ad_spend")
    july = (dt.date(2024, 7, 1), dt.date(2024, 7, 31))
    assert frame.holes == [(*july, "ads/meta.csv", "ads/g2.csv")]
    assert frame.coverage == (dt.date(2024, 6, 1), dt.date(2024, 7, 31))


def test_a_columns_entry_applies_to_the_platform_whose_files_have_it(tmp_path):
    meta = META.replace('"Purchases"', '"Website purchases"')
    folder(tmp_path, {"google.csv": GOOGLE, "meta.csv": meta})
    ads = connector(tmp_path, "ads/*.csv", columns={"conversions": "Website purchases"})
    frame = fetch(ads, "conversions", dims=["platform"])
    google = sum(number(r["Conversions"]) for r in rows(GOOGLE, "Day"))
    purchases = sum(number(r["Website purchases"]) for r in rows(meta, "Reporting starts"))
    assert by_key(frame, "conversions", "platform") == {
        ("2024-06", "Google Ads"): pytest.approx(google),
        ("2024-06", "Meta Ads"): pytest.approx(purchases),
    }
    with pytest.raises(KpiError, match="no column `Website purchase`"):
        connector(tmp_path, "ads/*.csv", columns={"conversions": "Website purchase"})


def test_a_file_whose_platform_cannot_be_told_is_named(tmp_path):
    tiktok = (
        "Date,Campaign name,Cost,Impressions,Clicks (destination)\r\n"
        "2024-06-01,Spark,12.00,1000,20\r\n"
    )
    folder(tmp_path, {"google.csv": GOOGLE, "meta.csv": META, "tiktok.csv": tiktok})
    with pytest.raises(KpiError, match="this export is not recognised") as info:
        connector(tmp_path, "ads/*.csv")
    assert info.value.location.file == "ads/tiktok.csv"
    assert "other files are Google Ads and Meta Ads exports" in info.value.message


def test_the_engine_evaluates_a_folder_of_both_platforms(tmp_path):
    """`kpi eval --by platform` on one source over both platforms' files: spend summed, each
    platform a segment; July, which only Google's files cover, unknown with KPI017."""
    import kpiengine
    from kpiengine.engine import Engine

    root = tmp_path / "ws"
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "ads.yaml").write_text(
        "kpis:\n  s_spend: {formula: ad_spend, unit: currency, direction: lower}\n"
    )
    folder(root, {"g1.csv": GOOGLE, "g2.csv": GOOGLE_JULY, "meta.csv": META})
    (root / "kpi.yaml").write_text(
        "currency: USD\nkpis: [s_spend]\nsources:\n  ads: {connector: ads, path: ads/*.csv}\n"
    )
    results = Engine(kpiengine.load_workspace(root)).evaluate(grain="month", by=["platform"])
    got = {
        (r["period"], r["segment"].get("platform", "") if r["segment"] else ""): r["value"]
        for r in results.records()
    }
    want = expected([("Google Ads", GOOGLE), ("Meta Ads", META)])
    june = sum(v["ad_spend"] for v in want.values())
    assert got["2024-06", ""] == pytest.approx(june)
    for (_, platform), values in want.items():
        assert got["2024-06", platform] == pytest.approx(values["ad_spend"])
    assert got["2024-07", ""] is None
    found = [f for f in results.findings if f.code == "KPI017"]
    assert found and "2024-07-01 to 2024-07-31" in found[0].message
