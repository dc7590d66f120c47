"""SQL aggregates of `CASE WHEN c THEN x ELSE 0 END` (and without ELSE), imported by MetricFlow,
Cube and OSI, against plain DuckDB over the same CSV: the rows the condition leaves out give 0,
which COUNT and AVG count and MIN and MAX would take (those are listed as not imported)."""

from __future__ import annotations

from pathlib import Path

import pytest
from interop_helpers import duckdb_monthly, load, totals

from kpiengine.interop.cube import import_cube
from kpiengine.interop.metricflow import import_metricflow
from kpiengine.interop.osi import import_osi

# order 6 is completed without an amount; status and channel empty on some rows
ORDERS = """\
order_id,ordered_at,status,channel,amount,qty
1,2024-01-05,completed,Email,100,2
2,2024-01-20,returned,Ads,200,1
3,2024-01-31,completed,,50,3
4,2024-02-03,completed,Email,120,1
5,2024-02-25,pending,Ads,180,2
6,2024-02-28,completed,Organic,,1
7,2024-03-01,returned,Email,90,4
8,2024-03-15,,Email,60,1
"""
CASE = "CASE WHEN status = 'completed' THEN amount ELSE 0 END"
FLAG = "CASE WHEN status = 'completed' THEN 1 ELSE 0 END"
NO_ELSE = "CASE WHEN status = 'completed' THEN amount END"
# KPI -> the SQL aggregate DuckDB computes (and the row filter of the metric, if any)
EXPECTED = {
    "avg_else": (f"AVG({CASE})", ""),
    "count_else": (f"COUNT({CASE})", ""),
    "sum_else": (f"SUM({CASE})", ""),
    "share": (f"AVG({FLAG})", ""),
    "count_flag": (f"COUNT({FLAG})", ""),
    "avg_no_else": (f"AVG({NO_ELSE})", ""),
    "count_no_else": (f"COUNT({NO_ELSE})", ""),
    "email_avg_else": (f"AVG({CASE})", "channel = 'Email'"),
}
NOT_MAPPED = {"min_else": "MIN of", "max_else": "MAX of"}

METRICFLOW = (
    f"""\
semantic_models:
  - name: orders
    model: ref('orders')
    defaults: {{agg_time_dimension: ordered_at}}
    entities: [{{name: order, type: primary, expr: order_id}}]
    dimensions:
      - {{name: ordered_at, type: time, type_params: {{time_granularity: day}}}}
      - {{name: channel, type: categorical}}
    measures:
      - {{name: avg_else, agg: average, expr: "{CASE}"}}
      - {{name: count_else, agg: count, expr: "{CASE}"}}
      - {{name: sum_else, agg: sum, expr: "{CASE}"}}
      - {{name: share, agg: average, expr: "{FLAG}"}}
      - {{name: count_flag, agg: count, expr: "{FLAG}"}}
      - {{name: avg_no_else, agg: average, expr: "{NO_ELSE}"}}
      - {{name: count_no_else, agg: count, expr: "{NO_ELSE}"}}
      - {{name: min_else, agg: min, expr: "{CASE}"}}
      - {{name: max_else, agg: max, expr: "{CASE}"}}
metrics:
"""
    + "".join(
        f"  - {{name: {m}, type: simple, type_params: {{measure: {m}}}}}\n"
        for m in [*EXPECTED, *NOT_MAPPED]
        if m != "email_avg_else"
    )
    + (
        "  - {name: email_avg_else, type: simple, type_params: {measure: avg_else},"
        " filter: \"{{ Dimension('order__channel') }} = 'Email'\"}\n"
    )
)

_CUBE_TYPES = {"avg": "avg", "count": "count", "sum": "sum", "min": "min", "max": "max"}


def _cube() -> str:
    measures = []
    for name, (sql, _) in {
        **EXPECTED,
        **{k: (f"{k[:3].upper()}({CASE})", "") for k in NOT_MAPPED},
    }.items():
        kind = _CUBE_TYPES[sql.split("(")[0].lower()]
        inner = sql[sql.index("(") + 1 : -1].replace("status", "{CUBE}.status")
        line = f'      - {{name: {name}, type: {kind}, sql: "{inner}"'
        if name == "email_avg_else":
            line += ", filters: [{sql: \"{CUBE}.channel = 'Email'\"}]"
        measures.append(line + "}\n")
    return (
        "cubes:\n  - name: orders\n    sql_table: orders\n    dimensions:\n"
        "      - {name: order_id, sql: order_id, type: number, primary_key: true}\n"
        "      - {name: ordered_at, sql: ordered_at, type: time}\n"
        "      - {name: channel, sql: channel, type: string}\n"
        "    measures:\n" + "".join(measures)
    )


def _osi() -> str:
    def field(name: str, extra: str = "") -> str:
        return (
            f"    - name: {name}\n      expression:\n        dialects:\n"
            f"        - {{dialect: ANSI_SQL, expression: {name}}}\n{extra}"
        )

    metrics = ""
    for name, (sql, _) in {
        **EXPECTED,
        **{k: (f"{k[:3].upper()}({CASE})", "") for k in NOT_MAPPED},
    }.items():
        if name == "email_avg_else":
            continue  # OSI has no metric filter
        metrics += (
            f"  - name: {name}\n    expression:\n      dialects:\n"
            f'      - {{dialect: ANSI_SQL, expression: "{sql}"}}\n'
        )
    return (
        "version: 0.2.0.dev0\nsemantic_model:\n- name: shop\n  datasets:\n  - name: orders\n"
        "    source: orders\n    primary_key: [order_id]\n    fields:\n"
        + field("order_id", "      dimension: {is_time: false}\n")
        + field("ordered_at", "      datatype: Date\n")
        + field("status", "      dimension: {is_time: false}\n")
        + "  metrics:\n"
        + metrics
    )


def _model(tool: str, tmp_path: Path):
    if tool == "metricflow":
        (tmp_path / "orders.yml").write_text(METRICFLOW, encoding="utf-8")
        return import_metricflow(tmp_path / "orders.yml")
    if tool == "cube":
        (tmp_path / "orders.yml").write_text(_cube(), encoding="utf-8")
        return import_cube(tmp_path / "orders.yml")
    (tmp_path / "model.osi.yaml").write_text(_osi(), encoding="utf-8")
    return import_osi(tmp_path / "model.osi.yaml")


@pytest.mark.parametrize("tool", ["metricflow", "cube", "osi"])
def test_case_else_zero_aggregates_equal_sql(tool, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "orders.csv").write_text(ORDERS, encoding="utf-8")
    model = _model(tool, tmp_path)
    prefix = "orders_" if tool == "cube" else ""
    assert not model.use_files(data)
    expected = {k: v for k, v in EXPECTED.items() if tool != "osi" or k != "email_avg_else"}
    kpis = [prefix + k for k in expected]
    assert set(kpis) <= set(model.kpis), sorted(model.kpis)
    got = totals(load(model, tmp_path / "ws"), kpis)
    for kpi, (sql, keep) in expected.items():
        rows = data / "orders.csv"
        source = f"(SELECT * FROM read_csv('{rows}') WHERE {keep})" if keep else None
        oracle = _monthly(rows, sql, source)
        assert oracle, kpi
        for month, value in oracle.items():
            assert got[(prefix + kpi, month)] == pytest.approx(value), (kpi, month, value)
    reasons = {u.name.removeprefix("orders."): u.reason for u in model.unmapped}
    for name, start in NOT_MAPPED.items():
        assert reasons[name].startswith(start) and "ELSE 0" in reasons[name], reasons[name]


def _monthly(path: Path, sql: str, source: str | None) -> dict:
    """DuckDB's aggregate by month, over the CSV or the rows a metric filter keeps."""
    if source is None:
        return duckdb_monthly(path, sql, "ordered_at")
    import duckdb

    query = (
        f"SELECT strftime(ordered_at, '%Y-%m') AS month, CAST({sql} AS DOUBLE) "
        f"FROM {source} GROUP BY month"
    )
    return dict(duckdb.sql(query).fetchall())


def test_count_distinct_of_case_else_zero_is_listed(tmp_path):
    buyers = f'      - {{name: buyers, agg: count_distinct, expr: "{CASE}"}}\n'
    yml = METRICFLOW.replace("metrics:\n", buyers + "metrics:\n", 1)
    yml += "  - {name: buyers, type: simple, type_params: {measure: buyers}}\n"
    (tmp_path / "orders.yml").write_text(yml, encoding="utf-8")
    reasons = {u.name: u.reason for u in import_metricflow(tmp_path / "orders.yml").unmapped}
    assert "distinct count" in reasons["buyers"] and "ELSE 0" in reasons["buyers"]
