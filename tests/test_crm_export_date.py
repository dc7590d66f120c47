"""A `crm` export taken after a month ended judges that month whole: the export was taken on or
after the latest date its rows show (a create date, a closed deal's close date, a record's last
modified date), so a month ending before that date is complete in it, however early its last
deal closed; the month the export was taken in stays partial, to that date. Forecasts are no
evidence: an open deal's expected close date, a last activity date (a meeting booked ahead), a
last modified date after today.

Today is 2026-12-07 (set by the test); the exports were taken on 2026-10-03. Expected values
are worked out here with the csv module and datetime.
"""

import calendar
import csv
import datetime as dt
import io
import json
import textwrap

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli

TODAY = dt.date(2026, 12, 7)
TAKEN = dt.date(2026, 10, 2)  # the latest date the exports show (downloaded on the 3rd)
HEADER = (
    '"Record ID","Deal Name","Deal Stage","Close Date","Amount","Pipeline",'
    '"Last Modified Date","Last Activity Date"'
)
# stage, close date (a forecast for an open deal), amount, last modified, last activity
DEALS = [
    ("Closed won", "2026-07-20", "1000", "2026-07-21 10:00", "2026-07-20"),
    ("Closed won", "2026-08-10", "800", "2026-08-10 16:30", "2026-08-10"),
    ("Closed lost", "2026-08-25", "300", "2026-08-26 09:00", "2026-08-25"),
    ("Closed won", "2026-09-05", "600", "2026-09-05 11:00", "2026-09-05"),
    ("Closed won", "2026-09-28", "900", "2026-09-28 17:45", "2026-09-28"),
    # open deals: worked on up to the download, a meeting booked for November, a forecast close
    ("Contract sent", "2026-11-30", "700", "2026-10-01 08:15", "2026-11-10"),
    ("Appointment scheduled", "2027-01-15", "500", "2026-10-02 14:05", "2026-10-02"),
]
DEFINITIONS = """\
kpis:
  won: {title: Deals won, formula: deals_won, unit: deals, target: 3}
  rev: {title: Revenue, formula: revenue, unit: USD, target: 2000}
"""


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", TODAY.isoformat())


SPAN = ("--from", "2026-07", "--to", "2026-12")  # July to today: the periods with data


def write(root, name, text, definitions=DEFINITIONS, options=""):
    root.mkdir(exist_ok=True)
    (root / name).write_text(text, "utf-8")
    (root / "kpi.yaml").write_text(
        textwrap.dedent(
            f"""\
            currency: USD
            sources:
              s:
                connector: crm
                path: {name}
            """
        )
        + textwrap.indent(textwrap.dedent(options), "    "),
        "utf-8",
    )
    (root / "definitions").mkdir(exist_ok=True)
    (root / "definitions" / "k.yaml").write_text(definitions, "utf-8")
    return root


def deals_csv(rows=DEALS, header=HEADER):
    lines = [header] + [
        f'"{i}","D{i}","{stage}","{close}","{amount}","Sales Pipeline","{modified}","{activity}"'
        for i, (stage, close, amount, modified, activity) in enumerate(rows, start=1)
    ]
    return "\n".join(lines) + "\n"


def evaluate(root, *args):
    result = CliRunner().invoke(
        cli, ["eval", "-w", str(root), *args, "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return {(r["kpi"], r["period"]): r for r in json.loads(result.stdout) if r["segment"] == {}}


def won_by_month(text):
    out = {}
    for r in csv.DictReader(io.StringIO(text)):
        if r["Deal Stage"] == "Closed won":
            out[r["Close Date"][:7]] = out.get(r["Close Date"][:7], 0) + 1
    return out


def share(day):
    """The share of its month a span ending on `day` covers."""
    return day.day / calendar.monthrange(day.year, day.month)[1]


def assert_whole(record):
    assert record["complete"] is True
    assert record["coverage"] == 1.0
    assert record["projected"] is None
    assert record["status_basis"] == "value"


def test_a_month_ended_before_the_export_was_taken_is_judged_whole(tmp_path):
    text = deals_csv()
    closes = [r["Close Date"] for r in csv.DictReader(io.StringIO(text))
              if r["Deal Stage"] in ("Closed won", "Closed lost")]  # fmt: skip
    assert max(closes) == "2026-09-28"  # the last deal closed before September ended
    got = evaluate(write(tmp_path / "ws", "deals.csv", text), *SPAN)
    won = won_by_month(text)
    september = got["won", "2026-09"]
    assert_whole(september)
    assert september["value"] == won["2026-09"] == 2
    assert september["status"] == "off_track"  # 2 won against 3, the whole month
    assert_whole(got["rev", "2026-09"])
    assert got["rev", "2026-09"]["value"] == 600 + 900
    # July is late: the first deal closed on the 20th (a last modified date never starts a span)
    complete = [p for k, p in got if k == "won" and got[k, p]["complete"]]
    assert complete == ["2026-08", "2026-09"]


def test_the_month_the_export_was_taken_in_stays_partial_to_that_day(tmp_path):
    got = evaluate(write(tmp_path / "ws", "deals.csv", deals_csv()), *SPAN)
    october = got["won", "2026-10"]
    assert october["complete"] is False
    assert october["coverage"] == pytest.approx(share(TAKEN))  # 2 of 31 days, not the meeting's
    assert october["value"] == 0
    assert ("won", "2026-11") not in got  # the forecast close date and the meeting: no evidence


def test_a_last_modified_date_after_today_is_no_evidence(tmp_path):
    rows = [*DEALS[:5], ("Contract sent", "2026-11-30", "700", "2027-01-05 09:00", "")]
    got = evaluate(write(tmp_path / "ws", "deals.csv", deals_csv(rows)), *SPAN)
    september = got["won", "2026-09"]
    assert september["complete"] is False  # nothing else shows the export was taken later
    assert september["coverage"] == pytest.approx(share(dt.date(2026, 9, 28)))


def test_a_last_modified_cell_that_is_no_date_is_no_evidence_and_no_error(tmp_path):
    rows = [*DEALS[:5], ("Contract sent", "2026-11-30", "700", "2026-10-32 09:00", "")]
    got = evaluate(write(tmp_path / "ws", "deals.csv", deals_csv(rows)), *SPAN)
    assert got["won", "2026-09"]["coverage"] == pytest.approx(share(dt.date(2026, 9, 28)))
    assert got["won", "2026-09"]["value"] == 2


def test_the_modified_date_column_can_be_named(tmp_path):
    # an export whose column kpiengine does not know: `columns: {modified_date: ...}`
    header = HEADER.replace("Last Modified Date", "Geändert am")
    root = write(
        tmp_path / "ws",
        "deals.csv",
        deals_csv(header=header),
        options="""\
        columns: {modified_date: Geändert am}
        """,
    )
    assert_whole(evaluate(root, *SPAN)["won", "2026-09"])


def test_create_dates_after_the_month_already_told_it(tmp_path):
    # the deals' create dates are evidence too (no last modified date here)
    header = '"Record ID","Deal Name","Deal Stage","Close Date","Amount","Create Date"'
    rows = [
        ("Closed won", "2026-09-05", "600", "2026-08-20"),
        ("Closed won", "2026-09-28", "900", "2026-09-02"),
        ("Appointment scheduled", "2027-01-15", "500", "2026-10-02"),
    ]
    text = "\n".join(
        [header]
        + [f'"{i}","D{i}","{s}","{c}","{a}","{m}"' for i, (s, c, a, m) in enumerate(rows, 1)]
    )
    got = evaluate(write(tmp_path / "ws", "deals.csv", text + "\n"), *SPAN)
    assert_whole(got["won", "2026-09"])
    assert got["won", "2026-10"]["coverage"] == pytest.approx(share(TAKEN))


CONTACTS_HEADER = (
    '"Record ID","Email","Lifecycle Stage","Create Date","Became a Lead Date",'
    '"Became a Marketing Qualified Lead Date","Last Modified Date"'
)
CONTACTS = [
    ("lead", "2026-08-03", "2026-08-03", "", "2026-08-03 10:00"),
    ("marketingqualifiedlead", "2026-08-12", "2026-08-12", "2026-08-20", "2026-08-20 11:00"),
    ("marketingqualifiedlead", "2026-09-01", "2026-09-01", "2026-09-28", "2026-09-28 12:00"),
    ("lead", "2026-09-10", "2026-09-10", "", "2026-10-02 09:30"),  # changed on the 2nd
]


def test_a_contacts_export_is_bounded_the_same_way(tmp_path):
    lines = [CONTACTS_HEADER] + [
        f'"{i}","c{i}@example.com","{stage}","{create}","{lead}","{mql}","{modified}"'
        for i, (stage, create, lead, mql, modified) in enumerate(CONTACTS, start=1)
    ]
    text = "\n".join(lines) + "\n"
    dates = [c for r in csv.DictReader(io.StringIO(text)) for k, c in r.items()
             if k.startswith(("Create", "Became")) and c]  # fmt: skip
    assert max(dates) == "2026-09-28"  # no lifecycle date after September
    definitions = "kpis:\n  m: {title: MQLs, formula: mqls, unit: mqls, target: 2}\n"
    root = write(tmp_path / "ws", "contacts.csv", text, definitions)
    got = evaluate(root, "--kpi", "m", *SPAN)
    assert_whole(got["m", "2026-09"])
    assert got["m", "2026-09"]["value"] == 1
    assert got["m", "2026-10"]["coverage"] == pytest.approx(share(TAKEN))
