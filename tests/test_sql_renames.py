"""The `sql` connector renames dimension values (`values:`) inside its query, before GROUP BY:
a merged segment's mean reads all its rows, its distinct count counts each value once, on every
engine, and a value with quotes or backslashes stays a literal in every dialect.

The expected values are computed in plain Python over the rows loaded into the database.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest
import sqlglot
from engine_helpers import load_postgres, load_snowflake, write_parquet
from kpiengine.connectors.sql import SqlConnector

import kpiengine
from kpiengine.connector import Mapping, Request, SourceConfig
from kpiengine.errors import Location
from kpiengine.model import Aggregate
from kpiengine.sqlgen import GENERATED_DIALECTS, TESTED_DIALECTS

QUOTED = "O'Brien"
INJECTION = "x' THEN 'y' END); DROP TABLE rename_rows; --"
BACKSLASH = "C:\\temp\\'s"
#: google and bing merge; Email and Newsletter swap (renamed twice they would swap back);
#: `Google` is not `google` (values compare exactly, as in the file connectors); a missing
#: value (NULL) is the empty text, renamed by the key ''
RENAMES = {
    "": "(none)",
    "google": "Paid Search",
    "bing": "Paid Search",
    "Email": "Newsletter",
    "Newsletter": "Email",
    QUOTED: "Partner's",
    INJECTION: "it's -- not code",
    BACKSLASH: "back\\slash'",
}
RAW = [None, "google", "bing", "Google", "Email", "Newsletter", "Direct"]
RAW += [QUOTED, INJECTION, BACKSLASH]
COLUMNS = {
    "day": "DATE",
    "closed": "DATE",
    "source": "VARCHAR",
    "price": "DOUBLE",
    "customer": "VARCHAR",
    "spend": "DOUBLE",
}
KPIS = ["avg_ticket", "buyer_count", "total_spend", "closed_spend_kpi"]


def make_rows(seed: int = 5, n: int = 160) -> list[tuple]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 60))
        closed = day + dt.timedelta(days=rng.randrange(0, 40))
        source = rng.choice(RAW)
        price = round(rng.uniform(1, 500), 2)
        customer = f"c{rng.randrange(0, 12)}"
        rows.append((day, closed, source, price, customer, round(rng.uniform(0, 90), 2)))
    return rows


def expected(rows: list[tuple], two_dates: bool) -> dict[tuple[str, str, str], float]:
    """Each KPI by month and renamed channel ('' for the total), from the rows. The total of a
    mean is the mean of its segments' means (`aggregate: mean` across segments); a distinct
    count's total counts the rows' values."""
    prices: dict[tuple[str, str], list[float]] = defaultdict(list)
    buyers: dict[tuple[str, str], set[str]] = defaultdict(set)
    spend: dict[tuple[str, str], float] = defaultdict(float)
    closed: dict[tuple[str, str], float] = defaultdict(float)
    for day, closed_on, source, price, customer, amount in rows:
        label = RENAMES.get(source or "", source or "")
        prices[day.isoformat()[:7], label].append(price)
        for key in ((day.isoformat()[:7], label), (day.isoformat()[:7], "")):
            buyers[key].add(customer)
            spend[key] += amount
        for key in ((closed_on.isoformat()[:7], label), (closed_on.isoformat()[:7], "")):
            closed[key] += amount
    out = {}
    means: dict[str, list[float]] = defaultdict(list)
    for (month, label), values in prices.items():
        out["avg_ticket", month, label] = sum(values) / len(values)
        means[month].append(sum(values) / len(values))
    for month, values in means.items():
        out["avg_ticket", month, ""] = sum(values) / len(values)
    for (month, label), customers in buyers.items():
        out["buyer_count", month, label] = float(len(customers))
        out["total_spend", month, label] = spend[month, label]
    if two_dates:  # a cell with rows dated by `closed` only has no buyers (not no answer)
        out.update({("closed_spend_kpi", *key): value for key, value in closed.items()})
        out.update({("buyer_count", *k): 0.0 for k in closed if k not in buyers})
        # the table covers the months of both dates: a month and channel without rows by one
        # date had none of the sum that date dates (exports leave out what did not happen)
        labels = {label for _, label in [*spend, *closed]}
        for month in {m for m, _ in [*spend, *closed]}:
            for label in labels:
                out.setdefault(("total_spend", month, label), 0.0)
                out.setdefault(("closed_spend_kpi", month, label), 0.0)
    return out


def write_workspace(root, url: str, files: str | None, two_dates: bool) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "definitions").mkdir(exist_ok=True)
    (root / "definitions" / "k.yaml").write_text(
        "variables:\n"
        "  ticket: {unit: currency, aggregate: mean}\n"
        "  buyers: {unit: customers, aggregate: distinct}\n"
        "  spend: {unit: currency}\n"
        "  closed_spend: {unit: currency}\n"
        "kpis:\n"
        "  avg_ticket: {formula: ticket, unit: currency}\n"
        "  buyer_count: {formula: buyers, unit: customers}\n"
        "  total_spend: {formula: spend, unit: currency}\n"
        "  closed_spend_kpi: {formula: closed_spend, unit: currency}\n"
    )
    mapped = "ticket: {column: price}, buyers: {distinct: customer}, spend: {column: spend}"
    if two_dates:  # a variable dated by another column: the rows are read once per date column
        mapped += ", closed_spend: {column: spend, date: closed}"
    dimension = json.dumps({"channel": {"column": "source", "values": RENAMES}})
    (root / "kpi.yaml").write_text(
        f"currency: EUR\nsources:\n  s:\n    connector: sql\n    url: {json.dumps(url)}\n"
        f"    table: rename_rows\n    date: day\n"
        + (f"    files: {{rename_rows: {files}}}\n" if files else "")
        + f"    dimensions: {dimension}\n    map: {{{mapped}}}\n"
    )


def load(engine: str, url: str, folder, rows: list[tuple]) -> tuple[str, str | None]:
    """The rows as the table `rename_rows` for `engine`: the URL and `files:` to read it."""
    if engine == "postgres":
        load_postgres(url, "rename_rows", COLUMNS, rows)
        return url, None
    folder.mkdir(parents=True, exist_ok=True)
    if engine == "duckdb":  # a database file
        db = folder / "warehouse.duckdb"
        with duckdb.connect(str(db)) as con:
            con.execute(
                f"CREATE TABLE rename_rows ({', '.join(f'{c} {t}' for c, t in COLUMNS.items())})"
            )
            con.executemany(
                f"INSERT INTO rename_rows VALUES ({', '.join('?' * len(COLUMNS))})", rows
            )
        return f"duckdb:///{db}", None
    write_parquet(folder / "rows.parquet", COLUMNS, rows)
    return url, str(folder / "rows.parquet")


def evaluated(root) -> dict[tuple[str, str, str], float | None]:
    results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=KPIS, by=["channel"])
    return {
        (r["kpi"], r["period"], r["segment"].get("channel", "")): r["value"]
        for r in results.records()
    }


def assert_matches(got: dict, want: dict) -> None:
    defined = {k: v for k, v in got.items() if v is not None}
    assert defined.keys() == want.keys()
    for key, value in want.items():
        assert defined[key] == pytest.approx(value, rel=1e-9), key


def test_the_rows_tell_a_merged_mean_from_a_mean_of_means():
    """The data discriminates: renaming after aggregating would give other numbers."""
    rows = make_rows()
    month = [r for r in rows if r[0].month == 1]
    google = [r[3] for r in month if r[2] == "google"]
    bing = [r[3] for r in month if r[2] == "bing"]
    merged = sum(google + bing) / len(google + bing)
    assert merged != pytest.approx((sum(google) / len(google) + sum(bing) / len(bing)) / 2)
    customers = [{r[4] for r in month if r[2] == s} for s in ("google", "bing")]
    assert len(customers[0] | customers[1]) < len(customers[0]) + len(customers[1])


@pytest.mark.parametrize("two_dates", [False, True], ids=["one_date", "two_dates"])
@pytest.mark.parametrize("engine", ["duckdb", "postgres", "chdb", "spark"])
def test_merged_segments_read_all_their_rows(request, tmp_path, engine, two_dates):
    rows = make_rows()
    url = "duckdb://" if engine == "duckdb" else request.getfixturevalue(f"{engine}_url")
    written, files = load(engine, url, tmp_path / "data", rows)
    write_workspace(tmp_path / "ws", written, files, two_dates)
    got = evaluated(tmp_path / "ws")
    assert_matches(got, expected(rows, two_dates))
    labels = {c for _, _, c in got}
    assert {
        "Paid Search",
        "Google",
        "Partner's",
        "it's -- not code",
        "back\\slash'",
        "(none)",
    } <= labels
    assert not labels & {"google", "bing", QUOTED, INJECTION, BACKSLASH}  # all renamed
    if engine == "postgres":  # the injection stayed a literal: the table is still there
        import psycopg

        with psycopg.connect(url) as con:
            assert con.execute("SELECT count(*) FROM rename_rows").fetchone() == (len(rows),)


def test_snowflake_on_fakesnow_renames_before_aggregating(tmp_path):
    import fakesnow

    rows = make_rows(n=60)
    with fakesnow.patch():
        load_snowflake("rename_rows", COLUMNS, rows)
        write_workspace(tmp_path / "ws", "snowflake://kpi@account/db/s", None, True)
        got = evaluated(tmp_path / "ws")
    assert_matches(got, expected(rows, True))


def connector(dialect: str, dimensions: dict[str, str], renames: dict) -> SqlConnector:
    """A source generating `dialect` SQL (not run: the columns are not looked up)."""
    where = Location("kpi.yaml")
    config = SourceConfig(
        "s",
        "sql",
        Path("."),
        where,
        # the URL's engine runs another dialect: the query is generated, never run
        {"url": "postgresql://u@localhost/db" if dialect == "duckdb" else "duckdb:///x.duckdb",
         "table": "t", "dialect": dialect},
        mappings={"spend": Mapping("spend", where, column="spend")},
        dimensions=dimensions,
        dimension_values=renames,
    )  # fmt: skip
    return SqlConnector(config)


@pytest.mark.parametrize("dialect", [*TESTED_DIALECTS, *GENERATED_DIALECTS])
def test_every_dialect_groups_by_the_renamed_value_and_keeps_quotes_literal(dialect):
    """The query is one statement whose string literals hold each key and label exactly."""
    source = connector(dialect, {"channel": "source", "region": "region"}, {"channel": RENAMES})
    request = Request({"spend": Aggregate()}, "month", ["channel"])
    text = source.sql(request)
    trees = sqlglot.parse(text, read=dialect)
    assert len(trees) == 1 and trees[0] is not None
    literals = {s.this for s in trees[0].find_all(sqlglot.exp.Literal) if s.is_string}
    assert set(RENAMES) | set(RENAMES.values()) <= literals
    cases = list(trees[0].find_all(sqlglot.exp.Case))
    assert len(cases) == 1  # the renamed dimension only; `region` has no `values:`
    inner = cases[0].find_ancestor(sqlglot.exp.Alias)  # the rows' renamed value ...
    assert inner is not None
    segment = [  # ... is the `channel` the rows are grouped by
        a
        for a in trees[0].find_all(sqlglot.exp.Alias)
        if a.alias == "channel"
        and {c.name for c in a.find_all(sqlglot.exp.Column)} == {inner.alias}
    ]
    assert segment


@pytest.mark.parametrize("two_dates", [False, True], ids=["one_date", "two_dates"])
@pytest.mark.parametrize("engine", ["duckdb", "postgres", "chdb"])
def test_names_shared_by_columns_and_aliases_read_the_columns(request, tmp_path, engine, two_dates):
    """The dimension `channel` (renamed, from `source`) beside a column `channel`, and the
    variables `p` and `q` reading the columns `q` and `p`: each value reads its own column
    (ClickHouse reads a name as an alias of the same SELECT first)."""
    columns = {"day": "DATE", "closed": "DATE", "source": "VARCHAR", "channel": "DOUBLE"}
    columns |= {"p": "DOUBLE", "q": "DOUBLE"}
    rows = [
        (dt.date(2024, 1, 5), dt.date(2024, 2, 1), "a", 1.0, 10.0, 100.0),
        (dt.date(2024, 1, 9), dt.date(2024, 1, 20), "b", 2.0, 20.0, 200.0),
        (dt.date(2024, 2, 3), dt.date(2024, 2, 4), "a", 4.0, 40.0, 400.0),
    ]
    url = "duckdb://" if engine == "duckdb" else request.getfixturevalue(f"{engine}_url")
    if engine == "postgres":
        load_postgres(url, "rename_rows", columns, rows)
        files = ""
    else:
        write_parquet(tmp_path / "rows.parquet", columns, rows)
        files = f"    files: {{rename_rows: {tmp_path / 'rows.parquet'}}}\n"
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "k.yaml").write_text(
        "variables:\n  c: {unit: currency}\n  p: {unit: currency}\n  q: {unit: currency}\n"
        "kpis:\n  ck: {formula: c, unit: currency}\n  pk: {formula: p, unit: currency}\n"
        "  qk: {formula: q, unit: currency}\n"
    )
    dated = ", date: closed" if two_dates else ""
    (tmp_path / "kpi.yaml").write_text(
        f"currency: EUR\nsources:\n  s:\n    connector: sql\n    url: {json.dumps(url)}\n"
        f"    table: rename_rows\n    date: day\n{files}"
        "    dimensions: {channel: {column: source, values: {a: A}}}\n"
        f"    map: {{c: {{column: channel}}, p: {{column: q}}, q: {{column: p{dated}}}}}\n"
    )
    results = kpiengine.evaluate(
        kpiengine.load_workspace(tmp_path), kpis=["ck", "pk", "qk"], by=["channel"]
    )
    got = {
        (r["kpi"], r["period"], r["segment"].get("channel", "")): r["value"]
        for r in results.records()
        if r["value"] is not None
    }
    want: dict[tuple[str, str, str], float] = defaultdict(float)
    for day, closed, source, channel, p, q in rows:
        for label in ({"a": "A"}.get(source, source), ""):
            want["ck", day.isoformat()[:7], label] += channel
            want["pk", day.isoformat()[:7], label] += q
            want["qk", (closed if two_dates else day).isoformat()[:7], label] += p
    for key in [(k, m, label) for k in ("ck", "pk", "qk") for m in ("2024-01", "2024-02")
                for label in ("A", "b", "")]:  # fmt: skip
        want.setdefault(key, 0.0)  # channel b has no row in February: none of any sum
    assert got == want
