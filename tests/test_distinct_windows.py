"""Windows of a distinct count (`ytd(visitors)`, `rolling(visitors, 3)`) where the source counts
the ids itself (`distinct: user_id` in a `csv` or `sql` source): the ids counted once from the
window's first day to the period's end, per segment and for the total, never a sum of monthly
counts (README "Distinct counts and stocks"); elsewhere undefined, with the reason.

Expected values are COUNT(DISTINCT user_id) by plain DuckDB over the rows of each window.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from pathlib import Path

import duckdb
import fakesnow  # a test dependency (pinned in the `test` extra)
import pytest
from engine_helpers import load_postgres, load_snowflake, write_parquet

import kpiengine
from kpiengine.connector import Request
from kpiengine.model import Aggregate
from kpiengine.periods import Calendar

TODAY = dt.date(2025, 3, 20)
FIRST, LAST = dt.date(2024, 1, 1), dt.date(2025, 3, 31)  # rows after today: asked again
PAUSED = dt.date(2024, 5, 1), dt.date(2024, 6, 30)  # no Email rows: its windows carry on
COLUMNS = {"day": "DATE", "user_id": "VARCHAR", "channel": "VARCHAR", "amount": "DOUBLE"}
DEFINITIONS = """\
variables:
  visitors: {aggregate: distinct, unit: visitors}
  revenue: {aggregate: sum, unit: currency}
kpis:
  visitors_count: {title: Visitors, formula: visitors, unit: visitors, direction: none}
  visitors_ytd: {title: Visitors YTD, formula: ytd(visitors), unit: visitors, direction: none}
  visitors_qtd: {title: Visitors QTD, formula: qtd(visitors), unit: visitors, direction: none}
  visitors_mtd: {title: Visitors MTD, formula: mtd(visitors), unit: visitors, direction: none}
  visitors_3: {title: Visitors 3, formula: "rolling(visitors, 3)", unit: visitors, direction: none}
  visitors_ytd_before: {title: Before, formula: prev(ytd(visitors)), unit: visitors}
  revenue_per_visitor_ytd:
    title: Revenue per visitor YTD
    formula: ytd(revenue) / ytd(visitors)
    unit: currency / visitors
    direction: none
"""
MAPPING = (
    "    date: day\n    dimensions: [channel]\n    map:\n"
    "      visitors: {distinct: user_id}\n      revenue: {column: amount}\n"
)


@functools.cache
def rows() -> tuple[tuple, ...]:
    """Zero to three visits a day by 45 users over three channels; none by Email in May and
    June 2024 (made once: read-only, a tuple)."""
    rng = random.Random(20241207)
    out = []
    day = FIRST
    while day <= LAST:
        for _ in range(rng.randint(0, 3)):
            channel = rng.choice(["Email", "Ads", "Social"])
            if channel == "Email" and PAUSED[0] <= day <= PAUSED[1]:
                continue
            out.append((day, f"u{rng.randint(1, 45)}", channel, float(rng.randint(1, 90))))
        day += dt.timedelta(days=1)
    return tuple(out)


@functools.cache
def visits_table() -> duckdb.DuckDBPyConnection:
    """A DuckDB database holding rows() as the table `t`, loaded once for every oracle query
    (only read from: no test writes to it)."""
    con = duckdb.connect()
    con.execute("CREATE TABLE t (day DATE, user_id VARCHAR, channel VARCHAR, amount DOUBLE)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows())
    return con


@functools.cache
def oracle(first: dt.date, last: dt.date, channel: str | None) -> int:
    """COUNT(DISTINCT user_id) of the rows from `first` to `last` (of `channel`), by DuckDB."""
    where = "day BETWEEN ? AND ?" + (" AND channel = ?" if channel else "")
    args = [first, min(last, TODAY), *([channel] if channel else [])]
    [(count,)] = (
        visits_table()
        .execute(f"SELECT COUNT(DISTINCT user_id) FROM t WHERE {where}", args)
        .fetchall()
    )
    return int(count)


def month_start(day: dt.date, back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    return month_start(day, -1) - dt.timedelta(days=1)


def expected_month(kpi: str, month: dt.date, channel: str | None, fiscal: int = 1) -> float | None:
    """The KPI's value in `month` by the oracle: None where its window starts before the data."""
    if kpi == "visitors_ytd":
        start = month_start(month, (month.month - fiscal) % 12)
    elif kpi == "visitors_qtd":
        start = month_start(month, (month.month - fiscal) % 3)
    elif kpi == "visitors_mtd":
        start = month
    elif kpi == "visitors_3":
        start = month_start(month, 2)
    else:
        assert kpi == "visitors_ytd_before"
        before = month_start(month, 1)
        return expected_month("visitors_ytd", before, channel, fiscal) if before >= FIRST else None
    return None if start < FIRST else float(oracle(start, month_end(month), channel))


def write_workspace(root: Path, source: str, settings: str = "grain: month\n") -> Path:
    (root / "definitions").mkdir(parents=True, exist_ok=True)
    (root / "definitions" / "k.yaml").write_text(DEFINITIONS)
    (root / "kpi.yaml").write_text(f"{settings}sources:\n  visits:\n{source}{MAPPING}")
    return root


def csv_workspace(root: Path, settings: str = "grain: month\n") -> Path:
    root.mkdir(parents=True)
    lines = ["day,user_id,channel,amount", *(f"{d},{u},{c},{a}" for d, u, c, a in rows())]
    (root / "visits.csv").write_text("\n".join(lines) + "\n")
    return write_workspace(root, "    connector: csv\n    path: visits.csv\n", settings)


def cells(root: Path, kpis: list[str], **options) -> dict[tuple, float | None]:
    results = kpiengine.evaluate(
        kpiengine.load_workspace(root), kpis=kpis, by=["channel"], **options
    )
    return {
        (r["kpi"], r["period"], r["segment"].get("channel")): r["value"] for r in results.records()
    }


def month_of(label: str) -> dt.date:
    return dt.date(int(label[:4]), int(label[5:7]), 1)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", TODAY.isoformat())


WINDOWED = ["visitors_ytd", "visitors_qtd", "visitors_mtd", "visitors_3", "visitors_ytd_before"]


def test_csv_windows_count_each_id_once_per_segment_and_in_total(tmp_path):
    found = cells(csv_workspace(tmp_path / "csv"), WINDOWED)
    checked = 0
    for (kpi, label, channel), value in found.items():
        month = month_of(label)
        if kpi == "visitors_ytd_before" and month == month_start(TODAY):
            continue  # the partial period: see the test of it
        assert value == expected_month(kpi, month, channel), (kpi, label, channel)
        checked += value is not None
    assert checked > 200
    # never the sum of the monthly counts: a user of January and February counts once
    ytd = found["visitors_ytd", "2024-02", None]
    assert ytd < oracle(FIRST, dt.date(2024, 1, 31), None) + oracle(
        dt.date(2024, 2, 1), dt.date(2024, 2, 29), None
    )
    # Email has no rows in May and June: its year to date carries on, its month to date is 0
    assert found["visitors_ytd", "2024-06", "Email"] == found["visitors_ytd", "2024-04", "Email"]
    assert found["visitors_mtd", "2024-06", "Email"] == 0


def test_a_fiscal_year_to_date_starts_in_april(tmp_path):
    found = cells(
        csv_workspace(tmp_path / "csv", "grain: month\nfiscal_year_start: 4\n"),
        ["visitors_ytd", "visitors_qtd"],
    )
    assert found["visitors_ytd", "2024-03", None] is None  # its fiscal year began before the data
    for (kpi, label, channel), value in found.items():
        assert value == expected_month(kpi, month_of(label), channel, fiscal=4), (kpi, label)
    assert found["visitors_ytd", "2024-05", "Ads"] == oracle(
        dt.date(2024, 4, 1), dt.date(2024, 5, 31), "Ads"
    )


def test_weeks_run_in_the_year_and_month_of_their_thursday(tmp_path):
    root = csv_workspace(tmp_path / "csv", "grain: week\n")
    results = kpiengine.evaluate(
        kpiengine.load_workspace(root), kpis=["visitors_ytd", "visitors_mtd"], by=["channel"]
    )
    calendar = Calendar()
    checked = 0
    for record in results.records():
        ordinal = results.table.labels.index(record["period"]) + results.table.first
        monday = calendar.start_date(ordinal, "week")
        thursday = monday + dt.timedelta(days=3)
        outer = "year" if record["kpi"] == "visitors_ytd" else "month"
        group = calendar.ordinal_of(thursday, outer)
        first = monday  # the Monday of the first week whose Thursday is in the same year (month)
        while calendar.ordinal_of(first - dt.timedelta(days=4), outer) == group:
            first -= dt.timedelta(days=7)
        channel = record["segment"].get("channel")
        expected = oracle(first, monday + dt.timedelta(days=6), channel)
        assert record["value"] == (None if first < FIRST else expected), record["period"]
        checked += 1
    # 2024-W53 does not exist; 30 December 2024 to 5 January 2025 is 2025-W01: a new year
    w01 = next(r for r in results.records() if r["period"] == "2025-W01" and not r["segment"])
    assert w01["value"] == oracle(dt.date(2024, 12, 30), dt.date(2025, 1, 5), None)
    assert checked > 100


def test_the_partial_period_counts_to_date_and_is_not_compared_on_other_days(tmp_path):
    root = csv_workspace(tmp_path / "csv")
    results = kpiengine.evaluate(
        kpiengine.load_workspace(root),
        kpis=["visitors_ytd", "visitors_ytd_before", "revenue_per_visitor_ytd"],
        start=dt.date(2025, 3, 1),
    )
    records = {r["kpi"]: r for r in results.records() if not r["segment"]}
    march = records["visitors_ytd"]
    assert march["complete"] is False and march["period"] == "2025-03"
    assert march["value"] == oracle(dt.date(2025, 1, 1), TODAY, None)
    assert march["previous"] is None and march["projected"] is None
    [(revenue,)] = (  # the revenue to date over the visitors to date
        visits_table()
        .execute("SELECT SUM(amount) FROM t WHERE day BETWEEN '2025-01-01' AND ?", [TODAY])
        .fetchall()
    )
    assert records["revenue_per_visitor_ytd"]["value"] == pytest.approx(revenue / march["value"])
    # the year to date before, on the same days of February, is not counted: undefined, with why
    before = records["visitors_ytd_before"]
    assert before["value"] is None and before["reason"]


def test_the_window_option_counts_a_distinct_count_over_its_window(tmp_path):
    root = csv_workspace(tmp_path / "csv")
    found = cells(root, ["visitors_count"], window="rolling:2")
    for (_, label, channel), value in found.items():
        month = month_of(label)
        expected = oracle(month_start(month, 1), month_end(month), channel)
        assert value == (None if month == FIRST else expected), (label, channel)


def sql_source(request, tmp_path: Path, engine: str) -> str:
    if engine == "postgres":
        url = request.getfixturevalue("postgres_url")
        load_postgres(url, "distinct_visits", COLUMNS, list(rows()))
        return (
            "    connector: sql\n    url: ${KPIENGINE_TEST_POSTGRES}\n    table: distinct_visits\n"
        )
    if engine == "snowflake":
        return "    connector: sql\n    url: snowflake://kpi@account/db/s\n    table: visits\n"
    url = "duckdb://" if engine == "duckdb" else request.getfixturevalue(f"{engine}_url")
    write_parquet(tmp_path / "visits.parquet", COLUMNS, list(rows()))
    return (
        f"    connector: sql\n    url: {url}\n    table: visits\n"
        f"    files: {{visits: {tmp_path / 'visits.parquet'}}}\n"
    )


ENGINE_KPIS = ["visitors_ytd", "visitors_3", "visitors_ytd_before"]


@pytest.fixture(scope="module")
def from_csv(tmp_path_factory) -> dict[tuple, float | None]:
    """ENGINE_KPIS of the csv workspace, which every SQL engine must give (evaluated once; only
    compared with)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KPIENGINE_TODAY", TODAY.isoformat())
        return cells(csv_workspace(tmp_path_factory.mktemp("windows") / "csv"), ENGINE_KPIS)


@pytest.mark.parametrize("engine", ["duckdb", "postgres", "chdb", "spark", "snowflake"])
def test_every_sql_engine_counts_the_windows_from_the_ids(request, tmp_path, from_csv, engine):
    root = write_workspace(tmp_path / engine, sql_source(request, tmp_path, engine))
    if engine == "snowflake":
        with fakesnow.patch():
            load_snowflake("visits", COLUMNS, list(rows()))
            found = cells(root, ENGINE_KPIS)
    else:
        found = cells(root, ENGINE_KPIS)
    assert found == from_csv
    assert found["visitors_ytd", "2024-11", "Ads"] == oracle(
        dt.date(2024, 1, 1), dt.date(2024, 11, 30), "Ads"
    )
    assert found["visitors_3", "2025-02", None] == oracle(
        dt.date(2024, 12, 1), dt.date(2025, 2, 28), None
    )


PLUGIN = '''\
import numpy as np
from kpiengine import Connector, Frame, hookimpl


class MonthlyUsers(Connector):
    """Users counted by month, as an analytics export gives them: no ids to count windows."""

    name = "monthly_users"

    def fetch(self, request):
        months = np.array(["2024-01-01", "2024-02-01", "2024-03-01"], dtype="datetime64[D]")
        return Frame(months, {}, {"visitors": np.array([10.0, 12.0, 9.0])}, grain="month")


@hookimpl
def register_connectors(register):
    register(MonthlyUsers)
'''


def test_a_connector_that_does_not_count_ids_leaves_windows_undefined_with_the_reason(tmp_path):
    root = tmp_path / "plugin"
    (root / "plugins").mkdir(parents=True)
    (root / "plugins" / "monthly.py").write_text(PLUGIN)
    write_workspace(root, "    connector: monthly_users\n")
    (root / "kpi.yaml").write_text(
        "grain: month\nsources:\n  users:\n    connector: monthly_users\n"
        "    map: {visitors: visitors}\n"
    )
    results = kpiengine.evaluate(
        kpiengine.load_workspace(root), kpis=["visitors_count", "visitors_ytd"]
    )
    records = {(r["kpi"], r["period"]): r for r in results.records()}
    assert records["visitors_count", "2024-02"]["value"] == 12
    ytd = records["visitors_ytd", "2024-02"]
    assert ytd["value"] is None
    assert "cannot be aggregated over a ytd window from its period values" in ytd["reason"]


def test_a_column_of_counts_is_not_windowed(tmp_path):
    root = tmp_path / "counts"
    root.mkdir()
    (root / "users.csv").write_text("month,users\n2024-01-01,10\n2024-02-01,12\n2024-03-01,9\n")
    write_workspace(root, "")
    (root / "kpi.yaml").write_text(
        "grain: month\nsources:\n  users:\n    connector: csv\n    path: users.csv\n"
        "    date: month\n    map: {visitors: users}\n"
    )
    results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["visitors_ytd"])
    [march] = [r for r in results.records() if r["period"] == "2024-03"]
    assert march["value"] is None and "cannot be aggregated over" in march["reason"]


def test_the_ordinary_query_is_unchanged_without_windows(tmp_path):
    """Only a request with windows of a distinct count adds the grouping by id and the events."""
    root = write_workspace(
        tmp_path / "db",
        "    connector: sql\n    url: duckdb://\n    table: visits\n"
        f"    files: {{visits: {tmp_path / 'visits.parquet'}}}\n",
    )
    write_parquet(tmp_path / "visits.parquet", COLUMNS, list(rows()))
    engine = kpiengine.Engine(kpiengine.load_workspace(root))
    [source] = engine.inputs(None).opened
    variables = {"visitors": Aggregate("distinct", "distinct"), "revenue": Aggregate()}
    plain = source.connector.sql(Request(variables, "month", ["channel"]))
    assert "__wvar" not in plain and "LEAD" not in plain.upper()
    windowed = Request(variables, "month", ["channel"], windows={"visitors": ("ytd",)})
    assert "__wvar" in source.connector.sql(windowed)
    assert source.connector.sql(Request(variables, "month", ["channel"], windows={})) == plain
