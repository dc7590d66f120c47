"""A file whose first bytes do not tell its encoding: an Excel CSV (Windows-1252) over 256 KiB
whose first `é` or `€` comes late. The start says UTF-8 (ASCII) or Latin-1 (`é` alone); the
end, or DuckDB reading the file, shows otherwise, and the encoding is then decided from every
byte: the file reads in full. A file no encoding reads (UTF-8 text then a Windows-1252 byte, a
byte Windows-1252 leaves undefined) is an error at `file:line:column` (files too large to be
read into memory: `test_late_encoding_scan.py`). The crm connector goes through the same reading
layer. A clean UTF-8 file never has its bytes read again.

The files are written here; the expected sums are worked out with the csv module.
"""

import csv
import datetime as dt
import importlib
import io
from collections import Counter

import pytest
from test_connector_crm import connector as crm_connector
from test_connector_crm import table as crm_table
from test_connector_csv import VARIABLES, fetch

import kpiengine.fileformats.encodings as encodings
import kpiengine.fileformats.tables as tables
from kpiengine.connector import Mapping, SourceConfig
from kpiengine.errors import KpiError, Location

sniffing = importlib.import_module(
    "kpiengine.fileformats.sniff"
)  # the package's `sniff`: a function

COST = {"cost": Mapping("cost", Location("kpi.yaml", 5, 5), column="Betrag")}
HEADER = "Datum;Kanal;Betrag"


def row(i):
    return f"{dt.date(2024, 1, 1) + dt.timedelta(days=i % 60):%d.%m.%Y};Search;1.000,50"


def excel_csv(first=(), late=(), at=12000, rows=16000, encoding="cp1252"):
    """`rows` ASCII rows (28 bytes each) with the lines `first` after the header and `late`
    after row `at`: at 12000 of 16000, past the first 256 KiB and before the last 64 KiB."""
    lines = [HEADER, *first, *(row(i) for i in range(at)), *late]
    lines += [row(i) for i in range(at, rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def expected(data, encoding="cp1252"):
    """{(month, channel): cost} read with the csv module."""
    out = Counter()
    for r in csv.DictReader(io.StringIO(data.decode(encoding), newline=""), delimiter=";"):
        amount = r["Betrag"].replace("€", "").strip().replace(".", "").replace(",", ".")
        out[(r["Datum"][3:], r["Kanal"])] += float(amount)
    return dict(out)


def got(conn):
    frame = fetch(conn, "cost", dims=["channel"])
    out = Counter()
    for day, channel, value in zip(
        frame.dates, frame.dims["channel"], frame.values["cost"], strict=True
    ):
        day = dt.date.fromisoformat(str(day)[:10])
        out[(f"{day.month:02d}.{day.year}", str(channel))] += float(value)
    return {k: v for k, v in out.items() if v}


def csv_conn(tmp_path, data, **options):
    """The `csv` connector on the bytes, `Kanal` as the channel dimension."""
    from kpiengine.connectors.csv_files import CsvConnector

    (tmp_path / "d.csv").write_bytes(data)
    config = SourceConfig(
        name="test",
        connector="csv",
        root=tmp_path,
        location=Location("kpi.yaml", 3, 5),
        options={"path": "d.csv", "date": "Datum", **options},
        mappings=COST,
        dimensions={"channel": "Kanal"},
        variables=VARIABLES,
    )
    return CsvConnector(config)


def test_the_test_files_put_the_first_accent_where_the_start_and_end_do_not_see_it():
    data = excel_csv(late=["15.02.2024;Réseau;2.000,00 €"])
    first = data.index("é".encode("cp1252"))
    assert encodings.HEAD_BYTES < first < len(data) - encodings.TAIL_BYTES


@pytest.mark.parametrize(
    ("first", "late"),
    [
        ((), ["15.02.2024;Réseau;2.000,00 €"]),  # ASCII start, `é` and `€` in the middle
        ((), ["15.02.2024;Réseau;2.000,00"]),  # ASCII start, `é` alone (DuckDB's latin-1)
        (["01.01.2024;Île;1,00"], ["15.02.2024;Réseau – Nord;2.000,00 €"]),  # a Latin-1 start
    ],
)
def test_a_late_windows_1252_byte_reads_the_whole_file(tmp_path, first, late):
    data = excel_csv(first, late)
    conn = csv_conn(tmp_path, data)
    assert got(conn) == expected(data)


def test_an_accent_in_the_last_bytes_is_seen_at_once(tmp_path, monkeypatch):
    """The repro's file: its `€` is in the last 64 KiB, read anyway (no query fails)."""
    data = excel_csv(late=["15.02.2024;Réseau;2.000,00 €"], at=12000, rows=12000)
    assert len(data) - data.index(b"\xe9") < encodings.TAIL_BYTES
    decided = []
    monkeypatch.setattr(sniffing, "file_encoding", lambda *a: decided.append(a) or
                        encodings.file_encoding(*a))  # fmt: skip
    assert got(csv_conn(tmp_path, data)) == expected(data)
    assert len(decided) == 1  # at the sniff


def test_a_clean_utf8_file_never_reads_its_bytes_again(tmp_path, monkeypatch):
    def refuse(*_):
        raise AssertionError("the whole file was read for its encoding")

    monkeypatch.setattr(sniffing, "file_encoding", refuse)
    monkeypatch.setattr(tables, "file_encoding", refuse)
    data = excel_csv(first=["01.01.2024;Réseau;1,00"], encoding="utf-8")
    assert got(csv_conn(tmp_path, data)) == expected(data, "utf-8")


def test_utf8_text_then_a_windows_1252_byte_mixes_encodings(tmp_path):
    data = excel_csv(["01.01.2024;Île;1,00"], encoding="utf-8")
    cut = data.index(b"\r\n", 350_000) + 2
    data = data[:cut] + "15.02.2024;Réseau;2,00\r\n".encode("cp1252") + data[cut:]
    line = data[:cut].count(b"\n") + 1
    with pytest.raises(KpiError) as info:
        got(csv_conn(tmp_path, data))
    assert "byte 0xe9 is not UTF-8, while the text before it is" in info.value.message
    assert (info.value.location.line, info.value.location.column) == (line, 13)


def test_a_byte_windows_1252_leaves_undefined_is_an_error_at_its_place(tmp_path):
    data = excel_csv(late=["15.02.2024;Re\x81seau;2,00"], encoding="latin-1")
    line = data[: data.index(b"\x81")].count(b"\n") + 1
    with pytest.raises(KpiError) as info:
        got(csv_conn(tmp_path, data))
    assert info.value.message.startswith("byte 0x81 is neither UTF-8 nor Windows-1252 text")
    assert (info.value.location.file, info.value.location.line) == ("d.csv", line)
    assert info.value.location.column == 14


def test_the_encoding_option(tmp_path):
    data = excel_csv(late=["15.02.2024;Réseau;2.000,00 €"])
    with pytest.raises(KpiError, match="unknown encoding `klingon`"):
        csv_conn(tmp_path, data, encoding="klingon")
    line = data[: data.index(b"\xe9")].count(b"\n") + 1
    with pytest.raises(KpiError) as info:
        csv_conn(tmp_path, data, encoding="utf-8")
    assert info.value.message == "the file is not utf-8 text (byte 0xe9)"
    assert info.value.location.line == line


def test_a_crm_export_reads_its_late_accents_too(tmp_path):
    header = ('"Record ID","Deal Name","Deal Stage","Close Date","Amount","Create Date",'
              '"Original Source Type"')  # fmt: skip
    lines = [header]
    for i in range(5000):
        source = "Réseau – social" if i == 4000 else "Direct"
        stage = "Closed won" if i % 2 else "Closed lost"
        day = dt.date(2024, 1, 1) + dt.timedelta(days=i % 90)
        lines.append(f'"{i + 1}","Deal number {i + 1:05d}","{stage}","{day} 10:00","{100 + i % 7}",'
                     f'"{day} 09:00","{source}"')  # fmt: skip
    data = ("\r\n".join(lines) + "\r\n").encode("cp1252")
    assert encodings.HEAD_BYTES < data.index(b"\xe9") < len(data) - encodings.TAIL_BYTES
    (tmp_path / "deals.csv").write_bytes(data)
    want = Counter()
    for r in csv.DictReader(io.StringIO(data.decode("cp1252"), newline="")):
        if r["Deal Stage"] == "Closed won":
            want[(r["Close Date"][:7], r["Original Source Type"])] += float(r["Amount"])
    got_ = crm_table(crm_connector("deals.csv", root=tmp_path, currency="EUR"), "revenue",
                     dims=["channel"])["revenue"]  # fmt: skip
    assert {k: v for k, v in got_.items() if v} == dict(want)
