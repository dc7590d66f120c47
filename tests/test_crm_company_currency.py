"""Amounts converted to the company currency in another currency than the workspace's.

HubSpot's `Amount in company currency` is in the account's company currency, which the export
does not name: a workspace in USD read EUR amounts as dollars. When every deal whose `Currency`
is X (another currency than the workspace's, a nonzero amount) has its converted amount equal
to its `Amount` as entered, the company currency is evidently X: an error naming the file, the
first such row, X and the workspace currency. One deal whose amounts differ (a rate), or a
currency at par with the workspace's (BSD to USD), is no evidence.
"""

from __future__ import annotations

import csv

import pytest
from test_connector_crm import connector, nonzero, table

from kpiengine.errors import KpiError

HEADER = ["Record ID", "Deal Name", "Deal Stage", "Close Date", "Amount",
          "Amount in company currency", "Currency", "Pipeline", "Create Date"]  # fmt: skip


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-06-01")


def deal(i, amount, company, currency):
    return [str(i), f"D{i}", "Closed won", f"2024-01-{10 + i} 10:00", amount, company, currency,
            "Sales Pipeline", "2024-01-02 10:00"]  # fmt: skip


def write(path, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerows([HEADER, *rows])


def test_amounts_converted_to_another_currency_stop(tmp_path):
    write(tmp_path / "deals.csv", [deal(1, "1000", "1000", "EUR"), deal(2, "0", "0", "EUR"),
                                   deal(3, "2000", "2000", "EUR")])  # fmt: skip
    with pytest.raises(KpiError) as caught:
        table(connector("deals.csv", root=tmp_path, currency="USD"), "revenue")
    error = caught.value
    assert "are in EUR, not the workspace currency USD" in str(error)
    assert "`Amount in company currency`" in str(error) and "`Amount`" in str(error)
    # the first EUR deal with equal nonzero amounts: line 2, its `Currency` cell
    assert (error.location.file, error.location.line) == ("deals.csv", 2)
    assert "currency: EUR" in error.fix


@pytest.mark.parametrize(
    "rows",
    [
        # converted at a rate: 1000 EUR is 1085 USD
        [deal(1, "1000", "1085", "EUR"), deal(2, "2000", "2170", "EUR")],
        # one deal's amounts equal by chance, the other's not: no evidence
        [deal(1, "1", "1", "EUR"), deal(2, "2000", "2170", "EUR")],
        # a currency at par with the dollar
        [deal(1, "1000", "1000", "BSD"), deal(2, "500", "500", "USD")],
    ],
)
def test_amounts_in_the_workspace_currency_are_read(tmp_path, rows):
    write(tmp_path / "deals.csv", rows)
    got = table(connector("deals.csv", root=tmp_path, currency="USD"), "revenue")
    expected = sum(float(r[5]) for r in rows)
    assert nonzero(got["revenue"]) == {"2024-01": expected}
