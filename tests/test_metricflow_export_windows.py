"""`kpi export metricflow`: cumulative metrics as current dbt writes them, stocks per segment.

Cumulative metrics used to name `type_params.measure`. dbt-semantic-interfaces (0.10, which
MetricFlow and dbt 1.12 run) turns such a measure into a simple metric input beside it, then
warns "Cumulative metric ... should not have both a measure and a metric as inputs". Current dbt
documents a cumulative metric by its `input_metric` (with `window` or `grain_to_date` and
`period_agg` beside it, no `type_params`); dbt-core parses that spelling into
`type_params.cumulative_type_params.metric` and nothing else, so there is nothing to warn about.
(dbt's legacy spec has no key for a metric input: `cumulative_type_params.metric` is refused
there.)

A stock (`aggregate: last`) of a source with dimensions was written without `window_groupings`:
MetricFlow then keeps the rows of each period's latest day across the whole model (in the data
below, January's 31st, a US row alone: 250), where kpiengine takes each region's own latest day
and adds them up (EU's 110 on the 20th + US's 250 = 360). `window_groupings` take entities, so
the export declares one foreign entity per dimension, on its column, and groups the stock's
latest day by them. The values MetricFlow gives are computed below in plain DuckDB, the way
MetricFlow's semi-additive join builds its SQL (MAX of the time dimension grouped by the
queried period and the `window_groupings` entities, inner-joined back on them), from what the
export wrote.
"""

import re
import shutil

import duckdb
import pytest
import yaml
from click.testing import CliRunner
from floatcompare import ApproxValues
from interop_helpers import FIXTURES

import kpiengine
from kpiengine.cli import cli
from kpiengine.interop.metricflow import import_metricflow
from kpiengine.interop.metricflow_export import export_metricflow
from kpiengine.interop.writer import write_workspace

ACCOUNTS = """\
day,region,status,balance,fees
2024-01-05,EU,open,100,1
2024-01-05,US,open,200,2
2024-01-20,EU,closed,110,3
2024-01-31,US,open,250,4
2024-02-10,EU,open,120,5
2024-02-10,US,open,260,6
2024-02-25,US,closed,270,7
"""
#: by hand from ACCOUNTS: each region's own latest day in the month, added up
STOCK = {
    ("2024-01", ()): 110 + 250,
    ("2024-01", (("region", "EU"),)): 110,
    ("2024-01", (("region", "US"),)): 250,
    ("2024-02", ()): 120 + 270,
    ("2024-02", (("region", "EU"),)): 120,
    ("2024-02", (("region", "US"),)): 270,
}
SETTINGS = """\
name: accounts
grain: month
currency: EUR
sources:
  accounts:
    connector: sql
    url: duckdb://
    files: {accounts: data/accounts.csv}
    table: accounts
    date: day
    dimensions: {region: region}
    map:
      balance: balance
      fees: fees
      accounts_open: {count: true}
      open_balance: {column: balance, where: {status: [open]}}
      largest_fee: fees
      largest_balance: balance
"""
DEFINITIONS = """\
units: [accounts]
variables:
  balance: {unit: currency, aggregate: last}
  fees: {unit: currency, aggregate: sum}
  accounts_open: {unit: accounts, aggregate: {time: last, segments: sum}}
  open_balance: {unit: currency, aggregate: last}
  largest_fee: {unit: currency, aggregate: {time: sum, segments: max}}
  largest_balance: {unit: currency, aggregate: {time: last, segments: max}}
kpis:
  balance_total: {title: Balance, formula: balance, unit: currency}
  fees_ytd: {title: Fees YTD, formula: ytd(fees), unit: currency}
  fees_3_months: {title: Fees 3 months, formula: "rolling(fees, 3)", unit: currency}
  fees_share: {title: Fee share, formula: ytd(fees) / balance, unit: ratio}
  open_balance_total: {title: Open balance, formula: open_balance, unit: currency}
  open_share: {title: Open share, formula: open_balance / balance, unit: ratio}
  largest_fee_kpi: {title: Largest fee, formula: largest_fee, unit: currency}
  largest_balance_kpi: {title: Largest balance, formula: largest_balance, unit: currency}
"""
#: what MetricFlow cannot say as kpiengine means it, and the KPIs reading it
NOT_EXPORTED = {
    "open_balance": "a stock of some rows",
    "largest_fee": "one rule",
    "largest_balance": "segments roll up by `max`",
    "open_balance_total": "it reads `open_balance`",
    "open_share": "it reads `open_balance`",
    "largest_fee_kpi": "it reads `largest_fee`",
    "largest_balance_kpi": "it reads `largest_balance`",
}
EXPORTED = {"balance_total", "fees_ytd", "fees_3_months", "fees_share"}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-04-15")


@pytest.fixture
def accounts(tmp_path):
    root = tmp_path / "ws"
    (root / "definitions").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "kpi.yaml").write_text(SETTINGS, encoding="utf-8")
    (root / "definitions" / "k.yaml").write_text(DEFINITIONS, encoding="utf-8")
    (root / "data" / "accounts.csv").write_text(ACCOUNTS, encoding="utf-8")
    return root


def _export(root, out, own_only=True):
    ws = kpiengine.load_workspace(root)
    assert not ws.errors, [f.format() for f in ws.errors]
    _, notes = export_metricflow(ws, out, own_only=own_only)
    semantic = yaml.safe_load((out / "semantic_models.yml").read_text(encoding="utf-8"))
    metrics = yaml.safe_load((out / "metrics.yml").read_text(encoding="utf-8"))["metrics"]
    return semantic["semantic_models"], {m["name"]: m for m in metrics}, notes


def _values(root, kpis, by=("region",)) -> dict[tuple, float | None]:
    ws = kpiengine.load_workspace(root)
    assert not ws.errors, [f.format() for f in ws.errors]
    records = kpiengine.evaluate(ws, grain="month", kpis=kpis, by=list(by)).records()
    return {
        (r["kpi"], r["period"], tuple(sorted(r["segment"].items()))): r["value"] for r in records
    }


# --- cumulative metrics ---------------------------------------------------------------------


def test_cumulative_metrics_read_the_variables_metric_alone(accounts, tmp_path):
    _, metrics, _ = _export(accounts, tmp_path / "mf")
    cumulative = {n: m for n, m in metrics.items() if m["type"] == "cumulative"}
    assert set(cumulative) == {"fees_ytd_window", "fees_rolling_3"}  # KPIs hold `fees_ytd`
    for name, metric in cumulative.items():
        # current dbt's spelling: no `type_params` (so no `measure`) beside the input metric
        assert "type_params" not in metric, name
        assert "measure" not in str(metric), name
        assert metric["input_metric"] == "fees"
        assert metrics["fees"]["type"] == "simple"  # the variable's own metric
        assert metric["period_agg"] == "last"
    assert cumulative["fees_ytd_window"]["grain_to_date"] == "year"
    assert "window" not in cumulative["fees_ytd_window"]
    assert cumulative["fees_rolling_3"]["window"] == "3 months"
    assert "grain_to_date" not in cumulative["fees_rolling_3"]
    # the derived KPIs read them as before
    assert metrics["fees_ytd"]["type_params"] == {
        "expr": "fees_ytd_window",
        "metrics": [{"name": "fees_ytd_window"}],
    }


def test_exported_windows_and_stocks_read_back_as_the_same_formulas(accounts, tmp_path):
    _export(accounts, tmp_path / "mf")
    model = import_metricflow(tmp_path / "mf")
    ws = kpiengine.load_workspace(accounts)
    assert {k: v.formula for k, v in model.kpis.items()} == {
        k: ws.kpis[k].formula_text for k in EXPORTED
    }
    assert not model.unmapped  # the segment entity is no join left out
    assert model.variables["balance"].aggregate == "last"
    assert model.sources["accounts"].dimensions == {"region": "region"}
    mapped = set(model.sources["accounts"].mappings)
    assert mapped == {"balance", "fees", "accounts_open"}
    # and the KPIs evaluate as the workspace does, by region too
    shutil.copytree(accounts / "data", tmp_path / "back" / "data")
    assert model.use_files(tmp_path / "back" / "data") == []
    write_workspace(model, tmp_path / "back", force=True)
    kpis = sorted(EXPORTED)
    assert _values(tmp_path / "back", kpis) == ApproxValues(_values(accounts, kpis))


# --- windows at the start of the data -------------------------------------------------------


def _metricflow_window(csv, column: str, window: str | None) -> dict[str, float]:
    """MetricFlow's cumulative metric by month (`period_agg: last`): on each month's last day,
    the sum over the days of the window ending then (`window`, or the year to date), the data's
    first months included, as its join to the time spine does."""
    start = f"m.d - INTERVAL {window} + INTERVAL 1 DAY" if window else "date_trunc('year', m.d)"
    rows = duckdb.sql(
        f"""WITH r AS (SELECT * FROM read_csv('{csv}')),
        m AS (SELECT DISTINCT last_day(day) AS d FROM r)
        SELECT strftime(m.d, '%Y-%m'), SUM(r.{column}) FROM m JOIN r
        ON r.day <= m.d AND r.day >= {start} GROUP BY ALL"""
    ).fetchall()
    return dict(rows)


def test_a_window_before_the_data_is_said_to_differ(accounts, tmp_path):
    """MetricFlow has no minimum of periods: a window reaching before the data adds up what
    there is (fees from 5 January: 1 + 2 + 3 + 4 = 10 over three months to January), where
    kpiengine leaves it undefined. The export cannot say kpiengine's rule, so it says so."""
    csv = accounts / "data" / "accounts.csv"
    metricflow = _metricflow_window(csv, "fees", "3 MONTH")
    assert metricflow == {"2024-01": 10, "2024-02": 10 + 5 + 6 + 7}
    values = _values(accounts, ["fees_3_months"], by=())
    assert {p: v for (_, p, _), v in values.items()} == {"2024-01": None, "2024-02": None}
    _, metrics, notes = _export(accounts, tmp_path / "mf")
    why = {n.name: n.reason for n in notes if n.kind == "KPI"}
    rolling = "`rolling(fees, 3)` (cumulative metric `fees_rolling_3`): where the window starts "
    assert why["fees_3_months"] == (
        f"{rolling}before `fees`'s data (its first 2 months, 3 when it starts more than a week "
        "into a month), MetricFlow adds up the months there are, kpiengine leaves it undefined"
    )
    for kpi in ("fees_ytd", "fees_share"):  # `fees_share` reads `ytd(fees)` too
        assert why[kpi].startswith("`ytd(fees)` (cumulative metric `fees_ytd_window`)"), kpi
        assert "its first year, unless it starts within a week of the year's start" in why[kpi]
    # in the metrics' descriptions, where a dbt user looks
    for name in ("fees_3_months", "fees_rolling_3"):
        assert metrics[name]["description"].startswith(f"Caveat: {rolling}"), name
    for name in ("fees_ytd", "fees_share", "fees_ytd_window"):
        assert "Caveat: `ytd(fees)`" in metrics[name]["description"], name
    assert "description" not in metrics["balance_total"]
    # ... which the import does not take for the KPIs' own
    model = import_metricflow(tmp_path / "mf")
    assert {k: v.description for k, v in model.kpis.items()} == dict.fromkeys(EXPORTED, "")


def test_a_year_to_date_from_a_late_start_is_undefined_all_year(accounts, tmp_path):
    """The caveat's `ytd` case: data from 10 January (more than a week in), kpiengine's year to
    date is undefined until the next year; MetricFlow's adds up the days there are."""
    csv = accounts / "data" / "accounts.csv"
    csv.write_text(ACCOUNTS.replace("2024-01-05", "2024-01-10"), encoding="utf-8")
    assert _metricflow_window(csv, "fees", None) == {"2024-01": 10, "2024-02": 28}
    values = _values(accounts, ["fees_ytd"], by=())
    assert {p: v for (_, p, _), v in values.items()} == {"2024-01": None, "2024-02": None}


# --- stocks ---------------------------------------------------------------------------------


def test_a_stock_takes_each_segments_latest_day_through_an_entity(accounts, tmp_path):
    semantic, metrics, notes = _export(accounts, tmp_path / "mf")
    [model] = semantic
    assert model["entities"] == [{"name": "region_segment", "type": "foreign", "expr": "region"}]
    assert {"name": "region", "type": "categorical", "expr": "region"} in model["dimensions"]
    measures = {m["name"]: m for m in model["measures"]}
    for stock in ("balance", "accounts_open"):
        assert measures[stock]["agg"] == "sum"
        assert measures[stock]["non_additive_dimension"] == {
            "name": "day_date",  # `day` is a grain's name, reserved by MetricFlow
            "window_choice": "max",
            "window_groupings": ["region_segment"],
        }
    assert "non_additive_dimension" not in measures["fees"]
    why = {n.name: n.reason for n in notes}
    assert "window_groupings: region_segment" in why["balance"]
    assert "without a `region`" in why["balance"]
    assert "whose `balance` is empty" in why["balance"]  # a column may be empty ...
    assert "is empty" not in why["accounts_open"]  # ... a count never is


def _metricflow_stock(semantic: list[dict], measure: str, csv) -> dict[tuple, float]:
    """The values MetricFlow gives the measure by month, in total and by each categorical
    dimension: the rows on the latest day (MAX of the non-additive time dimension) of each
    month and `window_groupings` entity value, joined back on them, summed."""
    [model] = [m for m in semantic if any(x["name"] == measure for x in m.get("measures", []))]
    spec = next(x for x in model["measures"] if x["name"] == measure)
    nad = spec["non_additive_dimension"]
    time = next(d["expr"] for d in model["dimensions"] if d["name"] == nad["name"])
    entities = {e["name"]: e["expr"] for e in model.get("entities", [])}
    groups = [entities[g] for g in nad.get("window_groupings", [])]  # KeyError: undeclared
    edge = "MAX" if nad["window_choice"] == "max" else "MIN"
    keys = "".join(f", {g} AS g{i}" for i, g in enumerate(groups))
    on = "".join(f" AND r.{g} = e.g{i}" for i, g in enumerate(groups))
    out: dict[tuple, float] = {}
    dims = [d for d in model["dimensions"] if d["type"] == "categorical"]
    for by in [None, *dims]:
        label = f", CAST(r.{by['expr']} AS VARCHAR)" if by else ""
        rows = duckdb.sql(
            f"""WITH r AS (SELECT *, strftime({time}, '%Y-%m') AS m FROM read_csv('{csv}')),
            e AS (SELECT m{keys}, {edge}({time}) AS d FROM r GROUP BY ALL)
            SELECT r.m{label}, SUM({spec["expr"]}) FROM r JOIN e
            ON r.m = e.m AND r.{time} = e.d{on} GROUP BY ALL"""
        ).fetchall()
        for row in rows:
            segment = ((by["name"], row[1]),) if by else ()
            out[(row[0], segment)] = row[-1]
    return out


def test_metricflows_stock_is_kpiengines(accounts, tmp_path):
    """MetricFlow's values for the exported stock (its SQL, in DuckDB) are kpiengine's."""
    semantic, _, _ = _export(accounts, tmp_path / "mf")
    csv = accounts / "data" / "accounts.csv"
    assert _metricflow_stock(semantic, "balance", csv) == STOCK
    values = _values(accounts, ["balance_total"])
    assert {(p, s): v for (_, p, s), v in values.items()} == STOCK


def test_the_round_trip_fixtures_stock_is_kpiengines_by_region(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-01-15")  # every month of its data complete
    ws = kpiengine.load_workspace(FIXTURES / "roundtrip")
    export_metricflow(ws, tmp_path / "mf", own_only=True)
    semantic = yaml.safe_load((tmp_path / "mf" / "semantic_models.yml").read_text("utf-8"))
    csv = FIXTURES / "roundtrip" / "data" / "deals.csv"
    expected = _metricflow_stock(semantic["semantic_models"], "stock_level", csv)
    values = _values(FIXTURES / "roundtrip", ["stock"])
    got = {(p, s): v for (_, p, s), v in values.items() if v is not None}
    assert got == pytest.approx(expected)
    # the months where the regions' latest days differ are the ones this is about
    whole_model = duckdb.sql(
        f"""SELECT strftime(created_at, '%Y-%m') AS m, SUM(stock) FROM read_csv('{csv}') r
        WHERE created_at = (SELECT MAX(created_at) FROM read_csv('{csv}') x
                            WHERE strftime(x.created_at, '%Y-%m') = strftime(r.created_at, '%Y-%m'))
        GROUP BY m"""
    ).fetchall()
    assert any(got[(m, ())] != value for m, value in whole_model)


def test_a_stock_read_without_kpiengines_meta_keeps_its_segments(accounts, tmp_path):
    """A dbt project edited by hand loses `config: meta:`: the stock still reads back from the
    model itself, by region, with MetricFlow's window said."""
    _export(accounts, tmp_path / "mf")
    for name in ("semantic_models.yml", "metrics.yml"):
        path = tmp_path / "mf" / name
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for metric in data.get("metrics", []):
            metric.pop("config", None)
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    model = import_metricflow(tmp_path / "mf")
    assert not model.unmapped
    [variable] = [
        v
        for v in model.variables.values()
        if model.source_of(v.id).mappings[v.id].column
        and v.aggregate == {"time": "last", "segments": "sum"}
    ]
    assert model.source_of(variable.id) is model.sources["accounts"]  # no `_totals` twin
    assert list(model.sources) == ["accounts"]
    assert model.kpis["balance_total"].formula == variable.id
    noted = [n for n in model.notes if "window_groupings" in n.reason]
    assert noted and "kpiengine keeps them as a segment" in noted[0].reason
    shutil.copytree(accounts / "data", tmp_path / "back" / "data")
    assert model.use_files(tmp_path / "back" / "data") == []
    write_workspace(model, tmp_path / "back", force=True)
    values = _values(tmp_path / "back", ["balance_total"])
    assert {(p, s): v for (_, p, s), v in values.items()} == STOCK


def test_what_metricflow_cannot_say_is_listed_not_written(accounts, tmp_path):
    semantic, metrics, notes = _export(accounts, tmp_path / "mf")
    why = {n.name: n.reason for n in notes}
    for name, reason in NOT_EXPORTED.items():
        assert name not in metrics, name
        assert why[name].startswith("not exported: "), name
        assert reason in why[name], (name, why[name])
    measures = {m["name"] for s in semantic for m in s.get("measures", [])}
    assert not measures & set(NOT_EXPORTED)
    assert set(metrics) >= EXPORTED
    # the rest names only what is written (dbt refuses an undefined measure or metric)
    for metric in metrics.values():
        params = metric.get("type_params") or {}
        if metric["type"] == "simple":
            assert params["measure"] in measures
        for item in params.get("metrics", []):
            assert item["name"] in metrics
        if metric["type"] == "cumulative":
            assert metric["input_metric"] in metrics


def test_the_command_lists_them(accounts, tmp_path):
    result = CliRunner().invoke(
        cli, ["export", "metricflow", "-w", str(accounts), "--own-only", "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "open_balance (variable): not exported: a stock of some rows" in result.output
    assert "open_share (KPI): not exported: it reads `open_balance`" in result.output


def test_latest_spec_window_agg_and_group_by_are_read(tmp_path):
    """The latest spec spells `window_choice` `window_agg` and `window_groupings` `group_by`:
    a `min` is the first day (was read as the last), a `group_by` on an entity that is not the
    model's dimensions is listed (was read as if there were none)."""
    text = """\
models:
  - name: balances
    columns:
      - {name: day, dimension: {type: time}, granularity: day}
      - {name: region, dimension: {type: categorical}}
      - {name: account_id, entity: {type: foreign, name: account}}
    semantic_model: {enabled: true}
    agg_time_dimension: day
    metrics:
      - name: opening_balance
        type: simple
        agg: sum
        expr: balance
        non_additive_dimension: {name: day, window_agg: min, group_by: [SEGMENT]}
      - name: account_balance
        type: simple
        agg: sum
        expr: balance
        non_additive_dimension: {name: day, window_agg: max, group_by: [account]}
"""
    (tmp_path / "m.yml").write_text(
        text.replace("SEGMENT", "region_segment").replace(
            "      - {name: account_id",
            "      - {name: region_segment, entity: {type: foreign}}\n      - {name: account_id",
        ),
        encoding="utf-8",
    )
    model = import_metricflow(tmp_path / "m.yml")
    # `region_segment` is the column `region_segment`, not the dimension `region`: listed
    assert {u.name for u in model.unmapped} >= {"opening_balance", "account_balance"}
    (tmp_path / "m.yml").write_text(
        text.replace(", group_by: [SEGMENT]", "").replace(
            "      - {name: account_id",
            "      - {name: region, entity: {type: foreign, name: region_segment}}\n"
            "      - {name: account_id",
        ),
        encoding="utf-8",
    )
    model = import_metricflow(tmp_path / "m.yml")
    reasons = {u.name: u.reason for u in model.unmapped}
    assert "window_groupings" in reasons["account_balance"]
    assert "opening_balance" not in reasons
    [var] = [v for v in model.variables.values() if "opening" in v.id]
    assert var.aggregate == {"time": "first", "segments": "sum"}


# --- dbt-semantic-interfaces ------------------------------------------------------------------


def _manifest_documents(folder) -> str:
    """The exported project as dbt-semantic-interfaces' own YAML documents, parsed the way
    dbt-core 1.12 parses dbt's (its `MetricParser`): a metric without `type_params` is the
    latest spec (a cumulative one's `input_metric`, `window`, `grain_to_date`, `period_agg`
    become `cumulative_type_params`), a ratio's inputs named by text are metric inputs, a
    semantic model's `model: ref('x')` a relation."""
    docs: list[dict] = []
    semantic = yaml.safe_load((folder / "semantic_models.yml").read_text(encoding="utf-8"))
    for model in semantic["semantic_models"]:
        model = dict(model)
        table = re.fullmatch(r"ref\('(\w+)'\)", model.pop("model"))
        assert table, model
        model["node_relation"] = {"alias": table.group(1), "schema_name": "analytics"}
        docs.append({"semantic_model": model})
    for metric in yaml.safe_load((folder / "metrics.yml").read_text(encoding="utf-8"))["metrics"]:
        metric = dict(metric)
        params = dict(metric.get("type_params") or {})
        for side in ("numerator", "denominator"):
            if isinstance(params.get(side), str):
                params[side] = {"name": params[side]}
        if "type_params" not in metric:
            assert metric["type"] == "cumulative", metric
            keys = ("window", "grain_to_date", "period_agg")
            cumulative = {k: metric.pop(k) for k in keys if k in metric}
            cumulative["metric"] = {"name": metric.pop("input_metric")}
            params["cumulative_type_params"] = cumulative
        metric["type_params"] = params
        docs.append({"metric": metric})
    spine = {"location": "analytics.time_spine", "column_name": "date_day", "grain": "day"}
    docs.append({"project_configuration": {"time_spine_table_configurations": [spine]}})
    return "\n---\n".join(yaml.safe_dump(d, sort_keys=False) for d in docs)


def _issues(text: str, transform: bool) -> list[str]:
    dsi = pytest.importorskip("dbt_semantic_interfaces")
    from dbt_semantic_interfaces.parsing.dir_to_model import (
        parse_yaml_files_to_validation_ready_semantic_manifest,
    )
    from dbt_semantic_interfaces.parsing.objects import YamlConfigFile
    from dbt_semantic_interfaces.validations.semantic_manifest_validator import (
        SemanticManifestValidator,
    )

    assert dsi
    built = parse_yaml_files_to_validation_ready_semantic_manifest(
        [YamlConfigFile(filepath="project.yml", contents=text)],
        apply_transformations=transform,
        raise_issues_as_exceptions=False,
    )
    issues = list(built.issues.all_issues)
    issues += (
        SemanticManifestValidator().validate_semantic_manifest(built.semantic_manifest).all_issues
    )
    return [f"{type(i).__name__}: {i.message}" for i in issues]


@pytest.mark.parametrize("which", ["accounts", "roundtrip", "sample"])
def test_dbt_semantic_interfaces_finds_nothing_to_say(which, accounts, tmp_path):
    """No error and no warning, as dbt parses it (no transformations) and as MetricFlow runs it
    (transformed: measure inputs turned into simple metrics)."""
    root = {
        "accounts": accounts,
        "roundtrip": FIXTURES / "roundtrip",
        "sample": kpiengine.sample_workspace(),
    }[which]
    _export(root, tmp_path / "mf", own_only=which != "sample")
    text = _manifest_documents(tmp_path / "mf")
    for transform in (False, True):
        assert _issues(text, transform) == [], transform


def test_the_old_spelling_is_what_dbt_semantic_interfaces_warns_about(accounts, tmp_path):
    """The check above would see the defects: a cumulative metric on `type_params.measure` (as
    the export wrote it) warns once transformed, and `window_groupings` naming no entity of the
    model is an error."""
    _export(accounts, tmp_path / "mf")
    path = tmp_path / "mf" / "metrics.yml"
    metrics = yaml.safe_load(path.read_text(encoding="utf-8"))["metrics"]
    for metric in metrics:
        if metric["type"] == "cumulative":
            keys = ("window", "grain_to_date", "period_agg")
            cumulative = {k: metric.pop(k) for k in keys if k in metric}
            measure = metric.pop("input_metric")
            metric["type_params"] = {"measure": measure, "cumulative_type_params": cumulative}
    path.write_text(yaml.safe_dump({"metrics": metrics}, sort_keys=False), encoding="utf-8")
    text = _manifest_documents(tmp_path / "mf")
    assert _issues(text, False) == []  # dbt's own parse does not transform: silent there
    warnings = [i for i in _issues(text, True) if "both a measure and a metric" in i]
    assert len(warnings) == 2  # fees_ytd_window, fees_rolling_3
    undeclared = text.replace("- name: region_segment\n", "- name: another_entity\n", 1)
    assert undeclared != text
    assert any("do not exist in the" in i for i in _issues(undeclared, False))
