"""Each feature listed as not imported or imported with a caveat names the file, line and column
of its definition, in the model and in what `kpi import` prints and writes."""

from __future__ import annotations

import re

from click.testing import CliRunner

from kpiengine.cli import cli
from kpiengine.interop.cube import import_cube
from kpiengine.interop.metricflow import import_metricflow
from kpiengine.interop.osi import import_osi

METRICFLOW = """\
semantic_models:
  - name: orders
    model: ref('orders')
    defaults: {agg_time_dimension: ordered_at}
    entities: [{name: order, type: primary, expr: order_id}]
    dimensions:
      - {name: ordered_at, type: time, type_params: {time_granularity: day}}
      - {name: shipped_at, type: time, type_params: {time_granularity: day}}
      - {name: big, type: categorical, expr: amount > 100}
    measures:
      - {name: amount, agg: sum}
      - {name: p90, agg: percentile, expr: amount}
metrics:
  - {name: revenue, type: simple, type_params: {measure: amount}, fill_nulls_with: 0}
  - {name: p90_amount, type: simple, type_params: {measure: p90}}
saved_queries:
  - {name: q}
"""
CUBE = """\
cubes:
  - name: orders
    sql_table: orders
    joins:
      - {name: users, sql: "1 = 1", relationship: many_to_one}
    dimensions:
      - {name: id, sql: id, type: number, primary_key: true}
      - {name: created_at, sql: created_at, type: time}
    measures:
      - {name: running, sql: amount, type: runningTotal}
      - {name: approx, sql: user_id, type: countDistinctApprox}
"""
OSI = """\
version: 0.2.0.dev0
semantic_model:
- name: shop
  datasets:
  - name: orders
    source: orders
    fields:
    - name: day
      expression: {dialects: [{dialect: ANSI_SQL, expression: day}]}
      datatype: Date
    - name: plus
      expression: {dialects: [{dialect: ANSI_SQL, expression: amount + 1}]}
      dimension: {is_time: false}
  metrics:
  - name: rounded
    expression: {dialects: [{dialect: ANSI_SQL, expression: ROUND(SUM(amount))}]}
  - name: total
    expression: {dialects: [{dialect: ANSI_SQL, expression: COALESCE(SUM(amount), 0)}]}
"""
# importer, file, text, {listed name: line it is defined on}
CASES = [
    (
        import_metricflow,
        "orders.yml",
        METRICFLOW,
        {"orders.shipped_at": 8, "orders.big": 9, "p90_amount": 15, "q": 17, "revenue": 14},
    ),
    (import_cube, "orders.yml", CUBE, {"orders.joins": 5, "orders.id": 7, "orders.running": 10}),
    (import_osi, "m.osi.yaml", OSI, {"orders.plus": 11, "rounded": 15, "total": 17}),
]


def test_listed_features_name_their_line(tmp_path):
    for read, name, text, lines in CASES:
        path = tmp_path / read.__name__ / name
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        model = read(path)
        listed = {u.name: u for u in model.unmapped + model.notes}
        for feature, line in lines.items():
            loc = listed[feature].loc
            assert loc is not None and (loc.file, loc.line) == (str(path), line), feature
            assert str(listed[feature]).startswith(f"{path}:{line}:"), feature
    assert all(u.loc is not None for u in model.unmapped + model.notes)


def test_import_prints_and_writes_each_line(tmp_path):
    path = tmp_path / "orders.yml"
    path.write_text(METRICFLOW, encoding="utf-8")
    out = CliRunner().invoke(cli, ["import", "metricflow", str(path), "-o", str(tmp_path / "ws")])
    assert out.exit_code == 0, out.output
    assert re.search(rf"^  {re.escape(str(path))}:15:\d+: p90_amount \(", out.output, re.M)
    written = (tmp_path / "ws" / "definitions" / "imported.yaml").read_text(encoding="utf-8")
    assert f"#   - {path}:15:" in written and f"#   - {path}:14:" in written
