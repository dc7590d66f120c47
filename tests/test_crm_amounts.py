"""The `crm` connector's amounts: the decimal mark the cells tell (never a default), and the
currency column of each export (Salesforce's `Amount Currency` and `Amount (converted) Currency`
too) checked against the workspace currency.

Expected values are read here with the csv module and converted by hand (a German `12.000` is
twelve thousand), independently of the reading layer.
"""

import csv
import io

import pytest
from test_connector_crm import connector, nonzero, table

from kpiengine.errors import KpiError


def write(tmp_path, name, text, encoding="utf-8"):
    (tmp_path / name).write_text(text, encoding)
    return text


def rows_of(text, delimiter=","):
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


def german(text):
    """A German amount: `.` groups thousands, `,` is the decimal mark."""
    return float(text.replace(".", "").replace(",", "."))


def place(text, line, cell):
    """(line, column) of a cell on a line of `text`, 1-based: where its field starts."""
    row = text.splitlines()[line - 1]
    return line, row.index(cell) + 1


# --- the decimal mark ------------------------------------------------------------------------


GERMAN_HUBSPOT = (
    "Record ID;Deal Name;Deal Stage;Amount;Close Date;Create Date;Pipeline\n"
    "1;Müller;Closed won;12.000;20.02.2024 17:31;05.01.2024 09:00;Sales Pipeline\n"
    "2;Bäcker;Closed won;1.500;21.02.2024 10:00;06.01.2024 09:00;Sales Pipeline\n"
)


def test_a_german_excel_hubspot_export_reads_its_grouped_amounts_as_thousands(tmp_path):
    # re-saved by a German Excel: `;`, Windows-1252, `.` grouping thousands; no cell has a
    # decimal part to tell the mark, and `12.000` read as 12.0 was a silent thousandfold error
    text = write(tmp_path, "deals.csv", GERMAN_HUBSPOT, "cp1252")
    rows = rows_of(text, ";")
    got = table(connector("deals.csv", root=tmp_path, currency="EUR"), "revenue")["revenue"]
    assert (
        nonzero(got) == {"2024-02": sum(german(r["Amount"]) for r in rows)} == {"2024-02": 13500.0}
    )


def test_salesforce_yen_and_generic_amounts_grouped_by_dots(tmp_path):
    text = write(
        tmp_path,
        "opps.csv",
        '"Opportunity Owner","Account Name","Opportunity Name","Stage","Amount","Close Date",'
        '"Created Date"\n'
        '"Kenji","Bleu","B1","Closed Won","JPY 250.000","21.02.2024","06.01.2024"\n'
        '"Kenji","Cob","C1","Closed Won","JPY 10.000","22.02.2024","07.01.2024"\n',
    )
    amounts = [german(r["Amount"].removeprefix("JPY ")) for r in rows_of(text)]
    got = table(connector("opps.csv", root=tmp_path, currency="JPY"), "revenue")["revenue"]
    assert nonzero(got) == {"2024-02": sum(amounts)} == {"2024-02": 260000.0}

    text = write(
        tmp_path,
        "deals.csv",
        "Deal Name;Stage;Amount;Close Date;Created Date\n"
        "A;Won;1.500;20.02.2024;05.01.2024\n"
        "B;Won;2.300;21.02.2024;06.01.2024\n"
        "C;Lost;900;22.02.2024;06.01.2024\n",
    )
    won = [german(r["Amount"]) for r in rows_of(text, ";") if r["Stage"] == "Won"]
    conn = connector("deals.csv", root=tmp_path, currency="EUR", system="generic")
    got = table(conn, "revenue", "deals_won_with_amount")
    assert nonzero(got["revenue"]) == {"2024-02": sum(won)} == {"2024-02": 3800.0}
    assert nonzero(got["deals_won_with_amount"]) == {"2024-02": 2.0}


def test_amounts_grouped_both_ways_stop_at_the_cell_and_ask_for_the_decimal_option(tmp_path):
    text = write(
        tmp_path,
        "deals.csv",
        '"Record ID","Deal Name","Deal Stage","Amount","Close Date","Create Date"\n'
        '"1","A","Closed won","1,200","2024-02-20","2024-01-05"\n'
        '"2","B","Closed won","1.500","2024-02-21","2024-01-06"\n',
    )
    with pytest.raises(KpiError) as info:
        table(connector("deals.csv", root=tmp_path), "revenue")
    error = info.value
    assert error.location.file == "deals.csv"
    assert (error.location.line, error.location.column) == place(text, 3, '"1.500"')
    assert "1,200" in error.message and "decimal:" in error.fix
    # the option decides
    got = table(connector("deals.csv", root=tmp_path, decimal=","), "revenue")["revenue"]
    assert nonzero(got) == {"2024-02": 1.2 + 1500.0}


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["1,200.00", "12,000.50"], 1200.0 + 12000.5),
        (["USD 45,000.00", "USD 1,200"], 45000.0 + 1200.0),
        (["1.234,50", "12.000"], 1234.5 + 12000.0),
    ],
)
def test_amounts_whose_cells_tell_the_mark_read_as_before(tmp_path, cells, expected):
    lines = ['"Record ID","Deal Name","Deal Stage","Amount","Close Date","Create Date"']
    for i, cell in enumerate(cells, start=1):
        lines.append(f'"{i}","D{i}","Closed won","{cell}","2024-02-2{i}","2024-01-05"')
    write(tmp_path, "deals.csv", "\n".join(lines) + "\n")
    got = table(connector("deals.csv", root=tmp_path), "revenue")["revenue"]
    assert nonzero(got) == {"2024-02": pytest.approx(expected)}


# --- the currency column ---------------------------------------------------------------------


SALESFORCE_MULTI = (
    '"Opportunity Name","Stage","Amount Currency","Amount","Close Date","Created Date"\n'
    '"Acme - 1","Closed Won","USD","1000.00","2/20/2024","1/5/2024"\n'
    '"Bleu - 1","Closed Won","EUR","2000.00","2/21/2024","1/6/2024"\n'
    '"C - 1","Closed Lost","USD","300.00","2/22/2024","1/7/2024"\n'
)


def test_salesforce_amount_currency_column_mixing_currencies_stops_the_run(tmp_path):
    text = write(tmp_path, "opps.csv", SALESFORCE_MULTI)
    with pytest.raises(KpiError, match=r"mix currencies \(EUR, USD\)") as info:
        table(connector("opps.csv", root=tmp_path), "revenue")
    where = info.value.location
    assert (where.file, where.line, where.column) == ("opps.csv", *place(text, 3, '"EUR"'))


def test_salesforce_amount_currency_must_be_the_workspace_one(tmp_path):
    text = write(tmp_path, "opps.csv", SALESFORCE_MULTI.replace('"EUR"', '"USD"'))
    with pytest.raises(KpiError, match="are in USD .* the workspace currency is EUR") as info:
        table(connector("opps.csv", root=tmp_path, currency="EUR"), "revenue")
    assert (info.value.location.line, info.value.location.column) == place(text, 2, '"USD"')
    won = [float(r["Amount"]) for r in rows_of(text) if r["Stage"] == "Closed Won"]
    got = table(connector("opps.csv", root=tmp_path, currency="USD"), "revenue")["revenue"]
    assert nonzero(got) == {"2024-02": sum(won)}


SALESFORCE_CONVERTED = (
    '"Opportunity Name","Stage","Amount Currency","Amount","Amount (converted) Currency",'
    '"Amount (converted)","Account Name","Close Date","Created Date"\n'
    '"JPY TEST","Closed Won","JPY","10,000","USD","83.86","Acme PLC","2/20/2024","1/5/2024"\n'
    '"USD TEST","Closed Won","USD","10,000.00","USD","10,000.00","Acme PLC","2/21/2024",'
    '"1/6/2024"\n'
)


def test_salesforce_converted_amounts_are_checked_against_the_workspace_currency(tmp_path):
    text = write(tmp_path, "opps.csv", SALESFORCE_CONVERTED)
    rows = rows_of(text)
    # in USD: the converted amounts, whatever currency each deal was entered in
    got = table(connector("opps.csv", root=tmp_path, currency="USD"), "revenue")["revenue"]
    converted = sum(float(r["Amount (converted)"].replace(",", "")) for r in rows)
    assert nonzero(got) == {"2024-02": pytest.approx(converted)} == {"2024-02": 10083.86}
    # a EUR workspace: the amounts were converted to USD, not to EUR
    with pytest.raises(KpiError, match="`Amount \\(converted\\)` are in USD") as info:
        table(connector("opps.csv", root=tmp_path, currency="EUR"), "revenue")
    where = info.value.location
    assert (where.line, where.column) == place(text, 2, '"USD"')
    assert "Amount (converted) Currency" in info.value.message


def test_converted_amounts_mapped_in_another_language_are_checked_as_converted(tmp_path):
    """German headers mapped with `columns:`: the amounts are the converted ones, so their
    currency is `Betrag (konvertiert) Währung` (EUR), not each deal's own `Betrag Währung`."""
    text = (
        '"Opportunity-Name","Phase","Betrag Währung","Betrag","Betrag (konvertiert) Währung",'
        '"Betrag (konvertiert)","Schlusstermin","Erstellt am"\n'
        '"A","Closed Won","USD","1.000,00","EUR","920,00","20.02.2024","05.01.2024"\n'
        '"B","Closed Won","EUR","500,00","EUR","500,00","21.02.2024","06.01.2024"\n'
    )
    write(tmp_path, "opps.csv", text)
    columns = {
        "stage": "Phase",
        "amount": "Betrag (konvertiert)",
        "close_date": "Schlusstermin",
        "create_date": "Erstellt am",
        "currency": "Betrag Währung",
        "converted_currency": "Betrag (konvertiert) Währung",
    }
    options = {"system": "salesforce", "object": "deals", "columns": columns}
    conn = connector("opps.csv", root=tmp_path, currency="EUR", **options)
    got = table(conn, "revenue")["revenue"]
    assert nonzero(got) == {"2024-02": 920.0 + 500.0}
