"""`kpi export osi`: a mean variable's total is not the metric's AVG(...).

kpiengine aggregates a variable over time within each segment, then across segments by its
rule (README, "Evaluation"): a `mean` variable's total is the mean of its segments' means (north
12.25, south 12.5: 12.375). The OSI metric `AVG(prices.price)` is SQL's AVG over the rows of
whatever the query groups by: the same by region, but its total averages all the rows (12.33).
An OSI metric expression is one aggregate over those rows; a mean of per-segment means needs the
rows grouped by segment first (a subquery), which no metric expression holds. So the export says
so, as `kpi export metricflow` does: a caveat in the notes and in the description of the metric,
of each KPI reading the variable (directly or through another KPI) and of the variable's field;
the variable's note names those KPIs. A variable whose rules over time and across segments differ
(`{time: sum, segments: max}`: the largest region's sum) is the same case. A mean over a source
without dimensions is the metric's exactly, and is exported without a caveat.
"""

import duckdb
import pytest
from click.testing import CliRunner

import kpiengine
from kpiengine.cli import cli
from kpiengine.interop.osi import import_osi
from kpiengine.interop.osi_export import export_osi, osi_yaml

PRICES = """\
day,region,price,fee
2024-01-03,north,10,1
2024-01-10,north,12,2
2024-01-15,north,13,3
2024-01-20,north,14,4
2024-01-05,south,12,5
2024-01-25,south,13,6
2024-02-02,north,20,7
2024-02-09,south,30,8
2024-02-16,south,40,9
"""
#: by hand: each region's mean in the month, then the mean of the regions' means
MEAN = {
    ("2024-01", ()): (12.25 + 12.5) / 2,
    ("2024-01", ("north",)): (10 + 12 + 13 + 14) / 4,
    ("2024-01", ("south",)): (12 + 13) / 2,
    ("2024-02", ()): (20 + (30 + 40) / 2) / 2,
    ("2024-02", ("north",)): 20.0,
    ("2024-02", ("south",)): (30 + 40) / 2,
}
#: by hand: AVG over the month's rows, whatever their region
ROWS_MEAN = {"2024-01": (10 + 12 + 13 + 14 + 12 + 13) / 6, "2024-02": (20 + 30 + 40) / 3}
#: by hand: each region's sum of fees, then the largest; the SQL sums every row
LARGEST = {"2024-01": max(1 + 2 + 3 + 4, 5 + 6), "2024-02": max(7, 8 + 9)}
ROWS_SUM = {"2024-01": 21.0, "2024-02": 24.0}
SETTINGS = """\
name: prices
grain: month
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
      fee: fee
      fees: fee
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
  fee: {unit: currency, aggregate: {time: sum, segments: max}}
  fees: {unit: currency, aggregate: sum}
  flat_price: {unit: currency, aggregate: mean}
kpis:
  avg_price: {title: Average price, formula: price, unit: currency}
  price_with_vat:
    {title: Price with VAT, description: With 20% VAT., formula: avg_price * 1.2, unit: currency}
  largest_fees: {title: Largest fees, formula: fee, unit: currency}
  total_fees: {title: Fees, formula: fees, unit: currency}
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


def _export(root):
    ws = kpiengine.load_workspace(root)
    assert not ws.errors, [f.format() for f in ws.errors]
    document, notes = export_osi(ws, own_only=True)
    [semantic] = document["semantic_model"]
    return semantic, {m["name"]: m for m in semantic["metrics"]}, notes


def _values(root, kpi, by=("region",)) -> dict[tuple, float | None]:
    ws = kpiengine.load_workspace(root)
    records = kpiengine.evaluate(ws, grain="month", kpis=[kpi], by=list(by)).records()
    return {(r["period"], tuple(r["segment"].values())): r["value"] for r in records}


def _sql_values(semantic, metric: str, csv, by: str = "") -> dict[tuple, float]:
    """The metric's SQL run in DuckDB over its dataset's fields, by month (and `by`)."""
    sql = next(m for m in semantic["metrics"] if m["name"] == metric)["expression"]
    sql = sql["dialects"][0]["expression"]
    dataset = next(d for d in semantic["datasets"] if sql.split("(")[1].startswith(d["name"]))
    fields = ", ".join(
        f"{f['expression']['dialects'][0]['expression']} AS {f['name']}" for f in dataset["fields"]
    )
    label = f", {dataset['name']}.{by}" if by else ""
    rows = duckdb.sql(
        f"SELECT strftime({dataset['name']}.day, '%Y-%m'){label}, {sql} "
        f"FROM (SELECT {fields} FROM read_csv('{csv}')) AS {dataset['name']} GROUP BY ALL"
    ).fetchall()
    return {(row[0], tuple(row[1:-1])): row[-1] for row in rows}


def test_kpiengines_total_of_a_mean_is_the_mean_of_its_segments_means(prices):
    assert _values(prices, "avg_price") == pytest.approx(MEAN)
    largest = _values(prices, "largest_fees", by=())
    assert largest == pytest.approx({(p, ()): v for p, v in LARGEST.items()})


def test_the_sql_differs_in_total_only(prices):
    semantic, metrics, _ = _export(prices)
    assert metrics["avg_price"]["expression"]["dialects"][0]["expression"] == "AVG(prices.price)"
    csv = prices / "data" / "prices.csv"
    by_region = _sql_values(semantic, "avg_price", csv, by="region")
    assert by_region == pytest.approx({k: v for k, v in MEAN.items() if k[1]})
    total = _sql_values(semantic, "avg_price", csv)
    assert total == pytest.approx({(p, ()): v for p, v in ROWS_MEAN.items()})
    assert all(ROWS_MEAN[p] != pytest.approx(MEAN[(p, ())]) for p in ROWS_MEAN)
    fees = _sql_values(semantic, "largest_fees", csv)
    assert fees == pytest.approx({(p, ()): v for p, v in ROWS_SUM.items()})
    assert all(ROWS_SUM[p] != LARGEST[p] for p in LARGEST)


def test_the_mean_and_the_kpis_reading_it_carry_the_caveat(prices):
    semantic, metrics, notes = _export(prices)
    why = {(n.name, n.kind): n.reason for n in notes}
    variable = why[("price", "variable")]
    assert variable.startswith("`price` is a mean: by `region` its AVG(...) is kpiengine's value")
    assert "average of all the rows" in variable and "segments' means" in variable
    assert variable.endswith("(read by `avg_price`, `price_with_vat`)")
    for kpi in ("avg_price", "price_with_vat"):  # directly, and through another KPI
        assert why[(kpi, "KPI")].startswith("`price` is a mean"), kpi
        assert "segments' means" in metrics[kpi]["description"], kpi
    assert metrics["price_with_vat"]["description"].startswith("With 20% VAT.\n\nCaveat: ")
    fields = {f["name"]: f for d in semantic["datasets"] for f in d["fields"]}
    assert fields["price"]["description"].startswith("Caveat: `price` is a mean")
    fee = why[("fee", "variable")]
    assert fee.startswith("`fee` rolls up by `sum` over time and by `max` across segments")
    assert "the sum of all the rows, kpiengine's the largest value of the segments'" in fee
    assert "Caveat: `fee` rolls up" in metrics["largest_fees"]["description"]
    # a sum, and a mean over a source without dimensions (AVG over rows is kpiengine's total)
    for name in ("fees", "total_fees", "flat_price", "flat_avg_price"):
        assert "description" not in metrics.get(name, {}), name
        assert "description" not in fields.get(name, {}), name
        assert not [n for n in notes if n.name == name], name


def test_a_mean_without_dimensions_is_the_sqls_exactly(prices):
    semantic, _, _ = _export(prices)
    sql = _sql_values(semantic, "flat_avg_price", prices / "data" / "prices.csv")
    expected = {(p, ()): v for p, v in ROWS_MEAN.items()}
    assert sql == pytest.approx(expected)
    assert _values(prices, "flat_avg_price", by=()) == pytest.approx(expected)


def test_the_caveat_is_not_imported_as_a_description(prices, tmp_path):
    semantic, _, _ = _export(prices)
    path = tmp_path / "model.osi.yaml"
    path.write_text(osi_yaml({"version": "0.2.0.dev0", "semantic_model": [semantic]}), "utf-8")
    model = import_osi(path)
    assert not model.unmapped
    assert model.kpis["avg_price"].description == ""
    assert model.kpis["price_with_vat"].description == "With 20% VAT."
    assert model.variables["price"].aggregate == "mean"
    assert model.variables["price"].description == ""


def test_the_command_lists_it(prices, tmp_path):
    out = tmp_path / "m.osi.yaml"
    result = CliRunner().invoke(cli, ["export", "osi", "-w", str(prices), "--own-only", "-o", out])
    assert result.exit_code == 0, result.output
    assert "avg_price (KPI): `price` is a mean: by `region`" in result.output
    assert "price (variable): `price` is a mean" in result.output
