"""Several undated exports of a source roll up into a longer period (`kpiengine.undatedfiles`).

Monthly GA4 downloads without dates (January, February, March) make the first quarter; a file
over days of two months beside others is no month's, its KPIs undefined with a finding rather
than the run failing. Expected values are computed here from the fixture text with the csv
module, not by kpiengine.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli
from kpiengine.periods import DEFAULT
from kpiengine.undatedfiles import across, at_grain

TODAY = "2024-06-01"
MONTHS = {  # file -> (first day, last day, rows of channel, users, sessions)
    "m01.csv": ("20240101", "20240131", [("Direct", 400, 500), ("Email", 400, 500)]),
    "m02.csv": ("20240201", "20240229", [("Direct", 800, 1200), ("Email", 700, 800)]),
    "m03.csv": ("20240301", "20240331", [("Direct", 1000, 1700), ("Email", 950, 1300)]),
}
USERS_TOTAL = {"m01.csv": 750, "m02.csv": 1450, "m03.csv": 1900}  # deduplicated: not the sum


def _export(first: str, last: str, rows: list[tuple[str, int, int]], users: int) -> str:
    """A GA4 `Traffic acquisition` download without the Date dimension, as GA4 writes it."""
    body = "".join(f"{c},{u},{s}\n" for c, u, s in rows)
    sessions = sum(s for _, _, s in rows)
    return (
        "# ----------------------------------------\n"
        "# Traffic acquisition: Session default channel group\n"
        "# Account: Demo\n# Property: Demo - GA4\n"
        "# ----------------------------------------\n#\n# All Users\n"
        f"# Start date: {first}\n# End date: {last}\n"
        f"Session default channel group,Users,Sessions\n{body}Grand total,{users},{sessions}\n"
    )


def _workspace(write_workspace, files: dict[str, str], grain: str, folder: str = "ws"):
    root = write_workspace(
        {
            "mine": "kpis:\n  sess: {formula: sessions, unit: sessions}\n"
            "  users_kpi: {formula: visitors, unit: visitors}\n"
        },  # fmt: skip
        f"currency: USD\ngrain: {grain}\nsources:\n  ga:\n    connector: ga_export\n"
        "    path: exports/m*.csv\n",
        folder=folder,
    )
    (root / "exports").mkdir()
    for name, text in files.items():
        (root / "exports" / name).write_text(text, "utf-8")
    return root


def _files(*names: str) -> dict[str, str]:
    return {n: _export(*MONTHS[n], USERS_TOTAL[n]) for n in names}


def _sessions(files: dict[str, str]) -> float:
    """Sessions of the data rows (not the totals row), read with the csv module."""
    total = 0.0
    for text in files.values():
        lines = [line for line in text.splitlines() if not line.startswith("#")]
        for row in csv.DictReader(io.StringIO("\n".join(lines))):
            if row["Session default channel group"] != "Grand total":
                total += float(row["Sessions"])
    return total


def _run(root, *args: str) -> tuple[int, dict, str]:
    result = CliRunner().invoke(
        cli, [args[0], "--workspace", str(root), *args[1:]], env={"KPIENGINE_TODAY": TODAY}
    )
    rows = {}
    if args[0] == "eval" and result.exit_code in (0, 1):
        rows = {(r["kpi"], r["period"]): r for r in json.loads(result.stdout) if not r["segment"]}
    return result.exit_code, rows, result.output


@pytest.mark.parametrize("grain, period", [("quarter", "2024-Q1"), ("year", None)])
def test_three_monthly_exports_without_dates_make_the_quarter(write_workspace, grain, period):
    """Was: exit 2, "`m02.csv` covers 2024-02-01 to 2024-02-29 without dates, not exactly one
    quarter, beside `m01.csv`, dated by quarter", in eval and lint alike."""
    files = _files("m01.csv", "m02.csv", "m03.csv")
    root = _workspace(write_workspace, files, grain)
    code, rows, out = _run(root, "eval", "--format", "json")
    assert code in (0, 1), out
    expected = _sessions(files)
    assert expected == 6000
    # by year, Q1 is 2024 so far: alone, with no days to project, it is its range
    period = period or "2024-01-01/2024-03-31"
    assert rows[("sess", period)]["value"] == expected
    users = rows[("users_kpi", period)]
    assert users["value"] is None and "do not add up" in users["reason"]  # distinct counts
    code, _, out = _run(root, "lint")
    assert code in (0, 1), out


def test_two_monthly_exports_are_the_quarter_so_far(write_workspace):
    """January and February by quarter: the first quarter so far (60 of its 91 days), judged as
    one export over the same days is (alone: its range, complete, not projected)."""
    files = _files("m01.csv", "m02.csv")
    root = _workspace(write_workspace, files, "quarter")
    code, rows, out = _run(root, "eval", "--format", "json", "--kpi", "sess")
    assert code in (0, 1), out
    both = [("Direct", 900, 1700), ("Email", 800, 1300)]  # one export over the same days
    one = {"m01.csv": _export("20240101", "20240229", both, 1600)}
    assert _sessions(one) == _sessions(files)
    _, rows_one, _ = _run(
        _workspace(write_workspace, one, "quarter", "one"), "eval", "--format", "json",
        "--kpi", "sess",
    )  # fmt: skip
    assert _sessions(files) == 3000
    [(key, row)] = rows.items()
    assert key == ("sess", "2024-01-01/2024-02-29") and row["value"] == 3000
    [(key_one, one)] = rows_one.items()
    assert key_one == key and {k: one[k] for k in ("complete", "coverage", "projected")} == {
        k: row[k] for k in ("complete", "coverage", "projected")
    }


def test_monthly_exports_with_a_month_missing_leave_the_quarter_unknown(write_workspace):
    root = _workspace(write_workspace, _files("m01.csv", "m03.csv"), "quarter")
    code, rows, out = _run(root, "eval", "--format", "json", "--kpi", "sess")
    assert code in (0, 1), out
    assert rows[("sess", "2024-Q1")]["value"] is None
    assert "KPI017" in out and "2024-02-01 to 2024-02-29" in out


def test_an_export_across_two_months_beside_others_is_a_finding_not_a_failure(write_workspace):
    """15 January to 14 February beside March by month: no month holds the first file's rows;
    was exit 2 in eval and lint, now its KPIs are undefined with the reason."""
    files = _files("m03.csv")
    files["m01.csv"] = _export("20240115", "20240214", MONTHS["m01.csv"][2], 750)
    root = _workspace(write_workspace, files, "month")
    code, rows, out = _run(root, "eval", "--format", "json", "--kpi", "sess")
    assert code in (0, 1), out
    assert rows and all(r["value"] is None for r in rows.values())
    assert "2024-01-15 to 2024-02-14 without dates, not within one month" in out
    code, _, out = _run(root, "lint")
    assert code in (0, 1), out


def test_at_grain():
    d = dt.date
    jan, feb, mar = (d(2024, 1, 1), d(2024, 1, 31)), (d(2024, 2, 1), d(2024, 2, 29)), (
        d(2024, 3, 1), d(2024, 3, 31))  # fmt: skip
    assert at_grain([jan, feb, mar], "quarter", DEFAULT)  # each within the first quarter
    assert at_grain([feb, mar], "year", DEFAULT)
    assert not at_grain([feb], "quarter", DEFAULT)  # alone: a range period of its own
    assert at_grain([feb], "quarter", DEFAULT, others=True)  # beside dated files
    assert at_grain([jan], "quarter", DEFAULT)  # the quarter so far
    assert at_grain([jan, jan], "month", DEFAULT)  # a file per account
    mid = (d(2024, 1, 15), d(2024, 2, 14))
    assert not at_grain([mid, mar], "month", DEFAULT) and across([mar, mid], "month", DEFAULT) == 1
    assert at_grain([mid, mar], "quarter", DEFAULT)
    half = (d(2024, 1, 1), d(2024, 1, 15))  # overlapping ranges that differ: no period's
    assert not at_grain([half, jan, feb], "quarter", DEFAULT)
    assert not at_grain([jan, feb], "range", DEFAULT)


def _ads(title: str, cost: float) -> str:
    """A Google Ads campaign report without days over the range `title` states."""
    head = "Campaign,Currency code,Impr.,Clicks,Cost,Conversions"
    return (
        f'\ufeffCampaign report\n"{title}"\n{head}\nBrand,EUR,"10,000",500,{cost:.2f},25.00\n'
        f'Total: Account,EUR,"10,000",500,{cost:.2f},25.00\n'
    )


ADS_MONTHS = {
    "a01.csv": ("January 1, 2024 - January 31, 2024", 100.0),
    "a02.csv": ("February 1, 2024 - February 29, 2024", 200.0),
    "a03.csv": ("March 1, 2024 - March 31, 2024", 300.0),
}


def test_three_monthly_ads_reports_without_days_make_the_quarter(write_workspace):
    """The ads connector reads undated reports as ga_export does (`undatedfiles.at_grain`)."""
    root = write_workspace(
        {"d": "kpis:\n  spend: {formula: ad_spend, unit: currency}\n"},
        "currency: EUR\ngrain: quarter\nsources:\n  s:\n    connector: ads\n    path: 'a*.csv'\n",
    )
    for name, (title, cost) in ADS_MONTHS.items():
        (root / name).write_text(_ads(title, cost), "utf-8")
    code, rows, out = _run(root, "eval", "--format", "json")
    assert code in (0, 1), out
    assert rows[("spend", "2024-Q1")]["value"] == sum(c for _, c in ADS_MONTHS.values())
