"""A `csv` source's grand totals row against its rows (`connectors/_csv_totals.py`).

The files are written as Excel saves them ("CSV UTF-8" in a German locale: a BOM, `;`, CRLF,
decimal commas, `€` amounts) with the `Gesamt`/`Total` row a spreadsheet's SUM gives. Rows short
of their total (an export cut short, rows filtered out) are an error giving the gap; rows beyond
it a warning (KPI016), the rows counted. Expected sums are computed here with the `csv` module
and `Decimal`, never copied from the connector's output.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from kpiengine.connector import Mapping, Request, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.model import Aggregate

HEADER = "Datum;Kanal;Kosten;Leads"
ROWS = [
    "05.01.2024;Google Ads;1.234,50 €;12",
    '19.01.2024;Meta;"987,25 €";7',
    "02.02.2024;Google Ads;2.001,10 €;15",
    "16.02.2024;LinkedIn;450,00 €;3",
    "04.03.2024;Meta;1.100,40 €;9",
    "21.03.2024;Google Ads;765,35 €;6",
]


def excel(*lines: str) -> bytes:
    """A CSV as Excel saves it ("CSV UTF-8", German locale): a BOM, `;`, CRLF line ends."""
    return ("\ufeff" + "".join(f"{line}\r\n" for line in lines)).encode("utf-8")


def euros(text: str) -> Decimal:
    """`1.234,50 €` by hand: thousands dots out, the decimal comma a point."""
    return Decimal(text.replace("€", "").strip().replace(".", "").replace(",", "."))


def column(rows: list[str], index: int) -> list[str]:
    return [r[index] for r in csv.reader(io.StringIO("\n".join(rows)), delimiter=";")]


COST = sum(euros(c) for c in column(ROWS, 2))  # 6,538.60
LEADS = sum(int(c) for c in column(ROWS, 3))  # 52


def german(value: Decimal) -> str:
    """A number as the German Excel writes it: `6.538,60 €`."""
    return f"{value:,.2f} €".replace(",", "_").replace(".", ",").replace("_", ".")


def connector(tmp_path, files: dict[str, bytes], path="d.csv", **options):
    from kpiengine.connectors.csv_files import CsvConnector

    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    where = Location("kpi.yaml", 3, 5)
    config = SourceConfig(
        name="costs",
        connector="csv",
        root=tmp_path,
        location=where,
        options={"path": path, "date": "Datum", "date_format": "%d.%m.%Y", **options},
        mappings={
            "cost": Mapping("cost", where, column="Kosten", currency="EUR"),
            "leads": Mapping("leads", where, column="Leads"),
        },
        variables=frozenset({"cost", "leads"}),
        counts=frozenset({"leads"}),
    )
    return CsvConnector(config)


def fetch(conn, *variables, start=None, end=None, rules=None):
    rules = rules or {}
    request = Request({v: rules.get(v, Aggregate()) for v in variables}, "month", [], start, end)
    return conn.fetch(request)


def test_a_total_row_that_adds_up_is_quiet(tmp_path):
    data = excel(HEADER, *ROWS, f"Gesamt;;{german(COST)};{LEADS}")
    frame = fetch(connector(tmp_path, {"d.csv": data}), "cost", "leads")
    assert sum(frame.values["cost"]) == pytest.approx(float(COST))
    assert sum(frame.values["leads"]) == LEADS and not frame.warnings


def test_rows_short_of_the_total_are_an_error_giving_the_gap(tmp_path):
    """`Gesamt` written for six rows, the last two lost (an export cut short): the four rows'
    sum would be the source's costs, silently 1,865.75 short."""
    total = f"Gesamt;;{german(COST)};{LEADS}"
    data = excel(HEADER, *ROWS[:4], total)
    with pytest.raises(KpiError) as caught:
        fetch(connector(tmp_path, {"d.csv": data}), "cost")
    kept = sum(euros(c) for c in column(ROWS[:4], 2))  # 4,672.85
    error = caught.value
    assert error.message == (
        f"the 4 rows add up to {kept:,.2f} in column `Kosten` but `Gesamt` says {COST:,.2f}, "
        f"{COST - kept:,.2f} more"
    )
    assert (error.location.file, error.location.line) == ("d.csv", 6)
    assert error.location.column == len("Gesamt;;") + 1  # the total's own cell
    assert "all its rows" in error.fix and "row limit" in error.fix


def test_a_count_short_of_its_total_by_one_is_an_error(tmp_path):
    """Leads are whole counts: exact in every row, so one lead off is no rounding."""
    data = excel(HEADER, *ROWS, f"Gesamt;;{german(COST)};{LEADS + 1}")
    conn = connector(tmp_path, {"d.csv": data})
    assert sum(fetch(conn, "cost").values["cost"]) == pytest.approx(float(COST))
    with pytest.raises(KpiError) as caught:
        fetch(conn, "leads")
    assert caught.value.message.endswith(f"add up to {LEADS} in column `Leads` but `Gesamt` says "
                                         f"{LEADS + 1}, 1 more")  # fmt: skip


def test_rows_beyond_the_total_are_counted_with_a_warning(tmp_path):
    """A SUM range that stops a row short (a row inserted below it): the rows are right."""
    stale = sum(euros(c) for c in column(ROWS[:-1], 2))
    data = excel(HEADER, *ROWS, f"Gesamt;;{german(stale)};{LEADS}")
    frame = fetch(connector(tmp_path, {"d.csv": data}), "cost")
    assert sum(frame.values["cost"]) == pytest.approx(float(COST))
    (warning,) = frame.warnings
    assert warning.message == (
        f"the 6 rows add up to {COST:,.2f} in column `Kosten` but `Gesamt` says {stale:,.2f}, "
        f"{COST - stale:,.2f} less; the rows are counted"
    )
    assert warning.location.line == 8 and "twice" in warning.fix


def test_totals_shown_rounded_are_within_their_rounding(tmp_path):
    """A total formatted without decimals (`6.539 €` for 6,538.60), and rows shown rounded
    (Excel saves what it shows: 10.4 three times shows `10 €`, its SUM 31.2 `31 €`): no
    error. The rounding of the cells bounds what is forgiven: 2 euros more is an error."""
    whole = f"{COST:,.0f} €".replace(",", ".")  # 6.539 €
    data = excel(HEADER, *ROWS, f"Gesamt;;{whole};{LEADS}")
    assert not fetch(connector(tmp_path, {"d.csv": data}), "cost").warnings
    shown = ["08.01.2024;Meta;10 €;1", "09.01.2024;Meta;10 €;1", "10.01.2024;Meta;10 €;1"]
    data = excel(HEADER, *shown, "Gesamt;;31 €;3")
    assert sum(fetch(connector(tmp_path, {"d.csv": data}), "cost").values["cost"]) == 30
    # three rows of whole euros, a whole total: at most 3 x 0.5 + 0.5 = 2 euros apart
    data = excel(HEADER, *shown, "Gesamt;;33 €;3")
    with pytest.raises(KpiError, match="add up to 30 in column `Kosten` but `Gesamt` says 33"):
        fetch(connector(tmp_path, {"d.csv": data}), "cost")


def test_dates_asked_that_cut_the_file_are_not_compared(tmp_path):
    """The total is the whole file's: a request from February on sums only some of its rows.
    From before its first row to after its last, the file is whole, and compared."""
    data = excel(HEADER, *ROWS[:4], f"Gesamt;;{german(COST)};{LEADS}")
    conn = connector(tmp_path, {"d.csv": data})
    february = sum(euros(c) for c in column(ROWS[2:4], 2))
    frame = fetch(conn, "cost", start=dt.date(2024, 2, 1))
    assert sum(frame.values["cost"]) == pytest.approx(float(february)) and not frame.warnings
    with pytest.raises(KpiError, match="`Gesamt` says 6,538.60"):
        fetch(conn, "cost", start=dt.date(2023, 12, 1), end=dt.date(2024, 12, 31))


def test_only_a_grand_total_is_compared(tmp_path):
    """`Subtotal` rows of groups are not the grand total after them; plain `Total` rows
    after each group (or one between rows) are a group's, checked against the group's rows;
    `Total: Campaigns` totals what its label says, not every row."""
    sub = "Subtotal;;{};"
    first, second = ROWS[:3], ROWS[3:]
    subs = [german(sum(euros(c) for c in column(g, 2))) for g in (first, second)]
    grouped = [*first, sub.format(subs[0]), *second, sub.format(subs[1])]
    data = excel(HEADER, *grouped, f"Grand total;;{german(COST)};{LEADS}")
    assert not fetch(connector(tmp_path, {"d.csv": data}), "cost").warnings
    data = excel(HEADER, *grouped, f"Grand total;;{german(COST + 100)};{LEADS}")
    with pytest.raises(KpiError, match="`Grand total` says 6,638.60, 100.00 more") as caught:
        fetch(connector(tmp_path, {"d.csv": data}), "cost")
    assert caught.value.location.line == 10  # header, 3 rows, subtotal, 3 rows, subtotal
    wrong = "Total;;1,00 €;"
    for lines in ([*first, wrong, *second, wrong], [*first, wrong, *second]):
        warnings = fetch(connector(tmp_path, {"d.csv": excel(HEADER, *lines)}), "cost").warnings
        assert warnings and warnings[0].message.startswith("`Total` says 1.00 in column `Kosten`")
        assert warnings[0].location.line == 5
    scoped = excel(HEADER, *ROWS, "Total: Google Ads;;1,00 €;")
    assert not fetch(connector(tmp_path, {"d.csv": scoped}), "cost").warnings


def test_a_total_above_the_rows_is_compared(tmp_path):
    data = excel(HEADER, f"Total (6 records);;{german(COST + 1)};{LEADS}", *ROWS)
    with pytest.raises(KpiError, match="the 6 rows add up to 6,538.60") as caught:
        fetch(connector(tmp_path, {"d.csv": data}), "cost")
    assert caught.value.location.line == 2


def test_rates_means_and_filtered_sums_are_not_compared(tmp_path):
    """A mean's total is no sum; a percent column's total is a rate; `where:` sums some rows."""
    data = excel(HEADER, *ROWS, f"Gesamt;;1,00 €;{LEADS}")
    conn = connector(tmp_path, {"d.csv": data})
    mean = fetch(conn, "cost", rules={"cost": Aggregate("mean", "mean")})
    assert not mean.warnings
    conn.mappings["cost"] = Mapping("cost", Location("k"), column="Kosten", currency="EUR",
                                    where={"Kanal": ["Meta"]})  # fmt: skip
    assert not fetch(conn, "cost").warnings
    rates = [r.rsplit(";", 1)[0] + ";2,5 %" for r in ROWS]
    data = excel(HEADER, *rates, f"Gesamt;;{german(COST)};3,1 %")
    conn = connector(tmp_path, {"d.csv": data})
    conn.mappings["leads"] = Mapping("leads", Location("k"), column="Leads")
    assert fetch(conn, "leads").values["leads"].tolist() == pytest.approx([0.05, 0.05, 0.05])


def test_each_file_of_a_source_is_checked_and_named(tmp_path):
    """Monthly downloads behind one glob, each with its `Gesamt`: the one cut short is named,
    its own rows against its own total."""
    january, february = ROWS[:2], ROWS[2:4]
    totals = [sum(euros(c) for c in column(m, 2)) for m in (january, february)]
    files = {
        "2024-01.csv": excel(HEADER, *january, f"Gesamt;;{german(totals[0])};19"),
        "2024-02.csv": excel(HEADER, *february, f"Gesamt;;{german(totals[1])};18"),
    }
    conn = connector(tmp_path, files, path="2024-*.csv")
    assert not fetch(conn, "cost", "leads").warnings
    files["2024-02.csv"] = excel(HEADER, february[0], f"Gesamt;;{german(totals[1])};18")
    with pytest.raises(KpiError) as caught:
        fetch(connector(tmp_path, files, path="2024-*.csv"), "cost")
    assert caught.value.message == (
        f"the 1 row in this file adds up to {euros('2.001,10'):,.2f} in column `Kosten` but "
        f"`Gesamt` says {totals[1]:,.2f}, {euros('450,00'):,.2f} more"
    )
    assert (caught.value.location.file, caught.value.location.line) == ("2024-02.csv", 3)


def test_a_file_larger_than_its_sample_is_counted_by_the_scan(tmp_path):
    """15,000 rows (more than the sniff reads): the scan counts them for the rows' rounding;
    the `first 10,000 rows` of a report whose total is the whole one's is an error."""
    day = dt.date(2024, 1, 1)
    lines = [
        f"{day + dt.timedelta(days=i % 366):%d.%m.%Y};Meta;{i % 97},{i % 100:02d} €;1"
        for i in range(15_000)
    ]
    total = sum(euros(c) for c in column(lines, 2))
    data = excel(HEADER, *lines, f"Gesamt;;{german(total)};15000")
    assert len(data) > 256 * 1024  # beyond the sniff's first bytes
    frame = fetch(connector(tmp_path, {"d.csv": data}), "cost", "leads")
    assert sum(frame.values["cost"]) == pytest.approx(float(total)) and not frame.warnings
    data = excel(HEADER, *lines[:10_000], f"Gesamt;;{german(total)};15000")
    kept = sum(euros(c) for c in column(lines[:10_000], 2))
    with pytest.raises(KpiError, match=f"the 10,000 rows add up to {kept:,.2f}"):
        fetch(connector(tmp_path, {"d.csv": data}), "cost")


def test_the_engine_reports_a_warning_and_stops_at_a_gap(write_workspace):
    """Through `kpi eval`'s engine: KPI016 names the source and the total's cell."""
    from kpiengine import load_workspace
    from kpiengine.engine import Engine

    root = write_workspace(
        kpi_yaml="currency: EUR\nkpis: [sales_revenue]\nsources:\n  shop:\n    connector: csv\n"
        "    path: shop.csv\n    date: Date\n    map: {revenue: {column: Revenue}}\n"
    )
    rows = ["2024-01-05,120.50", "2024-01-20,80.25", "2024-02-03,99.99"]
    (root / "shop.csv").write_bytes(excel("Date,Revenue", *rows, "Total,200.75"))
    results = Engine(load_workspace(root)).evaluate()
    (warning,) = [f for f in results.findings if f.code == "KPI016"]
    assert warning.message.startswith("source `shop`: the 3 rows add up to 300.74 in column")
    assert (warning.location.file, warning.location.line) == ("shop.csv", 5)
    values = {r["period"]: r["value"] for r in results.records() if not r["segment"]}
    assert values == {"2024-01": pytest.approx(200.75), "2024-02": pytest.approx(99.99)}
    (root / "shop.csv").write_bytes(excel("Date,Revenue", *rows, "Total,400.74"))
    with pytest.raises(KpiError, match="`Total` says 400.74, 100.00 more"):
        Engine(load_workspace(root)).evaluate()
