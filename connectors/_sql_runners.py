"""Which runner runs a `sql` source's query: its dialect's engine (not a plugin module)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ._sql_clickhouse import run_chdb, run_server
from ._sql_duckdb import run_duckdb
from ._sql_engine import Result, no_files
from ._sql_files import TableFile
from ._sql_postgres import run_postgres
from ._sql_snowflake import run_snowflake
from ._sql_spark import run_spark
from ._sql_url import DatabaseUrl


def run(
    dialect: str,
    url: DatabaseUrl,
    root: Path,
    files: list[TableFile],
    sql: str,
    *,
    allow_files: bool,
    query: bool,
) -> Result:
    """Run `sql` (in `dialect`) on the URL's engine: EngineError (or UrlError) when it fails."""
    runners: dict[str, Callable[[], Result]] = {
        "duckdb": lambda: run_duckdb(url, root, files, sql, allow_files=allow_files, query=query),
        "postgres": lambda: run_postgres(url, sql) if not files else no_files(),
        "spark": lambda: run_spark(url, files, sql),
        "snowflake": lambda: run_snowflake(url, files, sql),
        "clickhouse": lambda: (
            run_chdb(url, root, files, sql) if url.scheme == "chdb" else run_server(url, files, sql)
        ),
    }
    return runners[dialect]()
