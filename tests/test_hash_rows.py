"""Rows whose first cell starts with `#` are rows, not comments: Shopify's orders export starts
every row with the order's name (`#1001`), campaigns are named `#SpringSale`. A `#` line is a
comment only where platforms write one: above the header (a preamble, GA's `#` block) and
between GA's tables; a `#` line under the rows that is no row (one field) still ends the table.

Such a row right under the rows, with the header's fields, is read as a row; one of another
width that reads as data is the ragged row it is (an error at its line), never the silent end
of the file. Every case is checked where the sniff reads (the first bytes), where only DuckDB
reads (between the first and last bytes) and in the last bytes (`_tail`). Expected values are
worked out with the csv module from the files' bytes, or by hand.
"""

import csv
import io
from collections import Counter

import pytest
from test_connector_ads import connector as ads_connector
from test_connector_ads import fetch as ads_fetch
from test_connector_csv import connector, fetch
from test_connector_ga_export import fetch as ga_fetch
from test_connector_ga_export import source
from test_sql_files_parity import pair, spend

from kpiengine.errors import KpiError
from kpiengine.fileformats.encodings import HEAD_BYTES, TAIL_BYTES
from kpiengine.fileformats.rows import Record, ends_table, note_error
from kpiengine.fileformats.sniff import sniff

HEADER = "Name,date,revenue\n"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-01")


def by_month(text):
    """{month: revenue} of a `Name,date,revenue` file, read with the csv module."""
    out = Counter()
    for row in list(csv.reader(io.StringIO(text)))[1:]:
        out[row[1][:7] + "-01"] += float(row[2])
    return dict(out)


def revenue(tmp_path, text):
    frame = fetch(connector(tmp_path, text), "revenue")
    return {str(d): float(v) for d, v in zip(frame.dates, frame.values["revenue"], strict=True)}


def rows(n, hashed):
    """`n` orders, those `hashed(i)` says named `#100i` (Shopify), the others `100i`."""
    return [f"{'#' * hashed(i)}{1000 + i},2024-0{1 + i % 3}-{1 + i % 28:02d},{i % 97}.5\n"
            for i in range(n)]  # fmt: skip


# --- the csv connector, a small file -----------------------------------------------------------


def test_a_hash_row_in_the_middle_is_a_row_not_the_end_of_the_file(tmp_path):
    # the repro: 4 paid orders, the second named `#1002`; read as 1 order before
    text = (
        HEADER + "1001,2024-03-02,10\n#1002,2024-03-03,20\n1003,2024-03-20,30\n1004,2024-03-30,40\n"
    )
    assert revenue(tmp_path, text) == {"2024-03-01": 100.0}


def test_every_row_starting_with_hash_is_read(tmp_path):
    # Shopify's shape: was "no data rows under the header"
    text = HEADER + "#1001,2024-03-02,10\n#1002,2024-03-03,20\n#1003,2024-03-20,30\n"
    assert revenue(tmp_path, text) == {"2024-03-01": 60.0}


def test_a_hash_row_at_line_5_and_a_blank_line_before_one(tmp_path):
    text = HEADER + "".join(rows(3, lambda i: False)) + "#1003,2024-02-04,7.5\n"
    text += "1004,2024-03-05,1\n\n#1005,2024-01-06,2\n1006,2024-02-07,3\n"
    assert revenue(tmp_path, text) == by_month(text.replace("\n\n", "\n"))


def test_a_quoted_hash_cell_and_a_padded_header(tmp_path):
    text = 'Name,date,revenue,\n"#1001",2024-01-02,5,\n"#1002, gift",2024-01-03,6,\n'
    assert revenue(tmp_path, text) == {"2024-01-01": 11.0}


# --- past the first bytes ----------------------------------------------------------------------

BIG = 20000  # rows: about 430 KB, past HEAD_BYTES and TAIL_BYTES together


@pytest.mark.parametrize(
    "where",
    ["every row", "in the last bytes only", "between the first and last bytes", "at the start"],
)
def test_hash_rows_of_a_large_file(tmp_path, where):
    lines = rows(BIG, lambda i: where == "every row")
    text = HEADER + "".join(lines)
    size, at = len(text), {"in the last bytes only": BIG - 20, "at the start": 3}
    at["between the first and last bytes"] = BIG * (HEAD_BYTES + 4096) // size
    if where in at:
        i = at[where]
        lines[i] = "#" + lines[i]
        start = len(HEADER) + sum(map(len, lines[:i]))
        place = {"in the last bytes only": start > size - TAIL_BYTES, "at the start": True}
        place["between the first and last bytes"] = HEAD_BYTES < start < size - TAIL_BYTES
        assert place[where]
        text = HEADER + "".join(lines)
    assert size > HEAD_BYTES + TAIL_BYTES
    assert revenue(tmp_path, text) == pytest.approx(by_month(text))


def test_a_ragged_hash_row_in_the_last_bytes_is_an_error_at_its_line(tmp_path):
    lines = rows(BIG, lambda i: False)
    lines[BIG - 5] = "#1999,2024-01-05\n"  # a field short: reads as data, so not a comment
    with pytest.raises(KpiError) as caught:
        revenue(tmp_path, HEADER + "".join(lines))
    assert caught.value.location.line == BIG - 5 + 2
    assert "2 fields but the header" in str(caught.value)


# --- what stays a comment ----------------------------------------------------------------------


def test_hash_lines_above_the_header_stay_a_preamble(tmp_path):
    text = "# Orders export\n# Store: Northwind, 2024\nName,date,revenue\n#1001,2024-01-02,4\n"
    (tmp_path / "p.csv").write_text(text)
    sniffed = sniff(tmp_path / "p.csv")
    assert (sniffed.header_line, sniffed.columns) == (3, ["Name", "date", "revenue"])
    assert [r.fields[0] for r in sniffed.sample] == ["#1001"]


def test_a_one_field_hash_line_under_the_rows_still_ends_the_table(tmp_path):
    text = HEADER + "#1001,2024-01-02,4\n# exported 2024-02-01\n"
    (tmp_path / "c.csv").write_text(text)
    sniffed = sniff(tmp_path / "c.csv")
    assert sniffed.next_table == 3 and len(sniffed.sample) == 1
    assert revenue(tmp_path, text) == {"2024-01-01": 4.0}


def test_ends_table():
    record = Record(5, 5, ["#SpringSale", "2024-03-10", "100.00"])
    assert not ends_table(record)  # two filled fields right under rows: a row
    assert not ends_table(record, gap=True)  # after a blank line, it reads as data
    assert not ends_table(Record(5, 5, ["#1999", "2024-01-05"]), gap=True)  # `#` aside
    metadata = Record(5, 5, ["# Property: Northwind", " Inc."])  # GA's `#` line with a comma
    assert ends_table(metadata, gap=True)  # where GA writes its blocks: a comment
    assert ends_table(Record(5, 5, ["# Start date: 20240101", "", ""]))  # one field: a comment
    assert ends_table(Record(5, 5, ["#", "", ""]))
    assert not ends_table(Record(5, 5, ["1001", "x", "1"]), gap=True)


def test_a_note_under_the_table_then_hash_rows_is_a_short_row_not_a_note():
    note = Record(3, 3, ["Exported from Shopify"])
    below = [Record(4, 4, ["#1005", "2024-01-02", "5"])]
    assert note_error(note, iter(below), 3, "o.csv") is None  # a row follows: a row cut short
    comments = [Record(4, 4, ["# end of export"]), Record(5, 5, ["#", "", ""])]
    found = note_error(note, iter(comments), 3, "o.csv")
    assert found is not None and "line of text under the table" in str(found)


# --- the other connectors that read through the reading layer ----------------------------------

META = (
    "Campaign name,Day,Amount spent (EUR),Impressions,Link clicks,Reporting starts,Reporting ends\n"
    ",,400.00,4000,40,2024-03-01,2024-03-31\n"
    "Prospecting,2024-03-02,100.00,1000,10,2024-03-02,2024-03-02\n"
    "#SpringSale,2024-03-10,100.00,1000,10,2024-03-10,2024-03-10\n"
    "Prospecting,2024-03-20,100.00,1000,10,2024-03-20,2024-03-20\n"
    "#Retargeting,2024-03-25,100.00,1000,10,2024-03-25,2024-03-25\n"
)


def test_ads_meta_campaigns_named_with_a_hash(tmp_path):
    (tmp_path / "meta.csv").write_text(META)
    frame = ads_fetch(ads_connector(tmp_path, "meta.csv", currency="EUR"), "ad_spend",
                      dims=["campaign"])  # fmt: skip
    got = Counter()
    for campaign, value in zip(frame.dims["campaign"], frame.values["ad_spend"], strict=True):
        got[campaign] += float(value)
    # by hand: 100 a row; the summary row (400) is checked, not counted
    assert dict(got) == {"Prospecting": 200.0, "#SpringSale": 100.0, "#Retargeting": 100.0}


def test_crm_deals_named_with_a_hash(tmp_path):
    from test_connector_crm import connector as crm_connector
    from test_connector_crm import table

    text = (
        '"Deal Name","Deal Stage","Close Date","Amount","Create Date"\n'
        '"#42 Acme renewal","Closed won","2024-01-25 14:02","1200","2024-01-03 09:15"\n'
        '"Blue Sky","Closed won","2024-01-28 10:00","800","2024-01-05 09:15"\n'
        '"#43 Müller","Closed won","2024-02-12 10:00","500","2024-01-15 08:42"\n'
    )
    (tmp_path / "deals.csv").write_text(text, encoding="utf-8")
    got = table(crm_connector("deals.csv", root=tmp_path, system="hubspot"), "revenue",
                "deals_won")  # fmt: skip
    assert got["revenue"]["2024-01"] == 2000.0 and got["revenue"]["2024-02"] == 500.0
    assert got["deals_won"]["2024-01"] == 2 and got["deals_won"]["2024-02"] == 1


def test_ga_rows_starting_with_hash_and_its_tables_still_split(tmp_path):
    meta = "#\n# All Users\n# Start date: 20240101\n# End date: 20240131\n"
    text = (
        "# ----------------------------------------\n# Traffic acquisition\n"
        "# Account: Northwind\n# Property: Northwind, GA4\n# " + "-" * 40 + "\n"
        f"{meta}Session source / medium,Sessions\nGrand total,60\n"
        "google / organic,10\n#spring / social,20\nbing / cpc,30\n"
        f"\n{meta}Date,Sessions\n20240102,25\n20240103,35\n"
    )
    (tmp_path / "ga.csv").write_text(text)
    media = ga_fetch(source("ga.csv", root=tmp_path, table=1), "sessions", dims=["source_medium"])
    got = {m: float(v) for m, v in zip(media.dims["source_medium"], media.values["sessions"],
                                         strict=True)}  # fmt: skip
    assert got == {"google / organic": 10.0, "#spring / social": 20.0, "bing / cpc": 30.0}
    days = ga_fetch(source("ga.csv", root=tmp_path, table=2), "sessions")
    assert days.values["sessions"].tolist() == [25.0, 35.0]


def test_sql_files_read_hash_rows_as_the_csv_connector(tmp_path):
    data = b"channel,date,cost\n#Spring,2024-01-05,10\nEmail,2024-01-06,5\n#Spring,2024-02-01,4\n"
    csv_root, sql_root = pair(tmp_path, data, "duckdb://")
    want = {("2024-01", "#Spring"): 10.0, ("2024-01", "Email"): 5.0, ("2024-02", "#Spring"): 4.0}
    for root in (sql_root, csv_root):
        assert {k: v for k, v in spend(root).items() if k[1] and v} == want
