"""`kpi export metricflow`: a mean variable's total is not MetricFlow's `agg: average`.

kpiengine aggregates a variable over time within each segment, then across segments by its
rule (README, "Evaluation"): a `mean` variable's total is the mean of its segments' means. A
MetricFlow measure with `agg: average` is SQL's AVG over the rows of whatever the query groups
by: the same by segment, but its total is the average of all the rows. The round-trip fixture's
`avg_price` differs so in 13 of its 18 months (2023-02: 12.33 from MetricFlow 0.213, 12.375 from
kpiengine). No measure or metric averages per-segment averages, so the export says so: a
caveat in the notes and in the description of the variable's metric and of each KPI reading it
(directly or through another KPI); the variable's note names those KPIs. A mean over a source
without dimensions is MetricFlow's exactly, and is exported without a caveat.
"""

import duckdb
import pytest
import yaml
from click.testing import CliRunner

import kpiengine
from kpiengine.cli import cli
from kpiengine.interop.metricflow import import_metricflow
from kpiengine.interop.metricflow_export import export_metricflow

PRICES = """\
day,region,price
2024-01-03,EU,10
2024-01-10,EU,20
2024-01-15,US,40
2024-02-05,EU,30
2024-02-12,US,10
2024-02-20,US,20
2024-02-25,US,90
"""
#: by hand: each region's mean in the month, then the mean of the regions' means
KPIENGINE = {
    ("2024-01", ()): (15 + 40) / 2,
    ("2024-01", (("region", "EU"),)): (10 + 20) / 2,
    ("2024-01", (("region", "US"),)): 40.0,
    ("2024-02", ()): (30 + 40) / 2,
    ("2024-02", (("region", "EU"),)): 30.0,
    ("2024-02", (("region", "US"),)): (10 + 20 + 90) / 3,
}
#: by hand: MetricFlow's AVG over the month's rows, whatever their region
ROWS_TOTAL = {"2024-01": (10 + 20 + 40) / 3, "2024-02": (30 + 10 + 20 + 90) / 4}
SETTINGS = """\
name: prices
grain: month
currency: EUR
sources:
  prices:
    connector: sql
    url: duckdb://
    files: {prices: data/prices.csv}
    table: prices
    date: day
    dimensions: {region: region}
    map:
      price: price
      sales: {count: true}
  flat:
    connector: sql
    url: duckdb://
    files: {flat: data/prices.csv}
    table: flat
    date: day
    map:
      flat_price: price
"""
DEFINITIONS = """\
variables:
  price: {unit: currency, aggregate: mean}
  sales: {unit: currency, aggregate: sum}
  flat_price: {unit: currency, aggregate: mean}
kpis:
  avg_price: {title: Average price, formula: price, unit: currency}
  price_with_vat:
    {title: Price with VAT, description: With 20% VAT., formula: avg_price * 1.2, unit: currency}
  sales_count: {title: Sales, formula: sales, unit: currency}
  flat_avg_price: {title: Flat average price, formula: flat_price, unit: currency}
"""


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-04-15")


@pytest.fixture
def prices(tmp_path):
    root = tmp_path / "ws"
    (root / "definitions").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "kpi.yaml").write_text(SETTINGS, encoding="utf-8")
    (root / "definitions" / "k.yaml").write_text(DEFINITIONS, encoding="utf-8")
    (root / "data" / "prices.csv").write_text(PRICES, encoding="utf-8")
    return root


def _export(root, out):
    ws = kpiengine.load_workspace(root)
    assert not ws.errors, [f.format() for f in ws.errors]
    _, notes = export_metricflow(ws, out, own_only=True)
    semantic = yaml.safe_load((out / "semantic_models.yml").read_text(encoding="utf-8"))
    metrics = yaml.safe_load((out / "metrics.yml").read_text(encoding="utf-8"))["metrics"]
    return semantic["semantic_models"], {m["name"]: m for m in metrics}, notes


def _values(root, kpi, by=("region",)) -> dict[tuple, float | None]:
    ws = kpiengine.load_workspace(root)
    records = kpiengine.evaluate(ws, grain="month", kpis=[kpi], by=list(by)).records()
    return {(r["period"], tuple(sorted(r["segment"].items()))): r["value"] for r in records}


def _metricflow_average(semantic: list[dict], measure: str, csv) -> dict[tuple, float]:
    """MetricFlow's values for an `agg: average` measure by month, in total and by each
    categorical dimension: AVG of its expression over the rows of each group."""
    [model] = [m for m in semantic if any(x["name"] == measure for x in m.get("measures", []))]
    spec = next(x for x in model["measures"] if x["name"] == measure)
    assert spec["agg"] == "average"
    time = next(d["expr"] for d in model["dimensions"] if d["type"] == "time")
    out = {}
    for by in [None, *(d for d in model["dimensions"] if d["type"] == "categorical")]:
        label = f", CAST({by['expr']} AS VARCHAR)" if by else ""
        rows = duckdb.sql(
            f"SELECT strftime({time}, '%Y-%m'){label}, AVG({spec['expr']}) "
            f"FROM read_csv('{csv}') GROUP BY ALL"
        ).fetchall()
        for row in rows:
            out[(row[0], ((by["name"], row[1]),) if by else ())] = row[-1]
    return out


def test_kpiengines_total_of_a_mean_is_the_mean_of_its_segments_means(prices):
    assert _values(prices, "avg_price") == pytest.approx(KPIENGINE)


def test_metricflows_average_differs_in_total_only(prices, tmp_path):
    semantic, _, _ = _export(prices, tmp_path / "mf")
    metricflow = _metricflow_average(semantic, "price", prices / "data" / "prices.csv")
    by_region = {k: v for k, v in KPIENGINE.items() if k[1]}
    assert {k: v for k, v in metricflow.items() if k[1]} == pytest.approx(by_region)
    assert {p: v for (p, s), v in metricflow.items() if not s} == pytest.approx(ROWS_TOTAL)
    assert all(ROWS_TOTAL[p] != pytest.approx(KPIENGINE[(p, ())]) for p in ROWS_TOTAL)


def test_the_mean_and_the_kpis_reading_it_carry_the_caveat(prices, tmp_path):
    _, metrics, notes = _export(prices, tmp_path / "mf")
    why = {(n.name, n.kind): n.reason for n in notes}
    variable = why[("price", "variable")]
    assert "a mean: by `region`" in variable
    assert "average of all the rows" in variable and "segments' means" in variable
    assert variable.endswith("(read by `avg_price`, `price_with_vat`)")
    # the KPIs: directly, and through another KPI
    for kpi in ("avg_price", "price_with_vat"):
        assert "`price` is a mean" in why[(kpi, "KPI")], kpi
        assert "segments' means" in metrics[kpi]["description"], kpi
    assert "segments' means" in metrics["price"]["description"]
    assert metrics["price_with_vat"]["description"].startswith("With 20% VAT.\n\nCaveat: ")
    # still exported: by segment it is kpiengine's value
    assert metrics["avg_price"]["type_params"] == {"measure": "price"}
    # a sum, and a mean over a source without dimensions (AVG over rows is kpiengine's total)
    for name in ("sales", "sales_count", "flat_price", "flat_avg_price"):
        assert "description" not in metrics[name], name
        assert not [n for n in notes if n.name == name], name


def test_a_mean_without_dimensions_is_metricflows_exactly(prices, tmp_path):
    semantic, _, _ = _export(prices, tmp_path / "mf")
    metricflow = _metricflow_average(semantic, "flat_price", prices / "data" / "prices.csv")
    expected = {(p, ()): v for p, v in ROWS_TOTAL.items()}
    assert metricflow == pytest.approx(expected)
    assert _values(prices, "flat_avg_price", by=()) == pytest.approx(expected)


def test_the_caveat_is_not_imported_as_a_description(prices, tmp_path):
    _export(prices, tmp_path / "mf")
    model = import_metricflow(tmp_path / "mf")
    assert not model.unmapped
    assert model.kpis["avg_price"].description == ""
    assert model.kpis["price_with_vat"].description == "With 20% VAT."
    assert model.variables["price"].aggregate == "mean"


def test_the_command_lists_it(prices, tmp_path):
    result = CliRunner().invoke(
        cli, ["export", "metricflow", "-w", str(prices), "--own-only", "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "avg_price (KPI): `price` is a mean: by `region`" in result.output
    assert "price (variable): `price` is a mean" in result.output
