"""Closed deals no period can count right are never dropped or averaged in silently by the
`crm` connector: a closed deal without a close date (revenue, deals won and lost would leave it
out), a won deal closed before it was created (a negative sales cycle) or without a create date
leave the variables they would distort out of the answer, with a reason saying how many deals
there are and where the first is; the other variables stand.

Counts and places are worked out here with the csv module, not with the connector's SQL.
"""

import csv
import datetime as dt
import io
import json

import numpy as np
from test_connector_crm import connector, nonzero, table

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


def fetch(tmp_path, *variables):
    from kpiengine.connector import Request
    from kpiengine.model import Aggregate

    conn = connector("deals.csv", root=tmp_path)
    return conn.fetch(Request({v: Aggregate() for v in variables}, "month", []))


def test_a_closed_deal_without_close_date_leaves_the_closed_variables_out(tmp_path):
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
    frame = fetch(tmp_path, "revenue", "deals_won", "opportunities")
    assert "revenue" not in frame.values and "deals_won" not in frame.values
    worth = sum(float(r["Amount"]) for _, r in undated)
    why = frame.missing["revenue"]
    assert why == frame.missing["deals_won"]
    assert f"{len(undated)} won deals without a close date in column `Close Date`" in why
    assert f"(worth {worth:,.2f})" in why and "fill in the close dates" in why
    assert f"first at deals.csv:{first}:{close_cell(text, first)}" in why
    # the opportunities (by create date) stand: every deal, the undated ones too
    assert np.nansum(frame.values["opportunities"]) == len(records(text))


def test_a_lost_deal_without_close_date_leaves_the_lost_deals_out_not_the_revenue(tmp_path):
    text = deals(
        tmp_path,
        ("Closed won", "100", "2024-02-10 10:00", "2024-01-05 09:00"),
        ("Closed lost", "50", "", "2024-01-06 09:00"),
    )
    frame = fetch(tmp_path, "deals_won", "deals_lost", "revenue")
    assert set(frame.missing) == {"deals_lost"} and "deals_lost" not in frame.values
    assert "1 lost deal without a close date" in frame.missing["deals_lost"]
    assert "deals.csv:3:" in frame.missing["deals_lost"]
    won = [r for _, r in records(text) if r["Deal Stage"] == "Closed won"]
    assert np.nansum(frame.values["revenue"]) == sum(float(r["Amount"]) for r in won)


def test_a_deal_closed_before_it_was_created_leaves_the_sales_cycle_out(tmp_path):
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
    frame = fetch(tmp_path, "sales_cycle_days", "deals_won")
    worst = -min(days for _, days in backwards)
    why = frame.missing["sales_cycle_days"]
    assert f"{len(backwards)} won deals closed before created" in why
    assert f"by up to {worst} days" in why and worst == 18
    line = backwards[0][0]
    assert f"first at deals.csv:{line}:{close_cell(text, line)}" in why
    # the other variables are right and read on
    won = sum(1 for _, r in rows if r["Deal Stage"] == "Closed won")
    assert np.nansum(frame.values["deals_won"]) == won and set(frame.missing) == {
        "sales_cycle_days"
    }


def test_a_won_deal_without_create_date_leaves_the_sales_cycle_out(tmp_path):
    deals(
        tmp_path,
        ("Closed won", "50", "2024-02-10 10:00", "2024-01-06 09:00"),
        ("Closed won", "70", "2024-02-12 10:00", ""),
    )
    frame = fetch(tmp_path, "sales_cycle_days", "revenue")
    assert (
        "1 won deal without a create date, first at deals.csv:3:"
        in (frame.missing["sales_cycle_days"])
    )
    assert np.nansum(frame.values["revenue"]) == 120.0


def test_the_kpis_reading_a_left_out_variable_are_undefined_with_its_reason(tmp_path):
    """Through the engine: the average sales cycle is undefined, saying why; revenue stands."""
    from kpiengine.engine import Engine
    from kpiengine.workspace import load_workspace

    deals(
        tmp_path,
        ("Closed won", "50", "2024-02-10 10:00", "2024-01-06 09:00"),
        ("Closed won", "70", "2024-02-02 10:00", "2024-02-20 09:00"),
    )
    (tmp_path / "kpi.yaml").write_text(
        "currency: USD\nkpis: [average_sales_cycle, sales_revenue]\n"
        "sources:\n  crm: {connector: crm, path: deals.csv}\n"
    )
    records_ = Engine(load_workspace(tmp_path)).evaluate().records()
    got = {(r["kpi"], r["period"]): r for r in records_ if not r["segment"]}
    cycle = got["average_sales_cycle", "2024-02"]
    assert cycle["value"] is None and "closed before created" in cycle["reason"]
    assert got["sales_revenue", "2024-02"]["value"] == 120.0


def test_lint_names_the_variables_left_out_and_why(tmp_path):
    """`kpi lint` warns (KPI015, at the source) rather than staying clean or failing."""
    from click.testing import CliRunner

    from kpiengine.cli import cli

    deals(
        tmp_path,
        ("Closed won", "100", "2024-01-10 10:00", "2024-01-03 09:00"),
        ("Closed won", "200", "", "2024-01-04 09:00"),
    )
    (tmp_path / "kpi.yaml").write_text(
        "currency: USD\nkpis: [win_rate]\nsources:\n  crm: {connector: crm, path: deals.csv}\n"
    )
    lint = CliRunner().invoke(cli, ["lint", "--workspace", str(tmp_path), "--format", "json"])
    assert lint.exit_code == 0, lint.output
    [finding] = [f for f in json.loads(lint.output)["findings"] if f["code"] == "KPI015"]
    assert "`deals_won`" in finding["message"] and "deals.csv:3:" in finding["message"]
    assert finding["severity"] == "warning" and finding["line"] == 4


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
