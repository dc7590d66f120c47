"""Closed deals no period can count right stop the `crm` connector's run, never dropped or
averaged in silently: a closed deal without a close date (revenue, deals won and lost and the win
rate would leave it out), a won deal closed before it was created (a negative sales cycle) or
without a create date. Each error says how many there are and points at the first one.

Counts and places are worked out here with the csv module, not with the connector's SQL.
"""

import csv
import datetime as dt
import io

import pytest
from test_connector_crm import connector, nonzero, table

from kpiengine.errors import KpiError

HEADER = '"Record ID","Deal Name","Deal Stage","Amount","Close Date","Create Date","Pipeline"'
CLASSES = {"Closed won": "won", "Closed lost": "lost"}


def deals(tmp_path, *rows):
    """A HubSpot deals export of `rows` (stage, amount, close, create) written to deals.csv."""
    lines = [HEADER] + [
        f'"{i}","D{i}","{stage}","{amount}","{close}","{create}","Sales Pipeline"'
        for i, (stage, amount, close, create) in enumerate(rows, start=1)
    ]
    text = "\n".join(lines) + "\n"
    (tmp_path / "deals.csv").write_text(text, "utf-8")
    return text


def records(text):
    """(line, row) of each data row: the header is line 1."""
    return list(enumerate(csv.DictReader(io.StringIO(text)), start=2))


def close_cell(text, line):
    """The column where a line's `Close Date` field starts (1-based)."""
    row = text.splitlines()[line - 1]
    fields = next(csv.reader([row]))
    index = HEADER.replace('"', "").split(",").index("Close Date")
    return len(",".join(f'"{f}"' for f in fields[:index])) + 2


def day(text):
    return dt.date.fromisoformat(text[:10]) if text else None


def test_a_closed_deal_without_close_date_stops_with_the_count_and_its_place(tmp_path):
    text = deals(
        tmp_path,
        ("Contract sent", "10", "", "2024-01-03 09:00"),  # open: no close date yet, fine
        ("Closed won", "100", "", "2024-01-05 09:00"),
        ("Closed won", "50", "2024-02-10 10:00", "2024-01-06 09:00"),
        ("Closed won", "25", "", "2024-01-07 09:00"),
    )
    undated = [
        (line, r)
        for line, r in records(text)
        if CLASSES.get(r["Deal Stage"]) and not r["Close Date"]
    ]
    first = undated[0][0]
    with pytest.raises(KpiError) as info:
        table(connector("deals.csv", root=tmp_path), "revenue", "deals_won")
    error = info.value
    worth = sum(float(r["Amount"]) for _, r in undated)
    assert f"{len(undated)} closed deals ({len(undated)} won, won worth {worth:,.2f}" in (
        error.message
    )
    assert "no close date in column `Close Date`" in error.message
    assert (error.location.file, error.location.line) == ("deals.csv", first)
    assert error.location.column == close_cell(text, first)
    assert "close dates" in error.fix


def test_a_lost_deal_without_close_date_stops_the_win_rate_not_the_revenue(tmp_path):
    text = deals(
        tmp_path,
        ("Closed won", "100", "2024-02-10 10:00", "2024-01-05 09:00"),
        ("Closed lost", "50", "", "2024-01-06 09:00"),
    )
    with pytest.raises(KpiError, match="1 closed deal \\(1 lost\\) has no close date") as info:
        table(connector("deals.csv", root=tmp_path), "deals_won", "deals_lost")
    assert info.value.location.line == 3
    won = [r for _, r in records(text) if r["Deal Stage"] == "Closed won"]
    got = table(connector("deals.csv", root=tmp_path), "revenue")["revenue"]
    assert nonzero(got) == {"2024-02": sum(float(r["Amount"]) for r in won)}


def test_a_deal_closed_before_it_was_created_stops_the_sales_cycle(tmp_path):
    text = deals(
        tmp_path,
        ("Closed won", "50", "2024-02-10 10:00", "2024-01-06 09:00"),
        ("Closed won", "70", "2024-01-02 10:00", "2024-01-20 09:00"),
        ("Closed lost", "70", "2024-01-01 10:00", "2024-01-25 09:00"),  # no cycle: fine
        ("Closed won", "20", "2024-03-01 10:00", "2024-03-04 09:00"),
    )
    rows = records(text)
    backwards = [
        (line, (day(r["Close Date"]) - day(r["Create Date"])).days)
        for line, r in rows
        if r["Deal Stage"] == "Closed won" and day(r["Close Date"]) < day(r["Create Date"])
    ]
    with pytest.raises(KpiError) as info:
        table(connector("deals.csv", root=tmp_path), "sales_cycle_days", "deals_won")
    error = info.value
    worst = -min(days for _, days in backwards)
    assert f"{len(backwards)} won deals closed before they were created" in error.message
    assert f"by up to {worst} days" in error.message and worst == 18
    assert (error.location.line, error.location.column) == (
        backwards[0][0],
        close_cell(text, backwards[0][0]),
    )
    # the other variables are right and read on
    got = table(connector("deals.csv", root=tmp_path), "revenue", "deals_won")
    assert sum(got["deals_won"].values()) == sum(
        1 for _, r in rows if r["Deal Stage"] == "Closed won"
    )


def test_a_won_deal_without_create_date_stops_the_sales_cycle(tmp_path):
    deals(
        tmp_path,
        ("Closed won", "50", "2024-02-10 10:00", "2024-01-06 09:00"),
        ("Closed won", "70", "2024-02-12 10:00", ""),
    )
    with pytest.raises(KpiError, match="1 won deal has no create date") as info:
        table(connector("deals.csv", root=tmp_path), "sales_cycle_days")
    assert info.value.location.line == 3


def test_sales_cycles_of_well_dated_deals_are_unchanged(tmp_path):
    text = deals(
        tmp_path,
        ("Closed won", "50", "2024-02-10 10:00", "2024-01-06 09:00"),
        ("Closed won", "70", "2024-02-12 10:00", "2024-02-12 09:00"),  # the same day: 0
        ("Contract sent", "70", "", "2024-02-12 09:00"),
    )
    won = [r for _, r in records(text) if r["Deal Stage"] == "Closed won"]
    cycle = sum((day(r["Close Date"]) - day(r["Create Date"])).days for r in won)
    got = table(connector("deals.csv", root=tmp_path), "sales_cycle_days")["sales_cycle_days"]
    assert nonzero(got) == {"2024-02": cycle} == {"2024-02": 35}


def test_the_checks_read_the_file_once(tmp_path, scans):
    deals(tmp_path, ("Closed won", "50", "2024-02-10 10:00", "2024-01-06 09:00"))
    conn = connector("deals.csv", root=tmp_path)
    scans.clear()
    table(conn, "revenue", "deals_won", "deals_lost", "sales_cycle_days")
    assert len(scans) == 1
