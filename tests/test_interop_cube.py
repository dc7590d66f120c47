"""kpiengine.interop.cube: Cube data models (YAML)."""

import duckdb
import pytest
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
)

from kpiengine.cli import cli
from kpiengine.errors import KpiError
from kpiengine.interop.cube import UNBOUNDED, import_cube
from kpiengine.interop.guess import declared_entities

CUBE = FIXTURES / "cube"


def reasons(model):
    return {u.name: u.reason for u in model.unmapped}


def test_calendar_orders_by_value():
    model = import_cube(CUBE / "schema_compiler" / "calendar_orders.yml")
    source = model.sources["calendar_orders"]
    assert (source.table, source.query, source.date) == ("public.orders", None, "created_at")
    assert source.dimensions == {"user_id": "user_id", "status": "status"}
    f = {k: v.formula for k, v in model.kpis.items()}
    assert f["calendar_orders_count"] == "calendar_orders_count_rows"
    assert source.mappings["calendar_orders_count_rows"].count
    completed = source.mappings[f["calendar_orders_completed_count"]]
    assert completed.count and completed.where == {"status": ["completed"]}
    assert f["calendar_orders_completed_percentage"] == (
        "calendar_orders_completed_count / calendar_orders_count * 100.0"
    )
    assert f["calendar_orders_count_shifted"] == "last_year(calendar_orders_count)"
    why = reasons(model)
    assert why["calendar_orders.total"] == UNBOUNDED  # trailing: unbounded
    assert "time_shift" in why["calendar_orders.count_shifted_named"]
    assert "joins" in why["calendar_orders.joins"]
    assert "primary key" in why["calendar_orders.id"]
    [note] = model.notes
    assert note.name == "calendar_orders.completed_percentage" and "0-100 scale" in note.reason


def test_calendar_orders_evaluates_through_duckdb(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA public")
        con.execute(
            "CREATE TABLE public.orders AS SELECT *, ordered_at AS created_at, "
            f"customer_id AS user_id FROM read_csv('{ORDERS_CSV}')"
        )
    model = import_cube(CUBE / "schema_compiler" / "calendar_orders.yml")
    ws = load(model, tmp_path / "ws", db)
    kpis = list(model.kpis)
    got = totals(ws, kpis)
    rows = csv_rows(ORDERS_CSV)
    count = monthly(rows, "ordered_at", lambda r: 1.0)
    completed = monthly(rows, "ordered_at", lambda r: 1.0, lambda r: r["status"] == "completed")
    shifted = 0
    for month, n in count.items():
        assert got[("calendar_orders_count", month)] == n
        done = completed.get(month, 0.0)
        assert got[("calendar_orders_completed_percentage", month)] == pytest.approx(done / n * 100)
        year_ago = f"{int(month[:4]) - 1}{month[4:]}"
        if year_ago in count:
            assert got[("calendar_orders_count_shifted", month)] == count[year_ago]
            shifted += 1
    assert shifted >= 2


def test_format_showcase_units_formats_and_averages():
    model = import_cube(CUBE / "schema_compiler" / "format_showcase.yml")
    source = model.sources["format_showcase"]
    assert source.table is None and source.query.lstrip().startswith("SELECT")
    assert source.date == "sample_date"
    v = model.variables
    assert v["format_showcase_revenue_usd_sum"].unit == "USD"
    assert v["format_showcase_revenue_eur_sum"].unit == "EUR"
    assert v["format_showcase_revenue_default_sum"].unit == "currency"
    k = model.kpis
    assert k["format_showcase_conversion_rate"].formula == (
        "format_showcase_conversion_rate_sum / format_showcase_conversion_rate_rows"
    )
    assert k["format_showcase_conversion_rate"].format == "percent"
    assert k["format_showcase_number_3_format"].extra["decimals"] == 3
    assert k["format_showcase_revenue_usd"].format == "currency"
    assert reasons(model)["format_showcase_view"].startswith("views re-expose")


def test_format_showcase_loads_with_iso_currencies(tmp_path):
    model = import_cube(CUBE / "schema_compiler" / "format_showcase.yml")
    ws = load(model, tmp_path / "ws")
    assert ws.kpis["format_showcase_revenue_eur"].unit_text == "EUR"


def test_sql_cube_and_a_cube_of_stages():
    redis = import_cube(CUBE / "bye_redis")
    assert redis.sources["orders"].query == "SELECT * FROM public.orders"
    assert redis.kpis["orders_count"].formula == "orders_count_rows"
    stages = import_cube(CUBE / "shared_calc_group")
    f = {k: v.formula for k, v in stages.kpis.items()}
    # `<cube>_<measure>` as documented, though `total` alone is a formula function
    assert f["sales_total"] == "sales_total_sum"
    assert f["sales_r3_amount"] == "rolling(sales_r3_amount_sum, 3)"  # trailing: 3 month
    assert f["sales_ytd_amount"] == "ytd(sales_ytd_amount_sum)"  # to_date, year
    assert f["sales_prev_ytd_amount"] == "last_year(sales_ytd_amount)"
    assert f["sales_ytd_amount_change"] == "sales_ytd_amount - sales_prev_ytd_amount"
    why = reasons(stages)
    assert "time_shift" in why["sales.prev_r3_amount"]  # 3 months back: no kpiengine form
    assert "prev_r3_amount" in why["sales.r3_amount_change"]
    assert "CASE" in why["sales.r3_amount_growth_pct"]
    assert "{r3_amount}" in why["sales.r3_amount_growth_pct"]  # as the model wrote it
    assert "query time" in why["sales.rolling_amount"]
    assert "cache" in why["sales.pre_aggregations"]
    assert stages.sources["sales"].dimensions == {"account": "account", "product": "product"}


def test_handwritten_measure_types_by_value():
    model = import_cube(CUBE / "handwritten")
    f = {k: v.formula for k, v in model.kpis.items()}
    m = model.sources["orders"].mappings
    assert m[f["orders_revenue"]].column == "amount"  # `{amount}` is the dimension's column
    assert m[f["orders_completed_revenue"]].where == {
        "status": ["completed"],
        "channel": ["Email", "Ads"],
    }
    assert f["orders_average_order_value"] == (
        "orders_average_order_value_sum / orders_average_order_value_rows"
    )
    assert model.variables[f["orders_smallest_order"]].aggregate == "min"
    assert f["orders_return_rate"] == "orders_returned / orders_count"
    assert f["orders_revenue_per_item"] == "orders_amount / orders_items"
    assert f["orders_revenue_last_year"] == "last_year(orders_revenue)"
    assert model.variables["orders_items"].unit == "items"
    assert "items" in declared_entities(model)  # written under `units:`
    why = reasons(model)
    assert f["orders_revenue_rolling_3m"] == "rolling(orders_revenue_rolling_3m_sum, 3)"
    assert f["orders_revenue_ytd"] == "ytd(orders_revenue_ytd_sum)"
    customers = model.variables[f["orders_customers"]]
    assert (customers.aggregate, customers.unit) == ("distinct", "customers")
    assert m[f["orders_customers"]].distinct == "customer_id"
    completed = m[f["orders_completed_customers"]]  # countDistinctApprox, counted exactly
    assert (completed.distinct, completed.where) == ("customer_id", {"status": ["completed"]})
    assert "approximate" in {n.name: n.reason for n in model.notes}["orders.completed_customers"]
    assert why["orders.revenue_all_time"] == UNBOUNDED
    assert "7 day(s)` is not a whole number of months" in why["orders.revenue_last_week"]
    assert "amount > 100" in why["orders.big_orders"]
    assert "another cube" in why["orders.loyal_revenue"]
    assert "query-time filters" in why["orders.segments"]
    assert "columns" in why["orders.label"]


def test_handwritten_evaluates_against_an_oracle(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(f"CREATE TABLE orders AS SELECT * FROM read_csv('{ORDERS_CSV}')")
    model = import_cube(CUBE / "handwritten")
    got = totals(load(model, tmp_path / "ws", db), list(model.kpis))
    rows = csv_rows(ORDERS_CSV)
    revenue = monthly(rows, "ordered_at", lambda r: float(r["amount"]))
    items = monthly(rows, "ordered_at", lambda r: float(r["items"]))
    kept = monthly(
        rows,
        "ordered_at",
        lambda r: float(r["amount"]),
        lambda r: r["status"] == "completed" and r["channel"] in ("Email", "Ads"),
    )
    for month, value in revenue.items():
        assert got[("orders_revenue", month)] == pytest.approx(value)
        assert got[("orders_revenue_per_item", month)] == pytest.approx(value / items[month])
        assert got[("orders_completed_revenue", month)] == pytest.approx(kept.get(month, 0.0)) or (
            got[("orders_completed_revenue", month)] is None and month not in kept
        )
        smallest = min(float(r["amount"]) for r in rows if r["ordered_at"].startswith(month))
        assert got[("orders_smallest_order", month)] == pytest.approx(smallest)
        ytd = sum(v for m, v in revenue.items() if m[:4] == month[:4] and m <= month)
        assert got[("orders_revenue_ytd", month)] == pytest.approx(ytd)
        months = sorted(revenue)
        i = months.index(month)
        if i >= 2:
            last3 = sum(revenue[m] for m in months[i - 2 : i + 1])
            assert got[("orders_revenue_rolling_3m", month)] == pytest.approx(last3)
        buyers = {r["customer_id"] for r in rows if r["ordered_at"].startswith(month)}
        assert got[("orders_customers", month)] == len(buyers)
        done = {
            r["customer_id"]
            for r in rows
            if r["ordered_at"].startswith(month) and r["status"] == "completed"
        }
        assert got[("orders_completed_customers", month)] == len(done)


def test_measures_not_a_list_names_the_place():
    with pytest.raises(KpiError) as caught:
        import_cube(FIXTURES / "bad" / "cube_measures_not_list.yml")
    assert "`measures` of cube `orders` must be a list" in caught.value.message
    assert caught.value.location.line == 5


def test_cli_import_cube(tmp_path):
    runner = CliRunner()
    folder = CUBE / "schema_compiler"
    result = runner.invoke(cli, ["import", "cube", str(folder), "-o", str(tmp_path / "ws")])
    assert result.exit_code == 0, result.output
    assert "not imported (6)" in result.output and "imported with a caveat (1)" in result.output
    twice = runner.invoke(cli, ["import", "cube", str(CUBE), "--check"])  # two `orders` cubes
    assert twice.exit_code == 2 and "cube `orders` is defined twice" in twice.output
    check = runner.invoke(cli, ["import", "cube", str(CUBE / "handwritten"), "--check"])
    assert check.exit_code == 0 and "0 errors" in check.output


def test_cube_without_time_dimension_is_listed_not_written(tmp_path):
    # the sql connector dates rows by a column of the table: without one, eval would fail
    path = tmp_path / "undated.yml"
    path.write_text(
        "cubes:\n  - name: stores\n    sql_table: stores\n    dimensions:\n"
        "      - name: city\n        sql: city\n        type: string\n    measures:\n"
        "      - name: employees\n        sql: employees\n        type: sum\n"
        "      - name: cities\n        sql: city\n        type: count_distinct\n",
        encoding="utf-8",
    )
    model = import_cube(path)
    assert not model.kpis and not model.variables
    assert not model.sources["stores"].mappings
    why = reasons(model)
    assert "`stores` has no time column of its own" in why["stores.employees"]
    assert "`stores` has no time column of its own" in why["stores.cities"]


def test_count_of_a_column_and_avg_skip_empty_values(tmp_path):
    # Cube's COUNT(discount) and AVG(discount) leave out rows without a discount
    rows = [
        ("2024-01-03", "5"),
        ("2024-01-09", ""),
        ("2024-01-20", "7"),
        ("2024-02-02", ""),
        ("2024-02-11", "4"),
    ]
    data = tmp_path / "orders.csv"
    data.write_text(
        "ordered_at,discount\n" + "".join(f"{d},{v}\n" for d, v in rows), encoding="utf-8"
    )
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(f"CREATE TABLE orders AS SELECT * FROM read_csv('{data}')")
    path = tmp_path / "orders.yml"
    path.write_text(
        "cubes:\n  - name: orders\n    sql_table: orders\n    dimensions:\n"
        "      - {name: ordered_at, sql: ordered_at, type: time}\n    measures:\n"
        "      - {name: count, type: count}\n"
        "      - {name: discounted, sql: discount, type: count}\n"
        "      - {name: avg_discount, sql: discount, type: avg}\n",
        encoding="utf-8",
    )
    model = import_cube(path)
    assert not model.notes  # exact, no caveat
    got = totals(load(model, tmp_path / "ws", db), list(model.kpis))
    assert got[("orders_count", "2024-01")] == 3
    assert got[("orders_discounted", "2024-01")] == 2
    assert got[("orders_discounted", "2024-02")] == 1
    assert got[("orders_avg_discount", "2024-01")] == pytest.approx((5 + 7) / 2)
    assert got[("orders_avg_discount", "2024-02")] == pytest.approx(4)


@pytest.mark.parametrize(
    ("second", "first_line"),
    [("      - {name: c, type: sum, sql: x}\n", 7), ("      - {name: d, type: count}\n", 5)],
)
def test_cli_member_defined_twice_is_an_error(tmp_path, second, first_line):
    path = tmp_path / "dup.yml"
    path.write_text(
        "cubes:\n  - name: o\n    sql_table: o\n    dimensions:\n"
        "      - {name: d, sql: d, type: time}\n    measures:\n      - {name: c, type: count}\n"
        + second,
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["import", "cube", str(path), "--check"])
    assert result.exit_code == 2, result.output
    assert f"dup.yml:8:9: `{second[15]}` is defined twice in cube `o`" in result.output
    assert f"(first at {path}:{first_line}:9)" in result.output
    assert "Traceback" not in result.output


def test_cli_empty_folder_is_an_error(tmp_path):
    result = CliRunner().invoke(cli, ["import", "cube", str(tmp_path), "--check"])
    assert result.exit_code == 2, result.output
    assert f"no `cubes:` found in {tmp_path}" in result.output


def test_two_filters_on_one_column_keep_the_rows_both_accept(tmp_path):
    # the second filter used to replace the first
    path = tmp_path / "orders.yml"
    path.write_text(
        "cubes:\n  - name: orders\n    sql_table: orders\n    dimensions:\n"
        "      - {name: d, sql: d, type: time}\n    measures:\n"
        "      - name: some\n        type: count\n        filters:\n"
        "          - sql: \"{CUBE}.status IN ('a', 'b')\"\n"
        "          - sql: \"{CUBE}.status = 'b'\"\n"
        "      - name: none\n        sql: amount\n        type: sum\n        filters:\n"
        "          - sql: \"{CUBE}.status = 'a'\"\n          - sql: \"{CUBE}.status = 'b'\"\n"
        "      - name: case_and_filter\n        type: sum\n"
        "        sql: \"CASE WHEN {CUBE}.status = 'a' THEN amount ELSE 0 END\"\n"
        "        filters:\n          - sql: \"{CUBE}.status = 'b'\"\n",
        encoding="utf-8",
    )
    model = import_cube(path)
    source = model.sources["orders"]
    assert source.mappings[model.kpis["orders_some"].formula].where == {"status": ["b"]}
    why = reasons(model)
    assert "the filters on `status` exclude every row" in why["orders.none"]
    assert "the filters on `status` exclude every row" in why["orders.case_and_filter"]


def test_templated_sql_table_is_listed_not_queried(tmp_path):
    path = tmp_path / "orders.yml"
    path.write_text(
        "cubes:\n  - name: orders\n    sql_table: \"{{ env_var('SCHEMA') }}.orders\"\n"
        "    dimensions:\n      - {name: d, sql: d, type: time}\n"
        "    measures:\n      - {name: c, type: count}\n",
        encoding="utf-8",
    )
    model = import_cube(path)
    assert not model.kpis and not model.variables and "orders" not in model.sources
    assert "its `sql_table` uses templates" in reasons(model)["orders"]


def test_cli_jinja_loop_in_yaml_names_the_template(tmp_path):
    path = tmp_path / "orders.yml"
    path.write_text(
        "cubes:\n  - name: orders\n    sql_table: orders\n    measures:\n"
        "      {%- for m in ['a', 'b'] %}\n      - name: {{ m }}_sum\n        sql: {{ m }}\n"
        "        type: sum\n      {%- endfor %}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["import", "cube", str(path), "--check"])
    assert result.exit_code == 2, result.output
    assert "orders.yml:5:8: invalid YAML" in result.output
    assert "Cube renders the Jinja in this model first" in result.output


def test_is_not_null_counts_the_rows_with_a_value(tmp_path):
    path = tmp_path / "deals.yml"
    path.write_text(
        "cubes:\n  - name: deals\n    sql_table: deals\n    dimensions:\n"
        "      - {name: created_at, sql: created_at, type: time}\n"
        "      - {name: status, sql: status, type: string}\n    measures:\n"
        "      - name: with_amount\n        type: count\n"
        "        filters: [{sql: '{CUBE}.amount IS NOT NULL'}]\n"
        "      - name: won_with_amount\n        type: count\n"
        '        sql: "CASE WHEN {CUBE}.amount IS NOT NULL THEN 1 END"\n'
        "        filters: [{sql: \"{status} = 'won'\"}]\n"
        "      - {name: flags, type: sum, sql: 'CASE WHEN amount IS NOT NULL THEN 1 ELSE 0 END'}\n"
        "      - {name: amount_sum, type: sum, sql: amount}\n"
        "      - {name: average_amount, type: number, sql: '{amount_sum} / {flags}'}\n"
        "      - name: without_amount\n        type: count\n"
        "        filters: [{sql: '{CUBE}.amount IS NULL'}]\n",
        encoding="utf-8",
    )
    model = import_cube(path)
    assert "keeps the rows without a value" in reasons(model)["deals.without_amount"]
    assert not model.notes  # exact, no caveat
    maps = model.sources["deals"].mappings
    for kpi in ("deals_with_amount", "deals_won_with_amount", "deals_flags"):
        assert (maps[model.kpis[kpi].formula].column, maps[model.kpis[kpi].formula].count) == (
            "amount",
            True,
        ), kpi
    assert maps[model.kpis["deals_won_with_amount"].formula].where == {"status": ["won"]}
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(f"CREATE TABLE deals AS SELECT * FROM read_csv('{DEALS_CSV}')")
    got = totals(load(model, tmp_path / "ws", db), list(model.kpis))
    expected = {
        "deals_with_amount": duckdb_monthly(DEALS_CSV, "COUNT(amount)"),
        "deals_won_with_amount": duckdb_monthly(DEALS_CSV, "COUNT(amount) FILTER (status = 'won')"),
        "deals_flags": duckdb_monthly(DEALS_CSV, "COUNT(amount)"),
        "deals_average_amount": duckdb_monthly(DEALS_CSV, "AVG(amount)"),
    }
    assert_monthly(got, expected)
