"""The shape of the code: no import cycle, a pure core, one plugin manager per run, one registry.

The import graph is read with `ast` from every module of `kpiengine/` and `connectors/`,
counting every import (top level, inside functions, and under `if TYPE_CHECKING:`).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import kpiengine
from kpiengine.checks.base import Check
from kpiengine.cli import cli
from kpiengine.engine import Engine
from kpiengine.plugins import DEFAULT_PLUGINS, PluginManager
from kpiengine.sarif import to_sarif

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"kpiengine": ROOT / "kpiengine", "kpiengine.connectors": ROOT / "connectors"}
CODE = re.compile(r"^KPI\d{3}$")


def _modules() -> dict[str, Path]:
    out = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join([package, *parts])] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The kpiengine modules `name` imports anywhere in its file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from package import module` imports the module; `from module import name` the module
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                for alias in node.names
            ]
        else:
            continue
        found |= {t for t in targets if t in MODULES and t != name}
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _closure(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for dep in GRAPH[todo.pop()]:
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def _package_of(module: str) -> str:
    """A module imports its package's `__init__` first: count that edge too."""
    return module.rpartition(".")[0]


def test_no_import_cycle():
    for name in MODULES:
        deps = GRAPH[name] | {p for p in [_package_of(name)] if p in MODULES and p != name}
        for dep in deps:
            assert name not in _closure(dep) or dep == _package_of(name), (
                f"import cycle: {name} -> {dep} -> ... -> {name}"
            )


def test_the_evaluation_is_pure():
    reached = _closure("kpiengine.evaluation") | {"kpiengine.evaluation"}
    for impure in ("sources", "plugins", "workspace", "engine", "filescan", "runcache"):
        assert f"kpiengine.{impure}" not in reached, impure
    assert not any(m.startswith("kpiengine.connectors") for m in reached)
    text = (ROOT / "kpiengine" / "evaluation.py").read_text()
    assert "duckdb" not in text


def test_analysis_never_fetches_or_writes():
    analysis = [m for m in MODULES if m.startswith("kpiengine.analysis")]
    reached = set().union(*(_closure(m) for m in analysis))
    for impure in ("sources", "plugins", "workspace", "engine", "writeback", "filescan"):
        assert f"kpiengine.{impure}" not in reached, impure
    assert not any(m.startswith("kpiengine.terminal") for m in reached)


def test_evaluation_imports_no_database_at_run_time():
    code = "import sys, kpiengine.evaluation, kpiengine.plan; print(sorted(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout.replace("'", '"')))
    assert not {"duckdb", "kpiengine.sources", "kpiengine.plugins"} & loaded


def test_checks_base_imports_nothing_of_the_engine_but_findings():
    assert GRAPH["kpiengine.checks.base"] <= {"kpiengine.errors"}


def test_default_plugins_are_every_public_builtin_module():
    """No package scanning: the tuple names the built-ins, and every built-in is in it."""
    registering = {
        name
        for name, path in MODULES.items()
        if re.search(r"^@hookimpl.*\ndef register_(connectors|checks)\(", path.read_text(), re.M)
    }
    assert registering == set(DEFAULT_PLUGINS)


# --- one plugin manager per run ----------------------------------------------------------------

COUNTING_PLUGIN = """\
from pathlib import Path

with open(Path(__file__).with_name("loads.txt"), "a") as log:
    log.write("loaded\\n")
"""


@pytest.mark.parametrize("command", [["report", "-o", "out.html"], ["lint"], ["eval"]])
def test_a_workspace_plugin_runs_once_per_command(write_workspace, command):
    root = write_workspace(kpi_yaml="data: data.csv\n", data=_DATA)
    (root / "plugins").mkdir()
    (root / "plugins" / "counting.py").write_text(COUNTING_PLUGIN)
    kpi = Path(sys.executable).with_name("kpi")
    runner = [str(kpi)] if kpi.exists() else [sys.executable, "-m", "kpiengine.cli"]
    result = subprocess.run(
        [*runner, *command, "--workspace", str(root)],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    assert (root / "plugins" / "loads.txt").read_text().splitlines() == ["loaded"]


def test_the_engine_builds_its_plugin_manager_once(write_workspace, monkeypatch):
    built = []
    original = PluginManager.__init__

    def counting(self):
        built.append(self)
        original(self)

    monkeypatch.setattr(PluginManager, "__init__", counting)
    root = write_workspace(kpi_yaml="data: data.csv\n", data=_DATA)
    result = CliRunner().invoke(cli, ["report", "--workspace", str(root), "-o", str(root / "r.md")])
    assert result.exit_code in (0, 1), result.output
    assert len(built) == 1


_DATA = "date,revenue,marketing_cost\n2024-01-05,100,80\n2024-02-05,120,90\n2024-03-05,90,70\n"


# --- one registry of finding codes -------------------------------------------------------------


def _registry() -> list:
    return Engine(kpiengine.load_workspace(None)).checks


def test_every_code_is_registered_once():
    codes = [item.obj.code for item in _registry()]
    assert len(codes) == len(set(codes))
    assert all(CODE.match(c) for c in codes)
    for item in _registry():
        check = item.obj
        assert check.title and check.fix and check.severity in ("error", "warning", "info")
        assert check.stage in ("load", "static", "data")


def test_no_code_is_written_outside_its_check():
    """A finding code appears once in the source: as the `code` of its check class."""
    places: dict[str, list[str]] = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        owned = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if (
                        isinstance(item, ast.Assign)
                        and [getattr(t, "id", None) for t in item.targets] == ["code"]
                        and isinstance(item.value, ast.Constant)
                    ):
                        owned.add(id(item.value))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and CODE.match(str(node.value)):
                where = "code" if id(node) in owned else "elsewhere"
                places.setdefault(str(node.value), []).append(f"{name} ({where})")
    registered = {item.obj.code for item in _registry()}
    assert set(places) == registered
    for found in places.values():
        assert len(found) == 1 and found[0].endswith("(code)"), found


def _readme_table() -> dict[str, list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Finding codes") :]
    section = section[: section.index("\n## ", 4)]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and CODE.match(cells[0]):
            rows[cells[0]] = cells
    return rows


def test_readme_table_is_the_registry():
    rows = _readme_table()
    registry = {item.obj.code: item.obj for item in _registry()}
    assert set(rows) == set(registry)
    for code, check in registry.items():
        severity, stage, title = rows[code][1:4]
        assert (severity, stage, title) == (check.severity, check.stage, check.title), code


def test_sarif_rules_are_the_registry(write_workspace):
    report = Engine(kpiengine.load_workspace(write_workspace())).lint()
    rules = to_sarif(report)["runs"][0]["tool"]["driver"]["rules"]
    registry = {item.obj.code: item.obj for item in _registry()}
    assert [r["id"] for r in rules] == sorted(registry)
    for rule in rules:
        check = registry[rule["id"]]
        assert rule["shortDescription"]["text"] == check.title
        assert rule["properties"]["stage"] == check.stage


def test_list_checks_prints_the_registry():
    result = CliRunner().invoke(cli, ["lint", "--list-checks", "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [r["code"] for r in listed] == sorted(item.obj.code for item in _registry())


def test_a_check_that_yields_something_else_is_isolated(write_workspace):
    class Odd(Check):
        code = "KPI990"
        title = "yields a string"
        fix = "none"

        def run(self, context):
            yield "not a finding"

    from kpiengine.checks.context import CheckContext
    from kpiengine.checks.runner import run_check

    ws = kpiengine.load_workspace(write_workspace())
    [finding] = run_check(Odd, CheckContext(ws, []), "test")
    assert finding.code == "KPI200" and "KPI990" in finding.message


def test_every_module_is_small_or_says_why():
    for name, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) > 420 and name.startswith("kpiengine.") and ".connectors" not in name:
            head = "\n".join(lines[:15]).lower()
            assert "longer than" in head, (name, len(lines))
