"""The `columns:` block offered for a contacts export in another language offers every role
the connector reads: HubSpot's `Became an Opportunity Date` too (an SQL skipped on the way to
opportunity is an SQL by it), and a Salesforce lead's `Converted` flag."""

from __future__ import annotations

import csv

import pytest
from test_connector_crm import connector, nonzero, table

from kpiengine.errors import KpiError

FRENCH = ["ID de fiche d'informations", "Phase du cycle de vie", "Date de création",
          "Date de passage au statut de lead",
          "Date de passage au statut de lead marketing (MQL)",
          "Date de passage au statut de lead commercial (SQL)",
          "Date de passage au statut d'opportunité",
          "Date de passage au statut de client"]  # fmt: skip
ROLES = ["create_date", "lifecycle_stage", "became_lead_date", "became_mql_date",
         "became_sql_date", "became_opportunity_date", "became_customer_date"]  # fmt: skip
ROWS = [
    # MQL in March, no SQL date, an opportunity in March: an SQL of March
    ["1", "Opportunité", "2024-03-01 10:00", "2024-03-01 10:00", "2024-03-02 10:00", "",
     "2024-03-05 10:00", ""],
    ["2", "Lead qualifié par l'équipe commerciale", "2024-03-03 10:00", "2024-03-03 10:00",
     "2024-03-04 10:00", "2024-03-06 10:00", "", ""],
    ["3", "Lead qualifié par le marketing", "2024-03-07 10:00", "2024-03-07 10:00",
     "2024-03-08 10:00", "", "", ""],
]  # fmt: skip


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-12-31")


def test_the_block_offers_every_stage_date_and_reads_them(tmp_path):
    with (tmp_path / "c.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerows([FRENCH, *ROWS])
    with pytest.raises(KpiError) as caught:
        connector("c.csv", root=tmp_path, system="hubspot", object="contacts")
    offered = [line.split(":")[0].strip() for line in caught.value.fix.splitlines()[2:]]
    assert offered[: len(ROLES)] == ROLES
    # the block filled in, as a user pastes it: every role its header
    columns = dict(zip(ROLES, [FRENCH[2], FRENCH[1], *FRENCH[3:]], strict=True))
    conn = connector("c.csv", root=tmp_path, system="hubspot", object="contacts",
                     columns=columns)  # fmt: skip
    got = table(conn, "mqls", "sqls")
    # by hand: 3 MQLs; SQLs: row 2 by its SQL date, row 1 by its opportunity date
    assert nonzero(got["mqls"]) == {"2024-03": 3.0}
    assert nonzero(got["sqls"]) == {"2024-03": 2.0}


def test_a_salesforce_leads_block_offers_converted(tmp_path):
    header = ["Lead-ID", "Lead-Status", "Erstellt am", "Konvertiert"]
    with (tmp_path / "l.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, ["1", "Open", "01.03.2024", "0"]])
    with pytest.raises(KpiError) as caught:
        connector("l.csv", root=tmp_path, system="salesforce", object="contacts")
    assert "converted:" in caught.value.fix
