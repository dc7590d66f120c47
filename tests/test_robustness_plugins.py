"""Plugins are trusted code, but their bugs are isolated: a connector that raises (SystemExit
too), hangs, or answers with something that is not a well-formed Frame is a KPI012 finding naming
it, and the run goes on with the other sources; a check that fails is a KPI200 finding."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from click.testing import CliRunner

import kpiengine
from kpiengine.checks.base import Check
from kpiengine.checks.context import CheckContext
from kpiengine.checks.runner import run_check
from kpiengine.cli import cli
from kpiengine.engine import Engine

DEFS = """\
variables:
  revenue: {unit: currency}
  marketing_cost: {unit: currency}
kpis:
  spend:
    title: Spend
    formula: marketing_cost
    unit: currency
  yield_ratio:
    title: Yield
    formula: revenue / marketing_cost
    unit: ratio
"""
KPI_YAML = """\
sources:
  costs:
    connector: csv
    path: costs.csv
  odd:
    connector: odd
    timeout: {timeout}
    map: {{revenue: revenue}}
"""
PLUGIN = """\
import datetime as dt
import sys
import time

import numpy as np

from kpiengine import Connector, Frame, hookimpl

DATES = np.array(["2024-01-05", "2024-02-05"], dtype="datetime64[D]")


class Odd(Connector):
    name = "odd"
{body}


@hookimpl
def register_connectors(register):
    register(Odd)
"""

FETCH = "    def fetch(self, request):\n        {}\n"
CASES = {
    "SystemExit(0)": FETCH.format("raise SystemExit(0)"),
    "sys.exit()": FETCH.format("sys.exit()"),
    "a BaseException": FETCH.format("raise BaseException('odd')"),
    "RuntimeError": FETCH.format("raise RuntimeError('boom')"),
    "a list": FETCH.format("return [1, 2]"),
    "None": FETCH.format("return None"),
    "string values": FETCH.format(
        "return Frame(DATES, {}, {'revenue': np.array(['1', 'x'], dtype=object)})"
    ),
    "NaT dates": FETCH.format(
        "return Frame(np.array(['2024-01-05', 'NaT'], dtype='datetime64[D]'), {}, "
        "{'revenue': np.array([1.0, 2.0])})"
    ),
    "2-D values": FETCH.format("return Frame(DATES, {}, {'revenue': np.ones((2, 3))})"),
    "2-D dimension": FETCH.format(
        "return Frame(DATES, {'channel': np.ones((2, 2))}, {'revenue': np.ones(2)})"
    ),
    "a bad span": FETCH.format("return Frame(DATES, {}, {'revenue': np.ones(2)}, span=('a', 'b'))"),
    "infinite values": FETCH.format(
        "return Frame(DATES, {}, {'revenue': np.array([np.inf, 2.0])})"
    ),
    "a hang": FETCH.format("time.sleep(5)"),
    "__init__ raising": "    def __init__(self, config):\n        raise ValueError('init')\n",
    "provides() raising": "    def provides(self):\n        raise KeyError('provides')\n",
    "provides() returning None": "    def provides(self):\n        return None\n",
    "dimensions() raising": "    def dimensions(self):\n        raise SystemExit(3)\n",
}


def workspace(write_workspace, body: str, timeout: float = 600):
    root = write_workspace({"d": DEFS}, KPI_YAML.format(timeout=timeout))
    (root / "costs.csv").write_text("date,marketing_cost\n2024-01-05,80\n2024-02-05,90\n")
    (root / "plugins").mkdir()
    (root / "plugins" / "odd.py").write_text(PLUGIN.format(body=body))
    return root


@pytest.mark.parametrize("case", list(CASES))
def test_a_broken_connector_is_isolated(write_workspace, case):
    root = workspace(write_workspace, CASES[case], timeout=0.5 if case == "a hang" else 600)
    result = CliRunner().invoke(cli, ["eval", "-w", str(root), "--format", "json"])
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), repr(result.exception)
    assert result.exit_code == 1, result.output
    assert "KPI012" in result.stderr and "source `odd` (connector `odd`" in result.stderr
    assert "odd.py" in result.stderr  # where the plugin comes from
    spend = [r for r in __import__("json").loads(result.stdout) if r["kpi"] == "spend"]
    assert [r["value"] for r in spend] == [80, 90]  # the other source was used


def test_a_hang_is_reported_with_the_timeout(write_workspace):
    root = workspace(write_workspace, CASES["a hang"], timeout=0.2)
    results = Engine(kpiengine.load_workspace(root)).evaluate(kpis=["spend", "yield_ratio"])
    [finding] = [f for f in results.findings if f.code == "KPI012"]
    assert "did not answer within 0.2 s" in finding.message


def test_a_keyboard_interrupt_still_stops_the_run(write_workspace):
    root = workspace(write_workspace, FETCH.format("raise KeyboardInterrupt"))
    with pytest.raises(KeyboardInterrupt):
        Engine(kpiengine.load_workspace(root)).evaluate(kpis=["spend", "yield_ratio"])


def test_a_timeout_must_be_a_positive_number(write_workspace):
    root = workspace(write_workspace, CASES["RuntimeError"], timeout=0)
    result = CliRunner().invoke(cli, ["eval", "-w", str(root)])
    assert result.exit_code == 2 and "`timeout` is the seconds a source may take" in result.output


def test_a_good_plugin_connector_still_works(write_workspace):
    body = FETCH.format("return Frame(DATES, {}, {'revenue': np.array([100.0, 99.0])})")
    root = workspace(write_workspace, body)
    results = Engine(kpiengine.load_workspace(root)).evaluate(kpis=["yield_ratio"])
    assert np.allclose(results.kpis["yield_ratio"].values[:, 0], [1.25, 1.1])
    assert not results.findings


@pytest.mark.parametrize(
    "body",
    [
        "raise SystemExit(0)",
        "yield 'not a finding'",
        "yield None",
        "return 42",
    ],
)
def test_a_broken_check_is_a_kpi200(write_workspace, body):
    source = f"def run(self, context):\n    {body}\n"
    namespace: dict = {}
    exec(textwrap.dedent(source), namespace)  # noqa: S102 - a test building a check class
    odd = type(
        "Odd", (Check,), {"code": "KPI991", "title": "odd", "fix": "none", "run": namespace["run"]}
    )
    ws = kpiengine.load_workspace(write_workspace({"d": DEFS}))
    [finding] = run_check(odd, CheckContext(ws, []), "test plugin")
    assert finding.code == "KPI200" and "KPI991" in finding.message
    assert "test plugin" in finding.message


def test_a_plugin_file_calling_exit_is_a_message(write_workspace):
    root = write_workspace({"d": DEFS})
    (root / "plugins").mkdir()
    (root / "plugins" / "bye.py").write_text("import sys\nsys.exit(0)\n")
    result = CliRunner().invoke(cli, ["eval", "-w", str(root)])
    assert result.exit_code == 2 and "plugin failed to load: SystemExit" in result.output


def test_a_lone_source_failing_is_named_not_taken_for_missing_data(write_workspace):
    root = write_workspace({"d": DEFS}, "sources:\n  odd:\n    connector: odd\n")
    (root / "plugins").mkdir()
    (root / "plugins" / "odd.py").write_text(PLUGIN.format(body=CASES["dimensions() raising"]))
    result = CliRunner().invoke(cli, ["eval", "-w", str(root)])
    assert result.exit_code == 2
    assert "no KPI can be evaluated: source `odd` (connector `odd`" in result.output
    assert "`dimensions()` raised SystemExit" in result.output
    assert "the data provides none" not in result.output  # the failure is why, not the data


def test_a_broken_installed_plugin_leaves_the_others_loaded(write_workspace, monkeypatch, tmp_path):
    from importlib.metadata import EntryPoint

    import kpiengine.plugins

    package = tmp_path / "pkgs"
    package.mkdir()
    body = FETCH.format("return Frame(DATES, {}, {'revenue': np.array([100.0, 99.0])})")
    (package / "kpi_odd_plugin.py").write_text(PLUGIN.format(body=body))
    monkeypatch.syspath_prepend(str(package))
    points = [
        EntryPoint("broken", "kpi_no_such_module_xyz", "kpiengine"),
        EntryPoint("odd", "kpi_odd_plugin", "kpiengine"),
    ]
    monkeypatch.setattr(kpiengine.plugins.entrypoints, "entry_points", lambda group: points)
    root = write_workspace({"d": DEFS}, KPI_YAML.format(timeout=600))
    (root / "costs.csv").write_text("date,marketing_cost\n2024-01-05,80\n2024-02-05,90\n")
    results = Engine(kpiengine.load_workspace(root)).evaluate(kpis=["yield_ratio"])
    assert np.allclose(results.kpis["yield_ratio"].values[:, 0], [1.25, 1.1])
    engine = Engine(kpiengine.load_workspace(root))
    assert "installed plugin `broken` failed to load" in engine.plugins.broken["broken"]
