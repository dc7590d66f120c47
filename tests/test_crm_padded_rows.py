"""A row of empty cells in a grouped report read with `fill_down:` (Excel pads a formatted
report's gap before its footer: `,,,,,,`) is no deal: never filled down, never counted. It
became a won deal without a close date when the last group was `Closed Won`, and the closed-
deal KPIs were undefined with an error pointing at the wrong line (or at no line)."""

from __future__ import annotations

import pytest
from test_connector_crm import connector, nonzero, table

from kpiengine.connector import Request
from kpiengine.model import Aggregate

LINES = [
    "\ufeffOpportunities by Stage,,,,,,",
    "Filtered By:,,,,,,",
    "    Close Date: 1/1/2024 to 6/30/2024,,,,,,",
    ",,,,,,",
    "Stage,Opportunity Name,Opportunity Owner,Amount,Close Date,Created Date,Lead Source",
    'Closed Lost,Gamma - Seats,Jane Doe,"$7,000.00",2/20/2024,1/5/2024,Partner Referral',
    'Subtotal,,,"$7,000.00",2/20/2024,,',
    'Closed Won,Acme Corp - 500 licences,Jane Doe,"$10,000.00",1/15/2024,12/1/2023,Web',
    ',Beta Corp - Pilot,Jane Doe,"$5,000.00",2/15/2024,1/10/2024,Web',
    'Subtotal,,,"$15,000.00",2/15/2024,,',
    'Total,,,"$22,000.00",2/20/2024,,',
    ",,,,,,",
]
FOOTER = [
    "Confidential Information - Do Not Distribute,,,,,,",
    '"Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved.",,,,,,',
]


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-12-31")


@pytest.mark.parametrize("footer", [FOOTER, []], ids=["footer", "padded-last"])
def test_a_padded_empty_row_is_no_deal(tmp_path, footer):
    (tmp_path / "opps.csv").write_bytes("\r\n".join([*LINES, *footer, ""]).encode("utf-8"))
    conn = connector("opps.csv", root=tmp_path, fill_down=["Stage"])
    asked = ("revenue", "deals_won", "deals_lost", "sales_cycle_days")
    frame = conn.fetch(Request({v: Aggregate() for v in asked}, "month", []))
    assert frame.missing == {}
    got = table(conn, "revenue", "deals_won", "deals_lost")
    # by hand: won Acme (January, $10,000) and Beta (February, $5,000); lost Gamma (February)
    assert nonzero(got["revenue"]) == {"2024-01": 10000.0, "2024-02": 5000.0}
    assert nonzero(got["deals_won"]) == {"2024-01": 1.0, "2024-02": 1.0}
    assert nonzero(got["deals_lost"]) == {"2024-02": 1.0}


def test_an_error_after_a_padded_row_names_its_line(tmp_path):
    lines = [*LINES[:8], LINES[8].replace("2/15/2024", ""), *LINES[9:], *FOOTER]
    (tmp_path / "opps.csv").write_bytes("\r\n".join([*lines, ""]).encode("utf-8"))
    conn = connector("opps.csv", root=tmp_path, fill_down=["Stage"])
    frame = conn.fetch(Request({"deals_won": Aggregate()}, "month", []))
    # Beta, line 9: won (its group's stage) without a close date; the padded row is no deal
    assert frame.missing["deals_won"].startswith(
        "1 won deal without a close date in column `Close Date`, first at opps.csv:9:"
    )
