"""Decimal commas left unquoted in a comma-delimited file (`2024-01-05,A,1,5` under
`date,channel,revenue`) make the rows wider than their header: the header is still the line of
names above them, and the first wider row is the error, at its extra field, with the advice
to quote such fields (not "no date column (columns: 2024-01-05, A, 1, 5)", nor a short row
measured against a data row taken as the header). Exports whose header has a preamble above
it sniff as before.

Expected lines and columns are counted by hand from the texts written here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import kpiengine
from kpiengine.errors import KpiError
from kpiengine.fileformats.encodings import HEAD_BYTES
from kpiengine.fileformats.sniff import sniff

QUOTE = "quote a field that holds `,`"


def sniffed_error(tmp_path: Path, text: str) -> KpiError:
    (tmp_path / "data.csv").write_text(text, "utf-8")
    with pytest.raises(KpiError) as info:
        sniff(tmp_path / "data.csv", name="data.csv")
    return info.value


def test_rows_wider_than_the_header_by_decimal_commas(tmp_path):
    said = sniffed_error(
        tmp_path, "date,channel,revenue\n2024-01-05,A,1,5\n2024-01-06,B,2,5\n2024-01-07,A,3,5\n"
    )
    # `2024-01-05,A,1,5`: the fourth field, `5`, starts at character 16
    assert str(said).startswith(
        "data.csv:2:16: the row has 4 fields but the header (line 1) has 3: `5` is beyond the "
        "last column"
    )
    assert QUOTE in (said.fix or "")


def test_a_short_row_among_rows_widened_by_decimal_commas(tmp_path):
    """Before: `the row has 2 fields but the header (line 2) has 3` at the short row."""
    said = sniffed_error(tmp_path, "date,revenue\n2024-01-05,1,5\n2024-01-06,7\n2024-01-07,2,5\n")
    assert str(said).startswith(
        "data.csv:2:14: the row has 3 fields but the header (line 1) has 2: `5` is beyond"
    )
    assert QUOTE in (said.fix or "")


def test_a_row_of_the_header_width_before_the_wider_ones(tmp_path):
    rows = "".join(f"2024-01-{d:02d},A,{d},5\n" for d in range(2, 20))
    said = sniffed_error(tmp_path, f"date,channel,revenue\n2024-01-01,A,100\n{rows}")
    assert str(said).startswith("data.csv:3:16: the row has 4 fields but the header (line 1)")


def test_through_the_csv_connector(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-01")
    (tmp_path / "data.csv").write_text("date,channel,revenue\n2024-01-05,A,1,5\n", "utf-8")
    (tmp_path / "kpi.yaml").write_text(
        "currency: EUR\nsources:\n  s: {connector: csv, path: data.csv}\n"
    )
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "d.yaml").write_text(
        "kpis:\n  rev: {formula: revenue, unit: currency}\n"
    )
    with pytest.raises(KpiError) as info:
        kpiengine.evaluate(kpiengine.load_workspace(tmp_path), kpis=["rev"], grain="month")
    assert str(info.value).startswith("data.csv:2:16: the row has 4 fields but the header (line 1)")
    # quoted, the same cells read: 1.5 + 2.5 by hand
    (tmp_path / "data.csv").write_text(
        'date,channel,revenue\n2024-01-05,A,"1,5"\n2024-01-06,B,"2,5"\n', "utf-8"
    )
    result = kpiengine.evaluate(kpiengine.load_workspace(tmp_path), kpis=["rev"], grain="month")
    [value] = [r["value"] for r in result.records() if r["period"] == "2024-01"]
    assert value == pytest.approx(4.0)


def test_a_file_larger_than_the_sample(tmp_path):
    """Every row of the sniffed start widened: the header is still line 1."""
    rows = [f"2024-{1 + i % 12:02d}-{1 + i % 28:02d},Channel {i % 7},{i % 90},{i % 10}\n"
            for i in range(20000)]  # fmt: skip
    text = "date,channel,revenue\n" + "".join(rows)
    assert len(text) > HEAD_BYTES
    said = sniffed_error(tmp_path, text)
    column = rows[0].rindex(",") + 2
    assert str(said).startswith(
        f"data.csv:2:{column}: the row has 4 fields but the header (line 1)"
    )


@pytest.mark.parametrize(
    ("text", "line", "columns"),
    [
        # a title and a range, then the header (Google Ads)
        (
            'Campaign report\n"July 1, 2025 - July 31, 2025"\nDay,Campaign,Cost\n'
            "2025-07-01,Brand,5.00\n",
            3,
            ["Day", "Campaign", "Cost"],
        ),
        # `key,value` lines of two names above a header of names
        (
            "Report,Campaign performance\nAccount,Acme\nDate,Campaign,Clicks,Cost\n"
            "2025-07-01,Brand,10,5.00\n",
            3,
            ["Date", "Campaign", "Clicks", "Cost"],
        ),
        # months as columns: the header has dates but no number
        ("Report,Monthly\nCampaign,2024-01,2024-02\nBrand,10,20\n", 2, None),
        # a plain file
        ("date,revenue\n2024-01-05,1.5\n", 1, ["date", "revenue"]),
        # no header of names above the rows: the first row stays the header
        ("2024-01-05,A,1,5\n2024-01-06,B,2,5\n", 1, None),
    ],
)
def test_exports_with_a_preamble_sniff_as_before(tmp_path, text, line, columns):
    (tmp_path / "data.csv").write_text(text, "utf-8")
    found = sniff(tmp_path / "data.csv", name="data.csv")
    assert found.header_line == line
    if columns is not None:
        assert found.columns == columns
