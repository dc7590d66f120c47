"""A source of several downloads, each stating its range, without one for the days between
them (a July download forgotten): those days are unknown, not days without activity. The periods,
quarters and windows holding them are unknown for the source's variables, KPI017 names the
source, the days and the files on either side (in `kpi eval` and `kpi lint` alike); the other
periods add up as before. Expected sums are read back from the files with the csv module."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from kpiengine.cli import cli
from kpiengine.monthgaps import holes

TODAY = "2026-12-07"
DEFS = {
    "ads": "kpis:\n  spend: {title: Spend, formula: ad_spend, unit: currency, format: currency}\n",
    "ga_export": "kpis:\n  sess: {title: Sessions, formula: sessions, unit: sessions}\n",
}
HEADER = "Day,Campaign,Currency code,Impr.,Clicks,Cost,Conversions"


def _google(title: str, rows: list[tuple[str, float]]) -> str:
    """A Google Ads campaign report by day over the range `title` states, its total row last."""
    lines = ["\ufeffCampaign report", f'"{title}"', HEADER]
    lines += [f"{day},Brand,EUR,100,10,{cost:.2f},1.00" for day, cost in rows]
    n, cost = len(rows), sum(c for _, c in rows)
    lines.append(f"Total: Account,--,EUR,{100 * n},{10 * n},{cost:.2f},{n:.2f}")
    return "\n".join(lines) + "\n"


def _undated(title: str, cost: float) -> str:
    """A Google Ads campaign report without days over the range `title` states."""
    head = "Campaign,Currency code,Impr.,Clicks,Cost,Conversions"
    return (
        f'\ufeffCampaign report\n"{title}"\n{head}\nBrand,EUR,"10,000",500,{cost:.2f},25.00\n'
        f'Total: Account,EUR,"10,000",500,{cost:.2f},25.00\n'
    )


def _ga(start: str, end: str, rows: list[tuple[str, int]], dated: bool = True) -> str:
    """A GA4 traffic acquisition download by day over `# Start date:` to `# End date:`."""
    lines = [
        "\ufeff# ----------------------------------------",
        "# Traffic acquisition: Session primary channel group (Default Channel Group)",
        "# Account: Demo",
        "# Property: demo - GA4",
        "# ----------------------------------------",
        "#",
        "# All Users",
        f"# Start date: {start}",
        f"# End date: {end}",
        "Date,Session primary channel group (Default Channel Group),Sessions",
        f"Grand total,,{sum(s for _, s in rows)}",
    ]
    lines += [f"{day},Direct,{sessions}" for day, sessions in rows]
    if not dated:  # no Date dimension: each row covers the whole range
        total = sum(s for _, s in rows)
        channel = "Session primary channel group (Default Channel Group)"
        lines[9:] = [f"{channel},Sessions", f"Direct,{total}", f"Grand total,{total}"]
    return "\n".join(lines) + "\n"


def _workspace(tmp_path: Path, files: dict[str, str], connector: str, pattern: str) -> Path:
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "d.yaml").write_text(DEFS[connector], "utf-8")
    kpi = f"currency: EUR\nsources:\n  s:\n    connector: {connector}\n    path: '{pattern}'\n"
    (tmp_path / "kpi.yaml").write_text(kpi, "utf-8")
    for name, text in files.items():
        (tmp_path / name).write_text(text, "utf-8")
    return tmp_path


def _run(root: Path, command: str, *args: str) -> tuple[int, dict, str]:
    out = CliRunner().invoke(cli, [command, "-w", str(root), "--format", "json", *args])
    if out.exit_code == 2 or command == "lint":
        return out.exit_code, {}, out.output
    records = json.loads(out.stdout)
    rows = {(r["kpi"], r["period"]): r for r in records if not r["segment"]}
    return out.exit_code, rows, out.stderr


def _cost(text: str) -> float:
    """The cost of a Google Ads report's rows (not its total), read with the csv module."""
    reader = csv.DictReader(io.StringIO(text.split("\n", 2)[2]))
    return sum(float(r["Cost"]) for r in reader if not r["Day"].startswith("Total"))


JUNE = _google("June 1, 2025 - June 30, 2025", [("2025-06-02", 10.0), ("2025-06-28", 20.5)])
AUGUST = _google("August 1, 2025 - August 31, 2025", [("2025-08-04", 7.25), ("2025-08-30", 3.0)])


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", TODAY)


def test_daily_downloads_without_july_leave_july_unknown(tmp_path):
    root = _workspace(tmp_path, {"ads_6.csv": JUNE, "ads_8.csv": AUGUST}, "ads", "ads_*.csv")
    code, got, stderr = _run(root, "eval", "--grain", "month", "--kpi", "spend")
    assert code in (0, 1)
    assert got[("spend", "2025-06")]["value"] == _cost(JUNE) == 30.5
    assert got[("spend", "2025-08")]["value"] == _cost(AUGUST) == 10.25
    july = got[("spend", "2025-07")]
    assert july["value"] is None and "ad_spend" in july["reason"]  # was 0.0, complete
    assert "KPI017" in stderr and "2025-07-01 to 2025-07-31" in stderr
    assert "`ads_6.csv`" in stderr and "`ads_8.csv`" in stderr
    _, quarters, _ = _run(root, "eval", "--grain", "quarter", "--kpi", "spend")
    assert quarters[("spend", "2025-Q3")]["value"] is None
    _, ytd, _ = _run(root, "eval", "--grain", "month", "--kpi", "spend", "--window", "ytd")
    assert ytd[("spend", "2025-08")]["value"] is None  # over July
    code, _, out = _run(root, "lint")
    finding = next(f for f in json.loads(out)["findings"] if f["code"] == "KPI017")
    assert code != 2 and "2025-07-01 to 2025-07-31" in finding["message"]
    assert "`s`" in finding["message"] and "`ads_6.csv`" in finding["message"]


def test_contiguous_downloads_have_no_gap(tmp_path):
    july = _google("July 1, 2025 - July 31, 2025", [("2025-07-15", 4.0)])
    files = {"ads_6.csv": JUNE, "ads_7.csv": july, "ads_8.csv": AUGUST}
    root = _workspace(tmp_path, files, "ads", "ads_*.csv")
    _, got, stderr = _run(root, "eval", "--grain", "quarter", "--kpi", "spend")
    assert got[("spend", "2025-Q3")]["value"] == 4.0 + 10.25
    assert "KPI017" not in stderr


def test_undated_reports_of_days_inside_a_month(tmp_path):
    """June 1-10 and June 21-30: not the whole of June (was 200 against a 300 target); by month,
    each file lies in June, and June is unknown for the days between them."""
    files = {
        "ads_a.csv": _undated("June 1, 2025 - June 10, 2025", 100),
        "ads_b.csv": _undated("June 21, 2025 - June 30, 2025", 100),
    }
    root = _workspace(tmp_path, files, "ads", "ads_*.csv")
    code, got, stderr = _run(root, "eval", "--kpi", "spend")
    assert code in (0, 1) and got[("spend", "2025-06")]["value"] is None, stderr
    assert "KPI017" in stderr and "2025-06-11 to 2025-06-20" in stderr
    code, _, out = _run(root, "lint")
    assert code in (0, 1) and "2025-06-11 to 2025-06-20" in out, out
    _, got, stderr = _run(root, "eval", "--grain", "day", "--kpi", "spend")
    assert got and all(r["value"] is None for r in got.values())
    assert "KPI017" in stderr and "2025-06-11 to 2025-06-20" in stderr


def test_undated_reports_a_month_apart(tmp_path):
    files = {
        "ads_a.csv": _undated("June 1, 2025 - June 30, 2025", 100),
        "ads_b.csv": _undated("August 1, 2025 - August 31, 2025", 50),
    }
    root = _workspace(tmp_path, files, "ads", "ads_*.csv")
    _, got, stderr = _run(root, "eval", "--grain", "month", "--kpi", "spend")
    assert got[("spend", "2025-06")]["value"] == 100
    assert got[("spend", "2025-07")]["value"] is None
    assert got[("spend", "2025-08")]["value"] == 50
    assert "KPI017" in stderr


def test_a_month_beside_a_later_range_leaves_the_days_between_unknown(tmp_path):
    """June 1-30 and July 8-31: June is June's file; July, without July 1-7, is unknown, by
    month as by day, in `ads` as in `ga_export`."""
    ads = {
        "ads_a.csv": _undated("June 1, 2025 - June 30, 2025", 100),
        "ads_b.csv": _undated("July 8, 2025 - July 31, 2025", 50),
    }
    june = _ga("20250601", "20250630", [("20250605", 10)], dated=False)
    ga = {"ga_6.csv": june, "ga_7.csv": june.replace("20250601", "20250708")
          .replace("20250630", "20250731").replace("20250605", "20250709")}  # fmt: skip
    for folder, files, connector, kpi in (
        ("a", ads, "ads", "spend"),
        ("g", ga, "ga_export", "sess"),
    ):
        (tmp_path / folder).mkdir()
        root = _workspace(tmp_path / folder, files, connector, "*.csv")
        code, got, stderr = _run(root, "eval", "--grain", "month", "--kpi", kpi)
        assert code in (0, 1) and got[(kpi, "2025-06")]["value"] == (100 if folder == "a" else 10)
        assert got[(kpi, "2025-07")]["value"] is None, folder
        assert "KPI017" in stderr and "2025-07-01 to 2025-07-07" in stderr, folder
        code, _, out = _run(root, "lint")
        assert code in (0, 1) and "2025-07-01 to 2025-07-07" in out, (folder, out)
        _, got, stderr = _run(root, "eval", "--grain", "day", "--kpi", kpi)
        assert all(r["value"] is None for r in got.values()), folder
        assert "KPI017" in stderr and "2025-07-01 to 2025-07-07" in stderr, folder


def test_ga_daily_downloads_without_july(tmp_path):
    files = {
        "ga_6.csv": _ga("20250601", "20250630", [("20250601", 100), ("20250620", 50)]),
        "ga_8.csv": _ga("20250801", "20250831", [("20250802", 30)]),
    }
    root = _workspace(tmp_path, files, "ga_export", "ga_*.csv")
    _, got, stderr = _run(root, "eval", "--grain", "month", "--kpi", "sess")
    assert got[("sess", "2025-06")]["value"] == 150
    assert got[("sess", "2025-07")]["value"] is None  # was 0
    assert got[("sess", "2025-08")]["value"] == 30
    assert "KPI017" in stderr and "`ga_6.csv`" in stderr and "`ga_8.csv`" in stderr


def test_holes_between_files():
    d = dt.date
    files = [
        ("b", (d(2025, 8, 1), d(2025, 8, 31)), True),
        ("a", (d(2025, 6, 1), d(2025, 6, 30)), True),
        ("c", (d(2025, 6, 15), d(2025, 7, 2)), True),
        ("none", None, False),
    ]
    assert holes(files) == [(d(2025, 7, 3), d(2025, 7, 31), "c", "b")]
    joined = [
        ("a", (d(2025, 6, 1), d(2025, 6, 30)), True),
        ("b", (d(2025, 7, 1), d(2025, 7, 9)), True),
    ]
    assert holes(joined) == []
    # a file without a stated range covers its rows' days, and maybe days without activity after
    unstated = [
        ("a", (d(2025, 6, 3), d(2025, 6, 27)), False),
        ("b", (d(2025, 7, 2), d(2025, 7, 30)), False),
    ]
    assert holes(unstated) == []
    assert holes([(n, s, n == "a") for n, s, _ in unstated]) == []


def test_monthly_api_exports_without_stated_ranges_leave_no_hole(tmp_path):
    """Google Ads API pulls by month (no title line): June's last spend on the 27th and July's
    first on the 2nd are days without activity between them, not days no file covers."""
    head = "segments.date,campaign.name,customer.currency_code,metrics.impressions,"
    head += "metrics.clicks,metrics.cost_micros,metrics.conversions"
    june = f"{head}\n2024-06-03,Brand,EUR,100,10,5000000,1\n2024-06-27,Brand,EUR,100,10,7000000,1\n"
    july = f"{head}\n2024-07-02,Brand,EUR,100,10,3000000,1\n2024-07-30,Brand,EUR,100,10,4000000,1\n"
    root = _workspace(tmp_path, {"api_06.csv": june, "api_07.csv": july}, "ads", "api_*.csv")
    code, got, stderr = _run(root, "eval", "--grain", "month", "--kpi", "spend", "--to", "2024-07")
    assert code in (0, 1) and "KPI017" not in stderr
    assert got[("spend", "2024-06")]["value"] == (5000000 + 7000000) / 1e6


def test_a_hole_in_a_monthly_source_without_missing_months_is_reported():
    """Monthly rows of every month, but days between the files no file covers (1-20 January
    and February): the hole's month is unknown and KPI017 names the days, whether or not a
    whole month is missing too."""
    from kpiengine.errors import Location
    from kpiengine.model import Aggregate
    from kpiengine.monthgaps import blank_gaps
    from kpiengine.periods import ordinal_of
    from kpiengine.table import Frame, InputTable

    months = np.array(["2025-01-01", "2025-02-01"], dtype="datetime64[D]")
    hole = (dt.date(2025, 1, 21), dt.date(2025, 1, 31), "a.csv", "b.csv")
    frame = Frame(months, values={"x": np.array([1.0, 2.0])}, date_grain="month", holes=[hole])
    table = InputTable("month", ordinal_of(dt.date(2025, 1, 1), "month"),
                       {"x": np.array([[1.0], [2.0]])}, [{}])  # fmt: skip
    where, sums = Location("kpi.yaml"), {"x": Aggregate()}
    found = blank_gaps(table, frame, None, None, "s", where, sums)  # no month to ask for again
    assert [f.code for f in found] == ["KPI017"]
    assert "2025-01-21 to 2025-01-31" in found[0].message
    assert np.isnan(table.values["x"][0, 0]) and table.values["x"][1, 0] == 2.0
