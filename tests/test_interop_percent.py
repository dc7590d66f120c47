"""Percentages on a 0-100 scale (`100.0 * a / b`) keep their values in every importer.

Cube's docs write percentages as `{a} / {b} * 100.0` with `format: percent` (the value is shown
with a % sign); MetricFlow and OSI expressions multiply by 100 the same way. kpiengine's `percent`
format multiplies a fraction by 100, so such a KPI is imported with `format: number`: the values
(33.33 for 1 of 3) are the ones the model computed, in every output, and KPI202 does not fire.
"""

import pytest
import yaml
from click.testing import CliRunner
from interop_helpers import load, totals

from kpiengine.cli import cli
from kpiengine.interop.cube import import_cube
from kpiengine.interop.guess import POINTS, percent_points
from kpiengine.interop.metricflow import import_metricflow
from kpiengine.interop.osi import import_osi

ROWS = "id,ordered_at,status,amount\n1,2024-06-03,completed,10\n2,2024-06-10,returned,20\n"
ROWS += "3,2024-06-20,completed,30\n"
ONE_IN_THREE = 100.0 * 1 / 3  # by hand: 1 returned order of 3


@pytest.mark.parametrize(
    ("formula", "points"),
    [
        ("100.0 * a / b", True),
        ("a / b * 100", True),
        ("(a - b) * 100 / b", True),
        ("100 * (a / b)", True),
        ("-100 * a / b", True),
        ("a / b / 0.01", True),
        ("a / b", False),
        ("a / (b * 100)", False),  # divided by 100: not a percentage scale
        ("100 - a / b", False),
        ("a * 100 + b", False),
        ("a / b * 1000", False),
        ("not a formula (", False),
    ],
)
def test_percent_points(formula, points):
    assert percent_points(formula) is points


def _cube(tmp_path, measures: str):
    (tmp_path / "model").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "orders.csv").write_text(ROWS, encoding="utf-8")
    (tmp_path / "model" / "orders.yml").write_text(
        "cubes:\n  - name: orders\n    sql_table: orders\n    dimensions:\n"
        "      - {name: ordered_at, sql: ordered_at, type: time}\n    measures:\n"
        "      - {name: count, type: count}\n"
        "      - name: returned\n        type: count\n"
        "        filters: [{sql: \"{CUBE}.status = 'returned'\"}]\n" + measures,
        encoding="utf-8",
    )
    return tmp_path / "model"


def test_cube_percentage_times_100_keeps_its_values(tmp_path):
    path = _cube(
        tmp_path,
        "      - {name: return_pct, type: number, sql: '100.0 * {returned} / NULLIF({count}, 0)'}\n"
        "      - name: return_pct_formatted\n        type: number\n        format: percent\n"
        "        sql: '{returned} / {count} * 100.0'\n"
        "      - {name: return_rate, type: number, sql: '{returned} / {count}', format: percent}\n"
        "      - {name: return_share, type: number, sql: '{returned} / {count}'}\n"
        "      - {name: amount_cents, type: number, sql: '{amount} * 100'}\n"
        "      - {name: amount, type: sum, sql: amount}\n",
    )
    model = import_cube(path)
    model.use_files(tmp_path / "data")
    ws = load(model, tmp_path / "ws")
    formats = {k: ws.kpis[k].format for k in model.kpis}
    assert formats["orders_return_pct"] == "number"
    assert formats["orders_return_pct_formatted"] == "number"  # Cube's percent: a % sign
    assert formats["orders_return_rate"] == formats["orders_return_share"] == "percent"
    assert formats["orders_amount_cents"] == "currency"  # not a ratio: not a percentage
    got = totals(ws, list(model.kpis))
    assert got[("orders_return_pct", "2024-06")] == pytest.approx(ONE_IN_THREE)
    assert got[("orders_return_pct_formatted", "2024-06")] == pytest.approx(ONE_IN_THREE)
    assert got[("orders_return_rate", "2024-06")] == pytest.approx(1 / 3)
    notes = {(n.name, n.reason) for n in model.notes}
    assert ("orders_return_pct", POINTS) in notes
    assert ("orders.return_pct_formatted", POINTS) in notes


def test_cli_cube_import_has_no_kpi202_and_shows_the_cube_value(tmp_path):
    path = _cube(
        tmp_path,
        "      - name: return_pct\n        type: number\n"
        "        sql: '100.0 * {returned} / NULLIF({count}, 0)'\n",
    )
    runner = CliRunner()
    out = tmp_path / "ws"
    result = runner.invoke(
        cli, ["import", "cube", str(path), "-o", str(out), "--data", str(tmp_path / "data")]
    )
    assert result.exit_code == 0, result.output
    assert "KPI202" not in result.output and "0-100 scale" in result.output
    written = yaml.safe_load((out / "definitions" / "imported.yaml").read_text(encoding="utf-8"))
    assert written["kpis"]["orders_return_pct"]["format"] == "number"
    assert "0-100 scale" in written["kpis"]["orders_return_pct"]["notes"]
    shown = runner.invoke(
        cli, ["eval", "--kpi", "orders_return_pct", "--format", "csv", "-w", str(out)]
    )
    assert shown.exit_code == 0, shown.output
    value = float(shown.output.splitlines()[1].split(",")[3])
    assert value == pytest.approx(ONE_IN_THREE)


def test_metricflow_and_osi_apply_the_same_rule(tmp_path):
    (tmp_path / "orders.csv").write_text(ROWS, encoding="utf-8")
    (tmp_path / "mf.yml").write_text(
        "semantic_models:\n  - name: orders\n    model: ref('orders')\n"
        "    defaults: {agg_time_dimension: ordered_at}\n"
        "    entities: [{name: orders, type: primary, expr: id}]\n"
        "    dimensions: [{name: ordered_at, type: time}, {name: status, type: categorical}]\n"
        "    measures: [{name: orders, agg: sum, expr: '1'}]\n"
        "metrics:\n  - {name: orders, type: simple, type_params: {measure: orders}}\n"
        "  - name: returned\n    type: simple\n    type_params: {measure: orders}\n"
        "    filter: \"{{ Dimension('orders__status') }} = 'returned'\"\n"
        "  - name: return_pct\n    type: derived\n"
        "    type_params: {expr: 100 * returned / orders, metrics: [{name: returned}, "
        "{name: orders}]}\n"
        "  - {name: return_rate, type: ratio, type_params: {numerator: returned, "
        "denominator: orders}}\n",
        encoding="utf-8",
    )
    mf = import_metricflow(tmp_path / "mf.yml")
    mf.use_files(tmp_path)
    ws = load(mf, tmp_path / "mf_ws")
    assert (ws.kpis["return_pct"].format, ws.kpis["return_rate"].format) == ("number", "percent")
    got = totals(ws, ["return_pct", "return_rate"])
    assert got[("return_pct", "2024-06")] == pytest.approx(ONE_IN_THREE)
    assert got[("return_rate", "2024-06")] == pytest.approx(1 / 3)
    returned = "SUM(CASE WHEN status = 'returned' THEN 1 ELSE 0 END)"
    doc = {
        "version": "0.1",
        "semantic_model": [
            {
                "name": "m",
                "datasets": [
                    {
                        "name": "orders",
                        "source": "orders",
                        "fields": [
                            {
                                "name": "ordered_at",
                                "expression": {
                                    "dialects": [
                                        {"dialect": "ANSI_SQL", "expression": "ordered_at"}
                                    ]
                                },
                                "dimension": {"is_time": True},
                            }
                        ],
                    }
                ],
                "metrics": [
                    {
                        "name": name,
                        "expression": {"dialects": [{"dialect": "ANSI_SQL", "expression": sql}]},
                    }
                    for name, sql in (
                        ("return_pct", f"100.0 * {returned} / COUNT(*)"),
                        ("return_rate", f"{returned} / COUNT(*)"),
                    )
                ],
            }
        ],
    }
    (tmp_path / "m.osi.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    osi = import_osi(tmp_path / "m.osi.yaml")
    osi.use_files(tmp_path)
    ws = load(osi, tmp_path / "osi_ws")
    assert (ws.kpis["return_pct"].format, ws.kpis["return_rate"].format) == ("number", "percent")
    got = totals(ws, ["return_pct", "return_rate"])
    assert got[("return_pct", "2024-06")] == pytest.approx(ONE_IN_THREE)
