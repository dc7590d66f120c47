"""Reading third-party model files: every structural mistake names file, line and column.

Importers walk YAML read by `kpiengine.yamlio` (which keeps locations) and JSON; these helpers
check each node's type and raise `KpiError` at the node, saying what was expected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import KpiError, Location
from ..yamlio import YList, YMap, byte_location, load_yaml


def read_file(path: Path) -> Any:
    """A YAML or JSON file as YMap/YList/scalars (JSON: plain values, located at the file)."""
    if path.suffix.lower() != ".json":
        return load_yaml(path)
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise KpiError("file not found", Location(str(path))) from None
    except json.JSONDecodeError as exc:
        raise KpiError(
            f"invalid JSON: {exc.msg}", Location(str(path), exc.lineno, exc.colno)
        ) from None
    except UnicodeDecodeError as exc:
        raise KpiError(
            f"not UTF-8 text: byte 0x{exc.object[exc.start]:02x} cannot be decoded",
            byte_location(str(path), exc.object, exc.start),
            "save the file as UTF-8",
        ) from None
    except OSError as exc:
        raise KpiError(f"cannot read file: {exc}", Location(str(path))) from None


def where(node: Any, file: str) -> Location:
    """The location of a node (the file alone for JSON values)."""
    loc = getattr(node, "loc", None)
    return loc if isinstance(loc, Location) else Location(file)


def at(parent: Any, key: Any, file: str) -> Location:
    """The location of the value under `key` (or item `key`) of `parent`."""
    if isinstance(parent, YMap):
        return parent.value_loc(key)
    if isinstance(parent, YList) and isinstance(key, int):
        return parent.item_loc(key)
    return where(parent, file)


def mapping(node: Any, loc: Location, what: str) -> dict:
    """`node` if it is a mapping, else a KpiError at `loc`."""
    if not isinstance(node, dict):
        raise KpiError(f"{what} must be a mapping of keys to values, not {_kind(node)}", loc)
    return node


def items(parent: Any, key: str, file: str, what: str) -> list[tuple[dict, Location]]:
    """The mappings listed under `key` (absent: none), each with its location."""
    value = parent.get(key) if isinstance(parent, dict) else None
    if value is None:
        return []
    if not isinstance(value, list):
        raise KpiError(
            f"`{key}` of {what} must be a list, not {_kind(value)}", at(parent, key, file)
        )
    return [
        (mapping(item, at(value, i, file), f"each entry of `{key}`"), at(value, i, file))
        for i, item in enumerate(value)
    ]


def text(entry: dict, key: str, loc: Location, what: str, required: bool = False) -> str:
    """A string (numbers as written) under `key`; '' when absent and not required."""
    value = entry.get(key)
    if value is None:
        if required:
            raise KpiError(f"{what} has no `{key}`", loc, f"add `{key}:`")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise KpiError(
            f"`{key}` of {what} must be text, not {_kind(value)}", at(entry, key, loc.file)
        )
    return str(value).strip()


def _kind(node: Any) -> str:
    if isinstance(node, dict):
        return "a mapping"
    if isinstance(node, list):
        return "a list"
    if node is None:
        return "nothing"
    return f"`{node}`"


def files_under(path: Path, suffixes: tuple[str, ...] = (".yml", ".yaml")) -> list[Path]:
    """`path` itself, or the files with those suffixes below it (sorted; dot folders, dbt's
    `target/` and installed packages skipped)."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise KpiError(f"no such file or folder: {path}")
    skip = {"target", "dbt_packages", "node_modules", "logs"}
    found = [
        p
        for p in sorted(path.rglob("*"))
        if p.suffix.lower() in suffixes
        and p.is_file()
        and not any(part.startswith(".") or part in skip for part in p.relative_to(path).parts)
    ]
    return found
