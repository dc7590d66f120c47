"""The `crm` connector finds the amounts' currency column beyond the profiles' English headers:
by its name in HubSpot's UI languages (`Währung`), as the amount column's own (Salesforce's
`Betrag Währung` beside `Betrag`), or as the one column of currency codes (named in the
errors); several such columns are an error. The `columns:` block to paste offers the optional
roles with their guesses (`currency`, `id`). Amounts converted into one currency (`Betrag in
Firmenwährung`, `Betrag (konvertiert)`) are never checked against the deals' own currencies.

Expected sums are worked out here with the csv module.
"""

import csv
import io

import pytest
from test_connector_crm import connector, table

from kpiengine.errors import KpiError

COLUMNS = {"stage": "Deal-Phase", "close_date": "Abschlussdatum",
           "create_date": "Erstelldatum", "amount": "Betrag"}  # fmt: skip
STAGES = {"Abgeschlossen und gewonnen": "won", "Abgeschlossen und verloren": "lost"}
WON = "Abgeschlossen und gewonnen"


def deals(tmp_path, currency_header="Währung", codes=("EUR", "USD"), extra=None):
    """A HubSpot deals export with German headers: deal i is won for 1000 * (i + 1)."""
    header = ["Datensatz-ID", "Deal-Name", "Deal-Phase", "Abschlussdatum", "Betrag",
              currency_header, "Erstelldatum", *(extra or {})]  # fmt: skip
    rows = [
        [str(i + 1), f"Deal {i + 1}", WON, f"2024-01-{15 + i} 10:00", str(1000 * (i + 1)), code,
         f"2024-01-0{2 + i} 09:00", *((extra or {}).get(h, [""])[i] for h in extra or {})]
        for i, code in enumerate(codes)
    ]  # fmt: skip
    out = io.StringIO(newline="")
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows([header, *rows])
    (tmp_path / "d.csv").write_text(out.getvalue(), "utf-8")
    return list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))


def german(tmp_path, currency="EUR", columns=COLUMNS, **options):
    return connector("d.csv", root=tmp_path, currency=currency, system="hubspot",
                     object="deals", columns=columns, stages=STAGES, **options)  # fmt: skip


def revenue(conn):
    return {p: v for p, v in table(conn, "revenue")["revenue"].items() if v}


def test_the_localised_currency_column_is_read_and_a_mix_refused(tmp_path):
    deals(tmp_path)  # the repro: a pasted block without `currency:`
    with pytest.raises(KpiError) as info:
        revenue(german(tmp_path))
    assert info.value.message == (
        "the amounts of column `Betrag` mix currencies (EUR, USD) and there is no rate table"
    )
    assert (info.value.location.file, info.value.location.line) == ("d.csv", 3)


def test_one_workspace_currency_under_a_localised_header_sums(tmp_path):
    rows = deals(tmp_path, codes=("EUR", "EUR"))
    want = sum(float(r["Betrag"]) for r in rows if r["Deal-Phase"] == WON)
    assert revenue(german(tmp_path)) == {"2024-01": want}


def test_an_unknown_header_of_currency_codes_is_taken_and_named(tmp_path):
    deals(tmp_path, currency_header="Valuta do negócio")
    with pytest.raises(KpiError) as info:
        revenue(german(tmp_path))
    assert "mix currencies (EUR, USD)" in info.value.message
    assert "column `Valuta do negócio` is taken as their currency" in info.value.message


def test_a_taken_code_column_in_another_currency_is_refused(tmp_path):
    deals(tmp_path, currency_header="Code", codes=("USD", "USD"))
    with pytest.raises(KpiError) as info:
        revenue(german(tmp_path))
    assert info.value.message.startswith(
        "the amounts of column `Betrag` are in USD (column `Code`) but the workspace currency "
        "is EUR (column `Code` is taken as their currency"
    )


def test_two_columns_of_currency_codes_are_an_error_naming_both(tmp_path):
    deals(tmp_path, currency_header="Code", extra={"Rechnungscode": ["EUR", "USD"]})
    with pytest.raises(KpiError) as info:
        german(tmp_path)
    assert "2 columns of currency codes beside the amounts of column `Betrag`" in str(
        info.value.message
    )
    assert "`Code`, `Rechnungscode`" in info.value.message
    assert "currency: Code" in info.value.fix


def test_the_named_currency_column_settles_two(tmp_path):
    rows = deals(tmp_path, currency_header="Code", codes=("EUR", "EUR"),
                 extra={"Rechnungscode": ["USD", "USD"]})  # fmt: skip
    conn = german(tmp_path, columns={**COLUMNS, "currency": "Code"})
    assert revenue(conn) == {"2024-01": sum(float(r["Betrag"]) for r in rows)}


def test_salesforce_amount_currency_in_german(tmp_path):
    """Salesforce writes a currency field's code column as its label and `Währung`."""
    header = ["Opportunity-Name", "Phase", "Betrag Währung", "Betrag", "Schlusstermin",
              "Erstellt am"]  # fmt: skip
    rows = [["A", "Closed Won", "EUR", "1000", "15.01.2024", "02.01.2024"],
            ["B", "Closed Won", "USD", "5000", "20.01.2024", "03.01.2024"]]  # fmt: skip
    (tmp_path / "d.csv").write_text("\n".join(",".join(r) for r in [header, *rows]), "utf-8")
    columns = {"stage": "Phase", "close_date": "Schlusstermin", "create_date": "Erstellt am",
               "amount": "Betrag"}  # fmt: skip
    conn = connector("d.csv", root=tmp_path, currency="EUR", system="salesforce",
                     object="deals", columns=columns)  # fmt: skip
    with pytest.raises(KpiError, match=r"`Betrag` mix currencies \(EUR, USD\)") as info:
        revenue(conn)
    assert "is taken as their currency" not in info.value.message  # named by its header


@pytest.mark.parametrize(
    ("amount", "converted"),
    [("Betrag in Firmenwährung", None), ("Betrag (konvertiert)", "Betrag (konvertiert) Währung")],
)
def test_converted_amounts_are_not_checked_against_the_deals_currencies(
    tmp_path, amount, converted
):
    # the EUR deal's converted amount is its own (the company currency is EUR), the USD one's not
    extra = {amount: ["1000", "1840"], **({converted: ["EUR", "EUR"]} if converted else {})}
    rows = deals(tmp_path, extra=extra)
    conn = german(tmp_path, columns={**COLUMNS, "amount": amount})
    assert revenue(conn) == {"2024-01": sum(float(r[amount]) for r in rows)}


def test_a_converted_amount_in_another_currency_is_refused(tmp_path):
    amount, code = "Betrag (konvertiert)", "Betrag (konvertiert) Währung"
    deals(tmp_path, extra={amount: ["900", "4500"], code: ["USD", "USD"]})
    with pytest.raises(KpiError, match="are in USD \\(column `Betrag \\(konvertiert\\) Währung`"):
        revenue(german(tmp_path, columns={**COLUMNS, "amount": amount}))


def test_the_block_offers_currency_and_id_with_their_guesses(tmp_path):
    deals(tmp_path, currency_header="Code")
    with pytest.raises(KpiError) as info:
        connector("d.csv", root=tmp_path, currency="EUR", system="hubspot", object="deals")
    lines = info.value.fix.splitlines()
    assert lines[1:6] == ["    columns:", *(f'      {r}: "?"' for r in
                          ("stage", "close_date", "create_date", "amount"))]  # fmt: skip
    assert lines[6:] == [
        "      currency: Code  # guessed: its cells are currency codes",
        "      id: Datensatz-ID  # guessed: one value per row",
        '      # source: "?"',
        '      # campaign: "?"',
        '      # pipeline: "?"',
    ]


def test_the_block_names_the_localised_currency_column(tmp_path):
    deals(tmp_path)
    with pytest.raises(KpiError) as info:
        connector("d.csv", root=tmp_path, currency="EUR", system="hubspot", object="deals")
    assert "      currency: Währung" in info.value.fix.splitlines()


def test_the_block_lists_two_code_columns_without_choosing(tmp_path):
    deals(tmp_path, currency_header="Code", extra={"Rechnungscode": ["EUR", "USD"]})
    with pytest.raises(KpiError) as info:
        connector("d.csv", root=tmp_path, currency="EUR", system="hubspot", object="deals")
    assert (
        '      # currency: "?"  # one of Code, Rechnungscode (cells of currency codes)'
        in info.value.fix.splitlines()
    )
