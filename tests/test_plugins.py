"""The plugin system: built-ins, an installed third-party package, workspace plugins, failures."""

import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import kpiengine
from kpiengine import hookspecs
from kpiengine.cli import cli
from kpiengine.errors import KpiError
from kpiengine.plugins import PluginManager, make_plugin_manager, registered

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "newsletter-plugin"
CAMPAIGNS = [
    {"sent_at": "2024-06-03T09:00:00", "list": "Students", "sent": 1200, "opens": 480},
    {"sent_at": "2024-06-17T09:00:00", "list": "Students", "sent": 1300, "opens": 390},
    {"sent_at": "2024-06-20T09:00:00", "list": "Prospects", "sent": 800, "opens": 120},
    {"sent_at": "2024-07-01T09:00:00", "list": "Students", "sent": 1250, "opens": 500},
]
NEWSLETTER_DEFS = """\
variables:
  emails_sent: {unit: emails}
  email_opens: {unit: opens}
kpis:
  open_rate: {title: Open rate, formula: email_opens / emails_sent, unit: opens / emails}
"""


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory):
    """The example package from examples/, installed by pip into a throwaway folder (the
    running environment is left as it is)."""
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    shutil.copytree(EXAMPLE, build / "src", ignore=shutil.ignore_patterns("build", "*.egg-info"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "install", "--no-deps", "--no-build-isolation", "--target", str(target)]
        + [str(build / "src")],
        check=True,
        capture_output=True,
    )
    return target


@pytest.fixture
def example_plugin(installed_plugin, monkeypatch):
    """The example package importable, and its entry point visible, for one test."""
    monkeypatch.syspath_prepend(str(installed_plugin))
    yield
    sys.modules.pop("kpiengine_newsletter", None)


def newsletter_workspace(write_workspace, extra_sources=""):
    root = write_workspace(
        {"mail": NEWSLETTER_DEFS},
        kpi_yaml=f"""\
        sources:
          mail:
            connector: newsletter_json
            path: campaigns.json
            map: {{emails_sent: sent, email_opens: opens}}
        {extra_sources}
        """,
    )
    (root / "campaigns.json").write_text(json.dumps(CAMPAIGNS))
    return root


def test_third_party_package_is_discovered_and_used(example_plugin, write_workspace):
    found = registered(make_plugin_manager(), "register_connectors")
    assert found["newsletter_json"].origin == "package kpiengine-newsletter"
    root = newsletter_workspace(write_workspace)
    results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["open_rate"], by=["list"])
    june = results.labels.index("2024-06")
    sent = sum(c["sent"] for c in CAMPAIGNS if c["sent_at"].startswith("2024-06"))
    opens = sum(c["opens"] for c in CAMPAIGNS if c["sent_at"].startswith("2024-06"))
    assert results.kpis["open_rate"].values[june, 0] == pytest.approx(opens / sent)
    students = results.table.segments.index({"list": "Students"})
    assert results.kpis["open_rate"].values[june, students] == pytest.approx(870 / 2500)


def test_kpi_connectors_lists_origins(example_plugin):
    result = CliRunner().invoke(cli, ["connectors", "--format", "json"])
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["csv"]["origin"] == "built-in"
    assert rows["newsletter_json"]["origin"] == "package kpiengine-newsletter"
    assert rows["newsletter_json"]["options"][0]["name"] == "path"


PLUGIN = """\
import numpy as np
from kpiengine import Connector, Frame, hookimpl


class Constant(Connector):
    name = "{name}"
    description = "one value a day"

    def provides(self):
        return {{"revenue"}}

    def fetch(self, request):
        {body}
        days = np.arange("2024-01-01", "2024-03-01", dtype="datetime64[D]")
        return Frame(days, {{}}, {{"revenue": np.full(len(days), 2.0)}})


@hookimpl
def {hook}(register):
    register(Constant)
"""


def workspace_plugin(root, name="constant", body="pass", hook="register_connectors"):
    (root / "plugins").mkdir(exist_ok=True)
    path = root / "plugins" / f"{name}.py"
    path.write_text(PLUGIN.format(name=name, body=body, hook=hook))
    return path


def test_workspace_plugin_file(write_workspace):
    root = write_workspace(kpi_yaml="sources:\n  c: {connector: constant}\n")
    path = workspace_plugin(root)
    assert registered(make_plugin_manager(root), "register_connectors")["constant"].origin == str(
        path
    )
    results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["sales_revenue"])
    assert results.kpis["sales_revenue"].values[:, 0].tolist() == [62.0, 58.0]  # 31 and 29 days


def test_workspace_plugin_replaces_a_builtin(write_workspace):
    root = write_workspace()
    workspace_plugin(root, name="csv")
    assert registered(make_plugin_manager(root), "register_connectors")["csv"].origin.endswith(
        "csv.py"
    )


def test_misspelt_hook_names_the_plugin(write_workspace):
    root = write_workspace()
    workspace_plugin(root, hook="register_conectors")
    with pytest.raises(KpiError) as info:
        make_plugin_manager(root)
    message = str(info.value)
    assert "workspace:constant.py" in message and "register_conectors" in message
    assert "did you mean `register_connectors`" in message


def test_failing_plugin_leaves_other_sources_alone(write_workspace):
    root = write_workspace(
        kpi_yaml="""\
        data: data.csv
        sources:
          broken: {connector: constant}
        choose: {revenue: broken}
        """,
        data="date,marketing_cost\n2024-01-05,10\n",
    )
    workspace_plugin(root, body="raise RuntimeError('API quota exceeded')")
    ws = kpiengine.load_workspace(root)
    results = kpiengine.evaluate(ws, kpis=["roi"])
    [record] = results.records()
    assert record["value"] is None
    assert record["reason"] == "no data for `revenue` (source `broken` failed) in 2024-01"
    failed = [f for f in results.findings if f.code == "KPI012"]
    assert failed and "source `broken`" in failed[0].message
    assert "API quota exceeded" in failed[0].message and "constant.py" in failed[0].message
    assert [s.error is not None for s in results.sources if s.name == "broken"] == [True]


def test_a_variable_from_two_sources_needs_choose(write_workspace):
    root = write_workspace(
        kpi_yaml="data: data.csv\nsources:\n  c: {connector: constant}\n",
        data="date,revenue,marketing_cost\n2024-01-05,10,5\n",
    )
    workspace_plugin(root)
    with pytest.raises(KpiError, match="provided by sources") as info:
        kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["roi"])
    assert "choose" in info.value.fix
    (root / "kpi.yaml").write_text(
        "data: data.csv\nsources:\n  c: {connector: constant}\nchoose: {revenue: data}\n"
    )
    results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["roi"])
    assert results.kpis["roi"].values[0, 0] == pytest.approx(1.0)


def test_unknown_connector_lists_installed(write_workspace):
    root = write_workspace(kpi_yaml="sources:\n  s: {connector: csvv, path: x.csv}\n")
    with pytest.raises(KpiError) as info:
        kpiengine.evaluate(kpiengine.load_workspace(root))
    assert "unknown connector `csvv`; did you mean `csv`?" in str(info.value)
    assert "installed: " in str(info.value) and "kpi.yaml:2:" in str(info.value)


def test_plugins_can_add_commands(monkeypatch):
    import click

    class Plugin:
        @staticmethod
        @kpiengine.hookimpl
        def register_commands(cli):
            @cli.command("hello")
            def hello():
                click.echo("hello from a plugin")

    def load_entry_points(self):  # as if an installed package declared the plugin
        self.register(Plugin, name="test-commands")

    monkeypatch.setattr(PluginManager, "load_entry_points", load_entry_points)
    monkeypatch.setattr(sys, "argv", ["kpi", "hello"])
    from kpiengine.cli import main

    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 0
    cli.commands.pop("hello")


def test_every_hook_is_documented_and_tested():
    """datasette's rule: each hookspec has a docstring, a section in docs/plugin_hooks.md with
    its signature, and a test that implements it."""
    tree = ast.parse(Path(hookspecs.__file__).read_text())
    hooks = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    tests = "".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    docs = (Path(__file__).resolve().parents[1] / "docs" / "plugin_hooks.md").read_text()
    headings = re.findall(r"^## (\w+)$", docs, re.M)
    assert sorted(headings) == sorted(h.name for h in hooks)
    for hook in hooks:
        assert ast.get_docstring(hook), hook.name
        section = docs.split(f"## {hook.name}\n", 1)[1].split("\n## ", 1)[0]
        assert f"{hook.name}(" in section and "@hookimpl" in section, hook.name
        implemented = rf"def {hook.name}\(|hook=\"{hook.name}\""
        assert re.search(implemented, tests), f"no test implements {hook.name}"


def test_plugins_prepare_the_report_environment(write_workspace):
    root = write_workspace(kpi_yaml="data: data.csv\n", data="date,revenue\n2024-01-05,10\n")
    (root / "plugins").mkdir()
    (root / "plugins" / "shout.py").write_text(
        "from kpiengine import hookimpl\n\n\n"
        "@hookimpl\n"
        "def prepare_jinja2_environment(env):\n"
        "    env.filters['shout'] = lambda text: str(text).upper() + '!'\n"
    )
    (root / "templates").mkdir()
    (root / "templates" / "report.md.j2").write_text(
        '{% extends "default:report.md.j2" %}{% block title %}{{ "quarterly" | shout }}'
        "{% endblock %}"
    )
    from kpiengine.report import render_report

    ws = kpiengine.load_workspace(root)
    text = render_report(kpiengine.evaluate(ws, kpis=["sales_revenue"]), fmt="md")
    assert "QUARTERLY!" in text
