"""A CSV file read through the `sql` connector's `files:` reads as the `csv` connector reads it:
the same numbers (the one number grammar: `1.500` is 1500, `1.234,56 €` 1234.56), the same dates
(an ambiguous day/month order stops both; a timestamp is dated by the day it shows, whatever the
machine's time zone), the same errors at `file:line:column`. A database's timestamps with a time
zone are dated by their UTC day on every engine (the session runs in UTC).

Expected values are written by hand from the fixtures; time zones are set in subprocesses (TZ),
as the machine sets them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import kpiengine
from kpiengine.errors import KpiError

SPEND = "kpis:\n  spend: {title: Spend, formula: marketing_cost, unit: currency}\n"
ENGINES = ["duckdb", "chdb", "spark"]
ZONES = ["Europe/Berlin", "America/Los_Angeles"]


def url_of(request, engine: str) -> str:
    return "duckdb://" if engine == "duckdb" else request.getfixturevalue(f"{engine}_url")


def workspace(root: Path, source: str, currency: str = "USD") -> Path:
    (root / "definitions").mkdir(parents=True, exist_ok=True)
    (root / "definitions" / "k.yaml").write_text(SPEND)
    (root / "kpi.yaml").write_text(f"currency: {currency}\nsources:\n  s:\n{source}")
    return root


def pair(
    tmp: Path,
    data: bytes,
    url: str,
    options: str = "",
    currency: str = "USD",
    columns: tuple[str, str, str] = ("date", "channel", "cost"),
):
    """The same file read by a `csv` source and by a `sql` source's `files:` (roots);
    `columns`: its date, channel and cost columns."""
    (tmp / "costs.csv").write_bytes(data)
    date, channel, cost = columns
    common = f"    date: {date}\n{options}    dimensions: {{channel: {channel}}}\n"
    csv_source = (
        f"    connector: csv\n    path: {tmp / 'costs.csv'}\n{common}"
        f"    map: {{marketing_cost: {{column: {cost}}}}}\n"
    )
    sql_source = (
        f"    connector: sql\n    url: {json.dumps(url)}\n"
        f"    files: {{costs: {tmp / 'costs.csv'}}}\n    table: costs\n{common}"
        f"    map: {{marketing_cost: {cost}}}\n"
    )
    return (
        workspace(tmp / "csv", csv_source, currency),
        workspace(tmp / "sql", sql_source, currency),
    )


def spend(root: Path) -> dict[tuple[str, str], float]:
    results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["spend"], by=["channel"])
    return {
        (r["period"], r["segment"].get("channel", "")): r["value"]
        for r in results.records()
        if r["value"] is not None
    }


def error_of(root: Path) -> str:
    with pytest.raises(KpiError) as caught:
        spend(root)
    return str(caught.value)


# --- numbers and dates as the csv connector reads them -------------------------------------------

THOUSANDS = b"date,channel,cost\n2024-01-05,Email,1.500\n2024-02-05,Search,2.250\n"
#: a European export: `;`, amounts with `.` grouping thousands, `,` decimals and `€`, a dash
#: for no value, accounting parentheses for a refund
EUROPEAN = (
    "date;channel;cost\r\n2024-01-05;Email;1.234,56 €\r\n2024-01-09;Email;—\r\n"
    "2024-02-05;Search;2,5 €\r\n2024-02-06;Search;(1.000,00) €\r\n"
).encode()
#: Excel's CSV: a BOM, CRLF, a title line, US dates, a totals row (never counted)
EXCEL = (
    '\ufeffReport: costs\r\n\r\ndate,channel,cost,clicks\r\n01/15/2024,  Email ,"$1,234.50",12\r\n'
    '01/16/2024,Search,$99.50,n/a\r\n02/01/2024,Email,$0.25,7\r\nTotal,,"$1,334.25",19\r\n'
).encode()
#: segments named like numbers: a dimension is the text of its cells (trimmed), not a number
CODES = b"date,channel,cost\n2024-01-05,1.500,1\n2024-01-06, 007,2\n2024-02-01,1.500,4\n"
CASES = {
    "thousands": (THOUSANDS, "USD", {"2024-01": 1500.0, "2024-02": 2250.0}),
    "codes": (CODES, "USD", {"2024-01": 3.0, "2024-02": 4.0}),
    "european": (EUROPEAN, "EUR", {"2024-01": 1234.56, "2024-02": -997.5}),
    "excel": (EXCEL, "USD", {"2024-01": 1334.0, "2024-02": 0.25}),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", CASES)
def test_numbers_read_as_the_csv_connector_reads_them(request, tmp_path, engine, case):
    data, currency, totals = CASES[case]
    csv_root, sql_root = pair(tmp_path, data, url_of(request, engine), currency=currency)
    from_csv, from_sql = spend(csv_root), spend(sql_root)
    assert {p: v for (p, c), v in from_sql.items() if c == ""} == pytest.approx(totals)
    assert from_sql.keys() == from_csv.keys()
    assert from_sql == pytest.approx(from_csv)
    if case == "excel":  # the channel's cell is trimmed, as the csv connector trims it
        assert from_sql["2024-01", "Email"] == pytest.approx(1234.5)
    if case == "codes":
        assert from_sql["2024-01", "1.500"] == 1.0 and from_sql["2024-01", "007"] == 2.0


AMBIGUOUS = b"date,channel,cost\n01/02/2024,Email,100\n01/03/2024,Search,10\n"


def test_ambiguous_dates_stop_both_connectors_alike(tmp_path):
    csv_root, sql_root = pair(tmp_path, AMBIGUOUS, "duckdb://")
    said = error_of(sql_root)
    assert said == error_of(csv_root)
    assert said.startswith(f"{tmp_path / 'costs.csv'}:2:1: the dates in column `date` read as")
    assert "date_format: '%d/%m/%Y'" in said


@pytest.mark.parametrize(
    ("fmt", "months"),
    [("%d/%m/%Y", {"2024-02": 100.0, "2024-03": 10.0}), ("%m/%d/%Y", {"2024-01": 110.0})],
)
def test_date_format_settles_the_order_for_both(tmp_path, fmt, months):
    options = f"    date_format: '{fmt}'\n"
    csv_root, sql_root = pair(tmp_path, AMBIGUOUS, "duckdb://", options)
    from_sql = spend(sql_root)
    assert {p: v for (p, c), v in from_sql.items() if c == ""} == months
    assert from_sql == spend(csv_root)


@pytest.mark.parametrize(
    ("data", "currency", "place", "said"),
    [
        (
            b"date,channel,cost\n2024-01-05,Email,100\n2024-01-06,Email,5k\n",
            "USD",
            ":3:18:",
            "expected an amount in column `cost`, found `5k`",
        ),
        (
            "date,channel,cost\n2024-01-05,Email,100\n2024-01-06,Email,5 €\n".encode(),
            "USD",
            ":3:18:",
            "column `cost` is in EUR but the workspace currency is USD",
        ),
        (
            b"date,channel,cost\n2024-01-05,Email,100\n2024-13-06,Email,5\n",
            "USD",
            ":3:1:",
            "expected a date like %Y-%m-%d in column `date`, found `2024-13-06`",
        ),
    ],
)
def test_bad_cells_are_errors_at_their_place_in_the_file(tmp_path, data, currency, place, said):
    csv_root, sql_root = pair(tmp_path, data, "duckdb://", currency=currency)
    message = error_of(sql_root)
    assert message.startswith(f"{tmp_path / 'costs.csv'}{place} {said}"), message
    assert error_of(csv_root).startswith(f"{tmp_path / 'costs.csv'}{place} {said}")


def test_a_bad_cell_past_the_typed_rows_is_located(tmp_path):
    """A column typed by its first rows (numbers) has a cell of text on line 3002."""
    lines = ["date,channel,cost,clicks"]
    lines += [f"2024-01-{i % 28 + 1:02d},Email,{i},{i}" for i in range(3000)]
    lines += ["2024-02-01,Email,7,seven"]
    root = workspace(
        tmp_path / "ws",
        "    connector: sql\n    url: duckdb://\n    files: {costs: costs.csv}\n"
        "    query: SELECT date, channel, cost FROM costs\n    dimensions: [channel]\n"
        "    map: {marketing_cost: cost}\n",
    )
    (root / "costs.csv").write_text("\n".join(lines) + "\n")
    message = error_of(root)
    assert message.startswith("costs.csv:3002:20: expected a number in column `clicks`")


def test_a_query_reads_the_typed_columns(tmp_path):
    (tmp_path / "costs.csv").write_bytes(THOUSANDS)
    root = workspace(
        tmp_path,
        "    connector: sql\n    url: duckdb://\n    files: {costs: costs.csv}\n"
        '    query: "SELECT date, cost * 2 AS doubled, typeof(cost) AS kind FROM costs"\n'
        "    dimensions: {kind: kind}\n    map: {marketing_cost: doubled}\n",
    )
    results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["spend"], by=["kind"])
    got = {(r["period"], r["segment"].get("kind", "")): r["value"] for r in results.records()}
    assert got == {
        ("2024-01", ""): 3000.0,
        ("2024-01", "DOUBLE"): 3000.0,
        ("2024-02", ""): 4500.0,
        ("2024-02", "DOUBLE"): 4500.0,
    }


def test_the_samples_cost_sheet_reads_alike(tmp_path):
    """The sample's cost sheet as exported (`;`, `"2.260,36 €"`, months `01/2023`)."""
    sample = kpiengine.sample_workspace() / "costs" / "marketing_costs.csv"
    columns = ("Month", "Channel", "Amount")
    csv_root, sql_root = pair(tmp_path, sample.read_bytes(), "duckdb://", "", "EUR", columns)
    from_csv, from_sql = spend(csv_root), spend(sql_root)
    assert len(from_csv) > 50 and from_sql.keys() == from_csv.keys()
    assert from_sql == pytest.approx(from_csv, rel=1e-12)
    assert from_sql["2023-01", "Paid Search"] == pytest.approx(752.77 + 8189.97, rel=1e-12)


def test_a_server_gets_the_rows_of_a_csv_file_it_cannot_see(tmp_path, spark_url):
    """Spark Connect and standalone clusters do not see this machine's files: the rows read
    by kpiengine are sent as a DataFrame (here to a local session)."""
    from kpiengine.connectors._sql_csv import Reading, as_parquet
    from kpiengine.connectors._sql_files import TableFile
    from kpiengine.connectors._sql_spark import _frame, session
    from kpiengine.connectors._sql_url import DatabaseUrl

    (tmp_path / "costs.csv").write_bytes(EUROPEAN)
    file = as_parquet(TableFile("costs", tmp_path / "costs.csv"), tmp_path, Reading())
    spark = session(DatabaseUrl.expand(spark_url))
    rows = _frame(spark, file, local=False).orderBy("date").collect()
    assert [(str(r["date"]), r["channel"], r["cost"]) for r in rows] == [
        ("2024-01-05", "Email", 1234.56),
        ("2024-01-09", "Email", None),
        ("2024-02-05", "Search", 2.5),
        ("2024-02-06", "Search", -1000.0),
    ]


# --- time zones ---------------------------------------------------------------------------------

#: `Z` and offsets: each row keeps the day it shows (31 March, 31 March, 1 April, 15 April)
STAMPS = (
    b"date,channel,cost\n2024-03-31T23:30:00Z,Email,100\n2024-03-31T22:00:00-05:00,Email,10\n"
    b"2024-04-01T00:30:00+02:00,Email,1\n2024-04-15T10:00:00Z,Email,1000\n"
)
EVALUATE = (
    "import json, sys, kpiengine\n"
    "ws = kpiengine.load_workspace(sys.argv[1])\n"
    "records = kpiengine.evaluate(ws, kpis=['spend']).records()\n"
    "print(json.dumps({r['period']: r['value'] for r in records if r['value']}))\n"
)


def in_zone(root: Path, zone: str) -> dict[str, float]:
    """The workspace's spend by month (months with spend), evaluated by a process in the time
    zone `zone`."""
    env = {**os.environ, "TZ": zone, "PGTZ": zone}
    done = subprocess.run(
        [sys.executable, "-c", EVALUATE, str(root)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("engine", ["duckdb", "chdb"])
@pytest.mark.parametrize("zone", ZONES)
def test_timestamps_are_dated_by_the_day_they_show_in_any_time_zone(
    request, tmp_path, engine, zone
):
    csv_root, sql_root = pair(tmp_path, STAMPS, url_of(request, engine))
    expected = {"2024-03": 110.0, "2024-04": 1001.0}
    assert in_zone(sql_root, zone) == expected
    assert in_zone(csv_root, zone) == expected


def zoned_source(tmp: Path, engine: str) -> str:
    """A table of 2024-03-31 23:30 UTC (100, in April in Berlin) and 2024-05-01 03:00 UTC
    (1000, in April in Los Angeles) with a time zone (`t`, column `stamp`) as `engine` holds
    it: the source's lines of kpi.yaml."""
    rows = [("2024-03-31 23:30:00+00", 100.0), ("2024-05-01 03:00:00+00", 1000.0)]
    table = "    table: t\n    date: stamp\n    map: {marketing_cost: cost}\n"
    if engine in ("duckdb", "parquet"):
        path = tmp / ("w.duckdb" if engine == "duckdb" else "t.parquet")
        with duckdb.connect(str(path) if engine == "duckdb" else ":memory:") as con:
            con.execute("CREATE TABLE t (stamp TIMESTAMPTZ, cost DOUBLE)")
            con.executemany("INSERT INTO t VALUES (?, ?)", rows)
            if engine == "parquet":
                con.execute(f"COPY t TO '{path}' (FORMAT parquet)")
        if engine == "duckdb":
            return f"    connector: sql\n    url: duckdb:///{path}\n{table}"
        return f"    connector: sql\n    url: duckdb://\n    files: {{t: {path}}}\n{table}"
    # a DateTime in the session's zone, written in UTC by another process (chDB runs one
    # engine per process)
    folder = tmp / "chdb"
    values = ", ".join(f"('{at[:19]}', {cost})" for at, cost in rows)
    script = (
        f"import chdb\ncon = chdb.connect({str(folder)!r})\ncur = con.cursor()\n"
        'cur.execute("CREATE TABLE t (stamp DateTime, cost Float64) '
        'ENGINE = MergeTree ORDER BY stamp")\n'
        f'cur.execute("INSERT INTO t VALUES {values}")\ncon.close()\n'
    )
    env = {**os.environ, "TZ": "UTC"}
    subprocess.run([sys.executable, "-c", script], check=True, timeout=300, env=env)
    return f"    connector: sql\n    url: chdb://{folder}\n{table}"


@pytest.mark.parametrize("engine", ["duckdb", "parquet", "chdb"])
@pytest.mark.parametrize("zone", ZONES)
def test_a_databases_zoned_timestamps_are_dated_by_their_utc_day(request, tmp_path, engine, zone):
    if engine == "chdb":
        request.getfixturevalue("chdb_url")
    root = workspace(tmp_path / "ws", zoned_source(tmp_path, engine))
    assert in_zone(root, zone) == {"2024-03": 100.0, "2024-05": 1000.0}


def test_a_postgres_session_runs_in_utc(tmp_path, postgres_url, monkeypatch):
    """libpq sends PGTZ as the session's zone: the day of a timestamptz would follow it."""
    import psycopg

    with psycopg.connect(postgres_url) as con:
        con.execute("DROP TABLE IF EXISTS zoned_costs")
        con.execute("CREATE TABLE zoned_costs (stamp timestamptz, cost double precision)")
        con.execute(
            "INSERT INTO zoned_costs VALUES ('2024-03-31 23:30:00+00', 100), "
            "('2024-05-01 03:00:00+00', 1000)"
        )
    root = workspace(
        tmp_path,
        "    connector: sql\n    url: ${KPIENGINE_TEST_POSTGRES}\n    table: zoned_costs\n"
        "    date: stamp\n    map: {marketing_cost: cost}\n",
    )
    for zone in ZONES:
        monkeypatch.setenv("PGTZ", zone)
        records = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["spend"]).records()
        got = {r["period"]: r["value"] for r in records if r["value"]}
        assert got == {"2024-03": 100.0, "2024-05": 1000.0}


# --- the date range an export states ----------------------------------------------------------

#: Google Ads' campaign report: its title lines state `June 1, 2024 - July 31, 2024`, its rows
#: stop on 2 July (days without activity are left out of an export)
GOOGLE_ADS = Path(__file__).parent / "fixtures" / "ads" / "google_ads_campaign_report.csv"
CPC = "kpis:\n  cpc: {title: CPC, formula: ad_spend / clicks, unit: currency / clicks}\n"


def monthly_cpc(path: Path) -> dict[str, float]:
    """Cost over clicks by month, read with the csv module (title lines and totals left out)."""
    import csv

    lines = path.read_text("utf-8").splitlines()[2:]
    sums: dict[str, list[float]] = {}
    for row in csv.DictReader(lines):
        if row["Day"][:2] == "20":
            cost, clicks = sums.setdefault(row["Day"][:7], [0.0, 0.0])
            sums[row["Day"][:7]] = [cost + float(row["Cost"].replace(",", "")),
                                    clicks + float(row["Clicks"].replace(",", ""))]  # fmt: skip
    return {month: cost / clicks for month, (cost, clicks) in sums.items()}


@pytest.mark.parametrize("engine", ENGINES)
def test_the_range_an_export_states_carries_over(request, tmp_path, engine, monkeypatch):
    """`files:` reads the export as `csv` does: July, with rows on its first two days only, is
    whole (the export says it runs to July 31), not partial."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-09-15")
    common = "    date: Day\n    map: {ad_spend: Cost, clicks: Clicks}\n"
    sources = {
        "csv": f"    connector: csv\n    path: {GOOGLE_ADS}\n{common}",
        "sql": f"    connector: sql\n    url: {json.dumps(url_of(request, engine))}\n"
        f"    files: {{ads: {GOOGLE_ADS}}}\n    table: ads\n{common}",
    }
    got = {}
    for name, source in sources.items():
        root = workspace(tmp_path / name, source)
        (root / "definitions" / "k.yaml").write_text(CPC)
        records = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["cpc"]).records()
        got[name] = {r["period"]: (r["value"], r["complete"], r["coverage"]) for r in records}
    expected = monthly_cpc(GOOGLE_ADS)
    assert sorted(expected) == ["2024-06", "2024-07"]
    assert got["sql"] == {m: (pytest.approx(v), True, 1.0) for m, v in expected.items()}
    assert got["sql"] == got["csv"]


def test_postgres_says_it_does_not_read_files(tmp_path):
    """PostgreSQL reads its own tables: `table: ads` would be the database's, not the file's
    (no server needed: the source is refused before connecting)."""
    root = workspace(
        tmp_path,
        '    connector: sql\n    url: "postgresql://kpi@127.0.0.1:9/db"\n'
        f"    files: {{ads: {GOOGLE_ADS}}}\n    table: ads\n    date: Day\n"
        "    map: {marketing_cost: Cost}\n",
    )
    with pytest.raises(KpiError) as caught:
        kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["spend"])
    said = str(caught.value)
    assert said.startswith(f"{root / 'kpi.yaml'}:6:")
    assert "`files` is for in-process engines" in said and "PostgreSQL" in said
