"""Real export shapes load without hand edits, and bad files are errors at their place.

The fixtures reproduce the platforms' bytes: preamble, BOM, CRLF, totals rows, a GA4
Exploration's grand total one field beyond the header, Google Ads' `Thu, 5 Feb 2026` days,
reports without a date column over a custom range. Expected values are written here by hand
or computed with the csv module and plain Python.
"""

import csv
import datetime as dt
import textwrap
from collections import defaultdict
from pathlib import Path

import duckdb
import numpy as np
import pytest

import kpiengine
from kpiengine.connector import Mapping, Request, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.model import Aggregate
from kpiengine.plugins import make_plugin_manager, registered

FIXTURES = Path(__file__).parent / "fixtures"
VARIABLES = frozenset(
    [
        "sessions",
        "conversions",
        "ad_spend",
        "clicks",
        "impressions",
        "ad_revenue",
        "revenue",
        "visitors",
        "deals_won",
        "opportunities",
    ]
)


def connector(kind, root, path, currency=None, mappings=None, dimensions=None, **options):
    options = {"path": str(path), **options} if path else options
    config = SourceConfig(
        "s", kind, Path(root), Location("kpi.yaml", 3, 5), options,
        mappings=mappings or {}, dimensions=dimensions or {}, currency=currency,
        variables=VARIABLES,
    )  # fmt: skip
    return registered(make_plugin_manager(), "register_connectors")[kind].obj(config)


def fetch(conn, *variables, grain="month", dims=(), rules=None):
    rules = rules or {}
    aggregates = {v: rules.get(v, Aggregate()) for v in variables}
    return conn.fetch(Request(aggregates, grain, list(dims)))


# --- real shapes -----------------------------------------------------------------------------


def test_ga4_exploration_with_its_grand_total_beyond_the_header():
    conn = connector("ga_export", FIXTURES / "ga", "ga4_exploration_grand_total.csv")
    frame = fetch(conn, "sessions", "conversions", dims=["channel"])
    rows = list(csv.reader((FIXTURES / "ga" / "ga4_exploration_grand_total.csv").open()))[8:-1]
    expected = defaultdict(float)
    for row in rows:
        expected[row[0]] += float(row[4])
    got = dict(zip(frame.dims["channel"], frame.values["sessions"], strict=True))
    assert got == dict(expected) and "Grand total" not in got and "" not in got
    assert frame.values["conversions"].sum() == 11192  # the grand total row is not counted


def test_ga4_report_without_dates_over_a_custom_range_is_one_period():
    conn = connector("ga_export", FIXTURES / "ga", "ga4_custom_range_undated.csv")
    frame = fetch(conn, "sessions", "visitors", dims=["channel"],
                  rules={"visitors": Aggregate("distinct", "distinct")})  # fmt: skip
    assert frame.grain == "range" and frame.span == (dt.date(2025, 1, 1), dt.date(2026, 5, 24))
    assert set(frame.dates.astype(str)) == {"2025-01-01"}
    sessions = dict(zip(frame.dims["channel"], frame.values["sessions"], strict=True))
    assert sessions == {"Direct": 27480, "Email": 9036, "Organic Search": 58117, "": np.nan} or (
        {k: v for k, v in sessions.items() if k}
        == {"Direct": 27480, "Email": 9036, "Organic Search": 58117}  # fmt: skip
    )
    # users as the export gives them: each row is one channel over the one period, and the
    # grand total row is the total (distinct users do not add up: 65,870 < 68,280)
    assert frame.totals is not None
    total = frame.values["visitors"][frame.totals]
    assert total.tolist() == [65870.0]
    users = dict(zip(frame.dims["channel"][~frame.totals], frame.values["visitors"][~frame.totals],
                     strict=True))  # fmt: skip
    assert users == {"Direct": 20955, "Email": 6117, "Organic Search": 41208}


def test_google_ads_time_series_with_weekday_dates():
    conn = connector("ads", FIXTURES / "ads", "google_ads_time_series.csv", currency="EUR")
    frame = fetch(conn, "ad_spend", "clicks", grain="day")
    got = dict(zip(frame.dates.astype(str), frame.values["ad_spend"], strict=True))
    assert got == pytest.approx({"2026-02-02": 237.47, "2026-02-05": 47.10, "2026-02-06": 180.01})
    assert frame.values["clicks"].sum() == 425  # the `Total:` row is not counted


def test_google_ads_campaign_report_over_a_month_without_days():
    conn = connector("ads", FIXTURES / "ads", "google_ads_campaigns_july.csv", currency="EUR")
    frame = fetch(conn, "ad_spend", "impressions", grain="week", dims=["campaign"])
    assert frame.grain == "range" and frame.span == (dt.date(2025, 7, 1), dt.date(2025, 7, 31))
    got = dict(zip(frame.dims["campaign"], frame.values["ad_spend"], strict=True))
    assert got == pytest.approx({"Brand - Exact": 1512.40, "Courses - Generic": 5201.77})
    by_month = fetch(conn, "ad_spend")  # July is a month: one period of the grain asked for
    assert by_month.values["ad_spend"].sum() == pytest.approx(6714.17)


@pytest.mark.parametrize(
    ("cells", "spec"),
    [(["2024-01", "2024-02"], "%Y-%m"), (["Jan 2024", "Feb 2024"], "%b %Y"),
     (["01/2024", "02/2024"], "%m/%Y")],
)  # fmt: skip
def test_month_dates_need_no_date_format(tmp_path, cells, spec):
    text = "month,revenue\n" + "".join(f"{c},{i + 1}\n" for i, c in enumerate(cells))
    (tmp_path / "m.csv").write_text(text)
    frame = fetch(connector("csv", tmp_path, "m.csv"), "revenue")
    assert frame.dates.astype(str).tolist() == ["2024-01-01", "2024-02-01"]
    assert frame.values["revenue"].tolist() == [1.0, 2.0] and frame.date_grain == "month"


@pytest.mark.parametrize("cells", [["2024-01", "2024-02", "2024-03"],
                                   ["2024-01-01", "2024-02-01", "2024-03-01"]])  # fmt: skip
def test_monthly_rows_are_never_put_on_a_day_or_in_a_week(tmp_path, cells):
    data = "month,ad_spend,clicks\n" + "".join(f"{c},{100 * (i + 1)},{10 * (i + 2)}\n"
                                              for i, c in enumerate(cells))  # fmt: skip
    (tmp_path / "m.csv").write_text(data)
    (tmp_path / "kpi.yaml").write_text(
        "currency: USD\nkpis: [cpc]\nsources:\n  ads: {connector: csv, path: m.csv, date: month}\n"
    )
    engine = kpiengine.Engine(kpiengine.load_workspace(tmp_path))
    for grain in ("day", "week"):  # March's total is not a 1 March or a week-9 figure
        with pytest.raises(KpiError) as info:
            engine.evaluate(grain=grain)
        assert f"whole months, which no {grain} can count" in str(info.value)
        assert "--grain month" in (info.value.fix or "")
    quarter = engine.evaluate(grain="quarter")
    assert quarter.kpis["cpc"].values[0, 0] == pytest.approx((100 + 200 + 300) / (20 + 30 + 40))


@pytest.mark.parametrize(("encoding", "bom"), [("utf-16-be", b"\xfe\xff"), ("cp1252", b"")])
def test_encodings_duckdb_cannot_read_are_transcoded(tmp_path, encoding, bom):
    text = (
        "date;channel;revenue\r\n2024-03-01;Caf\u00e9;\u20ac1.234,50\r\n"
        "2024-03-02;Caf\u00e9;\u20ac10\r\n"
    )
    (tmp_path / "d.csv").write_bytes(bom + text.encode(encoding))
    frame = fetch(connector("csv", tmp_path, "d.csv", currency="EUR"), "revenue", dims=["channel"])
    assert frame.values["revenue"].tolist() == [1244.5] and frame.dims["channel"][0] == "Caf\u00e9"


# --- distinct counts and mapping dates -------------------------------------------------------

EVENTS = [
    ("2024-01-03", "Email", "u1"), ("2024-01-05", "Email", "u1"), ("2024-01-09", "Email", "u2"),
    ("2024-01-10", "Ads", "u1"), ("2024-02-01", "Ads", "u3"), ("2024-02-02", "Ads", "u3"),
    ("2024-02-05", "Email", ""),
]  # fmt: skip


def expected_distinct():
    cells = defaultdict(set)
    for day, channel, user in EVENTS:  # a cell with rows and no user has 0 users
        for key in ((day[:7], channel), (day[:7], "")):
            cells[key] |= {user} if user else set()
    return {k: float(len(v)) for k, v in cells.items()}


def distinct_cells(frame):
    out = {}
    for i, day in enumerate(frame.dates.astype(str)):
        value = frame.values["visitors"][i]
        if not np.isnan(value):
            key = "" if frame.totals is not None and frame.totals[i] else frame.dims["channel"][i]
            out[(day[:7], key)] = value
    return out


def test_distinct_counts_through_csv_and_the_sql_connector(tmp_path):
    (tmp_path / "e.csv").write_text(
        "date,channel,user_id\n" + "".join(f"{d},{c},{u}\n" for d, c, u in EVENTS)
    )
    rule = {"visitors": Aggregate("distinct", "distinct")}
    mapping = {"visitors": Mapping("visitors", Location("k"), distinct="user_id")}
    conn = connector("csv", tmp_path, "e.csv", mappings=mapping, dimensions={"channel": "channel"})
    from_csv = fetch(conn, "visitors", dims=["channel"], rules=rule)
    assert distinct_cells(from_csv) == expected_distinct()
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(f"CREATE TABLE events AS SELECT * FROM read_csv('{tmp_path / 'e.csv'}')")
    sql = connector("sql", tmp_path, "", mappings=mapping, dimensions={"channel": "channel"},
                    url=f"duckdb:///{db}", table="events")  # fmt: skip
    from_sql = fetch(sql, "visitors", dims=["channel"], rules=rule)
    assert distinct_cells(from_sql) == expected_distinct()


def test_a_mapping_dates_its_variable_by_another_column(tmp_path):
    (tmp_path / "d.csv").write_text(
        "created,closed,stage\n2024-01-05,2024-02-10,won\n2024-01-20,,open\n"
        "2024-02-03,2024-02-25,won\n2024-02-04,2024-03-01,lost\n"
    )
    mappings = {
        "opportunities": Mapping("opportunities", Location("k"), count=True),
        "deals_won": Mapping(
            "deals_won", Location("k"), count=True, where={"stage": ["won"]}, date="closed"
        ),
    }
    conn = connector("csv", tmp_path, "d.csv", mappings=mappings, date="created")
    frame = fetch(conn, "opportunities", "deals_won")
    got = {d: (o, w) for d, o, w in zip(frame.dates.astype(str), frame.values["opportunities"],
                                       frame.values["deals_won"], strict=True)}  # fmt: skip
    assert got["2024-01-01"] == (2.0, 0.0) and got["2024-02-01"][1] == 2.0
    assert frame.dated_by == {"opportunities": "created", "deals_won": "closed"}


# --- bad files: errors at their place, never a plugin failure ---------------------------------


@pytest.mark.parametrize(
    ("data", "where", "words"),
    [
        (b"date,revenue\n2024-01-01,1\n2024-01-02,2,3\n", "data.csv:3:", "3 fields"),
        (b'date,revenue\n2024-01-01,"1\n', "data.csv:2:", "never closed"),
        (b"date,revenue\n" + b"\x00" * 64, "data.csv:2:", "NUL bytes"),
        (bytes(range(256)) * 8, "data.csv", "binary"),
        (b"date,revenue,revenue\n2024-01-01,1,2\n", "data.csv:1:", "two columns are named"),
    ],
)
def test_bad_files_are_errors_at_their_place_not_plugin_failures(tmp_path, data, where, words):
    root = tmp_path / "ws"
    (root / "definitions").mkdir(parents=True)
    (root / "kpi.yaml").write_text(
        textwrap.dedent(
            """\
            sources:
              sales: {connector: csv, path: data.csv, map: {revenue: revenue}}
            """
        )
    )
    (root / "data.csv").write_bytes(data)
    with pytest.raises(KpiError) as info:
        kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["sales_revenue"])
    assert str(info.value.location).startswith(where), str(info.value)
    assert words in info.value.message and "failed" not in info.value.message


def test_a_ragged_row_past_the_sample_is_found_by_reading_the_file_again(tmp_path):
    rows = "".join(f"2024-01-{1 + i % 28:02d},{i}\n" for i in range(40_000))
    (tmp_path / "d.csv").write_text(f"date,revenue\n{rows}2024-02-01,1,2\n")
    with pytest.raises(KpiError, match="3 fields") as info:
        fetch(connector("csv", tmp_path, "d.csv"), "revenue")
    assert info.value.location.line == 40_002


def test_typed_columns_are_never_cast_to_text(tmp_path):
    parquet = tmp_path / "d.parquet"
    duckdb.sql(
        "SELECT DATE '2024-01-01' + CAST(i AS INTEGER) AS date, i * 1.5 AS revenue "
        "FROM range(40) t(i)"
    ).write_parquet(str(parquet))
    conn = connector("csv", tmp_path, "d.parquet")
    import kpiengine.filescan as fs

    seen = []
    original = fs.Scan.parts

    def parts(self):
        cells, answer = original(self)
        seen.append(f"{cells} {answer}")
        return cells, answer

    with pytest.MonkeyPatch.context() as patch:  # undone by deleting: `parts` is inherited
        patch.setattr(fs.Scan, "parts", parts)
        frame = fetch(conn, "revenue")
    assert frame.values["revenue"].tolist() == [sum(i * 1.5 for i in range(31)),
                                                sum(i * 1.5 for i in range(31, 40))]  # fmt: skip
    assert 'CAST("revenue" AS VARCHAR)' not in seen[0] and 'CAST("date" AS VARCHAR)' not in seen[0]


def test_a_range_without_its_year_takes_the_preamble_s_or_asks(tmp_path):
    body = "Campaign,Impr.,Clicks,Cost\r\nBrand,100,10,5.00\r\nTotal: Account,100,10,5.00\r\n"
    dated = 'Campaign report\r\n"8 to 31 July"\r\n"Downloaded on 2 August 2025"\r\n' + body
    (tmp_path / "a.csv").write_bytes(dated.encode("utf-8"))
    frame = fetch(connector("ads", tmp_path, "a.csv"), "ad_spend")
    assert frame.span == (dt.date(2025, 7, 8), dt.date(2025, 7, 31))
    (tmp_path / "b.csv").write_bytes(('Campaign report\r\n"8 to 31 July"\r\n' + body).encode())
    with pytest.raises(KpiError, match="`8 to 31 July` names no year"):
        connector("ads", tmp_path, "b.csv")
