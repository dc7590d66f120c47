"""No traceback on any input: odd YAML, source mappings and targets are messages (exit 2) or
findings (exit 1), each at its position."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import kpiengine
from kpiengine.cli import cli
from kpiengine.errors import KpiError
from kpiengine.yamlio import parse_yaml

DEFS = """\
variables:
  revenue: {unit: currency}
  marketing_cost: {unit: currency}
kpis:
  roi:
    title: ROI
    formula: (revenue - marketing_cost) / marketing_cost
    unit: ratio
"""
DATA = "date,revenue,marketing_cost\n2024-01-05,100,80\n2024-02-05,120,90\n2024-03-05,90,70\n"


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), repr(result.exception)
    return result.exit_code, result.output


# --- YAML -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &r [*r]\n", "an alias refers to a node that contains it"),
        ("a: &r {b: *r}\n", "an alias refers to a node that contains it"),
        ("a: " + "9" * 5000 + "\n", "invalid number"),
        ("a: " + "9" * 400 + "\n", "a number too large"),
        ("a: 2024-02-30\n", "invalid date"),
        ("a: " + "[" * 150 + "]" * 150 + "\n", "nested deeper than 100 levels"),
    ],
)
def test_hostile_yaml_is_a_located_message(text, message):
    with pytest.raises(KpiError, match=message) as caught:
        parse_yaml(text, "x.yaml")
    assert caught.value.location is not None and caught.value.location.file == "x.yaml"


def test_merge_keys_are_supported_and_own_keys_win():
    data = parse_yaml(
        "base: &base {unit: currency, aggregate: sum}\n"
        "other: &other {title: T, unit: ratio}\n"
        "revenue:\n  <<: [*base, *other]\n  aggregate: mean\n",
        "d.yaml",
    )
    assert dict(data["revenue"]) == {"aggregate": "mean", "unit": "currency", "title": "T"}
    assert data["revenue"].value_loc("unit").line == 1
    with pytest.raises(KpiError, match="merges a mapping"):
        parse_yaml("a:\n  <<: 3\n", "d.yaml")


def test_merge_keys_in_a_workspace(write_workspace):
    root = write_workspace(
        {
            "d": "variables:\n  revenue: &money {unit: currency, aggregate: sum}\n"
            "  marketing_cost: {<<: *money}\n"
        },
        kpi_yaml="data: data.csv\n",
        data=DATA,
    )
    ws = kpiengine.load_workspace(root)
    assert not ws.errors and ws.variables["marketing_cost"].unit_text == "currency"


@pytest.mark.parametrize(
    ("defs", "where"),
    [
        ("a: &r [*r]\n", "d.yaml:1:4"),
        ("variables:\n  x: {unit: currency, description: " + "9" * 5000 + "}\n", "d.yaml:2:"),
    ],
)
def test_hostile_definitions_stop_with_their_position(write_workspace, defs, where):
    root = write_workspace({"d": defs})
    code, output = run("lint", "-w", root)
    assert code == 2 and where in output


# --- targets ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "{2024-02-30: 0.1}",
        "{9999-12: 0.1}",
        ".inf",
        ".nan",
        "{2024-06: .nan}",
        "{annual: {9999: 1}}",
    ],
)
def test_impossible_targets_are_findings(write_workspace, target):
    root = write_workspace({"d": DEFS + f"    target: {target}\n"}, "data: data.csv\n", DATA)
    ws = kpiengine.load_workspace(root)
    assert [f.code for f in ws.errors] == ["KPI003"]
    code, output = run("eval", "-w", root)
    assert code == 1 and "KPI003" in output


# --- source mappings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ("{column: revenue, scale: abc}", "`scale` must be a finite, non-zero number"),
        ("{column: revenue, scale: [1]}", "`scale` must be a finite, non-zero number"),
        ("{column: revenue, scale: 1e999}", "`scale` must be a finite, non-zero number"),
        ("{column: revenue, scale: 0}", "`scale` must be a finite, non-zero number"),
        ("{count: 1}", "`count` is `true` or a column name"),
        ("{count: [revenue]}", "`count` is `true` or a column name"),
        ("{count: true, where: {channel: {a: b}}}", "`channel` holds a nested value"),
        ("{count: true, where: {channel: [[a]]}}", "`channel` holds a nested value"),
        ("{count: true, where: {channel: []}}", "`channel` holds nothing"),
        ("{count: true, where: [channel]}", "`where` maps columns"),
        ("{column: [revenue]}", "`column` must be a column name"),
    ],
)
def test_bad_mappings_are_usage_errors_at_their_position(tmp_path, mapping, message):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "d.csv").write_text("date,channel,revenue\n2024-01-05,a,1\n")
    (root / "kpi.yaml").write_text(
        f"sources:\n  s:\n    connector: csv\n    path: d.csv\n    map:\n      revenue: {mapping}\n"
    )
    code, output = run("eval", "-w", root)
    assert code == 2 and message in output and "kpi.yaml:6:" in output


def test_a_where_value_may_be_a_number_or_a_list(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "d.csv").write_text("date,stage,revenue\n2024-01-05,1,5\n2024-01-06,2,7\n")
    (root / "kpi.yaml").write_text(
        "sources:\n  s:\n    connector: csv\n    path: d.csv\n    map:\n"
        "      revenue: {column: revenue, where: {stage: 1}}\n"
    )
    results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["sales_revenue"])
    assert results.kpis["sales_revenue"].values[0, 0] == 5


# --- malformed database URLs and files ----------------------------------------------------------


def test_a_malformed_database_url_is_a_message(tmp_path: Path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "kpi.yaml").write_text(
        "sources:\n  db:\n    connector: sql\n    url: postgresql://kpi:x@[::1:1/db\n"
        "    table: deals\n"
    )
    code, output = run("eval", "-w", root)
    assert code == 2 and "kpi.yaml:4:" in output and "malformed" in output


def test_a_broken_kpi_asked_for_shows_its_finding(write_workspace):
    broken = DEFS + "  conv:\n    title: c\n    formula: revenue +\n    unit: ratio\n"
    root = write_workspace({"d": broken}, "data: data.csv\nkpis: [conv]\n", DATA)
    code, output = run("eval", "-w", root)
    assert code == 2 and "the definition of `conv` has errors" in output
    assert "KPI005" in output and "unknown KPI" not in output


# --- negative counts and costs ------------------------------------------------------------------

NEGATIVE = """\
date,channel,sessions,conversions,marketing_cost,revenue
2024-01-05,a,100,5,50,300
2024-01-06,b,-120,3,40,-20
2024-02-05,a,90,4,-60,200
2024-02-06,b,80,2,30,100
"""


def test_negative_counts_and_costs_are_findings(tmp_path):
    from kpiengine.engine import Engine

    (tmp_path / "neg.csv").write_text(NEGATIVE)
    report = Engine(kpiengine.load_workspace(None)).lint(tmp_path / "neg.csv", by=["channel"])
    found = {f.details["variable"]: f for f in report.findings if f.code == "KPI311"}
    assert set(found) == {"sessions", "marketing_cost"}  # negative revenue is a refund: fine
    assert found["sessions"].severity == "error"
    assert "`sessions` is -20 in 2024-01 (and 1 more cells)" in found["sessions"].message
    assert found["marketing_cost"].severity == "warning"
    assert found["sessions"].location is not None


def test_positive_data_has_no_negative_finding(tmp_path):
    from kpiengine.engine import Engine

    (tmp_path / "pos.csv").write_text(NEGATIVE.replace(",-", ","))
    report = Engine(kpiengine.load_workspace(None)).lint(tmp_path / "pos.csv", by=["channel"])
    assert not [f for f in report.findings if f.code == "KPI311"]


# --- command-line numbers and odd formulas ---------------------------------------------------


@pytest.fixture
def shop(write_workspace):
    return write_workspace({"d": DEFS}, "data: data.csv\n", DATA)


@pytest.mark.parametrize(
    "args",
    [
        ["solve", "roi", "--target", "nan"],
        ["solve", "roi", "--target", "inf"],
        ["solve", "roi", "--target", "-inf"],
        ["solve", "roi", "--target", "1e400"],
        ["plan", "roi", "--target", "nan"],
        ["plan", "sales_revenue", "--annual", "nan"],
        ["plan", "sales_revenue", "--annual", "inf"],
        ["plan", "sales_revenue", "--annual", "1000", "--year", "10000"],
        ["plan", "roi", "--target", "0.3", "--given", "revenue=nan"],
        ["plan", "roi", "--target", "0.3", "--given", "revenue=inf"],
    ],
)
def test_non_finite_numbers_on_the_command_line_are_usage_errors(shop, args):
    code, output = run(*args, "-w", shop)
    assert code == 2 and ("finite number" in output or "10000" in output), output


@pytest.mark.parametrize(
    "args",
    [
        ["eval", "--from", "0001-01", "--to", "9999-11"],
        ["eval", "--from", "0001-01", "--to", "9999-12"],
        ["eval", "--period", "9999"],
        ["explain", "roi", "--from", "0001-01", "--to", "9999-11"],
        ["solve", "roi", "--target", "1", "--period", "0001-01"],
    ],
)
def test_periods_at_the_ends_of_the_calendar_are_answered(shop, args):
    code, output = run(*args, "-w", shop)
    assert "Traceback" not in output and code in (0, 1, 2), output
    if code == 2:
        assert "9999" in output or "the data covers" in output, output


@pytest.mark.parametrize(
    "formula",
    [
        "exp(exp(exp(exp(10)))) * revenue / marketing_cost",
        "1e308 * 1e308 * revenue / marketing_cost",
        "1e-320 * revenue / marketing_cost",
        "revenue ** 0.123456789 / marketing_cost ** 0.123456789",
        "(revenue / marketing_cost) ** 1e-300",
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        ["eval"],
        ["lint"],
        ["solve", "roi", "--target", "2"],
        ["drivers", "roi"],
        ["explain", "roi"],
        ["show", "roi"],
    ],
)
def test_odd_formulas_never_crash(write_workspace, formula, command):
    defs = DEFS.replace("(revenue - marketing_cost) / marketing_cost", formula)
    root = write_workspace({"d": defs}, "data: data.csv\n", DATA)
    code, output = run(*command, "-w", root)
    assert code in (0, 1, 2) and "Traceback" not in output


def test_a_report_on_odd_formulas_is_written(write_workspace, tmp_path):
    defs = DEFS.replace(
        "(revenue - marketing_cost) / marketing_cost", "1e308 * 1e308 * revenue / marketing_cost"
    )
    root = write_workspace({"d": defs}, "data: data.csv\n", DATA)
    code, output = run("report", "-w", root, "-o", tmp_path / "r.html")
    assert code in (0, 1) and (tmp_path / "r.html").exists(), output
