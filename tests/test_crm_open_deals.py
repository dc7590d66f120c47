"""`open_opportunities` from a `crm` deals export: at each period's end (and per segment), the
deals created on or before that day that are not won or lost by then (open now, or closed
after that day). A stock: a quarter's value is its last month's. A `count:` mapping of it,
dated by the create date, would count the deals created on the period's last day: an error.

Expected values are worked out here with the csv module, from the deals' stages and dates.
"""

import calendar
import csv
import datetime as dt
import io

import pytest
from test_connector_crm import connector, table

from kpiengine.errors import KpiError, Location
from kpiengine.sourceconfig import Mapping

# the tester's repro (/tmp/explore23/pv): a HubSpot deals export as it is written (BOM)
EXPORT = """\ufeff"Record ID","Deal Name","Deal Stage","Close Date","Amount","Pipeline","Create Date","Original Source Type","Currency"
"101","A","Closed won","2024-01-10 15:30","1,000.00","Sales Pipeline","2024-01-02 09:00","Paid Search","EUR"
"102","B","Closed won","2024-01-20 08:00","2000","Sales Pipeline","2023-12-15 22:00","Organic Search","EUR"
"103","C","Closed lost","2024-01-25 10:00","500","Sales Pipeline","2024-01-05 10:00","Paid Search","EUR"
"104","D","Contract sent","2024-03-30 00:00","700","Sales Pipeline","2024-01-07 10:00","Paid Search","EUR"
"105","E","Appointment scheduled","","","Sales Pipeline","2024-02-01 10:00","Direct Traffic","EUR"
"106","F","Closed won","2024-02-03 12:00","3000","Sales Pipeline","2024-01-20 10:00","Paid Search","EUR"
"107","G","Closed lost","2024-02-10 12:00","","Sales Pipeline","2024-02-01 10:00","Organic Search","EUR"
"108","H","Closed won","2024-02-14 23:59","1500","Sales Pipeline","2024-02-13 00:01","Paid Search","EUR"
"109","I","Qualified to buy","2024-02-28 00:00","900","Sales Pipeline","2024-02-10 10:00","Paid Search","EUR"
"""  # noqa: E501
CLOSED = ("Closed won", "Closed lost")
MONTHS = ("2023-12", "2024-01", "2024-02")  # the export's create and closed deals' close dates


def write(tmp_path, text=EXPORT):
    (tmp_path / "deals.csv").write_text(text, "utf-8")


def rows(text=EXPORT):
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def day(text):
    return dt.date.fromisoformat(text[:10]) if text else None


def month_end(month):
    year, number = map(int, month.split("-"))
    return dt.date(year, number, calendar.monthrange(year, number)[1])


def open_at(end, key=None, segment=None):
    """Deals created by `end`, not closed by then (an open deal's close date is a forecast)."""
    n = 0
    for r in rows():
        if key is not None and r[key] != segment:
            continue
        created, closed = day(r["Create Date"]), day(r["Close Date"])
        if created <= end and (r["Deal Stage"] not in CLOSED or closed > end):
            n += 1
    return float(n)


def test_open_deals_at_each_month_end(tmp_path):
    write(tmp_path)
    got = table(connector("deals.csv", root=tmp_path), "open_opportunities")
    expected = {m: open_at(month_end(m)) for m in MONTHS}
    assert expected["2024-01"] == 2.0  # 104 (open now) and 106 (won on 3 February)
    assert got["open_opportunities"] == expected


def test_a_quarter_is_its_last_month(tmp_path):
    write(tmp_path)
    conn = connector("deals.csv", root=tmp_path)
    got = table(conn, "open_opportunities", grain="quarter")["open_opportunities"]
    assert got == {
        "2023-Q4": open_at(dt.date(2023, 12, 31)),
        "2024-Q1": open_at(month_end("2024-03")),
    }
    months = table(conn, "open_opportunities")["open_opportunities"]
    assert got["2023-Q4"] == months["2023-12"]


def test_open_deals_by_segment(tmp_path):
    write(tmp_path)
    conn = connector("deals.csv", root=tmp_path)
    got = table(conn, "open_opportunities", dims=("channel",))["open_opportunities"]
    key = "Original Source Type"
    segments = sorted({r[key] for r in rows()})
    expected = {(m, s): open_at(month_end(m), key, s) for m in MONTHS for s in segments}
    assert got == expected
    assert got["2024-01", "Paid Search"] == 2.0 and got["2023-12", "Organic Search"] == 1.0


def test_a_deal_closed_before_it_was_created_is_never_open(tmp_path):
    header, *lines = EXPORT.splitlines()
    # closed on 3 January, created on 20 February: open at no month's end
    lines.append('"110","J","Closed lost","2024-01-03 10:00","","Sales Pipeline",'
                 '"2024-02-20 10:00","Paid Search","EUR"')  # fmt: skip
    write(tmp_path, "\n".join([header, *lines]) + "\n")
    got = table(connector("deals.csv", root=tmp_path), "open_opportunities")
    assert got["open_opportunities"] == {m: open_at(month_end(m)) for m in MONTHS}


@pytest.mark.parametrize(
    ("row", "why"),
    [
        ('"110","J","Contract sent","","","Sales Pipeline","","Paid Search","EUR"',
         "1 deal without a create date in column `Create Date`, first at"),
        ('"110","J","Closed won","","5","Sales Pipeline","2024-01-04 10:00","Paid Search","EUR"',
         "1 won deal without a close date in column `Close Date`"),
    ],
)  # fmt: skip
def test_a_deal_no_day_can_place_leaves_the_open_deals_out(tmp_path, row, why):
    header, *lines = EXPORT.splitlines()
    write(tmp_path, "\n".join([header, *lines, row]) + "\n")
    from kpiengine.connector import Request
    from kpiengine.model import Aggregate

    conn = connector("deals.csv", root=tmp_path)
    aggregates = {"open_opportunities": Aggregate("last"), "opportunities": Aggregate()}
    frame = conn.fetch(Request(aggregates, "month", []))
    assert why in frame.missing["open_opportunities"]
    assert f"deals.csv:{len(lines) + 2}" in frame.missing["open_opportunities"]
    assert "opportunities" not in frame.missing


def workspace(tmp_path, mapping=""):
    write(tmp_path)
    (tmp_path / "kpi.yaml").write_text(
        "currency: EUR\nkpis: [pipeline_velocity]\n"
        f"sources:\n  deals:\n    connector: crm\n    path: deals.csv\n{mapping}"
    )


def test_pipeline_velocity(tmp_path, monkeypatch):
    from kpiengine.engine import Engine
    from kpiengine.workspace import load_workspace

    monkeypatch.setenv("KPIENGINE_TODAY", "2024-03-31")
    workspace(tmp_path)
    january = [r for r in rows() if r["Deal Stage"] in CLOSED and r["Close Date"][:7] == "2024-01"]
    won = [r for r in january if r["Deal Stage"] == "Closed won"]
    size = sum(float(r["Amount"].replace(",", "")) for r in won) / len(won)
    cycle = sum((day(r["Close Date"]) - day(r["Create Date"])).days for r in won) / len(won)
    expected = open_at(month_end("2024-01")) * len(won) / len(january) * size / cycle
    assert round(expected, 2) == 90.91  # 2 x 2/3 x 1500 / 22
    records = Engine(load_workspace(tmp_path)).evaluate().records()
    got = {r["period"]: r["value"] for r in records if r["kpi"] == "pipeline_velocity"}
    assert got["2024-01"] == pytest.approx(expected)


def test_a_count_mapping_of_the_stock_by_create_date_is_an_error(tmp_path, monkeypatch):
    from kpiengine.engine import Engine
    from kpiengine.workspace import load_workspace

    monkeypatch.setenv("KPIENGINE_TODAY", "2024-03-31")
    where = "{Deal Stage: [Contract sent, Appointment scheduled, Qualified to buy]}"
    workspace(tmp_path, f"    map:\n      open_opportunities: {{count: true, where: {where}}}\n")
    with pytest.raises(KpiError) as raised:
        Engine(load_workspace(tmp_path)).evaluate()
    error = raised.value
    assert "is a stock" in error.message and "column `Create Date`" in error.message
    assert "remove the mapping" in error.fix
    assert error.location is not None and error.location.line == 8


def test_a_count_mapping_of_snapshots_is_kept(tmp_path):
    """Rows dated by a snapshot's day (`date:`) are the stock of that day: counted as mapped."""
    header = '"Deal Name","Deal Stage","Close Date","Create Date","Snapshot Date"'
    lines = ['"D","Contract sent","2024-03-30","2024-01-07","2024-01-31"',
             '"F","Contract sent","","2024-01-20","2024-01-31"',
             '"F","Closed won","2024-02-03","2024-01-20","2024-02-29"',
             '"D","Contract sent","2024-03-30","2024-01-07","2024-02-29"']  # fmt: skip
    (tmp_path / "deals.csv").write_text("\n".join([header, *lines]) + "\n", "utf-8")
    mapping = Mapping("open_opportunities", Location("kpi.yaml", 7, 7), count=True,
                      date="Snapshot Date", where={"Deal Stage": ["Contract sent"]})  # fmt: skip
    conn = connector("deals.csv", root=tmp_path, mappings={"open_opportunities": mapping})
    got = table(conn, "open_opportunities")["open_opportunities"]
    snapshots = [next(csv.reader([line])) for line in lines]
    expected = {
        m: float(sum(r[4] == str(month_end(m)) and r[1] == "Contract sent" for r in snapshots))
        for m in ("2024-01", "2024-02")
    }
    assert got == expected == {"2024-01": 2.0, "2024-02": 1.0}


def test_the_error_names_the_event_date_of_any_stock(tmp_path):
    """A `count:` mapping of a stock by the close date: the same error, no removal asked."""
    write(tmp_path)
    mapping = Mapping("customers_at_end", Location("kpi.yaml", 7, 7), count=True,
                      date="Close Date")  # fmt: skip
    conn = connector("deals.csv", root=tmp_path, mappings={"customers_at_end": mapping})
    with pytest.raises(KpiError) as raised:
        table(conn, "customers_at_end")
    assert "close date (column `Close Date`)" in raised.value.message
    assert "remove the mapping" not in raised.value.fix
