"""A `crm` contacts export's lifecycle stages: a contact that reached a stage reached the ones
before it, and a customer without a customer date is never dropped silently.

HubSpot leaves the dates of skipped stages empty: a contact created as a customer has no
`Became a Lead Date`, yet is a lead (by the first of its later stages' dates), so that the
lead-to-customer rate stays within 100% (it read 2 customers of 1 lead, 100% for 50%); an SQL
without an MQL date is an MQL by its SQL date. A contact whose lifecycle stage is `Customer`
(a Salesforce lead `Converted`) with an empty customer date leaves new customers and the
customer stocks out, undefined with how many and where the first is, as a won deal without a
close date does (`_crm_closed`).

Every expected value is worked out here from the rows as written (the csv module).
"""

from __future__ import annotations

import csv
from collections import Counter

import pytest
from test_connector_crm import connector, nonzero, table

HUBSPOT = [
    "Record ID", "Lifecycle Stage", "Create Date", "Original Source", "Became a Lead Date",
    "Became a Marketing Qualified Lead Date", "Became a Sales Qualified Lead Date",
    "Became an Opportunity Date", "Became a Customer Date",
]  # fmt: skip
ROWS = [
    # lead, MQL, SQL, customer: every date
    ["1", "Customer", "2024-01-03 10:00", "Paid Search", "2024-01-03 10:00", "2024-01-05 10:00",
     "2024-01-09 10:00", "2024-01-12 10:00", "2024-01-20 10:00"],
    # created as a customer: no earlier date (a lead, MQL and SQL of January 4)
    ["2", "Customer", "2024-01-04 10:00", "Offline Sources", "", "", "", "", "2024-01-04 10:00"],
    # created as an MQL at the end of January
    ["3", "Marketing Qualified Lead", "2024-01-31 10:00", "Paid Search", "", "2024-01-31 10:00",
     "", "", ""],
    ["4", "Lead", "2024-01-06 10:00", "Paid Search", "2024-01-06 10:00", "", "", "", ""],
    ["5", "Subscriber", "2024-01-07 10:00", "Paid Search", "", "", "", "", ""],  # no lead
    # an SQL of February without an MQL date, its lead date in January
    ["6", "Sales Qualified Lead", "2024-01-26 10:00", "Direct Traffic", "2024-01-26 10:00", "",
     "2024-02-02 10:00", "", ""],
    # an opportunity of February created so: lead, MQL and SQL by its opportunity date
    ["7", "Opportunity", "2024-02-06 10:00", "Direct Traffic", "", "", "", "2024-02-06 10:00",
     ""],
    ["8", "Lead", "2024-02-16 10:00", "Paid Search", "2024-02-16 10:00", "", "", "", ""],
]  # fmt: skip


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-06-01")


def write(path, header, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerows([header, *rows])


def reached(path, order):
    """Month -> contacts that reached the first stage of `order` (column names in funnel
    order): by its own date, else the first of the later ones (ISO texts sort as days)."""
    counts: Counter = Counter()
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            own = row[order[0]]
            later = sorted(row[c] for c in order[1:] if row[c])
            day = own or (later[0] if later else "")
            if day:
                counts[day[:7]] += 1
    return dict(counts)


def test_a_contact_is_a_lead_mql_and_sql_by_its_later_stages(tmp_path):
    path = tmp_path / "contacts.csv"
    write(path, HUBSPOT, ROWS)
    got = table(connector("contacts.csv", root=tmp_path), "leads", "mqls", "sqls",
                "new_customers")  # fmt: skip
    stages = HUBSPOT[4:]
    for i, variable in enumerate(("leads", "mqls", "sqls", "new_customers")):
        expected = reached(path, stages[i if i < 3 else 4 :])
        assert nonzero(got[variable]) == expected, variable
    # worked out by hand too: the rate read 2 customers of 1 lead in January
    assert nonzero(got["leads"]) == {"2024-01": 5, "2024-02": 2}
    assert nonzero(got["mqls"]) == {"2024-01": 3, "2024-02": 2}
    assert nonzero(got["sqls"]) == {"2024-01": 2, "2024-02": 2}
    assert nonzero(got["new_customers"]) == {"2024-01": 2}


def test_without_later_stage_columns_the_lead_date_alone(tmp_path):
    header = [c for c in HUBSPOT if "Qualified" not in c and "Opportunity" not in c
              and "Customer" not in c]  # fmt: skip
    rows = [[r[HUBSPOT.index(c)] for c in header] for r in ROWS]
    write(tmp_path / "contacts.csv", header, rows)
    got = table(connector("contacts.csv", root=tmp_path), "leads")
    assert nonzero(got["leads"]) == {"2024-01": 3, "2024-02": 1}


HC2 = [
    ["1", "Customer", "2024-01-03 10:00", "Paid Search", "2024-01-03 10:00", "2024-01-20 10:00"],
    ["2", "Customer", "2024-01-04 10:00", "Paid Search", "2024-01-04 10:00", ""],
    ["3", "Lead", "2024-01-05 10:00", "Paid Search", "2024-01-05 10:00", ""],
    ["4", "customer ", "2024-02-05 10:00", "Paid Search", "2024-02-05 10:00", ""],
    ["5", "Lead", "2024-02-25 10:00", "Paid Search", "2024-02-25 10:00", ""],
]
HC2_HEADER = ["Record ID", "Lifecycle Stage", "Create Date", "Original Source",
              "Became a Lead Date", "Became a Customer Date"]  # fmt: skip
CUSTOMERS = ("new_customers", "customers_at_start", "customers_at_end", "churned_customers")


def test_a_customer_without_a_customer_date_leaves_customers_out(tmp_path):
    write(tmp_path / "contacts.csv", HC2_HEADER, HC2)
    conn = connector("contacts.csv", root=tmp_path)
    from kpiengine.connector import Request
    from kpiengine.model import Aggregate

    asked = ("leads", "new_customers", "customers_at_end")
    frame = conn.fetch(Request({v: Aggregate() for v in asked}, "month", []))
    assert set(frame.missing) == {"new_customers", "customers_at_end"}
    why = frame.missing["new_customers"]
    # rows 2 and 4 (lines 3 and 5): stage Customer, date empty
    assert why.startswith("2 contacts that are customers by `Lifecycle Stage` without a date in "
                          "column `Became a Customer Date`, first at contacts.csv:3:")  # fmt: skip
    assert "fill in the dates" in why
    got = table(conn, "leads")  # the leads stand
    assert nonzero(got["leads"]) == {"2024-01": 3, "2024-02": 2}


def test_customers_all_dated_are_counted(tmp_path):
    rows = [r[:5] + [r[5] or ("2024-02-07 10:00" if "ustomer" in r[1] else "")] for r in HC2]
    write(tmp_path / "contacts.csv", HC2_HEADER, rows)
    conn = connector("contacts.csv", root=tmp_path)
    got = table(conn, "new_customers")
    assert nonzero(got["new_customers"]) == {"2024-01": 1, "2024-02": 2}


SFL = ["Lead Owner", "Last Name", "Lead Source", "Lead Status", "Create Date", "Converted",
       "Converted Date", "Lead ID"]  # fmt: skip


def test_a_converted_salesforce_lead_without_its_date_leaves_customers_out(tmp_path):
    rows = [
        ["Jo", "B", "Web", "Working - Contacted", "15/01/2024", "0", "", "00Q1"],
        ["Jo", "C", "Web", "Working - Contacted", "16/01/2024", "1", "", "00Q2"],
        ["Jo", "E", "Web", "Closed - Converted", "03/02/2024", "1", "20/02/2024", "00Q4"],
    ]
    write(tmp_path / "leads.csv", SFL, rows)
    conn = connector("leads.csv", root=tmp_path, date_format="%d/%m/%Y")
    from kpiengine.connector import Request
    from kpiengine.model import Aggregate

    frame = conn.fetch(Request({v: Aggregate() for v in ("leads", "new_customers")}, "month", []))
    assert set(frame.missing) == {"new_customers"}
    assert frame.missing["new_customers"].startswith(
        "1 lead that is a customer by `Lead Status` or `Converted` without a date in column "
        "`Converted Date`, first at leads.csv:3:"
    )


def test_churned_customers_stand_unless_an_undated_customer_churned(tmp_path):
    from kpiengine.connector import Request
    from kpiengine.model import Aggregate

    header = [*HC2_HEADER, "Churn"]
    rows = [[*r, "2024-03-01 10:00" if r[0] == "1" else ""] for r in HC2]
    write(tmp_path / "contacts.csv", header, rows)
    asked = {v: Aggregate() for v in ("churned_customers", "new_customers")}
    frame = connector("contacts.csv", root=tmp_path, churn_date="Churn").fetch(
        Request(asked, "month", [])
    )
    assert set(frame.missing) == {"new_customers"}  # row 1, dated, churned: counted
    rows[1][-1] = "2024-03-02 10:00"  # an undated customer churned: churn is wrong too
    write(tmp_path / "contacts.csv", header, rows)
    frame = connector("contacts.csv", root=tmp_path, churn_date="Churn").fetch(
        Request(asked, "month", [])
    )
    assert set(frame.missing) == {"new_customers", "churned_customers"}
