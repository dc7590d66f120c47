"""Windows in the export and import of semantic layers, against kpiengine's own window rules.

kpiengine windows a variable by its time rule (`transforms.window`): a sum adds periods up, a min
or max keeps the extreme period, a stock its latest (or first) period; a distinct count or a mean
is undefined over a window. The OSI export writes each as SQL a query grouped by period can run
(`MIN(MIN(x)) OVER (...)`, ordered by the period expression, not the raw date column), and lists
a distinct or mean window as having no SQL form; the importers list a cumulative distinct count
(MetricFlow, Cube) as not imported instead of a KPI that is always undefined.
"""

import duckdb
import pytest
from interop_helpers import ORDERS_CSV, unmapped_names

import kpiengine
from kpiengine.interop.cube import import_cube
from kpiengine.interop.metricflow import import_metricflow
from kpiengine.interop.osi import import_osi
from kpiengine.interop.osi_export import export_osi, osi_yaml

#: KPI -> (formula, unit)
KPIS = {
    "revenue_ytd": ("ytd(revenue)", "currency"),
    "smallest_ytd": ("ytd(smallest)", "currency"),
    "largest_3_months": ("rolling(largest, 3)", "currency"),
    "aov_ytd": ("ytd(aov)", "currency / orders"),  # a KPI through a window: its inputs through it
    "revenue_vs_prev": ("revenue / prev(revenue)", "ratio"),
    "buyers_ytd": ("ytd(buyers)", "customers"),  # undefined in kpiengine: no SQL either
    "average_3_months": ("rolling(average, 3)", "currency"),
}


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-04-15")
    root = tmp_path / "ws"
    (root / "definitions").mkdir(parents=True)
    (root / "kpi.yaml").write_text(
        f"""grain: month
sources:
  orders:
    connector: sql
    url: duckdb://
    files: {{orders: {ORDERS_CSV}}}
    table: orders
    date: ordered_at
    dimensions: {{channel: channel}}
    map:
      revenue: amount
      orders_count: {{count: true}}
      smallest: amount
      largest: amount
      buyers: {{distinct: customer_id}}
      average: amount
""",
        encoding="utf-8",
    )
    kpis = "".join(f"  {k}: {{formula: '{f}', unit: {u}}}\n" for k, (f, u) in KPIS.items())
    (root / "definitions" / "k.yaml").write_text(
        "variables:\n"
        "  revenue: {unit: currency}\n  orders_count: {unit: orders}\n"
        "  smallest: {unit: currency, aggregate: min}\n"
        "  largest: {unit: currency, aggregate: max}\n"
        "  buyers: {unit: customers, aggregate: distinct}\n"
        "  average: {unit: currency, aggregate: mean}\n"
        "kpis:\n  aov: {formula: revenue / orders_count, unit: currency / orders}\n" + kpis,
        encoding="utf-8",
    )
    ws = kpiengine.load_workspace(root)
    assert not ws.errors, [f.format() for f in ws.errors]
    return ws


def _run(dataset: dict, sql: str) -> dict[str, float | None]:
    """The metric's SQL in a query by month over the dataset's fields, in DuckDB."""
    fields = ", ".join(
        f"{f['expression']['dialects'][0]['expression']} AS {f['name']}" for f in dataset["fields"]
    )
    period = "DATE_TRUNC('MONTH', orders.ordered_at)"
    query = (
        f"SELECT strftime({period}, '%Y-%m'), {sql} "
        f"FROM (SELECT {fields} FROM read_csv('{ORDERS_CSV}')) AS orders "
        f"GROUP BY {period} ORDER BY 1"
    )
    return dict(duckdb.sql(query).fetchall())


def test_osi_window_sql_runs_by_period_and_gives_kpiengines_values(workspace, tmp_path):
    document, notes = export_osi(workspace, own_only=True)
    [semantic] = document["semantic_model"]
    [dataset] = semantic["datasets"]
    sql = {m["name"]: m["expression"]["dialects"][0]["expression"] for m in semantic["metrics"]}
    assert sql["smallest_ytd"].startswith("MIN(MIN(orders.smallest)) OVER (")
    assert sql["largest_3_months"].startswith("MAX(MAX(orders.largest)) OVER (")
    assert "ORDER BY DATE_TRUNC('MONTH', orders.ordered_at)" in sql["revenue_ytd"]
    assert "ORDER BY orders.ordered_at" not in " ".join(sql.values())
    # no SQL for what kpiengine leaves undefined: listed, not written as a sum of counts
    assert "buyers_ytd" not in sql and "average_3_months" not in sql
    why = {n.name: n.reason for n in notes}
    assert "no SQL form" in why["buyers_ytd"] and "distinct" in why["buyers_ytd"]
    assert "no SQL form" in why["average_3_months"]
    records = kpiengine.evaluate(workspace, grain="month", kpis=list(sql)).records()
    ours = {(r["kpi"], r["period"]): r["value"] for r in records if not r["segment"]}
    compared = 0
    for kpi, expression in sql.items():
        if kpi not in KPIS:
            continue
        for month, value in _run(dataset, expression).items():
            expected = ours[(kpi, month)]
            if expected is not None and month <= "2024-02":  # March 2024 is partial
                assert value == pytest.approx(expected), (kpi, month)
                compared += 1
    assert compared > 40
    # by hand: the smallest amount of 2023 to date at its end is the year's minimum
    year = duckdb.sql(
        f"SELECT MIN(amount) FROM read_csv('{ORDERS_CSV}') WHERE year(ordered_at) = 2023"
    ).fetchall()[0][0]
    assert _run(dataset, sql["smallest_ytd"])["2023-12"] == pytest.approx(year)


def test_osi_round_trip_keeps_the_kpis_it_cannot_write(workspace, tmp_path):
    document, _ = export_osi(workspace, own_only=True)
    path = tmp_path / "model.osi.yaml"
    path.write_text(osi_yaml(document), encoding="utf-8")
    model = import_osi(path)
    assert {k: v.formula for k, v in model.kpis.items() if k in KPIS} == {
        k: f for k, (f, _) in KPIS.items()
    }
    assert not model.unmapped
    # read without the extension, the document has no such metric: nothing half-written
    plain = import_osi(path, extensions=False)
    assert "buyers_ytd" not in plain.kpis


def test_metricflow_cumulative_distinct_count_is_not_imported(tmp_path):
    (tmp_path / "m.yml").write_text(
        """\
semantic_models:
  - name: orders
    model: ref('orders')
    defaults: {agg_time_dimension: ordered_at}
    dimensions:
      - {name: ordered_at, type: time, type_params: {time_granularity: day}}
    measures:
      - {name: buyers, agg: count_distinct, expr: customer_id}
      - {name: revenue, agg: sum, expr: amount}
metrics:
  - {name: buyers, type: simple, type_params: {measure: buyers}}
  - name: buyers_ytd
    type: cumulative
    type_params: {measure: buyers, cumulative_type_params: {grain_to_date: year}}
  - name: buyers_3_months
    type: cumulative
    type_params: {measure: buyers, cumulative_type_params: {window: 3 months}}
  - name: revenue_ytd
    type: cumulative
    type_params: {measure: revenue, cumulative_type_params: {grain_to_date: year}}
""",
        encoding="utf-8",
    )
    model = import_metricflow(tmp_path / "m.yml")
    why = {u.name: u.reason for u in model.unmapped}
    for name in ("buyers_ytd", "buyers_3_months"):
        assert name not in model.kpis
        assert "cannot be aggregated over" in why[name] and "distinct" in why[name], name
    assert model.kpis["revenue_ytd"].formula == "ytd(revenue)"
    assert model.kpis["buyers"].formula == "buyers_distinct"  # the count itself stays
    assert set(model.variables) == {"buyers_distinct", "revenue"}  # none left behind


def test_cube_to_date_distinct_count_is_not_imported(tmp_path):
    (tmp_path / "orders.yml").write_text(
        """\
cubes:
  - name: orders
    sql_table: orders
    dimensions:
      - {name: ordered_at, sql: ordered_at, type: time}
    measures:
      - {name: buyers, type: count_distinct, sql: customer_id}
      - name: buyers_ytd
        type: count_distinct
        sql: customer_id
        rolling_window: {type: to_date, granularity: year}
      - name: buyers_3m
        type: count_distinct_approx
        sql: customer_id
        rolling_window: {trailing: 3 month}
      - name: total_ytd
        type: sum
        sql: amount
        rolling_window: {type: to_date, granularity: year}
""",
        encoding="utf-8",
    )
    model = import_cube(tmp_path / "orders.yml")
    for name in ("orders.buyers_ytd", "orders.buyers_3m"):
        assert name in unmapped_names(model), name
    assert {k for k in model.kpis} == {"orders_buyers", "orders_total_ytd"}
    # no variable is left behind for the measures not imported
    assert set(model.variables) == {"orders_buyers_distinct", "orders_total_ytd_sum"}
