"""Where a key of a definition is written (`format:`, `aggregate:`), and how a value is written.

The model keeps the location of a KPI or variable entry and of its formula; a finding about
another key reads the entry's file again (once per file and version) and points at the key's
value, or at the entry when the key is not written there. `written_at` gives a value's YAML
text as written (`60.000`, `50%`), which the model keeps only as the number it reads.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from ..errors import KpiError, Location
from ..resources import builtin_definitions
from ..yamlio import YList, YMap, parse_yaml

__all__ = ["key_location", "written_at"]

BUILTIN = "<built-in>/"


def key_location(entry: Location | None, section: str, name: str, key: str) -> Location | None:
    """The location of `key`'s value in entry `name` of `section` (`kpis`, `variables`) of the
    file `entry` is in; `entry` itself when the key cannot be found there."""
    if entry is None or not entry.file or _stamp(entry.file) is None:
        return entry
    data = _parsed(entry.file, _stamp(entry.file))
    part = data.get(section) if isinstance(data, YMap) else None
    item = part.get(name) if isinstance(part, YMap) else None
    if isinstance(item, YMap) and key in item:
        found = item.value_loc(key)
        return found if found.line else entry
    return entry


def written_at(location: Location | None) -> tuple[Any, str | None] | None:
    """(the value, its text as written: None for a mapping or a list) of the value at
    `location` in its file; None when the file or the value cannot be found."""
    if location is None or not location.file or not location.line:
        return None
    return _find(_parsed(location.file, _stamp(location.file)), location)


def _find(node: object, location: Location) -> tuple[Any, str | None] | None:
    if isinstance(node, YMap):
        pairs = [(node.value_locs.get(k), v, node.raw.get(k)) for k, v in node.items()]
    elif isinstance(node, YList):
        pairs = list(zip(node.item_locs, node, node.raw, strict=False))
    else:
        return None
    for where, value, raw in pairs:
        if where == location:
            return value, raw
    for _, value, _ in pairs:
        found = _find(value, location)
        if found is not None:
            return found
    return None


def _stamp(file: str) -> int | None:
    """The file's version (its modification time); None when it cannot be read."""
    try:
        return 0 if file.startswith(BUILTIN) else Path(file).stat().st_mtime_ns
    except OSError:
        return None


@functools.lru_cache(maxsize=64)
def _parsed(file: str, stamp: int | None) -> object:
    """The file's YAML (None when it cannot be read); `stamp` renews it when it changes."""
    try:
        if file.startswith(BUILTIN):
            text = dict(builtin_definitions()).get(file)
            return None if text is None else parse_yaml(text, file)
        return parse_yaml(Path(file).read_text(encoding="utf-8-sig"), file)
    except (KpiError, OSError, UnicodeDecodeError):
        return None
