"""The `sql` connector: the same workspace from files, from DuckDB and from PostgreSQL agrees,
and the sample workspace's deals and costs give the same KPIs on every engine.

PostgreSQL runs for real when KPIENGINE_TEST_POSTGRES holds a URL (.ci/run starts a server on
loopback), chDB and Spark local when their packages (and Java) are installed; the
KPIENGINE_REQUIRE_... flags turn a missing engine into a failure (tests/engine_helpers.py).
"""

import csv
import datetime as dt
import random
from collections import defaultdict

import duckdb
import numpy as np
import pytest
import sqlglot
from engine_helpers import load_postgres as load_postgres_table
from engine_helpers import write_parquet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kpiengine
from kpiengine.engine import Engine
from kpiengine.errors import KpiError
from kpiengine.model import Aggregate
from kpiengine.plan import variables_plan
from kpiengine.sqlgen import GENERATED_DIALECTS, AggregateSpec, Measure, aggregation_sql, translate

COLUMNS = ["date", "channel", "revenue", "marketing_cost", "new_customers", "customers_at_end"]
KPIS = ["roi", "mcac", "sales_revenue"]


def make_rows(seed: int, n: int = 400) -> list[dict]:
    rng = random.Random(seed)
    start = dt.date(2023, 11, 1)
    rows = []
    for _ in range(n):
        day = start + dt.timedelta(days=rng.randrange(0, 200))
        rows.append(
            {
                "date": day.isoformat(),
                "channel": rng.choice(["Email", "Ads", "Organic"]),
                "revenue": round(rng.uniform(0, 900), 2),
                "marketing_cost": round(rng.uniform(1, 500), 2),
                "new_customers": rng.randrange(0, 6),
                "customers_at_end": rng.randrange(50, 90),
            }
        )
    return rows


def write_csv(path, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def workspace(root, source_yaml: str):
    (root / "definitions").mkdir(parents=True, exist_ok=True)
    (root / "definitions" / "cac.yaml").write_text(
        "kpis:\n  mcac: {title: CAC, formula: marketing_cost / new_customers,"
        " unit: currency / customers}\n"
    )
    (root / "kpi.yaml").write_text(f"sources:\n  crm:\n{source_yaml}\n    dimensions: [channel]\n")
    return kpiengine.load_workspace(root)


def file_workspace(tmp_path, rows):
    write_csv(tmp_path / "rows.csv", rows)
    return workspace(tmp_path / "files", f"    connector: csv\n    path: {tmp_path / 'rows.csv'}\n")


def duckdb_workspace(tmp_path, rows):
    write_csv(tmp_path / "rows.csv", rows)
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(f"CREATE TABLE sales AS SELECT * FROM read_csv('{tmp_path / 'rows.csv'}')")
    return workspace(
        tmp_path / "db", f"    connector: sql\n    url: duckdb:///{db}\n    table: sales\n"
    )


def values(ws, **kw):
    results = kpiengine.evaluate(ws, kpis=KPIS, by=["channel"], **kw)
    return {
        (r["kpi"], r["period"], tuple(sorted(r["segment"].items()))): r["value"]
        for r in results.records()
    }


def python_totals(rows):
    """Monthly ROI and CAC per channel and in total, computed directly from the rows."""
    sums = defaultdict(lambda: defaultdict(float))
    for row in rows:
        month = row["date"][:7]
        for key in (month, (month, row["channel"])):
            for name in ("revenue", "marketing_cost", "new_customers"):
                sums[key][name] += float(row[name])
    out = {}
    for key, s in sums.items():
        month, segment = (key, ()) if isinstance(key, str) else (key[0], (("channel", key[1]),))
        out[("roi", month, segment)] = (s["revenue"] - s["marketing_cost"]) / s["marketing_cost"]
        cac = s["marketing_cost"] / s["new_customers"] if s["new_customers"] else None
        out[("mcac", month, segment)] = cac
    return out


def assert_same(a: dict, b: dict):
    assert a.keys() == b.keys()
    for key in a:
        if a[key] is None or b[key] is None:
            assert a[key] is None and b[key] is None, key
        else:
            assert a[key] == pytest.approx(b[key], rel=1e-9), key


def test_duckdb_database_matches_files_and_python(tmp_path):
    rows = make_rows(1)
    from_files = values(file_workspace(tmp_path, rows))
    from_db = values(duckdb_workspace(tmp_path, rows))
    assert_same(from_files, from_db)
    expected = python_totals(rows)
    for key, value in expected.items():
        if value is None:
            assert from_db[key] is None
        else:
            assert from_db[key] == pytest.approx(value), key


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 60))
def test_random_data_agrees_everywhere(tmp_path_factory, seed, n):
    tmp = tmp_path_factory.mktemp("random")
    rows = make_rows(seed, n)
    from_db = values(duckdb_workspace(tmp, rows))
    assert_same(values(file_workspace(tmp, rows)), from_db)
    for key, value in python_totals(rows).items():
        assert (from_db[key] is None) if value is None else from_db[key] == pytest.approx(value)


def test_stock_variables_use_the_last_day(tmp_path):
    rows = make_rows(7, 200)
    ws = duckdb_workspace(tmp_path, rows)
    ws.kpis["sales_revenue"].formula  # noqa: B018 - the workspace loaded
    plan = variables_plan(ws, {"customers_at_end": Aggregate("last", "sum")}, "month", ["channel"])
    table = Engine(ws).fetch(plan)
    by_channel_day = defaultdict(float)
    for row in rows:
        by_channel_day[(row["channel"], row["date"])] += row["customers_at_end"]
    month = "2024-01"
    expected = {}
    for channel in ("Email", "Ads", "Organic"):
        days = [d for (c, d) in by_channel_day if c == channel and d.startswith(month)]
        expected[channel] = by_channel_day[(channel, max(days))]
    index = table.labels.index(month)
    for s, segment in enumerate(table.segments):
        if segment:
            assert table.values["customers_at_end"][index, s] == expected[segment["channel"]]
    assert table.values["customers_at_end"][index, 0] == sum(expected.values())


def load_postgres(url, table, rows):
    import psycopg

    with psycopg.connect(url) as con:
        con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(
            f"CREATE TABLE {table} (date date, channel text, revenue numeric, "
            "marketing_cost numeric, new_customers integer, customers_at_end integer)"
        )
        with con.cursor().copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in COLUMNS])


def test_postgres_matches_files(tmp_path, postgres_url):
    rows = make_rows(3)
    load_postgres(postgres_url, "sales_test", rows)
    ws = workspace(
        tmp_path / "pg",
        "    connector: sql\n    url: ${KPIENGINE_TEST_POSTGRES}\n    table: sales_test\n",
    )
    assert_same(values(file_workspace(tmp_path, rows)), values(ws))


def test_postgres_errors_are_clear(tmp_path, postgres_url):
    ws = workspace(
        tmp_path / "pg",
        "    connector: sql\n    url: ${KPIENGINE_TEST_POSTGRES}\n    table: nope\n",
    )
    with pytest.raises(KpiError, match="source `crm`: the database said: .*nope"):
        kpiengine.evaluate(ws, kpis=["roi"])


def test_generated_dialects_parse():
    spec = AggregateSpec(
        '"deals"',
        'CAST("close_date" AS DATE)',
        {"channel": '"source"'},
        {
            "revenue": Measure('CAST("amount" AS DOUBLE)', Aggregate()),
            "customers_at_end": Measure('CAST("customers" AS DOUBLE)', Aggregate("last", "sum")),
        },
    )
    sql = aggregation_sql(spec, "month", ["channel"])
    for dialect in (*GENERATED_DIALECTS, "postgres"):
        text = translate(sql, dialect)
        assert sqlglot.parse_one(text, read=dialect) is not None
        assert "close_date" in text
    assert "DATE_TRUNC(CAST(`close_date` AS DATE), MONTH)" in translate(sql, "bigquery")


def test_generated_only_dialect_says_so(tmp_path):
    ws = workspace(
        tmp_path / "bq",
        "    connector: sql\n    url: duckdb:///x.duckdb\n    dialect: bigquery\n    table: t\n",
    )
    with pytest.raises(KpiError):
        kpiengine.evaluate(ws, kpis=["roi"])


def test_missing_environment_variable(tmp_path):
    ws = workspace(
        tmp_path / "env", "    connector: sql\n    url: ${NOT_SET_ANYWHERE}\n    table: t\n"
    )
    with pytest.raises(KpiError, match="NOT_SET_ANYWHERE"):
        kpiengine.evaluate(ws)


def test_frame_dtype():
    assert np.array(["2024-01-01"], dtype="datetime64[D]").dtype.kind == "M"


def test_kpi_sql_prints_the_query_for_a_generated_only_dialect(tmp_path):
    from click.testing import CliRunner

    from kpiengine.cli import cli

    workspace(
        tmp_path / "bq",
        "    connector: sql\n    url: duckdb:///x.duckdb\n    dialect: snowflake\n    table: t\n"
        "    map: {revenue: amount, marketing_cost: spend}\n",
    )
    result = CliRunner().invoke(
        cli,
        ["sql", "-w", str(tmp_path / "bq"), "--source", "crm", "--kpi", "roi", "--by", "channel"],
    )
    assert result.exit_code == 0, result.stderr
    parsed = sqlglot.parse_one(result.stdout, read="snowflake")
    assert {c.name for c in parsed.find_all(sqlglot.exp.Column)} >= {"amount", "spend", "channel"}


HUBSPOT_CHANNELS = "{Email Marketing: Email, Referrals: Referral, Direct Traffic: Direct}"
SAMPLE_KPIS = ["roi", "close_rate", "average_deal_size"]
#: the sample's two tables as a warehouse holds them (DuckDB types)
SAMPLE_DEALS = {
    "stage": "VARCHAR",
    "amount": "DOUBLE",
    "created": "TIMESTAMP",
    "closed": "TIMESTAMP",
    "source": "VARCHAR",
}
SAMPLE_COSTS = {"month": "DATE", "channel": "VARCHAR", "amount": "DOUBLE"}


def warehouse(url: str, files: dict[str, str] | None) -> str:
    """The sample's deals and costs read from the tables `sample_deals` and `sample_costs` at
    `url` (or from the files `files` names, read as those tables by an in-process engine)."""

    def source(table: str) -> str:
        text = f"    connector: sql\n    url: {url}\n    table: {table}\n"
        return text + (f"    files: {{{table}: {files[table]}}}\n" if files else "")

    return f"""\
currency: EUR
sources:
  deals:
{source("sample_deals")}    date: created
    dimensions: {{channel: {{column: source, values: {HUBSPOT_CHANNELS}}}}}
    map:
      opportunities: {{count: true}}
      deals_won: {{count: true, where: {{stage: [Closed won]}}, date: closed}}
      deals_won_with_amount: {{count: amount, where: {{stage: [Closed won]}}, date: closed}}
      revenue: {{column: amount, where: {{stage: [Closed won]}}, date: closed}}
  costs:
{source("sample_costs")}    date: month
    dimensions: [channel]
    map: {{marketing_cost: amount}}
"""


def sample_tables() -> tuple[list[tuple], list[tuple]]:
    """The sample's HubSpot deals and cost sheet as typed rows (read by DuckDB and csv, not by
    kpiengine)."""
    sample = kpiengine.sample_workspace()
    path = sample / "exports/hubspot_deals.csv"
    deals = duckdb.sql(
        'SELECT "Deal Stage", TRY_CAST("Amount" AS DOUBLE), CAST("Create Date" AS TIMESTAMP), '
        'TRY_CAST(NULLIF("Close Date", \'\') AS TIMESTAMP), "Original Source Type" '
        f"FROM read_csv('{path}', all_varchar=true)"
    ).fetchall()
    costs = []
    with open(sample / "costs/marketing_costs.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            month, year = row["Month"].split("/")
            amount = row["Amount"].replace("€", "").replace(".", "").replace(",", ".").strip()
            costs.append((dt.date(int(year), int(month), 1), row["Channel"], float(amount)))
    return deals, costs


def load_sample(engine: str, url: str, folder) -> dict[str, str] | None:
    """The sample's tables loaded for `engine`: PostgreSQL tables, else Parquet files to be read
    through `files:` (their paths by table name)."""
    deals, costs = sample_tables()
    if engine == "postgres":
        load_postgres_table(url, "sample_deals", SAMPLE_DEALS, deals)
        load_postgres_table(url, "sample_costs", SAMPLE_COSTS, costs)
        return None
    folder.mkdir(parents=True, exist_ok=True)
    write_parquet(folder / "deals.parquet", SAMPLE_DEALS, deals)
    write_parquet(folder / "costs.parquet", SAMPLE_COSTS, costs)
    return {"sample_deals": "deals.parquet", "sample_costs": "costs.parquet"}


def kpi_cells(results) -> dict:
    return {
        (r["kpi"], r["period"], tuple(sorted(r["segment"].items()))): r["value"]
        for r in results.records()
    }


@pytest.fixture(scope="module")
def sample_from_files() -> dict:
    """The sample workspace's ROI, close rate and deal size by channel and month, from its
    export files (evaluated once for every engine)."""
    sample = kpiengine.load_workspace(kpiengine.sample_workspace())
    return kpi_cells(kpiengine.evaluate(sample, kpis=SAMPLE_KPIS, by=["channel"]))


@pytest.mark.parametrize("engine", ["duckdb", "postgres", "chdb", "spark"])
def test_sample_workspace_from_each_engine_matches_its_files(
    request, tmp_path, sample_from_files, engine
):
    url = "duckdb://" if engine == "duckdb" else request.getfixturevalue(f"{engine}_url")
    files = load_sample(engine, url, tmp_path)
    written_url = "${KPIENGINE_TEST_POSTGRES}" if engine == "postgres" else url
    (tmp_path / "kpi.yaml").write_text(warehouse(written_url, files))
    ws = kpiengine.load_workspace(tmp_path)
    from_db = kpi_cells(kpiengine.evaluate(ws, kpis=SAMPLE_KPIS, by=["channel"]))
    assert len(from_db) > 500 and sample_from_files.keys() == from_db.keys()
    assert {k for k, *_ in from_db} == set(SAMPLE_KPIS)
    assert sum(v is not None for v in from_db.values()) > 400  # defined values, not just keys
    assert_same(sample_from_files, from_db)


VISITORS = (
    "date,channel,visitors,revenue\n2024-01-01,Email,100,500\n2024-01-01,Paid Search,200,800\n"
    "2024-02-01,Email,120,600\n2024-02-01,Paid Search,100,900\n2024-02-15,Email,30,60\n"
)


@pytest.mark.parametrize("connector", ["csv", "sql"])
def test_a_column_of_distinct_counts_is_read_alike_by_files_and_databases(tmp_path, connector):
    """`visitors` (`aggregate: distinct`) mapped to a column of counts: a cell is its one row's
    count, a cell with several rows undefined (never a count of distinct values, never a sum)."""
    (tmp_path / "rows.csv").write_text(VISITORS)
    source = f"    connector: csv\n    path: {tmp_path / 'rows.csv'}\n    date: date\n"
    if connector == "sql":
        db = tmp_path / "w.duckdb"
        with duckdb.connect(str(db)) as con:
            con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{tmp_path / 'rows.csv'}')")
        source = f"    connector: sql\n    url: duckdb:///{db}\n    table: t\n"
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "k.yaml").write_text(
        "kpis:\n  rpv: {formula: revenue / visitors, unit: currency / visitors}\n"
    )
    (tmp_path / "kpi.yaml").write_text(
        f"currency: USD\nsources:\n  s:\n{source}    dimensions: [channel]\n"
        "    map: {visitors: {column: visitors}, revenue: {column: revenue}}\n"
    )
    records = kpiengine.evaluate(kpiengine.load_workspace(tmp_path), kpis=["rpv"], by=["channel"])
    got = {(r["period"], r["segment"].get("channel", "")): r for r in records.records()}
    assert {k: r["value"] for k, r in got.items() if r["value"] is not None} == {
        ("2024-01", "Email"): 5.0,
        ("2024-01", "Paid Search"): 4.0,
        ("2024-02", "Paid Search"): 9.0,
    }
    assert "several rows of counts in a month" in got["2024-02", "Email"]["reason"]
