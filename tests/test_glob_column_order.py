"""The files of one glob source may write the same columns in another order, or spell a header
in another case (a report whose columns were moved between two downloads): every file is read
by its column names. Columns that really differ stay an error naming what differs.

Expected sums are worked out here with the csv module, file by file.
"""

import csv
import io
from collections import defaultdict
from pathlib import Path

import pytest
from test_connector_crm import connector as crm_connector
from test_connector_crm import nonzero, table

from kpiengine.connector import Request, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.model import Aggregate

SALES = [
    ["Record ID", "Deal Name", "Deal Stage", "Close Date", "Amount", "Pipeline", "Create Date"],
    ["101", "Acme", "Closed won", "2024-01-10 14:02", "1000", "Sales Pipeline", "2023-12-01"],
    ["102", "Beta", "Closed lost", "2024-01-20 08:15", "700", "Sales Pipeline", "2024-01-02"],
    ["106", "Zeta", "Closed won", "2024-02-14 10:30", "3000", "Sales Pipeline", "2024-02-01"],
]
RENEWALS = [  # the same columns moved, one header in lower case
    ["Create Date", "amount", "Deal Stage", "Pipeline", "Record ID", "Close Date", "Deal Name"],
    ["2024-01-05", "2000", "Closed won", "Renewals", "103", "2024-01-25 23:59", "Gamma"],
    ["2024-01-20", "500", "Closed won", "Renewals", "104", "2024-02-03 12:00", "Delta"],
    ["2024-02-02", "800", "Closed lost", "Renewals", "107", "2024-02-20 10:30", "Eta"],
]


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-04-15")


def write(path: Path, rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), "utf-8")
    return buffer.getvalue()


def by_month(texts, value, date, keep=lambda r: True):
    """Sums of column `value` by the month of column `date`, any header case, every file."""
    out = defaultdict(float)
    for text in texts:
        for row in csv.DictReader(io.StringIO(text)):
            row = {k.lower(): v for k, v in row.items()}
            if keep(row):
                out[row[date.lower()][:7]] += float(row[value.lower()])
    return dict(out)


def test_crm_files_with_their_columns_in_another_order(tmp_path):
    texts = [write(tmp_path / "deals_sales.csv", SALES),
             write(tmp_path / "deals_renewals.csv", RENEWALS)]  # fmt: skip
    conn = crm_connector("deals_*.csv", root=tmp_path, currency="EUR")
    got = table(conn, "revenue", "deals_lost")
    won = by_month(texts, "Amount", "Close Date", lambda r: r["deal stage"] == "Closed won")
    lost = by_month(texts, "Amount", "Close Date", lambda r: r["deal stage"] == "Closed lost")
    assert won == {"2024-01": 3000.0, "2024-02": 3500.0}  # by hand
    assert nonzero(got["revenue"]) == won
    assert nonzero(got["deals_lost"]) == {m: 1.0 for m in lost}


def csv_source(tmp_path, path):
    from kpiengine.connectors.csv_files import CsvConnector

    config = SourceConfig(
        name="spend",
        connector="csv",
        root=tmp_path,
        location=Location("kpi.yaml", 3, 5),
        options={"path": path},
        mappings={},
        variables=frozenset({"revenue", "cost"}),
    )
    return CsvConnector(config)


def test_csv_files_with_their_columns_in_another_order(tmp_path):
    """With a `Total` row each, checked against its own file's columns."""
    texts = [
        write(tmp_path / "d_1.csv", [["date", "channel", "revenue", "cost"],
                                     ["2024-01-05", "A", "10.5", "4"],
                                     ["2024-01-09", "B", "20", "5.25"],
                                     ["Total", "", "30.5", "9.25"]]),
        write(tmp_path / "d_2.csv", [["Cost", "Revenue", "Channel", "Date"],
                                     ["1", "7", "A", "2024-02-01"],
                                     ["2", "8.5", "B", "2024-02-03"],
                                     ["Total", "15.5", "", ""]]),
    ]  # fmt: skip
    conn = csv_source(tmp_path, "d_*.csv")
    frame = conn.fetch(Request({"revenue": Aggregate(), "cost": Aggregate()}, "month", []))
    months = [str(d)[:7] for d in frame.dates]
    data = [t.replace("Total", "") for t in texts]  # the totals rows are no data

    def want(column):
        return by_month(data, column, "date", lambda r: r["date"] != "")

    assert dict(zip(months, frame.values["revenue"].tolist(), strict=True)) == want("revenue")
    assert dict(zip(months, frame.values["cost"].tolist(), strict=True)) == want("cost")
    assert want("cost") == {"2024-01": 9.25, "2024-02": 3.0}  # by hand


def test_columns_that_differ_are_an_error_naming_them(tmp_path):
    write(tmp_path / "deals_sales.csv", SALES)
    renamed = [["Deal owner" if c == "Pipeline" else c for c in RENEWALS[0]], *RENEWALS[1:]]
    write(tmp_path / "deals_renewals.csv", renamed)
    with pytest.raises(KpiError) as info:
        crm_connector("deals_*.csv", root=tmp_path, currency="EUR")
    error = info.value
    assert error.location.file == "deals_sales.csv" and error.location.line == 1  # sorted second
    assert "deals_sales.csv: it has Pipeline besides; it lacks Deal owner" in error.message


ADS = {  # two monthly Google Ads downloads whose metric columns were moved
    "g_06.csv": ("1 June 2025 - 30 June 2025", ["Impr.", "Clicks", "Cost"],
                 [["30,000", "2,000", "1,000.00"], ["90,000", "3,000", "5,000.00"]]),
    "g_07.csv": ("1 July 2025 - 31 July 2025", ["Cost", "Clicks", "Impr."],
                 [["1,512.40", "2,904", "36,410"], ["5,201.77", "3,870", "98,220"]]),
}  # fmt: skip


def test_ads_files_with_their_columns_in_another_order_check_each_total(tmp_path, monkeypatch):
    from test_connector_ads import connector as ads_connector
    from test_connector_ads import fetch

    monkeypatch.setenv("KPIENGINE_TODAY", "2025-12-31")
    expected: dict[str, float] = {}
    for name, (span, metrics, rows) in ADS.items():
        totals = [f"{sum(float(r[k].replace(',', '')) for r in rows):,.2f}" for k in range(3)]
        lines = [["Campaign report"], [span], ["Campaign", "Currency code", *metrics]]
        lines += [[f"C{i}", "EUR", *r] for i, r in enumerate(rows)]
        lines.append(["Total: Account", "EUR", *totals])  # each file's own order
        write(tmp_path / name, lines)
        cost = metrics.index("Cost")
        expected[name[2:4]] = sum(float(r[cost].replace(",", "")) for r in rows)
    frame = fetch(ads_connector(tmp_path, "g_*.csv", currency="EUR"), "ad_spend")
    got = defaultdict(float)
    for day, value in zip(frame.dates, frame.values["ad_spend"], strict=True):
        got[str(day)[5:7]] += value
    assert dict(got) == pytest.approx(expected)
