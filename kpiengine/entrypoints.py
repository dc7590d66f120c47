"""The installed packages' entry points in one group, without importing `importlib.metadata`
when no package declares any.

Written here for speed: importing `importlib.metadata` and reading every distribution costs
30-40 ms, a tenth of a short `kpi eval`, and almost every machine has no kpiengine plugin
installed. A plain look at the `entry_points.txt` files on `sys.path` tells whether any declares
the group; only then does `importlib.metadata` read them (it stays the only parser). Paths that
are not plain folders (zip files) and distribution finders other than the standard one are
left to `importlib.metadata`, so the quick look never hides a declared entry point.
"""

from __future__ import annotations

import os
import re
import sys
from importlib.machinery import PathFinder
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

_FOLDERS = (".dist-info", ".egg-info")


def entry_points(group: str) -> list[EntryPoint]:
    """The entry points declared in `group` by the installed distributions."""
    if not _may_declare(group):
        return []
    import importlib.metadata  # noqa: PLC0415 - see the module docstring

    return list(importlib.metadata.entry_points(group=group))


def _may_declare(group: str) -> bool:
    """Whether an installed distribution may declare `group` (False only when none can)."""
    finders = [f for f in sys.meta_path if hasattr(f, "find_distributions")]
    if any(f is not PathFinder for f in finders):
        return True  # a finder of its own may list distributions no folder shows
    header = re.compile(rb"^\s*\[\s*" + re.escape(group.encode()) + rb"\s*\]", re.MULTILINE)
    for entry in sys.path:
        folder = entry or "."
        if not os.path.isdir(folder):
            if os.path.exists(folder):
                return True  # a zip file or egg: let importlib.metadata read it
            continue
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if name.endswith(_FOLDERS) and _declares(os.path.join(folder, name), header):
                return True
    return False


def _declares(dist: str, header: re.Pattern[bytes]) -> bool:
    try:
        with open(os.path.join(dist, "entry_points.txt"), "rb") as file:
            return header.search(file.read()) is not None
    except OSError:  # no entry points, or an egg-info file rather than a folder
        return False
