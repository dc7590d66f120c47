"""Subtotal rows in a `csv` source: `Total` (or another totals label) in a dimension column beside
the rows it totals is left out of every sum, with or without `--by`, found in the sampled rows
or, for a dimension grouped by, anywhere in the file; subtotals that disagree with their rows
are a KPI016 warning at the first one. Expected sums come from the csv module."""

from __future__ import annotations

import csv
import io

import pytest

import kpiengine

DEFS = """\
variables:
  clicks: {unit: clicks}
  impressions: {unit: impressions}
  visits: {unit: sessions}
kpis:
  clicks_kpi: {formula: clicks, unit: clicks}
  impressions_kpi: {formula: impressions, unit: impressions}
  visits_kpi: {formula: visits, unit: sessions}
"""
SOURCE = """\
grain: month
sources:
  ads:
    connector: csv
    path: ads.csv
    date: Date
    dimensions: {channel: Channel}
    map:
      clicks: Clicks
      impressions: Impressions
      visits: {count: true}
"""
CHANNELS = ("Search", "Social", "Email")


def _rows(days: int, total: str = "Total", off: int = 0) -> list[list[str]]:
    rows = []
    for d in range(1, days + 1):
        date = f"2024-{1 + (d - 1) // 28:02d}-{1 + (d - 1) % 28:02d}"
        day = [[date, c, f"{d * (k + 1)}", f"{1000 + d + k:,}"] for k, c in enumerate(CHANNELS)]
        clicks = sum(int(r[2]) for r in day) + (off if d == days else 0)
        shown = sum(int(r[3].replace(",", "")) for r in day)
        rows += [*day, [date, total, str(clicks), f"{shown:,}"]]
    return rows


def _write(root, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(
        [["Date", "Channel", "Clicks", "Impressions"], *rows]
    )
    (root / "ads.csv").write_text(out.getvalue(), encoding="utf-8", newline="")


def _expected(root, column: str, by_month: bool = True) -> dict[tuple[str, str], float]:
    """Sums by month (and channel) of the rows that are not subtotals, read with csv."""
    out: dict[tuple[str, str], float] = {}
    with (root / "ads.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["Channel"] in CHANNELS:
                value = 1.0 if column == "visits" else float(row[column].replace(",", ""))
                for key in ((row["Date"][:7], ""), (row["Date"][:7], row["Channel"])):
                    out[key] = out.get(key, 0.0) + value
    return out


def _values(root, kpi: str, by: list[str] | None = None):
    ws = kpiengine.load_workspace(root)
    results = kpiengine.evaluate(ws, grain="month", by=by or [], kpis=[kpi])
    values = {(r["period"], r["segment"].get("channel", "")): r["value"] for r in results.records()}
    return values, [f for f in results.findings if f.code == "KPI016"]


@pytest.fixture
def root(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-12-31")
    return write_workspace({"d": DEFS}, SOURCE)


@pytest.mark.parametrize("by", [None, ["channel"]])
def test_subtotal_rows_are_left_out_with_or_without_by(root, by):
    _write(root, _rows(40))
    for kpi, column in (("clicks_kpi", "Clicks"), ("impressions_kpi", "Impressions"),
                        ("visits_kpi", "visits")):  # fmt: skip
        values, warnings = _values(root, kpi, by)
        expected = _expected(root, column)
        wanted = {k: v for k, v in expected.items() if by or not k[1]}
        assert values == pytest.approx(wanted), kpi
        assert warnings == []  # the subtotals agree; a row count has none to compare
    assert "Total" not in {k[1] for k in _values(root, "clicks_kpi", ["channel"])[0]}


def test_subtotals_that_disagree_are_a_warning_at_the_first(root):
    _write(root, _rows(10, total="Gesamt", off=7))
    values, warnings = _values(root, "clicks_kpi")
    assert values == pytest.approx({k: v for k, v in _expected(root, "Clicks").items() if not k[1]})
    [warning] = warnings
    line = 1 + len(_rows(10))  # the 10th's `Gesamt` row, the last: the day that differs
    assert str(warning.location) == f"ads.csv:{line}:12"
    assert "`clicks`" in warning.message and "Channel" in warning.message
    # the day whose subtotal is off, with that day's sums (the month's agree on every other day)
    clicks = sum(int(r[2]) for r in _rows(10) if r[1] in CHANNELS and r[0] == "2024-01-10")
    assert "on 2024-01-10: the subtotal rows" in warning.message
    assert f"add up to {clicks + 7:,}, the rows they total to {clicks:,}" in warning.message


def test_the_warning_is_at_the_first_subtotal_row_of_the_day_that_differs(root):
    rows = _rows(3)
    rows[-1][2] = str(int(rows[-1][2]) + 2)  # the 3rd's subtotal, 2 too many
    _write(root, rows)
    [warning] = _values(root, "clicks_kpi")[1]
    assert "on 2024-01-03" in warning.message
    line = 1 + len(rows)  # the last row; the header is line 1
    assert str(warning.location) == f"ads.csv:{line}:12"


@pytest.mark.parametrize("grain", ["day", "week", "month"])
def test_a_months_subtotal_on_its_last_day_agrees_at_any_grain(root, grain):
    """Daily rows, and one `Total` row per month dated on its last day: no day differs."""
    rows = [[f"2024-{m:02d}-{d:02d}", c, str(d + k), "1"]
            for m in (1, 2) for d in range(1, 29) for k, c in enumerate(CHANNELS)]  # fmt: skip
    for m in (1, 2):
        month = sum(int(r[2]) for r in rows if r[0].startswith(f"2024-{m:02d}"))
        rows.append([f"2024-{m:02d}-28", "Total", str(month), "84"])
    _write(root, sorted(rows, key=lambda r: (r[0], r[1] == "Total")))
    ws = kpiengine.load_workspace(root)
    results = kpiengine.evaluate(ws, grain=grain, kpis=["clicks_kpi"])
    assert [f for f in results.findings if f.code == "KPI016"] == []
    total = sum(
        r["value"] for r in results.records() if r["value"] is not None and not r["segment"]
    )
    assert total == sum(int(r[2]) for r in rows if r[1] in CHANNELS)


def test_subtotals_on_some_days_only_agree_with_their_days(root):
    """Only the 3rd carries a subtotal: the month's other rows are no part of it (no warning)."""
    rows = [r for r in _rows(10) if r[1] in CHANNELS or r[0] == "2024-01-03"]
    _write(root, rows)
    values, warnings = _values(root, "clicks_kpi")
    assert warnings == []
    assert values[("2024-01", "")] == sum(int(r[2]) for r in rows if r[1] in CHANNELS)


def test_a_subtotal_row_past_the_sample_inside_the_first_256_kib(root):
    """A small file's 2,100th row is read for totals labels: 2,000 rows are not 256 KiB."""
    rows = [[f"2024-01-{1 + d % 28:02d}", CHANNELS[d % 3], "1", "1"] for d in range(2100)]
    rows.append(["2024-01-28", "Total", "75", "75"])  # the 28th's 75 rows (by hand below)
    _write(root, rows)
    assert len((root / "ads.csv").read_bytes()) < 256 * 1024
    values, warnings = _values(root, "clicks_kpi")
    assert values[("2024-01", "")] == 2100 and warnings == []
    assert sum(1 for r in rows if r[0] == "2024-01-28" and r[1] in CHANNELS) == 75


@pytest.mark.parametrize("by", [["channel"], None], ids=["grouped", "not-grouped"])
def test_subtotal_rows_beyond_the_first_256_kib_in_a_dimension(root, by):
    padding = [[f"2024-0{m}-15", c, "0", "0"] for m in (1, 2) for c in CHANNELS] * 2500
    # sorted by channel, the `Total` rows come last, past the sampled first 256 KiB
    rows = sorted([*_rows(300), *padding], key=lambda r: (r[1] == "Total", r[1], r[0]))
    _write(root, rows)
    first_total = (root / "ads.csv").read_bytes().index(b",Total,")
    assert first_total > 300_000
    values, warnings = _values(root, "clicks_kpi", by)
    expected = _expected(root, "Clicks")
    assert values == pytest.approx({k: v for k, v in expected.items() if by or not k[1]})
    assert warnings == []


def test_a_label_column_not_declared_as_a_dimension(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-12-31")
    source = SOURCE.replace("    dimensions: {channel: Channel}\n", "")
    root = write_workspace({"d": DEFS}, source)
    _write(root, _rows(20))
    values, warnings = _values(root, "clicks_kpi")
    assert values == pytest.approx({k: v for k, v in _expected(root, "Clicks").items() if not k[1]})
    assert warnings == []
