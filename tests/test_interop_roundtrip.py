"""Export -> import round trips (OSI and MetricFlow) over every kind of source mapping.

The workspace (tests/fixtures/interop/roundtrip) maps a column sum, `count: true`, `count:
COLUMN`, a distinct count, `where:` (on sums, counts and `count: COLUMN`), mean, min, max and
last variables, and reads them through ytd, qtd, rolling, prev and last_year. Its KPIs must come
back with the same formulas and mappings, evaluate to the same values, and those values must be
what plain DuckDB queries over the same rows give (kpiengine's rules written as SQL: a mean
variable's total is the mean of its segments' means, a stock the sum of each segment's value on
its last day, a window that starts before the data is undefined).
"""

import calendar
import functools
import math
import shutil

import duckdb
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from interop_helpers import FIXTURES

import kpiengine
from kpiengine.interop.metricflow import import_metricflow
from kpiengine.interop.metricflow_export import export_metricflow
from kpiengine.interop.osi import import_osi
from kpiengine.interop.osi_export import export_osi, osi_yaml
from kpiengine.interop.writer import write_workspace
from kpiengine.model import BUILTIN

WORKSPACE = FIXTURES / "roundtrip"
HEADER = "id,created_at,region,status,customer_id,amount,price,stock\n"

#: Each KPI of the workspace as SQL over `m` (one row per month, columns aggregated below).
ORACLE = {
    "total_revenue": "amount_total",
    "deal_count": "deals_all",
    "avg_amount": "amount_total / NULLIF(amount_rows, 0)",
    "revenue_per_customer": "amount_total / NULLIF(customers, 0)",
    "deal_win_rate": "won_deals / deals_all",
    "won_avg_amount": "won_amount / NULLIF(won_amount_rows, 0)",
    "avg_price": "price_mean",
    "price_range": "price_high - price_low",
    "stock": "stock_level",
    "revenue_ytd": "SUM(amount_total) OVER (PARTITION BY year ORDER BY month)",
    # a window reaching before the first month of data is undefined
    "revenue_3_months": "CASE WHEN n >= 3 THEN SUM(amount_total) OVER "
    "(ORDER BY month ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) END",
    "revenue_vs_last_year": "amount_total / NULLIF(LAG(amount_total, 12) OVER (ORDER BY month), 0)",
    "revenue_vs_prev": "amount_total / NULLIF(LAG(amount_total) OVER (ORDER BY month), 0)",
    "win_rate_qtd": "SUM(won_deals) OVER (PARTITION BY year, quarter ORDER BY month) / "
    "SUM(deals_all) OVER (PARTITION BY year, quarter ORDER BY month)",
}
MONTHLY = """
WITH d AS (SELECT *, strftime(created_at, '%Y-%m') AS month FROM read_csv('{path}', types={types})),
by_region AS (  -- a mean rolls segments up by their mean; a stock sums each one's last day
    SELECT month, region, AVG(price) AS price_mean,
           SUM(stock) FILTER (WHERE created_at = last_day) AS stock_level
    FROM (SELECT *, MAX(created_at) OVER (PARTITION BY month, region) AS last_day FROM d)
    GROUP BY month, region
),
m AS (
    SELECT month, year(min(created_at)) AS year, quarter(min(created_at)) AS quarter,
        row_number() OVER (ORDER BY month) AS n,
        SUM(amount) AS amount_total, COUNT(*) AS deals_all, COUNT(amount) AS amount_rows,
        COUNT(DISTINCT customer_id) AS customers,
        SUM(amount) FILTER (WHERE status = 'won') AS won_amount,
        COUNT(*) FILTER (WHERE status = 'won') AS won_deals,
        COUNT(amount) FILTER (WHERE status = 'won') AS won_amount_rows,
        MIN(price) AS price_low, MAX(price) AS price_high,
        (SELECT AVG(price_mean) FROM by_region r WHERE r.month = d.month) AS price_mean,
        (SELECT SUM(stock_level) FROM by_region r WHERE r.month = d.month) AS stock_level
    FROM d GROUP BY month
)
SELECT month, {columns} FROM m ORDER BY month
"""
TYPES = "{'created_at': 'DATE', 'amount': 'DOUBLE', 'price': 'DOUBLE', 'stock': 'DOUBLE'}"


def oracle(path) -> dict[tuple[str, str], float | None]:
    """(KPI, month) -> value, from DuckDB alone."""
    columns = ", ".join(f"CAST({sql} AS DOUBLE) AS {kpi}" for kpi, sql in ORACLE.items())
    result = duckdb.sql(MONTHLY.format(path=path, types=TYPES, columns=columns))
    names = [c for c in result.columns if c != "month"]
    return {
        (k, row[0]): v for row in result.fetchall() for k, v in zip(names, row[1:], strict=True)
    }


@functools.cache
def loaded(root) -> kpiengine.Workspace:
    """The workspace folder `root`, loaded once: the tests write new data into it, never new
    definitions or settings, and each evaluation reads the data as it is then."""
    ws = kpiengine.load_workspace(root)
    assert not ws.errors, [f.format() for f in ws.errors]
    return ws


def values(root, by=()) -> dict[tuple, float | None]:
    """(KPI, month, segment) -> value, evaluated from the workspace folder as it is now."""
    ws = loaded(root)
    records = kpiengine.evaluate(ws, grain="month", by=list(by)).records()
    return {
        (r["kpi"], r["period"], tuple(sorted(r["segment"].items()))): r["value"] for r in records
    }


def same(a: float | None, b: float | None) -> bool:
    return a == b or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9))


class Trips(dict):
    def __repr__(self) -> str:  # hypothesis prints the arguments of a failing example
        return "<round trips>"


@pytest.fixture(scope="module")
def trips(tmp_path_factory):
    """The workspace, and its OSI and MetricFlow round trips written as workspaces."""
    tmp = tmp_path_factory.mktemp("roundtrip")
    shutil.copytree(WORKSPACE, tmp / "ws")
    ws = kpiengine.load_workspace(tmp / "ws")
    document, _ = export_osi(ws, own_only=True)
    (tmp / "model.osi.yaml").write_text(osi_yaml(document), encoding="utf-8")
    osi = import_osi(tmp / "model.osi.yaml")
    write_workspace(osi, tmp / "osi")
    shutil.copytree(tmp / "ws" / "data", tmp / "osi" / "data")  # `files:` as kpi.yaml wrote it
    export_metricflow(ws, tmp / "mf", own_only=True)
    mf = import_metricflow(tmp / "mf")
    assert mf.use_files(tmp / "ws" / "data") == []  # MetricFlow keeps no URL: read the CSV
    write_workspace(mf, tmp / "mfws")
    return Trips(tmp=tmp, ws=ws, osi=osi, mf=mf)


@pytest.mark.parametrize("kind", ["osi", "mf"])
def test_every_kpi_variable_and_mapping_comes_back(trips, kind):
    ws, model = trips["ws"], trips[kind]
    assert not model.unmapped
    assert {k: v.formula for k, v in model.kpis.items()} == {
        k: v.formula_text for k, v in ws.kpis.items() if v.layer != BUILTIN
    }
    back = kpiengine.load_workspace(trips["tmp"] / ("osi" if kind == "osi" else "mfws"))
    [source] = ws.settings.sources
    [again] = back.settings.sources
    assert set(again.mappings) == set(source.mappings)
    for var_id, m in source.mappings.items():
        b = again.mappings[var_id]
        assert (b.column, b.count, b.present, b.distinct, b.where, b.scale) == (
            m.column,
            m.count,
            m.present,
            m.distinct,
            m.where,
            m.scale,
        ), var_id
        assert back.variables[var_id].aggregate == ws.variables[var_id].aggregate, var_id
    assert again.dimensions == source.dimensions


def test_count_of_a_column_is_written_and_read_as_such(trips):
    """`count: amount` is the rows with an amount: the SQL says so, and reads back so."""
    text = (trips["tmp"] / "model.osi.yaml").read_text(encoding="utf-8")
    assert "expression: CASE WHEN amount IS NOT NULL THEN 1 ELSE 0 END" in text
    assert "CASE WHEN status IN ('won') AND amount IS NOT NULL THEN 1 ELSE 0 END" in text
    written = yaml.safe_load((trips["tmp"] / "osi" / "kpi.yaml").read_text(encoding="utf-8"))
    assert written["sources"]["deals"]["map"]["amount_rows"] == {"count": "amount"}
    assert written["sources"]["deals"]["map"]["won_amount_rows"] == {
        "count": "amount",
        "where": {"status": ["won"]},
    }
    # the SQL alone (no KPIENGINE extension) gives the same counts
    plain = import_osi(trips["tmp"] / "model.osi.yaml", extensions=False).sources["deals"]
    rows = plain.mappings["amount_rows"]
    assert (rows.column, rows.count, rows.where) == ("amount", True, {})
    won = plain.mappings["won_amount_rows"]
    assert (won.column, won.count, won.where) == ("amount", True, {"status": ["won"]})
    mf = trips["mf"].sources["deals"].mappings["won_amount_rows"]
    assert (mf.column, mf.count, mf.where) == ("amount", True, {"status": ["won"]})


def test_fixture_values_survive_both_round_trips_and_match_duckdb(trips):
    tmp = trips["tmp"]
    before = values(tmp / "ws", by=["region"])
    for folder in ("osi", "mfws"):
        after = values(tmp / folder, by=["region"])
        assert set(after) == set(before), folder
        wrong = {k: (before[k], after[k]) for k in before if not same(before[k], after[k])}
        assert not wrong, (folder, wrong)
    expected = oracle(tmp / "ws" / "data" / "deals.csv")
    totals = {(k, month): v for (k, month, segment), v in before.items() if not segment}
    assert set(totals) == set(expected)
    wrong = {k: (totals[k], expected[k]) for k in expected if not same(totals[k], expected[k])}
    assert not wrong, wrong
    # by hand, from the CSV: 2024-06 has the amounts 550, 150 and 250 and one row without
    assert totals[("avg_amount", "2024-06")] == pytest.approx((550 + 150 + 250) / 3)
    assert totals[("won_avg_amount", "2024-06")] == pytest.approx((550 + 250) / 2)


ROW = st.tuples(
    st.integers(1, 28),  # day of the month
    st.sampled_from(["north", "south"]),
    st.sampled_from(["won", "lost", "open"]),
    st.integers(1, 4),  # customer
    st.one_of(st.none(), st.sampled_from([50, 120, 300])),  # amount, often empty
    st.sampled_from([9.5, 10.0, 12.5]),
    st.integers(0, 40),  # stock
)


def _csv(months: list[list[tuple]]) -> str:
    """Rows from January 2023 on, every month with rows; the first on the 1st and the last on
    the last day of its month, so that no period is partial."""
    lines, n = [HEADER], 0
    for index, rows in enumerate(months):
        year, month = 2023 + index // 12, index % 12 + 1
        rows = sorted(rows, key=lambda row: row[0])
        if index == 0:
            rows[0] = (1, *rows[0][1:])
        if index == len(months) - 1:
            rows[-1] = (calendar.monthrange(year, month)[1], *rows[-1][1:])
        for day, region, status, customer, amount, price, stock in rows:
            n += 1
            value = "" if amount is None else amount
            lines.append(
                f"{n},{year}-{month:02d}-{day:02d},{region},{status},c{customer},{value},"
                f"{price},{stock}\n"
            )
    return "".join(lines)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.lists(ROW, min_size=1, max_size=3), min_size=13, max_size=15))
def test_any_rows_evaluate_the_same_after_both_round_trips(trips, months):
    tmp = trips["tmp"]
    text = _csv(months)
    for folder in ("ws", "osi"):  # the MetricFlow workspace reads ws/data (use_files)
        (tmp / folder / "data" / "deals.csv").write_text(text, encoding="utf-8")
    before = values(tmp / "ws")
    expected = oracle(tmp / "ws" / "data" / "deals.csv")
    assert {(k, month) for k, month, _ in before} == set(expected)
    for key, value in before.items():
        assert same(value, expected[key[:2]]), (key, value, expected[key[:2]])
    for folder in ("osi", "mfws"):
        after = values(tmp / folder)
        assert set(after) == set(before), folder
        for key, value in before.items():
            assert same(after[key], value), (folder, key, value, after[key])
