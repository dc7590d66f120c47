"""Salesforce's `Grand Totals (N records)` row in its other languages (`Gesamtsummen (5
Datensätze)`, `Totaux généraux (5 enregistrements)` ...) is checked against the rows as the
English one is, and the labels the `crm` connector leaves out as summary rows are those the
sniff takes for totals rows (one list): a row stating its records is never dropped unchecked.
Expected counts and sums are worked out with the csv module."""

import csv
import io

import duckdb
import pytest
from test_connector_crm import connector, nonzero, table

from connectors._crm_grouped import NOTES, SUMMARY_LABELS, SUMMARY_OF, SUMMARY_PATTERN, is_summary
from connectors._crm_totals import stated_count
from connectors._csv_totals import _plain
from kpiengine.errors import KpiError
from kpiengine.fileformats.rows import SUBTOTAL_LABELS, TOTAL_LABELS, is_total_label
from kpiengine.fileformats.sql import anchored

HEADER = ["Opportunity Owner", "Account Name", "Opportunity Name", "Stage", "Amount",
          "Close Date", "Created Date", "Lead Source"]  # fmt: skip
DEALS = [
    ["Jane Doe", "Acme Corp", "Acme - renewal", "Closed Won", "$12,000.00", "3/14/2024",
     "2/1/2024", "Web"],
    ["Jane Doe", "Globex", "Globex - pilot", "Closed Lost", "$8,000.00", "3/22/2024",
     "2/10/2024", "Web"],
    ["John Roe", "Initech", "Initech - expansion", "Closed Won", "$5,000.00", "3/28/2024",
     "3/2/2024", "Phone Inquiry"],
]  # fmt: skip
#: Salesforce's grand totals label in its languages, `{}` for the count (the tester's strings)
GRAND = [
    "Gesamtsummen ({} Datensätze)",
    "Gesamtsumme ({} Datensätze)",
    "Totaux généraux ({} enregistrements)",
    "Totales generales ({} registros)",
    "Totali complessivi ({} record)",
    "Totais gerais ({} registros)",
    "Grand Totals ({} records)",
]


def write(path, *labelled):
    """The export, then a row for each (label, amount); the deals as the csv module reads them."""
    extra = [[label, "", "", "", amount, "", "", ""] for label, amount in labelled]
    footer = ["Confidential Information - Do Not Distribute"] + [""] * (len(HEADER) - 1)
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(
        [HEADER, *DEALS, *extra, [""] * len(HEADER), footer]
    )
    path.write_text(buffer.getvalue(), encoding="utf-8")
    rows = list(csv.reader(io.StringIO(buffer.getvalue())))[1 : 1 + len(DEALS)]
    return [dict(zip(HEADER, r, strict=True)) for r in rows]


def dollars(rows):
    return sum(float(r["Amount"].strip("$").replace(",", "")) for r in rows)


@pytest.mark.parametrize("label", GRAND)
def test_a_grand_total_in_any_language_stating_more_records_is_an_error(tmp_path, label):
    rows = write(tmp_path / "opps.csv", (label.format(5), "$25,000.00"))
    assert len(rows) == 3 and dollars(rows) == 25000.0  # 3 deals, the total says 5
    with pytest.raises(KpiError) as info:
        table(connector("opps.csv", root=tmp_path), "deals_won")
    assert str(info.value.location) == "opps.csv:5:1"  # the total's line, its label
    said = f"holds 3 opportunities but `{label.format(5)}` says 5, 2 more"
    assert said in str(info.value)


@pytest.mark.parametrize("label", [GRAND[0], GRAND[2]])
def test_its_amount_beyond_the_rows_is_an_error_giving_the_gap(tmp_path, label):
    rows = write(tmp_path / "opps.csv", (label.format(3), "$95,000.00"))
    gap = 95000.0 - dollars(rows)
    assert gap == 70000.0
    with pytest.raises(KpiError) as info:
        table(connector("opps.csv", root=tmp_path), "revenue")
    assert f"says 95,000.00, {gap:,.2f} more" in str(info.value)


def test_a_localized_subtotal_is_left_out_and_not_compared(tmp_path):
    # a group's subtotal stating the wrong count, then the right grand total: no error
    rows = write(
        tmp_path / "opps.csv",
        ("Zwischensummen (9 Datensätze)", "$1.00"),
        ("Gesamtsummen (3 Datensätze)", "$25,000.00"),
    )
    won = dollars([r for r in rows if r["Stage"] == "Closed Won"])
    assert won == 17000.0
    got = table(connector("opps.csv", root=tmp_path), "revenue")
    assert nonzero(got["revenue"]) == {"2024-03": won}


LINES = [*SUMMARY_LABELS, *(f"{s} of Amount" for s in SUMMARY_OF), *NOTES]


def _sql(texts):
    """`SUMMARY_PATTERN` as DuckDB matches it, on each text."""
    pattern = anchored(SUMMARY_PATTERN)
    query = "SELECT regexp_full_match(t, ?) FROM unnest(?) WITH ORDINALITY AS u(t, i) ORDER BY i"
    return [r[0] for r in duckdb.execute(query, [pattern, texts]).fetchall()]


def test_every_row_left_out_stating_its_records_is_a_totals_row_the_check_sees():
    stating = [f"{label.title()} (5 records)" for label in (*TOTAL_LABELS, *LINES)]
    dropped = [text for text in stating if is_summary([text])]
    assert _sql(stating) == [text in dropped for text in stating]  # Python and SQL agree
    unseen = [t for t in dropped if stated_count(t) is not None and not is_total_label(t)]
    assert unseen == []
    # every totals label is left out; a summary line is, without a count
    assert all(is_summary([f"{label} (5 records)"]) for label in TOTAL_LABELS)
    assert all(is_summary([label]) for label in LINES)
    assert is_summary(["Sum of Amount (converted)"])
    assert _sql(["Sum of Amount (converted)", "Sum of Amount (5 records)"]) == [True, False]


def test_subtotals_state_no_grand_total_in_either_connector():
    for label in SUBTOTAL_LABELS:
        assert is_total_label(f"{label} (5 records)")
        assert stated_count(f"{label} (5 records)") is None
        assert not _plain(label.upper())  # `_csv_totals` compares no subtotal with every row
    for label in set(TOTAL_LABELS) - set(SUBTOTAL_LABELS):
        assert stated_count(f"{label} (1,205 records)") == 1205
