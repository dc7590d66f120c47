"""The `ads` connector on the currency column of exports in other languages: Google Ads' currency
code column in every language whose other headers it knows (German, French, Spanish, Italian,
Portuguese, Dutch) is checked against the workspace currency, and a column of currency codes
under any other header (`通貨コード`, Meta's `Divisa`) is the report's currency column too: never
left out, so that dollars are never counted as euros. Two such columns are an error naming them.

Fixtures are written here byte for byte as the downloads are: UTF-8 with a BOM, CRLF lines, a
title line and a date range line before the header (the "CSV" download), or UTF-16 LE with a BOM
and tabs (the "CSV (Excel)" download). Expected values are worked out by hand, and checked
against the csv module's reading of the same bytes.
"""

import csv
import io

import pytest
from test_connector_ads import connector, fetch

from kpiengine.errors import KpiError

BOM = b"\xef\xbb\xbf"

#: language -> (title and range lines, header, two rows, totals row); the amounts in the
#: language's number format, the cost the 6th column
REPORTS = {
    "es": (
        'Informe de campañas\r\n"1 de enero de 2024 - 31 de enero de 2024"\r\n',
        "Día,Campaña,Código de moneda,Impr.,Clics,Coste,Conversiones",
        '15/01/2024,Marca,USD,"1.234",56,"28,00","2,00"\r\n'
        '16/01/2024,Genérica,USD,"2.000",100,"100,50","3,00"\r\n',
        'Total: cuenta,--,USD,"3.234",156,"128,50","5,00"\r\n',
    ),
    "it": (
        'Rapporto campagne\r\n"1 gennaio 2024 - 31 gennaio 2024"\r\n',
        "Giorno,Campagna,Codice valuta,Impr.,Clic,Costo,Conversioni",
        '15/01/2024,Marchio,USD,"1.234",56,"28,00","2,00"\r\n'
        '16/01/2024,Generica,USD,"2.000",100,"100,50","3,00"\r\n',
        'Totale: account,--,USD,"3.234",156,"128,50","5,00"\r\n',
    ),
    "pt": (
        'Relatório de campanhas\r\n"1 de janeiro de 2024 - 31 de janeiro de 2024"\r\n',
        "Campanha,Tipo de campanha,Código da moeda,Impressões,Cliques,Custo,Conversões",
        'Marca,Pesquisa,USD,"1.234",56,"28,00","2,00"\r\n'
        'Genérica,Pesquisa,USD,"2.000",100,"100,50","3,00"\r\n',
        'Total: conta,--,USD,"3.234",156,"128,50","5,00"\r\n',
    ),
    "nl": (
        'Campagnerapport\r\n"1 januari 2024 - 31 januari 2024"\r\n',
        "Campagne,Campagnetype,Valutacode,Vertoningen,Klikken,Kosten,Conversies",
        'Merk,Zoeken,USD,"1.234",56,"28,00","2,00"\r\n'
        'Generiek,Zoeken,USD,"2.000",100,"100,50","3,00"\r\n',
        'Totaal: account,--,USD,"3.234",156,"128,50","5,00"\r\n',
    ),
    "de": (
        'Kampagnenbericht\r\n"1. Januar 2024 - 31. Januar 2024"\r\n',
        "Tag,Kampagne,Währungscode,Impr.,Klicks,Kosten,Conversions",
        '15.01.2024,Marke,USD,"1.234",56,"28,00","2,00"\r\n'
        '16.01.2024,Generisch,USD,"2.000",100,"100,50","3,00"\r\n',
        'Gesamt: Konto,--,USD,"3.234",156,"128,50","5,00"\r\n',
    ),
    "fr": (
        'Rapport sur les campagnes\r\n"1 janv. 2024 - 31 janv. 2024"\r\n',
        "Jour,Campagne,Code de la devise,Impr.,Clics,Coût,Conversions",
        '15/01/2024,Marque,USD,"1 234",56,"28,00","2,00"\r\n'
        '16/01/2024,Générique,USD,"2 000",100,"100,50","3,00"\r\n',
        'Total : compte,--,USD,"3 234",156,"128,50","5,00"\r\n',
    ),
}
#: the spend of the rows, by hand: 28.00 + 100.50
SPEND = 128.50


def report(language):
    head, header, rows, total = REPORTS[language]
    return f"{head}{header}\r\n{rows}{total}"


def write(tmp_path, name, text, utf16=False):
    """The file as the UI's "CSV" download (UTF-8, BOM) or "CSV (Excel)" one (UTF-16 LE, BOM,
    tabs: the fields hold no tab, and the quotes only guard the commas)."""
    if utf16:
        tabbed = "\r\n".join("\t".join(r) for r in csv.reader(io.StringIO(text)))
        data = b"\xff\xfe" + (tabbed + "\r\n").encode("utf-16-le")
    else:
        data = BOM + text.encode("utf-8")
    (tmp_path / name).write_bytes(data)
    return data


def rows_spend(text, cost_column=5):
    """The rows' cost by the csv module (the title, range, header and totals lines left out)."""
    records = list(csv.reader(io.StringIO(text)))[3:]
    cells = [r[cost_column] for r in records if ":" not in r[0]]
    return sum(float(c.replace(".", "").replace(",", ".")) for c in cells)


@pytest.mark.parametrize("utf16", [False, True], ids=["csv", "excel"])
@pytest.mark.parametrize("language", REPORTS)
def test_a_dollar_report_in_each_language_is_not_read_as_euros(tmp_path, language, utf16):
    text = report(language)
    write(tmp_path, "r.csv", text, utf16)
    with pytest.raises(KpiError, match="amounts are in USD but the workspace currency is EUR") as i:
        fetch(connector(tmp_path, "r.csv", currency="EUR", platform="google_ads"), "ad_spend")
    # at the first row's code: line 4, the third field
    assert i.value.location.file == "r.csv" and i.value.location.line == 4
    first = text.splitlines()[3]
    sep = "\t" if utf16 else ","
    assert i.value.location.column == len(sep.join(next(csv.reader([first]))[:2])) + 2
    # the workspace in dollars: the rows, not the total
    conn = connector(tmp_path, "r.csv", currency="USD", platform="google_ads")
    assert conn.columns["currency"] == REPORTS[language][1].split(",")[2]
    spend = fetch(conn, "ad_spend").values["ad_spend"].sum()
    assert spend == pytest.approx(SPEND) == pytest.approx(rows_spend(text))


def test_the_testers_spanish_report_byte_for_byte(tmp_path):
    """The tester's file: a Spanish daily report in USD read into a EUR workspace."""
    data = (
        BOM
        + (
            'Informe de campañas\r\n"1 de enero de 2024 - 31 de enero de 2024"\r\n'
            "Día,Campaña,Código de moneda,Impr.,Clics,Coste,Conversiones\r\n"
            '15/01/2024,Marca,USD,"1.234",56,"28,00","2,00"\r\n'
            '16/01/2024,Genérica,USD,"2.000",100,"100,50","3,00"\r\n'
            'Total: cuenta,--,USD,"3.234",156,"128,50","5,00"\r\n'
        ).encode()
    )
    (tmp_path / "a.csv").write_bytes(data)
    conn = connector(tmp_path, "a.csv", currency="EUR")  # the platform told by `Impr.`
    assert conn.platform == "google_ads" and conn.columns["currency"] == "Código de moneda"
    with pytest.raises(KpiError, match="amounts are in USD but the workspace currency is EUR") as i:
        fetch(conn, "ad_spend")
    assert (i.value.location.line, i.value.location.column) == (4, len("15/01/2024,Marca,") + 1)


# --- a column of codes under a header no profile lists ---------------------------------------

JAPANESE = (
    'キャンペーン レポート\r\n"2024年1月1日～2024年1月31日"\r\n'
    "キャンペーン,キャンペーン タイプ,通貨コード,表示回数,クリック数,費用\r\n"
    'ブランド,検索,{code},"1,200",48,"7,200"\r\n'
    'オメガ,検索,{code},800,22,"3,300"\r\n'
    '合計: アカウント,--,{code},"2,000",70,"10,500"\r\n'
)
JAPANESE_COLUMNS = {"campaign": "キャンペーン", "impressions": "表示回数", "clicks": "クリック数",
                    "cost": "費用"}  # fmt: skip


def test_a_column_of_codes_is_the_currency_whatever_its_header(tmp_path):
    """`通貨コード` is no header the profile lists, and `columns:` does not name it: its
    codes are the report's currency all the same."""
    text = JAPANESE.format(code="USD")
    (tmp_path / "ja.csv").write_bytes(BOM + text.encode())
    conn = connector(tmp_path, "ja.csv", "JPY", platform="google_ads", columns=JAPANESE_COLUMNS)
    assert conn.columns["currency"] == "通貨コード"
    with pytest.raises(KpiError, match="amounts are in USD but the workspace currency is JPY") as i:
        fetch(conn, "ad_spend")
    assert (i.value.location.line, i.value.location.column) == (4, len("ブランド,検索,") + 1)
    # in yen: 7,200 + 3,300 yen
    (tmp_path / "ja.csv").write_bytes(BOM + JAPANESE.format(code="JPY").encode())
    conn = connector(tmp_path, "ja.csv", "JPY", platform="google_ads", columns=JAPANESE_COLUMNS)
    assert fetch(conn, "ad_spend").values["ad_spend"].sum() == 10_500


def test_a_meta_export_with_a_currency_column_in_another_language(tmp_path):
    """A Spanish Meta export: `Divisa` holds the account's currency, `Importe gastado` names
    none; its dollars are not the workspace's euros."""
    text = (
        '"Nombre de la campaña","Día","Divisa","Impresiones","Importe gastado"\r\n'
        '"Rebajas","2024-06-01","USD","18450","96,40"\r\n'
        '"Rebajas","2024-06-02","USD","17210","94,88"\r\n'
    )
    (tmp_path / "m.csv").write_bytes(text.encode())
    columns = {"date": "Día", "campaign": "Nombre de la campaña", "impressions": "Impresiones",
               "cost": "Importe gastado"}  # fmt: skip
    conn = connector(tmp_path, "m.csv", "EUR", platform="meta_ads", columns=columns)
    assert conn.columns["currency"] == "Divisa"
    with pytest.raises(KpiError, match="amounts are in USD but the workspace currency is EUR") as i:
        fetch(conn, "ad_spend")
    where = (i.value.location.line, i.value.location.column)
    assert where == (2, len('"Rebajas","2024-06-01",') + 1)
    conn = connector(tmp_path, "m.csv", "USD", platform="meta_ads", columns=columns)
    assert fetch(conn, "ad_spend").values["ad_spend"].sum() == pytest.approx(96.40 + 94.88)


def test_two_columns_of_codes_are_an_error_naming_them(tmp_path):
    text = JAPANESE.format(code="USD").replace("通貨コード,", "通貨コード,請求通貨,")
    text = text.replace(",USD,", ",USD,USD,")
    (tmp_path / "ja.csv").write_bytes(BOM + text.encode())
    with pytest.raises(KpiError, match=r"columns `通貨コード`, `請求通貨` all hold currency "
                                       r"codes") as info:  # fmt: skip
        connector(tmp_path, "ja.csv", "JPY", platform="google_ads", columns=JAPANESE_COLUMNS)
    header = text.splitlines()[2]
    assert info.value.location.line == 3
    assert info.value.location.column == header.index("請求通貨") + 1
    assert "columns: {currency: 通貨コード}" in info.value.fix
    # named, the file reads (and its dollars are checked)
    named = {**JAPANESE_COLUMNS, "currency": "請求通貨"}
    conn = connector(tmp_path, "ja.csv", "USD", platform="google_ads", columns=named)
    assert fetch(conn, "ad_spend").values["ad_spend"].sum() == 10_500


def test_only_columns_of_codes_are_taken():
    from kpiengine.connectors._ads_headers import code_columns

    class Sampled:
        columns = ["Campaign", "Currency?", "Mixed", "Lower", "Empty", "Network"]
        sample = [
            ["Brand", "EUR", "EUR", "eur", "", "Search"],
            ["Generic", "--", "n/a", "eur", "--", "YouTube"],
            ["Other", "EUR", "EUR", "eur", "", "ABC"],
        ]

        def cells(self, column):
            return [row[self.columns.index(column)] for row in self.sample]

    assert code_columns(Sampled(), {"campaign": "Campaign"}) == ["Currency?"]
    assert code_columns(Sampled(), {"currency": "Currency?"}) == []
