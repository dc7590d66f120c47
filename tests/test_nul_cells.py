"""A NUL byte in a text cell further down than the reading layer looks (its first 256 KiB), in
every connector whose segments come from file text: `csv`, `ga_export`, `ads`, `crm`.

DuckDB reads `\\x00Email Marketing` in a quoted cell as text: it would be a segment of its own.
The scan finds it in its grouped output (no test per row) and the error is the reading layer's,
at the NUL's `file:line:column`. Expected places are worked out here from the lines as written.
"""

from __future__ import annotations

import pytest

from kpiengine.connector import Mapping, Request, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.fileformats.encodings import detect_encoding
from kpiengine.model import Aggregate
from kpiengine.scanerrors import NUL_FIX, NUL_MESSAGE

CHANNELS = ["Organic Search", "Email Marketing", "Referrals", "Paid Search", "Direct"]
ROWS = 12000
BAD = 10000  # the data row (0-based) holding the NUL: beyond the first 256 KiB


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-12-07")


def day(i):
    return f"{2016 + i // 1500}-{1 + i // 125 % 12:02d}-{1 + i % 28:02d}"


def write(path, lines):
    """The file, and its physical lines (1-based: `lines[n - 1]`)."""
    path.write_text("".join(f"{t}\n" for t in lines), encoding="utf-8")
    assert len("".join(f"{t}\n" for t in lines[: BAD + 1]).encode()) > 256 * 1024
    return lines


def nul_at(name, lines, n):
    """The place of the NUL on line `n`."""
    return Location(name, n, lines[n - 1].index("\x00") + 1)


def stops_at(where, call):
    with pytest.raises(KpiError) as caught:
        call()
    assert (caught.value.message, caught.value.location, caught.value.fix) == (
        NUL_MESSAGE,
        where,
        NUL_FIX,
    )


def test_the_words_are_the_reading_layers():
    with pytest.raises(KpiError) as caught:
        detect_encoding(b'Date,Channel\n2024-01-01,"\x00Email"\n', "d.csv")
    assert (caught.value.message, caught.value.fix) == (NUL_MESSAGE, NUL_FIX)
    assert caught.value.location == Location("d.csv", 2, 13)


# --- csv ---------------------------------------------------------------------------------------


def csv_source(root, path="d.csv", mappings=None):
    from kpiengine.connectors.csv_files import CsvConnector

    return CsvConnector(
        SourceConfig(
            name="web",
            connector="csv",
            root=root,
            location=Location("kpi.yaml", 3, 5),
            options={"path": path},
            mappings=mappings or {},
            dimensions={"channel": "channel"},
            variables=frozenset({"revenue", "leads"}),
        )
    )


def csv_rows(bad=None):
    rows = [[day(i), CHANNELS[i % 5], str(10 + i % 7)] for i in range(ROWS)]
    if bad is not None:
        rows[BAD][1] = bad
    return rows


def csv_lines(rows):
    return ["date,channel,revenue", *(f'{d},"{c}",{r}' for d, c, r in rows)]


def ask(conn, *variables, dims=(), rules=None):
    rules = rules or {}
    return conn.fetch(
        Request({v: rules.get(v, Aggregate()) for v in variables}, "month", list(dims))
    )


@pytest.mark.parametrize("text", ["\x00Email Marketing", "Refer\x00rals", "Direct\x00", "\x00"])
def test_csv_a_nul_in_a_segment_stops_at_it(tmp_path, text):
    lines = write(tmp_path / "d.csv", csv_lines(csv_rows(text)))
    stops_at(nul_at("d.csv", lines, BAD + 2), lambda: ask(csv_source(tmp_path), "revenue",
                                                          dims=["channel"]))  # fmt: skip


def test_csv_a_nul_counts_right_without_segments_and_costs_no_test_per_row(tmp_path):
    rows = csv_rows("\x00Email Marketing")
    write(tmp_path / "d.csv", csv_lines(rows))
    conn = csv_source(tmp_path)
    frame = ask(conn, "revenue")
    assert float(frame.values["revenue"].sum()) == sum(int(r[2]) for r in rows)


def test_csv_a_distinct_count_by_segment_stops_too(tmp_path):
    """Distinct counts group by grouping sets (labels trimmed per row): the same labels."""
    rows = csv_rows("Paid\x00 Search")
    lines = ["date,channel,revenue,visitor", *(f'{d},"{c}",{r},v{i % 40}' for i, (d, c, r) in
                                              enumerate(rows))]  # fmt: skip
    write(tmp_path / "d.csv", lines)
    mapping = Mapping("leads", Location("kpi.yaml", 8, 5), distinct="visitor")
    conn = csv_source(tmp_path, mappings={"leads": mapping})
    distinct = Aggregate(time="distinct")
    stops_at(nul_at("d.csv", lines, BAD + 2),
             lambda: ask(conn, "leads", dims=["channel"], rules={"leads": distinct}))  # fmt: skip


def test_csv_the_file_holding_the_nul_is_named(tmp_path):
    write(tmp_path / "a.csv", csv_lines(csv_rows()))
    lines = write(tmp_path / "b.csv", csv_lines(csv_rows("Email\x00Marketing")))
    stops_at(nul_at("b.csv", lines, BAD + 2),
             lambda: ask(csv_source(tmp_path, "*.csv"), "revenue", dims=["channel"]))  # fmt: skip


# --- ga_export ---------------------------------------------------------------------------------


def ga_source(root):
    from kpiengine.connectors.ga_export import GaExportConnector

    return GaExportConnector(
        SourceConfig(
            name="ga",
            connector="ga_export",
            root=root,
            location=Location("kpi.yaml", 3, 5),
            options={"path": "ga.csv"},
            variables=frozenset(),
        )
    )


def ga_lines(header, cells):
    return [header, *(f"{day(i).replace('-', '')},{c},{100 + i % 9},{50 + i % 5}" for i, c in
                      enumerate(cells))]  # fmt: skip


def test_ga_a_nul_in_a_channel_stops_at_it(tmp_path):
    cells = [f'"{CHANNELS[i % 5]}"' for i in range(ROWS)]
    cells[BAD] = '"\x00Email Marketing"'
    lines = write(tmp_path / "ga.csv",
                  ga_lines("Date,Session default channel group,Sessions,Users", cells))  # fmt: skip
    conn = ga_source(tmp_path)
    total = ask(conn, "sessions")  # no segment asked: nothing to stop
    assert float(total.values["sessions"].sum()) == sum(100 + i % 9 for i in range(ROWS))
    stops_at(nul_at("ga.csv", lines, BAD + 2), lambda: ask(conn, "sessions", dims=["channel"]))


def test_ga_a_nul_in_a_medium_stops_at_it(tmp_path):
    """Source and medium in two columns make one label (`google / cpc`)."""
    cells = [f'"{("google", "bing")[i % 2]}","{("cpc", "organic")[i % 3 % 2]}"' for i in
             range(ROWS)]  # fmt: skip
    cells[BAD] = '"google","cp\x00c"'
    lines = write(tmp_path / "ga.csv",
                  ga_lines("Date,Session source,Session medium,Sessions,Users", cells))  # fmt: skip
    stops_at(nul_at("ga.csv", lines, BAD + 2),
             lambda: ask(ga_source(tmp_path), "sessions", dims=["source_medium"]))  # fmt: skip


# --- ads ---------------------------------------------------------------------------------------

ADS = (
    "segments.date,campaign.name,campaign.advertising_channel_type,customer.currency_code,"
    "metrics.impressions,metrics.clicks,metrics.cost_micros"
)
CAMPAIGNS = [("Brand - Exact", "SEARCH"), ("PMax - All Products", "PERFORMANCE_MAX"),
             ("Generic - Running Shoes", "SEARCH")]  # fmt: skip


def ads_source(root):
    from kpiengine.connectors.ads import AdsConnector

    return AdsConnector(
        SourceConfig(
            name="ads",
            connector="ads",
            root=root,
            location=Location("kpi.yaml", 3, 5),
            options={"path": "ads.csv"},
            currency="USD",
            variables=frozenset({"impressions", "clicks", "ad_spend", "ad_revenue"}),
        )
    )


def ads_lines(column, text):
    rows = [[day(i), *CAMPAIGNS[i % 3]] for i in range(ROWS)]
    rows[BAD][column] = text
    return [ADS, *(f'{d},"{n}","{t}",USD,{1000 + i % 11},{i % 13},{i % 7}000000' for i, (d, n, t)
                   in enumerate(rows))]  # fmt: skip


@pytest.mark.parametrize(
    ("column", "text", "dim"),
    [(1, "Brand\x00 - Exact", "campaign"), (2, "SEARCH\x00", "campaign_type")],
)
def test_ads_a_nul_in_a_campaign_stops_at_it(tmp_path, column, text, dim):
    lines = write(tmp_path / "ads.csv", ads_lines(column, text))
    conn = ads_source(tmp_path)
    total = ask(conn, "clicks")
    assert float(total.values["clicks"].sum()) == sum(i % 13 for i in range(ROWS))
    stops_at(nul_at("ads.csv", lines, BAD + 2), lambda: ask(conn, "clicks", dims=[dim]))


# --- crm ---------------------------------------------------------------------------------------

DEALS = ["Record ID", "Deal Name", "Deal Stage", "Close Date", "Amount", "Pipeline",
         "Create Date", "Original Source Type"]  # fmt: skip
STAGES = ["Closed won", "Closed lost", "Contract sent"]


def crm_source(root, mappings=None):
    from kpiengine.connectors.crm import CrmConnector

    return CrmConnector(
        SourceConfig(
            name="crm",
            connector="crm",
            root=root,
            location=Location("kpi.yaml", 4, 5),
            options={"path": "deals.csv"},
            mappings=mappings or {},
            currency="USD",
            variables=frozenset({"deals_won", "revenue", "opportunities", "leads"}),
        )
    )


def deals(tmp_path, changes=()):
    rows = [
        [str(100000 + i), f"Deal {i}", STAGES[i % 3], f"{day(i)} 17:05", f"{10 + i % 97}.50",
         "Sales Pipeline", f"{day(i)} 09:30", ("Direct", "Organic Search")[i % 2]]
        for i in range(ROWS)
    ]  # fmt: skip
    for row, column, text in changes:
        rows[row][DEALS.index(column)] = text
    lines = [",".join(f'"{c}"' for c in r) for r in [DEALS, *rows]]
    return rows, write(tmp_path / "deals.csv", lines)


def test_crm_a_nul_stage_is_the_nul_not_a_stage_to_class(tmp_path):
    """An unknown stage further up does not hide it: the file is not a text export."""
    _, lines = deals(tmp_path, [(4000, "Deal Stage", "Negotiation"),
                                (BAD, "Deal Stage", "Closed\x00won")])  # fmt: skip
    stops_at(nul_at("deals.csv", lines, BAD + 2),
             lambda: ask(crm_source(tmp_path), "deals_won"))  # fmt: skip


def test_crm_a_nul_in_a_where_cell_stops_at_it(tmp_path):
    """A `where:` cell holding a NUL would leave its row out silently: still tested per row,
    by the requests that map one."""
    rows, lines = deals(tmp_path, [(BAD, "Original Source Type", "Dir\x00ect")])
    mapping = Mapping("leads", Location("kpi.yaml", 9, 5), count=True,
                      where={"Original Source Type": ["Direct"]})  # fmt: skip
    conn = crm_source(tmp_path, {"leads": mapping})
    stops_at(nul_at("deals.csv", lines, BAD + 2), lambda: ask(conn, "leads"))
    frame = ask(conn, "deals_won")  # no `where:` asked: nothing tested, the count right
    assert float(frame.values["deals_won"].sum()) == sum(1 for r in rows if r[2] == "Closed won")


def test_crm_a_deals_scan_tests_no_cell_for_a_nul(tmp_path):
    """The speed rule: the common request's scan has no test per row for a NUL."""
    deals(tmp_path)
    conn = crm_source(tmp_path)
    request = Request({v: Aggregate() for v in ("deals_won", "revenue")}, "month", ["channel"])
    scan = conn._scan(request)[0]
    assert "chr(0)" not in scan.sql()
