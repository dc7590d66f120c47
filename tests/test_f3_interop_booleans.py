"""Boolean tests (`sum_boolean`, `CASE WHEN flag THEN 1 ELSE 0 END`, `flag = FALSE`) count the
rows whose flag is true (false) in every spelling the column holds: a 0/1 number column, text
(`True`, `yes`), a Parquet BOOLEAN; against counts made by hand with the csv module / DuckDB."""

from __future__ import annotations

import csv

import duckdb
import pytest
from click.testing import CliRunner
from interop_helpers import load, totals

from kpiengine.cli import cli
from kpiengine.interop.metricflow import import_metricflow
from kpiengine.interop.osi import import_osi

ROWS = [  # date, 0/1 flag, the same as text in several spellings
    ("2024-01-05", 1, "True"),
    ("2024-01-20", 0, "no"),
    ("2024-01-22", 1, "yes"),
    ("2024-02-03", 1, "t"),
    ("2024-02-25", 0, "False"),
    ("2024-02-26", 1, "1"),
    ("2024-02-27", 0, ""),
]
TRUE_TEXT = {"true", "t", "yes", "y", "on", "1"}
MODEL = """\
semantic_models:
  - name: orders
    model: ref('orders')
    defaults: {agg_time_dimension: ordered_at}
    entities: [{name: order, type: primary, expr: order_id}]
    dimensions:
      - {name: ordered_at, type: time, type_params: {time_granularity: day}}
    measures:
      - {name: first_orders, agg: sum_boolean, expr: is_first}
      - {name: said_first, agg: sum_boolean, expr: said}
      - {name: not_first, agg: sum, expr: "CASE WHEN is_first = FALSE THEN 1 ELSE 0 END"}
metrics:
  - {name: first_orders, type: simple, type_params: {measure: first_orders}}
  - {name: said_first, type: simple, type_params: {measure: said_first}}
  - {name: not_first, type: simple, type_params: {measure: not_first}}
"""


def _by_hand(keep) -> dict[str, float]:
    out: dict[str, float] = {}
    for day, flag, said in ROWS:
        out.setdefault(day[:7], 0.0)
        out[day[:7]] += 1.0 if keep(flag, said) else 0.0
    return out


EXPECTED = {
    "first_orders": _by_hand(lambda flag, said: flag == 1),
    "said_first": _by_hand(lambda flag, said: said.strip().lower() in TRUE_TEXT),
    "not_first": _by_hand(lambda flag, said: flag == 0),
}


def _write(folder, parquet: bool) -> None:
    folder.mkdir()
    path = folder / "orders.csv"
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["order_id", "ordered_at", "is_first", "said"])
        writer.writerows((i, d, f, s) for i, (d, f, s) in enumerate(ROWS, 1))
    if parquet:  # typed columns: an INTEGER flag and a BOOLEAN one named `said`
        sql = (
            f"COPY (SELECT order_id, ordered_at::DATE AS ordered_at, is_first::INTEGER AS "
            f"is_first, is_first = 1 AS said FROM read_csv('{path}')) "
            f"TO '{folder / 'orders.parquet'}' (FORMAT PARQUET)"
        )
        duckdb.sql(sql)
        path.unlink()


@pytest.mark.parametrize("parquet", [False, True], ids=["csv", "parquet"])
def test_boolean_tests_count_every_spelling_of_true(tmp_path, parquet):
    _write(tmp_path / "data", parquet)
    (tmp_path / "orders.yml").write_text(MODEL, encoding="utf-8")
    out = CliRunner().invoke(
        cli,
        ["import", "metricflow", str(tmp_path / "orders.yml"), "-o", str(tmp_path / "ws")]
        + ["--data", str(tmp_path / "data")],
    )
    assert out.exit_code == 0, out.output
    assert "data checks ran" in out.output and "0 errors, 0 warnings" in out.output
    import kpiengine

    got = totals(kpiengine.load_workspace(tmp_path / "ws"), list(EXPECTED))
    for kpi, months in EXPECTED.items():
        if parquet and kpi == "said_first":
            months = EXPECTED["first_orders"]  # the BOOLEAN `said` is `is_first = 1`
        for month, value in months.items():
            assert got[(kpi, month)] == value, (kpi, month)


def test_without_data_the_where_lists_every_spelling_and_says_so(tmp_path):
    (tmp_path / "orders.yml").write_text(MODEL, encoding="utf-8")
    model = import_metricflow(tmp_path / "orders.yml")
    where = model.sources["orders"].mappings[model.kpis["first_orders"].formula].where
    assert {"true", "True", "TRUE", "yes", "Y", "on", "1"} <= set(where["is_first"])
    out = CliRunner().invoke(cli, ["import", "metricflow", str(tmp_path / "orders.yml"), "--check"])
    assert out.exit_code == 0, out.output
    assert "a number column (0/1) holds `1` instead: write `is_first: [1]`" in out.output


def test_osi_case_when_flag_counts_a_text_flag(tmp_path):
    _write(tmp_path / "data", parquet=False)
    doc = (
        "version: 0.2.0.dev0\nsemantic_model:\n- name: shop\n  datasets:\n  - name: orders\n"
        "    source: orders\n    fields:\n    - name: ordered_at\n      expression:\n"
        "        dialects: [{dialect: ANSI_SQL, expression: ordered_at}]\n      datatype: Date\n"
        "  metrics:\n  - name: said_first\n    expression:\n      dialects:\n"
        "      - {dialect: ANSI_SQL, expression: 'SUM(CASE WHEN said THEN 1 ELSE 0 END)'}\n"
    )
    (tmp_path / "m.osi.yaml").write_text(doc, encoding="utf-8")
    model = import_osi(tmp_path / "m.osi.yaml")
    assert not model.use_files(tmp_path / "data")
    got = totals(load(model, tmp_path / "ws"), ["said_first"])
    for month, value in EXPECTED["said_first"].items():
        assert got[("said_first", month)] == value, month
