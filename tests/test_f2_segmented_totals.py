"""Google Ads campaign reports whose totals rows are per segment: `Total: Account` once per
device (or network), `Total: Search` / `Total: Display` once per device, without the overall
`Total: Account` row. Each total is checked against the rows of its segment (and type), the file
loads, and a total its segment's rows do not make is an error at its cell giving the gap.

The per-device report is written byte for byte as the UI's "CSV (Excel)" download writes one:
UTF-16 LE with its BOM, tabs, CRLF, the title and the unquoted date range before the header,
`--` in the label columns of the totals rows and the device filled. Expected values are
computed here from the text with the csv module.
"""

import csv
import io
from decimal import Decimal

import numpy as np
import pytest
from test_connector_ads import connector, fetch

from kpiengine.errors import KpiError

HEAD = "Campaign report\r\nJune 1, 2024 - June 30, 2024\r\n"
HEADER = (
    "Campaign status\tCampaign\tCampaign type\tDevice\tCurrency code\tImpr.\tClicks\tCTR\t"
    "Avg. CPC\tCost\tConversions\r\n"
)
ROWS = (
    "Enabled\tBrand - Exact\tSearch\tComputers\tUSD\t1,204\t96\t7.97%\t0.52\t49.92\t4.00\r\n"
    "Enabled\tBrand - Exact\tSearch\tMobile phones\tUSD\t2,310\t151\t6.54%\t0.48\t72.48\t5.00\r\n"
    "Enabled\tBrand - Exact\tSearch\tTablets\tUSD\t118\t6\t5.08%\t0.55\t3.30\t0.00\r\n"
    "Enabled\tGeneric - Running Shoes\tSearch\tComputers\tUSD\t3,410\t121\t3.55%\t1.55\t187.55\t"
    "2.50\r\n"
    "Enabled\tGeneric - Running Shoes\tSearch\tMobile phones\tUSD\t5,902\t233\t3.95%\t1.21\t"
    "281.93\t3.00\r\n"
    "Enabled\tDisplay - Remarketing\tDisplay\tComputers\tUSD\t18,220\t64\t0.35%\t0.41\t26.24\t"
    "1.00\r\n"
    "Enabled\tDisplay - Remarketing\tDisplay\tMobile phones\tUSD\t41,870\t188\t0.45%\t0.33\t"
    "62.04\t2.00\r\n"
    "Enabled\tDisplay - Remarketing\tDisplay\tTablets\tUSD\t6,045\t19\t0.31%\t0.37\t7.03\t0.00\r\n"
)
ACCOUNT = (
    "Total: Account\t--\t--\tComputers\tUSD\t22,834\t281\t1.23%\t0.94\t263.71\t7.50\r\n"
    "Total: Account\t--\t--\tMobile phones\tUSD\t50,082\t572\t1.14%\t0.73\t416.45\t10.00\r\n"
    "Total: Account\t--\t--\tTablets\tUSD\t6,163\t25\t0.41%\t0.41\t10.33\t0.00\r\n"
)
TYPES = (
    "Total: Search\t--\t--\tComputers\tUSD\t4,614\t217\t4.70%\t1.09\t237.47\t6.50\r\n"
    "Total: Search\t--\t--\tMobile phones\tUSD\t8,212\t384\t4.68%\t0.92\t354.41\t8.00\r\n"
    "Total: Search\t--\t--\tTablets\tUSD\t118\t6\t5.08%\t0.55\t3.30\t0.00\r\n"
    "Total: Display\t--\t--\tComputers\tUSD\t18,220\t64\t0.35%\t0.41\t26.24\t1.00\r\n"
    "Total: Display\t--\t--\tMobile phones\tUSD\t41,870\t188\t0.45%\t0.33\t62.04\t2.00\r\n"
    "Total: Display\t--\t--\tTablets\tUSD\t6,045\t19\t0.31%\t0.37\t7.03\t0.00\r\n"
)
METRICS = {"Impr.": "impressions", "Clicks": "clicks", "Cost": "ad_spend"}


def write_excel(path, text):
    """The UI's "CSV (Excel)" download: UTF-16 LE with a BOM."""
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))


def records(text, delimiter="\t"):
    rows = list(csv.reader(io.StringIO(text.replace("\r\n", "\n")), delimiter=delimiter))
    header = next(i for i, r in enumerate(rows) if len(r) > 3)
    return [dict(zip(rows[header], r, strict=True)) for r in rows[header + 1 :] if r]


def number(text, decimal="."):
    if decimal == ",":
        text = text.replace(".", "").replace(",", ".")
    return Decimal(text.replace(",", ""))


def line_of(text, starts):
    return next(i for i, t in enumerate(text.split("\r\n"), 1) if t.startswith(starts))


def test_the_fixture_totals_are_the_sums_of_their_segments():
    """The oracle: every per-device total is its device's rows' sum (by type for a type's)."""
    rows = [r for r in records(HEAD + HEADER + ROWS)]
    for total in records(HEAD + HEADER + ACCOUNT + TYPES):
        kind = total["Campaign status"].removeprefix("Total: ")
        mine = [
            r
            for r in rows
            if r["Device"] == total["Device"] and kind in ("Account", r["Campaign type"])
        ]
        for column in (*METRICS, "Conversions"):
            assert sum(number(r[column]) for r in mine) == number(total[column])


@pytest.mark.parametrize("totals", ["account", "types", "account and types"])
def test_per_device_totals_without_the_overall_row_load(tmp_path, totals):
    text = HEAD + HEADER + ROWS + {"account": ACCOUNT, "types": TYPES}.get(totals, ACCOUNT + TYPES)
    write_excel(tmp_path / "devices.csv", text)
    frame = fetch(connector(tmp_path, "devices.csv"), *METRICS.values(), dims=["campaign_type"])
    rows = records(HEAD + HEADER + ROWS)
    for column, variable in METRICS.items():
        expected = sum(number(r[column]) for r in rows)
        assert float(frame.values[variable].sum()) == pytest.approx(float(expected))
    by_type = {
        t: float(frame.values["ad_spend"][frame.dims["campaign_type"] == t].sum())
        for t in ("Search", "Display")
    }
    for kind, value in by_type.items():
        cost = sum(number(r["Cost"]) for r in rows if r["Campaign type"] == kind)
        assert value == pytest.approx(float(cost))


@pytest.mark.parametrize("delta", [Decimal("10.00"), Decimal("-10.00")], ids=["more", "less"])
def test_a_device_total_its_rows_do_not_make_is_an_error_at_its_cell(tmp_path, delta):
    bad = ACCOUNT.replace("\t263.71\t", f"\t{Decimal('263.71') + delta}\t")
    text = HEAD + HEADER + ROWS + bad
    write_excel(tmp_path / "devices.csv", text)
    with pytest.raises(KpiError) as info:
        fetch(connector(tmp_path, "devices.csv"), "ad_spend")
    rows = [r for r in records(text) if r["Device"] == "Computers"]
    got = sum(number(r["Cost"]) for r in rows if not r["Campaign status"].startswith("Total"))
    said = next(number(r["Cost"]) for r in rows if r["Campaign status"] == "Total: Account")
    word = "more" if said > got else "less"
    assert info.value.message.startswith(
        f"the rows add up to {got:,.2f} in column `Cost` but `Total: Account (Device: "
        f"Computers)` says {said:,.2f}, {abs(said - got):,.2f} {word}"
    ), info.value.message
    where = info.value.location
    assert (where.file, where.line) == ("devices.csv", line_of(text, "Total: Account\t--\t--\tC"))
    fields = text.split("\r\n")[where.line - 1].split("\t")
    assert where.column == len("\t".join(fields[:9])) + 2  # the Cost cell's first character


def test_a_type_total_of_one_device_is_checked_against_that_device_s_rows(tmp_path):
    text = HEAD + HEADER + ROWS + TYPES.replace("\t62.04\t", "\t52.04\t")
    write_excel(tmp_path / "devices.csv", text)
    rows = records(HEAD + HEADER + ROWS)
    got = sum(
        number(r["Cost"])
        for r in rows
        if r["Device"] == "Mobile phones" and r["Campaign type"] == "Display"
    )
    with pytest.raises(KpiError) as info:
        fetch(connector(tmp_path, "devices.csv"), "ad_spend")
    assert info.value.message.startswith(
        f"the rows add up to {got:,.2f} in column `Cost` but `Total: Display (Device: Mobile "
        f"phones)` says 52.04, {got - Decimal('52.04'):,.2f} less"
    ), info.value.message
    assert info.value.location.line == line_of(text, "Total: Display\t--\t--\tMobile")


GERMAN = (
    "Kampagnenbericht\r\n1. Juni 2024 - 30. Juni 2024\r\n"
    "Kampagne;Netzwerk (mit Suchnetzwerk-Partnern);Währungscode;Impr.;Klicks;Kosten\r\n"
    "Marke;Google Suche;EUR;1.204;96;49,92\r\n"
    "Marke;Suchnetzwerk-Partner;EUR;310;12;8,40\r\n"
    "Laufschuhe;Google Suche;EUR;3.410;121;187,55\r\n"
    "Laufschuhe;Displaynetzwerk;EUR;18.220;64;26,24\r\n"
    "Gesamt: Konto;Google Suche;EUR;4.614;217;237,47\r\n"
    "Gesamt: Konto;Suchnetzwerk-Partner;EUR;310;12;8,40\r\n"
    "Gesamt: Konto;Displaynetzwerk;EUR;18.220;64;26,24\r\n"
)


def test_per_network_totals_in_german(tmp_path):
    (tmp_path / "netz.csv").write_text(GERMAN, "utf-8")
    frame = fetch(connector(tmp_path, "netz.csv", currency="EUR"), "ad_spend", "clicks")
    rows = [r for r in records(GERMAN, ";") if not r["Kampagne"].startswith("Gesamt")]
    cost = sum(number(r["Kosten"], ",") for r in rows)
    assert float(frame.values["ad_spend"].sum()) == pytest.approx(float(cost))
    assert float(frame.values["clicks"].sum()) == sum(int(r["Klicks"]) for r in rows)
    short = GERMAN.replace("Gesamt: Konto;Suchnetzwerk-Partner;EUR;310;12;8,40", "Gesamt: Konto;"
                           "Suchnetzwerk-Partner;EUR;310;12;18,40")  # fmt: skip
    (tmp_path / "netz.csv").write_text(short, "utf-8")
    with pytest.raises(KpiError, match=r"add up to 8\.40 .* `Gesamt: Konto \(Netzwerk \(mit "
                       r"Suchnetzwerk-Partnern\): Suchnetzwerk-Partner\)` says 18\.40, 10\.00 "
                       "more"):  # fmt: skip
        fetch(connector(tmp_path, "netz.csv", currency="EUR"), "ad_spend")


def test_a_download_split_in_two_files_with_per_device_totals(tmp_path):
    """One report split by a filter into two files: each file's rows are short of every
    device's account total, the two together make each."""
    lines = ROWS.split("\r\n")[:-1]
    search = "".join(f"{r}\r\n" for r in lines if "\tSearch\t" in r)
    display = "".join(f"{r}\r\n" for r in lines if "\tDisplay\t" in r)
    write_excel(tmp_path / "a.csv", HEAD + HEADER + search + ACCOUNT)
    write_excel(tmp_path / "b.csv", HEAD + HEADER + display + ACCOUNT)
    frame = fetch(connector(tmp_path, "*.csv"), "ad_spend")
    expected = sum(number(r["Cost"]) for r in records(HEAD + HEADER + ROWS))
    assert float(frame.values["ad_spend"].sum()) == pytest.approx(float(expected))


def test_per_conversion_action_totals(tmp_path):
    """`Total: Account` once per conversion action: conversions checked per action, the cost
    (`--` on every row) undefined with why."""
    text = (
        'Campaign report\n"January 1, 2024 - January 31, 2024"\n'
        "Campaign,Conversion action,Currency code,Impr.,Clicks,Cost,Conversions\n"
        "Brand,Purchase,EUR,--,--,--,50.00\nGeneric,Purchase,EUR,--,--,--,5.00\n"
        "Brand,Lead form,EUR,--,--,--,10.00\n"
        "Total: Account,Purchase,EUR,--,--,--,55.00\nTotal: Account,Lead form,EUR,--,--,--,10.00\n"
    )
    (tmp_path / "c.csv").write_text(text, "utf-8")
    frame = fetch(connector(tmp_path, "c.csv", "EUR"), "ad_spend", "conversions")
    assert float(np.nansum(frame.values["conversions"])) == 50.0 + 5.0 + 10.0
    assert "segmented by `Conversion action`" in frame.missing["ad_spend"]
    (tmp_path / "c.csv").write_text(text.replace(",55.00", ",65.00"), "utf-8")
    with pytest.raises(KpiError, match=r"55\.00 .* `Total: Account \(Conversion action: "
                       r"Purchase\)` says 65\.00, 10\.00 more"):  # fmt: skip
        fetch(connector(tmp_path, "c.csv", "EUR"), "conversions")
