"""kpiengine.interop.metricflow: dbt MetricFlow projects (legacy spec, latest spec, manifest)."""

import math

import pytest
import yaml
from click.testing import CliRunner
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
    unmapped_names,
    warehouse,
)

import kpiengine
from kpiengine.cli import cli
from kpiengine.errors import KpiError
from kpiengine.interop.metricflow import ALL_TIME, CONVERSION, import_metricflow
from kpiengine.interop.truth import TRUE

SAMPLE = FIXTURES / "metricflow" / "sample_dbt_models"
LATEST = FIXTURES / "metricflow" / "autofix_latest_spec"
HANDWRITTEN = FIXTURES / "metricflow" / "handwritten"
BAD = FIXTURES / "bad"


def reasons(model):
    return {u.name: u.reason for u in model.unmapped}


def test_tutorial_project_sources_and_mappings():
    model = import_metricflow(SAMPLE / "models")
    transactions = model.sources["transactions"]
    assert (transactions.table, transactions.date) == ("transactions", "ds")
    quick = transactions.mappings["quick_buy_amount_usd_sum"]
    assert quick.column == "transaction_amount_usd"
    assert quick.where == {"transaction_type_name": ["quick-buy"]}
    quick_count = transactions.mappings["quick_buy_transactions_count"]
    assert quick_count.count and quick_count.where == {"transaction_type_name": ["quick-buy"]}
    assert transactions.mappings["transactions_count"].count
    assert model.sources["customers"].dimensions == {"customer_country": "country"}
    assert "countries" not in model.sources  # no measure: it only matters through joins


def test_tutorial_project_formulas():
    model = import_metricflow(SAMPLE / "models")
    formulas = {k: v.formula for k, v in model.kpis.items()}
    assert formulas["cancellation_rate"] == "cancellations / transaction_amount"
    assert formulas["revenue_usd"] == "transaction_amount - cancellations + alterations"
    assert formulas["transactions"] == "transactions_count"
    assert formulas["cancellations"] == "cancellations_usd"
    assert model.kpis["transaction_amount"].title == "Transaction Amount (USD)"


def test_tutorial_project_lists_what_it_cannot_map():
    model = import_metricflow(SAMPLE / "models")
    why = reasons(model)
    assert why["cumulative_transactions"] == ALL_TIME
    assert (
        "7 day(s)` is not a whole number of months" in why["cumulative_transactions_in_last_7_days"]
    )
    assert "joins are not imported" in why["cancellations_mx"]
    assert "customer__customer_country" in why["cancellations_mx"]
    assert "joins are not imported" in why["transaction_usd_na"]
    assert "source dimensions are columns" in why["transactions.is_large"]
    assert {"core_transaction_metrics", "countries"} <= set(why)
    # every metric is either a KPI or listed
    metrics = {
        "new_customers",
        "quick_buy_transactions",
        "quick_buy_amount_usd",
        "cancellations",
        "transactions",
        "alterations",
        "transaction_amount",
        "cancellation_rate",
        "revenue_usd",
        "cancellations_mx",
        "transaction_usd_na",
        "cumulative_transactions",
        "cumulative_transactions_in_last_7_days",
    }
    assert metrics == set(model.kpis) | (metrics & set(why))


def test_tutorial_project_evaluates_through_duckdb(tmp_path):
    seeds = SAMPLE / "seeds"
    db = warehouse(
        tmp_path, {t: seeds / f"{t}_seed.csv" for t in ("transactions", "customers", "countries")}
    )
    ws = load(import_metricflow(SAMPLE / "models"), tmp_path / "ws", db)
    got = totals(ws, ["transactions", "revenue_usd", "cancellation_rate"])
    rows = csv_rows(seeds / "transactions_seed.csv")
    amount = lambda kind: monthly(  # noqa: E731
        rows,
        "ds",
        lambda r: float(r["transaction_amount_usd"]),
        lambda r: kind is None or r["transaction_type_name"] == kind,
    )
    count = monthly(rows, "ds", lambda r: 1.0)
    total, cancelled, altered = amount(None), amount("cancellation"), amount("alteration")
    assert set(count) == {"2022-03", "2022-04"}
    for month in count:
        assert got[("transactions", month)] == count[month]
        expected = total[month] - cancelled.get(month, 0) + altered.get(month, 0)
        assert got[("revenue_usd", month)] == pytest.approx(expected)
        assert got[("cancellation_rate", month)] == pytest.approx(cancelled[month] / total[month])


def test_manifest_reads_like_the_project():
    from_yaml = import_metricflow(SAMPLE / "models")
    manifest = import_metricflow(SAMPLE / "target" / "semantic_manifest.json")
    assert manifest.sources["transactions"].table == "dbt_test.transactions"  # node_relation
    for kpi_id, kpi in manifest.kpis.items():
        assert kpi.formula == from_yaml.kpis[kpi_id].formula
    mapped = {
        v: (m.column, m.count, m.where)
        for v, m in manifest.sources["transactions"].mappings.items()
    }
    assert mapped == {
        v: (m.column, m.count, m.where)
        for v, m in from_yaml.sources["transactions"].mappings.items()
    }
    assert "entity_path=['customer', 'country']" in reasons(manifest)["transaction_usd_na"]


def test_manifest_evaluates_through_duckdb(tmp_path):
    seeds = SAMPLE / "seeds"
    db = warehouse(
        tmp_path,
        {
            "transactions": seeds / "transactions_seed.csv",
            "customers": seeds / "customers_seed.csv",
        },
        schema="dbt_test",
    )
    ws = load(import_metricflow(SAMPLE / "target" / "semantic_manifest.json"), tmp_path / "w", db)
    got = totals(ws, ["quick_buy_transactions", "new_customers"])
    rows = csv_rows(seeds / "transactions_seed.csv")
    quick = monthly(rows, "ds", lambda r: 1.0, lambda r: r["transaction_type_name"] == "quick-buy")
    for month, value in quick.items():
        assert got[("quick_buy_transactions", month)] == value
    customers = monthly(csv_rows(seeds / "customers_seed.csv"), "ds", lambda r: 1.0)
    assert got[("new_customers", "2022-03")] == customers["2022-03"]


def test_latest_spec_models_and_metrics(tmp_path):
    model = import_metricflow(LATEST)
    orders = model.sources["orders"]
    assert (orders.table, orders.date) == ("orders", "ordered_at")
    assert orders.dimensions["order_total_dim"] == "order_total"
    food = orders.mappings[model.kpis["food_orders"].formula]
    assert food.count and food.where == {"is_food_order": TRUE}
    first = orders.mappings[model.kpis["new_customer_orders"].formula]
    assert first.where == {"customer_order_number": ["1"]}
    assert (
        model.kpis["average_order_value"].formula == "lifetime_spend_pretax / count_lifetime_orders"
    )
    assert model.kpis["food_revenue_pct"].formula == "food_revenue / revenue"
    why = reasons(model)
    assert ">= 20" in why["large_orders"]
    customers = model.kpis["customers"].formula  # count_distinct: a distinct count
    # no `expr`: MetricFlow reads the column named like the metric
    assert model.sources["customers"].mappings[customers].distinct == "customers"
    assert model.variables[customers].aggregate == "distinct"
    assert "percentile" in why["lifetime_spend_p99_discrete"]
    assert why["cumulative_revenue"] == ALL_TIME  # input_metric, no window
    assert "both `window` and `grain_to_date`" in why["cumulative_revenue_with_input_settings"]
    assert why["conversion_metric"] == CONVERSION
    # one month back at a monthly grain is prev; `* 100` keeps MetricFlow's 0-100 scale
    growth = model.kpis["revenue_growth_mom"]
    assert growth.formula == "(revenue - prev(revenue)) * 100 / prev(revenue)"
    assert "cumulative_revenue" in why["aaa_order_multi_layer_derived_metric"]
    notes = {n.name: n.reason for n in model.notes}
    assert "fill_nulls_with: 0" in notes["revenue_fill_nulls_with_0_join_to_timespine"]
    assert "read as prev(revenue)" in notes["revenue_growth_mom"]
    ws = load(model, tmp_path / "ws")
    assert (ws.kpis["revenue_growth_mom"].format, growth.format) == ("number", "number")
    assert "0-100 scale" in {n.name: n.reason for n in model.notes}["revenue_growth_mom"]


def test_handwritten_metric_types_by_value():
    model = import_metricflow(HANDWRITTEN)
    f = {k: v.formula for k, v in model.kpis.items()}
    source = model.sources["orders"]
    assert f["revenue"] == "order_amount" and source.mappings["order_amount"].column == "amount"
    assert source.mappings["order_count"].count
    assert source.mappings[f["email_orders"]].where == {"channel": ["Email"]}
    assert source.mappings[f["kept_orders"]].where == {"status": ["completed", "pending"]}
    assert source.mappings[f["completed_revenue"]].where == {"status": ["completed"]}
    assert source.mappings[f["first_orders"]].where == {"is_first": TRUE}
    assert f["average_order_value"] == "average_amount_sum / average_amount_rows"
    assert model.variables["largest_order_max"].aggregate == "max"
    assert f["return_rate"] == "returned_orders / orders"
    assert source.mappings["returned_orders"].where == {"status": ["returned"]}
    assert f["net_revenue"] == "revenue - discounts_total"
    assert f["discount_share"] == "discounts_total / revenue"
    assert f["revenue_growth_yoy"] == "(revenue - last_year(revenue)) / last_year(revenue)"
    assert model.variables["order_amount"].unit == "currency"
    assert model.variables["order_count"].unit == "orders"
    assert f["revenue_mom"] == "revenue - prev(revenue)"  # offset_window: 1 month
    assert unmapped_names(model) >= {
        "median_order",
        "big_orders",
        "loyal_revenue",
        "revenue_last_30_days",
        "revenue_all_time",
        "revenue_week_to_date",
        "repeat_rate",
    }
    assert not unmapped_names(model) & {"buyers", "revenue_ytd", "revenue_3_months"}
    assert reasons(model)["repeat_rate"] == CONVERSION  # customers: many orders each
    # one row per order: an order's completion is on its own row (MetricFlow joins a conversion
    # to base events of the same entity at or before it, within the window)
    assert f["order_completion_rate"] == "completed_orders / order_count"
    assert f["completed_conversions"] == "completed_orders"
    assert "one row per `order`" in {n.name: n.reason for n in model.notes}["completed_conversions"]
    assert "Metric('revenue'" in reasons(model)["big_orders"]
    assert {n.name for n in model.notes} >= {"orders", "net_revenue"}
    # AVG skips empty values: the average divides by the rows where the column has one
    [total, rows] = f["average_order_value"].split(" / ")
    source = model.sources["orders"]
    assert source.mappings[rows].count and source.mappings[rows].column == "amount"
    assert source.mappings[total].column == "amount" and not source.mappings[total].count


def test_handwritten_evaluates_against_an_oracle(tmp_path):
    db = warehouse(tmp_path, {"orders": ORDERS_CSV})
    ws = load(import_metricflow(HANDWRITTEN), tmp_path / "ws", db)
    kpis = [
        "revenue",
        "orders",
        "email_orders",
        "kept_orders",
        "completed_revenue",
        "first_orders",
        "average_order_value",
        "largest_order",
        "return_rate",
        "net_revenue",
        "revenue_growth_yoy",
    ]
    got = totals(ws, kpis)
    rows = csv_rows(ORDERS_CSV)
    amount = lambda r: float(r["amount"])  # noqa: E731
    revenue = monthly(rows, "ordered_at", amount)
    orders = monthly(rows, "ordered_at", lambda r: 1.0)
    returned = monthly(rows, "ordered_at", lambda r: 1.0, lambda r: r["status"] == "returned")
    discounts = monthly(rows, "ordered_at", lambda r: float(r["discount"]))
    checks = 0
    for month in revenue:
        assert got[("revenue", month)] == pytest.approx(revenue[month])
        assert got[("orders", month)] == orders[month]
        assert got[("average_order_value", month)] == pytest.approx(revenue[month] / orders[month])
        assert got[("return_rate", month)] == pytest.approx(returned.get(month, 0) / orders[month])
        assert got[("net_revenue", month)] == pytest.approx(revenue[month] - discounts[month])
        largest = max(amount(r) for r in rows if r["ordered_at"].startswith(month))
        assert got[("largest_order", month)] == pytest.approx(largest)
        year_ago = f"{int(month[:4]) - 1}{month[4:]}"
        if year_ago in revenue:
            growth = (revenue[month] - revenue[year_ago]) / revenue[year_ago]
            assert got[("revenue_growth_yoy", month)] == pytest.approx(growth)
            checks += 1
    assert checks >= 2
    kept = monthly(rows, "ordered_at", lambda r: 1.0, lambda r: r["status"] != "returned")
    email = monthly(rows, "ordered_at", lambda r: 1.0, lambda r: r["channel"] == "Email")
    first = monthly(rows, "ordered_at", lambda r: 1.0, lambda r: r["is_first"] == "true")
    for month in revenue:
        for kpi, oracle in (
            ("kept_orders", kept),
            ("email_orders", email),
            ("first_orders", first),
        ):
            value = got[(kpi, month)]
            assert value == oracle.get(month, 0) or (value is None and month not in oracle)
    assert not any(isinstance(v, float) and math.isnan(v) for v in got.values())


def test_bad_yaml_names_file_line_and_column():
    with pytest.raises(KpiError) as caught:
        import_metricflow(BAD / "metricflow_bad_yaml.yml")
    loc = caught.value.location
    assert loc.file.endswith("metricflow_bad_yaml.yml") and loc.line == 7


def test_missing_name_says_what_was_expected():
    with pytest.raises(KpiError) as caught:
        import_metricflow(BAD / "metricflow_no_name.yml")
    assert "has no `name`" in caught.value.message
    assert caught.value.location.line == 2


def test_folder_without_semantic_layer(tmp_path):
    (tmp_path / "dbt_project.yml").write_text("name: shop\n")
    with pytest.raises(KpiError, match="no `semantic_models:` or `metrics:`"):
        import_metricflow(tmp_path)


# --- command line -----------------------------------------------------------------------------


def test_cli_import_writes_then_refuses_a_full_folder(tmp_path):
    runner = CliRunner()
    out = tmp_path / "ws"
    result = runner.invoke(cli, ["import", "metricflow", str(SAMPLE / "models"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "not imported (11)" in result.output
    assert (out / "kpi.yaml").is_file() and (out / "definitions" / "imported.yaml").is_file()
    again = runner.invoke(cli, ["import", "metricflow", str(SAMPLE / "models"), "-o", str(out)])
    assert again.exit_code == 2 and "is not empty" in again.output
    assert "Traceback" not in again.output
    forced = runner.invoke(
        cli, ["import", "metricflow", str(SAMPLE / "models"), "-o", str(out), "--force"]
    )
    assert forced.exit_code == 0


def test_cli_check_only_lints(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    clean = runner.invoke(cli, ["import", "metricflow", str(SAMPLE / "models"), "--check"])
    assert clean.exit_code == 0 and "0 errors" in clean.output
    assert list(tmp_path.iterdir()) == []
    clash = runner.invoke(
        cli, ["import", "metricflow", str(BAD / "metricflow_unit_clash.yml"), "--check"]
    )
    assert clash.exit_code == 1
    assert "KPI101" in clash.output and "<imported>/definitions/imported.yaml" in clash.output


def test_cli_bad_input_is_a_message(tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        cli, ["import", "metricflow", str(BAD / "metricflow_bad_yaml.yml"), "-o", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "metricflow_bad_yaml.yml:7:" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "kpi.yaml").exists()
    usage = runner.invoke(cli, ["import", "metricflow", str(SAMPLE / "models")])
    assert usage.exit_code == 2 and "-o DIR" in usage.output


# --- windows and distinct counts ---------------------------------------------------------------


def _quarter_to_date(series: dict[str, float], month: str) -> float:
    start = (int(month[5:]) - 1) // 3 * 3 + 1
    return sum(
        v for m, v in series.items() if m[:4] == month[:4] and start <= int(m[5:]) <= int(month[5:])
    )


def _last_months(series: dict[str, float], month: str, n: int) -> float | None:
    months = sorted(series)
    i = months.index(month)
    return sum(series[m] for m in months[i - n + 1 : i + 1]) if i >= n - 1 else None


def test_handwritten_windows_and_distinct_in_the_written_yaml(tmp_path):
    model = import_metricflow(HANDWRITTEN)
    ws = load(model, tmp_path / "ws")
    definitions = yaml.safe_load((tmp_path / "ws" / "definitions" / "imported.yaml").read_text())
    settings = yaml.safe_load((tmp_path / "ws" / "kpi.yaml").read_text())
    kpis, variables = definitions["kpis"], definitions["variables"]
    assert kpis["revenue_ytd"]["formula"] == "ytd(order_amount)"
    assert kpis["revenue_qtd"]["formula"] == "qtd(order_amount)"
    assert kpis["revenue_3_months"]["formula"] == "rolling(order_amount, 3)"
    assert kpis["aov_3_months"]["formula"] == (
        "rolling(average_amount_sum, 3) / rolling(average_amount_rows, 3)"
    )
    assert kpis["revenue_ytd_per_month_buyers"]["formula"] == "revenue_ytd / buyers"
    mapping = settings["sources"]["orders"]["map"]
    buyers = kpis["buyers"]["formula"]
    assert variables[buyers]["aggregate"] == "distinct"
    assert variables[buyers]["unit"] == "customers"
    assert mapping[buyers] == {"distinct": "customer_id"}
    completed = kpis["completed_buyers"]["formula"]
    assert mapping[completed] == {"distinct": "customer_id", "where": {"status": ["completed"]}}
    assert kpis["revenue_per_buyer"]["formula"] == "revenue / buyers"  # the KPIs
    assert ws.variables[buyers].aggregate.time == "distinct"
    notes = {n.name: n.reason for n in model.notes}
    assert "rolling(x, 3) is the last 3 months" in notes["revenue_3_months"]
    assert "period_agg: first" in notes["revenue_ytd"]  # MetricFlow's default, said
    why = reasons(model)
    assert why["revenue_all_time"] == ALL_TIME
    assert "week` to date" in why["revenue_week_to_date"]
    assert "30 day(s)` is not a whole number of months" in why["revenue_last_30_days"]


def test_handwritten_windows_and_distinct_evaluate_against_an_oracle(tmp_path):
    db = warehouse(tmp_path, {"orders": ORDERS_CSV})
    model = import_metricflow(HANDWRITTEN)
    ws = load(model, tmp_path / "ws", db)
    kpis = ["revenue_ytd", "revenue_qtd", "revenue_3_months", "aov_3_months", "buyers"]
    kpis += ["order_completion_rate", "completed_conversions"]
    kpis += ["completed_buyers", "revenue_per_buyer", "revenue_ytd_per_month_buyers"]
    got = totals(ws, kpis)
    rows = csv_rows(ORDERS_CSV)
    revenue = monthly(rows, "ordered_at", lambda r: float(r["amount"]))
    orders = monthly(rows, "ordered_at", lambda r: 1.0)
    buyers: dict[str, set[str]] = {}
    completed: dict[str, set[str]] = {}
    for r in rows:
        buyers.setdefault(r["ordered_at"][:7], set()).add(r["customer_id"])
        if r["status"] == "completed":
            completed.setdefault(r["ordered_at"][:7], set()).add(r["customer_id"])
    checked = 0
    for month in sorted(revenue):
        ytd = sum(v for m, v in revenue.items() if m[:4] == month[:4] and m <= month)
        assert got[("revenue_ytd", month)] == pytest.approx(ytd)
        assert got[("revenue_qtd", month)] == pytest.approx(_quarter_to_date(revenue, month))
        three = _last_months(revenue, month, 3)
        if three is not None:
            assert got[("revenue_3_months", month)] == pytest.approx(three)
            aov = three / _last_months(orders, month, 3)
            assert got[("aov_3_months", month)] == pytest.approx(aov)
            checked += 1
        assert got[("buyers", month)] == len(buyers[month])
        done = sum(1 for r in rows if r["ordered_at"][:7] == month and r["status"] == "completed")
        assert got[("completed_conversions", month)] == done
        assert got[("order_completion_rate", month)] == pytest.approx(done / orders[month])
        assert got[("completed_buyers", month)] == len(completed.get(month, ())) or (
            month not in completed and got[("completed_buyers", month)] in (None, 0)
        )
        assert got[("revenue_per_buyer", month)] == pytest.approx(
            revenue[month] / len(buyers[month])
        )
        assert got[("revenue_ytd_per_month_buyers", month)] == pytest.approx(
            ytd / len(buyers[month])
        )
    assert checked >= 10
    # a distinct count is never added up: by quarter it is counted again, not summed
    by_quarter = kpiengine.evaluate(ws, grain="quarter", kpis=["buyers"]).records()
    q1 = next(r["value"] for r in by_quarter if r["period"] == "2023-Q1" and not r["segment"])
    first_quarter = {r["customer_id"] for r in rows if r["ordered_at"][:7] <= "2023-03"}
    assert q1 == len(first_quarter)
    assert q1 < sum(len(buyers[m]) for m in ("2023-01", "2023-02", "2023-03"))


def test_project_folder_skips_dbt_project_settings(tmp_path):
    # dbt_project.yml configures folders under `models:` (a mapping): not a model file.
    (tmp_path / "dbt_project.yml").write_text(
        "name: shop\nmodels:\n  shop:\n    +materialized: table\n"
        "semantic-models:\n  +enabled: true\nmetrics:\n  +enabled: true\n",
        encoding="utf-8",
    )
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "orders.yml").write_text(
        (FIXTURES / "metricflow" / "handwritten" / "orders.yml").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    with_settings = import_metricflow(tmp_path)
    alone = import_metricflow(tmp_path / "models")
    assert sorted(with_settings.kpis) == sorted(alone.kpis) != []


def test_semantic_model_without_a_default_time_is_listed_not_written(tmp_path):
    # two time dimensions, no `defaults: agg_time_dimension`: the measure has no date column
    path = tmp_path / "undated.yml"
    path.write_text(
        "semantic_models:\n  - name: orders\n    model: ref('orders')\n    dimensions:\n"
        "      - {name: ordered_at, type: time}\n      - {name: shipped_at, type: time}\n"
        "    measures:\n      - {name: amount, agg: sum}\n"
        "      - {name: shipped, agg: sum, agg_time_dimension: shipped_at}\n"
        "metrics:\n  - {name: revenue, type: simple, type_params: {measure: amount}}\n"
        "  - {name: shipped_amount, type: simple, type_params: {measure: shipped}}\n",
        encoding="utf-8",
    )
    model = import_metricflow(path)
    assert list(model.kpis) == ["shipped_amount"]
    [mapping] = model.sources["orders"].mappings.values()
    assert mapping.date == "shipped_at" and mapping.column == "shipped"
    why = {u.name: u.reason for u in model.unmapped}
    assert "`orders` has no time column of its own" in why["revenue"]


_ORDERS_MODEL = (
    "semantic_models:\n  - name: orders\n    model: ref('orders')\n"
    "    defaults: {agg_time_dimension: d}\n    dimensions: [{name: d, type: time}]\n"
    "    measures:\n      - {name: amount, agg: sum}\nmetrics:\n"
    "  - {name: revenue, type: simple, type_params: {measure: amount}}\n"
)


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        (
            "{name: bad, type: simple, type_params: {measure: nosuch}}",
            "metric `bad` reads the measure `nosuch`, which no semantic model defines",
        ),
        (
            "{name: bad, type: ratio, type_params: {numerator: revenue, denominator: gone}}",
            "metric `bad` reads the metric `gone`, which is not defined",
        ),
        (
            "{name: bad, type: derived, type_params: {expr: a + b, metrics: [revenue, gone]}}",
            "metric `bad` reads the metric `gone`, which is not defined",
        ),
    ],
)
def test_cli_undefined_reference_is_an_error_at_the_metric(tmp_path, metric, message):
    path = tmp_path / "m.yml"
    path.write_text(_ORDERS_MODEL + f"  - {metric}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", "metricflow", str(path), "--check"])
    assert result.exit_code == 2, result.output
    assert f"m.yml:10:5: {message}" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", ["orders.yml", "target/semantic_manifest.json"])
def test_cli_non_utf8_file_names_line_and_column(tmp_path, name):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if name.endswith(".json"):
        path.write_bytes(b'{"metrics": [\n  {"name": "caf\xe9"}]}')
        where = f"{name.split('/')[-1]}:2:16:"
    else:
        path.write_bytes(b"\xef\xbb\xbfsemantic_models:\n  - name: caf\xe9\n")
        where = "orders.yml:2:14:"  # the BOM is not a column
    result = CliRunner().invoke(cli, ["import", "metricflow", str(path), "--check"])
    assert result.exit_code == 2, result.output
    assert f"{where} not UTF-8 text: byte 0xe9 cannot be decoded" in result.output
    assert "Traceback" not in result.output


def test_cli_dbt_manifest_is_not_the_semantic_manifest(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text(
        '{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},'
        ' "nodes": {}, "semantic_models": {"semantic_model.shop.orders": {"name": "orders"}}}',
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["import", "metricflow", str(path), "--check"])
    assert result.exit_code == 2, result.output
    assert "manifest.json: this is dbt's manifest.json, not the semantic manifest" in result.output
    assert "target/semantic_manifest.json" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("second", "message"),
    [
        (
            "      - {name: amount, agg: max}\n",
            "m.yml:8:9: measure `amount` is defined twice in semantic model `orders` "
            "(first at {path}:7:9)",
        ),
        (
            "  - name: returns\n    model: ref('returns')\n    measures:\n"
            "      - {name: amount, agg: sum}\n",
            "m.yml:11:9: measure `amount` is defined in two semantic models (first at {path}:7:9)",
        ),
    ],
)
def test_cli_measure_defined_twice_is_an_error(tmp_path, second, message):
    # a metric reading `amount` would otherwise read whichever came last
    path = tmp_path / "m.yml"
    head, metrics = _ORDERS_MODEL.split("metrics:\n")
    path.write_text(head + second + "metrics:\n" + metrics, encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", "metricflow", str(path), "--check"])
    assert result.exit_code == 2, result.output
    assert message.format(path=path) in result.output


def test_filter_testing_one_column_twice_keeps_the_rows_both_accept(tmp_path):
    # two references to `status` (by name and through a dimension with that expr): the second
    # used to replace the first
    path = tmp_path / "m.yml"
    head, metrics = _ORDERS_MODEL.split("metrics:\n")
    head = head.replace(
        "dimensions: [{name: d, type: time}]",
        "dimensions: [{name: d, type: time}, {name: status, type: categorical},"
        " {name: state, type: categorical, expr: status}]",
    )
    status, state = "{{ Dimension('status') }}", "{{ Dimension('state') }}"
    path.write_text(
        head
        + "metrics:\n"
        + metrics
        + f"  - {{name: none, type: simple, type_params: {{measure: amount}},"
        f" filter: \"{status} = 'a' AND {status} = 'b'\"}}\n"
        + f"  - {{name: only_b, type: simple, type_params: {{measure: amount}},"
        f" filter: \"{status} IN ('a', 'b') AND {state} = 'b'\"}}\n",
        encoding="utf-8",
    )
    model = import_metricflow(path)
    assert "the filters on `status` exclude every row" in model_reasons(model)["none"]
    mapping = model.source_of(model.kpis["only_b"].formula)
    assert mapping is not None
    assert mapping.mappings[model.kpis["only_b"].formula].where == {"status": ["b"]}


def model_reasons(model):
    return {u.name: u.reason for u in model.unmapped}


_DEALS_MODEL = """
semantic_models:
  - name: deals
    model: ref('deals')
    defaults: {agg_time_dimension: created_at}
    entities: [{name: deal, type: primary, expr: id}]
    dimensions:
      - {name: created_at, type: time, type_params: {time_granularity: day}}
      - {name: amount, type: categorical}
      - {name: status, type: categorical}
    measures:
      - {name: deal_rows, agg: sum, expr: '1'}
      - {name: amount_sum, agg: sum, expr: amount}
      - {name: amount_present, agg: sum, expr: 'CASE WHEN amount IS NOT NULL THEN 1 ELSE 0 END'}
      - {name: flags_counted, agg: count, expr: 'CASE WHEN amount IS NOT NULL THEN 1 ELSE 0 END'}
metrics:
  - name: with_amount
    type: simple
    type_params: {measure: deal_rows}
    filter: "{{ Dimension('deal__amount') }} IS NOT NULL"
  - name: won_with_amount
    type: simple
    type_params: {measure: deal_rows}
    filter: >-
      NOT {{ Dimension('deal__amount') }} IS NULL AND
      {{ Dimension('deal__status') }} = 'won'
  - name: average_amount
    type: ratio
    type_params: {numerator: amount_sum, denominator: amount_present}
  - {name: amount_sum, type: simple, type_params: {measure: amount_sum}}
  - {name: amount_present, type: simple, type_params: {measure: amount_present}}
  - {name: flags_counted, type: simple, type_params: {measure: flags_counted}}
  - name: without_amount
    type: simple
    type_params: {measure: deal_rows}
    filter: "{{ Dimension('deal__amount') }} IS NULL"
"""


def test_is_not_null_filters_and_measures_count_the_rows_with_a_value(tmp_path):
    path = tmp_path / "deals.yml"
    path.write_text(_DEALS_MODEL, encoding="utf-8")
    model = import_metricflow(path)
    assert "keeps the rows without a value" in model_reasons(model)["without_amount"]
    maps = model.sources["deals"].mappings
    found = {
        k: maps[model.kpis[k].formula]
        for k in ("with_amount", "won_with_amount", "amount_present", "flags_counted")
    }
    assert (found["with_amount"].column, found["with_amount"].count) == ("amount", True)
    assert found["won_with_amount"].where == {"status": ["won"]}
    assert found["won_with_amount"].column == "amount"
    assert (found["amount_present"].column, found["amount_present"].count) == ("amount", True)
    # COUNT of a 0-or-1 expression counts every row: 0 is a value
    assert (found["flags_counted"].column, found["flags_counted"].count) == (None, True)
    db = warehouse(tmp_path, {"deals": DEALS_CSV})
    got = totals(load(model, tmp_path / "ws", db), list(model.kpis))
    expected = {
        "with_amount": duckdb_monthly(DEALS_CSV, "COUNT(amount)"),
        "won_with_amount": duckdb_monthly(DEALS_CSV, "COUNT(amount) FILTER (status = 'won')"),
        "average_amount": duckdb_monthly(DEALS_CSV, "AVG(amount)"),
        "flags_counted": duckdb_monthly(DEALS_CSV, "COUNT(*)"),
    }
    assert_monthly(got, expected)
