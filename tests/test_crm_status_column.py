"""A generic deals export with a `Status` column of won, lost and open beside its `Stage` column
(Pipedrive: the stage is the last one the deal reached, `Negotiation` for a deal won there) is
classed by its status: the `crm` connector never counts a won deal as open because of its stage.
The status column is found by its cells (all outcome words, in the CRM languages), named with
`columns: {status: ...}`, proposed in the suggested `columns:` block and in the unknown-stage
error.

Expected values are worked out here with the csv module from the `Status` cells.
"""

import csv
import io

import pytest
from test_connector_crm import connector, expect, nonzero, table

from kpiengine.errors import KpiError

HEADER = ["ID", "Title", "Value", "Currency", "Pipeline", "Stage", "Status", "Deal created",
          "Deal closed on"]  # fmt: skip
# (stage, status, value, created, closed): the stages are those a Pipedrive deal was left in
ROWS = [
    ("Negotiation", "Won", "1000", "2024-01-02 09:00:00", "2024-01-20 10:00:00"),
    ("Proposal", "Lost", "500", "2024-01-03 09:00:00", "2024-01-25 10:00:00"),
    ("Proposal", "Open", "2000", "2024-01-10 09:00:00", ""),
    ("Qualified", "Won", "3000", "2024-01-12 09:00:00", "2024-02-28 10:00:00"),
    ("Negotiation", "Won", "250", "2024-02-01 09:00:00", "2024-02-10 10:00:00"),
    ("Qualified", "Lost", "100", "2024-02-02 09:00:00", "2024-02-12 10:00:00"),
]
COLUMNS = {"close_date": "Deal closed on", "create_date": "Deal created", "amount": "Value"}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-04-15")


def write(tmp_path, header=HEADER, rows=ROWS, name="deals.csv"):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for i, (stage, status, value, created, closed) in enumerate(rows, start=1):
        cells = {"Stage": stage, "Status": status, "Value": value, "Deal created": created,
                 "Deal closed on": closed}  # fmt: skip
        cells |= {"ID": str(i), "Title": f"Deal {i}", "Currency": "EUR", "Pipeline": "Sales"}
        writer.writerow([cells.get(h.removeprefix("Deal - "), "") for h in header])
    (tmp_path / name).write_text(buffer.getvalue(), "utf-8")
    return buffer.getvalue()


def expected(text, status="Status", value="Value", closed="Deal closed on", won=("Won",),
             lost=("Lost",)):  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(text)))
    return {
        "revenue": expect((r[closed][:7], float(r[value])) for r in rows if r[status] in won),
        "deals_won": expect((r[closed][:7], 1.0) for r in rows if r[status] in won),
        "deals_lost": expect((r[closed][:7], 1.0) for r in rows if r[status] in lost),
    }


def test_won_deals_are_classed_by_their_status_not_their_last_stage(tmp_path):
    text = write(tmp_path)
    conn = connector("deals.csv", root=tmp_path, currency="EUR", system="generic",
                     columns=COLUMNS)  # fmt: skip
    assert conn.columns["stage"] == "Stage" and conn.columns["status"] == "Status"
    got = table(conn, "revenue", "deals_won", "deals_lost")
    want = expected(text)
    assert want["revenue"] == {"2024-01": 1000.0, "2024-02": 3250.0}  # by hand
    assert {v: nonzero(c) for v, c in got.items()} == want


def test_localized_status_words_and_deleted_deals(tmp_path):
    """German status words; Pipedrive's `Gelöscht` (deleted) says no outcome: its stage
    classes it (`Negotiation`: open)."""
    words = {"Won": "Gewonnen", "Lost": "Verloren", "Open": "Offen"}
    rows = [(s, words[t], *rest) for s, t, *rest in ROWS]
    rows.append(("Negotiation", "Gelöscht", "9999", "2024-01-05 09:00:00", "2024-01-06 10:00:00"))
    text = write(tmp_path, rows=rows)
    conn = connector("deals.csv", root=tmp_path, currency="EUR", system="generic",
                     columns=COLUMNS)  # fmt: skip
    got = table(conn, "revenue", "deals_won", "deals_lost")
    want = expected(text, won=("Gewonnen",), lost=("Verloren",))
    assert {v: nonzero(c) for v, c in got.items()} == want


def test_pipedrive_headers_without_a_known_stage_column(tmp_path):
    """`Deal - Stage` is no stage header the generic profile knows: the status column of
    outcome words classes the deals."""
    header = ["Deal - ID", "Deal - Title", "Deal - Value", "Deal - Stage", "Deal - Status",
              "Deal - Deal created", "Deal - Deal closed on"]  # fmt: skip
    text = write(tmp_path, header=header)
    columns = {"close_date": "Deal - Deal closed on", "create_date": "Deal - Deal created",
               "amount": "Deal - Value"}  # fmt: skip
    conn = connector("deals.csv", root=tmp_path, currency="EUR", system="generic",
                     object="deals", columns=columns)  # fmt: skip
    got = table(conn, "revenue", "deals_won", "deals_lost")
    want = expected(text, status="Deal - Status", value="Deal - Value",
                    closed="Deal - Deal closed on")  # fmt: skip
    assert {v: nonzero(c) for v, c in got.items()} == want


def test_the_status_column_named_in_columns(tmp_path):
    """A status column whose cells are not all outcome words is not found by them: named, it
    classes the deals it tells, their stage the others."""
    rows = [(s, "On hold" if i == 2 else t, *rest) for i, (s, t, *rest) in enumerate(ROWS)]
    text = write(tmp_path, rows=rows)
    conn = connector("deals.csv", root=tmp_path, currency="EUR", system="generic",
                     columns={**COLUMNS, "status": "Status"})  # fmt: skip
    got = table(conn, "revenue", "deals_won", "deals_lost")
    assert {v: nonzero(c) for v, c in got.items()} == expected(text)


def test_the_unknown_stage_error_proposes_the_status_column(tmp_path):
    """Pipedrive's default stage names are unknown; a status column with one cell that is no
    outcome word is not taken by its cells, but the error names it."""
    rows = [(f"{s} made", "On hold" if i == 2 else t, *rest)
            for i, (s, t, *rest) in enumerate(ROWS)]  # fmt: skip
    write(tmp_path, rows=rows)
    conn = connector("deals.csv", root=tmp_path, currency="EUR", system="generic",
                     columns=COLUMNS)  # fmt: skip
    assert "status" not in conn.columns
    with pytest.raises(KpiError) as info:
        table(conn, "revenue")
    assert "not known as won, lost or open" in info.value.message
    assert "`columns: {status: Status}`" in info.value.fix


def test_the_suggested_columns_block_offers_the_status(tmp_path):
    header = ["ID", "Title", "Value", "Stage", "Status", "Opened", "Finished"]
    write(tmp_path, header=header)
    with pytest.raises(KpiError) as info:
        connector("deals.csv", root=tmp_path, currency="EUR", system="generic")
    assert "      status: Status\n" in info.value.fix + "\n"


def test_hubspot_stages_unchanged_beside_a_status_like_column(tmp_path):
    """A HubSpot export is classed by its `Deal Stage`, whatever another column says."""
    text = (
        '"Record ID","Deal Name","Deal Stage","Amount","Close Date","Create Date","Result"\n'
        '"1","A","Closed won","100","2024-01-10","2024-01-01","Lost"\n'
        '"2","B","Closed lost","50","2024-01-11","2024-01-02","Won"\n'
    )
    (tmp_path / "deals.csv").write_text(text, "utf-8")
    conn = connector("deals.csv", root=tmp_path, currency="EUR")
    assert "status" not in conn.columns
    got = table(conn, "revenue", "deals_lost")
    assert nonzero(got["revenue"]) == {"2024-01": 100.0}
    assert nonzero(got["deals_lost"]) == {"2024-01": 1.0}


# --- a Salesforce lead export's `Converted Date` (the profile's own customer date) -------------


def test_a_salesforce_lead_export_counts_its_converted_leads(tmp_path):
    text = (
        '"Lead Owner","First Name","Last Name","Company / Account","Lead Source","Lead Status",'
        '"Create Date","Converted","Converted Date"\r\n'
        '"Ann","Jo","Smith","Acme","Web","Closed - Converted","1/3/2024","1","1/20/2024"\r\n'
        '"Ann","Al","Brown","Beta","Web","Working - Contacted","1/5/2024","0",""\r\n'
        '"Bob","Ma","Ng","Delta","Web","Closed - Converted","2/1/2024","1","2/13/2024"\r\n'
    )
    (tmp_path / "leads.csv").write_text(text, "utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    want = expect((f"2024-{int(r['Converted Date'].split('/')[0]):02d}", 1.0)
                  for r in rows if r["Converted Date"])  # fmt: skip
    conn = connector("leads.csv", root=tmp_path, currency="EUR")
    assert (conn.system, conn.object) == ("salesforce", "contacts")
    assert nonzero(table(conn, "new_customers")["new_customers"]) == want
