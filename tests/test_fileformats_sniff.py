"""Sniffing real export shapes, written byte for byte by the tests, and the files it rejects."""

from __future__ import annotations

import codecs
import datetime as dt
import random
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpiengine.errors import KpiError, Location
from kpiengine.fileformats.rows import TOTAL_LABELS, TOTAL_PATTERN, is_total_label, total_label_sql
from kpiengine.fileformats.sniff import HEAD_BYTES, check_file, sniff
from kpiengine.fileformats.sql import WHITESPACE, full_regex


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def rows(sniffed, where: str = "TRUE") -> list[tuple]:
    return duckdb.sql(f"SELECT * FROM {sniffed.read_csv_sql()} WHERE {where}").fetchall()


# --- encodings --------------------------------------------------------------------------------


def test_utf8_bom_and_crlf(tmp_path):
    path = write(tmp_path, "bom.csv", b"\xef\xbb\xbfDate,Revenue\r\n2024-06-01,12.50\r\n")
    sniffed = sniff(path)
    assert (sniffed.encoding, sniffed.duckdb_encoding, sniffed.newline) == (
        "utf-8-sig",
        "utf-8",
        "\r\n",
    )
    assert sniffed.columns == ["Date", "Revenue"]
    assert rows(sniffed) == [("2024-06-01", "12.50")]


GOOGLE_ADS_EXCEL = (
    "Campaign report\r\n"
    "August 1, 2024 - August 2, 2024\r\n"
    "Day\tCampaign\tCurrency code\tImpr.\tClicks\tCost\r\n"
    "2024-08-01\tBrand - Exact\tUSD\t1,320\t101\t52.31\r\n"
    "2024-08-02\tBrand - Exact\tUSD\t1,288\t97\t50.02\r\n"
    "Total: Account\t--\tUSD\t2,608\t198\t102.33\r\n"
    "Total: Campaigns\t--\tUSD\t2,608\t198\t102.33\r\n"
)


def test_utf16_le_with_bom_and_tabs_as_google_ads_excel_download(tmp_path):
    path = write(tmp_path, "ads.csv", codecs.BOM_UTF16_LE + GOOGLE_ADS_EXCEL.encode("utf-16-le"))
    sniffed = sniff(path)
    assert (sniffed.encoding, sniffed.duckdb_encoding, sniffed.delimiter) == (
        "utf-16",
        "utf-16",
        "\t",
    )
    assert (sniffed.header_line, sniffed.columns[:2]) == (3, ["Day", "Campaign"])
    assert sniffed.preamble.title == "Campaign report"
    assert sniffed.date_range == (dt.date(2024, 8, 1), dt.date(2024, 8, 2))
    assert [(t.line, t.label) for t in sniffed.totals] == [
        (6, "Total: Account"),
        (7, "Total: Campaigns"),
    ]
    assert [r.line for r in sniffed.sample] == [4, 5]
    assert [r[0] for r in rows(sniffed, f"NOT {sniffed.total_sql()}")] == ["2024-08-01"] * 1 + [
        "2024-08-02"
    ]


def test_utf16_big_endian_must_be_transcoded_for_duckdb(tmp_path):
    path = write(tmp_path, "be.csv", codecs.BOM_UTF16_BE + "a\tb\r\n1\t2\r\n".encode("utf-16-be"))
    sniffed = sniff(path)
    assert (sniffed.columns, sniffed.duckdb_encoding) == (["a", "b"], None)
    with pytest.raises(ValueError, match="transcode"):
        sniffed.read_csv_sql()


def test_windows_1252_fallback(tmp_path):
    euro = write(tmp_path, "euro.csv", "Montant;Date\n12,50 €;2024-06-01\n".encode("cp1252"))
    sniffed = sniff(euro)
    assert (sniffed.encoding, sniffed.duckdb_encoding, sniffed.delimiter) == ("cp1252", None, ";")
    accents = write(tmp_path, "latin.csv", "Région,Total\nÎle,1\n".encode("cp1252"))
    assert sniff(accents).duckdb_encoding == "latin-1"
    assert sniff(accents).columns == ["Région", "Total"]


def test_nul_filled_file_is_rejected_with_its_place(tmp_path):
    path = write(tmp_path, "sparse.csv", b"date,clicks\n2024-06-01,3\n" + b"\x00" * 4096)
    with pytest.raises(KpiError, match="NUL bytes") as info:
        sniff(path, name="sparse.csv")
    assert info.value.location == Location("sparse.csv", 3, 1)


def test_random_bytes_are_rejected(tmp_path):
    rng = random.Random(7)
    noise = bytes(rng.randrange(256) for _ in range(5000))
    with pytest.raises(KpiError, match="NUL bytes|binary"):
        sniff(write(tmp_path, "noise.bin", noise))
    controls = bytes(rng.choice([1, 2, 3, 65, 66, 44, 10]) for _ in range(5000))
    with pytest.raises(KpiError, match="binary"):
        sniff(write(tmp_path, "controls.bin", controls))


def test_empty_and_missing_files(tmp_path):
    with pytest.raises(KpiError, match="empty"):
        sniff(write(tmp_path, "empty.csv", b"\r\n \r\n"))
    with pytest.raises(KpiError, match="not found"):
        sniff(tmp_path / "nope.csv")


# --- preambles and totals --------------------------------------------------------------------

GA4_REPORT = (
    "# ----------------------------------------\n"
    "# Traffic acquisition: Session default channel group\n"
    "# Account: Northwind Courses\n"
    "# Property: northwind.example - GA4\n"
    "# ----------------------------------------\n"
    "#\n"
    "# All Users\n"
    "# Start date: 20250101\n"
    "# End date: 20260524\n"
    "Session default channel group,Sessions,Engagement rate,Total revenue\n"
    'Grand total,"7,427",58.53%,"14,207.66"\n'
    'Organic Search,"1,161",57.88%,325.91\n'
    "Direct,834,60.07%,267.65\n"
)


def test_ga4_preamble_gives_the_range_of_an_undated_report(tmp_path):
    sniffed = sniff(write(tmp_path, "ga4.csv", GA4_REPORT.encode()))
    assert sniffed.header_line == 10
    assert sniffed.date_range == (dt.date(2025, 1, 1), dt.date(2026, 5, 24))
    assert sniffed.preamble.meta["Account"] == "Northwind Courses"
    assert [(t.line, t.label) for t in sniffed.totals] == [(11, "Grand total")]
    assert [r.fields[0] for r in sniffed.sample] == ["Organic Search", "Direct"]


GA4_EXCEL = (
    "# ----------------------------------------\t\t\t\r\n"
    "# Traffic acquisition: Session source / medium\t\t\t\r\n"
    "#\t\t\t\r\n"
    "# All Users\t\t\t\r\n"
    "# Start date: 20250101\t\t\t\r\n"
    "# End date: 20260524\t\t\t\r\n"
    "Date\tSession source / medium\tSessions\tEngagement rate\r\n"
    "20250101\tgoogle / organic\t884\t0.470204\r\n"
    "Grand total\t\t3127\t0.584348\r\n"
)


def test_ga4_preamble_padded_with_tabs_by_excel(tmp_path):
    text = GA4_EXCEL
    sniffed = sniff(write(tmp_path, "ga4.txt", codecs.BOM_UTF16_LE + text.encode("utf-16-le")))
    assert (sniffed.delimiter, sniffed.header_line, sniffed.newline) == ("\t", 7, "\r\n")
    assert sniffed.date_range == (dt.date(2025, 1, 1), dt.date(2026, 5, 24))
    assert [(t.line, t.label) for t in sniffed.totals] == [(9, "Grand total")]


def test_universal_analytics_range_and_its_totals_row_with_an_empty_label(tmp_path):
    text = (
        "# ----------------------------------------\n# All Web Site Data\n# Channels\n"
        "# 20240601-20240630\n# ----------------------------------------\n\n"
        'Default Channel Grouping,Users,Sessions\nOrganic Search,"3,653","4,541"\n'
        'Direct,"2,488","3,082"\n,"6,141","7,623"\n\nDay Index,Sessions\n6/1/24,367\n'
    )
    sniffed = sniff(write(tmp_path, "ua.csv", text.encode()), empty_label_is_total=True)
    assert sniffed.date_range == (dt.date(2024, 6, 1), dt.date(2024, 6, 30))
    assert (sniffed.header_line, [t.line for t in sniffed.totals]) == (7, [10])
    assert sniffed.next_table == 12  # GA's second table


EXPLORATION = (
    "# ----------------------------------------\n"
    "# Free form 1\n"
    "# ----------------------------------------\n"
    "Browser,Browser version,Operating system,Device category,"
    "Active users,Engagement rate,Key events,Session key event rate\n"
    "Chrome,126.0,Windows,desktop,51234,0.6012,3011,0.0512\n"
    "Safari,17.5,iOS,mobile,40110,0.5533,2201,0.0471\n"
    ",,,,190426,0.5589,11192,0.0495,Grand total\n"
)


def test_ga4_exploration_grand_total_beyond_the_header_is_a_totals_row(tmp_path):
    sniffed = sniff(write(tmp_path, "exploration.csv", EXPLORATION.encode()))
    assert len(sniffed.columns) == 8
    total = sniffed.totals[0]
    assert (total.line, total.label, total.beyond, total.cells[4]) == (
        7,
        "Grand total",
        True,
        "190426",
    )
    assert "__extra" in sniffed.read_csv_sql()
    assert [r[0] for r in rows(sniffed, f"NOT {sniffed.total_sql()}")] == ["Chrome", "Safari"]


def test_ga4_exploration_total_at_the_end_of_a_large_file(tmp_path):
    head, _, total = EXPLORATION.rpartition(",,,,")
    body = "Edge,125.0,Windows,desktop,10,0.5,1,0.1\n" * (HEAD_BYTES // 40 + 1000)
    path = write(tmp_path, "big.csv", (head + body + ",,,," + total).encode())
    sniffed = sniff(path)
    assert not sniffed.whole
    lines = (head + body).count("\n") + 1
    assert [(t.line, t.label, t.beyond) for t in sniffed.totals] == [(lines, "Grand total", True)]
    count = duckdb.sql(
        f"SELECT count(*) FROM {sniffed.read_csv_sql()} WHERE NOT {sniffed.total_sql()}"
    ).fetchall()
    assert count == [(lines - 5,)]


GOOGLE_ADS = (
    "Campaign report\r\n"
    '"1 July 2025 - 31 July 2025"\r\n'
    "Campaign,Campaign type,Impr.,Clicks,Cost\r\n"
    'Brand - Exact,Search,"1,204",96,49.92\r\n'
    'PMax - All Products,Performance Max,"15,230",188,240.10\r\n'
    'Total: Account,--,"16,434",284,290.02\r\n'
    'Total: Search,--,"1,204",96,49.92\r\n'
)


def test_google_ads_title_and_range_lines_and_total_rows(tmp_path):
    sniffed = sniff(write(tmp_path, "campaigns.csv", GOOGLE_ADS.encode()))
    assert (sniffed.header_line, sniffed.delimiter) == (3, ",")
    assert sniffed.date_range == (dt.date(2025, 7, 1), dt.date(2025, 7, 31))
    assert [t.label for t in sniffed.totals] == ["Total: Account", "Total: Search"]
    kept = rows(sniffed, f"NOT {sniffed.total_sql()}")
    assert [r[0] for r in kept] == ["Brand - Exact", "PMax - All Products"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("June 1, 2024 - July 31, 2024", (dt.date(2024, 6, 1), dt.date(2024, 7, 31))),
        ("8–31 July 2025", (dt.date(2025, 7, 8), dt.date(2025, 7, 31))),
        ('"July 8 – 31, 2025"', (dt.date(2025, 7, 8), dt.date(2025, 7, 31))),
        ("Date Range,4/12/15 - 4/11/17", None),  # day/month or month/day: not read
        # one end reads one way only: the other end is read in its order
        ("01.07.2025 - 31.07.2025", (dt.date(2025, 7, 1), dt.date(2025, 7, 31))),
        ("31.07.2025 - 01.08.2025", (dt.date(2025, 7, 31), dt.date(2025, 8, 1))),
        ("01.07.2025 - 03.07.2025", None),  # 1-3 July or 7 January - 7 March
        ("2025-01-01 - 2026-05-24", (dt.date(2025, 1, 1), dt.date(2026, 5, 24))),
        ("2025年1月1日～2025年1月31日", (dt.date(2025, 1, 1), dt.date(2025, 1, 31))),
        ("2025年1月1日至2025年1月31日", (dt.date(2025, 1, 1), dt.date(2025, 1, 31))),
        # a Persian (Solar Hijri) range: 1 Farvardin 1403 is 20 March 2024
        ("۱۴۰۳/۰۱/۰۱ - ۱۴۰۳/۰۱/۳۱", (dt.date(2024, 3, 20), dt.date(2024, 4, 19))),
    ],
)
def test_range_line_shapes(tmp_path, line, expected):
    text = f"Report\n{line}\nCampaign,Clicks,Cost\nBrand,3,1.5\n"
    assert sniff(write(tmp_path, "r.csv", text.encode())).date_range == expected


@pytest.mark.parametrize(
    "label",
    ["Total", "Totals", "Grand total", "Total: Account", "Total : campagnes", "Gesamt: Konto"]
    + ["Total général", "总计", "合計", "مجموع", "جمع کل", "TOTAL"]
    # any case in any script, and the words of other interface languages
    + ["Итого", "ИТОГО", "Total Général", "TOTAL GÉNÉRAL", "Gesamtsumme", "総計", "총계"]
    + ["Total geral", "Totale complessivo", "Genel toplam", "Общий итог", "Suma"]
    + ["I alt", "Yhteensä: Tili", "Σύνολο", "Összesen", 'סה"כ', "ผลรวม", "Iš viso"],
)
def test_total_labels_in_python_and_sql(label):
    assert is_total_label(label)
    sql = total_label_sql("x")
    assert duckdb.execute(f"SELECT {sql} FROM (SELECT ? AS x)", [label]).fetchall() == [(True,)]


@pytest.mark.parametrize("label", ["Totally", "Subtotal Brand", "Brand total", "", "Search"])
def test_not_total_labels(label):
    assert not is_total_label(label)


_LABELED = st.builds(
    lambda space, label, case, tail: space + getattr(label, case)() + tail,
    st.text(alphabet=WHITESPACE, max_size=2),
    st.sampled_from(TOTAL_LABELS),
    st.sampled_from(["lower", "upper", "title", "strip"]),
    st.sampled_from(["", ": Account", " (3 rows)", "x", " \u00a0"]),
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_LABELED, st.text(max_size=12)))
def test_total_label_shortcut_agrees_with_the_pattern(text):
    """`is_total_label` skips the pattern for cells no label starts like: same answers."""
    assert is_total_label(text) == (full_regex(TOTAL_PATTERN).fullmatch(text) is not None)


# --- what cannot be read ----------------------------------------------------------------------


def test_duplicate_header_names_name_both_columns(tmp_path):
    path = write(tmp_path, "dup.csv", b"date,revenue,clicks,Revenue\n2024-06-01,1,2,3\n")
    with pytest.raises(KpiError) as info:
        sniff(path, name="dup.csv")
    assert "`Revenue`" in info.value.message and "columns 2 and 4" in info.value.message
    assert info.value.location == Location("dup.csv", 1, 21)


SECRET = "do-not-print-this-line"


def test_a_wider_row_points_at_its_first_extra_field(tmp_path):
    text = f"date,campaign,clicks\n2024-06-01,{SECRET},3\n2024-06-02,B,4,oops\n"
    with pytest.raises(KpiError) as info:
        sniff(write(tmp_path, "wide.csv", text.encode()), name="wide.csv")
    assert info.value.location == Location("wide.csv", 3, 16)
    assert "`oops`" in info.value.message and "header (line 1) has 3" in info.value.message


def test_a_narrower_row_points_past_its_end(tmp_path):
    text = f"date,campaign,clicks\n2024-06-01,{SECRET}\n"
    with pytest.raises(KpiError) as info:
        sniff(write(tmp_path, "narrow.csv", text.encode()), name="narrow.csv")
    assert info.value.location == Location("narrow.csv", 2, len(f"2024-06-01,{SECRET}") + 1)
    assert "2 fields" in info.value.message
    assert SECRET not in str(info.value)


def test_excel_padding_is_accepted_up_to_the_padded_header(tmp_path):
    sniffed = sniff(write(tmp_path, "pad.csv", b"a,b,,\r\n1,2,,\r\n3,4\r\n"))
    assert (sniffed.columns, sniffed.width) == (["a", "b"], 4)
    assert [r.fields[:2] for r in sniffed.sample] == [["1", "2"], ["3", "4"]]
    assert duckdb.sql(f"SELECT a, b FROM {sniffed.read_csv_sql()}").fetchall() == [
        ("1", "2"),
        ("3", "4"),
    ]
    with pytest.raises(KpiError, match="an empty field is beyond") as info:
        sniff(write(tmp_path, "more.csv", b"a,b\n1,2\n3,4,\n"), name="more.csv")
    assert info.value.location == Location("more.csv", 3, 5)


def test_quoted_line_breaks_keep_line_numbers(tmp_path):
    text = 'date,note,clicks\n2024-06-01,"two\nlines",3\n2024-06-02,x,4,5\n'
    with pytest.raises(KpiError) as info:
        sniff(write(tmp_path, "q.csv", text.encode()), name="q.csv")
    assert info.value.location == Location("q.csv", 4, 16)
    fine = sniff(write(tmp_path, "ok.csv", text.rsplit("\n", 2)[0].encode() + b"\n"))
    assert fine.sample[0].fields[1] == "two\nlines"


def test_unterminated_quote_points_at_the_opening_quote(tmp_path):
    text = f'date,note,clicks\n2024-06-01,{SECRET},3\n2024-06-02,"never closed,4\n'
    with pytest.raises(KpiError, match="never closed") as info:
        sniff(write(tmp_path, "open.csv", text.encode()), name="open.csv")
    assert info.value.location == Location("open.csv", 3, 12)
    assert SECRET not in str(info.value)


def test_text_after_a_closing_quote(tmp_path):
    with pytest.raises(KpiError, match="closing quote") as info:
        sniff(write(tmp_path, "after.csv", b'a,b\n"x"y,2\n'), name="after.csv")
    assert info.value.location.line == 2


def test_check_file_finds_a_problem_past_the_sample_that_duckdb_rejects(tmp_path):
    rows_before = HEAD_BYTES // 19 + 1000  # 19 bytes a row: the bad one is past the head
    body = "2024-06-01,Brand,3\n" * rows_before + f"2024-06-02,{SECRET},4,5\n" + "2024-06-03,B,1\n"
    path = write(tmp_path, "late.csv", ("date,campaign,clicks\n" + body).encode())
    sniffed = sniff(path, name="late.csv")  # the bad row is beyond the sampled start
    with pytest.raises(duckdb.Error):
        duckdb.sql(f"SELECT count(*) FROM {sniffed.read_csv_sql()}").fetchall()
    with pytest.raises(KpiError) as info:
        check_file(sniffed)
    column = len(f"2024-06-02,{SECRET},4,") + 1
    assert info.value.location == Location("late.csv", rows_before + 2, column)
    assert "`5`" in info.value.message and SECRET not in str(info.value)
