"""The `ads` connector on columns read through `map:` (Google and Meta spend added up in one
workspace): an amount column mapped gets the report's currency check (its `Currency code`
column, a header such as `Amount spent (USD)`, a currency written in its cells) as the built-in
cost does, and a mapped column summed over every row is cross-checked against the report's
summary and `Total:` rows, which it leaves out.

Expected values are added up by hand from the file texts below.
"""

import numpy as np
import pytest
from test_connector_ads import connector

from kpiengine.connector import Mapping, Request
from kpiengine.errors import KpiError, Location
from kpiengine.model import Aggregate

GOOGLE = (
    "Campaign report\n"
    '"March 1, 2026 - March 31, 2026"\n'
    "Day,Campaign,Currency code,Impr.,Clicks,Cost,Conv. value\n"
    '2026-03-02,Brand,USD,"1,000",50,100.00,400.00\n'
    '2026-03-20,Brand,USD,"1,000",50,300.00,900.00\n'
)
META = (
    "Campaign name,Day,Amount spent (EUR),Impressions,Link clicks,Reporting starts,"
    "Reporting ends\n"
    ",,300.00,3000,30,2026-03-01,2026-03-31\n"
    "Prospecting,2026-03-02,100.00,1000,10,2026-03-02,2026-03-02\n"
    "Prospecting,2026-03-20,100.00,1000,10,2026-03-20,2026-03-20\n"
    "Retargeting,2026-03-25,100.00,1000,10,2026-03-25,2026-03-25\n"
)


def mapped(tmp_path, text, currency, quantity="amount", **columns):
    """The connector on `text` with `columns` (variable -> column) mapped, and a fetch by month
    of them (each an `amount`, by its unit, unless `quantity` says otherwise)."""
    (tmp_path / "r.csv").write_text(text, "utf-8")
    mappings = {v: Mapping(v, Location("kpi.yaml", 6, 5), column=c) for v, c in columns.items()}
    conn = connector(tmp_path, "r.csv", currency, mappings)
    kinds = {v: quantity for v in columns if quantity}
    return conn.fetch(Request({v: Aggregate() for v in columns}, "month", [], quantities=kinds))


def total(frame, variable):
    return float(np.nansum(frame.values[variable]))


@pytest.mark.parametrize(
    ("column", "quantity"), [("Cost", "amount"), ("Cost", ""), ("Conv. value", "amount")]
)
def test_a_mapped_amount_is_in_the_reports_currency_code(tmp_path, column, quantity):
    """`Currency code` says USD: a mapped cost (an amount by its unit, or the profile's cost
    column whatever the unit) in a EUR workspace is an error at the first code, as for `cpc`."""
    with pytest.raises(KpiError, match="amounts are in USD but the workspace currency is EUR") as i:
        mapped(tmp_path, GOOGLE, "EUR", quantity, google_spend=column)
    assert (i.value.location.line, i.value.location.column) == (4, 18)


def test_a_mapped_amount_in_the_workspace_currency_is_read(tmp_path):
    frame = mapped(tmp_path, GOOGLE, "USD", google_spend="Cost", google_value="Conv. value")
    assert total(frame, "google_spend") == 100.00 + 300.00
    assert total(frame, "google_value") == 400.00 + 900.00


def test_a_mapped_count_is_not_an_amount(tmp_path):
    """Clicks mapped in a EUR workspace: no amount read, the report's USD is not in the way."""
    frame = mapped(tmp_path, GOOGLE, "EUR", "count", google_clicks="Clicks")
    assert total(frame, "google_clicks") == 50 + 50


def test_a_mapped_meta_spend_in_the_currency_its_header_names(tmp_path):
    text = META.replace("Amount spent (EUR)", "Amount spent (USD)")
    with pytest.raises(KpiError, match="amounts are in USD but the workspace currency is EUR") as i:
        mapped(tmp_path, text, "EUR", meta_spend="Amount spent (USD)")
    assert (i.value.location.line, i.value.location.column) == (1, 19)


def test_a_currency_written_in_mapped_amounts(tmp_path):
    """`$100.00` cells are dollars: not read as euros."""
    text = GOOGLE.replace(",USD,", ",,").replace(",100.00,", ",$100.00,")
    with pytest.raises(KpiError, match=r"`Cost` is in \$ but the workspace currency is EUR") as i:
        mapped(tmp_path, text, "EUR", google_spend="Cost")
    assert (i.value.location.line, i.value.location.column) == (4, 30)
    frame = mapped(tmp_path, text, "USD", google_spend="Cost")
    assert total(frame, "google_spend") == 100.00 + 300.00


def test_the_summary_row_of_a_mapped_meta_spend_is_left_out(tmp_path):
    frame = mapped(tmp_path, META, "EUR", meta_spend="Amount spent (EUR)")
    assert total(frame, "meta_spend") == 100.00 + 100.00 + 100.00


def test_the_summary_row_cross_checks_a_mapped_column(tmp_path):
    """The summary row says 400.00, the rows add up to 300.00 (a row lost): an error at it."""
    text = META.replace(",,300.00,", ",,400.00,")
    with pytest.raises(KpiError, match=r"add up to 300\.00 .* the summary row says 400\.00") as i:
        mapped(tmp_path, text, "EUR", meta_spend="Amount spent (EUR)")
    assert i.value.location.line == 2


def test_a_mapped_column_of_some_rows_is_not_checked_against_the_summary(tmp_path):
    """`where:` reads a part of the rows: the summary row totals them all, no cross-check."""
    (tmp_path / "r.csv").write_text(META, "utf-8")
    where = {"Campaign name": ["Retargeting"]}
    mapping = Mapping("rt", Location("kpi.yaml", 6, 5), column="Amount spent (EUR)", where=where)
    conn = connector(tmp_path, "r.csv", "EUR", {"rt": mapping})
    frame = conn.fetch(Request({"rt": Aggregate()}, "month", [], quantities={"rt": "amount"}))
    assert total(frame, "rt") == 100.00


def test_a_google_total_row_cross_checks_a_mapped_column(tmp_path):
    text = GOOGLE + 'Total: Campaigns,,USD,"2,000",100,500.00,1300.00\n'
    with pytest.raises(KpiError, match=r"add up to 400\.00 .* `Total: Campaigns` says 500\.00"):
        mapped(tmp_path, text, "USD", google_spend="Cost")
