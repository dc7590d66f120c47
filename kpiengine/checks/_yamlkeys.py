"""Where a key of a definition is written (`format:`, `aggregate:`), for findings about it.

The model keeps the location of a KPI or variable entry and of its formula; a finding about
another key reads the entry's file again (once per file and version) and points at the key's
value, or at the entry when the key is not written there.
"""

from __future__ import annotations

import functools
from pathlib import Path

from ..errors import KpiError, Location
from ..resources import builtin_definitions
from ..yamlio import YMap, parse_yaml

__all__ = ["key_location"]

BUILTIN = "<built-in>/"


def key_location(entry: Location | None, section: str, name: str, key: str) -> Location | None:
    """The location of `key`'s value in entry `name` of `section` (`kpis`, `variables`) of the
    file `entry` is in; `entry` itself when the key cannot be found there."""
    if entry is None or not entry.file:
        return entry
    try:
        stamp = 0 if entry.file.startswith(BUILTIN) else Path(entry.file).stat().st_mtime_ns
    except OSError:
        return entry
    data = _parsed(entry.file, stamp)
    part = data.get(section) if isinstance(data, YMap) else None
    item = part.get(name) if isinstance(part, YMap) else None
    if isinstance(item, YMap) and key in item:
        found = item.value_loc(key)
        return found if found.line else entry
    return entry


@functools.lru_cache(maxsize=64)
def _parsed(file: str, stamp: int) -> object:
    """The file's YAML (None when it cannot be read); `stamp` renews it when it changes."""
    try:
        if file.startswith(BUILTIN):
            text = dict(builtin_definitions()).get(file)
            return None if text is None else parse_yaml(text, file)
        return parse_yaml(Path(file).read_text(encoding="utf-8-sig"), file)
    except (KpiError, OSError, UnicodeDecodeError):
        return None
