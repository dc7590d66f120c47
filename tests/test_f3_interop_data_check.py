"""`kpi import ... --data DIR` checks against the data, and reads a model's unquoted (case-
insensitive) column names as the file's headers spell them; two headers equal but for case are
an error naming both."""

from __future__ import annotations

import duckdb
import pytest
from click.testing import CliRunner

from kpiengine.cli import cli
from kpiengine.errors import KpiError
from kpiengine.interop.datafit import fit
from kpiengine.interop.model import Mapping, Model, Source

HEADERS_UPPER = """\
ORDER_ID,ORDERED_AT,STATUS,AMOUNT
1,2024-01-05,completed,100
2,2024-01-20,returned,200
3,2024-02-03,completed,120
4,2024-02-25,completed,30
"""
MODEL = """\
semantic_models:
  - name: orders
    model: ref('orders')
    defaults: {agg_time_dimension: ordered_at}
    entities: [{name: order, type: primary, expr: order_id}]
    dimensions:
      - {name: ordered_at, type: time, type_params: {time_granularity: day}}
      - {name: status, type: categorical}
    measures:
      - {name: revenue, agg: sum, expr: amount}
      - {name: completed, agg: sum, expr: "CASE WHEN status = 'completed' THEN amount END"}
metrics:
  - {name: revenue, type: simple, type_params: {measure: revenue}}
  - {name: completed, type: simple, type_params: {measure: completed}}
"""


def _import(tmp_path, *args: str):
    (tmp_path / "orders.yml").write_text(MODEL, encoding="utf-8")
    cmd = ["import", "metricflow", str(tmp_path / "orders.yml"), "--data", str(tmp_path / "d")]
    return CliRunner().invoke(cli, cmd + list(args))


def test_upper_case_headers_are_the_model_columns(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "orders.csv").write_text(HEADERS_UPPER, encoding="utf-8")
    checked = _import(tmp_path, "--check")
    assert checked.exit_code == 0, checked.output
    assert "data checks ran" in checked.output and "0 errors, 0 warnings" in checked.output
    written = _import(tmp_path, "-o", str(tmp_path / "ws"))
    assert written.exit_code == 0, written.output
    kpi_yaml = (tmp_path / "ws" / "kpi.yaml").read_text(encoding="utf-8")
    assert "date: ORDERED_AT" in kpi_yaml and "status: STATUS" in kpi_yaml
    out = CliRunner().invoke(cli, ["eval", "-w", str(tmp_path / "ws"), "--format", "csv"])
    assert out.exit_code == 0, out.output
    sql = (
        "SELECT strftime(ORDERED_AT, '%Y-%m'), SUM(CASE WHEN STATUS = 'completed' THEN AMOUNT "
        f"END) FROM read_csv('{tmp_path / 'd' / 'orders.csv'}') GROUP BY 1"
    )
    for month, value in duckdb.sql(sql).fetchall():
        assert f"completed,{month},,{float(value)}," in out.output


def test_check_with_data_finds_what_the_data_lacks(tmp_path):
    (tmp_path / "d").mkdir()
    no_amount = "\n".join(line.rsplit(",", 1)[0] for line in HEADERS_UPPER.splitlines())
    (tmp_path / "d" / "orders.csv").write_text(no_amount + "\n", encoding="utf-8")
    checked = _import(tmp_path, "--check")
    assert checked.exit_code != 0 and "AMOUNT" not in checked.output.split("columns:")[0]
    assert "no column `amount`" in checked.output, checked.output


def test_two_headers_equal_but_for_case_are_an_error_naming_both(tmp_path):
    path = tmp_path / "orders.parquet"
    duckdb.sql(f"COPY (SELECT 1 AS amount) TO '{path}' (FORMAT PARQUET)")

    def model() -> tuple[Model, Source]:
        source = Source("orders", table="orders", date="day", options={"files": {"o": path}})
        source.mappings["revenue"] = Mapping("revenue", "amount")
        return Model("test", sources={"orders": source}), source

    one, source = model()
    fit(one, {"orders": ["day", "AMOUNT"]})
    assert (source.date, source.mappings["revenue"].column) == ("day", "AMOUNT")
    two, _ = model()
    with pytest.raises(KpiError) as caught:
        fit(two, {"orders": ["day", "Amount", "AMOUNT"]})
    assert "`Amount`" in caught.value.message and "`AMOUNT`" in caught.value.message
    assert caught.value.location is not None and caught.value.location.file == str(path)
