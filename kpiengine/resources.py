"""Where the package's own data lives: built-in definitions, templates, message catalogs, sample,
JSON Schemas."""

from __future__ import annotations

from importlib.resources import as_file, files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import IO


def builtin_definitions() -> list[tuple[str, str]]:
    """(display name, YAML text) of every built-in definitions file, in name order."""
    root = files("kpiengine.definitions")
    entries = sorted((e for e in root.iterdir() if e.name.endswith(".yaml")), key=lambda e: e.name)
    return [(f"<built-in>/definitions/{e.name}", e.read_text(encoding="utf-8")) for e in entries]


def templates() -> Traversable:
    """The folder of built-in Jinja2 templates."""
    return files("kpiengine.templates")


def sample_workspace() -> Path:
    """A real folder holding the sample workspace (the installed package data)."""
    root = files("kpiengine.sample")
    if isinstance(root, Path):
        return root
    with as_file(root) as path:  # pragma: no cover - zipped installs only
        return Path(path)


def schema_file(name: str) -> Path:
    """The installed JSON Schema file `name` (`kpi.schema.json`), a real path for editors."""
    entry = files("kpiengine.schema_files").joinpath(name)
    if isinstance(entry, Path):
        return entry
    with as_file(entry) as path:  # pragma: no cover - zipped installs only
        return Path(path)


def catalog_locales() -> list[str]:
    """The locale folders of the built-in message catalogs (`en`, `fr`, `zh_Hans`...)."""
    root = files("kpiengine").joinpath("locales")
    return sorted(e.name for e in root.iterdir() if e.joinpath("LC_MESSAGES").is_dir())


def open_catalog(folder: str, domain: str) -> IO[bytes]:
    """The compiled message catalog (`.mo`) of a locale folder, opened for reading."""
    entry = files("kpiengine").joinpath("locales", folder, "LC_MESSAGES", f"{domain}.mo")
    return entry.open("rb")
