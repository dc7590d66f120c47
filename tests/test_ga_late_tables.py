"""GA exports larger than the reading layer's first bytes (`HEAD_BYTES`) whose second table
starts past them: in the last bytes (`TAIL_BYTES`, also read at once), between the two, or in
the first bytes with a second table that runs past them. GA writes several tables in one file,
separated by a blank line and, in GA4, a `#` block; Universal Analytics ends each table with a
totals row whose first field is empty. Each table reads as a table of its own whatever its
place: its rows, its totals rows (checked, never counted), nothing of the other.

The files are written here as GA writes them; the expected values are worked out with the csv
module from the files' bytes.
"""

import csv
import datetime as dt
import importlib
from collections import Counter

import pytest
from kpiengine.connectors.csv_files import CsvConnector
from test_connector_csv import VARIABLES
from test_connector_csv import fetch as csv_fetch
from test_connector_ga_export import fetch, source

from kpiengine.connector import Mapping, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.fileformats.encodings import HEAD_BYTES, TAIL_BYTES
from kpiengine.fileformats.tables import open_tables

DAYS = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(91)]  # 2024-01-01..03-31
MEDIA = ["google / organic", "(direct) / (none)", "newsletter / email", "bing / cpc"]


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-01")


def en(n):
    """A count as GA's English interface writes it: `1,037`, quoted when it holds a comma."""
    return f'"{n:,}"' if n >= 1000 else str(n)


def ga4_export(first, second, newline="\n"):
    """A GA4 report download (Landing page by date) of `first` rows, then a second table
    (sessions by source / medium) of `second` rows, each under its `#` block; the Grand total
    right under each header, as GA4 writes it."""
    meta = ["#", "# All Users", "# Start date: 20240101", "# End date: 20240331"]
    lines = ["# " + "-" * 40, "# Landing page", "# Account: Northwind Courses",
             "# Property: northwind.example - GA4", "# " + "-" * 40, *meta]  # fmt: skip
    rows = [(DAYS[i % 91], f"/courses/{i // 91:04d}-intro", 200 + i * 7 % 1300, 90 + i % 60)
            for i in range(first)]  # fmt: skip
    lines.append("Date,Landing page,Sessions,Engaged sessions,Views")
    lines.append(f"Grand total,,{en(sum(r[2] for r in rows))},{en(sum(r[3] for r in rows))},"
                 f"{en(sum(r[2] * 2 for r in rows))}")  # fmt: skip
    lines += [f"{d:%Y%m%d},{p},{en(s)},{e},{en(s * 2)}" for d, p, s, e in rows]
    media = [(f"{MEDIA[i % 4].split(' / ')[0]}{i // 4 or ''} / {MEDIA[i % 4].split(' / ')[1]}",
              900 + i * 37 % 4000, 400 + i % 300) for i in range(second)]  # fmt: skip
    lines += ["", *meta, "Session source / medium,Sessions,Engaged sessions"]
    lines.append(f"Grand total,{en(sum(m[1] for m in media))},{en(sum(m[2] for m in media))}")
    lines += [f"{m},{en(s)},{en(e)}" for m, s, e in media]
    return (newline.join(lines) + newline).encode("utf-8")


def ua_export(pages, days=91):
    """A Universal Analytics export of Landing Pages: a table of `pages` rows ending with its
    totals row (an empty first field), a blank line, then the Day Index table and its total."""
    rows = [(f"/landing/{i:05d}.html", 40 + i * 13 % 900, 10 + i % 40, i % 9) for i in range(pages)]
    lines = ["# " + "-" * 40, "# All Web Site Data", "# Landing Pages", "# 20240101-20240331",
             "# " + "-" * 40, "", "Landing Page,Sessions,New Users,Goal Completions"]  # fmt: skip
    lines += [f"{p},{en(s)},{en(n)},{g}" for p, s, n, g in rows]
    lines.append(",".join(["", *(en(sum(r[k] for r in rows)) for k in (1, 2, 3))]))
    daily = [(DAYS[i % 91], 300 + i * 11 % 200) for i in range(days)]
    lines += ["", "Day Index,Sessions", *(f"{d.month}/{d.day}/{d:%y},{en(s)}" for d, s in daily)]
    lines.append(f",{en(sum(s for _, s in daily))}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def tables_of(data):
    """The file's tables as the csv module reads them: [(header, data rows, totals rows)]."""
    out, block = [], []
    for line in [*data.decode("utf-8-sig").splitlines(), ""]:
        if line.startswith("#") or not line.strip(", "):
            if block:
                header, *rows = csv.reader(block)
                data_rows = [r for r in rows if r[0] and r[0] != "Grand total"]
                out.append((header, data_rows, [r for r in rows if r not in data_rows]))
            block = []
        else:
            block.append(line)
    return out


def number(text):
    return float(text.replace(",", ""))


def second_table_start(data):
    """The byte where the second table's header line starts."""
    header = data.index(b"\nSession source") if b"Session source" in data else None
    return (header if header is not None else data.index(b"\nDay Index")) + 1


def write(tmp_path, data):
    (tmp_path / "ga.csv").write_bytes(data)
    return tmp_path


def by_key(frame, dim=None):
    out = Counter()
    for i, day in enumerate(frame.dates.astype(str)):
        key = (day[:7], frame.dims[dim][i]) if dim else day
        out[key] += float(frame.values["sessions"][i])
    return dict(out)


PLACES = {
    # where the second table starts: (first table's rows, second table's rows, line break)
    "small file": (900, 20, "\n"),
    "last bytes": (7000, 20, "\r\n"),
    "between": (7000, 2600, "\n"),
    "first bytes, running past them": (1500, 9000, "\r\n"),
}


@pytest.mark.parametrize("place", PLACES)
def test_a_ga4_export_reads_each_table_wherever_it_starts(tmp_path, place):
    data = ga4_export(*PLACES[place])
    start, size = second_table_start(data), len(data)
    where = {
        "small file": size <= HEAD_BYTES,
        "last bytes": start > HEAD_BYTES and size - start < TAIL_BYTES,
        "between": HEAD_BYTES < start < size - TAIL_BYTES,
        "first bytes, running past them": start < HEAD_BYTES < size - TAIL_BYTES,
    }
    assert where[place]  # the file puts the second table where the test says
    (header, rows, totals), (_, rows2, totals2) = tables_of(data)
    root = write(tmp_path, data)

    pages = fetch(source("ga.csv", root=root, table=1), "sessions", grain="month",
                  dims=["landing_page"])  # fmt: skip
    want = Counter()
    for row in rows:
        want[(f"{row[0][:4]}-{row[0][4:6]}", row[1])] += number(row[header.index("Sessions")])
    assert by_key(pages, "landing_page") == dict(want)
    assert sum(want.values()) == number(totals[0][header.index("Sessions")])

    media = fetch(source("ga.csv", root=root, table=2), "sessions", dims=["source_medium"])
    got = {m: float(v) for m, v in zip(media.dims["source_medium"], media.values["sessions"],
                                         strict=True)}  # fmt: skip
    assert got == {r[0]: number(r[1]) for r in rows2}
    assert sum(got.values()) == number(totals2[0][1])


def test_a_ua_export_reads_its_day_index_table_and_both_totals(tmp_path):
    data = ua_export(10000)
    assert second_table_start(data) > max(HEAD_BYTES, len(data) - TAIL_BYTES)  # in the last bytes
    (header, rows, totals), (_, days, day_totals) = tables_of(data)
    root = write(tmp_path, data)
    files = open_tables(root / "ga.csv", "ga.csv", empty_label_is_total=True, every_table=True)
    assert [t.columns[0] for t in files] == ["Landing Page", "Day Index"]
    ends = [n for n, line in enumerate(data.decode().splitlines(), 1) if line.startswith(",")]
    assert [[t.line for t in f.totals] for f in files] == [[ends[0]], [ends[1]]]

    daily = fetch(source("ga.csv", root=root), "sessions", grain="day")
    want = {}
    for day, sessions in days:
        month, mday, year = (int(x) for x in day.split("/"))
        want[dt.date(2000 + year, month, mday).isoformat()] = number(sessions)
    assert by_key(daily) == want
    assert sum(want.values()) == number(day_totals[0][1])

    monthly = fetch(source("ga.csv", root=root, table=1), "sessions", grain="month",
                    dims=["landing_page"])  # fmt: skip
    assert by_key(monthly, "landing_page") == {
        ("2024-01", r[0]): number(r[1]) for r in rows
    }  # the export's range: one period from its first day
    assert sum(number(r[1]) for r in rows) == number(totals[0][1])


def test_the_csv_connector_reads_the_first_table_of_such_a_file(tmp_path):
    """The `csv` connector reads a file's first table: it ends where the second starts."""
    data = ga4_export(*PLACES["last bytes"])
    (header, rows, _), _ = tables_of(data)
    config = SourceConfig(
        name="ga", connector="csv", root=write(tmp_path, data), location=Location("kpi.yaml", 3, 5),
        options={"path": "ga.csv", "date": "Date"}, dimensions={}, variables=VARIABLES,
        mappings={"cost": Mapping("cost", Location("kpi.yaml", 5, 5), column="Sessions")},
    )  # fmt: skip
    frame = csv_fetch(CsvConnector(config), "cost")
    want = Counter()
    for row in rows:
        want[f"{row[0][:4]}-{row[0][4:6]}"] += number(row[header.index("Sessions")])
    got = Counter()
    for day, value in zip(frame.dates.astype(str), frame.values["cost"], strict=True):
        got[day[:7]] += float(value)
    assert dict(got) == dict(want)


def test_a_ragged_row_past_the_first_bytes_is_named_at_its_line(tmp_path):
    """Read to the end of its table, a large export names a row of another width where it is."""
    lines = ga4_export(9000, 20).decode().split("\n")
    lines[6500] += ",7"  # line 6501, past the first bytes
    data = "\n".join(lines).encode()
    assert len(data) - TAIL_BYTES > len("\n".join(lines[:6500])) > HEAD_BYTES
    with pytest.raises(KpiError) as info:
        open_tables(write(tmp_path, data) / "ga.csv", "ga.csv", every_table=True)
    assert info.value.message == (
        "the row has 6 fields but the header (line 10) has 5: `7` is beyond the last column"
    )
    assert (info.value.location.line, info.value.location.column) == (6501, len(lines[6500]))


def test_a_second_table_as_wide_as_the_first_between_the_first_and_last_bytes(tmp_path):
    """The last bytes show rows as wide as the first table's: only the break between them (a
    blank line, a `#` block) tells that they are another table's."""
    data = ga4_export(7000, 0)  # the first table, then the second's `#` block and header alone
    head, _, _ = data.rpartition(b"Session source / medium,Sessions,Engaged sessions\n")
    media = [
        (f"source{i} / medium{i % 7}", f"camp{i % 5}", 900 + i * 37 % 4000) for i in range(2600)
    ]
    lines = ["Session source / medium,Session campaign,Sessions,Engaged sessions,Views"]
    lines += [f"{m},{c},{en(s)},{s // 2},{en(s * 3)}" for m, c, s in media]
    data = head + ("\n".join(lines) + "\n").encode()
    start, size = data.index(b"\nSession source") + 1, len(data)
    assert HEAD_BYTES < start < size - TAIL_BYTES
    root = write(tmp_path, data)
    files = open_tables(root / "ga.csv", "ga.csv", empty_label_is_total=True, every_table=True)
    assert [t.columns[0] for t in files] == ["Date", "Session source / medium"]
    got = fetch(source("ga.csv", root=root, table=2), "sessions", dims=["source_medium"])
    values = dict(zip(got.dims["source_medium"], got.values["sessions"].tolist(), strict=True))
    want = Counter()
    for m, _, s in media:
        want[m] += s
    assert values == dict(want)


def test_a_large_export_of_one_table_is_not_read_through_in_python(tmp_path, monkeypatch):
    """Without a blank or `#` line between its first and last bytes, a large GA export's table
    runs to the end: a byte search says so (`rows.may_end_table`), no Python pass."""
    sniff_module = importlib.import_module("kpiengine.fileformats.sniff")
    lines = ga4_export(9000, 20).decode().split("\n")
    data = ("\n".join(lines[: lines.index("")]) + "\n").encode()  # the first table alone
    assert len(data) > HEAD_BYTES + TAIL_BYTES
    root = write(tmp_path, data)

    def no_pass(*args, **kwargs):
        raise AssertionError("the file was read through in Python")

    monkeypatch.setattr(sniff_module, "check_file", no_pass)
    files = open_tables(root / "ga.csv", "ga.csv", empty_label_is_total=True, every_table=True)
    assert len(files) == 1 and files[0].columns[0] == "Date"
