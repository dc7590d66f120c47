"""The `ads` connector on exports as written in other locales and layouts: the decimal mark
from every number column, day/month orders kept inside the report's range, Meta months without
a time breakdown, several files under one glob with their own totals, localized totals labels.

Expected values are computed here from the file texts with the csv module, not by the reader.
"""

import csv
import datetime as dt
import io
from collections import defaultdict

import pytest
from test_connector_ads import connector, fetch, table

from kpiengine.errors import KpiError

# --- independent oracles -------------------------------------------------------------------------


def rows_of(text, header_first, name=None):
    """The data rows of an export as dicts: title lines, Google's `Total: ...` rows and Meta's
    summary row (its `name` column empty) left out."""
    rows = list(csv.reader(io.StringIO(text)))
    start = next(i for i, r in enumerate(rows) if r and r[0] == header_first)
    header = rows[start]
    out = []
    for row in rows[start + 1 :]:
        record = dict(zip(header, row, strict=True))
        if ":" in row[0] or (name and not record[name]):
            continue
        out.append(record)
    return out


def number(text, decimal):
    """A plain cell in the export's own number format (`1.204` with `,` decimals is 1204)."""
    group = "." if decimal == "," else ","
    return float(text.replace(group, "").replace(decimal, "."))


def line_of(text, startswith):
    return next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith(startswith))


# --- 1. the decimal mark from every number column ------------------------------------------------

DUTCH = (
    "Campagnerapport\r\n1 jun. 2024 - 30 jun. 2024\r\n"
    "Campagne,Valutacode,Vertoningen,Klikken,Kosten,Conversies,Conv.waarde\r\n"
    'Merk,EUR,"1.204",96,"1.049,92","4,00","1.180,00"\r\n'
    'Generiek,EUR,"3.410",121,"187,55","2,50","612,50"\r\n'
    'Totaal: account,--,"4.614",217,"1.237,47","6,50","1.792,50"\r\n'
)
DUTCH_COLUMNS = {
    "campaign": "Campagne",
    "currency": "Valutacode",
    "impressions": "Vertoningen",
    "clicks": "Klikken",
    "cost": "Kosten",
    "conversions": "Conversies",
    "conversion_value": "Conv.waarde",
}
GERMAN_DAYS = (
    "Kampagnenbericht\r\n1. Juni 2024 - 30. Juni 2024\r\n"
    "Tag,Kampagne,Währungscode,Impr.,Clicks,Cost\r\n"
    '2024-06-01,Marke,EUR,"1.204",96,"49,92"\r\n'
    '2024-06-02,Marke,EUR,"3.410",121,"1.187,55"\r\n'
)


def test_counts_asked_alone_are_read_in_the_exports_number_format(tmp_path):
    (tmp_path / "r.csv").write_text(DUTCH, "utf-8")
    conn = connector(
        tmp_path, "r.csv", currency="EUR", platform="google_ads", columns=DUTCH_COLUMNS
    )
    frame = fetch(conn, "impressions", "clicks")  # as for `--kpi ctr`: no amount asked for
    rows = rows_of(DUTCH, "Campagne")
    assert frame.values["impressions"].sum() == sum(number(r["Vertoningen"], ",") for r in rows)
    assert frame.values["impressions"].sum() == 4614
    assert frame.values["clicks"].sum() == sum(number(r["Klikken"], ",") for r in rows)


def test_a_daily_german_export_counts_decide_the_decimal_mark(tmp_path):
    (tmp_path / "r.csv").write_text(GERMAN_DAYS, "utf-8")
    columns = {"date": "Tag", "campaign": "Kampagne", "currency": "Währungscode"}
    conn = connector(tmp_path, "r.csv", currency="EUR", columns=columns)
    rows = rows_of(GERMAN_DAYS, "Tag")
    expected = defaultdict(float)
    for r in rows:
        expected[(r["Tag"][:7],)] += number(r["Impr."], ",")
    assert table(fetch(conn, "impressions"), "impressions") == dict(expected)
    assert fetch(conn, "ad_spend").values["ad_spend"].sum() == pytest.approx(
        sum(number(r["Cost"], ",") for r in rows)
    )


def test_a_decimal_mark_nothing_tells_is_asked_for(tmp_path):
    text = (
        "Campaign report\r\nJune 1, 2024 - June 30, 2024\r\n"
        "Campaign,Impr.,Clicks,Cost\r\n"
        'Brand,120,5,"1,234"\r\n'
        'Generic,80,3,"2.500"\r\n'
    )
    (tmp_path / "r.csv").write_text(text, "utf-8")
    with pytest.raises(KpiError, match="decimal mark") as info:
        fetch(connector(tmp_path, "r.csv"), "clicks")  # the counts tell nothing, nor the costs
    assert "decimal:" in info.value.fix
    location = info.value.location
    assert location.file.endswith("r.csv") and location.line in (4, 5)
    assert text.splitlines()[location.line - 1][location.column - 1 :] in ('"1,234"', '"2.500"')
    conn = connector(tmp_path, "r.csv", decimal=",")
    assert fetch(conn, "ad_spend").values["ad_spend"].sum() == pytest.approx(1.234 + 2500)


# --- 2. day/month order inside the report's range ------------------------------------------------

UK = (
    "Campaign report\r\n1 January 2025 - 31 January 2025\r\n"
    "Day,Campaign,Currency code,Impr.,Clicks,Cost\r\n"
    '05/01/2025,Brand,GBP,"1,204",96,"1,049.92"\r\n'
    '06/01/2025,Brand,GBP,"3,410",121,187.55\r\n'
    '12/01/2025,Brand,GBP,"1,000",10,10.00\r\n'
    'Total: Account,--,GBP,"5,614",227,"1,247.47"\r\n'
)


def test_a_uk_export_is_read_day_first_inside_its_range(tmp_path):
    (tmp_path / "r.csv").write_text(UK, "utf-8")
    conn = connector(tmp_path, "r.csv", currency="GBP")
    frame = fetch(conn, "impressions", grain="day")
    expected = {
        dt.datetime.strptime(r["Day"], "%d/%m/%Y").date().isoformat(): number(r["Impr."], ".")
        for r in rows_of(UK, "Day")
    }
    assert dict(zip(frame.dates.astype(str), frame.values["impressions"], strict=True)) == expected


def test_a_row_outside_the_reports_range_names_its_place(tmp_path):
    text = UK.replace("12/01/2025,Brand", "15/02/2025,Brand")
    (tmp_path / "r.csv").write_text(text, "utf-8")
    with pytest.raises(KpiError, match="outside the report's date range 2025-01-01 to 2025-01-31"):
        fetch(connector(tmp_path, "r.csv", currency="GBP"), "impressions")
    # the day/month order set the wrong way round: every row is outside
    (tmp_path / "r.csv").write_text(UK, "utf-8")
    conn = connector(tmp_path, "r.csv", currency="GBP", date_format="%m/%d/%Y")
    with pytest.raises(KpiError, match=r"dated `05/01/2025` \(2025-05-01") as info:
        fetch(conn, "impressions")
    location = info.value.location
    assert location.file.endswith("r.csv") and location.line == line_of(UK, "05/01/2025")
    assert location.column == 1 and "date_format" in info.value.fix


def test_an_order_neither_the_dates_nor_the_range_tell_is_asked_for(tmp_path):
    text = UK.replace("1 January 2025 - 31 January 2025", "1 January 2025 - 31 December 2025")
    (tmp_path / "r.csv").write_text(text, "utf-8")
    with pytest.raises(KpiError, match="read as day/month or as month/day") as info:
        fetch(connector(tmp_path, "r.csv", currency="GBP"), "impressions")
    assert "date_format" in info.value.fix and info.value.location.line == 4


def test_weeks_may_start_before_the_reports_range(tmp_path):
    text = (
        "Campaign report\r\nJanuary 1, 2025 - January 19, 2025\r\n"  # a Wednesday
        "Week,Campaign,Impr.,Clicks,Cost\r\n"
        "2024-12-30,Brand,100,10,1.00\r\n"
        "2025-01-13,Brand,300,30,3.00\r\n"
    )
    (tmp_path / "r.csv").write_text(text, "utf-8")
    frame = fetch(connector(tmp_path, "r.csv", columns={"date": "Week"}), "clicks", grain="week")
    assert frame.values["clicks"].tolist() == [10.0, 30.0]


def test_a_week_starting_before_the_reports_range_counts_in_the_range(tmp_path):
    """A June report's first week starts on 27 May, but its numbers are those of June 1-2:
    at month grain they count in June, not in May."""
    text = (
        'Campaign report\r\n"June 1, 2024 - June 30, 2024"\r\nWeek,Campaign,Cost\r\n'
        "2024-05-27,Brand,20.00\r\n2024-06-03,Brand,70.00\r\n2024-06-10,Brand,70.00\r\n"
        "2024-06-17,Brand,70.00\r\n2024-06-24,Brand,70.00\r\n"
    )
    (tmp_path / "w.csv").write_text(text, "utf-8")
    frame = fetch(connector(tmp_path, "w.csv", columns={"date": "Week"}), "ad_spend")
    assert frame.values["ad_spend"].tolist() == [20.0 + 4 * 70.0]
    assert [str(d)[:7] for d in frame.dates] == ["2024-06"]


# --- 3. Meta months without a time breakdown -----------------------------------------------------

META_MONTH = (
    '"Reporting starts","Reporting ends","Campaign name","Impressions","Amount spent (USD)"\r\n'
    '"2025-01-01","2025-01-31","Prospecting","11200","222.00"\r\n'
    '"2025-01-01","2025-01-31","Retargeting","4150","90.45"\r\n'
)
DEFINITIONS = (
    "kpis:\n"
    "  s_impr: {formula: impressions, unit: impressions, direction: higher}\n"
    "  s_spend: {formula: ad_spend, unit: currency, direction: lower}\n"
)


def workspace(tmp_path, files, source):
    import kpiengine

    root = tmp_path / "ws"
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "ads.yaml").write_text(DEFINITIONS)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, "utf-8")
    (root / "kpi.yaml").write_text(f"currency: USD\nkpis: [s_impr, s_spend]\nsources:\n{source}")
    return kpiengine.load_workspace(root)


def test_a_meta_month_without_breakdown_is_a_complete_month(tmp_path):
    from kpiengine.engine import Engine

    ws = workspace(tmp_path, {"m.csv": META_MONTH}, "  m: {connector: ads, path: m.csv}\n")
    rows = rows_of(META_MONTH, "Reporting starts", "Campaign name")
    spend = sum(float(r["Amount spent (USD)"]) for r in rows)
    # by quarter or year, January is that period so far: alone, as any export without days
    # over part of a period (GA's, Google's), the range, its targets prorated
    alone = "2025-01-01/2025-01-31"
    for grain, label in (("month", "2025-01"), ("quarter", alone), ("year", alone)):
        results = Engine(ws).evaluate(grain=grain)
        got = {r["kpi"]: r for r in results.records() if not r["segment"]}
        assert got["s_spend"]["period"] == label and got["s_spend"]["value"] == pytest.approx(spend)
        assert got["s_impr"]["value"] == sum(float(r["Impressions"]) for r in rows)
    month = {r["kpi"]: r for r in Engine(ws).evaluate(grain="month").records()}
    assert month["s_spend"]["complete"] and month["s_spend"]["coverage"] == 1.0
    report = Engine(ws).lint(True)  # lint reads the days the data covers
    assert not [f for f in report.findings if f.severity == "error"]


def test_meta_rows_cover_the_days_to_their_reporting_end(tmp_path):
    text = META_MONTH + '"2025-02-01","2025-02-14","Prospecting","5000","100.00"\r\n'
    (tmp_path / "m.csv").write_text(text, "utf-8")
    frame = fetch(connector(tmp_path, "m.csv"), "ad_spend")
    assert frame.covered() == (dt.date(2025, 1, 1), dt.date(2025, 2, 14))  # February: 14/28
    (tmp_path / "m.csv").write_text(META_MONTH, "utf-8")
    assert fetch(connector(tmp_path, "m.csv"), "ad_spend").covered() == (
        dt.date(2025, 1, 1),
        dt.date(2025, 1, 31),
    )


def test_a_meta_month_in_progress_is_partial_and_left_unprojected(tmp_path):
    """A row of 1 to 14 February is no set of days: February is partial (14 of 28 days) and
    evaluated as it stands, without a projection, instead of stopping the run."""
    from kpiengine.engine import Engine

    text = META_MONTH + '"2025-02-01","2025-02-14","Prospecting","5000","100.00"\r\n'
    ws = workspace(tmp_path, {"m.csv": text}, "  m: {connector: ads, path: m.csv}\n")
    got = {(r["kpi"], r["period"]): r for r in Engine(ws).evaluate().records() if not r["segment"]}
    february = got["s_spend", "2025-02"]
    assert february["value"] == 100.0 and not february["complete"]
    assert february["coverage"] == pytest.approx(14 / 28) and february["projected"] is None
    report = Engine(ws).lint(True)
    assert not [f for f in report.findings if f.severity == "error"]
    with pytest.raises(KpiError, match="more than one day"):
        Engine(ws).evaluate(grain="day")  # days asked for by the user: the error


def test_a_source_without_days_leaves_only_its_own_kpis_unprojected(tmp_path):
    """Beside the Meta month in progress, a daily csv source still paces its KPIs: the
    projection is withheld only from the KPIs that read the source without days."""
    from kpiengine.engine import Engine

    text = META_MONTH + '"2025-02-01","2025-02-14","Prospecting","5000","100.00"\r\n'
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(31 + 14)]  # to 14 Feb
    daily = "date,revenue\n" + "".join(f"{d.isoformat()},10\n" for d in days)
    source = "  m: {connector: ads, path: m.csv}\n  d: {connector: csv, path: d.csv}\n"
    ws = workspace(tmp_path, {"m.csv": text, "d.csv": daily}, source)
    records = Engine(ws).evaluate(kpis=["s_spend", "sales_revenue"]).records()
    got = {(r["kpi"], r["period"]): r for r in records if not r["segment"]}
    assert got["s_spend", "2025-02"]["projected"] is None
    revenue = got["sales_revenue", "2025-02"]
    assert revenue["value"] == 14 * 10 and revenue["projected"] == pytest.approx(28 * 10)


def test_a_daily_report_whose_rows_stop_early_covers_its_stated_range(tmp_path):
    """Google Ads leaves out days without activity: rows to 20 June in a report of 1 May to
    30 June still cover June whole (a finished month, not one projected)."""
    days = [dt.date(2024, 5, 1) + dt.timedelta(days=i) for i in range(51)]  # to 20 June
    text = 'Campaign report\r\n"May 1, 2024 - June 30, 2024"\r\nDay,Campaign,Cost\r\n'
    text += "".join(f"{d.isoformat()},Brand,10.00\r\n" for d in days)
    (tmp_path / "r.csv").write_text(text, "utf-8")
    frame = fetch(connector(tmp_path, "r.csv"), "ad_spend")
    assert frame.covered() == (dt.date(2024, 5, 1), dt.date(2024, 6, 30))
    assert frame.values["ad_spend"].sum() == 10 * len(days)


# --- 4. several exports under one glob, each with its totals -------------------------------------


def google_month(month, days, total):
    head = f'Campaign report\r\n"{month} 1, 2025 - {month} 2, 2025"\r\n'
    return head + "Day,Campaign,Currency code,Impr.,Clicks,Cost\r\n" + days + total


JAN = google_month(
    "January",
    '2025-01-01,Brand,EUR,"1,204",96,49.92\r\n2025-01-02,Brand,EUR,"1,000",50,20.00\r\n',
    'Total: Account,--,EUR,"2,204",146,69.92\r\n',
)
FEB = google_month(
    "February",
    '2025-02-01,Brand,EUR,"3,410",121,187.55\r\n2025-02-02,Brand,EUR,"1,000",10,2.45\r\n',
    'Total: Account,--,EUR,"4,410",131,190.00\r\n',
)


def test_each_files_totals_check_its_own_rows(tmp_path):
    (tmp_path / "ads").mkdir()
    (tmp_path / "ads" / "jan.csv").write_text(JAN, "utf-8")
    (tmp_path / "ads" / "feb.csv").write_text(FEB, "utf-8")
    conn = connector(tmp_path, "ads/*.csv", currency="EUR")
    expected = defaultdict(float)
    for text in (JAN, FEB):
        for r in rows_of(text, "Day"):
            expected[(r["Day"][:7],)] += float(r["Cost"])
    assert table(fetch(conn, "ad_spend", "clicks"), "ad_spend") == pytest.approx(dict(expected))
    edited = FEB.replace("187.55", "177.55")
    (tmp_path / "ads" / "feb.csv").write_text(edited, "utf-8")
    with pytest.raises(KpiError, match="rows in this file add up to 180.00 in column `Cost`") as i:
        fetch(connector(tmp_path, "ads/*.csv", currency="EUR"), "ad_spend")
    assert i.value.location.file.endswith("feb.csv")
    assert i.value.location.line == line_of(edited, "Total: Account") and "190.00" in str(i.value)


def test_each_meta_files_summary_row_checks_its_own_rows(tmp_path):
    header = (
        '"Reporting starts","Reporting ends","Campaign name","Impressions","Amount spent (EUR)"\r\n'
    )
    jan = header + (
        '"2025-01-01","2025-01-31","","15350","312.45"\r\n'
        '"2025-01-01","2025-01-31","Prospecting","11200","222.00"\r\n'
        '"2025-01-01","2025-01-31","Retargeting","4150","90.45"\r\n'
    )
    feb = header + (
        '"2025-02-01","2025-02-28","","100","2.00"\r\n'
        '"2025-02-01","2025-02-28","Retargeting","100","2.00"\r\n'
    )
    (tmp_path / "meta").mkdir()
    (tmp_path / "meta" / "2025-01.csv").write_text(jan, "utf-8")
    (tmp_path / "meta" / "2025-02.csv").write_text(feb, "utf-8")
    frame = fetch(connector(tmp_path, "meta/*.csv", currency="EUR"), "impressions")
    expected = defaultdict(float)
    for text in (jan, feb):
        for r in rows_of(text, "Reporting starts", "Campaign name"):
            expected[(r["Reporting starts"][:7],)] += float(r["Impressions"])
    assert table(frame, "impressions") == dict(expected)


# --- 5. totals labels in the languages Google Ads writes, Meta's German names --------------------


def google_campaigns(label, cost_total="237.47"):
    return (
        "Rapport\r\nJune 1, 2024 - June 30, 2024\r\n"
        "Campaign,Currency code,Impr.,Clicks,Cost\r\n"
        'Brand,EUR,"1,204",96,49.92\r\n'
        'Generic,EUR,"3,410",121,187.55\r\n'
        f'{label},--,"4,614",217,{cost_total}\r\n'
    )


LABELS = [
    "Total: Account",
    "Gesamt: Konto",
    "Gesamt: Kampagnen",
    "Total : compte",
    "Total : campagnes",
    "Total: cuenta",
    "Totale: account",
    "Totaal: account",
    "Total: conta",
    "Total: All enabled campaigns",
    "Gesamt: Alle außer entfernte Anzeigen",
]


@pytest.mark.parametrize("label", LABELS)
def test_localized_totals_labels_check_the_rows(tmp_path, label):
    text = google_campaigns(label)
    (tmp_path / "r.csv").write_text(text, "utf-8")
    frame = fetch(connector(tmp_path, "r.csv", currency="EUR"), "ad_spend", "impressions")
    rows = rows_of(text, "Campaign")
    assert frame.values["ad_spend"].sum() == pytest.approx(sum(float(r["Cost"]) for r in rows))
    # and the total is compared: an edited total is caught, at its place
    edited = google_campaigns(label, "247.47")
    (tmp_path / "r.csv").write_text(edited, "utf-8")
    with pytest.raises(KpiError, match=f"add up to 237.47 in column `Cost` but `{label}`") as info:
        fetch(connector(tmp_path, "r.csv", currency="EUR"), "ad_spend")
    assert info.value.location.line == line_of(edited, label.split(":")[0])


def test_a_type_total_without_rows_of_that_type_is_not_compared(tmp_path):
    # no campaign type column: `Total: Search campaigns` cannot be told apart, and is left out
    text = google_campaigns("Total: Account") + 'Total: Search campaigns,--,"4,614",217,237.47\r\n'
    (tmp_path / "r.csv").write_text(text, "utf-8")
    assert fetch(connector(tmp_path, "r.csv", currency="EUR"), "ad_spend").values[
        "ad_spend"
    ].sum() == pytest.approx(237.47)
    # a type column without that type: not compared with an empty type either
    typed = (
        "Rapport\r\nJune 1, 2024 - June 30, 2024\r\n"
        "Campaign,Campaign type,Impr.,Clicks,Cost\r\n"
        "Brand,Display,100,9,9.00\r\n"
        "Total: Video,--,100,9,9.00\r\n"
        "Total: Account,--,100,9,9.00\r\n"
    )
    (tmp_path / "r.csv").write_text(typed, "utf-8")
    assert fetch(connector(tmp_path, "r.csv"), "ad_spend").values["ad_spend"].sum() == 9.0


GERMAN_META = (
    '"Berichtsbeginn","Berichtsende","Kampagnenname","Impressionen","Link-Klicks",'
    '"Ausgegebener Betrag (EUR)"\r\n'
    '"2025-01-01","2025-01-31","","15350","420","312.45"\r\n'
    '"2025-01-01","2025-01-31","Prospecting","11200","300","222.00"\r\n'
    '"2025-01-01","2025-01-31","Retargeting","4150","120","90.45"\r\n'
)
GERMAN_META_COLUMNS = {
    "date": "Berichtsbeginn",
    "date_end": "Berichtsende",
    "campaign": "Kampagnenname",
    "impressions": "Impressionen",
    "clicks": "Link-Klicks",
    "cost": "Ausgegebener Betrag (EUR)",
}


def test_a_german_meta_summary_row_is_not_counted(tmp_path):
    (tmp_path / "m.csv").write_text(GERMAN_META, "utf-8")
    conn = connector(
        tmp_path, "m.csv", currency="EUR", platform="meta_ads", columns=GERMAN_META_COLUMNS
    )
    rows = rows_of(GERMAN_META, "Berichtsbeginn", "Kampagnenname")
    frame = fetch(conn, "impressions", "clicks", dims=["campaign"])
    assert table(frame, "impressions", "campaign") == {
        ("2025-01", r["Kampagnenname"]): float(r["Impressionen"]) for r in rows
    }
    assert frame.values["clicks"].sum() == sum(float(r["Link-Klicks"]) for r in rows)
    edited = GERMAN_META.replace('"15350","420"', '"15350","430"')
    (tmp_path / "m.csv").write_text(edited, "utf-8")
    conn = connector(
        tmp_path, "m.csv", currency="EUR", platform="meta_ads", columns=GERMAN_META_COLUMNS
    )
    with pytest.raises(KpiError, match="add up to 420.00 .* the summary row says 430.00") as info:
        fetch(conn, "clicks")
    assert info.value.location.line == 2
