"""One record id on several rows of one file (Salesforce's `Opportunities with Products` and
`with Contact Roles` reports: one row per product line or contact role, the opportunity's
amount on each) would count the record once per row: the `crm` connector stops at the second
row, naming the id, the first row's line and the export to make instead.

Ids and lines are worked out here with the csv module.
"""

import csv
import io

import pytest
from test_connector_crm import connector, nonzero, table

from kpiengine.errors import KpiError

PRODUCTS = ["Opportunity Owner", "Account Name", "Opportunity Name", "Opportunity ID", "Stage",
            "Close Date", "Created Date", "Amount", "Product Name", "Quantity", "Sales Price",
            "Total Price"]  # fmt: skip
FOOTER = (
    '\r\n"Opportunities with Products"\r\n'
    '"Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved."\r\n'
)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-04-15")


def export(header, rows, footer=FOOTER):
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue() + footer


def first_repeat(text, column):
    """(id, line of its first row, line of its second row), by the csv module."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    index, seen, line = header.index(column), {}, reader.line_num + 1
    for row in reader:
        if len(row) == len(header) and row[index]:
            if row[index] in seen:
                return row[index], seen[row[index]], line
            seen[row[index]] = line
        line = reader.line_num + 1
    return None


def product_row(n, product, stage="Closed Won", amount="12,000.00"):
    return ["Ann", f"Account {n}", f"Opp {n}", f"0065g00000A{n:05d}", stage, "1/25/2024",
            "12/13/2023", amount, product, "1", "100.00", "100.00"]  # fmt: skip


def test_an_opportunities_with_products_report_is_an_error(tmp_path):
    rows = [product_row(1, "Seat licence"), product_row(1, "Onboarding"),
            product_row(2, "Seat licence", "Closed Lost", "5,000.00")]  # fmt: skip
    text = export(PRODUCTS, rows)
    (tmp_path / "opps.csv").write_text(text, "utf-8")
    value, first, second = first_repeat(text, "Opportunity ID")
    assert (first, second) == (2, 3)  # by hand
    with pytest.raises(KpiError) as info:
        table(connector("opps.csv", root=tmp_path), "revenue")
    error = info.value
    assert error.location.file == "opps.csv" and error.location.line == second
    assert (
        f"Opportunity ID `{value}` is on line {first} and again on line {second}" in error.message
    )
    assert "`Product Name`" in error.message and "plain Opportunities report" in error.fix


def test_contact_roles_repeat_the_id_without_product_columns(tmp_path):
    header = ["Opportunity Name", "Opportunity ID", "Stage", "Close Date", "Created Date",
              "Amount", "Contact: Full Name", "Role"]  # fmt: skip
    rows = [
        ["A", "006A", "Closed Won", "1/10/2024", "1/2/2024", "3,000.00", "Jo Lee", "Buyer"],
        ["B", "006B", "Closed Won", "1/12/2024", "1/3/2024", "1,000.00", "Al Wu", "Buyer"],
        ["B", "006B", "Closed Won", "1/12/2024", "1/3/2024", "1,000.00", "Li Ng", "Champion"],
    ]
    text = export(header, rows)
    (tmp_path / "opps.csv").write_text(text, "utf-8")
    value, first, second = first_repeat(text, "Opportunity ID")
    with pytest.raises(KpiError) as info:
        table(connector("opps.csv", root=tmp_path), "revenue")
    assert info.value.location.line == second
    assert f"`{value}` is on line {first} and again on line {second}" in info.value.message


def test_a_repeat_past_the_sample_of_a_line_item_report(tmp_path):
    """The sampled rows (the first 2000) hold one row per opportunity; the product report's
    headers make the whole file's ids looked at."""
    rows = [product_row(n, "Seat licence") for n in range(1, 2600)]
    rows.append(product_row(2599, "Onboarding"))
    text = export(PRODUCTS, rows)
    (tmp_path / "opps.csv").write_text(text, "utf-8")
    value, first, second = first_repeat(text, "Opportunity ID")
    assert second > 2000
    with pytest.raises(KpiError) as info:
        table(connector("opps.csv", root=tmp_path), "revenue")
    assert info.value.location.line == second
    assert f"`{value}` is on line {first} and again on line {second}" in info.value.message


def test_a_hubspot_record_id_twice_is_an_error(tmp_path):
    text = (
        '"Record ID","Deal Name","Deal Stage","Amount","Close Date","Create Date"\n'
        '"11","A","Closed won","100","2024-01-10","2024-01-01"\n'
        '"12","B","Closed won","50","2024-01-11","2024-01-02"\n'
        '"11","A","Closed won","100","2024-01-10","2024-01-01"\n'
    )
    (tmp_path / "deals.csv").write_text(text, "utf-8")
    with pytest.raises(KpiError) as info:
        table(connector("deals.csv", root=tmp_path), "revenue")
    assert info.value.location.line == 4
    assert "Record ID `11` is on line 2 and again on line 4: one deal" in info.value.message


def test_one_row_per_opportunity_is_counted(tmp_path):
    rows = [product_row(n, "Seat licence", amount=f"{n},000.00") for n in range(1, 4)]
    text = export(PRODUCTS, rows)
    (tmp_path / "opps.csv").write_text(text, "utf-8")
    want = sum(float(r["Amount"].replace(",", "")) for r in
               csv.DictReader(io.StringIO(text)) if r["Opportunity ID"])  # fmt: skip
    got = table(connector("opps.csv", root=tmp_path), "revenue")
    assert nonzero(got["revenue"]) == {"2024-01": want}
