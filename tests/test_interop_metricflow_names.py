"""`kpi export metricflow` names and labels each metric once, as dbt requires.

dbt refuses a project where two metrics share a name ("Can't use name ... already used") or a
label ("Can't use label ... already used for metric ..."). A KPI named `<variable>_ytd` (what the
MetricFlow import names a cumulative metric) used to collide with the cumulative metric the export
writes for `ytd(<variable>)`; a variable titled like a KPI (the sample's `inbound_revenue` and
`inbound_marketing_revenue`) gave two metrics one label.
"""

from collections import Counter

import yaml
from click.testing import CliRunner

import kpiengine
from kpiengine.cli import cli
from kpiengine.interop.metricflow import import_metricflow
from kpiengine.interop.metricflow_export import export_metricflow

PROJECT = """\
semantic_models:
  - name: orders
    model: ref('orders')
    defaults: {agg_time_dimension: ordered_at}
    dimensions:
      - {name: ordered_at, type: time, type_params: {time_granularity: day}}
    measures:
      - {name: revenue, agg: sum, expr: amount}
metrics:
  - name: revenue_ytd
    type: cumulative
    type_params:
      measure: revenue
      cumulative_type_params: {grain_to_date: year, period_agg: last}
"""


def _metrics(folder) -> list[dict]:
    return yaml.safe_load((folder / "metrics.yml").read_text(encoding="utf-8"))["metrics"]


def _repeated(values) -> list:
    return [v for v, n in Counter(values).items() if n > 1]


def test_kpi_named_like_its_window_round_trips(tmp_path):
    """import -> export -> import, as the tester ran it: `revenue_ytd` comes back as it was."""
    (tmp_path / "dbt" / "models").mkdir(parents=True)
    (tmp_path / "dbt" / "models" / "m.yml").write_text(PROJECT, encoding="utf-8")
    ws, out = tmp_path / "ws", tmp_path / "exp"
    runner = CliRunner()
    imported = runner.invoke(cli, ["import", "metricflow", str(tmp_path / "dbt"), "-o", str(ws)])
    assert imported.exit_code == 0, imported.output
    exported = runner.invoke(
        cli, ["export", "metricflow", "-w", str(ws), "--own-only", "-o", str(out)]
    )
    assert exported.exit_code == 0, exported.output
    metrics = _metrics(out)
    names = [m["name"] for m in metrics]
    assert not _repeated(names), names
    by_name = {m["name"]: m for m in metrics}
    kpi = by_name["revenue_ytd"]
    assert kpi["type"] == "derived"
    [helper] = kpi["type_params"]["metrics"]
    assert helper["name"] != "revenue_ytd"  # it reads the cumulative metric, not itself
    assert kpi["type_params"]["expr"] == helper["name"]
    assert by_name[helper["name"]]["type"] == "cumulative"
    # current dbt's spelling: the variable's simple metric as `input_metric`, no measure
    assert by_name[helper["name"]]["input_metric"] == "revenue"
    assert "type_params" not in by_name[helper["name"]]
    assert not _repeated(m["label"] for m in metrics)
    # and back: the same KPI, no "defined twice"
    check = runner.invoke(cli, ["import", "metricflow", str(out), "--check"])
    assert check.exit_code == 0, check.output
    again = import_metricflow(out)
    assert {k: v.formula for k, v in again.kpis.items()} == {"revenue_ytd": "ytd(revenue)"}
    assert not again.unmapped


def test_helper_names_skip_every_taken_name(tmp_path):
    """`revenue_ytd` and `revenue_ytd_window` both KPIs: the window takes the next free name."""
    root = tmp_path / "ws"
    (root / "definitions").mkdir(parents=True)
    (root / "kpi.yaml").write_text(
        "grain: month\nsources:\n  orders:\n    connector: sql\n    url: duckdb://\n"
        "    table: orders\n    date: ordered_at\n    map: {revenue: amount}\n",
        encoding="utf-8",
    )
    (root / "definitions" / "k.yaml").write_text(
        "variables:\n  revenue: {unit: currency}\nkpis:\n"
        "  revenue_ytd: {title: Revenue YTD, formula: ytd(revenue), unit: currency}\n"
        "  revenue_ytd_window: {title: Also YTD, formula: ytd(revenue) * 2, unit: currency}\n",
        encoding="utf-8",
    )
    export_metricflow(kpiengine.load_workspace(root), tmp_path / "mf", own_only=True)
    metrics = _metrics(tmp_path / "mf")
    assert not _repeated(m["name"] for m in metrics)
    cumulative = [m["name"] for m in metrics if m["type"] == "cumulative"]
    assert cumulative == ["revenue_ytd_window_2"]  # one window metric, read by both KPIs
    again = import_metricflow(tmp_path / "mf")
    assert {k: v.formula for k, v in again.kpis.items()} == {
        "revenue_ytd": "ytd(revenue)",
        "revenue_ytd_window": "ytd(revenue) * 2",
    }


def test_sample_export_labels_each_metric_once(tmp_path):
    result = CliRunner().invoke(cli, ["export", "metricflow", "--sample", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    metrics = _metrics(tmp_path)
    assert not _repeated(m["label"] for m in metrics)
    by_name = {m["name"]: m for m in metrics}
    # the KPI keeps its title; the variable titled the same says which metric it is
    assert by_name["inbound_marketing_revenue"]["label"] == "Inbound marketing revenue"
    assert by_name["inbound_revenue"]["label"] == "Inbound marketing revenue (inbound_revenue)"
    # the label is MetricFlow's only: the variable's title comes back from the meta
    model = import_metricflow(tmp_path)
    title = model.variables["inbound_revenue"].title
    assert (title.get("en") if isinstance(title, dict) else title) == "Inbound marketing revenue"


def test_stock_names_its_time_dimension_and_no_dimension_takes_a_grains_name(tmp_path):
    """dbt: "non_additive_dimension with name 'date' that is not defined as a dimension" (the
    time field came after the measures) and "names cannot match reserved time granularity
    keywords" (a date column called `day`)."""
    root = tmp_path / "ws"
    (root / "definitions").mkdir(parents=True)
    (root / "kpi.yaml").write_text(
        "grain: month\nsources:\n  balances:\n    connector: sql\n    url: duckdb://\n"
        "    table: balances\n    date: day\n    dimensions: {week: week_label}\n"
        "    map: {balance: balance}\n",
        encoding="utf-8",
    )
    (root / "definitions" / "k.yaml").write_text(
        "variables:\n  balance: {unit: currency, aggregate: {time: last, segments: sum}}\n"
        "kpis:\n  total_balance: {title: Balance, formula: balance, unit: currency}\n",
        encoding="utf-8",
    )
    export_metricflow(kpiengine.load_workspace(root), tmp_path / "mf", own_only=True)
    semantic = yaml.safe_load((tmp_path / "mf" / "semantic_models.yml").read_text())
    [model] = semantic["semantic_models"]
    dims = {d["name"]: d for d in model["dimensions"]}
    reserved = {"day", "week", "month", "quarter", "year"}
    assert not reserved & set(dims), dims
    [measure] = model["measures"]
    time = measure["non_additive_dimension"]["name"]
    assert dims[time]["type"] == "time" and dims[time]["expr"] == "day"
    assert model["defaults"]["agg_time_dimension"] == time
    back = import_metricflow(tmp_path / "mf")
    source = back.sources["balances"]
    # the time column is what kpiengine keeps; a dimension named like a grain is renamed
    assert source.date == "day" and source.dimensions == {"week_date": "week_label"}
    assert back.variables["balance"].aggregate in ("last", {"time": "last", "segments": "sum"})
