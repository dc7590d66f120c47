"""Packaging: the built wheel works on its own, outside the checkout, with its data files.

The wheel is built from a copy of the working tree (so no build/ or *.egg-info/ appears in the
checkout), installed with its dependencies (from the package index pip uses) into a fresh,
isolated virtualenv, and run from a folder outside the checkout.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.metadata
import importlib.resources
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "sample"
COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    ".ruff_cache",
    ".venv",
    "tests",
)

#: Checked inside the venv; prints one JSON object.
PROBE = r"""
import importlib, json, sys
import kpiengine, kpiengine.connectors, kpiengine.definitions, kpiengine.sample
import kpiengine.templates
import kpiengine.resources as r

print(json.dumps({
    "prefix": sys.prefix,
    "modules": {
        name: importlib.import_module(name).__file__
        for name in ["kpiengine", "kpiengine.connectors", "kpiengine.definitions",
                     "kpiengine.sample", "kpiengine.templates", "kpiengine.resources"]
    },
    "builtin_definitions": [name for name, _ in r.builtin_definitions()],
    "templates": sorted(e.name for e in r.templates().iterdir()),
    "sample": str(r.sample_workspace()),
    "schemas": {
        name: r.schema_file(name).read_text(encoding="utf-8")
        for name in ("definitions.schema.json", "kpi.schema.json")
    },
    "catalogs": r.catalog_locales(),
    "fa_scorecard": __import__("kpiengine.i18n").i18n.label("scorecard", "fa"),
    "sample_files": sorted(
        str(p.relative_to(r.sample_workspace())) for p in r.sample_workspace().rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ),
}))
"""


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 120) -> str:
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, (
        f"{args} exited {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result.stdout


def _can_build_offline() -> bool:
    """True when this environment has the build backend pyproject.toml asks for."""
    try:
        version = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        return False
    major, minor = (int(part) for part in version.split(".")[:2])
    if (major, minor) >= (70, 1):  # bdist_wheel is part of setuptools from 70.1 on
        return True
    return major >= 68 and importlib.util.find_spec("wheel") is not None


def _build_wheel(tmp_path: Path, env: dict[str, str]) -> Path:
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=COPY_IGNORE)
    out = tmp_path / "wheels"
    command = [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-w", str(out)]
    if _can_build_offline():
        command.append("--no-build-isolation")
    _run(command, cwd=tmp_path, env=env, timeout=300)
    wheels = list(out.glob("kpiengine-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PYTHONNOUSERSITE"] = "1"  # no user site-packages: only the venv and the environment
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _number(text: str) -> float:
    """A number as spreadsheets export it: `1079.41`, `"2.260,36 €"`, `1,234.5`; '' is 0."""
    cleaned = "".join(ch for ch in text if ch.isdigit() or ch in ",.-")
    if not cleaned:
        return 0.0
    if "," in cleaned and cleaned.rfind(",") > cleaned.rfind("."):  # decimal comma
        cleaned = cleaned.replace(".", "").replace(",", ".")
    return float(cleaned.replace(",", ""))


def _sample_settings() -> dict:
    return yaml.safe_load((SAMPLE / "kpi.yaml").read_text(encoding="utf-8")) or {}


def _month_sums_from_data_csv(path: Path, month: str) -> tuple[float, float]:
    """Revenue and marketing cost of `month` (YYYY-MM) from a plain data CSV."""
    revenue = cost = 0.0
    rows = 0
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            if row["date"].startswith(month + "-") or row["date"] == month:
                revenue += _number(row["revenue"])
                cost += _number(row["marketing_cost"])
                rows += 1
    assert rows, f"{path} has no rows for {month}"
    return revenue, cost


def _month_sums_from_exports(settings: dict, month: str) -> tuple[float, float]:
    """Revenue (won CRM deals by close date) and marketing cost (cost sheet) of `month`."""
    sources = settings["sources"]
    costs = sources["costs"]
    cost_column = costs["map"]["marketing_cost"]["column"]
    cost = 0.0
    text = (SAMPLE / costs["path"]).read_text(encoding="utf-8-sig")
    delimiter = max(",;\t", key=text.splitlines()[0].count)
    for row in csv.DictReader(text.splitlines(), delimiter=delimiter):
        day = dt.datetime.strptime(row[costs["date"]].strip(), costs["date_format"])
        if f"{day.year:04d}-{day.month:02d}" == month:
            cost += _number(row[cost_column])
    deals = next(v for v in sources.values() if v.get("connector") == "crm" and "deal" in v["path"])
    revenue = 0.0
    with (SAMPLE / deals["path"]).open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            won = row["Deal Stage"].strip().lower() in ("closed won", "closedwon")
            if won and row["Close Date"].startswith(month):
                revenue += _number(row["Amount"])
    return revenue, cost


def _expected_roi(month: str) -> float:
    """(revenue - marketing_cost) / marketing_cost of the sample in `month`, from its files.

    The sample reads either one data CSV (`data:` in kpi.yaml) or the raw exports of its tools
    (`sources:`); both are read here with the csv module alone.
    """
    settings = _sample_settings()
    if settings.get("data"):
        revenue, cost = _month_sums_from_data_csv(SAMPLE / settings["data"], month)
    else:
        revenue, cost = _month_sums_from_exports(settings, month)
    assert cost, f"no marketing cost in the sample for {month}"
    return (revenue - cost) / cost


def _index_reachable(python: Path, tmp_path: Path, env: dict[str, str]) -> bool:
    """True when pip can fetch a package (here: pyyaml) from its index or its cache."""
    probe = subprocess.run(
        [str(python), "-m", "pip", "download", "--no-deps", "-q", "-d", str(tmp_path / "probe")]
        + ["pyyaml"],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    return probe.returncode == 0


def test_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    env = _clean_env()
    wheel = _build_wheel(tmp_path, env)

    # an isolated venv (no --system-site-packages): the wheel must bring its dependencies
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path, env=env)
    python = venv / "bin" / "python"
    if not _index_reachable(python, tmp_path, env):
        pytest.skip("no package index reachable: the wheel's dependencies cannot be installed")
    _run(
        [str(python), "-m", "pip", "install", "-q", str(wheel)], cwd=tmp_path, env=env, timeout=900
    )
    kpi = venv / "bin" / "kpi"
    assert kpi.exists(), "the wheel installs no `kpi` script"

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    assert ROOT not in outside.parents

    # the imported kpiengine and its data packages are the venv's, not the checkout's
    probe = json.loads(_run([str(python), "-c", PROBE], cwd=outside, env=env))
    assert Path(probe["prefix"]).resolve() == venv.resolve()
    for name, file in probe["modules"].items():
        path = Path(file).resolve()
        assert venv.resolve() in path.parents and "site-packages" in path.parts, (name, file)
        assert ROOT not in path.parents, (name, file)
    assert venv.resolve() in Path(probe["sample"]).resolve().parents

    # every data file of the source tree made it into the wheel
    definitions = sorted(p.name for p in (ROOT / "definitions").glob("*.yaml"))
    assert definitions, "no built-in definitions in the checkout"
    installed = sorted(name.rsplit("/", 1)[-1] for name in probe["builtin_definitions"])
    assert installed == definitions
    templates = sorted(p.name for p in (ROOT / "templates").glob("*.j2"))
    assert set(templates) <= set(probe["templates"])
    sample_files = sorted(
        str(p.relative_to(SAMPLE))
        for p in SAMPLE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )
    missing = sorted(set(sample_files) - set(probe["sample_files"]))
    assert not missing, f"sample files left out of the wheel: {missing}"
    catalogs = sorted(p.parents[1].name for p in ROOT.glob("kpiengine/locales/*/LC_MESSAGES/*.mo"))
    assert probe["catalogs"] == catalogs and "fa" in catalogs  # compiled catalogs are shipped
    assert probe["fa_scorecard"] == "کارنامه"  # read from the installed .mo

    # the JSON Schemas are package data, equal to the committed (generated) files
    for name, text in probe["schemas"].items():
        assert text == (ROOT / "schema" / name).read_text(encoding="utf-8"), name
    printed = _run([str(kpi), "schema", "kpi"], cwd=outside, env=env)
    assert printed == (ROOT / "schema" / "kpi.schema.json").read_text(encoding="utf-8")
    located = Path(
        _run([str(kpi), "schema", "definitions", "--path"], cwd=outside, env=env).strip()
    )
    assert venv.resolve() in located.resolve().parents

    # `kpi list --sample` finds the built-in definitions
    table = _run([str(kpi), "list", "--sample"], cwd=outside, env=env)
    assert "roi" in table.split()
    listed = json.loads(
        _run([str(kpi), "list", "--sample", "--format", "json"], cwd=outside, env=env)
    )
    by_id = {row["kpi"]: row for row in listed}
    assert "roi" in by_id and by_id["roi"]["layer"].startswith("built-in")
    own = set()
    for path in (SAMPLE / "definitions").glob("*.yaml"):
        own |= set((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("kpis") or {})
    for kpi_id in own:  # the sample's own definitions are found too
        assert kpi_id in by_id and by_id[kpi_id]["layer"].startswith("workspace"), kpi_id

    # `kpi eval` on the sample gives the ROI computed here from its data files
    out = _run(
        [str(kpi), "eval", "--sample", "--kpi", "roi", "--period", "2024-06", "--format", "json"],
        cwd=outside,
        env=env,
    )
    records = [r for r in json.loads(out) if r["kpi"] == "roi" and r["segment"] == {}]
    assert [r["period"] for r in records] == ["2024-06"]
    value = records[0]["value"]
    assert isinstance(value, float) and math.isfinite(value)
    assert math.isclose(value, _expected_roi("2024-06"), rel_tol=1e-9)


def test_current_install_finds_the_package_data() -> None:
    """In this environment (an editable install of the checkout) the YAML files are found."""
    root = importlib.resources.files("kpiengine.definitions")
    listed = sorted(e.name for e in root.iterdir() if e.name.endswith(".yaml"))
    on_disk = sorted(p.name for p in (ROOT / "definitions").glob("*.yaml"))
    assert on_disk and listed == on_disk
    for name in listed:
        assert root.joinpath(name).read_text(encoding="utf-8").strip()

    from kpiengine.resources import builtin_definitions, sample_workspace

    assert [n.rsplit("/", 1)[-1] for n, _ in builtin_definitions()] == on_disk
    assert (sample_workspace() / "kpi.yaml").is_file()


def test_expected_roi_reads_one_month() -> None:
    """The independent ROI computation depends on the month, and finds data for both."""
    assert _expected_roi("2024-06") != _expected_roi("2023-03")
    assert _number('"2.260,36 €"') == 2260.36 and _number("1,234.5") == 1234.5
