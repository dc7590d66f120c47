"""Meta's `Results` of different kinds are never added up as conversions (undefined, with why),
whether the profile finds the column or `columns:` names it, and in German and French
(`Ergebnisse` with `Ergebnisindikator`, `Résultats` with `Type de résultat`)."""

import re

import numpy as np
import pytest
from test_connector_ads import connector, fetch

ENGLISH = (
    "\ufeffReporting starts,Reporting ends,Campaign name,Results,Result indicator,Impressions,"
    "Amount spent (EUR),Link clicks\n"
    "2024-01-01,2024-01-31,,,,100000,1500.25,2000\n"
    "2024-01-01,2024-01-31,Prospecting,40,actions:offsite_conversion.fb_pixel_purchase,70000,"
    "1000.00,1500\n"
    "2024-01-01,2024-01-31,Retargeting,25,actions:onsite_conversion.lead_grouped,30000,500.25,500\n"
)
GERMAN = (
    "\ufeffBerichtsbeginn,Berichtsende,Name der Kampagne,Ergebnisse,Ergebnisindikator,"
    "Impressionen,Ausgegebener Betrag (EUR),Link-Klicks\n"
    '2024-01-01,2024-01-31,,30,,30000,"300,00",300\n'
    "2024-01-01,2024-01-31,Kampagne A,20,actions:offsite_conversion.fb_pixel_purchase,20000,"
    '"200,00",200\n'
    '2024-01-01,2024-01-31,Kampagne B,10,actions:onsite_conversion.lead_grouped,10000,"100,00",'
    "100\n"
)
GERMAN_COLUMNS = {
    "date": "Berichtsbeginn", "date_end": "Berichtsende", "campaign": "Name der Kampagne",
    "impressions": "Impressionen", "clicks": "Link-Klicks", "cost": "Ausgegebener Betrag (EUR)",
}  # fmt: skip
KINDS = r"counts different results \(actions:offsite_conversion.fb_pixel_purchase, actions"


def test_results_named_with_columns_are_checked(tmp_path):
    (tmp_path / "m.csv").write_text(ENGLISH, "utf-8")
    named = {"conversions": "Results", "result_type": "Result indicator"}
    for columns in ({}, named, {"conversions": "Results"}):
        frame = fetch(connector(tmp_path, "m.csv", "EUR", columns=columns), "conversions")
        assert np.isnan(frame.values["conversions"]).all()  # undefined, with why
        assert re.search(KINDS, frame.missing["conversions"])
        assert "at m.csv:4:" in frame.missing["conversions"]  # the second kind's first row


@pytest.mark.parametrize(
    "columns",
    [GERMAN_COLUMNS | {"conversions": "Ergebnisse", "result_type": "Ergebnisindikator"},
     GERMAN_COLUMNS | {"conversions": "Ergebnisse"}],
)  # fmt: skip
def test_german_results_of_two_kinds_are_not_added(tmp_path, columns):
    (tmp_path / "m.csv").write_text(GERMAN, "utf-8")
    conn = connector(tmp_path, "m.csv", "EUR", platform="meta_ads", columns=columns)
    assert re.search(r"`Ergebnisse` " + KINDS, fetch(conn, "conversions").missing["conversions"])


def test_french_results_of_one_kind_are_added(tmp_path):
    text = (
        "Début des rapports,Fin des rapports,Nom de la campagne,Résultats,Type de résultat,"
        "Impressions,Montant dépensé (EUR)\n"
        '2024-01-01,2024-01-31,,9,,300,"30,00"\n'
        '2024-01-01,2024-01-31,A,5,Achats sur le site web,100,"10,00"\n'
        '2024-01-01,2024-01-31,B,4,Achats sur le site web,200,"20,00"\n'
    )
    (tmp_path / "m.csv").write_text(text, "utf-8")
    columns = {"date": "Début des rapports", "date_end": "Fin des rapports",
               "campaign": "Nom de la campagne", "impressions": "Impressions",
               "cost": "Montant dépensé (EUR)"}  # fmt: skip
    conn = connector(tmp_path, "m.csv", "EUR", platform="meta_ads", columns=columns)
    assert float(fetch(conn, "conversions").values["conversions"].sum()) == 5 + 4
    mixed = text.replace("4,Achats sur le site web", "4,Prospects")
    (tmp_path / "m.csv").write_text(mixed, "utf-8")
    conn = connector(tmp_path, "m.csv", "EUR", platform="meta_ads", columns=columns)
    assert (
        "`Résultats` counts different results" in fetch(conn, "conversions").missing["conversions"]
    )
