"""A MetricFlow `non_additive_dimension` whose latest day has only empty values: MetricFlow sums
that day's rows (NULL), kpiengine takes the latest day with a value; the import says so, and
no longer says its total is MetricFlow's."""

from __future__ import annotations

import duckdb
import pytest
from interop_helpers import load, totals

from kpiengine.interop.metricflow import import_metricflow

BALANCES = """\
id,snapshot_date,region,balance
1,2024-01-30,EU,100
2,2024-01-31,US,200
3,2024-03-30,US,300
4,2024-03-30,EU,120
5,2024-03-31,EU,
"""
MODEL = """\
semantic_models:
  - name: balances
    model: ref('balances')
    defaults: {agg_time_dimension: snapshot_date}
    entities: [{name: account, type: primary, expr: id}]
    dimensions:
      - {name: snapshot_date, type: time, type_params: {time_granularity: day}}
%s    measures:
      - name: total_balance
        agg: sum
        expr: balance
        non_additive_dimension: {name: snapshot_date, window_choice: max}
metrics:
  - {name: total_balance, type: simple, type_params: {measure: total_balance}}
"""
REGION = "      - {name: region, type: categorical}\n"


@pytest.mark.parametrize("dimensions", ["", REGION], ids=["no dimension", "region"])
def test_an_empty_latest_day_is_said(tmp_path, dimensions):
    (tmp_path / "m.yml").write_text(MODEL % dimensions, encoding="utf-8")
    (tmp_path / "data").mkdir()
    path = tmp_path / "data" / "balances.csv"
    path.write_text(BALANCES, encoding="utf-8")
    model = import_metricflow(tmp_path / "m.yml")
    notes = [n.reason for n in model.notes if n.name == "total_balance"]
    [day] = [n for n in notes if "latest day with any row" in n]
    assert "a value of `balance`" in day and "no value (a SUM of NULLs)" in day
    assert not any("its total is MetricFlow's" in n for n in notes)
    assert not model.use_files(tmp_path / "data")
    got = totals(load(model, tmp_path / "ws"), ["total_balance"])
    # MetricFlow: the rows of each month's latest day with any row, summed
    sql = (
        f"WITH t AS (SELECT * FROM read_csv('{path}')), d AS (SELECT strftime(snapshot_date, "
        "'%Y-%m') AS m, max(snapshot_date) AS day FROM t GROUP BY 1) SELECT m, sum(balance) "
        "FROM t JOIN d ON t.snapshot_date = d.day GROUP BY m"
    )
    metricflow = dict(duckdb.sql(sql).fetchall())
    assert got[("total_balance", "2024-01")] == metricflow["2024-01"] == 200
    # the difference the note names: March's latest day has no value
    assert metricflow["2024-03"] is None and got[("total_balance", "2024-03")] == 300 + 120
