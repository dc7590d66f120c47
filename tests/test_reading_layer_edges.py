"""Reading-layer edges: the amounts' currency in the decimal-mark decision (three-decimal
currencies), exports without data rows, files mixing line endings, headers and rows ending in a
delimiter. Expected values are computed here by hand or with the csv module, not by kpiengine.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

import kpiengine
from kpiengine.connector import Mapping, Request, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.fileformats.sniff import sniff
from kpiengine.model import Aggregate

VARIABLES = frozenset(
    {"revenue", "cost", "ad_spend", "ad_revenue", "impressions", "clicks", "sessions"}
)
KPI_YAML = Location("kpi.yaml", 3, 5)


def config(root: Path, kind: str, path: str, currency=None, mappings=None, **options):
    return SourceConfig(
        name="s",
        connector=kind,
        root=root,
        location=KPI_YAML,
        options={"path": path, **options},
        mappings=mappings or {},
        currency=currency,
        variables=VARIABLES,
    )


def csv_source(root, text, currency=None, column="Revenue", name="d.csv", **options):
    from kpiengine.connectors.csv_files import CsvConnector

    path = root / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    mapping = {"revenue": Mapping("revenue", Location("kpi.yaml", 6, 7), column=column)}
    return CsvConnector(config(root, "csv", name, currency, mapping, date="Date", **options))


def ads_source(root, text, currency=None, name="ads.csv", **options):
    from kpiengine.connectors.ads import AdsConnector

    (root / name).write_bytes(text.encode("utf-8"))
    return AdsConnector(config(root, "ads", name, currency, **options))


def ga_source(root, text, name="ga.csv"):
    from kpiengine.connectors.ga_export import GaExportConnector

    (root / name).write_text(text, "utf-8")
    return GaExportConnector(config(root, "ga_export", name))


def monthly(conn, variable):
    """{month: value} of a fetch by month."""
    frame = conn.fetch(Request({variable: Aggregate()}, "month", []))
    out: dict[str, float] = {}
    for day, value in zip(frame.dates.astype(str), frame.values[variable], strict=True):
        out[day[:7]] = out.get(day[:7], 0.0) + float(value)
    return out


# --- 1. the amounts' currency reaches the decimal mark --------------------------------------

KWD_REVENUE = "Date,Channel,Revenue\n2024-01-10,Web,1.250\n2024-01-11,Shop,2.500\n"


def test_csv_amounts_in_the_workspace_three_decimal_currency_ask_for_decimal(tmp_path):
    with pytest.raises(KpiError) as info:
        monthly(csv_source(tmp_path, KWD_REVENUE, "KWD"), "revenue")
    said = str(info.value)
    # line 2, the cell after `2024-01-10,Web,` (15 characters)
    assert said.startswith("d.csv:2:16: `1.250` is not a number whose decimal mark the cells")
    assert "KWD amounts have three decimals" in said
    assert "`decimal:`" in (info.value.fix or "")
    told = csv_source(tmp_path, KWD_REVENUE, "KWD", decimal=".")
    assert monthly(told, "revenue") == {"2024-01": pytest.approx(1.25 + 2.5)}
    # two-decimal currencies (and none) keep the thousands rule: 1250 + 2500
    assert monthly(csv_source(tmp_path, KWD_REVENUE, "USD"), "revenue") == {"2024-01": 3750.0}
    assert monthly(csv_source(tmp_path, KWD_REVENUE, None), "revenue") == {"2024-01": 3750.0}


def test_a_mapping_currency_with_three_decimals_asks_too(tmp_path):
    from kpiengine.connectors.csv_files import CsvConnector

    (tmp_path / "d.csv").write_text(KWD_REVENUE, "utf-8")
    mapping = Mapping("revenue", Location("kpi.yaml", 6, 7), column="Revenue", currency="BHD")
    conn = CsvConnector(config(tmp_path, "csv", "d.csv", None, {"revenue": mapping}, date="Date"))
    with pytest.raises(KpiError, match="BHD amounts have three decimals"):
        monthly(conn, "revenue")


def _sql_workspace(root: Path, currency: str, decimal: str = "") -> kpiengine.Workspace:
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "t.yaml").write_text(
        "variables:\n  x: {unit: currency, aggregate: sum}\n"
        "kpis:\n  xk: {title: X, formula: x, unit: currency, format: number}\n"
    )
    (root / "d.csv").write_text(KWD_REVENUE, "utf-8")
    (root / "kpi.yaml").write_text(
        f"currency: {currency}\nsources:\n  s:\n    connector: sql\n    url: 'duckdb://'\n"
        "    files: {t: d.csv}\n    table: t\n    date: Date\n    map: {x: {column: Revenue}}\n"
        + (f"    decimal: '{decimal}'\n" if decimal else "")
    )
    return kpiengine.load_workspace(root)


def test_sql_files_take_the_workspace_currency(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-01")
    with pytest.raises(KpiError, match=r"^d\.csv:2:16: `1\.250` .*KWD amounts have three"):
        kpiengine.evaluate(_sql_workspace(tmp_path / "ask", "KWD"), kpis=["xk"], grain="month")
    for currency, decimal, expected in (("KWD", ".", 3.75), ("USD", "", 3750.0)):
        ws = _sql_workspace(tmp_path / f"{currency}{decimal}", currency, decimal)
        records = kpiengine.evaluate(ws, kpis=["xk"], grain="month").records()
        [record] = [r for r in records if r["period"] == "2024-01"]
        assert record["value"] == pytest.approx(expected)


ADS_KWD = (
    "Campaign report\r\n"
    '"1 February 2026 - 6 February 2026"\r\n'
    "Day,Campaign,Currency code,Impr.,Clicks,Cost\r\n"
    '"Mon, 2 Feb 2026",Brand,KWD,120,9,1.250\r\n'
    '"Tue, 3 Feb 2026",Brand,KWD,130,9,2.500\r\n'
)


def test_ads_amounts_in_the_account_currency_ask_for_decimal(tmp_path):
    """The account's currency column says KWD: no workspace currency is needed."""
    with pytest.raises(KpiError) as info:
        monthly(ads_source(tmp_path, ADS_KWD), "ad_spend")
    assert str(info.value).startswith("ads.csv:4:35: `1.250` is not a number whose decimal")
    assert "KWD amounts have three decimals" in str(info.value)
    told = ads_source(tmp_path, ADS_KWD, "KWD", decimal=".")
    assert monthly(told, "ad_spend") == {"2026-02": pytest.approx(3.75)}
    usd = ads_source(tmp_path, ADS_KWD.replace("KWD", "USD"), "USD")
    assert monthly(usd, "ad_spend") == {"2026-02": 3750.0}


def test_ads_counts_are_not_amounts(tmp_path):
    """`1.500` impressions in a KWD account are a count: whole, so 1500, and no question."""
    text = ADS_KWD.replace(",120,9,1.250", ",1.500,9,12").replace(",130,9,2.500", ",130,9,13")
    conn = ads_source(tmp_path, text, "KWD")
    assert monthly(conn, "impressions") == {"2026-02": 1500.0 + 130.0}
    assert monthly(conn, "ad_spend") == {"2026-02": 25.0}


# --- 2. exports without data rows ----------------------------------------------------------

NO_ROWS = "no data rows under the header"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("Date,Channel,Revenue\n", 1),
        ("Date,Channel,Revenue\r\n", 1),
        ("Report Time: 1/1/2024 - 1/31/2024\nDate,Channel,Revenue\n", 2),
        ("Date,Channel,Revenue\n,,\n,,\n", 1),  # Excel's empty rows
    ],
)
def test_a_csv_export_without_rows_names_the_file(tmp_path, text, line):
    with pytest.raises(KpiError) as info:
        monthly(csv_source(tmp_path, text, "USD"), "revenue")
    assert str(info.value).startswith(f"d.csv:{line}:1: {NO_ROWS}: the export is empty")
    assert "path:" in (info.value.fix or "")


def test_a_file_without_rows_beside_files_with_rows_adds_nothing(tmp_path):
    (tmp_path / "a.csv").write_text("Date,Revenue\n", "utf-8")
    (tmp_path / "b.csv").write_text("Date,Revenue\n2024-01-10,5\n2024-02-03,7\n", "utf-8")
    from kpiengine.connectors.csv_files import CsvConnector

    mapping = {"revenue": Mapping("revenue", KPI_YAML, column="Revenue")}
    conn = CsvConnector(config(tmp_path, "csv", "*.csv", None, mapping, date="Date"))
    assert monthly(conn, "revenue") == {"2024-01": 5.0, "2024-02": 7.0}


ADS_TOP = 'Campaign report\r\n"1 February 2026 - 6 February 2026"\r\n'


@pytest.mark.parametrize(
    ("body", "totals"),
    [
        ("Day,Campaign,Currency code,Impr.,Clicks,Cost\r\n", ""),
        ("Day,Campaign,Currency code,Impr.,Clicks,Cost\r\nTotal: Campaigns,,,0,0,0.00\r\n", 1),
        ("Campaign,Currency code,Impr.,Clicks,Cost\r\n", ""),  # a report without days
    ],
)
def test_an_ads_export_without_rows_names_the_file(tmp_path, body, totals):
    with pytest.raises(KpiError) as info:
        monthly(ads_source(tmp_path, ADS_TOP + body, "EUR"), "ad_spend")
    expected = f"ads.csv:3:1: {NO_ROWS}{', only totals rows' if totals else ''}: the export"
    assert str(info.value).startswith(expected)


GA_TOP = """\
# ----------------------------------------
# Traffic acquisition: Session default channel group
# Property: demo.example - GA4
# ----------------------------------------
#
# All Users
# Start date: 20240601
# End date: 20240603
"""


@pytest.mark.parametrize(
    "body",
    [
        "Date,Session default channel group,Users,Sessions\n",
        "Session default channel group,Users,Sessions\n",
        "Date,Session default channel group,Users,Sessions\nGrand total,,0,0\n",
    ],
)
def test_a_ga_export_without_rows_names_the_file(tmp_path, body):
    with pytest.raises(KpiError) as info:
        monthly(ga_source(tmp_path, GA_TOP + body), "sessions")
    assert str(info.value).startswith(f"ga.csv:9:1: {NO_ROWS}")


# --- 3. line endings -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "line", "column", "ending", "before"),
    [
        (b"Date,Revenue\r\n2024-01-10,5\r\n2024-01-11,6\n2024-02-01,7\n", 3, 13, "LF", "CRLF"),
        (b"Date,Revenue\n2024-01-10,5\n2024-01-11,6\r\n2024-02-01,7\r\n", 3, 13, "CRLF", "LF"),
        # the preamble's lines end otherwise than the rows': DuckDB read no row at all
        (b"Report\nRange\nDate,Revenue\r\n2024-01-10,5\r\n", 3, 13, "CRLF", "LF"),
        (b"Date,Revenue\r\n2024-01-10,5\r2024-02-01,7\r\n", 2, 13, "CR", "CRLF"),
    ],
)
def test_mixed_line_endings_are_an_error_at_the_line(tmp_path, data, line, column, ending, before):
    with pytest.raises(KpiError) as info:
        monthly(csv_source(tmp_path, data, column="Revenue"), "revenue")
    said = str(info.value)
    assert said.startswith(f"d.csv:{line}:{column}: the line ends with {ending} ")
    assert f"the lines before it end with {before} " in said and "mixes line endings" in said


def test_mixed_line_endings_past_the_sniffed_start_are_found(tmp_path):
    rows = [f"2024-01-{1 + i % 28:02d},{i}" for i in range(40000)]  # ~600 KB: past the sample
    data = ("Date,Revenue\r\n" + "".join(r + "\r\n" for r in rows) + "2024-02-01,7\n").encode()
    with pytest.raises(KpiError) as info:
        monthly(csv_source(tmp_path, data), "revenue")
    assert str(info.value).startswith(f"d.csv:{len(rows) + 2}:13: the line ends with LF ")


def test_line_breaks_inside_quoted_fields_may_differ(tmp_path):
    """Excel writes rows ending in CRLF and line breaks inside cells as LF."""
    data = b'Date,Note,Revenue\r\n2024-01-10,"two\nlines",5\r\n2024-02-01,x,7\r\n'
    expected = {}
    for row in csv.DictReader(io.StringIO(data.decode(), newline="")):
        expected[row["Date"][:7]] = expected.get(row["Date"][:7], 0.0) + float(row["Revenue"])
    assert (
        monthly(csv_source(tmp_path, data), "revenue")
        == expected
        == {
            "2024-01": 5.0,
            "2024-02": 7.0,
        }
    )


# --- 4. headers and rows ending in a delimiter -----------------------------------------------


def _expected(text: str) -> dict[str, float]:
    """Revenue by month, read with the csv module (an empty trailing field ignored)."""
    rows = list(csv.reader(io.StringIO(text)))
    header = [h for h in rows[0] if h]
    index = header.index("Revenue")
    out: dict[str, float] = {}
    for row in rows[1:]:
        out[row[0][:7]] = out.get(row[0][:7], 0.0) + float(row[index])
    return out


@pytest.mark.parametrize(
    "text",
    [
        "Date,Channel,Revenue,\n2024-01-10,a,5,\n2024-01-11,b,6,\n2024-02-01,a,7,\n",
        "Date,Channel,Revenue,\n2024-01-10,a,5,\n2024-01-11,b,6\n2024-02-01,a,7,\n",
        # the rows end in a delimiter, the header does not: the header is still line 1
        "Date,Channel,Revenue\n2024-01-10,a,5,\n2024-01-11,b,6,\n2024-02-01,a,7,\n",
    ],
)
def test_trailing_delimiters_read_as_written(tmp_path, text):
    assert monthly(csv_source(tmp_path, text), "revenue") == _expected(text)
    assert _expected(text) == {"2024-01": 11.0, "2024-02": 7.0}


def test_ragged_rows_under_a_header_ending_in_a_delimiter_count_its_fields(tmp_path):
    header = b"Date,Channel,Revenue,\n2024-01-10,a,5,\n"
    (tmp_path / "w.csv").write_bytes(header + b"2024-01-11,b,6,x\n")
    with pytest.raises(KpiError) as info:
        sniff(tmp_path / "w.csv", name="w.csv")
    assert info.value.location == Location("w.csv", 3, 16)
    assert info.value.message == (
        "`x` is in field 4, which the header (line 1) leaves unnamed: it names 3 columns, "
        "then ends with 1 empty field"
    )
    (tmp_path / "w.csv").write_bytes(header + b"2024-01-11,b,6,,\n")
    with pytest.raises(KpiError) as info:
        sniff(tmp_path / "w.csv", name="w.csv")
    # the header line has 4 fields (3 names and an empty one); the row 5
    assert info.value.message == (
        "the row has 5 fields but the header (line 1) has 4: an empty field is beyond the "
        "last column"
    )
    (tmp_path / "w.csv").write_bytes(header + b"2024-01-11,b\n")
    with pytest.raises(KpiError) as info:
        sniff(tmp_path / "w.csv", name="w.csv")
    assert info.value.message == "the row has 2 fields but the header (line 1) names 3 columns"
