"""The generated JSON Schema: committed and current, accepts shipped files, rejects bad keys."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from kpiengine import jsonschema as gen
from kpiengine.errors import KpiError
from kpiengine.model import FORMATS
from kpiengine.schema import KPI_KEYS
from kpiengine.workspace import SETTINGS_KEYS, load_workspace

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schema"
INVALID = ROOT / "tests" / "fixtures" / "schema"
SKIP = ("build", ".egg-info", "interop", "fixtures/schema")  # copies, other formats, invalid


def _load(name: str) -> dict:
    return json.loads((SCHEMA / name).read_text(encoding="utf-8"))


def _validator(kind: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(_load(gen.FILES[kind]))


def _as_json(path: Path) -> object:
    """A YAML file as an editor's language server sees it: keys as text, dates as text."""
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))


def _files(pattern: str) -> list[Path]:
    found = sorted(ROOT.glob(pattern))
    return [p for p in found if not any(s in str(p.relative_to(ROOT)) for s in SKIP)]


def test_committed_files_are_the_generated_ones() -> None:
    assert gen.stale(SCHEMA) == [], "run: python -m kpiengine.jsonschema"
    for name, value in gen.schemas().items():
        assert _load(name) == value


def test_check_command_notices_a_stale_file(tmp_path: Path, capsys) -> None:
    assert gen.main([str(tmp_path), "--check"]) == 1
    assert gen.main([str(tmp_path)]) == 0
    assert gen.main([str(tmp_path), "--check"]) == 0
    (tmp_path / gen.FILES["kpi"]).write_text("{}\n", encoding="utf-8")
    assert gen.main([str(tmp_path), "--check"]) == 1
    assert "kpi.schema.json is out of date" in capsys.readouterr().out


def test_schemas_are_valid_json_schema() -> None:
    for name in gen.FILES.values():
        jsonschema.Draft202012Validator.check_schema(_load(name))


def test_keys_come_from_the_loaders() -> None:
    kpi = _load(gen.FILES["definitions"])["$defs"]["kpi"]
    assert list(kpi["properties"]) == list(KPI_KEYS)
    assert kpi["properties"]["format"]["enum"] == list(FORMATS)
    assert list(_load(gen.FILES["kpi"])["properties"]) == list(SETTINGS_KEYS)


def test_a_key_without_a_shape_takes_any_value() -> None:
    out = gen._object(("known", "new_key"), {"known": gen.TEXT})
    assert out["properties"]["new_key"] == {}
    jsonschema.validate({"new_key": [1, {"a": 2}]}, out)


LIBRARY = _files("definitions/*.yaml")
DEFINITIONS = _files("examples/**/definitions/*.yaml") + _files(
    "tests/fixtures/**/definitions/*.yaml"
)
SETTINGS = _files("examples/**/kpi.yaml") + _files("tests/fixtures/**/kpi.yaml")


def test_found_the_files() -> None:
    assert len(LIBRARY) >= 7
    assert ROOT / "examples/sample/definitions/course.yaml" in DEFINITIONS
    assert ROOT / "examples/sample/kpi.yaml" in SETTINGS


@pytest.mark.parametrize("path", LIBRARY + DEFINITIONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_definitions_validate(path: Path) -> None:
    errors = [e.message for e in _validator("definitions").iter_errors(_as_json(path))]
    assert errors == []


@pytest.mark.parametrize("path", SETTINGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_settings_validate(path: Path) -> None:
    errors = [e.message for e in _validator("kpi").iter_errors(_as_json(path))]
    assert errors == []


def test_sample_points_editors_at_the_schema() -> None:
    for path, name in (
        (ROOT / "examples/sample/kpi.yaml", "kpi"),
        (ROOT / "examples/sample/definitions/course.yaml", "definitions"),
    ):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        prefix = "# yaml-language-server: $schema="
        assert first.startswith(prefix)
        assert (path.parent / first.removeprefix(prefix)).resolve() == SCHEMA / gen.FILES[name]


def _loader_rejects(kind: str, path: Path, tmp_path: Path) -> bool:
    """Whether loading a workspace with this file reports an error (the independent oracle)."""
    target = tmp_path / ("kpi.yaml" if kind == "kpi" else f"definitions/{path.name}")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, target)
    try:
        return bool(load_workspace(tmp_path).errors)
    except KpiError:
        return True


@pytest.mark.parametrize(
    "kind,path",
    [(k, p) for k in ("definitions", "kpi") for p in sorted((INVALID / k).glob("*.yaml"))],
    ids=lambda v: getattr(v, "stem", v),
)
def test_schema_errors_fail_validation(kind: str, path: Path, tmp_path: Path) -> None:
    assert list(_validator(kind).iter_errors(_as_json(path)))
    assert _loader_rejects(kind, path, tmp_path)


def test_invalid_fixtures_exist() -> None:
    assert len(list((INVALID / "definitions").glob("*.yaml"))) >= 5
    assert len(list((INVALID / "kpi").glob("*.yaml"))) >= 5


def test_package_data_ships_the_generated_schemas(tmp_path: Path, capsys) -> None:
    """`kpi schema` reads the schemas installed with the package (`kpiengine.schema_files`),
    which are the committed files, which are the generated ones."""
    from click.testing import CliRunner

    from kpiengine.cli import cli
    from kpiengine.resources import schema_file

    runner = CliRunner()
    for kind, name in gen.FILES.items():
        generated = gen.render(gen.schemas()[name])
        installed = schema_file(name)
        assert installed.read_text(encoding="utf-8") == generated
        printed = runner.invoke(cli, ["schema", kind])
        assert printed.exit_code == 0 and printed.output == generated
        located = runner.invoke(cli, ["schema", kind, "--path"])
        assert Path(located.output.strip()) == installed
        assert gen.main(["--print", kind]) == 0
        assert capsys.readouterr().out == generated
    copied = runner.invoke(cli, ["schema", "-o", str(tmp_path / ".vscode")])
    assert copied.exit_code == 0, copied.output
    assert sorted(p.name for p in (tmp_path / ".vscode").iterdir()) == sorted(gen.FILES.values())
    assert runner.invoke(cli, ["schema"]).exit_code == 2  # which one: a usage error
