"""Meta exports in German, French and Spanish are read as Meta's (their summary row left out,
the results' kinds checked); an export not recognised never has a rate (`Kosten pro Ergebnis`)
suggested as an amount, nor `Results` as conversions; Portuguese and Dutch Google Ads headers
(`Dia`, `Campanha`; `Dag`, `Vert.`) need no `columns:`. Expected values from the csv module."""

from __future__ import annotations

import csv
import io

import pytest
from test_connector_ads import connector, fetch

from kpiengine.errors import KpiError

META = {
    "de": "Kampagnenname,Berichtsbeginn,Berichtsende,Ergebnisse,Ergebnisindikator,Impressionen,"
    "Kosten pro Ergebnis,Ausgegebener Betrag (EUR),Link-Klicks\n",
    "fr": "Nom de la campagne,Début des rapports,Fin des rapports,Résultats,"
    "Indicateur de résultats,Impressions,Coût par résultat,Montant dépensé (EUR),"
    "Clics sur un lien\n",
    "es": "Nombre de la campaña,Inicio del informe,Fin del informe,Resultados,"
    "Indicador de resultados,Impresiones,Costo por resultado,Importe gastado (EUR),"
    "Clics en el enlace\n",
    "pt": "Nome da campanha,Início dos relatórios,Encerramento dos relatórios,Resultados,"
    "Indicador de resultados,Impressões,Custo por resultados,Valor usado (EUR),Cliques no link\n",
}
ROWS = (
    ',2024-01-01,2024-01-31,,,30000,,"450,75",600\n'
    'P,2024-01-01,2024-01-31,40,actions:offsite_conversion.fb_pixel_purchase,20000,"7,5",'
    '"300,00",400\n'
    'R,2024-01-01,2024-01-31,20,actions:offsite_conversion.fb_pixel_purchase,10000,"7,5375",'
    '"150,75",200\n'
)


@pytest.mark.parametrize("language", sorted(META))
def test_localized_meta_exports_are_meta(tmp_path, language):
    (tmp_path / "m.csv").write_text("\ufeff" + META[language] + ROWS, "utf-8")
    conn = connector(tmp_path, "m.csv", currency="EUR")
    assert conn.platform == "meta_ads"
    frame = fetch(conn, "ad_spend", "clicks", "impressions", "conversions")
    rows = [r for r in csv.reader(io.StringIO(ROWS)) if r[0]]  # the summary row aside
    assert float(frame.values["ad_spend"].sum()) == pytest.approx(
        sum(float(r[7].replace(",", ".")) for r in rows)
    )
    assert float(frame.values["clicks"].sum()) == sum(int(r[8]) for r in rows)
    assert float(frame.values["impressions"].sum()) == sum(int(r[5]) for r in rows)
    assert float(frame.values["conversions"].sum()) == sum(int(r[3]) for r in rows)


def test_an_italian_meta_export_by_day(tmp_path):
    text = (
        "Nome della campagna,Giorno,Risultati,Indicatore dei risultati,Impression,"
        "Costo per risultato,Importo speso (EUR),Clic sul link\n"
        'P,2024-01-02,4,actions:lead,2000,"7,5","30,00",40\n'
        'R,2024-01-03,2,actions:lead,1000,"7,5","15,25",20\n'
    )
    (tmp_path / "m.csv").write_text(text, "utf-8")
    conn = connector(tmp_path, "m.csv", currency="EUR")
    assert conn.platform == "meta_ads"
    frame = fetch(conn, "ad_spend", "clicks", "impressions")
    assert float(frame.values["ad_spend"].sum()) == pytest.approx(30.00 + 15.25)
    assert float(frame.values["clicks"].sum()) == 40 + 20
    assert float(frame.values["impressions"].sum()) == 2000 + 1000


def test_an_unknown_export_never_offers_a_rate_or_results(tmp_path):
    """A Meta export in a language the profiles do not list (Dutch): its cost per result and
    its CPC are rates, its `Resultaten` results of kinds that may differ: none is offered."""
    text = (
        "Campagnenaam,Begin rapportage,Einde rapportage,Resultaten,Weergaven,"
        "Kosten per resultaat,CPC (kosten per linkklik) (EUR),Uitgegeven bedrag (EUR),"
        'Linkklikken\nP,2024-01-01,2024-01-31,40,20000,"7,5","0,75","300,00",400\n'
    )
    (tmp_path / "m.csv").write_text(text, "utf-8")
    with pytest.raises(KpiError) as info:
        connector(tmp_path, "m.csv", currency="EUR")
    fix = info.value.fix or ""
    assert "map: {ad_spend: Uitgegeven bedrag (EUR), clicks: Linkklikken}" in fix
    assert "Kosten per" not in fix and "CPC" not in fix and "Resultaten" not in fix


@pytest.mark.parametrize(
    ("header", "total"),
    [
        ("Dia,Campanha,Código da moeda,Impr.,Cliques,Custo,Conversões", "Total: conta"),
        ("Dag,Campagne,Valutacode,Vert.,Klikken,Kosten,Conversies", "Totaal: account"),
    ],
)
def test_portuguese_and_dutch_google_headers(tmp_path, header, total):
    rows = '2024-01-02,A,EUR,"1.000",20,"1.010,25","2,00"\n2024-01-03,B,EUR,500,5,"5,00","1,00"\n'
    text = (
        f"Report\n2024-01-01 - 2024-01-31\n{header}\n{rows}"
        f'{total},,EUR,"1.500",25,"1.015,25","3,00"\n'
    )
    (tmp_path / "g.csv").write_text(text, "utf-8")
    conn = connector(tmp_path, "g.csv", currency="EUR")
    frame = fetch(conn, "ad_spend", "clicks", "impressions", dims=["campaign"])
    parsed = list(csv.reader(io.StringIO(rows)))
    assert float(frame.values["impressions"].sum()) == sum(
        int(r[3].replace(".", "")) for r in parsed
    )
    assert float(frame.values["ad_spend"].sum()) == pytest.approx(
        sum(float(r[5].replace(".", "").replace(",", ".")) for r in parsed)
    )
    assert sorted(set(frame.dims["campaign"])) == ["A", "B"]
