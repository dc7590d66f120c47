"""Converted amounts in a company currency that is not the workspace's, proven by a deal in
the workspace currency whose converted amount differs from its `Amount` as entered.

HubSpot's `Amount in company currency` (Salesforce's `Amount (converted)`) of a deal whose own
currency is the workspace's equals its `Amount` when the company currency is the workspace's:
when it differs, the converted amounts are in another currency. With every deal in the
workspace currency, `Amount` is read; a deal in another currency is then an error naming its
row, both columns and the currencies.
"""

from __future__ import annotations

import csv

import pytest
from test_connector_crm import connector, nonzero, table

from kpiengine.errors import KpiError

HUBSPOT = ["Record ID", "Deal Name", "Deal Stage", "Close Date", "Amount",
           "Amount in company currency", "Currency", "Create Date"]  # fmt: skip
SALESFORCE = ["Opportunity Name", "Stage", "Amount Currency", "Amount", "Amount (converted)",
              "Close Date", "Created Date"]  # fmt: skip


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-06-01")


def hubspot(i, stage, amount, company, currency="EUR"):
    return [str(i), f"D{i}", stage, f"2024-02-{10 + i} 10:00", amount, company, currency,
            "2024-01-02 10:00"]  # fmt: skip


def write(path, header, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerows([header, *rows])


def test_hubspot_amounts_as_entered_are_read(tmp_path):
    rows = [hubspot(1, "Closed won", "1000.00", "1100.00"),
            hubspot(2, "Closed won", "2047.54", "2252.29"),
            hubspot(3, "Closed lost", "500.00", "550.00"),
            hubspot(4, "Contract sent", "300.00", "330.00")]  # fmt: skip
    write(tmp_path / "deals.csv", HUBSPOT, rows)
    got = table(connector("deals.csv", root=tmp_path, currency="EUR"), "revenue")
    # by hand: the won deals' `Amount`, 1000.00 + 2047.54 (not their company-currency 3352.29)
    assert nonzero(got["revenue"]) == {"2024-02": 3047.54}


def test_salesforce_amounts_as_entered_are_read(tmp_path):
    rows = [["O", "Closed Won", "EUR", "5152.60", "5667.86", "2/18/2024", "1/19/2024"],
            ["O", "Closed Won", "EUR", "100.00", "110.00", "2/20/2024", "1/19/2024"],
            ["O", "Prospecting", "EUR", "900.00", "990.00", "", "1/19/2024"]]  # fmt: skip
    write(tmp_path / "opps.csv", SALESFORCE, rows)
    got = table(connector("opps.csv", root=tmp_path, currency="EUR"), "revenue")
    assert nonzero(got["revenue"]) == {"2024-02": 5252.60}


def test_a_deal_in_another_currency_stops(tmp_path):
    rows = [hubspot(1, "Closed won", "1000.00", "1100.00"),
            hubspot(2, "Closed won", "2000.00", "2340.00", "GBP"),  # 1 GBP = 1.17 USD
            hubspot(3, "Closed won", "700.00", "770.00")]  # fmt: skip
    write(tmp_path / "deals.csv", HUBSPOT, rows)
    with pytest.raises(KpiError) as caught:
        table(connector("deals.csv", root=tmp_path, currency="EUR"), "revenue")
    error = caught.value
    text = str(error)
    assert "`Currency` is GBP" in text and "`Amount`" in text
    assert "`Amount in company currency`" in text and "EUR" in text
    assert (error.location.file, error.location.line) == ("deals.csv", 3)  # the GBP deal


def test_equal_amounts_in_the_workspace_currency_read_the_converted_ones(tmp_path):
    rows = [hubspot(1, "Closed won", "1000.00", "1000.00"),
            hubspot(2, "Closed won", "2000.00", "1840.00", "USD")]  # fmt: skip
    write(tmp_path / "deals.csv", HUBSPOT, rows)
    got = table(connector("deals.csv", root=tmp_path, currency="EUR"), "revenue")
    assert nonzero(got["revenue"]) == {"2024-02": 2840.0}


def test_converted_amounts_beyond_the_sample_are_checked(tmp_path):
    """No deal of the sample (2000 rows) is in the workspace currency: the file tells."""
    rows = [hubspot(i % 9, "Closed won", "100.00", "117.00", "GBP") for i in range(2001)]
    rows[-1][4:7] = ["500.00", "500.00", "USD"]  # line 2002
    for i, row in enumerate(rows):
        row[0] = str(1000 + i)
    write(tmp_path / "deals.csv", HUBSPOT, rows)
    with pytest.raises(KpiError) as caught:
        table(connector("deals.csv", root=tmp_path, currency="EUR"), "revenue")
    assert "are in USD, not the workspace currency EUR" in str(caught.value)
    assert caught.value.location.line == 2002


def test_the_mixed_currencies_fix_names_the_converted_column_present(tmp_path):
    """A French export: its converted column is `Montant dans la devise de l'entreprise`."""
    header = ["ID de fiche d'informations", "Phase de la transaction", "Date de fermeture",
              "Montant", "Montant dans la devise de l'entreprise", "Devise",
              "Date de création"]  # fmt: skip
    rows = [["1", "Fermé gagné", "18/02/2024 02:13", "5152,60", "4637,34", "USD",
             "19/01/2024 17:33"],
            ["2", "Fermé gagné", "25/02/2024 12:01", "13697,99", "13697,99", "EUR",
             "05/01/2024 09:36"]]  # fmt: skip
    write(tmp_path / "deals.csv", header, rows)
    columns = {"stage": header[1], "close_date": header[2], "create_date": header[6],
               "amount": "Montant", "currency": "Devise", "id": header[0]}  # fmt: skip
    conn = connector("deals.csv", root=tmp_path, currency="EUR", system="hubspot",
                     object="deals", columns=columns, stages={"Fermé gagné": "won"})  # fmt: skip
    with pytest.raises(KpiError) as caught:
        table(conn, "revenue")
    assert "mix currencies (EUR, USD)" in str(caught.value)
    assert "`Montant dans la devise de l'entreprise`" in caught.value.fix
    assert "Amount in company currency" not in caught.value.fix
    # the fix followed: the converted amounts, by hand 4637.34 + 13697.99
    columns["amount"] = "Montant dans la devise de l'entreprise"
    conn = connector("deals.csv", root=tmp_path, currency="EUR", system="hubspot",
                     object="deals", columns=columns, stages={"Fermé gagné": "won"})  # fmt: skip
    assert nonzero(table(conn, "revenue")["revenue"]) == {"2024-02": 18335.33}
