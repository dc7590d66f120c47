"""Caches that live as long as one run: the DuckDB connection and the files read into it.

The engine owns one `RunCache` and makes it the active one while it fetches (`with cache:`), so
the reading layer and the connectors share one connection and read a small file once per run.
Code running outside an engine (a connector tested alone) gets a process-wide cache.
"""

from __future__ import annotations

import contextvars
import functools
import os
import sys
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # duckdb is imported only by runs that read files
    import duckdb

_ACTIVE: contextvars.ContextVar[RunCache | None] = contextvars.ContextVar("kpi_run", default=None)


@functools.cache
def _database() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB database per process; each run works on its own connection to it
    (its temporary tables are its own), so a process running many engines opens it once."""
    import duckdb  # noqa: PLC0415 - only runs that read files pay for the import

    return duckdb.connect(":memory:")


class RunCache:
    """One run's DuckDB connection (opened on first use) and the file tables read into it."""

    def __init__(self) -> None:
        self._connection: duckdb.DuckDBPyConnection | None = None
        self.file_tables: dict[tuple[object, ...], str] = {}  # file identity -> temp table
        self.scan_cells: dict[tuple[object, ...], str] = {}  # a scan's cells -> temp table
        self._tokens: list[contextvars.Token[RunCache | None]] = []

    @property
    def duckdb(self) -> duckdb.DuckDBPyConnection:
        if self._connection is None:
            self._connection = _database().cursor()
            # dates in UTC whatever the machine's zone: a Parquet TIMESTAMPTZ is dated by its UTC
            # day (as the `sql` connector's `files:` and the warehouses date it)
            self._connection.execute("SET TimeZone = 'UTC'")
            # a progress bar for long reads on a terminal, never in pipes, files or CI logs
            show = sys.stderr.isatty() and not os.environ.get("CI")
            self._connection.execute(f"SET enable_progress_bar = {str(show).lower()}")
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
            self.file_tables.clear()
            self.scan_cells.clear()

    def __enter__(self) -> RunCache:
        self._tokens.append(_ACTIVE.set(self))
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        _ACTIVE.reset(self._tokens.pop())


_PROCESS = RunCache()


def active() -> RunCache:
    """The cache of the run in progress (the process-wide one outside any run)."""
    return _ACTIVE.get() or _PROCESS


def duckdb_error() -> type[Exception]:
    """DuckDB's base error class (imported only when an `except` clause needs it)."""
    import duckdb  # noqa: PLC0415

    return duckdb.Error
