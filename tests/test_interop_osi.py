"""kpiengine.interop.osi and osi_export: Apache Ossie documents in and out, and round trips."""

import json
import shutil

import pytest
import sympy
import yaml
from click.testing import CliRunner
from floatcompare import ApproxValues
from interop_helpers import (
    DEALS_CSV,
    FIXTURES,
    ORDERS_CSV,
    assert_monthly,
    csv_rows,
    duckdb_monthly,
    load,
    monthly,
    totals,
    warehouse,
)

import kpiengine
from kpiengine.cli import cli
from kpiengine.errors import KpiError
from kpiengine.formula import parse_formula
from kpiengine.interop.metricflow import import_metricflow
from kpiengine.interop.metricflow_export import export_metricflow
from kpiengine.interop.osi import import_osi
from kpiengine.interop.osi_export import export_osi, osi_yaml

OSI = FIXTURES / "osi"
CONVERTERS = OSI / "ossie_converters"
HANDWRITTEN = OSI / "handwritten" / "orders.yaml"


def reasons(model):
    return {u.name: u.reason for u in model.unmapped}


def test_omni_fixture_by_value():
    model = import_osi(CONVERTERS / "omni_fixtureA_osi.yaml")
    orders = model.sources["orders"]
    assert (orders.table, orders.date) == ("samples.tpch.orders", "o_orderdate")
    assert orders.mappings["o_totalprice"].column == "o_totalprice"
    assert orders.mappings["orders"].count  # COUNT(*) reads the fact dataset
    assert model.kpis["total_revenue"].formula == "o_totalprice"
    assert model.kpis["order_count"].formula == "orders"
    assert model.kpis["total_revenue"].extra["aliases"] == ["revenue", "sales"]
    assert model.variables["orders"].unit == "orders"
    assert model.name == "sales"
    why = reasons(model)
    assert "joins" in why["orders_to_customer"] and "customer" in why


def test_gsf_fixture_leaves_nothing_behind_a_metric_it_cannot_map():
    model = import_osi(CONVERTERS / "gsf_sales.ossie.yaml")
    assert not model.kpis and not model.variables  # SUM(orders.subtotal) was rolled back
    why = reasons(model)
    assert (
        "COUNT(DISTINCT customers.customer_id) counts `customers`, the one side"
        in (why["revenue_per_customer"])
    )
    assert "computed field" in why["orders.net_total"]


def test_databricks_fixture_reads_its_only_dialect():
    model = import_osi(CONVERTERS / "databricks_tpcds_ossie.yaml")
    [note] = model.notes
    assert "DATABRICKS" in note.reason
    # store_sales is dated only through its relationship to date_dim (a join): a source without
    # a time column of its own would fail at evaluation, so its metrics are listed instead
    assert not model.kpis and not model.variables and not model.sources
    why = reasons(model)
    assert "`store_sales` has no time column of its own" in why["total_sales"]


def test_dataset_without_time_field_is_listed_not_written(tmp_path):
    doc = yaml.safe_load(HANDWRITTEN.read_text(encoding="utf-8"))
    model_doc = doc["semantic_model"][0]
    for dataset in model_doc["datasets"]:
        dataset["fields"] = [
            f
            for f in dataset.get("fields") or []
            if not (f.get("dimension") or {}).get("is_time")
            and f.get("datatype") not in ("Date", "Timestamp", "Timestamp_TZ")
        ]
    path = tmp_path / "undated.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    model = import_osi(path)
    assert not model.kpis and not model.variables
    assert "has no time column of its own" in reasons(model)["revenue"]


def test_handwritten_by_value():
    model = import_osi(HANDWRITTEN)
    f = {k: v.formula for k, v in model.kpis.items()}
    assert f == {
        "revenue": "amount",
        "order_count": "orders",
        "average_order_value": "amount / amount_rows",  # AVG skips empty amounts
        "completed_share": "completed_amount / amount",
        "returned_orders": "returned_orders_count",
        "return_rate": "returned_orders / order_count",
        "items_per_order": "items / orders",
        "largest_order": "amount_max",
        "customers": "customers_distinct",
        "completed_customers": "completed_customers_distinct",
        "revenue_per_customer": "amount / customers_distinct",
    }
    m = model.sources["orders"].mappings
    assert (m["completed_amount"].column, m["completed_amount"].where) == (
        "amount",
        {"status": ["completed"]},
    )
    assert m["returned_orders_count"].count and m["returned_orders_count"].where == {
        "status": ["returned"]
    }
    assert model.variables["amount_max"].aggregate == "max"
    assert model.sources["orders"].date == "ordered_at"
    assert model.sources["orders"].dimensions == {"status": "status", "channel": "channel"}
    why = reasons(model)
    kinds = {(u.name, u.kind): u.reason for u in model.unmapped}
    assert kinds[("customers", "dataset")] == "no imported metric reads it"
    # COUNT(DISTINCT ...) is a distinct count: a `distinct:` mapping, never added up
    assert (m["customers_distinct"].distinct, m["customers_distinct"].where) == ("customer_id", {})
    assert m["completed_customers_distinct"].distinct == "customer_id"
    assert m["completed_customers_distinct"].where == {"status": ["completed"]}
    assert model.variables["customers_distinct"].aggregate == "distinct"
    assert model.variables["customers_distinct"].unit == "customers"
    assert "only LAG by one row" in why["revenue_growth"]
    assert "orders.amount > 100" in why["big_order_share"]
    assert why["tableau_only"] == "no ANSI_SQL expression (given: TABLEAU)"
    assert "computed field" in why["orders.label"]


def test_handwritten_evaluates_against_an_oracle(tmp_path):
    db = warehouse(tmp_path, {"orders": ORDERS_CSV})
    model = import_osi(HANDWRITTEN)
    got = totals(load(model, tmp_path / "ws", db), list(model.kpis))
    rows = csv_rows(ORDERS_CSV)
    revenue = monthly(rows, "ordered_at", lambda r: float(r["amount"]))
    count = monthly(rows, "ordered_at", lambda r: 1.0)
    items = monthly(rows, "ordered_at", lambda r: float(r["items"]))
    done = monthly(
        rows, "ordered_at", lambda r: float(r["amount"]), lambda r: r["status"] == "completed"
    )
    returned = monthly(rows, "ordered_at", lambda r: 1.0, lambda r: r["status"] == "returned")
    for month in revenue:
        assert got[("revenue", month)] == pytest.approx(revenue[month])
        assert got[("average_order_value", month)] == pytest.approx(revenue[month] / count[month])
        assert got[("items_per_order", month)] == pytest.approx(items[month] / count[month])
        share = done.get(month, 0.0) / revenue[month]
        assert got[("completed_share", month)] == pytest.approx(share)
        assert got[("return_rate", month)] == pytest.approx(returned.get(month, 0) / count[month])
        ids = [r for r in rows if r["ordered_at"].startswith(month)]
        customers = {r["customer_id"] for r in ids}
        assert got[("customers", month)] == len(customers)
        assert got[("revenue_per_customer", month)] == pytest.approx(
            revenue[month] / len(customers)
        )
        completed = {r["customer_id"] for r in ids if r["status"] == "completed"}
        assert got[("completed_customers", month)] == len(completed)


def test_dialects():
    snowflake = import_osi(HANDWRITTEN, dialect="snowflake")
    assert snowflake.kpis["revenue"].formula == "amount"  # SUM(orders.amount)::FLOAT
    with pytest.raises(KpiError, match="kpiengine reads the dialects"):
        import_osi(HANDWRITTEN, dialect="MDX")


def test_not_an_osi_document():
    with pytest.raises(KpiError) as caught:
        import_osi(FIXTURES / "bad" / "osi_no_models.yaml")
    assert "no `semantic_model:` list" in caught.value.message
    assert caught.value.location.line == 1


# --- export and round trips -------------------------------------------------------------------


def round_trip(ws, tmp_path, extensions=True):
    document, notes = export_osi(ws)
    path = tmp_path / "model.osi.yaml"
    path.write_text(osi_yaml(document), encoding="utf-8")
    model = import_osi(path, extensions=extensions)
    return document, notes, model


def assert_same_kpis(original, imported):
    assert set(imported.kpis) == set(original.kpis)
    for kpi_id, a in original.kpis.items():
        b = imported.kpis[kpi_id]
        assert b.formula.expr == a.formula.expr, kpi_id
        assert (b.unit_text, b.direction, b.format, b.decimals) == (
            a.unit_text,
            a.direction,
            a.format,
            a.decimals,
        ), kpi_id
        assert (b.title, b.description, b.aliases, b.tags, b.allow) == (
            a.title,
            a.description,
            a.aliases,
            a.tags,
            a.allow,
        ), kpi_id
        assert [(e.given, e.expect, e.tolerance, e.reported, e.note) for e in b.examples] == [
            (e.given, e.expect, e.tolerance, e.reported, e.note) for e in a.examples
        ], kpi_id
        if a.target is None:
            assert b.target is None, kpi_id
        else:
            assert (b.target.constant, b.target.by_period, b.target.annual) == (
                a.target.constant,
                a.target.by_period,
                a.target.annual,
            ), kpi_id
            assert b.target.split == pytest.approx(a.target.split) if a.target.split else True
    for var_id, a in original.variables.items():
        if var_id in imported.variables:
            b = imported.variables[var_id]
            assert (b.unit_text, b.aggregate, b.title) == (a.unit_text, a.aggregate, a.title)


def test_sample_round_trip_preserves_every_kpi(tmp_path):
    ws = kpiengine.load_workspace(kpiengine.sample_workspace())
    _, notes, model = round_trip(ws, tmp_path)
    assert not model.unmapped and not model.notes
    back = load(model, tmp_path / "ws")
    assert_same_kpis(ws, back)
    settings = back.settings
    assert (settings.name, settings.currency, settings.grain, settings.at_risk) == (
        ws.settings.name,
        ws.settings.currency,
        ws.settings.grain,
        ws.settings.at_risk,
    )
    assert settings.choose == ws.settings.choose
    assert [(s.name, s.connector, s.options) for s in settings.sources] == [
        (s.name, s.connector, s.options) for s in ws.settings.sources
    ]
    assert {n.name for n in notes} >= {"customers_at_end", "sales_growth", "lead_velocity_rate"}


def test_sample_round_trip_evaluates_the_same(tmp_path):
    ws = kpiengine.load_workspace(kpiengine.sample_workspace())
    _, _, model = round_trip(ws, tmp_path)
    back = load(model, tmp_path / "ws")
    for folder in ("exports", "costs"):
        shutil.copytree(kpiengine.sample_workspace() / folder, tmp_path / "ws" / folder)
    kpis = ["roi", "cac", "lead_velocity_rate", "sales_revenue"]
    expected = kpiengine.evaluate(ws, grain="month", kpis=kpis).records()
    got = kpiengine.evaluate(back, grain="month", kpis=kpis).records()
    assert [(r["kpi"], r["period"]) for r in got] == [(r["kpi"], r["period"]) for r in expected]
    # the database sums floats in parallel: the last bit may differ between two runs
    for a, b in zip(got, expected, strict=True):
        value, wanted = a["value"], b["value"]
        if wanted is None:
            assert value is None, (a["kpi"], a["period"], value)
        else:
            assert value == pytest.approx(wanted, rel=1e-12), (a["kpi"], a["period"], value)
    # annual targets split by monthly weights: the weights come back normalised again
    assert [r["target"] for r in got] == pytest.approx([r["target"] for r in expected])


def test_library_round_trip_preserves_every_kpi(tmp_path):
    library = kpiengine.load_workspace(None)
    document, _, model = round_trip(library, tmp_path)
    assert len(document["semantic_model"][0]["metrics"]) == len(library.kpis)
    assert_same_kpis(library, load(model, tmp_path / "ws"))


def test_export_sql_reads_back_without_the_extensions(tmp_path):
    """The ANSI_SQL alone gives every KPI back (expanded), but for averages (sum / rows)."""
    ws = kpiengine.load_workspace(kpiengine.sample_workspace())
    _, _, model = round_trip(ws, tmp_path, extensions=False)
    assert not model.unmapped

    def expanded(kpi_id):
        expr = parse_formula(model.kpis[kpi_id].formula).expr
        return expr.xreplace(
            {s: expanded(s.name) for s in expr.free_symbols if s.name in model.kpis}
        )

    checked = 0
    for kpi_id in ws.kpis:
        if any(ws.variables[v].aggregate.time == "mean" for v in ws.inputs_of(kpi_id)):
            continue
        assert sympy.simplify(expanded(kpi_id) - ws.expanded(kpi_id)) == 0, kpi_id
        checked += 1
    assert checked >= 50


def test_export_validates_against_the_osi_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((OSI / "spec" / "osi-schema.json").read_text())
    ws = kpiengine.load_workspace(kpiengine.sample_workspace())
    document, _ = export_osi(ws)
    jsonschema.validate(yaml.safe_load(osi_yaml(document)), schema)
    for fixture in (*CONVERTERS.glob("*.yaml"), HANDWRITTEN):  # the schema is the right one
        jsonschema.validate(yaml.safe_load(fixture.read_text()), schema)


def test_export_of_a_sql_workspace_names_its_tables(tmp_path):
    db = warehouse(tmp_path, {"orders": ORDERS_CSV})
    ws = load(import_osi(HANDWRITTEN), tmp_path / "ws", db)
    document, _ = export_osi(ws, own_only=True)
    [semantic] = document["semantic_model"]
    orders = next(d for d in semantic["datasets"] if d["name"] == "orders")
    assert orders["source"] == "orders"
    fields = {f["name"]: f["expression"]["dialects"][0]["expression"] for f in orders["fields"]}
    assert fields["returned_orders_count"] == "CASE WHEN status IN ('returned') THEN 1 ELSE 0 END"
    assert fields["ordered_at"] == "ordered_at"
    metric = next(m for m in semantic["metrics"] if m["name"] == "return_rate")
    sql = metric["expression"]["dialects"][0]["expression"]
    assert sql == (
        "CAST(SUM(orders.returned_orders_count) AS DOUBLE PRECISION) / "
        "NULLIF(SUM(orders.orders), 0)"
    )
    exported = {m["name"] for m in semantic["metrics"]}  # --own-only: the library stays out
    assert "return_rate" in exported and "roi" not in exported


def test_metricflow_export_reads_back(tmp_path):
    ws = kpiengine.load_workspace(kpiengine.sample_workspace())
    written, notes = export_metricflow(ws, tmp_path / "mf")
    assert [p.name for p in written] == ["semantic_models.yml", "metrics.yml"]
    model = import_metricflow(tmp_path / "mf")
    # prev: 1 month offset, read back as prev at the monthly grain; parameters (assumptions)
    # and periods_per_year have no MetricFlow form: not written (dbt refuses a metric naming an
    # undefined one), nor ltv_to_cac, which reads ltv
    assumptions = {"ltv", "ltv_to_cac", "cac_payback_months", "annual_churn_rate"}
    assert not model.unmapped
    assert "prev(" in model.kpis["sales_growth"].formula
    # the stocks, each segment's latest day: MetricFlow's window takes a latest day whose
    # value is empty, kpiengine's skips it (tests/test_metricflow_export_windows.py)
    stocks = {"customers_at_end", "customers_at_start", "open_opportunities", "total_assets"}
    # mean variables of a source with dimensions: MetricFlow's total averages the rows, kpiengine's
    # the segments' means (tests/test_metricflow_export_means.py)
    means = {"average_order_value", "purchase_frequency", "arpa"}
    named = {"sales_growth", "lead_velocity_rate"} | assumptions | stocks | means
    assert {n.name for n in notes} == named
    why = {n.name: n.reason for n in notes}
    assert all("empty" in why[s] for s in stocks)
    assert why["ltv_to_cac"] == "not exported: it reads `ltv`, not exported"
    assert "`periods_per_year` is not a variable or KPI" in why["annual_churn_rate"]
    assert not assumptions & set(model.kpis)
    back = load(model, tmp_path / "ws")
    for kpi_id, kpi in ws.kpis.items():
        if kpi_id in model.kpis:
            assert back.kpis[kpi_id].formula.expr == kpi.formula.expr, kpi_id
            assert back.kpis[kpi_id].unit_text == kpi.unit_text
    assert (
        back.variables["customers_at_end"].aggregate == ws.variables["customers_at_end"].aggregate
    )


# --- command line -----------------------------------------------------------------------------


def test_cli_export_then_import(tmp_path):
    runner = CliRunner()
    out = tmp_path / "sample.osi.yaml"
    exported = runner.invoke(cli, ["export", "osi", "--sample", "-o", str(out)])
    assert exported.exit_code == 0, exported.output
    kpis = kpiengine.load_workspace(kpiengine.sample_workspace()).kpis
    assert f"{len(kpis)} metrics" in exported.output
    assert "exported with a caveat" in exported.output
    imported = runner.invoke(cli, ["import", "osi", str(out), "-o", str(tmp_path / "ws")])
    assert imported.exit_code == 0, imported.output
    assert "0 errors" in imported.output
    plain = runner.invoke(cli, ["import", "osi", str(out), "--no-extensions", "--check"])
    assert plain.exit_code in (0, 1) and "Traceback" not in plain.output
    mf = runner.invoke(cli, ["export", "metricflow", "--sample", "-o", str(tmp_path / "mf")])
    assert mf.exit_code == 0 and (tmp_path / "mf" / "metrics.yml").is_file()
    own = runner.invoke(cli, ["export", "osi", "--sample", "--own-only", "-o", str(out)])
    assert own.exit_code == 0 and "2 metrics" in own.output


def test_cli_errors(tmp_path):
    runner = CliRunner()
    bad = runner.invoke(
        cli, ["import", "osi", str(FIXTURES / "bad" / "osi_no_models.yaml"), "--check"]
    )
    assert bad.exit_code == 2 and "osi_no_models.yaml:1:1" in bad.output
    assert "Traceback" not in bad.output
    folder = runner.invoke(cli, ["export", "osi", "--sample", "-o", str(tmp_path)])
    assert folder.exit_code == 2


# --- windows and distinct counts, out and back ---------------------------------------------

WINDOWED = {
    "revenue_ytd": "ytd(amount)",
    "revenue_3_months": "rolling(amount, 3)",
    "revenue_per_customer_qtd": "qtd(amount) / qtd(customers_distinct)",
}


def _windowed_workspace(tmp_path):
    """The handwritten OSI model over DuckDB, with KPIs reading windows and a distinct count."""
    db = warehouse(tmp_path, {"orders": ORDERS_CSV})
    ws = load(import_osi(HANDWRITTEN), tmp_path / "ws", db)
    kpis = {k: {"formula": f, "unit": "ratio", "format": "number"} for k, f in WINDOWED.items()}
    kpis["revenue_ytd"]["unit"] = kpis["revenue_3_months"]["unit"] = "currency"
    kpis["revenue_per_customer_qtd"]["unit"] = "currency / customers"
    (tmp_path / "ws" / "definitions" / "windows.yaml").write_text(yaml.safe_dump({"kpis": kpis}))
    ws = kpiengine.load_workspace(tmp_path / "ws")
    assert not ws.errors, [f.format() for f in ws.errors]
    return ws


def _values(ws, kpis):
    records = kpiengine.evaluate(ws, grain="month", kpis=kpis).records()
    return {(r["kpi"], r["period"]): r["value"] for r in records if not r["segment"]}


def test_osi_round_trip_keeps_windows_and_distinct_counts(tmp_path):
    ws = _windowed_workspace(tmp_path)
    document, notes, model = round_trip(ws, tmp_path)
    [semantic] = document["semantic_model"]
    orders = next(d for d in semantic["datasets"] if d["name"] == "orders")
    fields = {f["name"]: f["expression"]["dialects"][0]["expression"] for f in orders["fields"]}
    assert fields["completed_customers_distinct"] == (
        "CASE WHEN status IN ('completed') THEN customer_id END"  # NULL is not counted
    )
    sql = {m["name"]: m["expression"]["dialects"][0]["expression"] for m in semantic["metrics"]}
    assert sql["customers"] == "COUNT(DISTINCT orders.customers_distinct)"
    assert sql["revenue_3_months"].startswith("SUM(SUM(orders.amount)) OVER (ORDER BY")
    assert "revenue_ytd" in {n.name for n in notes}  # the SQL window is approximate, and said
    for kpi_id, formula in WINDOWED.items():
        assert model.kpis[kpi_id].formula == formula
    mapping = model.sources["orders"].mappings["completed_customers_distinct"]
    assert (mapping.distinct, mapping.where) == ("customer_id", {"status": ["completed"]})
    back = load(model, tmp_path / "back")
    assert back.variables["customers_distinct"].aggregate.time == "distinct"
    kpis = [*WINDOWED, "customers", "completed_customers"]
    assert _values(back, kpis) == ApproxValues(_values(ws, kpis))
    # without the extensions, the SQL still gives the distinct counts back
    plain = import_osi(tmp_path / "model.osi.yaml", extensions=False)
    assert plain.sources["orders"].mappings["customers_distinct"].distinct == "customer_id"


def test_metricflow_round_trip_keeps_windows_and_distinct_counts(tmp_path):
    ws = _windowed_workspace(tmp_path)
    export_metricflow(ws, tmp_path / "mf", own_only=True)
    metrics = {
        m["name"]: m
        for m in yaml.safe_load((tmp_path / "mf" / "metrics.yml").read_text())["metrics"]
    }
    assert metrics["amount_ytd"]["type"] == "cumulative"
    # current dbt's spelling (tests/test_metricflow_export_windows.py): no measure beside it
    assert {
        k: v
        for k, v in metrics["amount_ytd"].items()
        if k not in ("config", "label", "description")
    } == {
        "name": "amount_ytd",
        "type": "cumulative",
        "input_metric": "amount",
        "grain_to_date": "year",
        "period_agg": "last",
    }
    assert metrics["amount_rolling_3"]["window"] == "3 months"
    semantic = yaml.safe_load((tmp_path / "mf" / "semantic_models.yml").read_text())
    measures = {m["name"]: m for s in semantic["semantic_models"] for m in s.get("measures", [])}
    assert measures["customers_distinct"]["agg"] == "count_distinct"
    model = import_metricflow(tmp_path / "mf")
    for kpi_id, formula in WINDOWED.items():
        assert model.kpis[kpi_id].formula == formula, kpi_id
    assert "amount_ytd" not in model.kpis  # the window's helper metric is read as the window
    assert model.sources["orders"].mappings["customers_distinct"].distinct == "customer_id"
    back = load(model, tmp_path / "back", tmp_path / "warehouse.duckdb")
    kpis = [*WINDOWED, "customers", "completed_customers"]
    assert _values(back, kpis) == ApproxValues(_values(ws, kpis))


def test_count_of_a_column_counts_the_rows_with_a_value(tmp_path):
    doc = yaml.safe_load(HANDWRITTEN.read_text(encoding="utf-8"))
    counts = {
        "orders_with_items": "COUNT(items)",
        # COUNT skips the NULL of a CASE without ELSE; an ELSE 0 is a value, counted
        "returned": "COUNT(CASE WHEN status = 'returned' THEN 1 END)",
        "every_row": "COUNT(CASE WHEN status = 'returned' THEN 1 ELSE 0 END)",
    }
    for name, sql in counts.items():
        doc["semantic_model"][0]["metrics"].append(
            {"name": name, "expression": {"dialects": [{"dialect": "ANSI_SQL", "expression": sql}]}}
        )
    path = tmp_path / "count.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    model = import_osi(path)
    maps = {k: model.sources["orders"].mappings[model.kpis[k].formula] for k in counts}
    assert maps["orders_with_items"].count and maps["orders_with_items"].column == "items"
    assert maps["returned"].count and maps["returned"].column is None
    assert maps["returned"].where == {"status": ["returned"]}
    assert maps["every_row"].count and not maps["every_row"].where
    assert maps["every_row"].column is None


def _sql(expression: str) -> dict:
    return {"dialects": [{"dialect": "ANSI_SQL", "expression": expression}]}


def test_sum_of_is_not_null_counts_the_rows_with_a_value(tmp_path):
    """Hand-written OSI: SUM(CASE WHEN amount IS NOT NULL THEN 1 ELSE 0 END) is `count: amount`."""
    flag = "CASE WHEN amount IS NOT NULL THEN 1 ELSE 0 END"
    metrics = {
        "with_amount": f"SUM({flag})",
        "average_amount": f"SUM(deals.amount) / SUM({flag})",
        "won_with_amount": "COUNT(CASE WHEN status = 'won' AND amount IS NOT NULL THEN 1 END)",
        "flagged": "SUM(deals.has_amount)",  # a field standing for the CASE
        "counted_flags": "COUNT(deals.has_amount)",  # COUNT of 0 or 1: every row
    }
    doc = {
        "version": "0.1",
        "semantic_model": [
            {
                "name": "m",
                "datasets": [
                    {
                        "name": "deals",
                        "source": "deals",
                        "fields": [
                            {
                                "name": "created_at",
                                "expression": _sql("created_at"),
                                "dimension": {"is_time": True},
                            },
                            {"name": "amount", "expression": _sql("amount")},
                            {"name": "has_amount", "expression": _sql(flag)},
                        ],
                    }
                ],
                "metrics": [{"name": k, "expression": _sql(v)} for k, v in metrics.items()],
            }
        ],
    }
    path = tmp_path / "deals.osi.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    model = import_osi(path)
    assert not model.unmapped
    maps = model.sources["deals"].mappings
    with_amount = maps[model.kpis["with_amount"].formula]
    assert (with_amount.column, with_amount.count, with_amount.where) == ("amount", True, {})
    won = maps[model.kpis["won_with_amount"].formula]
    assert (won.column, won.count, won.where) == ("amount", True, {"status": ["won"]})
    every = maps[model.kpis["counted_flags"].formula]
    assert (every.column, every.count, every.where) == (None, True, {})
    db = warehouse(tmp_path, {"deals": DEALS_CSV})
    got = totals(load(model, tmp_path / "ws", db), list(model.kpis))
    expected = {
        "with_amount": duckdb_monthly(DEALS_CSV, "COUNT(amount)"),
        "flagged": duckdb_monthly(DEALS_CSV, "COUNT(amount)"),
        "average_amount": duckdb_monthly(DEALS_CSV, "AVG(amount)"),
        "won_with_amount": duckdb_monthly(DEALS_CSV, "COUNT(amount) FILTER (status = 'won')"),
        "counted_flags": duckdb_monthly(DEALS_CSV, "COUNT(*)"),
    }
    assert_monthly(got, expected)
    assert got[("average_amount", "2024-06")] == pytest.approx((550 + 150 + 250) / 3)  # by hand


@pytest.mark.parametrize("key", ["metrics", "datasets"])
def test_cli_name_defined_twice_is_an_error(tmp_path, key):
    doc = yaml.safe_load(HANDWRITTEN.read_text(encoding="utf-8"))
    entries = doc["semantic_model"][0][key]
    entries.append(dict(entries[0]))
    path = tmp_path / "twice.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", "osi", str(path), "--check"])
    assert result.exit_code == 2, result.output
    assert f"`{entries[0]['name']}` is defined twice (first at {path}:" in result.output
    assert "Traceback" not in result.output


def test_databricks_fixture_a_dates_by_the_untyped_date_field(tmp_path):
    # no field is typed: `o_orderdate` is the one named like a date, so it dates the orders
    model = import_osi(CONVERTERS / "databricks_fixtureA_ossie.yaml")
    assert model.sources["orders"].date == "o_orderdate"
    assert "orders.o_orderdate" in {n.name for n in model.notes}
    data = tmp_path / "orders.csv"
    data.write_text(
        "o_orderkey,o_orderdate,o_totalprice\n1,2024-01-05,10.5\n2,2024-01-20,4\n"
        "3,2024-02-02,7.25\n",
        encoding="utf-8",
    )
    db = warehouse(tmp_path, {"orders": data}, schema="tpch")
    model.use_database(f"duckdb:///{db}")
    model.sources["orders"].table = "tpch.orders"  # samples.tpch.orders, without the catalog
    got = totals(load(model, tmp_path / "ws"), list(model.kpis))
    assert got[("total_revenue", "2024-01")] == pytest.approx(14.5)
    assert got[("total_revenue", "2024-02")] == pytest.approx(7.25)
    assert got[("order_count", "2024-01")] == 2


@pytest.mark.parametrize("datatype", ["timestamp", "date", "DateTime"])
def test_time_datatype_is_read_whatever_its_case(tmp_path, datatype):
    doc = yaml.safe_load(HANDWRITTEN.read_text(encoding="utf-8"))
    for dataset in doc["semantic_model"][0]["datasets"]:
        for field in dataset.get("fields") or []:
            if field.get("datatype") == "Date":
                field["datatype"] = datatype
                field.pop("dimension", None)
                field["name"] = "placed"  # not named like a date: the type alone says it
    path = tmp_path / "typed.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    model = import_osi(path)
    assert model.sources["orders"].date == "ordered_at"
    assert model.kpis["revenue"].formula == "amount"


def test_osi_export_says_which_names_are_not_data():
    # the document's SQL reads them as fields; the note says so instead of passing silently
    ws = kpiengine.load_workspace(kpiengine.sample_workspace())
    _, notes = export_osi(ws)
    why = {n.name: n.reason for n in notes}
    assert why["annual_churn_rate"].startswith("`periods_per_year` is not data")
    assert why["ltv"].startswith("`customer_lifetime` is not data")
