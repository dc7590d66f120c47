"""HubSpot's lifecycle stage `Customer` in the UI's language: a localized customer without a
customer date leaves the customer variables out, as `Customer` does (it was silently no
customer: the lead-to-customer rate read 33.3% where it is undefined). `Evangelist` is no
customer by its stage: portals give it to advocates and partners who never bought."""

from __future__ import annotations

import csv

import pytest
from test_connector_crm import connector, nonzero, table

from kpiengine.connector import Request
from kpiengine.model import Aggregate

HEADER = ["Record ID", "Lifecycle Stage", "Create Date", "Became a Lead Date",
          "Became a Customer Date"]  # fmt: skip


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-12-31")


@pytest.mark.parametrize(
    "stage",
    ["Client", "Kunde", "Cliente", "Klant", "顧客", "Customer"],
)
def test_a_localized_customer_without_its_date_leaves_customers_out(tmp_path, stage):
    rows = [["1", "Lead", "2024-03-01 10:00", "2024-03-01 10:00", ""],
            ["2", stage, "2024-03-02 10:00", "2024-03-02 10:00", ""],
            ["3", stage, "2024-03-03 10:00", "2024-03-03 10:00", "2024-03-20 10:00"]]  # fmt: skip
    with (tmp_path / "contacts.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerows([HEADER, *rows])
    conn = connector("contacts.csv", root=tmp_path)
    frame = conn.fetch(Request({v: Aggregate() for v in ("leads", "new_customers")}, "month", []))
    assert set(frame.missing) == {"new_customers"}
    assert frame.missing["new_customers"].startswith(
        "1 contact that is a customer by `Lifecycle Stage` without a date in column "
        "`Became a Customer Date`, first at contacts.csv:3:"
    )


@pytest.mark.parametrize("stage", ["Evangelist", "Évangéliste", "evangelist"])
def test_an_evangelist_without_a_customer_date_is_no_customer(tmp_path, stage):
    # a partner who never bought (no customer date) beside one customer of March: one new
    # customer in March, the leads of March three (each by its lead date)
    rows = [["1", "Customer", "2024-03-01 10:00", "2024-03-01 10:00", "2024-03-20 10:00"],
            ["2", stage, "2024-03-02 10:00", "2024-03-02 10:00", ""],
            ["3", "Lead", "2024-03-03 10:00", "2024-03-03 10:00", ""]]  # fmt: skip
    with (tmp_path / "contacts.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerows([HEADER, *rows])
    conn = connector("contacts.csv", root=tmp_path)
    got = table(conn, "leads", "new_customers")
    assert nonzero(got["new_customers"]) == {"2024-03": 1.0}
    assert nonzero(got["leads"]) == {"2024-03": 3.0}
