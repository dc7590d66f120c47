"""Ad reports without days over part of a period, as `ga_export` reads a GA download: a range
that is one period of the grain, whole or from its first day on (1 to 15 January: the month so
far, partial), is that period; any other (8 to 31 July) is one `range` period labelled by its
dates, its targets prorated. And Microsoft's `Potential Incomplete Data: true`.

Was: a Google Ads report of 1 to 15 January beside daily data was refused by month (KPI013:
"which no month holds") while GA's was the month so far; a Meta export without a time
breakdown over 8 to 31 July was July, complete, against the whole month's target; Microsoft's
flag was read and ignored (December complete while its last days could still change).

Expected values are computed here from the file texts with the csv module, and by hand.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from click.testing import CliRunner
from test_ads_microsoft import rows_of, text_of
from test_connector_ads import FIXTURES, connector, fetch, table

import kpiengine
from kpiengine.cli import cli
from kpiengine.engine import Engine
from kpiengine.fileformats.encodings import HEAD_BYTES
from kpiengine.periods import DEFAULT
from kpiengine.rowdates import periods_so_far

GOOGLE_MTD = "google_ads_campaigns_month_to_date.csv"  # 1 to 15 January 2026
META_JULY_8 = "meta_ads_no_breakdown_july_8.csv"  # 8 to 31 July 2025, no time breakdown
MS_DAILY = "microsoft_ads_api_campaigns_daily_incomplete.csv"  # December 2025, flagged
MS_SUMMARY = "microsoft_ads_api_campaigns_summary_incomplete.csv"  # December 2025, flagged
MONTH_TARGET = 3100.0
GA4 = (
    "\ufeff# ----------------------------------------\n"
    "# Traffic acquisition: Session default channel group\n"
    "# Account: Acme\n"
    "# Property: acme - GA4\n"
    "# ----------------------------------------\n"
    "#\n"
    "# All Users\n"
    "# Start date: 20260101\n"
    "# End date: 20260115\n"
    "Session default channel group,Users,Sessions,Engaged sessions,Views\n"
    'Grand total,"9,000","15,500","9,900","40,000"\n'
    'Direct,"5,000","10,000","6,600","30,000"\n'
    'Paid Search,"4,000","5,500","3,300","10,000"\n'
)
DEFINITIONS = (
    "variables:\n"
    "  orders: {unit: orders}\n"
    "kpis:\n"
    "  clk: {formula: clicks, unit: clicks}\n"
    "  spend: {formula: ad_spend, unit: currency}\n"
    "  cpo: {formula: ad_spend / orders, unit: currency / orders}\n"
    "  ctr_site: {formula: clicks / sessions, unit: clicks / sessions}\n"
)


def number(cell: str) -> float:
    return float(cell.replace(",", ""))


def google_rows(text: str) -> list[dict]:
    """The campaign rows of a Google Ads UI report: after the title and range lines, `Total:`
    rows left out."""
    lines = text.lstrip("\ufeff").splitlines()[2:]
    return [
        r for r in csv.DictReader(io.StringIO("\n".join(lines))) if r["Campaign"][:6] != "Total:"
    ]


def meta_rows(text: str) -> list[dict]:
    """A Meta export's rows, the summary row (no campaign name) left out."""
    return [r for r in csv.DictReader(io.StringIO(text)) if r["Campaign name"]]


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]


def orders(day: dt.date) -> int:
    return 10 + day.day


def workspace(tmp_path, files: dict[str, str], sources: str, targets: str = "", currency="EUR"):
    """A workspace of `files` (their texts, written as UTF-8 bytes: line ends kept)."""
    root = tmp_path / "ws"
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "d.yaml").write_text(DEFINITIONS, "utf-8")
    for name, text in files.items():
        (root / name).write_bytes(text.encode("utf-8"))
    (root / "kpi.yaml").write_text(
        f"currency: {currency}\nsources:\n{sources}" + (f"targets:\n{targets}" if targets else ""),
        "utf-8",
    )
    return root


def shop(first: dt.date, last: dt.date) -> str:
    return "date,orders\n" + "".join(f"{d},{orders(d)}\n" for d in days(first, last))


def evaluate(root, grain: str, kpis: list[str]):
    results = Engine(kpiengine.load_workspace(root)).evaluate(grain=grain, kpis=kpis)
    got: dict[str, dict[str, dict]] = {}
    for r in results.records():
        if not r["segment"]:
            got.setdefault(r["period"], {})[r["kpi"]] = r
    return got, results.findings


# --- 1. a Google Ads report of the month so far ----------------------------------------------


def test_a_month_to_date_report_is_the_month_so_far_at_the_connector():
    rows = google_rows((FIXTURES / GOOGLE_MTD).read_text("utf-8-sig"))
    conn = connector(FIXTURES, GOOGLE_MTD, currency="EUR")
    frame = fetch(conn, "ad_spend", "clicks")
    assert frame.grain == "month" and frame.dates.astype(str).tolist() == ["2026-01-01"]
    assert frame.span == (dt.date(2026, 1, 1), dt.date(2026, 1, 15))
    assert frame.values["clicks"].tolist() == [sum(number(r["Clicks"]) for r in rows)]  # 3,387
    assert frame.values["ad_spend"].tolist() == pytest.approx(
        [sum(number(r["Cost"]) for r in rows)]
    )
    # January so far is the first quarter and the year so far too; no week starts on 1 January 2026
    assert fetch(conn, "clicks", grain="quarter").grain == "quarter"
    assert fetch(conn, "clicks", grain="year").grain == "year"
    assert fetch(conn, "clicks", grain="week").grain == "range"


def test_a_month_to_date_report_beside_daily_data_is_january_so_far(tmp_path, monkeypatch):
    """The repro: by month, the ads source was left out of January (KPI013) and the cost per
    order undefined; it is January so far, partial, judged against the target to date."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-01-16")
    sources = "  shop: {connector: csv, path: shop.csv}\n  ads: {connector: ads, path: ads.csv}\n"
    text = (FIXTURES / GOOGLE_MTD).read_text("utf-8-sig")
    root = workspace(
        tmp_path,
        {"shop.csv": shop(dt.date(2025, 12, 1), dt.date(2026, 1, 15)), "ads.csv": text},
        sources,
        "  clk: 3100\n",
    )
    rows = google_rows(text)
    cost, clicks = sum(number(r["Cost"]) for r in rows), sum(number(r["Clicks"]) for r in rows)
    january_orders = sum(orders(d) for d in days(dt.date(2026, 1, 1), dt.date(2026, 1, 15)))
    assert (cost, clicks, january_orders) == (pytest.approx(3357.08), 3387, 270)
    got, findings = evaluate(root, "month", ["clk", "cpo"])
    january = got["2026-01"]
    assert january["clk"]["value"] == clicks and january["clk"]["reason"] is None
    assert january["cpo"]["value"] == pytest.approx(cost / january_orders)
    assert not january["clk"]["complete"] and january["clk"]["coverage"] == pytest.approx(15 / 31)
    assert january["clk"]["target_to_date"] == pytest.approx(MONTH_TARGET * 15 / 31)  # 1,500
    assert not [f for f in findings if f.code == "KPI013"]


def test_ga_and_google_ads_of_the_month_so_far_agree(tmp_path, monkeypatch):
    """Both are January so far beside daily data (clicks per session defined); each alone is
    one period of its range (the engine's rule for an undated partial period)."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-01-16")
    ads_text = (FIXTURES / GOOGLE_MTD).read_text("utf-8-sig")
    clicks = sum(number(r["Clicks"]) for r in google_rows(ads_text))
    sessions = 10_000 + 5_500  # Direct, Paid Search (the Grand total row is no row)
    sources = (
        "  shop: {connector: csv, path: shop.csv}\n  ga: {connector: ga_export, path: ga.csv}\n"
        "  ads: {connector: ads, path: ads.csv}\n"
    )
    files = {"shop.csv": shop(dt.date(2025, 12, 1), dt.date(2026, 1, 15)), "ga.csv": GA4}
    root = workspace(tmp_path, files | {"ads.csv": ads_text}, sources)
    got, _ = evaluate(root, "month", ["ctr_site", "cpo"])  # the shop's orders too
    assert got["2026-01"]["ctr_site"]["value"] == pytest.approx(clicks / sessions)
    assert not got["2026-01"]["ctr_site"]["complete"]
    alone = workspace(tmp_path / "alone", {"ads.csv": ads_text},
                      "  ads: {connector: ads, path: ads.csv}\n", "  clk: 3100\n")  # fmt: skip
    got, _ = evaluate(alone, "month", ["clk"])
    assert list(got) == ["2026-01-01/2026-01-15"]
    assert got["2026-01-01/2026-01-15"]["clk"]["target"] == pytest.approx(MONTH_TARGET * 15 / 31)


# --- 2. a Meta export without a time breakdown -----------------------------------------------


@pytest.mark.parametrize("grain", ["month", "quarter", "week", "day"])
def test_meta_without_breakdown_over_8_to_31_july_is_that_range(tmp_path, monkeypatch, grain):
    """Was `2025-07`, complete, against July's whole target (and an error by week or day)."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-12-07")
    text = (FIXTURES / META_JULY_8).read_text("utf-8")
    rows = meta_rows(text)
    spend = sum(float(r["Amount spent (EUR)"]) for r in rows)
    clicks = sum(float(r["Link clicks"]) for r in rows)
    root = workspace(tmp_path, {"m.csv": text}, "  m: {connector: ads, path: m.csv}\n",
                     "  spend: 3100\n")  # fmt: skip
    got, _ = evaluate(root, grain, ["spend", "clk"])
    assert list(got) == ["2025-07-08/2025-07-31"]
    record = got["2025-07-08/2025-07-31"]
    assert record["spend"]["value"] == pytest.approx(spend)  # 289.10 + 113.32
    assert record["clk"]["value"] == clicks
    assert record["spend"]["target"] == pytest.approx(MONTH_TARGET * 24 / 31)  # 2,400
    assert record["spend"]["complete"]


def test_meta_without_breakdown_at_the_connector(tmp_path):
    conn = connector(FIXTURES, META_JULY_8, currency="EUR")
    frame = fetch(conn, "ad_spend", dims=["campaign"])
    assert frame.grain == "range" and frame.span == (dt.date(2025, 7, 8), dt.date(2025, 7, 31))
    rows = meta_rows((FIXTURES / META_JULY_8).read_text("utf-8"))
    expected = {("2025-07", r["Campaign name"]): float(r["Amount spent (EUR)"]) for r in rows}
    assert table(frame, "ad_spend", "campaign") == pytest.approx(expected)
    # from the 1st: the month so far (the summary row and the rows say so alike)
    text = (FIXTURES / META_JULY_8).read_text("utf-8").replace("2025-07-08", "2025-07-01")
    (tmp_path / "m.csv").write_text(text.replace("2025-07-31", "2025-07-15"), "utf-8")
    frame = fetch(connector(tmp_path, "m.csv", currency="EUR"), "ad_spend")
    assert frame.grain == "month" and frame.span == (dt.date(2025, 7, 1), dt.date(2025, 7, 15))


def test_meta_without_breakdown_of_the_month_so_far_is_partial(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-07-16")
    text = (FIXTURES / META_JULY_8).read_text("utf-8").replace("2025-07-08", "2025-07-01")
    text = text.replace("2025-07-31", "2025-07-15")
    sources = "  shop: {connector: csv, path: shop.csv}\n  m: {connector: ads, path: m.csv}\n"
    files = {"shop.csv": shop(dt.date(2025, 6, 1), dt.date(2025, 7, 15)), "m.csv": text}
    root = workspace(tmp_path, files, sources, "  spend: 3100\n")
    got, _ = evaluate(root, "month", ["spend", "cpo"])
    july = got["2025-07"]
    spend = sum(float(r["Amount spent (EUR)"]) for r in meta_rows(text))
    july_orders = sum(orders(d) for d in days(dt.date(2025, 7, 1), dt.date(2025, 7, 15)))
    assert july["spend"]["value"] == pytest.approx(spend)
    assert july["cpo"]["value"] == pytest.approx(spend / july_orders)
    assert not july["spend"]["complete"]
    assert july["spend"]["target_to_date"] == pytest.approx(MONTH_TARGET * 15 / 31)


def test_meta_rows_past_the_sample_of_other_ranges_are_dated_by_them(tmp_path):
    """A weekly breakdown without its summary row whose rows in the sample the reading layer
    sniffs are all of one week looks like an export without a time breakdown; the scan checks
    the other rows, and as some are of another week, the rows are dated by their own days."""
    header = (
        '"Reporting starts","Reporting ends","Campaign name","Impressions","Amount spent (USD)"\n'
    )
    weeks = [("2024-06-24", "2024-06-30", 6000), ("2024-07-01", "2024-07-07", 500)]
    lines, spent = [header], {"2024-06": 0.0, "2024-07": 0.0}
    for start, end, campaigns in weeks:  # the first week's rows: more than the sniffed sample
        for n in range(campaigns):
            spend = 1 + (n % 7) * 0.25
            spent[start[:7]] += spend
            lines.append(f'"{start}","{end}","Campaign {n:04d}","{100 + n % 50}","{spend:.2f}"\n')
    (tmp_path / "m.csv").write_text("".join(lines), "utf-8")
    first_week = sum(len(line.encode()) for line in lines[: 1 + 6000])
    assert first_week > HEAD_BYTES  # the sample holds none of the second week's rows
    frame = fetch(connector(tmp_path, "m.csv"), "ad_spend")
    assert frame.grain == "month"
    assert table(frame, "ad_spend") == {
        ("2024-06",): pytest.approx(spent["2024-06"]),
        ("2024-07",): pytest.approx(spent["2024-07"]),
    }


# --- 3. Microsoft's `Potential Incomplete Data: true` ----------------------------------------


def ms_spend(text: str, last: dt.date | None = None) -> float:
    _, rows, _ = rows_of(text)
    return sum(
        number(r["Spend"])
        for r in rows
        if last is None or "TimePeriod" not in r or dt.date.fromisoformat(r["TimePeriod"]) <= last
    )


def test_a_flagged_daily_report_leaves_december_partial_with_a_warning(tmp_path, monkeypatch):
    """`Last Completed Available Day: 12/31/2025 5:30:00 AM (GMT)` is 9:30 PM on 30 December in
    the report's time zone (GMT-08:00): from 30 December on, the numbers may change. December
    runs to the 29th: partial (29 of 31 days), its rows of the 30th and 31st not counted."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-01-01")
    text = text_of(MS_DAILY)
    root = workspace(tmp_path, {"ms.csv": text}, "  ms: {connector: ads, path: ms.csv}\n",
                     "  spend: 6200\n", currency="USD")  # fmt: skip
    got, findings = evaluate(root, "month", ["spend"])
    december = got["2025-12"]["spend"]
    assert december["value"] == pytest.approx(ms_spend(text, dt.date(2025, 12, 29)))
    assert not december["complete"] and december["coverage"] == pytest.approx(29 / 31)
    assert december["projected"] is not None
    (warning,) = [f for f in findings if f.code == "KPI016"]
    line = text.removeprefix("\ufeff").split("\r\n").index('"Potential Incomplete Data: true"')
    assert warning.location.line == line + 1 and "ms.csv" in warning.message
    assert "from 2025-12-30 on" in warning.message and "complete to 2025-12-29" in warning.message
    # the same report once processed: December whole, every row counted, no warning
    settled = text.replace("Potential Incomplete Data: true", "Potential Incomplete Data: false")
    (root / "ms.csv").write_bytes(settled.encode("utf-8"))
    got, findings = evaluate(root, "month", ["spend"])
    december = got["2025-12"]["spend"]
    assert december["complete"] and december["value"] == pytest.approx(ms_spend(text))
    assert not [f for f in findings if f.code == "KPI016"]


def test_a_flagged_summary_report_beside_daily_data_is_a_partial_december(tmp_path, monkeypatch):
    """A report without days cannot leave its last day out: counted as it stands, December is
    not complete (to the 30th: 10:15 AM GMT on 1 January is 11:15 AM in Paris, and the last
    day is counted as unsettled). Alone, it is its range, as any undated export is."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-01-01")
    text = text_of(MS_SUMMARY)
    sources = "  shop: {connector: csv, path: shop.csv}\n  ms: {connector: ads, path: ms.csv}\n"
    files = {"shop.csv": shop(dt.date(2025, 11, 1), dt.date(2025, 12, 31)), "ms.csv": text}
    root = workspace(tmp_path, files, sources, "  spend: 6200\n")
    got, findings = evaluate(root, "month", ["spend", "cpo"])  # the shop's orders too
    december = got["2025-12"]["spend"]
    assert december["value"] == pytest.approx(1512.40 + 5201.77) == ms_spend(text)
    assert not december["complete"] and december["coverage"] == pytest.approx(30 / 31)
    assert december["target_to_date"] == pytest.approx(6200 * 30 / 31)  # 6,000
    (warning,) = [f for f in findings if f.code == "KPI016"]
    assert "from 2025-12-31 on" in warning.message
    alone = workspace(
        tmp_path / "alone", {"ms.csv": text}, "  ms: {connector: ads, path: ms.csv}\n"
    )
    got, findings = evaluate(alone, "month", ["spend"])
    assert list(got) == ["2025-12-01/2025-12-31"]
    (warning,) = [f for f in findings if f.code == "KPI016"]
    assert "counted as they stand" in warning.message


@pytest.mark.parametrize(
    ("edit", "since"),
    [
        ({}, dt.date(2025, 12, 30)),  # 5:30 AM GMT: 9:30 PM the day before in GMT-08:00
        (
            {"(GMT-08:00) Pacific Time (US & Canada); Tijuana": "(GMT) Dublin, Edinburgh"},
            dt.date(2025, 12, 31),
        ),  # fmt: skip
        (
            {'"Last Completed Available Day: 12/31/2025 5:30:00 AM (GMT)"\r\n': ""},
            dt.date(2025, 12, 31),
        ),  # no time: the last day  # fmt: skip
        ({"12/31/2025 5:30:00 AM": "11/2/2025 5:30:00 AM"}, dt.date(2025, 12, 1)),  # all of it
    ],
)
def test_the_days_that_may_change(tmp_path, edit, since):
    from kpiengine.connectors._ads_microsoft import unsettled

    text = text_of(MS_DAILY)
    for old, new in edit.items():
        text = text.replace(old, new)
    (tmp_path / "ms.csv").write_bytes(text.encode("utf-8"))
    conn = connector(tmp_path, "ms.csv")
    assert unsettled(conn.tables[0])[0] == since
    frame = fetch(conn, "ad_spend", grain="day")
    last = since - dt.timedelta(days=1)
    if since == dt.date(2025, 12, 1):  # every day may change: every row counted, as it stands
        last = dt.date(2025, 12, 31)
    assert frame.span == (dt.date(2025, 12, 1), last) and frame.dates.max().item() == last
    assert frame.values["ad_spend"].sum() == pytest.approx(ms_spend(text, last))
    (warning,) = frame.warnings
    assert f"from {since} on" in warning.message


# --- the rule for several reports, and the commands -------------------------------------------


def test_periods_so_far_of_several_reports():
    d = dt.date
    june, july, july_15 = (d(2024, 6, 1), d(2024, 6, 30)), (d(2024, 7, 1), d(2024, 7, 31)), (
        d(2024, 7, 1), d(2024, 7, 15))  # fmt: skip
    assert periods_so_far([june, july_15], "month", DEFAULT)  # a month so far ends the data
    assert periods_so_far([july_15, july_15], "month", DEFAULT)  # a file per account
    assert not periods_so_far([(d(2024, 6, 1), d(2024, 6, 15)), july], "month", DEFAULT)
    assert not periods_so_far([july_15, july], "month", DEFAULT)  # two ranges in July
    assert not periods_so_far([(d(2024, 7, 8), d(2024, 7, 31))], "month", DEFAULT)
    assert periods_so_far([july], "quarter", DEFAULT) and not periods_so_far(
        [july], "range", DEFAULT
    )


def test_kpi_eval_and_report_label_the_range(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-12-07")
    text = (FIXTURES / META_JULY_8).read_text("utf-8")
    root = workspace(tmp_path, {"m.csv": text}, "  m: {connector: ads, path: m.csv}\n",
                     "  spend: 3100\n")  # fmt: skip
    args = ["--workspace", str(root), "--grain", "month", "--kpi", "spend"]
    out = CliRunner().invoke(cli, ["eval", *args])
    assert out.exit_code in (0, 1), out.output
    shown = out.output.replace("\u2009", " ")  # thin spaces around the dash
    assert "Jul 8 – 31, 2025" in shown and "2,400" in shown and "KPI013" not in shown
    out = CliRunner().invoke(cli, ["report", *args, "--format", "md", "-o", "-"])
    assert out.exit_code in (0, 1), out.output
    shown = out.output.replace("\u2009", " ")
    assert "Jul 8 – 31, 2025" in shown and "| 2,400 |" in shown
