"""The file system side of a workspace: which files it reads, and what stands at a path that is
not a file it can read.

`definitions/` is a folder whose `*.yaml` and `*.yml` files (the suffix in any case) are read;
YAML files in its subfolders are not, with a warning. A `definitions` that is not a folder or
cannot be read stops the load, since the built-in KPIs it would override would be used instead.
`describe_path` says what stands where a file was expected (a folder, a pipe, a device, a
symbolic link to nowhere or in a loop), for the messages of kpi.yaml, definitions and sources.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

from .errors import KpiError, Location
from .yamlio import load_yaml

_KINDS = (
    (stat.S_ISREG, "a file"),
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int, expected: str) -> str:
    kind = next((text for test, text in _KINDS if test(mode)), "something else")
    return kind if kind == expected else f"{kind}, not {expected}"


def describe_path(path: Path, expected: str = "a file") -> str:
    """What stands at `path`, for a message saying why it is not read as `expected`: `a
    folder, not a file`, `a symbolic link that points to itself (a loop)`, `a symbolic link to
    `/dev/zero`, a device, not a file`, `not there (no such file or folder)`..."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return "not there (no such file or folder)"
    except OSError as exc:
        return f"out of reach ({exc.strerror or exc})"
    if not stat.S_ISLNK(info.st_mode):
        return _kind(info.st_mode, expected)
    target = os.readlink(path)
    try:
        return f"a symbolic link to `{target}`, {_kind(os.stat(path).st_mode, expected)}"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            beside = os.path.normpath(os.path.join(os.path.dirname(path), target))
            if beside == os.path.normpath(path):
                return "a symbolic link that points to itself (a loop)"
            return f"a symbolic link to `{target}` in a loop of links that never reaches {expected}"
        if exc.errno == errno.ENOENT:
            return f"a symbolic link to `{target}`, which does not exist"
        return f"a symbolic link to `{target}`, which is out of reach ({exc.strerror or exc})"


def shown_path(path: Path, root: Path) -> str:
    """A path as the user wrote it: relative to the workspace when inside it."""
    for base in (root, Path(os.path.abspath(root))):
        if path.is_relative_to(base):
            return str(path.relative_to(base))
    return str(path)


def looked_in(folder: Path) -> str:
    """Where the file was looked for, and why nothing could be found there when that is why."""
    for parent in [folder, *folder.parents]:
        if os.path.lexists(parent):
            break
    else:
        return f"looked in {folder}"
    if not parent.is_dir():
        return f"looked in {folder}: `{parent}` is {describe_path(parent)}"
    if parent != folder:
        return f"looked in {folder}, which does not exist"
    if not os.access(folder, os.R_OK | os.X_OK):
        return f"looked in {folder}, which cannot be read: permission denied"
    return f"looked in {folder}"


YAML_SUFFIXES = (".yaml", ".yml")
MAX_SCANNED = 2000  # entries of subfolders looked at for YAML files that are not read


def workspace_files(root: Path) -> tuple[list[tuple[str, Any]], list[tuple[str, Location]]]:
    """The `*.yaml` and `*.yml` files directly in `definitions/` (the suffix in any case), read,
    and a warning (message, location) for each subfolder holding YAML files, which are not.

    A `definitions` that is not a folder or cannot be read, or a YAML name that is not a file
    (a link to nowhere, a pipe), stops the load: the built-in KPIs it would override would be
    used instead."""
    folder = root / "definitions"
    if not os.path.lexists(folder):
        return [], []
    fix = "the workspace's own definitions are the `*.yaml` files in its folder `definitions`"
    if not folder.is_dir():
        raise KpiError(
            f"`definitions` is {describe_path(folder, 'a folder')}", Location(str(folder)), fix
        )
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError as exc:
        raise KpiError(
            f"the folder `definitions` cannot be read ({exc.strerror or exc})",
            Location(str(folder)),
            "let the user running kpi read it, e.g. `chmod u+rx definitions`",
        ) from None
    paths, unread = [], []
    for entry in entries:
        path = Path(entry.path)
        if path.suffix.lower() in YAML_SUFFIXES:
            if not path.is_file():
                raise KpiError(f"`{entry.name}` is {describe_path(path)}", Location(entry.path))
            paths.append(path)
        elif not entry.name.startswith(".") and path.is_dir():
            unread += _unread(path, folder)
    return [(str(p), load_yaml(p)) for p in sorted(paths)], unread


def _unread(sub: Path, folder: Path) -> list[tuple[str, Location]]:
    """A warning when a subfolder of `definitions/` holds YAML files, which are not read."""
    found: list[str] = []
    for scanned, (parent, dirs, names) in enumerate(os.walk(sub)):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [os.path.join(parent, n) for n in names if n.lower().endswith(YAML_SUFFIXES)]
        if scanned > MAX_SCANNED or len(found) > 3:
            break
    if not found:
        return []
    shown = ", ".join(f"`{os.path.relpath(f, folder.parent)}`" for f in sorted(found)[:3])
    message = (
        f"`{os.path.relpath(sub, folder.parent)}/` holds YAML files that are not read "
        f"({shown}{', ...' if len(found) > 3 else ''}): only the files directly in "
        "`definitions/` are"
    )
    return [(message, Location(str(sub)))]
