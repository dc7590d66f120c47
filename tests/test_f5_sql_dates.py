"""The date columns of a `sql` source: a mapping's own `date:` dates only the rows it takes; a
row with values but no date (NULL, or a blank text cell) is an error, as in the `csv`
connector; a date column of numbers (yyyymmdd, serial days, epoch milliseconds) and a
PostgreSQL `money` value column are errors at their kpi.yaml entry with a `query:` that runs;
a text date cell that is no date is said to be none; a missing table or column is located at
the entry naming it.

Expected values are computed with plain SQL (DuckDB, PostgreSQL) over the rows written here,
and expected lines by searching the kpi.yaml text written here.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from engine_helpers import write_parquet

import kpiengine
from kpiengine.cli import cli
from kpiengine.errors import KpiError

DEFINITIONS = (
    "units: [deals]\nvariables:\n  opps: {unit: deals}\n  rev: {unit: currency}\n"
    "  lost: {unit: deals}\n"
    "kpis:\n  k_opps: {title: Opportunities, formula: opps, unit: deals}\n"
    "  k_rev: {title: Revenue, formula: rev, unit: currency}\n"
)
#: an open deal closing in May (after the last won deal) and one without a close date
DEALS = [
    ("2025-01-10", "2025-01-20", "won", 100.0),
    ("2025-02-03", "2025-02-25", "won", 200.0),
    ("2025-02-20", None, "open", 50.0),
    ("2025-03-02", "2025-03-12", "won", 300.0),
    ("2025-03-05", "2025-05-30", "open", 999.0),
]
DEAL_COLUMNS = {"created": "DATE", "close_date": "DATE", "stage": "VARCHAR", "amount": "DOUBLE"}
WON = "{column: amount, where: {stage: [won]}, date: close_date}"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-07-01")


def workspace(root: Path, source: str, mappings: dict[str, str], date: str = "day") -> Path:
    (root / "definitions").mkdir(parents=True, exist_ok=True)
    (root / "definitions" / "k.yaml").write_text(DEFINITIONS)
    lines = "".join(f"      {v}: {m}\n" for v, m in mappings.items())
    (root / "kpi.yaml").write_text(
        f"currency: USD\nsources:\n  s:\n{source}    date: {date}\n    map:\n{lines}"
    )
    return root


def line_of(root: Path, text: str) -> int:
    """The kpi.yaml line holding `text` (by hand: the file written above)."""
    lines = (root / "kpi.yaml").read_text().splitlines()
    return next(i for i, line in enumerate(lines, start=1) if text in line)


def records(root: Path, kpi: str) -> dict[str, dict]:
    results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=[kpi], grain="month")
    return {r["period"]: r for r in results.records()}


def months(root: Path, kpi: str = "k_rev") -> dict[str, float]:
    return {p: r["value"] for p, r in records(root, kpi).items() if r["value"] is not None}


def error_of(root: Path, kpi: str = "k_rev") -> KpiError:
    with pytest.raises(KpiError) as caught:
        records(root, kpi)
    return caught.value


def duckdb_table(path: Path, name: str, columns: dict[str, str], rows: list[tuple]) -> str:
    with duckdb.connect(str(path)) as con:
        con.execute(f"CREATE TABLE {name} ({', '.join(f'{c} {t}' for c, t in columns.items())})")
        con.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' for _ in columns)})", rows)
    return f"    connector: sql\n    url: duckdb:///{path}\n    table: {name}\n"


def postgres_table(url: str, name: str, create: str, rows: list[tuple]) -> str:
    import psycopg

    with psycopg.connect(url) as con:
        con.execute(f"DROP TABLE IF EXISTS {name}")
        con.execute(f"CREATE TABLE {name} ({create})")
        with con.cursor() as cursor:
            marks = ", ".join("%s" for _ in rows[0])
            cursor.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
    return f"    connector: sql\n    url: ${{KPIENGINE_TEST_POSTGRES}}\n    table: {name}\n"


def plain(sql: str, columns: dict[str, str], rows: list[tuple]) -> list[tuple]:
    """`sql` run by DuckDB over the rows as table `t`."""
    with duckdb.connect() as con:
        con.execute(f"CREATE TABLE t ({', '.join(f'{c} {t}' for c, t in columns.items())})")
        con.executemany(f"INSERT INTO t VALUES ({', '.join('?' for _ in columns)})", rows)
        return con.execute(sql).fetchall()


# --- a mapping's own `date:` ----------------------------------------------------------------


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_an_own_date_dates_only_the_rows_its_mapping_takes(request, tmp_path, engine):
    """Was: the open deal's expected close date (2025-05-30) made March whole and added an
    April of 0 and a partial May."""
    if engine == "postgres":
        url = request.getfixturevalue("postgres_url")
        create = "created date, close_date date, stage text, amount float8"
        source = postgres_table(url, "f5_deals", create, DEALS)
    else:
        source = duckdb_table(tmp_path / "d.duckdb", "f5_deals", DEAL_COLUMNS, DEALS)
    root = workspace(tmp_path / "ws", source, {"opps": "{count: true}", "rev": WON}, "created")
    won = plain(
        "SELECT strftime(close_date, '%Y-%m'), SUM(amount) FROM t WHERE stage = 'won' GROUP BY 1",
        DEAL_COLUMNS,
        DEALS,
    )
    [(last,)] = plain(
        "SELECT GREATEST(MAX(created), MAX(CASE WHEN stage = 'won' THEN close_date END)) FROM t",
        DEAL_COLUMNS,
        DEALS,
    )
    got = records(root, "k_rev")
    assert {p: r["value"] for p, r in got.items()} == dict(won)  # no April, no May
    end = f"{last:%Y-%m}"
    assert got[end]["complete"] is False
    assert got[end]["coverage"] == pytest.approx(last.day / 31)


def test_kpi_sql_and_lint_leave_an_open_deals_close_date_out(tmp_path, monkeypatch):
    source = duckdb_table(tmp_path / "d.duckdb", "f5_deals", DEAL_COLUMNS, DEALS)
    root = workspace(tmp_path / "ws", source, {"opps": "{count: true}", "rev": WON}, "created")
    shown = CliRunner().invoke(cli, ["sql", "--workspace", str(root), "--source", "s"])
    assert "WHERE (CAST(\"stage\" AS VARCHAR) IN ('won'))) AS dated_rows" in shown.output
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-04-15")  # before the open deal's close date
    linted = CliRunner().invoke(cli, ["lint", "--workspace", str(root)])
    assert "KPI015" not in linted.output, linted.output


def test_an_own_date_takes_every_mapping_on_it_whatever_kpis_are_asked(tmp_path):
    """A lost deal closed after the last won one: the revenue's months run to its close date
    whether or not the lost deals are asked for (as the `csv` connector reads them)."""
    rows = [*DEALS, ("2025-03-06", "2025-04-02", "lost", 80.0)]
    source = duckdb_table(tmp_path / "d.duckdb", "f5_deals", DEAL_COLUMNS, rows)
    lost = "{count: true, where: {stage: [lost]}, date: close_date}"
    root = workspace(tmp_path / "ws", source, {"rev": WON, "lost": lost}, "created")
    [(last,)] = plain(
        "SELECT MAX(close_date) FROM t WHERE stage IN ('won', 'lost')", DEAL_COLUMNS, rows
    )
    won = dict(
        plain(
            "SELECT strftime(close_date, '%Y-%m'), SUM(amount) FROM t WHERE stage = 'won' "
            "GROUP BY 1",
            DEAL_COLUMNS,
            rows,
        )
    )
    got = records(root, "k_rev")  # the lost deals not asked for
    assert {p: r["value"] for p, r in got.items()} == {**won, f"{last:%Y-%m}": 0.0}
    assert got[f"{last:%Y-%m}"]["coverage"] == pytest.approx(last.day / 30)


def test_an_empty_own_date_without_a_where_is_an_event_not_happened(tmp_path):
    """The open deal without a close date is summed by no month, and is no error: a mapping
    without `where:` (a cancel date) reads an empty date as not happened yet."""
    source = duckdb_table(tmp_path / "d.duckdb", "f5_deals", DEAL_COLUMNS, DEALS)
    mapping = "{column: amount, date: close_date}"
    root = workspace(tmp_path / "ws", source, {"rev": mapping}, "created")
    sums = plain(
        "SELECT strftime(close_date, '%Y-%m'), SUM(amount) FROM t WHERE close_date IS NOT NULL "
        "GROUP BY 1",
        DEAL_COLUMNS,
        DEALS,
    )
    assert months(root) == {**dict(sums), "2025-04": 0.0}


# --- rows with values but no date -------------------------------------------------------------

#: two rows with an amount but no day, one without anything
UNDATED = [
    ("2025-01-05", "A", 10.0),
    (None, "A", 4.0),
    ("2025-02-13", "B", 1.0),
    (None, "B", 2.0),
    (None, None, None),
]
COLUMNS = {"day": "DATE", "ch": "VARCHAR", "amt": "DOUBLE"}


def undated_source(request, tmp_path: Path, engine: str, rows: list[tuple]) -> str:
    if engine == "postgres":
        url = request.getfixturevalue("postgres_url")
        return postgres_table(url, "f5_undated", "day date, ch text, amt float8", rows)
    if engine == "duckdb table":
        return duckdb_table(tmp_path / "u.duckdb", "f5_undated", COLUMNS, rows)
    write_parquet(tmp_path / "u.parquet", COLUMNS, rows)
    url = "'chdb://'" if engine == "chdb files" else "'duckdb://'"
    return (
        f"    connector: sql\n    url: {url}\n    files: {{f5_undated: u.parquet}}\n"
        "    table: f5_undated\n"
    )


ENGINES = ["duckdb files", "duckdb table", "postgres", "chdb files"]


@pytest.mark.parametrize("engine", ENGINES)
def test_rows_with_values_but_no_date_are_an_error(request, tmp_path, engine):
    """Was: the rows of 4 and 2 left out of every period, silently."""
    if engine == "chdb files":
        request.getfixturevalue("chdb_url")
    root = tmp_path / "ws"
    root.mkdir()
    source = undated_source(request, root, engine, UNDATED)
    workspace(root, source, {"rev": "{column: amt}"})
    error = error_of(root)
    [(count, first)] = plain(
        "SELECT COUNT(*), FIRST(amt) FROM t WHERE day IS NULL AND amt IS NOT NULL",
        COLUMNS,
        UNDATED,
    )
    assert f"{count} rows of table `f5_undated`" in error.message
    assert f"have values but no date in column `day` (the first: `amt` {first:g})" in (
        error.message
    )
    assert error.location is not None and error.location.line == line_of(root, "date: day")
    dated = [r for r in UNDATED if r[0] is not None or r[2] is None]
    other = tmp_path / "ws2"
    other.mkdir()
    workspace(other, undated_source(request, other, engine, dated), {"rev": "{column: amt}"})
    sums = plain(
        "SELECT strftime(day, '%Y-%m'), SUM(amt) FROM t WHERE day IS NOT NULL GROUP BY 1",
        COLUMNS,
        dated,
    )
    assert months(other) == dict(sums)  # a row without values is no data


def test_an_own_dates_undated_row_is_one_its_mapping_takes(tmp_path):
    """A won deal without a close date is an error at its mapping; an open one is not (see
    DEALS)."""
    rows = [*DEALS, ("2025-03-20", None, "won", 70.0)]
    source = duckdb_table(tmp_path / "d.duckdb", "f5_deals", DEAL_COLUMNS, rows)
    root = workspace(tmp_path / "ws", source, {"opps": "{count: true}", "rev": WON}, "created")
    error = error_of(root)
    assert "a row of table `f5_deals` has values but no date in column `close_date`" in (
        error.message
    )
    assert "which dates `rev`" in error.message
    assert error.location is not None and error.location.line == line_of(root, "rev: {")


# --- date columns of numbers, PostgreSQL's money ---------------------------------------------

DAYS = [("2025-01-05", 10.0), ("2025-01-31", 2.5), ("2025-02-10", 5.0), ("2025-03-01", 1.0)]


def as_number(day: str, kind: str) -> float:
    """A day as each kind of number writes it (by hand)."""
    date = dt.date.fromisoformat(day)
    if kind == "yyyymmdd":
        return date.year * 10000 + date.month * 100 + date.day
    if kind == "serial days":  # spreadsheet serials count from 1899-12-30
        return (date - dt.date(1899, 12, 30)).days + 0.25
    return (date - dt.date(1970, 1, 1)).days * 86400000 + 3600000  # 01:00 UTC, in ms


@pytest.mark.parametrize(
    ("engine", "kind", "type_", "said"),
    [
        ("duckdb", "yyyymmdd", "INTEGER", "INTEGER"),
        ("duckdb", "serial days", "DOUBLE", "DOUBLE"),
        ("duckdb", "epoch milliseconds", "BIGINT", "BIGINT"),
        ("postgres", "yyyymmdd", "integer", "int4"),
        ("postgres", "serial days", "numeric", "numeric"),
    ],
)
def test_a_date_column_of_numbers_is_said_with_a_query_that_runs(
    request, tmp_path, engine, kind, type_, said
):
    """Was: the database's raw cast error, at the `connector:` line."""
    rows = [(as_number(d, kind), a) for d, a in DAYS]
    if engine == "postgres":
        url = request.getfixturevalue("postgres_url")
        source = postgres_table(url, "f5_keys", f"k {type_}, amt float8", rows)
    else:
        source = duckdb_table(tmp_path / "k.duckdb", "f5_keys", {"k": type_, "amt": "DOUBLE"}, rows)
    root = workspace(tmp_path / "ws", source, {"rev": "{column: amt}"}, "k")
    error = error_of(root)
    first = min(r[0] for r in rows)
    first_ = str(int(first)) if first == int(first) else str(first)
    assert f"column `k` of table `f5_keys` holds numbers ({said}), such as {first_}," in (
        error.message
    )
    assert f"They read as {kind}: " in error.message
    assert error.location is not None and error.location.line == line_of(root, "date: k")
    converted = re.search(r"e\.g\. `(.*)`$", error.fix or "")
    assert converted is not None, error.fix
    query = f"    query: SELECT {converted[1]}, amt FROM f5_keys\n"
    source = source.replace("    table: f5_keys\n", query)
    fixed = workspace(tmp_path / "ws2", source, {"rev": "{column: amt}"}, "k")
    sums = plain(
        "SELECT strftime(CAST(d AS DATE), '%Y-%m'), SUM(a) FROM t GROUP BY 1",
        {"d": "VARCHAR", "a": "DOUBLE"},
        DAYS,
    )
    assert months(fixed) == dict(sums)


def test_a_postgres_money_column_is_cast_to_numeric(request, tmp_path):
    url = request.getfixturevalue("postgres_url")
    rows = [(d, str(a)) for d, a in DAYS]
    source = postgres_table(url, "f5_money", "day date, amt money", rows)
    root = workspace(tmp_path / "ws", source, {"rev": "{column: amt}"})
    error = error_of(root)
    assert "column `amt` of table `f5_money` is of PostgreSQL's type money" in error.message
    assert error.location is not None and error.location.line == line_of(root, "rev: {")
    cast = (error.fix or "").split("e.g. `")[1].split("`")[0]
    assert cast == "CAST(amt AS NUMERIC) AS amt"
    query = f"    query: SELECT day, {cast} FROM f5_money\n"
    source = source.replace("    table: f5_money\n", query)
    fixed = workspace(tmp_path / "ws2", source, {"rev": "{column: amt}"})
    sums = plain(
        "SELECT strftime(CAST(d AS DATE), '%Y-%m'), SUM(a) FROM t GROUP BY 1",
        {"d": "VARCHAR", "a": "DOUBLE"},
        DAYS,
    )
    assert months(fixed) == dict(sums)


# --- text date cells ---------------------------------------------------------------------------

TEXT = {"day": "VARCHAR", "amt": "DOUBLE"}


def test_a_blank_text_date_is_no_date(tmp_path):
    """Was: '' explained as a day and month order; a blank row without values is no data."""
    rows = [("2025-01-05", 10.0), ("", None), ("  ", None), ("2025-02-01 10:00", 4.0)]
    root = workspace(
        tmp_path / "ws", duckdb_table(tmp_path / "t.duckdb", "f5_text", TEXT, rows), {"rev": "amt"}
    )
    sums = plain(
        "SELECT strftime(CAST(NULLIF(TRIM(day), '') AS DATE), '%Y-%m'), SUM(amt) FROM t "
        "WHERE TRIM(day) <> '' GROUP BY 1",
        TEXT,
        rows,
    )
    assert months(root) == dict(sums)
    valued = [*rows, ("", 7.0)]
    root = workspace(
        tmp_path / "ws2",
        duckdb_table(tmp_path / "t2.duckdb", "f5_text", TEXT, valued),
        {"rev": "amt"},
    )
    error = error_of(root)
    assert "a row of table `f5_text` has values but an empty date cell in column `day`" in (
        error.message
    )
    assert "order" not in error.message
    assert error.location is not None and error.location.line == line_of(root, "date: day")


@pytest.mark.parametrize(
    ("rows", "said"),
    [
        ([("2025-01-05", 1.0), ("A", 2.0)], "column `day` of table `f5_text` holds `A`, which is"),
        ([("A", 1.0), ("B", 2.0)], "column `day` of table `f5_text` holds no dates but text"),
    ],
)
def test_a_text_date_cell_that_is_no_date_is_said_to_be_none(tmp_path, rows, said):
    source = duckdb_table(tmp_path / "t.duckdb", "f5_text", TEXT, rows)
    root = workspace(tmp_path / "ws", source, {"rev": "amt"})
    error = error_of(root)
    assert said in error.message and "order" not in error.message
    assert error.location is not None and error.location.line == line_of(root, "date: day")


# --- where a missing table or column is named ----------------------------------------------------


@pytest.mark.parametrize(
    ("relation", "mapping", "entry"),
    [
        ("    table: f5_nope\n", "amt", "table: f5_nope"),
        ("    query: SELECT day, nope FROM f5_text\n", "amt", "query: SELECT"),
        ("    table: f5_text\n", "{column: amount}", "rev: {column: amount}"),
    ],
)
def test_a_missing_table_or_column_is_located_where_kpi_yaml_names_it(
    tmp_path, relation, mapping, entry
):
    """Was: located at the `connector:` line."""
    source = duckdb_table(tmp_path / "t.duckdb", "f5_text", TEXT, [("2025-01-05", 1.0)])
    source = source.replace("    table: f5_text\n", relation)
    root = workspace(tmp_path / "ws", source, {"rev": mapping})
    error = error_of(root)
    assert error.location is not None and error.location.line == line_of(root, entry)


def test_postgres_missing_table_and_database_are_at_table_and_url(request, tmp_path):
    url = request.getfixturevalue("postgres_url")
    source = "    connector: sql\n    url: ${KPIENGINE_TEST_POSTGRES}\n    table: f5_nope\n"
    root = workspace(tmp_path / "ws", source, {"rev": "amt"})
    error = error_of(root)
    assert error.location is not None and error.location.line == line_of(root, "table: f5_nope")
    missing = url.rsplit("/", 1)[0] + "/f5_no_database"
    source = f"    connector: sql\n    url: {missing}\n    table: f5_nope\n"
    root = workspace(tmp_path / "ws2", source, {"rev": "amt"})
    error = error_of(root)
    assert error.location is not None and error.location.line == line_of(root, "url:")


def test_a_row_a_where_leaves_out_needs_no_date(tmp_path):
    """A pending order without `paid_at` is no row of a mapping of paid orders (the
    regression round: the source stopped); a paid order without one is still an error."""
    columns = {"paid_at": "DATE", "status": "VARCHAR", "amount": "DOUBLE"}
    rows = [("2024-01-05", "paid", 100.0), (None, "pending", 30.0), ("2024-02-03", "paid", 70.0)]
    root = tmp_path / "ws"
    root.mkdir()
    source = duckdb_table(root / "shop.duckdb", "orders", columns, rows)
    workspace(root, source, {"rev": "{column: amount, where: {status: [paid]}}"}, "paid_at")
    expected = plain(
        "SELECT strftime(paid_at, '%Y-%m'), SUM(amount) FROM t WHERE status = 'paid' GROUP BY 1",
        columns,
        rows,
    )
    assert months(root) == dict(expected)
    other = tmp_path / "ws2"
    other.mkdir()
    paid = [*rows, (None, "paid", 5.0)]
    source = duckdb_table(other / "shop.duckdb", "orders", columns, paid)
    workspace(other, source, {"rev": "{column: amount, where: {status: [paid]}}"}, "paid_at")
    assert "no date in column `paid_at`" in error_of(other).message
