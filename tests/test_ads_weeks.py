"""The `ads` connector on rows that cover more than a day: Google Ads reports segmented by Week
or Month (the row dated by the period's first day, cut to the report's range), evaluated at a
grain that holds them (exact), that does not (no period counts them: their KPIs are undefined
with the first such row's place and the fix, the other sources stand), or by day (no daily
values: a partial period is left unprojected).

Expected values are computed here from the file texts with the csv module, not by the reader.
"""

import datetime as dt
import json
from collections import defaultdict

import numpy as np
import pytest
from click.testing import CliRunner
from test_ads_exports import line_of, number, rows_of
from test_connector_ads import connector

from kpiengine.connector import NoDailyValues, Request
from kpiengine.errors import WARNING, KpiError
from kpiengine.model import Aggregate
from kpiengine.periods import Calendar

# A weekly campaign report as the Google Ads UI downloads it: the report's name, its date range
# (1 January 2024 is a Monday), the header, one row per week and campaign, the totals.
HEADER = "Week,Campaign,Campaign type,Currency code,Impr.,Clicks,Cost,Conversions\r\n"
ROWS = (
    '2024-01-01,Brand - Exact,Search,USD,"6,105",127,"498.00",1.39\r\n'
    '2024-01-01,PMax - All Products,Performance Max,USD,"14,255",324,"149.19",5.66\r\n'
    '2024-01-08,Brand - Exact,Search,USD,"15,704",309,"289.05",1.69\r\n'
    '2024-01-08,PMax - All Products,Performance Max,USD,"7,651",85,"319.17",5.41\r\n'
    '2024-01-15,Brand - Exact,Search,USD,"1,768",339,"183.61",2.79\r\n'
    '2024-01-15,PMax - All Products,Performance Max,USD,"11,079",348,"1,139.34",5.62\r\n'
    '2024-01-22,Brand - Exact,Search,USD,"7,299",75,"1,172.46",1.37\r\n'
    '2024-01-22,PMax - All Products,Performance Max,USD,"14,865",118,"375.95",2.15\r\n'
    '2024-01-29,Brand - Exact,Search,USD,"2,729",342,"397.84",7.53\r\n'
    '2024-01-29,PMax - All Products,Performance Max,USD,"3,761",102,"714.66",6.11\r\n'
)
FEBRUARY_ROWS = (
    '2024-02-05,Brand - Exact,Search,USD,"6,901",99,"675.38",1.50\r\n'
    '2024-02-05,PMax - All Products,Performance Max,USD,"1,776",366,"278.91",6.44\r\n'
    '2024-02-12,Brand - Exact,Search,USD,"7,805",210,"580.10",8.39\r\n'
    '2024-02-12,PMax - All Products,Performance Max,USD,"6,724",203,"328.17",2.44\r\n'
    '2024-02-19,Brand - Exact,Search,USD,"13,576",174,"134.95",3.40\r\n'
    '2024-02-19,PMax - All Products,Performance Max,USD,"8,911",225,"886.16",3.30\r\n'
)
WEEKLY = (
    'Campaign report\r\n"January 1, 2024 - February 25, 2024"\r\n'
    + HEADER
    + ROWS
    + FEBRUARY_ROWS
    + 'Total: Account,--,--,USD,"130,909","3,446","8,122.94",65.19\r\n'
    + 'Total: Search,--,--,USD,"61,887","1,675","3,931.39",28.06\r\n'
    + 'Total: Performance Max,--,--,USD,"69,022","1,771","4,191.55",37.13\r\n'
    + 'Total: Campaigns,--,--,USD,"130,909","3,446","8,122.94",65.19\r\n'
)
#: January alone: its last week's row holds 29 to 31 January only (Google counts the range's
#: days), so every row lies in January.
JANUARY = 'Campaign report\r\n"January 1, 2024 - January 31, 2024"\r\n' + HEADER + ROWS
CROSSING = ("2024-01-29 to 2024-02-04", "partly in 2024-01 and partly in 2024-02")
PLACE = "w.csv:12:1"  # the first row of the week of 29 January (`line_of` checks it)
ALL = ("impressions", "clicks", "ad_spend", "conversions")
COLUMN = {
    "impressions": "Impr.",
    "clicks": "Clicks",
    "ad_spend": "Cost",
    "conversions": "Conversions",
}


def fetch(conn, *variables, grain="month", start=None, end=None, calendar=None):
    request = Request({v: Aggregate() for v in variables}, grain, [], start, end)
    if calendar is not None:
        request.calendar = calendar
    return conn.fetch(request)


def by_week(text, column, header="Week"):
    """{week's first day: sum of the column}, from the file's text."""
    out = defaultdict(float)
    for row in rows_of(text, header):
        out[row[header]] += number(row[column], ".")
    return dict(out)


def got(frame, variable):
    """{date: value} of a Frame (rows of one date added up)."""
    out = defaultdict(float)
    for day, value in zip(frame.dates.astype(str), frame.values[variable], strict=True):
        out[day] += float(value)
    return dict(out)


# --- grains that hold every week --------------------------------------------------------------


@pytest.mark.parametrize("variable", ALL)
def test_a_weekly_report_by_week_is_exact(tmp_path, variable):
    """The `Week` column is the date (no `columns:` needed): each week as the file sums it."""
    (tmp_path / "w.csv").write_text(WEEKLY, "utf-8")
    frame = fetch(connector(tmp_path, "w.csv"), variable, grain="week")
    expected = by_week(WEEKLY, COLUMN[variable])
    assert len(expected) == 8
    assert got(frame, variable) == pytest.approx(expected)
    assert frame.covered() == (dt.date(2024, 1, 1), dt.date(2024, 2, 25))


def test_weeks_inside_one_quarter_or_one_month_are_counted_in_it(tmp_path):
    (tmp_path / "w.csv").write_text(WEEKLY, "utf-8")
    rows = rows_of(WEEKLY, "Week")
    frame = fetch(connector(tmp_path, "w.csv"), "ad_spend", "clicks", grain="quarter")
    assert got(frame, "ad_spend") == pytest.approx(
        {"2024-01-01": sum(number(r["Cost"], ".") for r in rows)}
    )
    assert got(frame, "clicks") == {"2024-01-01": sum(number(r["Clicks"], ".") for r in rows)}
    # January's report: its last week holds 29-31 January, so January holds every row
    (tmp_path / "j.csv").write_text(JANUARY, "utf-8")
    frame = fetch(connector(tmp_path, "j.csv"), "ad_spend")
    january = sum(number(r["Cost"], ".") for r in rows_of(JANUARY, "Week"))
    assert got(frame, "ad_spend") == pytest.approx({"2024-01-01": january})
    assert january == pytest.approx(5239.27)  # by hand: the ten rows' costs
    assert frame.covered() == (dt.date(2024, 1, 1), dt.date(2024, 1, 31)) and not frame.missing
    # the totals rows are checked against the rows, not counted: an edited row is caught
    (tmp_path / "w.csv").write_text(WEEKLY.replace('"1,139.34"', '"1,193.34"'), "utf-8")
    with pytest.raises(KpiError, match="add up to"):
        fetch(connector(tmp_path, "w.csv"), "ad_spend", grain="week")


# --- a grain that cannot hold a week ----------------------------------------------------------


def test_a_week_across_two_months_leaves_the_source_undated_by_month(tmp_path):
    """The week of 29 January has 4 of its 7 days in February: no month can count it, so
    no month gets a value from this source (never January with February's spend), and
    each variable says why: the row's place, its days, and the fix."""
    (tmp_path / "w.csv").write_text(WEEKLY, "utf-8")
    frame = fetch(connector(tmp_path, "w.csv"), *ALL)
    assert set(frame.values) == set(ALL) and set(frame.missing) == set(ALL)
    assert all(np.isnan(frame.values[v]).all() for v in ALL)
    assert frame.span == (dt.date(2024, 1, 1), dt.date(2024, 2, 25))
    why = frame.missing["ad_spend"]
    line = line_of(WEEKLY, "2024-01-29")
    assert f"w.csv:{line}:1" in why and all(part in why for part in CROSSING)
    assert "segmented by Day" in why and "`--grain week`" in why
    # dates asked from 1 February: the week starting on 29 January still has days there
    frame = fetch(connector(tmp_path, "w.csv"), "ad_spend", start=dt.date(2024, 2, 1))
    assert (
        np.isnan(frame.values["ad_spend"]).all() and f"w.csv:{line}:1" in frame.missing["ad_spend"]
    )


def test_weeks_of_another_week_start_are_not_weeks_of_the_workspace(tmp_path):
    """Google's weeks run Monday to Sunday: a workspace whose weeks start on Sunday cannot
    count them by week (and `--grain week` is then no fix)."""
    (tmp_path / "w.csv").write_text(WEEKLY, "utf-8")
    sunday = Calendar(week_start="sunday")
    frame = fetch(connector(tmp_path, "w.csv"), "clicks", grain="week", calendar=sunday)
    why = frame.missing["clicks"]
    assert np.isnan(frame.values["clicks"]).all()
    assert f"w.csv:{line_of(WEEKLY, '2024-01-01')}:1" in why
    assert "2024-01-01 to 2024-01-07" in why and "--grain" not in why


def test_by_day_a_week_row_has_no_daily_values(tmp_path):
    (tmp_path / "w.csv").write_text(WEEKLY, "utf-8")
    with pytest.raises(
        NoDailyValues, match=r"\(2024-01-01 to 2024-01-07\), more than one day"
    ) as info:
        fetch(connector(tmp_path, "w.csv"), "ad_spend", grain="day")
    assert info.value.location.line == line_of(WEEKLY, "2024-01-01")
    assert info.value.location.file == "w.csv" and "segmented by Day" in info.value.fix


def test_month_rows_by_week_and_by_quarter(tmp_path):
    text = (
        'Campaign report\r\n"January 1, 2024 - March 31, 2024"\r\nMonth,Campaign,Cost\r\n'
        "2024-01-01,Brand,310.00\r\n2024-02-01,Brand,290.00\r\n2024-03-01,Brand,310.00\r\n"
    )
    (tmp_path / "m.csv").write_text(text, "utf-8")
    frame = fetch(connector(tmp_path, "m.csv"), "ad_spend", grain="quarter")
    assert got(frame, "ad_spend") == {"2024-01-01": 310.0 + 290.0 + 310.0}
    frame = fetch(connector(tmp_path, "m.csv"), "ad_spend", grain="week")
    why = frame.missing["ad_spend"]
    assert np.isnan(frame.values["ad_spend"]).all()
    assert "m.csv:4:1" in why and "the month of `2024-01-01` (2024-01-01 to 2024-01-31)" in why
    assert "partly in 2024-W01 and partly in 2024-W05" in why


def test_a_german_weekly_report(tmp_path):
    """`Woche` and `29.01.2024`, mapped with `columns:`: the same rule."""
    text = (
        "Kampagnenbericht\r\n1. Januar 2024 - 11. Februar 2024\r\n"
        "Woche,Kampagne,Kosten\r\n"
        '22.01.2024,Marke,"1.172,46"\r\n29.01.2024,Marke,"397,84"\r\n'
        '05.02.2024,Marke,"675,38"\r\n'
    )
    (tmp_path / "de.csv").write_text(text, "utf-8")
    columns = {"date": "Woche", "campaign": "Kampagne", "cost": "Kosten"}
    conn = connector(tmp_path, "de.csv", platform="google_ads", columns=columns)
    frame = fetch(conn, "ad_spend", grain="week")
    assert got(frame, "ad_spend") == {
        "2024-01-22": 1172.46,
        "2024-01-29": 397.84,
        "2024-02-05": 675.38,
    }
    why = fetch(conn, "ad_spend").missing["ad_spend"]
    assert "de.csv:5:1" in why and "the week of `29.01.2024` (2024-01-29 to 2024-02-04)" in why


def test_an_api_export_of_weeks_covers_its_last_week_whole(tmp_path):
    """No title lines: each row holds its whole week (Monday to Sunday)."""
    text = (
        "segments.week,campaign.name,metrics.clicks,metrics.cost_micros\n"
        "2024-03-18,Brand,40,20000000\n2024-03-25,Brand,60,30000000\n"
    )
    (tmp_path / "api.csv").write_text(text, "utf-8")
    frame = fetch(connector(tmp_path, "api.csv"), "ad_spend", grain="week")
    assert got(frame, "ad_spend") == {"2024-03-18": 20.0, "2024-03-25": 30.0}
    assert frame.covered() == (dt.date(2024, 3, 18), dt.date(2024, 3, 31))
    frame = fetch(connector(tmp_path, "api.csv"), "ad_spend", grain="month")
    assert got(frame, "ad_spend") == {"2024-03-01": 50.0}  # both weeks end in March
    (tmp_path / "api.csv").write_text(text + "2024-04-01,Brand,10,5000000\n2024-04-29,Brand,1,1\n")
    why = fetch(connector(tmp_path, "api.csv"), "ad_spend").missing["ad_spend"]
    assert "api.csv:5:1" in why and "2024-04-29 to 2024-05-05" in why


# --- the engine and the command line ----------------------------------------------------------

DEFINITIONS = (
    "kpis:\n"
    "  w_spend: {formula: ad_spend, unit: currency, direction: lower}\n"
    "  w_clicks: {formula: clicks, unit: clicks, direction: higher}\n"
    "  w_revenue: {formula: revenue, unit: currency, direction: higher}\n"
)


def workspace(tmp_path, with_revenue=True):
    """The weekly report, and (beside it) daily revenue from a CSV source."""
    root = tmp_path / "ws"
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "w.yaml").write_text(DEFINITIONS)
    (root / "w.csv").write_text(WEEKLY, "utf-8")
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(60)]  # to 29 February
    (root / "revenue.csv").write_text(
        "date,revenue\n" + "".join(f"{d},{d.day}\n" for d in days), "utf-8"
    )
    kpis = "[w_spend, w_clicks, w_revenue]" if with_revenue else "[w_spend, w_clicks]"
    sources = "  ads: {connector: ads, path: w.csv}\n"
    if with_revenue:
        sources += "  shop: {connector: csv, path: revenue.csv}\n"
    (root / "kpi.yaml").write_text(f"currency: USD\nkpis: {kpis}\nsources:\n{sources}")
    return root


def records(results):
    return {(r["kpi"], r["period"]): r["value"] for r in results.records() if not r["segment"]}


def reasons(findings):
    """The findings that name the crossing row, by severity."""
    return [f.severity for f in findings if PLACE in f.message and CROSSING[0] in f.message]


def test_by_month_the_ads_kpis_are_undefined_with_a_finding_and_the_others_stand(tmp_path):
    import kpiengine
    from kpiengine.engine import Engine

    assert f"w.csv:{line_of(WEEKLY, '2024-01-29')}:1" == PLACE  # where `reasons` looks
    ws = kpiengine.load_workspace(workspace(tmp_path))
    results = Engine(ws).evaluate(grain="month")
    values = records(results)
    assert values["w_spend", "2024-01"] is None and values["w_clicks", "2024-01"] is None
    assert values["w_revenue", "2024-01"] == sum(range(1, 32))  # 1 + 2 + ... + 31
    assert reasons(results.findings) == [WARNING]
    report = Engine(ws).lint(True)
    assert reasons(report.findings) == [WARNING]
    assert not [f for f in report.findings if f.severity == "error"]
    # by week: each week as the file sums it
    weekly = records(Engine(ws).evaluate(grain="week"))
    for day, cost in by_week(WEEKLY, "Cost").items():
        year, week, _ = dt.date.fromisoformat(day).isocalendar()
        assert weekly["w_spend", f"{year}-W{week:02d}"] == pytest.approx(cost)
    assert not reasons(Engine(ws).evaluate(grain="week").findings)


def test_a_weekly_report_alone_by_month_is_a_finding_not_a_failure(tmp_path):
    import kpiengine
    from kpiengine.engine import Engine

    ws = kpiengine.load_workspace(workspace(tmp_path, with_revenue=False))
    results = Engine(ws).evaluate(grain="month")
    assert set(records(results).values()) == {None}
    assert reasons(results.findings) == [WARNING]
    assert reasons(Engine(ws).lint(True).findings) == [WARNING]


@pytest.mark.parametrize("with_revenue", [True, False])
def test_kpi_eval_and_lint_by_month_exit_without_error(tmp_path, with_revenue):
    """Exit 0 (a warning), never 2 (a user error) nor a traceback; by week too."""
    from kpiengine.cli import cli

    root = str(workspace(tmp_path, with_revenue))
    for args in (["eval", "--grain", "month"], ["lint"], ["eval", "--grain", "week"]):
        result = CliRunner().invoke(cli, [*args, "--workspace", root])
        assert result.exception is None or isinstance(result.exception, SystemExit), args
        assert result.exit_code == 0, (args, result.output)
        if args[-1] != "week":
            assert PLACE in result.output and CROSSING[1] in result.output
    result = CliRunner().invoke(
        cli, ["eval", "--grain", "week", "--kpi", "w_spend", "--format", "json", "-w", root]
    )
    assert result.exit_code == 0
    shown = {r["period"]: r["value"] for r in json.loads(result.stdout)}
    assert shown["2024-W08"] == pytest.approx(by_week(WEEKLY, "Cost")["2024-02-19"])
    assert shown["2024-W08"] == pytest.approx(134.95 + 886.16)  # by hand: its two rows
