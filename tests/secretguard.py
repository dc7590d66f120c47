"""A planted secret that nothing the suite produces may contain (a pytest plugin).

For the whole session `KPI_PLANTED_SECRET` (a name a workspace's `url:` may read) holds
`PLANTED`. While each test runs, every `kpi` output seen through click's `CliRunner`, every
`KpiError` message and every formatted or serialised finding is scanned; after it, every file
under its `tmp_path` (reports, SARIF, kpi.yaml) and pytest's captured output. A test in which the
secret (as written or URL-encoded) shows up fails, naming where.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

VARIABLE = "KPI_PLANTED_SECRET"
PLANTED = "Pl4nted&S3cr%t?#q9Z/x"
FORMS = (PLANTED, quote(PLANTED, safe=""), quote(PLANTED))
MAX_BYTES = 4_000_000

_leaks: list[str] = []
_paused = 0


def contains_secret(text: object) -> bool:
    """True when `text` holds the planted secret in any of its forms."""
    if isinstance(text, bytes):
        return any(form.encode() in text for form in FORMS)
    return any(form in str(text) for form in FORMS)


def note(text: object, where: str) -> None:
    """Record a leak when `text` holds the secret (unless a test planted it on purpose)."""
    if not _paused and contains_secret(text):
        _leaks.append(where)


def files_with_secret(folder: Path) -> list[Path]:
    """The files under `folder` that hold the secret."""
    found = []
    for path in sorted(folder.rglob("*")):
        with contextlib.suppress(OSError):
            small = path.is_file() and not path.is_symlink() and path.stat().st_size <= MAX_BYTES
            if small and contains_secret(path.read_bytes()):
                found.append(path)
    return found


@contextlib.contextmanager
def planted_on_purpose() -> Iterator[None]:
    """For the tests of this guard: a secret written here is not a leak."""
    global _paused
    _paused += 1
    try:
        yield
    finally:
        _paused -= 1


def _wrap(cls: type, name: str, what: str, monkeypatch: pytest.MonkeyPatch) -> None:
    original = getattr(cls, name)

    def wrapper(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        note(out if name != "__init__" else getattr(self, "message", ""), what)
        return out

    monkeypatch.setattr(cls, name, wrapper)


@pytest.fixture(scope="session", autouse=True)
def planted_secret() -> Iterator[str]:
    """The secret in the environment, and the outputs watched, for the whole session."""
    from click.testing import CliRunner

    from kpiengine.errors import Finding, KpiError

    patch = pytest.MonkeyPatch()
    patch.setenv(VARIABLE, PLANTED)
    original_invoke = CliRunner.invoke

    def invoke(self, *args, **kwargs):
        result = original_invoke(self, *args, **kwargs)
        for stream in ("stdout", "stderr", "output"):
            with contextlib.suppress(ValueError, AttributeError):
                note(getattr(result, stream), f"kpi {stream}")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            note(repr(result.exception), "an exception of kpi")
        return result

    patch.setattr(CliRunner, "invoke", invoke)
    _wrap(KpiError, "__init__", "a KpiError message", patch)
    _wrap(Finding, "format", "a finding as text", patch)
    _wrap(Finding, "to_dict", "a finding as JSON or SARIF", patch)
    yield PLANTED
    patch.undo()


@pytest.fixture(autouse=True)
def no_secret_leaks(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test when the secret showed up in what it produced."""
    start = len(_leaks)
    yield
    where = list(dict.fromkeys(_leaks[start:]))
    del _leaks[start:]
    tmp = request.node.funcargs.get("tmp_path")
    if isinstance(tmp, Path) and tmp.exists():
        where += [f"the file {p}" for p in files_with_secret(tmp)]
    for _when, _key, content in request.node._report_sections:
        if contains_secret(content):
            where.append("captured output")
    if where:
        pytest.fail(f"the planted secret leaked into: {', '.join(where)}", pytrace=False)


def environment_has_secret() -> bool:
    return os.environ.get(VARIABLE) == PLANTED
