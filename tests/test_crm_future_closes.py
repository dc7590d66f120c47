"""Closed deals dated after today: a won or lost deal whose close date has not come (Salesforce
keeps the expected close date of a deal closed early; a typo) is reported by the `crm`
connector with how many there are, the latest date, where the first is and the fix, and still
counted as the export says. Open deals' close dates in the future are forecasts: neither
reported nor in the days the export covers.

Counts and places are worked out here with the csv module; today is set by the test.
"""

import csv
import datetime as dt

import pytest
from test_connector_crm import connector, table
from test_crm_closed_deals import records

from kpiengine.connector import Request
from kpiengine.model import Aggregate

TODAY = dt.date(2026, 12, 6)
HEADER = '"Record ID","Deal Name","Deal Stage","Close Date","Amount","Pipeline","Create Date"'
ROWS = [
    ("Closed won", "2026-10-15", "1000", "2026-10-02"),
    ("Closed won", "2026-11-20", "500", "2026-10-20"),
    ("Closed won", "2027-03-15", "700", "2026-11-01"),  # a typo: 2026 meant
    ("Contract sent", "2027-06-30", "900", "2026-11-05"),  # a forecast
    ("Closed lost", "2027-01-10", "300", "2026-11-10"),  # closed early, date not updated
    ("Closed lost", "2026-12-06", "200", "2026-11-12"),  # today: not after it
]
CLASSES = {"Closed won": "won", "Closed lost": "lost"}


def set_today(monkeypatch, day):
    monkeypatch.setenv("KPIENGINE_TODAY", day.isoformat())  # the engine's and the connector's


@pytest.fixture(autouse=True)
def today(monkeypatch):
    set_today(monkeypatch, TODAY)


def export(tmp_path, rows=ROWS):
    lines = [HEADER] + [
        f'"{i}","D{i}","{stage}","{close}","{amount}","Sales Pipeline","{create}"'
        for i, (stage, close, amount, create) in enumerate(rows, start=1)
    ]
    text = "\n".join(lines) + "\n"
    (tmp_path / "deals.csv").write_text(text, "utf-8")
    return text


def cell_column(text, line, name):
    """The column where a line's `name` field starts (1-based)."""
    fields = next(csv.reader([text.splitlines()[line - 1]]))
    index = next(csv.reader([HEADER])).index(name)
    return len(",".join(f'"{f}"' for f in fields[:index])) + 2


def fetch(tmp_path, *variables):
    conn = connector("deals.csv", root=tmp_path)
    return conn.fetch(Request({v: Aggregate() for v in variables}, "month", []))


def warnings(frame):
    return vars(frame).get("warnings", [])


def test_closed_deals_after_today_are_reported_and_still_counted(tmp_path):
    text = export(tmp_path)
    future = [
        (line, r)
        for line, r in records(text)
        if r["Deal Stage"] in CLASSES and dt.date.fromisoformat(r["Close Date"]) > TODAY
    ]
    won = sum(CLASSES[r["Deal Stage"]] == "won" for _, r in future)
    first = future[0][0]
    latest = max(r["Close Date"] for _, r in future)
    frame = fetch(tmp_path, "deals_won", "deals_lost", "revenue")
    [warning] = warnings(frame)
    assert warning.message.startswith(
        f"{won} won deal{'s' * (won != 1)} and {len(future) - won} lost deal"
        f"{'s' * (len(future) - won != 1)} with a close date after today ({TODAY}) in column "
        f"`Close Date`, up to {latest}, first at "
        f"deals.csv:{first}:{cell_column(text, first, 'Close Date')}"
    )
    assert str(warning.location) == f"deals.csv:{first}:{cell_column(text, first, 'Close Date')}"
    assert "correct the close date" in warning.fix and "in the CRM" in warning.fix
    # counted as the export says: nothing left out
    assert not frame.missing
    got = table(connector("deals.csv", root=tmp_path), "deals_won", "revenue")
    for _, r in records(text):
        if r["Deal Stage"] == "Closed won":
            assert got["deals_won"][r["Close Date"][:7]] == 1.0
            assert got["revenue"][r["Close Date"][:7]] == float(r["Amount"])


def test_one_deal_after_today_is_named_in_the_singular(tmp_path):
    text = export(tmp_path, ROWS[:4])
    [(line, row)] = [(line, r) for line, r in records(text) if r["Close Date"] == "2027-03-15"]
    [warning] = warnings(fetch(tmp_path, "deals_won"))
    assert warning.message.startswith(
        f"1 won deal with a close date after today ({TODAY}) in column "
        f"`Close Date`, up to {row['Close Date']}, first at deals.csv:{line}:"
    )


def test_open_deals_after_today_are_forecasts(tmp_path):
    # no closed deal after today: no warning; the open deal's date stays out of the span
    text = export(
        tmp_path, [r for r in ROWS if r[1] <= TODAY.isoformat() or r[0] == "Contract sent"]
    )
    frame = fetch(tmp_path, "deals_won", "opportunities")
    assert warnings(frame) == []
    rows = [r for _, r in records(text)]
    days = [r["Create Date"] for r in rows] + [
        r["Close Date"] for r in rows if r["Deal Stage"] in CLASSES
    ]
    assert frame.span == (dt.date.fromisoformat(min(days)), dt.date.fromisoformat(max(days)))


def test_today_moves_with_the_clock(tmp_path, monkeypatch):
    export(tmp_path)
    latest = max(r[1] for r in ROWS if r[0] in CLASSES)
    set_today(monkeypatch, dt.date.fromisoformat(latest))
    assert warnings(fetch(tmp_path, "deals_won")) == []


def test_not_checked_without_a_closed_variable_asked(tmp_path):
    export(tmp_path)
    assert warnings(fetch(tmp_path, "opportunities")) == []
