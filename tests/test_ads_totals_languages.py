"""Google Ads' totals rows in every language the reading layer knows a totals word of: the
account's total (`合計: アカウント`, `Yhteensä: Tili`, `Totale: account`, ...) is the account's
whole spend, checked against the rows as `Total: Account` is; a scope word no list names after a
known totals word (`Összesen: Fiók`) is still checked: a part of the rows is never more than they
add up to, and more is a total of campaigns they do not hold (an error giving the gap, unless the
source's other files over that range hold the rest); the totals word alone totals the rows shown.

Fixtures are written here byte for byte as the downloads are (UTF-8 with a BOM and CRLF lines
after a title and a date range line; the Finnish one as the "CSV (Excel)" download: UTF-16 LE
with a BOM and tabs). Expected values are worked out by hand.
"""

import pytest
from test_connector_ads import connector, fetch

from kpiengine.errors import KpiError

BOM = b"\xef\xbb\xbf"

# --- the tester's Japanese report: removed campaigns hidden, `合計: アカウント` counts them -----

JAPANESE = (
    'キャンペーン レポート\r\n"2024年1月1日～2024年1月31日"\r\n'
    "キャンペーン,キャンペーン タイプ,通貨コード,表示回数,クリック数,費用,コンバージョン\r\n"
    'ブランド,検索,JPY,"1,200",48,"7,200",1.00\r\n'
    'オメガ,検索,JPY,800,22,"3,300",0.00\r\n'
    '合計: アカウント,--,JPY,"3,000",100,"{cost}",2.00\r\n'
)
JAPANESE_COLUMNS = {
    "campaign": "キャンペーン",
    "currency": "通貨コード",
    "impressions": "表示回数",
    "clicks": "クリック数",
    "cost": "費用",
    "conversions": "コンバージョン",
}


def japanese(tmp_path, cost):
    text = JAPANESE.format(cost=cost)
    (tmp_path / "a.csv").write_bytes(BOM + text.encode("utf-8"))
    return connector(tmp_path, "a.csv", "JPY", platform="google_ads", columns=JAPANESE_COLUMNS)


def test_the_japanese_account_total_is_checked_against_the_rows(tmp_path):
    # the rows: 7,200 + 3,300 = 10,500 yen; the account: 20,500, 10,000 more
    said = r"the rows add up to 10,500.00 in column `費用` but `合計: アカウント` says 20,500.00"
    with pytest.raises(KpiError, match=said + ", 10,000.00 more") as i:
        fetch(japanese(tmp_path, "20,500"), "ad_spend")
    assert i.value.location.file == "a.csv" and i.value.location.line == 6
    assert i.value.location.column == len('合計: アカウント,--,JPY,"3,000",100,') + 1
    assert "hid campaigns that `合計: アカウント` counts" in i.value.fix
    # the rows make it: their spend
    assert fetch(japanese(tmp_path, "10,500"), "ad_spend").values["ad_spend"].sum() == 10_500
    # rows more than the account's total: an edited export
    with pytest.raises(KpiError, match=r"add up to 10,500.00 .* says 9,500.00") as i:
        fetch(japanese(tmp_path, "9,500"), "ad_spend")
    assert "edited" in i.value.fix


# --- the Finnish "CSV (Excel)" download: UTF-16 LE, tabs, `Yhteensä: Tili` -------------------

FINNISH = (
    "Kampanjaraportti\r\n1.1.2024–31.1.2024\r\n"
    "Päivä\tKampanja\tValuuttakoodi\tNäyttökerrat\tNapsautukset\tKustannus\r\n"
    "15.1.2024\tBrändi\tEUR\t1\u00a0204\t96\t49,92\r\n"
    "16.1.2024\tYleinen\tEUR\t3\u00a0410\t121\t187,55\r\n"
    "Yhteensä: Tili\t--\tEUR\t4\u00a0614\t217\t{cost}\r\n"
)
FINNISH_COLUMNS = {"date": "Päivä", "campaign": "Kampanja", "currency": "Valuuttakoodi",
                   "impressions": "Näyttökerrat", "clicks": "Napsautukset",
                   "cost": "Kustannus"}  # fmt: skip


def finnish(tmp_path, cost):
    data = b"\xff\xfe" + FINNISH.format(cost=cost).encode("utf-16-le")
    (tmp_path / "fi.csv").write_bytes(data)
    return connector(tmp_path, "fi.csv", "EUR", platform="google_ads", columns=FINNISH_COLUMNS)


def test_the_finnish_account_total_is_checked_against_the_rows(tmp_path):
    # the rows: 49.92 + 187.55 = 237.47
    assert fetch(finnish(tmp_path, "237,47"), "ad_spend").values["ad_spend"].sum() == pytest.approx(
        237.47
    )
    said = r"the rows add up to 237.47 in column `Kustannus` but `Yhteensä: Tili` says 1,237.47"
    with pytest.raises(KpiError, match=said + ", 1,000.00 more") as i:
        fetch(finnish(tmp_path, "1\u00a0237,47"), "ad_spend")
    assert i.value.location.file == "fi.csv" and i.value.location.line == 6
    assert i.value.location.column == len("Yhteensä: Tili\t--\tEUR\t4\u00a0614\t217\t") + 1


# --- the account's total in each language ---------------------------------------------------


def campaigns(label, cost):
    """A campaign report whose rows spend 49.92 + 187.55 = 237.47, then a totals row."""
    return (
        'Report\r\n"June 1, 2024 - June 30, 2024"\r\n'
        "Campaign,Currency code,Impr.,Clicks,Cost\r\n"
        'Brand,EUR,"1,204",96,49.92\r\n'
        'Generic,EUR,"3,410",121,187.55\r\n'
        f'{label},--,"4,614",217,{cost}\r\n'
    )


ACCOUNTS = [
    "Total: Account",
    "Gesamt: Konto",
    "Total : compte",
    "Total: cuenta",
    "Totale: account",
    "Totaal: account",
    "Total: conta",
    "合計: アカウント",
    "合計：アカウント",
    "Yhteensä: Tili",
    "Итого: аккаунт",
    "합계: 계정",
    "总计: 账户",
]


@pytest.mark.parametrize("label", ACCOUNTS)
def test_the_account_total_in_each_language(tmp_path, label):
    (tmp_path / "r.csv").write_bytes(BOM + campaigns(label, "237.47").encode())
    conn = connector(tmp_path, "r.csv", "EUR")
    assert fetch(conn, "ad_spend").values["ad_spend"].sum() == pytest.approx(237.47)
    text = campaigns(label, '"1,237.47"')
    (tmp_path / "r.csv").write_bytes(BOM + text.encode())
    with pytest.raises(KpiError, match=f"add up to 237.47 in column `Cost` but `{label}` says "
                                       "1,237.47, 1,000.00 more") as i:  # fmt: skip
        fetch(connector(tmp_path, "r.csv", "EUR"), "ad_spend")
    assert i.value.location.line == 6


# --- a scope word no list names -----------------------------------------------------------


def test_an_unknown_scope_more_than_the_rows_is_a_gap(tmp_path):
    """`Fiók` (Hungarian: account) is in no list here: 1,237.47 is more than the rows, so it
    totals campaigns they do not hold."""
    text = campaigns("Összesen: Fiók", '"1,237.47"')
    (tmp_path / "r.csv").write_bytes(BOM + text.encode())
    with pytest.raises(KpiError, match=r"add up to 237.47 in column `Cost` but `Összesen: Fiók` "
                                       r"says 1,237.47, 1,000.00 more: it totals campaigns that "
                                       r"are not among the rows") as i:  # fmt: skip
        fetch(connector(tmp_path, "r.csv", "EUR"), "ad_spend")
    assert i.value.location.line == 6
    assert i.value.location.column == len('Összesen: Fiók,--,"4,614",217,') + 1


@pytest.mark.parametrize("cost", ["237.47", "187.55", "0.00"], ids=["all", "a part", "none"])
def test_an_unknown_scope_within_the_rows_passes(tmp_path, cost):
    """As much as the rows, or a part of them (a campaign type's total in a language not
    listed): the rows are read."""
    (tmp_path / "r.csv").write_bytes(BOM + campaigns("Összesen: Keresés", cost).encode())
    assert fetch(connector(tmp_path, "r.csv", "EUR"), "ad_spend").values[
        "ad_spend"
    ].sum() == pytest.approx(237.47)


def test_a_download_split_in_two_makes_an_unknown_scopes_total(tmp_path):
    """Two files of one range whose rows together make their `Összesen: Fiók`: the
    account's, split by a filter."""
    head = 'Report\r\n"June 1, 2024 - June 30, 2024"\r\n'
    head += "Campaign,Currency code,Impr.,Clicks,Cost\r\n"
    total = 'Összesen: Fiók,--,"4,614",217,237.47\r\n'
    brand, generic = 'Brand,EUR,"1,204",96,49.92\r\n', 'Generic,EUR,"3,410",121,187.55\r\n'
    (tmp_path / "a.csv").write_bytes(BOM + (head + brand + total).encode())
    (tmp_path / "b.csv").write_bytes(BOM + (head + generic + total).encode())
    frame = fetch(connector(tmp_path, "*.csv", "EUR"), "ad_spend")
    assert frame.values["ad_spend"].sum() == pytest.approx(237.47)
    # one part alone is short of it
    with pytest.raises(KpiError, match=r"add up to 49.92 .* `Összesen: Fiók` says 237.47"):
        fetch(connector(tmp_path, "a.csv", "EUR"), "ad_spend")


def test_the_totals_word_alone_totals_the_rows_shown(tmp_path):
    (tmp_path / "r.csv").write_bytes(BOM + campaigns("合計", "237.47").encode())
    assert fetch(connector(tmp_path, "r.csv", "EUR"), "ad_spend").values[
        "ad_spend"
    ].sum() == pytest.approx(237.47)
    (tmp_path / "r.csv").write_bytes(BOM + campaigns("合計", "247.47").encode())
    with pytest.raises(KpiError, match="add up to 237.47 in column `Cost` but `合計` says 247.47"):
        fetch(connector(tmp_path, "r.csv", "EUR"), "ad_spend")


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Total: Account", "account"),
        ("合計: アカウント", "account"),
        ("合計：アカウント", "account"),
        ("Yhteensä: Tili", "account"),
        ("YHTEENSÄ: TILI", "account"),
        ("Gesamt: Kampagnen", "shown"),
        ("Total: All enabled campaigns", "shown"),
        ("Totals", "shown"),
        ("合計", "shown"),
        ("Total: Search campaigns", "search"),
        ("Total : campagnes Search", "search"),
        ("Összesen: Fiók", "fiók"),
    ],
)  # fmt: skip
def test_the_scope_of_a_label(label, expected):
    from kpiengine.connectors._ads_totals import scope

    assert scope(label, "google_ads") == expected
    assert scope(label, "microsoft_ads") == "shown"
