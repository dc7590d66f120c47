"""MetricFlow's `non_additive_dimension` (a balance: the latest day's rows in each period).

Without `window_groupings`, MetricFlow keeps the rows dated on the latest day of the period across
the whole semantic model and sums them, whatever dimensions the model has. In the data below
account b has no row on 2024-01-30, January's latest day: January is 120 (account a alone), not
each region's own latest value added up (120 + 210 = 330). The import used to give 330 as soon as
the model had a `region` dimension.
"""

import duckdb
import pytest
from interop_helpers import unmapped_names

import kpiengine
from kpiengine.interop.metricflow import import_metricflow
from kpiengine.interop.model import Mapping, Model, Source
from kpiengine.interop.semiadditive import fold_twins, stock_source
from kpiengine.interop.writer import write_workspace

BALANCES = """\
day,account,region,balance,fees
2024-01-01,a,EU,100,1
2024-01-01,b,US,200,2
2024-01-15,a,EU,110,3
2024-01-15,b,US,210,4
2024-01-30,a,EU,120,5
2024-02-01,a,EU,130,6
2024-02-01,b,US,230,7
2024-02-29,a,EU,140,8
2024-02-29,b,US,240,9
"""


def project(dimensions: str = "", measures: str = "", spec: str = "") -> str:
    return f"""\
semantic_models:
  - name: balances
    model: ref('balances')
    defaults: {{agg_time_dimension: day}}
    entities:
      - {{name: account, type: foreign, expr: account}}
    dimensions:
      - {{name: day, type: time, type_params: {{time_granularity: day}}}}
{dimensions}    measures:
      - name: total_balance
        agg: sum
        expr: balance
        non_additive_dimension:
          name: day
          window_choice: max
{spec}{measures}metrics:
  - name: balance
    type: simple
    type_params: {{measure: total_balance}}
"""


REGION = "      - {name: region, type: categorical}\n"
FEES = "      - {name: fees, agg: sum, expr: fees}\n"
FEES_METRIC = "  - name: fee_total\n    type: simple\n    type_params: {measure: fees}\n"


def oracle(path) -> dict[str, float]:
    """MetricFlow's semantics in plain SQL: each month's rows on its latest day, summed."""
    rows = duckdb.sql(
        f"""SELECT strftime(day, '%Y-%m') AS month, SUM(balance) FROM read_csv('{path}') d
            WHERE day = (SELECT MAX(day) FROM read_csv('{path}') e
                         WHERE date_trunc('month', e.day) = date_trunc('month', d.day))
            GROUP BY 1 ORDER BY 1"""
    ).fetchall()
    return dict(rows)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-04-15")


def evaluate(tmp_path, text: str, by=()) -> tuple[object, dict]:
    (tmp_path / "dbt").mkdir()
    (tmp_path / "dbt" / "m.yml").write_text(text, encoding="utf-8")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "balances.csv").write_text(BALANCES, encoding="utf-8")
    model = import_metricflow(tmp_path / "dbt")
    assert model.use_files(tmp_path / "data") == []
    ws = kpiengine.load_workspace(write_workspace(model, tmp_path / "ws"))
    assert not ws.errors, [f.format() for f in ws.errors]
    records = kpiengine.evaluate(ws, grain="month", by=list(by)).records()
    values = {
        (r["kpi"], r["period"], tuple(sorted(r["segment"].items()))): r["value"] for r in records
    }
    return model, values


@pytest.mark.parametrize("dimensions", ["", REGION], ids=["no dimension", "region"])
def test_balance_is_the_latest_days_rows_whatever_the_dimensions(tmp_path, dimensions):
    model, values = evaluate(tmp_path, project(dimensions))
    expected = oracle(tmp_path / "data" / "balances.csv")
    assert expected == {"2024-01": 120, "2024-02": 380}  # by hand: a alone; a + b
    for month, value in expected.items():
        assert values[("balance", month, ())] == pytest.approx(value)
    assert "balance" not in unmapped_names(model)


def test_with_other_measures_the_stock_reads_a_source_without_dimensions(tmp_path):
    model, values = evaluate(tmp_path, project(REGION, FEES) + FEES_METRIC, by=["region"])
    assert values[("balance", "2024-01", ())] == pytest.approx(120)
    assert values[("fee_total", "2024-01", ())] == pytest.approx(1 + 2 + 3 + 4 + 5)
    # fees break down by region; the balance by region is not MetricFlow's: no value
    assert values[("fee_total", "2024-01", (("region", "EU"),))] == pytest.approx(1 + 3 + 5)
    assert values[("balance", "2024-01", (("region", "EU"),))] is None
    assert model.sources["balances"].dimensions == {"region": "region"}
    [note] = [n for n in model.notes if n.name == "balance" and "`region`" in n.reason]
    assert "latest day across the whole model" in note.reason
    assert note.reason in model.kpis["balance"].extra["notes"]  # said on the KPI too


@pytest.mark.parametrize(
    ("spec", "measure_agg", "reason"),
    [
        ("          window_groupings: [account]\n", "sum", "window_groupings"),
        ("", "max", "`max` measure"),
    ],
)
def test_what_a_stock_cannot_say_is_listed(tmp_path, spec, measure_agg, reason):
    text = project(REGION).replace(
        "          window_choice: max\n", "          window_choice: max\n" + spec
    )
    text = text.replace(
        "agg: sum\n        expr: balance", f"agg: {measure_agg}\n        expr: balance"
    )
    (tmp_path / "m.yml").write_text(text, encoding="utf-8")
    model = import_metricflow(tmp_path / "m.yml")
    assert "balance" in unmapped_names(model)
    assert reason in {u.name: u.reason for u in model.unmapped}["balance"]


def test_metrics_failing_beside_a_stock_keep_it_and_its_source(tmp_path):
    """A metric failing on another input (a median) lists itself; the stock it read stays,
    from the source without dimensions, and no internal source name is listed."""
    text = project(REGION, FEES + "      - {name: median_fee, agg: median, expr: fees}\n")
    text = text.replace(
        "metrics:\n  - name: balance\n    type: simple\n"
        "    type_params: {measure: total_balance}\n",
        "metrics:\n"
        "  - {name: balance, type: simple, type_params: {measure: total_balance}}\n"
        "  - {name: odd_fee, type: simple, type_params: {measure: median_fee}}\n"
        "  - {name: fee_total, type: simple, type_params: {measure: fees}}\n"
        "  - name: balance_plus\n    type: derived\n"
        "    type_params: {expr: balance + odd_fee, metrics: [balance, odd_fee]}\n",
    )
    (tmp_path / "m.yml").write_text(text, "utf-8")
    model = import_metricflow(tmp_path / "m.yml")
    assert {"odd_fee", "balance_plus"} <= unmapped_names(model)
    names = [s.name for s in model.sources.values()]
    assert names == ["balances", "balances_totals"]  # `balance` itself is imported
    assert not any("\0" in u.name for u in model.unmapped)


def test_a_twin_no_variable_reads_is_dropped_unlisted():
    """A stock rolled back after its source's twin was made (a metric failing later) leaves
    the twin empty: it goes, and is not listed as a semantic model no metric reads."""
    model = Model("test")
    model.sources["balances"] = Source("balances", table="balances", date="day")
    model.sources["balances"].dimensions = {"region": "region"}
    model.sources["balances"].mappings["fees"] = Mapping("fees", "fees")
    twin = stock_source(model, "balances", [])
    assert twin.name == "balances_totals" and not twin.dimensions
    fold_twins(model)
    model.drop_unread_sources("semantic model")
    assert list(model.sources) == ["balances"] and not model.unmapped
