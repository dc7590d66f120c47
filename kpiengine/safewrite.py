"""Writing an output file the way a careful editor does: atomically, and only over a file.

The bytes go to a temporary file beside the target, which then replaces it (`os.replace`), so a
reader never sees half a file and a failed write leaves the old one. The file written is the
symlink's target when the path is a symlink (the link stays a link); an existing file keeps its
mode (and, where allowed, its owner); anything that is not a regular file (a directory, a
device such as /dev/full, a FIFO, a socket) is refused with a message instead of replaced.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from .errors import KpiError

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
)


def output_path(name: str, what: str = "the file") -> Path:
    """The file an output name given as text means: a name ending in a separator (`out/`)
    names a directory, which is never replaced by a file (KpiError, before any work)."""
    if name.endswith(("/", os.sep)) or (os.altsep and name.endswith(os.altsep)):
        folder = name.rstrip("/" + os.sep + (os.altsep or "")) or name
        state = (
            "is a directory"
            if os.path.isdir(folder)
            else "is a file, not a directory"
            if os.path.lexists(folder)
            else "does not exist"
        )
        raise KpiError(
            f"cannot write {what} to {name}: a name ending in `/` is a directory, and {folder}"
            f" {state}",
            fix=f"name a file, such as {folder}/report.html (the directory must exist)",
        )
    return Path(name)


def write_atomic(path: Path | str, data: bytes, what: str = "the file") -> Path:
    """Replace the regular file at `path` (or its symlink's target) with `data`; returns the
    file written. KpiError when `path` is not a regular file or cannot be written (a name
    given as text that ends in a separator names a directory: see `output_path`)."""
    path = output_path(path, what) if isinstance(path, str) else path
    target = Path(os.path.realpath(path))
    try:
        existing: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise KpiError(f"cannot write {what} to {path}: {exc.strerror or exc}") from None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        kind = next((name for test, name in _KINDS if test(existing.st_mode)), "not a file")
        raise KpiError(
            f"refusing to write {what} to {path}: it is {kind}, not a regular file",
            fix="give the name of a file to write (or `-o -` for standard output)",
        )
    try:
        _replace(target, data, existing)
    except OSError as exc:
        raise KpiError(f"cannot write {what} to {path}: {exc.strerror or exc}") from None
    return target


def _replace(target: Path, data: bytes, existing: os.stat_result | None) -> None:
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            if existing is not None:
                os.fchmod(out.fileno(), stat.S_IMODE(existing.st_mode))
                if (existing.st_uid, existing.st_gid) != (os.getuid(), os.getgid()):
                    with contextlib.suppress(OSError):  # only root may give a file away
                        os.fchown(out.fileno(), existing.st_uid, existing.st_gid)
            else:
                umask = os.umask(0)
                os.umask(umask)
                os.fchmod(out.fileno(), 0o666 & ~umask)
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
