"""Bad cells of `crm` exports further down than the reading layer looks (its first 256 KiB, a
sample of 2000 rows): a NUL byte in a text cell, and a date with a signed, five-digit or
three-digit year in a date column the sample shows as ISO days (which DuckDB then reads itself).

A NUL would have made a segment of its own (`\\x00Email Marketing` beside `Email`) and a year
before Christ a crash (`TypeError` in `table.py`): both stop at their cell instead, with the
reading layer's words for a NUL and the date grammar's for a date, whatever the request asks
for dates; a NUL when the cell names a segment asked for or classes a deal (elsewhere it
changes no number and is not looked for: `connectors/_crm_cells.py`).

Every expected value and place is worked out here from the rows as written (the csv module).
"""

from __future__ import annotations

import csv
import shutil
from collections import Counter

import pytest
from click.testing import CliRunner
from test_connector_crm import connector, nonzero, table
from test_crm_beyond_sample import HEADER as DEALS
from test_crm_beyond_sample import deal

import kpiengine
from kpiengine.cli import cli
from kpiengine.errors import KpiError, Location
from kpiengine.filesource import typed

CONTACTS = [
    "Record ID", "Lifecycle Stage", "Create Date", "Original Source", "Became a Lead Date",
    "Became a Marketing Qualified Lead Date", "Became a Sales Qualified Lead Date",
    "Became a Customer Date",
]  # fmt: skip
DATES = [c for c in CONTACTS if "Date" in c]
SOURCES = ["Organic Search", "Email Marketing", "Referrals", "Paid Search", "Direct Traffic"]
ROWS = 4000  # about 550 KB: far beyond the first 256 KiB and the 2000 sampled rows
BAD = 3500  # the data row (0-based) holding the bad cell
NUL_MESSAGE = (
    "the file holds NUL bytes: it is not a text export (a sparse or partly written file, or a "
    "binary one)"
)
BAD_YEARS = ["-2024-01-15 17:19", "12024-01-15 17:19", "0999-12-31 10:00"]


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-12-06")


def contact(i):
    """A HubSpot contact: every date column filled on some rows of the sample (ISO days)."""
    month, day = 1 + i % 12, 1 + i % 27
    at = f"2024-{month:02d}-{day:02d}"
    mql = f"{at} 11:{i % 60:02d}" if i % 3 else ""
    sql = f"2024-{month:02d}-{day + 1:02d} 15:00" if i % 3 and i % 4 == 0 else ""
    customer = f"2024-{month:02d}-{day + 1:02d} 16:30" if sql and i % 5 == 0 else ""
    stage = "Customer" if customer else "Sales Qualified Lead" if sql else "Lead"
    return [str(451000 + i), stage, f"{at} 09:{i % 60:02d}", SOURCES[i % 5], f"{at} 10:05",
            mql, sql, customer]  # fmt: skip


def write(path, header, rows):
    """The export as HubSpot writes it (every cell quoted) and its physical lines."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows([header, *rows])
    return path.read_text("utf-8").split("\n")


def start(header, row, column):
    """The 1-based column where a cell starts on its line: its opening quote."""
    index = header.index(column)
    return 1 + sum(len(cell) + 3 for cell in row[:index])


def contacts(tmp_path, column=None, text=None):
    rows = [contact(i) for i in range(ROWS)]
    if column is not None:
        rows[BAD][CONTACTS.index(column)] = text
    lines = write(tmp_path / "contacts.csv", CONTACTS, rows)
    assert len("\n".join(lines[: BAD + 1]).encode()) > 256 * 1024  # beyond the first bytes
    return rows, lines


def fetch(tmp_path, *variables, dims=("channel",), name="contacts.csv", **options):
    dimensions = {"channel": "Original Source"} if "channel" in dims else {}
    conn = connector(name, root=tmp_path, dimensions=dimensions, **options)
    return table(conn, *variables, dims=dims)


def test_the_export_reads_right_beyond_the_sample(tmp_path):
    rows, _ = contacts(tmp_path)
    got = fetch(tmp_path, "leads", "mqls", "new_customers")
    for variable, column in (
        ("leads", "Became a Lead Date"),
        ("mqls", "Became a Marketing Qualified Lead Date"),
        ("new_customers", "Became a Customer Date"),
    ):
        index = CONTACTS.index(column)
        expected = Counter((r[index][:7], r[3]) for r in rows if r[index])
        assert nonzero(got[variable]) == nonzero(expected), variable
    assert sum(got["new_customers"].values()) == sum(1 for r in rows if r[7]) > 0


@pytest.mark.parametrize("text", ["\x00Email Marketing", "Refer\x00rals"])
def test_a_nul_in_a_segment_stops_at_it(tmp_path, text):
    _, lines = contacts(tmp_path, "Original Source", text)
    line = BAD + 2  # the header is line 1
    where = Location("contacts.csv", line, lines[line - 1].index("\x00") + 1)
    with pytest.raises(KpiError) as caught:
        fetch(tmp_path, "leads", "mqls", dims=("channel",))
    assert (caught.value.message, caught.value.location) == (NUL_MESSAGE, where)
    assert caught.value.fix == "export the report again as CSV"


@pytest.mark.parametrize(
    ("column", "text", "dims"),
    [
        ("Original Source", "\x00Email Marketing", ()),
        ("Original Source", "Refer\x00rals", ()),
        ("Lifecycle Stage", "Lead\x00", ("channel",)),
        ("Lifecycle Stage", "Lead\x00", ()),
    ],
)
def test_a_nul_in_a_cell_the_answer_does_not_read_changes_nothing(tmp_path, column, text, dims):
    """A NUL in a cell that names no segment asked for and classes no row (a contact's
    lifecycle stage) changes no number: it is not looked for (no test per row)."""
    rows, _ = contacts(tmp_path, column, text)
    got = fetch(tmp_path, "leads", "mqls", dims=dims)
    for variable, index in (("leads", 4), ("mqls", 5)):
        expected = Counter((r[index][:7], r[3]) if dims else r[index][:7] for r in rows if r[index])
        assert nonzero(got[variable]) == nonzero(expected), variable


@pytest.mark.parametrize("column", DATES)
@pytest.mark.parametrize("text", BAD_YEARS)
def test_a_date_beyond_the_grammar_years_stops_at_its_cell(tmp_path, column, text):
    rows, _ = contacts(tmp_path, column, text)
    where = Location("contacts.csv", BAD + 2, start(CONTACTS, rows[BAD], column))
    with pytest.raises(KpiError) as caught:
        fetch(tmp_path, "leads", dims=())
    assert caught.value.message == (
        f"expected a date like %Y-%m-%d in column `{column}`, found `{text}`"
    )
    assert caught.value.location == where


def test_every_date_column_is_typed_by_duckdb(tmp_path):
    """The dates above are read by DuckDB (`filesource.typed`), not by the grammar: the path
    whose years were not checked."""
    contacts(tmp_path)
    conn = connector("contacts.csv", root=tmp_path)
    formats = {c: conn._format(c).spec for c in DATES}
    read = typed(conn.tables[0], set(), ".", formats)
    assert {c: read.type_of(c) for c in DATES} == dict.fromkeys(DATES, "TIMESTAMP")


# --- deals and Salesforce leads ----------------------------------------------------------------


def deals(tmp_path, column=None, text=None):
    rows = [deal(i, ("Closed won", "Closed lost", "Contract sent")[i % 3]) for i in range(ROWS)]
    if column is not None:
        rows[BAD][DEALS.index(column)] = text
    return rows, write(tmp_path / "deals.csv", DEALS, rows)


@pytest.mark.parametrize(
    ("column", "text", "dims"),
    [("Deal Stage", "Closed\x00won", ()), ("Original Source Type", "Direct\x00", ("channel",)),
     ("Pipeline", "\x00", ("pipeline",))],
)  # fmt: skip
def test_a_nul_in_a_deals_text_cell_stops_at_it(tmp_path, column, text, dims):
    _, lines = deals(tmp_path, column, text)
    line = BAD + 2
    where = Location("deals.csv", line, lines[line - 1].index("\x00") + 1)
    with pytest.raises(KpiError) as caught:
        table(connector("deals.csv", root=tmp_path), "deals_won", "revenue", "opportunities",
              dims=dims)  # fmt: skip
    assert (caught.value.message, caught.value.location) == (NUL_MESSAGE, where)


@pytest.mark.parametrize(("column", "text"), [("Original Source Type", "Direct\x00"),
                                              ("Pipeline", "\x00")])  # fmt: skip
def test_a_nul_in_a_deals_segment_not_asked_for_changes_nothing(tmp_path, column, text):
    rows, _ = deals(tmp_path, column, text)
    got = table(connector("deals.csv", root=tmp_path), "deals_won", "opportunities")
    won = Counter(r[3][:7] for r in rows if r[2] == "Closed won")
    assert nonzero(got["deals_won"]) == nonzero(won)
    assert nonzero(got["opportunities"]) == nonzero(Counter(r[6][:7] for r in rows))


@pytest.mark.parametrize("column", ["Close Date", "Create Date"])
def test_a_deal_date_beyond_the_grammar_years_stops_at_its_cell(tmp_path, column):
    rows, _ = deals(tmp_path, column, "-2024-03-01 10:00")
    where = Location("deals.csv", BAD + 2, start(DEALS, rows[BAD], column))
    with pytest.raises(KpiError) as caught:
        table(connector("deals.csv", root=tmp_path), "opportunities", "deals_won")
    assert caught.value.message == (
        f"expected a date like %Y-%m-%d in column `{column}`, found `-2024-03-01 10:00`"
    )
    assert caught.value.location == where


LEADS = ["Lead Owner", "First Name", "Last Name", "Company / Account", "Email", "Lead Source",
         "Lead Status", "Create Date", "Converted"]  # fmt: skip


def leads(tmp_path, column=None, text=None):
    """A Salesforce leads report as a Swedish user exports it: ISO days."""
    rows = [
        [
            "Jane Doe",
            f"First {i}",
            f"Last {i}",
            f"Company {i}",
            f"lead{i}@example.com",
            ("Web", "Phone Inquiry", "Partner Referral")[i % 3],
            "Open - Not Contacted",
            f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "0",
        ]  # fmt: skip
        for i in range(ROWS)
    ]
    if column is not None:
        rows[BAD][LEADS.index(column)] = text
    return rows, write(tmp_path / "leads.csv", LEADS, rows)


def test_salesforce_leads_read_right_and_stop_at_a_bad_year_or_a_nul(tmp_path):
    rows, _ = leads(tmp_path)
    got = table(connector("leads.csv", root=tmp_path), "leads", dims=("channel",))
    assert nonzero(got["leads"]) == nonzero(Counter((r[7][:7], r[5]) for r in rows))
    rows, _ = leads(tmp_path, "Create Date", "-2024-05-02")
    with pytest.raises(KpiError) as caught:
        table(connector("leads.csv", root=tmp_path), "leads")
    where = Location("leads.csv", BAD + 2, start(LEADS, rows[BAD], "Create Date"))
    assert caught.value.location == where
    assert "found `-2024-05-02`" in caught.value.message
    _, lines = leads(tmp_path, "Lead Source", "W\x00eb")
    with pytest.raises(KpiError) as caught:
        table(connector("leads.csv", root=tmp_path), "leads", dims=("channel",))
    where = Location("leads.csv", BAD + 2, lines[BAD + 1].index("\x00") + 1)
    assert (caught.value.message, caught.value.location) == (NUL_MESSAGE, where)


# --- the sample workspace, as the report came ---------------------------------------------------


def sample_with(tmp_path, change):
    """A copy of the sample workspace, the first January 2024 Email Marketing contact beyond the
    first 256 KiB of its contacts export changed by `change(cells)`: that row's line and cells."""
    root = tmp_path / "sample"
    shutil.copytree(kpiengine.sample_workspace(), root)
    path = root / "exports" / "hubspot_contacts.csv"
    data = path.read_bytes()
    lines = data.decode("utf-8").split("\n")
    starts = [0]  # each line's first byte
    for text in lines:
        starts.append(starts[-1] + len(text.encode()) + 1)
    rows = [next(csv.reader([t])) if t else [] for t in lines]
    n = next(
        i
        for i, cells in enumerate(rows)
        if starts[i] > 256 * 1024 and cells[2][:7] == "2024-01" and cells[3] == "Email Marketing"
    )
    cells = rows[n]
    change(cells)
    lines[n] = ",".join(f'"{c}"' for c in cells)
    path.write_bytes("\n".join(lines).encode("utf-8"))
    return root, n + 1, cells, lines[n]


def run(root):
    args = ["eval", "-w", str(root), "--period", "2024-01", "--by", "channel"]
    return CliRunner().invoke(cli, [*args, "--kpi", "lead_volume", "--format", "csv"])


def test_the_sample_with_a_nul_in_a_source_stops(tmp_path):
    def nul(cells):
        cells[3] = "\x00Email Marketing"

    root, line, _, text = sample_with(tmp_path, nul)
    result = run(root)
    place = f"exports/hubspot_contacts.csv:{line}:{text.index(chr(0)) + 1}"
    assert result.exit_code == 2, result.output
    assert f"{place}: {NUL_MESSAGE}" in result.output
    assert "Traceback" not in result.output and "channel=" not in result.output


def test_the_sample_with_a_negative_create_year_stops(tmp_path):
    def negative(cells):
        cells[2] = "-" + cells[2]

    root, line, cells, _ = sample_with(tmp_path, negative)
    result = run(root)
    header = next(csv.reader([(root / "exports/hubspot_contacts.csv").open().readline()]))
    place = f"exports/hubspot_contacts.csv:{line}:{start(header, cells, 'Create Date')}"
    assert result.exit_code == 2, result.output
    assert (
        f"{place}: expected a date like %Y-%m-%d in column `Create Date`, found `{cells[2]}`"
        in result.output
    )
    assert "TypeError" not in result.output and "plugin" not in result.output
