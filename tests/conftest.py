"""Shared helpers: small workspaces written to a temporary folder."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

# the engines of the `sql` connector, for any test that names one (skip or fail: engine_helpers)
from engine_helpers import chdb_url, postgres_url, spark_url  # noqa: F401
from hypothesis import settings

# every test runs with a planted secret in the environment and fails if it leaks (secretguard.py)
from secretguard import no_secret_leaks, planted_secret  # noqa: F401

# Property tests are derandomized (a fixed seed per test) so a run is repeatable on any machine;
# `HYPOTHESIS_PROFILE=explore` searches with fresh random examples instead.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def write_workspace(tmp_path: Path) -> Callable[..., Path]:
    """Write definitions/<name>.yaml files (and kpi.yaml, data.csv if given); return the folder."""

    def write(
        definitions: dict[str, str] | None = None,
        kpi_yaml: str | None = None,
        data: str | None = None,
        folder: str = "ws",
    ) -> Path:
        root = tmp_path / folder
        (root / "definitions").mkdir(parents=True, exist_ok=True)
        for name, text in (definitions or {}).items():
            (root / "definitions" / f"{name}.yaml").write_text(textwrap.dedent(text), "utf-8")
        if kpi_yaml is not None:
            (root / "kpi.yaml").write_text(textwrap.dedent(kpi_yaml), "utf-8")
        if data is not None:
            (root / "data.csv").write_text(textwrap.dedent(data).lstrip(), "utf-8")
        return root

    return write


@pytest.fixture
def scans(monkeypatch):
    """Every file streamed as if it were large (not cached in memory), and the SQL of each query
    reading one: a fetch reads a file once, checking every cell as it aggregates."""
    import kpiengine.fileformats.tables
    from kpiengine.runcache import RunCache

    monkeypatch.setattr(kpiengine.fileformats.tables, "CACHE_BYTES", -1)
    seen: list[str] = []
    connect = RunCache.duckdb.fget

    class Counting:
        """The run's DuckDB connection, noting each query that reads a CSV file."""

        def __init__(self, connection):
            self.connection = connection

        def sql(self, query, *args, **kwargs):
            seen.extend([query] * query.count("read_csv("))
            return self.connection.sql(query, *args, **kwargs)

        def __getattr__(self, name):
            return getattr(self.connection, name)

    monkeypatch.setattr(RunCache, "duckdb", property(lambda self: Counting(connect(self))))
    return seen
