"""A CRM record whose first cell reads like a totals label (an account named `Total` or `Summa`)
is a record, not a summary row: it has its record's id, or without an id column a stage in
another cell, which Salesforce's summary rows never show. Summary rows stay left out. Expected
values are worked out with the csv module."""

import csv
import io
from collections import defaultdict

from test_connector_crm import connector, nonzero, table

HEADER = ["Account Name", "Opportunity Name", "Stage", "Amount", "Close Date", "Created Date"]
DEALS = [
    ["Acme Corp", "Acme - renewal", "Closed Won", "12,000.00", "3/14/2024", "2/1/2024"],
    ["Total", "Total - lubricants", "Closed Won", "50,000.00", "3/20/2024", "1/15/2024"],
    ["Globex", "Globex - pilot", "Closed Lost", "8,000.00", "3/22/2024", "2/10/2024"],
    ["Summa", "Summa - platform", "Closed Won", "20,000.00", "4/25/2024", "3/1/2024"],
    ["Initech", "Initech - expansion", "Closed Won", "5,000.00", "4/28/2024", "3/2/2024"],
]
SUMMARIES = [  # as a formatted report writes them: a label, an amount, a date
    ["Subtotal", "", "", "87,000.00", "4/28/2024", ""],
    ["Grand Totals (5 records)", "", "", "95,000.00", "", ""],
]
WON = {"Closed Won": True, "Closed Lost": False}


def write(path, rows):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return [dict(zip(rows[0], r, strict=True)) for r in csv.reader(io.StringIO(buffer.getvalue()))][
        1:
    ]


def expected(rows):
    """Deals won and revenue by close month, from the rows that are deals (a stage beside)."""
    won, revenue = defaultdict(float), defaultdict(float)
    for r in rows:
        if r["Stage"] not in WON or not WON[r["Stage"]]:
            continue
        month, _, year = r["Close Date"].split("/")
        key = f"{year}-{int(month):02d}"
        won[key] += 1
        revenue[key] += float(r["Amount"].replace(",", ""))
    return nonzero(won), nonzero(revenue)


def test_an_account_named_total_is_a_deal_and_summary_rows_are_not(tmp_path):
    rows = write(tmp_path / "opps.csv", [HEADER, *DEALS, *SUMMARIES])
    won, revenue = expected(rows)
    assert won == {"2024-03": 2, "2024-04": 2}  # the deals of `Total` and `Summa` among them
    got = table(connector("opps.csv", root=tmp_path), "deals_won", "revenue")
    assert nonzero(got["deals_won"]) == won
    assert nonzero(got["revenue"]) == revenue == {"2024-03": 62000.0, "2024-04": 25000.0}


def test_with_an_id_column_a_label_without_an_id_is_a_summary_row(tmp_path):
    header = ["Opportunity ID", *HEADER]
    deals = [[f"006{i:05d}", *d] for i, d in enumerate(DEALS)]
    # an id-less row labelled `Total` with a stage and dates: no record of this export
    stray = ["", "Total", "", "Closed Won", "99,000.00", "4/30/2024", "4/1/2024"]
    rows = write(tmp_path / "opps.csv", [header, *deals, stray])
    won, revenue = expected([r for r in rows if r["Opportunity ID"]])
    got = table(connector("opps.csv", root=tmp_path), "deals_won", "revenue")
    assert nonzero(got["deals_won"]) == won == {"2024-03": 2, "2024-04": 2}
    assert nonzero(got["revenue"]) == revenue
