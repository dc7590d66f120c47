"""A Salesforce `Opportunities with Contact Roles` (or with Products) report without an id.

Such a report writes an opportunity once per contact role, its amount on each row: without an
`Opportunity ID` column the repeated-id check cannot tell, and the deal would be counted once
per role. Its headers (`Contact Role`, `Primary`, a contact's `First Name` and `Last Name`)
mark it: two rows alike in every other cell are an error naming the column and the rows; rows
provably one per opportunity (none alike) are read.
"""

from __future__ import annotations

import csv

import pytest
from test_connector_crm import connector, nonzero, table

from kpiengine.errors import KpiError

HEADER = ["Opportunity Owner", "Account Name", "Opportunity Name", "Stage", "Amount",
          "Close Date", "Created Date", "First Name", "Last Name", "Title", "Contact Role",
          "Primary"]  # fmt: skip


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-12-31")


def write(path, rows, header=HEADER):
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerows([header, *rows])


ACME = ["Jane Doe", "Acme", "Acme - 500 seats", "Closed Won", "10000.00", "2/15/2024",
        "1/5/2024"]  # fmt: skip
BETA = ["Jane Doe", "Beta", "Beta - Pilot", "Closed Lost", "5000.00", "2/20/2024", "1/6/2024"]


def test_one_row_per_contact_role_stops(tmp_path):
    write(tmp_path / "opps.csv", [ACME + ["Ann", "Lee", "CFO", "Decision Maker", "1"],
                                  ACME + ["Bob", "Ray", "CTO", "Evaluator", "0"],
                                  BETA + ["Cy", "Po", "VP", "Decision Maker", "1"]])  # fmt: skip
    with pytest.raises(KpiError) as caught:
        table(connector("opps.csv", root=tmp_path), "revenue", "deals_won")
    error = caught.value
    assert "`Contact Role`" in str(error) and "lines 2 and 3" in str(error)
    assert (error.location.file, error.location.line) == ("opps.csv", 3)
    assert "one row per opportunity" in error.fix


def test_a_role_report_one_row_per_opportunity_is_read(tmp_path):
    write(tmp_path / "opps.csv", [ACME + ["Ann", "Lee", "CFO", "Decision Maker", "1"],
                                  BETA + ["Cy", "Po", "VP", "Decision Maker", "1"]])  # fmt: skip
    got = table(connector("opps.csv", root=tmp_path), "revenue", "deals_won", "deals_lost")
    assert nonzero(got["revenue"]) == {"2024-02": 10000.0}
    assert nonzero(got["deals_won"]) == {"2024-02": 1.0}
    assert nonzero(got["deals_lost"]) == {"2024-02": 1.0}


def test_contact_names_alone_mark_it(tmp_path):
    header = [h for h in HEADER if h not in ("Contact Role", "Primary", "Title")]
    write(tmp_path / "opps.csv", [ACME + ["Ann", "Lee"], ACME + ["Bob", "Ray"]], header)
    with pytest.raises(KpiError, match="`First Name` marks a report"):
        table(connector("opps.csv", root=tmp_path), "revenue")


def test_repeats_beyond_the_sample_stop(tmp_path):
    rows = [["Jane Doe", f"A{i}", f"O{i}", "Closed Won", "100.00", "2/15/2024", "1/5/2024",
             "Ann", "Lee", "CFO", "Decision Maker", "1"] for i in range(2001)]  # fmt: skip
    rows.append([*rows[-1][:7], "Bob", "Ray", "CTO", "Evaluator", "0"])  # line 2003
    write(tmp_path / "opps.csv", rows)
    with pytest.raises(KpiError) as caught:
        table(connector("opps.csv", root=tmp_path), "revenue")
    assert "lines 2002 and 2003" in str(caught.value)
    assert caught.value.location.line == 2003


# Salesforce's standard Opportunity field `Quantity` (TotalOpportunityQuantity): in a plain
# Opportunities report it is the opportunity's own cell, no line-item marker; beside a product
# header (`Opportunities with Products`) it is the line item's.
PLAIN = ["Opportunity Owner", "Account Name", "Opportunity Name", "Stage", "Amount", "Quantity",
         "Close Date", "Created Date"]  # fmt: skip
EXPANSION = ["Jane Doe", "Acme", "Acme - Expansion", "Closed Won", "1,000.00"]
DATES = ["2/15/2024", "1/16/2024"]


def test_quantity_alone_marks_no_line_items(tmp_path):
    # two opportunities alike but for their quantities: 2 won in February, 1,000 each
    write(tmp_path / "opps.csv", [[*EXPANSION, "10", *DATES], [*EXPANSION, "20", *DATES]], PLAIN)
    got = table(connector("opps.csv", root=tmp_path), "revenue", "deals_won")
    assert nonzero(got["revenue"]) == {"2024-02": 2000.0}
    assert nonzero(got["deals_won"]) == {"2024-02": 2.0}


def test_a_plain_report_with_rows_alike_counts_each(tmp_path):
    # no id and no line-item header: one row per opportunity, as the plain report writes it
    # (two opportunities may share every shown cell); the quantity is compared like any cell
    write(tmp_path / "opps.csv", [[*EXPANSION, "10", *DATES], [*EXPANSION, "10", *DATES]], PLAIN)
    got = table(connector("opps.csv", root=tmp_path), "revenue", "deals_won")
    assert nonzero(got["revenue"]) == {"2024-02": 2000.0}
    assert nonzero(got["deals_won"]) == {"2024-02": 2.0}


def test_quantity_beside_a_product_is_the_line_items(tmp_path):
    header = [*PLAIN[:5], "Product Name", "Quantity", "Sales Price", *PLAIN[6:]]
    write(tmp_path / "opps.csv", [[*EXPANSION, "Seats", "10", "50.00", *DATES],
                                  [*EXPANSION, "Support", "20", "25.00", *DATES]],
          header)  # fmt: skip
    with pytest.raises(KpiError) as caught:
        table(connector("opps.csv", root=tmp_path), "revenue")
    assert "column `Product Name` marks a report" in str(caught.value)
    assert "lines 2 and 3" in str(caught.value)
