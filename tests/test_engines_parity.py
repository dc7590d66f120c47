"""Parity: random deal tables aggregated by plain Python, DuckDB, PostgreSQL, chDB and Spark.

Hypothesis writes tables with dates, two dimensions, NULLs everywhere, a `where:` filter, `count:`
and `distinct:` mappings and every aggregate rule; every engine must give the values a direct
Python computation gives (per month and channel) and agree with each other on the totals.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections import defaultdict
from pathlib import Path

import pytest
from engine_helpers import load_postgres, write_parquet
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import kpiengine
from kpiengine.engine import Engine
from kpiengine.model import Aggregate
from kpiengine.plan import variables_plan

COLUMNS = {
    "day": "DATE",
    "channel": "VARCHAR",
    "region": "VARCHAR",
    "stage": "VARCHAR",
    "amount": "DOUBLE",
    "cost": "DOUBLE",
    "stock": "BIGINT",
    "customer": "BIGINT",
}
#: variable -> (mapping in kpi.yaml, aggregate rule asked for)
VARIABLES = {
    "opportunities": ("{count: true}", Aggregate("sum", "sum")),
    "deals_won": ("{count: true, where: {stage: [won]}}", Aggregate("sum", "sum")),
    "revenue": ("{column: amount, where: {stage: [won]}}", Aggregate("sum", "sum")),
    "marketing_cost": ("{column: cost}", Aggregate("mean", "sum")),
    "gross_profit": ("{column: amount}", Aggregate("mean", "mean")),
    "ad_spend": ("{column: cost}", Aggregate("min", "max")),
    "ad_revenue": ("{column: amount}", Aggregate("max", "min")),
    "followers": ("{column: stock}", Aggregate("last", "sum")),
    "reach": ("{column: stock}", Aggregate("first", "max")),
    "visitors": ("{distinct: customer}", Aggregate("distinct", "distinct")),
}
START = dt.date(2024, 1, 1)


def row(day: st.SearchStrategy) -> st.SearchStrategy:
    return st.tuples(
        day,
        st.sampled_from(["Email", "Ads", None]),
        st.sampled_from(["North", "South", None]),
        st.sampled_from(["won", "lost", None]),
        st.one_of(st.none(), st.integers(0, 100_000).map(lambda c: c / 100)),
        st.one_of(st.none(), st.integers(1, 50_000).map(lambda c: c / 100)),
        st.one_of(st.none(), st.integers(0, 90)),
        st.one_of(st.none(), st.integers(1, 8)),
    )


DAYS = st.integers(0, 100).map(lambda d: START + dt.timedelta(days=d))
#: a row without a date holds no value a mapping reads (one that does is an error: see
#: test_f5_sql_dates.py), only its dimensions
UNDATED = st.tuples(
    st.none(), st.sampled_from(["Email", "Ads", None]), st.sampled_from(["North", "South", None]),
    *(st.none() for _ in range(5)),
)  # fmt: skip
#: one dated row at least (a table without dates has no data to compare), then any rows
rows_strategy = st.tuples(row(DAYS), st.lists(st.one_of(row(DAYS), UNDATED), max_size=40)).map(
    lambda both: [both[0], *both[1]]
)


@functools.cache
def workspace(root: Path, url: str, files: bool) -> kpiengine.Workspace:
    """The workspace reading the table `deals` at `url` (with `files`: from the Parquet file
    beside `root`), loaded once for each folder: an example writes new rows, never a new kpi.yaml,
    and each fetch reads the rows as they are then."""
    root.mkdir(parents=True, exist_ok=True)
    mapping = "".join(f"      {v}: {m}\n" for v, (m, _) in VARIABLES.items())
    kpi_yaml = (
        "sources:\n  deals:\n    connector: sql\n"
        f"    url: {url}\n    table: deals\n    date: day\n"
        + (f"    files: {{deals: {root.parent / 'deals.parquet'}}}\n" if files else "")
        + f"    dimensions: [channel, region]\n    map:\n{mapping}"
    )
    (root / "kpi.yaml").write_text(kpi_yaml)
    return kpiengine.load_workspace(root)


def cells(ws: kpiengine.Workspace) -> dict[tuple, float | None]:
    plan = variables_plan(ws, {v: a for v, (_, a) in VARIABLES.items()}, "month", ["channel"])
    table = Engine(ws).fetch(plan)
    # generated rows may hold no `won` deal: the `where:` value's warning says so, and only it
    unexpected = [f.message for f in table.findings if "matches no row" not in f.message]
    assert not unexpected, unexpected
    out: dict[tuple, float | None] = {}
    for variable, array in table.values.items():
        for p in range(table.n_periods):
            for s, segment in enumerate(table.segments):
                value = float(array[p, s])
                key = (variable, table.period_start(p), segment.get("channel", "*"))
                out[key] = None if math.isnan(value) else value
    return out


def python_cells(rows: list[tuple]) -> dict[tuple, float | None]:
    """The same cells by channel, computed row by row (no SQL, no kpiengine)."""
    fine: dict[tuple, list[tuple]] = defaultdict(list)  # (variable, month, channel, region)
    distinct: dict[tuple, set] = defaultdict(set)
    for day, channel, region, stage, amount, cost, stock, customer in rows:
        if day is None:
            continue
        month = day.replace(day=1)
        measure = {
            "opportunities": 1.0,
            "deals_won": 1.0 if stage == "won" else 0.0,
            "revenue": (amount if stage == "won" else 0.0) if amount is not None else None,
            "marketing_cost": cost,
            "gross_profit": amount,
            "ad_spend": cost,
            "ad_revenue": amount,
            "followers": stock,
            "reach": stock,
        }
        if stage != "won":  # a filtered sum counts 0 for rows outside the filter
            measure["revenue"] = 0.0
        for variable, value in measure.items():
            fine[(variable, month, channel or "", region or "")].append((day, value))
        for key in (channel or "", "*"):
            distinct[(month, key)].add(customer)
    time_rule = {"sum": sum, "mean": lambda v: sum(v) / len(v), "min": min, "max": max}
    per_segment: dict[tuple, list[float]] = defaultdict(list)
    for (variable, month, channel, _), items in fine.items():
        rule = VARIABLES[variable][1].time
        if rule in ("last", "first"):
            by_day: dict[dt.date, list[float]] = defaultdict(list)
            for day, value in items:
                if value is not None:
                    by_day[day].append(value)
            if not by_day:
                continue
            edge = max(by_day) if rule == "last" else min(by_day)
            per_segment[(variable, month, channel)].append(sum(by_day[edge]))
        else:
            present = [value for _, value in items if value is not None]
            if present:
                per_segment[(variable, month, channel)].append(time_rule[rule](present))
    out: dict[tuple, float | None] = {}
    for (variable, month, channel), values in per_segment.items():
        out[(variable, month, channel)] = time_rule[VARIABLES[variable][1].segments](values)
    for (month, channel), customers in distinct.items():
        out[("visitors", month, channel)] = float(len(customers - {None}))
    return out


def assert_matches_python(got: dict, expected: dict, engine: str) -> None:
    for key, value in expected.items():
        if key[2] == "*" and key[0] != "visitors":
            continue  # totals: compared across engines below
        assert key in got, (engine, key)
        if value is None:
            assert got[key] is None, (engine, key)
        else:
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-9), (engine, key, value)
    for key, value in got.items():  # nothing the rows do not hold
        if key not in expected and key[2] != "*":
            assert value is None or value == 0.0, (engine, key, value)


def assert_same(a: dict, b: dict, engine: str) -> None:
    assert a.keys() == b.keys(), engine
    for key in a:
        if a[key] is None or b[key] is None:
            assert a[key] is None and b[key] is None, (engine, key)
        else:
            assert a[key] == pytest.approx(b[key], rel=1e-9, abs=1e-9), (engine, key)


def check(tmp: Path, rows: list[tuple], urls: dict[str, str]) -> None:
    write_parquet(tmp / "deals.parquet", COLUMNS, rows)
    expected = python_cells(rows)
    reference = cells(workspace(tmp / "duckdb", "duckdb://", files=True))
    assert_matches_python(reference, expected, "duckdb")
    for engine, url in urls.items():
        got = cells(workspace(tmp / engine, url, files=engine != "postgres"))
        assert_matches_python(got, expected, engine)
        assert_same(reference, got, engine)


# no shrinking: a failure prints its rows as generated (shrinking through five engines takes
# minutes); `HYPOTHESIS_PROFILE=explore` still searches with fresh examples
SETTINGS = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture],
    "phases": [Phase.explicit, Phase.reuse, Phase.generate],
}


@pytest.fixture(scope="module")
def parity_folder(tmp_path_factory) -> Path:
    """One folder for every example of the test below: each writes its rows to the same Parquet
    file (and PostgreSQL table), so that the workspaces reading them are loaded once."""
    return tmp_path_factory.mktemp("parity")


@settings(max_examples=15, **SETTINGS)
@given(rows=rows_strategy)
def test_python_duckdb_chdb_and_postgres_agree(parity_folder, chdb_url, postgres_url, rows):
    load_postgres(postgres_url, "deals", COLUMNS, rows)
    check(parity_folder, rows, {"chdb": chdb_url, "postgres": postgres_url})


@settings(max_examples=3, **SETTINGS)
@given(rows=rows_strategy)
def test_spark_agrees(tmp_path_factory, spark_url, rows):
    check(tmp_path_factory.mktemp("spark"), rows, {"spark": spark_url})
