"""A Salesforce report's `Grand Totals (N records)` row against the records read: fewer records
(or a smaller amount) than it states is an error at its cell giving the gap, more a KPI016
warning, the rows counted. Expected counts and sums are worked out with the csv module."""

import csv
import datetime as dt
import io

import pytest
from test_connector_crm import connector, nonzero, table

from kpiengine.errors import KpiError

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
FOOTER = [  # Salesforce's footer lines: no records
    [""] * len(HEADER),
    ["Confidential Information - Do Not Distribute"] + [""] * (len(HEADER) - 1),
]


def write(path, count, amount):
    """The export with its grand totals row stating `count` records and `amount`; the deals
    as the csv module reads them back."""
    total = [f"Grand Totals ({count} records)", "", "", "", amount, "", "", ""]
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(
        [HEADER, *DEALS, total, *FOOTER]
    )
    path.write_text(buffer.getvalue(), encoding="utf-8")
    rows = list(csv.reader(io.StringIO(buffer.getvalue())))
    return [dict(zip(HEADER, r, strict=True)) for r in rows[1 : 1 + len(DEALS)]]


def amounts(rows):
    return sum(float(r["Amount"].strip("$").replace(",", "")) for r in rows)


def test_a_grand_total_stating_more_records_than_read_is_an_error_at_its_cell(tmp_path):
    rows = write(tmp_path / "opps.csv", 5, "$95,000.00")
    assert len(rows) == 3  # the tester's file: 3 deals, a total of 5
    with pytest.raises(KpiError) as info:
        table(connector("opps.csv", root=tmp_path), "revenue")
    assert str(info.value.location) == "opps.csv:5:1"  # the total's line, its label
    assert "holds 3 opportunities but `Grand Totals (5 records)` says 5, 2 more" in str(info.value)


def test_its_amount_short_of_the_rows_is_an_error_giving_the_gap(tmp_path):
    rows = write(tmp_path / "opps.csv", 3, "$95,000.00")
    gap = 95000.0 - amounts(rows)
    assert gap == 70000.0
    with pytest.raises(KpiError) as info:
        table(connector("opps.csv", root=tmp_path), "revenue")
    line = (tmp_path / "opps.csv").read_text().splitlines()[4]
    at = line.index('"$95,000.00"') + 1  # the amount's cell, its column as characters
    assert str(info.value.location) == f"opps.csv:5:{at}"
    assert "add up to 25,000.00 in column `Amount`" in str(info.value)
    assert f"says 95,000.00, {gap:,.2f} more" in str(info.value)


def test_more_records_or_amount_than_stated_are_counted_with_a_warning(tmp_path):
    rows = write(tmp_path / "opps.csv", 2, "$20,000.00")
    frame = connector("opps.csv", root=tmp_path).fetch(_request("revenue"))
    said = [str(w) for w in frame.warnings]
    assert any("holds 3 opportunities but `Grand Totals (2 records)` says 2, 1 less" in w
               for w in said), said  # fmt: skip
    gap = amounts(rows) - 20000.0
    assert any(f"says 20,000.00, {gap:,.2f} less; the rows are counted" in w for w in said)
    won = sum(amounts([r]) for r in rows if r["Stage"] == "Closed Won")
    got = table(connector("opps.csv", root=tmp_path), "revenue")
    assert nonzero(got["revenue"]) == {"2024-03": won}  # the rows counted


def test_a_grand_total_the_rows_make_says_nothing(tmp_path):
    rows = write(tmp_path / "opps.csv", len(DEALS), "$25,000")  # no cents: rounded to dollars
    assert amounts(rows) == 25000.0
    frame = connector("opps.csv", root=tmp_path).fetch(_request("revenue", "deals_won"))
    assert frame.warnings == []


def test_the_count_is_checked_without_the_amounts_and_whatever_dates_are_asked(tmp_path):
    write(tmp_path / "opps.csv", 4, "$25,000.00")
    conn = connector("opps.csv", root=tmp_path)
    # no amount read: the count alone; the dates asked leave a deal out, the check counts it
    request = _request("deals_won", start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 15))
    with pytest.raises(KpiError, match="holds 3 opportunities but .* says 4, 1 more"):
        conn.fetch(request)


def _request(*variables, start=None, end=None):
    from kpiengine.connector import Request
    from kpiengine.model import Aggregate

    return Request({v: Aggregate() for v in variables}, "month", [], start, end)
