"""The `ads` connector on exports in other languages: Google Ads headers in German, French,
Spanish, Italian, Portuguese and Dutch read without `columns:`; a file whose day, or cost and
clicks, are headers it does not know is an error naming the file, its unknown headers and a
`columns:` block to paste; the currency code closing the cost header in any language (`Montant
dépensé (EUR)`) is checked against the workspace's.

Expected values are computed here from the file texts with the csv module.
"""

import csv
import datetime as dt
import io
import textwrap
from collections import defaultdict

import pytest
import yaml
from test_connector_ads import FIXTURES, connector, fetch, table

from kpiengine.errors import KpiError

GERMAN = "google_ads_de_daily.csv"
FRENCH_META = "meta_ads_daily_fr.csv"
FRENCH_COLUMNS = {
    "date": "Début des rapports",
    "date_end": "Fin des rapports",
    "campaign": "Nom de la campagne",
    "clicks": "Clics sur un lien",
    "cost": "Montant dépensé (EUR)",
    "conversions": "Résultats",
    "result_type": "Type de résultat",
}


def german(text):
    """A cell in the German number format (`1.204` is 1204, `49,92` is 49.92); None for `--`."""
    return None if text == "--" else float(text.replace(".", "").replace(",", "."))


def rows_of(text, header_first):
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    start = next(i for i, r in enumerate(rows) if r and r[0] == header_first)
    return [dict(zip(rows[start], r, strict=True)) for r in rows[start + 1 :] if ":" not in r[0]]


# --- 4. Google Ads headers in the languages it writes -----------------------------------------


def test_a_german_daily_export_reads_without_columns():
    """`Tag, Kampagne, Währungscode, Impr., Klicks, Kosten, Conversions, Conv.-Wert`: its
    days, campaigns, currency and every metric, and `Gesamt: Konto` checks the rows."""
    conn = connector(FIXTURES, GERMAN, currency="EUR")  # the platform told by `Impr.`
    assert conn.platform == "google_ads" and conn.columns["date"] == "Tag"
    rows = rows_of((FIXTURES / GERMAN).read_text("utf-8"), "Tag")
    frame = fetch(conn, "ad_spend", "clicks", "impressions", "ad_revenue", grain="day",
                  dims=["campaign"])  # fmt: skip
    for variable, column in [("ad_spend", "Kosten"), ("clicks", "Klicks"),
                             ("impressions", "Impr."), ("ad_revenue", "Conv.-Wert")]:  # fmt: skip
        expected = defaultdict(float)
        for r in rows:
            if german(r[column]) is not None:
                expected[(r["Tag"], r["Kampagne"])] += german(r[column])
        got = {(str(d), c): v for d, c, v in zip(frame.dates, frame.dims["campaign"],
               frame.values[variable], strict=True) if v == v}  # fmt: skip
        assert got == pytest.approx(dict(expected)), variable
    assert sum(german(r["Kosten"]) for r in rows) == pytest.approx(258.00)  # its total row
    with pytest.raises(KpiError, match="amounts are in EUR but the workspace currency is USD"):
        fetch(connector(FIXTURES, GERMAN, currency="USD"), "ad_spend")


def test_the_german_export_and_its_mapped_twin_agree():
    mapped = {"date": "Tag", "campaign": "Kampagne", "currency": "Währungscode",
              "clicks": "Klicks", "cost": "Kosten", "conversion_value": "Conv.-Wert"}  # fmt: skip
    alone = fetch(connector(FIXTURES, GERMAN, currency="EUR"), "ad_spend", "clicks")
    twin = fetch(connector(FIXTURES, GERMAN, currency="EUR", columns=mapped), "ad_spend", "clicks")
    for variable in ("ad_spend", "clicks"):
        assert table(alone, variable) == table(twin, variable)
    assert table(alone, "ad_spend") == pytest.approx({("2024-06",): 49.92 + 47.70 + 160.38})


HEADERS = {
    "fr": (["Jour", "Campagne", "Type de campagne", "Code de la devise", "Impr.", "Clics",
            "Coût", "Conversions", "Valeur de conv."], True),
    "es": (["Día", "Campaña", "Tipo de campaña", "Impr.", "Clics", "Costo", "Conversiones",
            "Valor de conv."], True),
    "es-ES": (["Campaña", "Impresiones", "Clics", "Coste", "Conversiones", "Valor de conv."],
              False),
    "it": (["Giorno", "Campagna", "Impr.", "Clic", "Costo", "Conversioni", "Valore conv."],
           True),
    "pt": (["Impressões", "Cliques", "Custo", "Conversões"], False),
    "nl": (["Campagne", "Vertoningen", "Klikken", "Kosten", "Conversies", "Conv.waarde"],
           False),
}  # fmt: skip
ROLE_OF = {
    "date": ("Jour", "Día", "Giorno"),
    "campaign": ("Campagne", "Campaña", "Campagna"),
    "campaign_type": ("Type de campagne", "Tipo de campaña"),
    "currency": ("Code de la devise",),
    "impressions": ("Impr.", "Impresiones", "Impressões", "Vertoningen"),
    "clicks": ("Clics", "Clic", "Cliques", "Klikken"),
    "cost": ("Coût", "Costo", "Coste", "Custo", "Kosten"),
    "conversions": ("Conversions", "Conversiones", "Conversioni", "Conversões", "Conversies"),
    "conversion_value": ("Valeur de conv.", "Valor de conv.", "Valore conv.", "Conv.waarde"),
}


@pytest.mark.parametrize("language", HEADERS)
def test_each_languages_headers_play_their_roles(tmp_path, language):
    headers, dated = HEADERS[language]
    cells = {"Jour": "2024-06-01", "Día": "2024-06-01", "Giorno": "2024-06-01",
             "Code de la devise": "USD"}  # fmt: skip
    row = [cells.get(h, "Marca" if h in ROLE_OF["campaign"] else "12") for h in headers]
    head = "" if dated else 'Campaign report\r\n"June 1, 2024 - June 30, 2024"\r\n'
    (tmp_path / "r.csv").write_text(f"{head}{','.join(headers)}\r\n{','.join(row)}\r\n", "utf-8")
    conn = connector(tmp_path, "r.csv", platform="google_ads")
    expected = {role: h for h in headers for role, names in ROLE_OF.items() if h in names}
    assert conn.columns == expected
    assert fetch(conn, "ad_spend").values["ad_spend"].tolist() == [12.0]


def test_a_language_without_a_platform_option_is_told_by_campaign_and_cost():
    from kpiengine.connectors.ads import detect_platform

    assert detect_platform(["Campagne", "Vertoningen", "Klikken", "Kosten"]) == "google_ads"
    assert detect_platform(["Campaña", "Clics", "Costo"]) == "google_ads"
    assert detect_platform(["Campagne", "Klikken"]) is None


def block_of(fix):
    """The `columns:` block of an error's fix, as kpi.yaml would read it, `?` roles left out."""
    columns = yaml.safe_load(textwrap.dedent(fix[fix.index("    columns:") :]))["columns"]
    return {role: column for role, column in columns.items() if column != "?"}


def test_an_unknown_day_column_is_an_error_with_a_block_to_paste(tmp_path):
    """`Zi` holds the days but no profile knows it: the rows must not be read undated."""
    text = (
        "Zi,Campanie,Impr.,Cliques,Custo\r\n"
        "2024-06-01,Marca,1204,96,49.92\r\n"
        "2024-07-02,Marca,1187,90,47.70\r\n"
    )
    (tmp_path / "ro.csv").write_text(text, "utf-8")
    with pytest.raises(KpiError, match=r"column `Zi` holds dates .*unrecognised headers: "
                                       r"Zi, Campanie\)") as info:  # fmt: skip
        connector(tmp_path, "ro.csv", platform="google_ads")
    assert info.value.location.file == "ro.csv" and info.value.location.line == 1
    assert "source `ads`" in info.value.fix
    columns = block_of(info.value.fix)
    assert columns == {"date": "Zi", "impressions": "Impr.", "clicks": "Cliques", "cost": "Custo"}
    # pasted (with the campaign named), the file reads
    columns["campaign"] = "Campanie"
    frame = fetch(connector(tmp_path, "ro.csv", platform="google_ads", columns=columns), "ad_spend")
    assert table(frame, "ad_spend") == pytest.approx({("2024-06",): 49.92, ("2024-07",): 47.70})


def test_unknown_cost_and_clicks_are_an_error_naming_the_headers(tmp_path):
    text = (
        'Campaign report\r\n"June 1, 2024 - June 30, 2024"\r\nKampania,Impr.,Kliknięcia,Koszt\r\n'
    )
    (tmp_path / "pl.csv").write_text(text + "Marka,1204,96,49.92\r\n", "utf-8")
    message = r"no cost or clicks column this connector knows \(unrecognised headers: "
    with pytest.raises(KpiError, match=message + r"Kampania, Kliknięcia, Koszt\)") as info:
        connector(tmp_path, "pl.csv", platform="google_ads")
    assert info.value.location.file == "pl.csv" and info.value.location.line == 3
    assert block_of(info.value.fix) == {"impressions": "Impr."}
    # a `columns:` option is the user's word: no second guess
    cost = {"cost": "Koszt", "clicks": "Kliknięcia"}
    frame = fetch(connector(tmp_path, "pl.csv", platform="google_ads", columns=cost), "ad_spend")
    assert frame.values["ad_spend"].tolist() == [49.92]


def test_no_known_metric_names_the_headers_with_a_block(tmp_path):
    text = "日,キャンペーン,表示回数,クリック数,費用\r\n2024-06-01,ブランド,1204,96,4992\r\n"
    (tmp_path / "ja.csv").write_text(text, "utf-8")
    with pytest.raises(KpiError, match="no ad metric columns.*columns: 日, キャンペーン") as info:
        connector(tmp_path, "ja.csv", platform="google_ads")
    assert info.value.location.file == "ja.csv"
    assert block_of(info.value.fix) == {"date": "日"}  # the column of dates, offered as the day


# --- 3. the currency closing the cost header, in any language ----------------------------------


def test_a_french_meta_export_in_euros_is_not_read_as_dollars():
    with pytest.raises(KpiError, match="amounts are in EUR but the workspace currency is USD") as i:
        fetch(connector(FIXTURES, FRENCH_META, "USD", platform="meta_ads",
                        columns=FRENCH_COLUMNS), "ad_spend")  # fmt: skip
    header = (FIXTURES / FRENCH_META).read_text("utf-8").splitlines()[0]
    assert i.value.location.line == 1
    assert i.value.location.column == header.index('"Montant dépensé (EUR)"') + 1
    conn = connector(FIXTURES, FRENCH_META, "EUR", platform="meta_ads", columns=FRENCH_COLUMNS)
    rows = list(csv.DictReader(io.StringIO((FIXTURES / FRENCH_META).read_text("utf-8"))))
    spent = sum(float(r["Montant dépensé (EUR)"].replace(",", ".")) for r in rows)
    frame = fetch(conn, "ad_spend")
    assert frame.values["ad_spend"].sum() == pytest.approx(spent) == pytest.approx(96.40 + 94.88)
    assert frame.covered() == (dt.date(2024, 6, 1), dt.date(2024, 6, 2))


@pytest.mark.parametrize(
    ("header", "code"),
    [("Amount spent (EUR)", "EUR"), ("amount spent (usd)", "USD"),
     ("Montant dépensé (EUR)", "EUR"), ("Importe gastado (MXN)", "MXN"),
     ("Amount spent", None), ("Cost", None), ("Cost (net)", None), ("Kosten (XYZ)", None)],
)  # fmt: skip
def test_the_currency_a_cost_header_names(header, code):
    from kpiengine.connectors._ads_profiles import header_currency

    assert header_currency(header) == code


def test_an_unmapped_french_meta_export_is_offered_its_day_and_its_cost():
    """French Meta headers (`Jour`, `Montant dépensé (EUR)`) are Meta's: read as written."""
    columns = {"date": "Jour", "impressions": "Impressions",
               "cost": "Montant dépensé (EUR)", "conversions": "Résultats",
               "result_type": "Type de résultat"}  # fmt: skip
    conn = connector(FIXTURES, FRENCH_META, "EUR", platform="meta_ads")
    assert {r: conn.columns.get(r) for r in columns} == columns
    assert fetch(conn, "ad_spend").values["ad_spend"].sum() == pytest.approx(96.40 + 94.88)
    with pytest.raises(KpiError, match="amounts are in EUR but the workspace currency is USD"):
        fetch(connector(FIXTURES, FRENCH_META, "USD", platform="meta_ads", columns=columns),
              "ad_spend")  # fmt: skip
