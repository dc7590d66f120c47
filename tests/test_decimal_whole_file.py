"""A file's decimal mark is told by the cells of the whole file when its sample's cannot: a
file larger than its sniff (`HEAD_BYTES`) whose first rows hold only unmarked numbers (`100`
... `999`) and later grouped thousands (`1.000`, a German `;` export) reads `1.000` as 1000,
not 1.0; a cell means the same at line 10 as at line 20000; a decimal comma past the sample
tells the mark (no "expected a number" error); cells grouped both ways past the sample ask
for `decimal:` at the line of the cell. A sample that settles the mark reads nothing more.

Expected values are computed with Python's `csv` module from the rows written here.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import kpiengine
from kpiengine.errors import KpiError
from kpiengine.fileformats.encodings import HEAD_BYTES
from kpiengine.fileformats.tables import SAMPLE_ROWS, FileTable, open_tables
from kpiengine.filesource import decimal_of

DAYS = [f"2024-{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 29)]


def rows(count: int, value) -> list[list[str]]:
    """`count` rows of `Datum;Kanal;Umsatz` over the days of 2024, `value(i)` the amount."""
    return [[DAYS[i % len(DAYS)], "AB"[i % 2], value(i)] for i in range(count)]


def write(path: Path, body: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(["Datum", "Kanal", "Umsatz"])
        writer.writerows(body)
    return path


def by_month(path: Path, read) -> dict[str, float]:
    """Each month's total, the cells read by `read` (the csv module: the truth)."""
    totals: dict[str, float] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            month = row["Datum"][:7]
            totals[month] = totals.get(month, 0.0) + read(row["Umsatz"])
    return totals


def german(text: str) -> float:
    return float(text.replace(".", "").replace(",", "."))


def workspace(root: Path, connector: str = "csv") -> kpiengine.Workspace:
    (root / "definitions").mkdir(parents=True, exist_ok=True)
    (root / "definitions" / "k.yaml").write_text(
        "variables:\n  umsatz: {unit: currency, aggregate: sum}\n"
        "kpis:\n  rev: {title: Revenue, formula: umsatz, unit: currency, format: number}\n"
    )
    source = (
        "    connector: csv\n    path: data.csv\n"
        if connector == "csv"
        else "    connector: sql\n    url: 'duckdb://'\n    files: {t: data.csv}\n    table: t\n"
    )
    (root / "kpi.yaml").write_text(
        f"currency: EUR\nsources:\n  s:\n{source}    date: Datum\n    map: {{umsatz: Umsatz}}\n"
    )
    return kpiengine.load_workspace(root)


def evaluated(root: Path, connector: str = "csv") -> dict[str, float]:
    result = kpiengine.evaluate(workspace(root, connector), kpis=["rev"], grain="month")
    return {r["period"]: r["value"] for r in result.records() if r["value"] is not None}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-01")


def big_grouped(root: Path) -> Path:
    """17000 rows (over HEAD_BYTES): `100`..`999` first, then `1.000`.. grouped thousands."""
    root.mkdir(parents=True, exist_ok=True)
    body = rows(17000, lambda i: str(100 + i % 900) if i < 16000 else f"1.{i % 1000:03d}")
    path = write(root / "data.csv", body)
    assert path.stat().st_size > HEAD_BYTES
    return path


@pytest.mark.parametrize("connector", ["csv", "sql"])
def test_grouped_thousands_past_the_sample_are_thousands(tmp_path, connector):
    path = big_grouped(tmp_path)
    expected = by_month(path, german)
    got = evaluated(tmp_path, connector)
    assert set(got) == set(expected)
    for month, value in expected.items():
        assert got[month] == pytest.approx(value), month


def test_a_file_of_more_rows_than_the_sample_under_head_bytes(tmp_path):
    """The sniff reads the whole file, but only `SAMPLE_ROWS` rows are sampled (the repro:
    1800 rows of `100`..`999`, then `1.000`, 63.674 instead of 63674 a month)."""
    body = rows(3000, lambda i: str(100 + i % 900) if i < 2500 else f"1.{i % 1000:03d}")
    path = write(tmp_path / "data.csv", body)
    assert path.stat().st_size < HEAD_BYTES and len(body) > SAMPLE_ROWS
    expected = by_month(path, german)
    got = evaluated(tmp_path)
    for month, value in expected.items():
        assert got[month] == pytest.approx(value), month


@pytest.mark.parametrize("row", [9, 16009])
def test_a_cell_means_the_same_at_any_line(tmp_path, row):
    """`1.234` alone among `500`s, at data row 10 or at data row 16010: 1234 both times."""
    body = rows(17000, lambda i: "1.234" if i == row else "500")
    path = write(tmp_path / "data.csv", body)
    [table] = open_tables(path, "data.csv")
    assert decimal_of(table, ["Umsatz"]) == ","
    expected = by_month(path, german)
    month = body[row][0][:7]
    days = sum(r[0][:7] == month for r in body)
    assert expected[month] == 1234 + 500 * (days - 1)
    assert evaluated(tmp_path) == pytest.approx(expected)


def test_a_decimal_comma_past_the_sample_tells_the_mark(tmp_path):
    """A `;` EUR file of `10`s with one `12,5` far down: 12.5, no "expected a number"."""
    body = rows(17000, lambda i: "12,5" if i == 16500 else "10")
    path = write(tmp_path / "data.csv", body)
    expected = by_month(path, german)
    assert evaluated(tmp_path) == pytest.approx(expected)
    assert sorted(expected.values())[-1] % 10 == 2.5  # the month holding 12,5


def cell_at(path: Path, row: int) -> str:
    """`data.csv:line:column` of the amount of a data row (0-based)."""
    line = path.read_text("utf-8").splitlines()[row + 1]
    return f"data.csv:{row + 2}:{line.rindex(';') + 2}"


def test_cells_grouped_both_ways_past_the_sample_ask_for_decimal(tmp_path):
    body = rows(17000, lambda i: {16100: "1,234", 16200: "1.234"}.get(i, "700"))
    path = write(tmp_path / "data.csv", body)
    with pytest.raises(KpiError) as info:
        evaluated(tmp_path)
    said = str(info.value)
    assert said.startswith(f"{cell_at(path, 16200)}: `1.234` is not in the number "
                           "format of `1,234`")  # fmt: skip
    assert "decimal:" in said


def test_marks_mixed_past_the_sample_are_an_error_at_the_cell(tmp_path):
    body = rows(17000, lambda i: {16100: "12.5", 16300: "12,5"}.get(i, "700"))
    path = write(tmp_path / "data.csv", body)
    [table] = open_tables(path, "data.csv")
    with pytest.raises(KpiError) as info:
        decimal_of(table, ["Umsatz"])
    assert str(info.value).startswith(f"{cell_at(path, 16300)}: `12,5` is not in the "
                                      "number format of `12.5`")  # fmt: skip


def test_a_lone_cell_of_its_shape_among_many_is_read(tmp_path):
    """More distinct grouped cells than are read (`1.000`..`9.999`), and one decimal comma."""
    body = rows(30000, lambda i: "0" if i < 20000 else f"{1 + i % 9}.{i % 1000:03d}")
    body[25000][2] = "7,25"
    path = write(tmp_path / "data.csv", body)
    [table] = open_tables(path, "data.csv")
    assert decimal_of(table, ["Umsatz"], default=".") == ","


def test_a_sample_that_tells_the_mark_reads_nothing_more(tmp_path, monkeypatch):
    def no_scan(self, columns):
        raise AssertionError("the sample told the mark")

    monkeypatch.setattr(FileTable, "_marked", no_scan)
    path = write(tmp_path / "data.csv", rows(17000, lambda i: "12,50" if i == 5 else "1.500"))
    [table] = open_tables(path, "data.csv")
    assert not table.complete
    assert decimal_of(table, ["Umsatz"]) == ","
    assert decimal_of(table, ["Umsatz"], default=".") == ","
    path = write(tmp_path / "data.csv", rows(17000, lambda i: "12.50" if i == 5 else "1"))
    [table] = open_tables(path, "data.csv")
    assert decimal_of(table, ["Umsatz"], default=",") == "."


def test_the_whole_file_is_read_once(tmp_path, monkeypatch):
    calls = []
    marked = FileTable._marked

    def counted(self, columns):
        calls.append(columns)
        return marked(self, columns)

    monkeypatch.setattr(FileTable, "_marked", counted)
    big_grouped(tmp_path)
    evaluated(tmp_path)
    assert calls == [["Umsatz"]]


def test_an_ads_export_larger_than_its_sample(tmp_path):
    """The `ads` connector: costs `5` in the sampled rows, `"1.234"` (Euro thousands, as the
    German interface writes them) after them: 1234 each, as the cells grouped alike read."""
    from test_connector_ads import connector, fetch, table

    lines = ["Kampagnenbericht", '"1. Januar 2024 - 31. Dezember 2024"', "Tag,Kampagne,Kosten"]
    for i in range(16000):
        cost = "5" if i < 15000 else '"1.234"'
        lines.append(f"{DAYS[i % len(DAYS)]},Marke,{cost}")
    path = tmp_path / "ads.csv"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    assert path.stat().st_size > HEAD_BYTES
    expected: dict[tuple[str], float] = {}
    for row in csv.DictReader(lines[2:]):
        key = (row["Tag"][:7],)
        expected[key] = expected.get(key, 0.0) + german(row["Kosten"])
    got = table(fetch(connector(tmp_path, "ads.csv", currency="EUR"), "ad_spend"), "ad_spend")
    assert got == pytest.approx(expected)
