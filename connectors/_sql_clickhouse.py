"""ClickHouse for the `sql` connector: a server through clickhouse-connect, or chDB in-process.

`clickhouse://user@host:8123/db` (password in the URL, e.g. `${CLICKHOUSE_PASSWORD}`, sent as a
connection setting, never in a message); `chdb://PATH` opens a chDB database folder and `chdb://`
an empty in-memory one. File tables (`files:`) are read with `file(path, format)` in chDB. chDB
sessions run in UTC (`session_timezone`; chDB takes the machine's zone otherwise), and a row's day
is asked in UTC (`toDate(column, 'UTC')`, see `SqlConnector._day`).
"""

from __future__ import annotations

import threading
from pathlib import Path

from ._sql_engine import EngineError, Result, first_line, need
from ._sql_files import TableFile, inline_clickhouse
from ._sql_url import DatabaseUrl

# chDB runs one ClickHouse engine per process: one query at a time
_CHDB_LOCK = threading.Lock()


def run_chdb(url: DatabaseUrl, root: Path, files: list[TableFile], sql: str) -> Result:
    """Run `sql` (ClickHouse dialect) in chDB and return the aggregated rows."""
    chdb = need("chdb", "chdb", "clickhouse")
    folder = url.local_path()
    if folder is not None:
        path = Path(folder)
        path = path if path.is_absolute() else root / path
        if not path.is_dir():
            raise EngineError(f"no chDB database folder at {path}", key="url")
        folder = str(path)
    with _CHDB_LOCK:
        try:
            con = chdb.connect(folder or ":memory:")
        except Exception as exc:  # chDB raises plain RuntimeError
            raise EngineError(
                f"chDB could not open the database: {first_line(exc)}", key="url"
            ) from None
        try:
            cursor = con.cursor()
            cursor.execute("SET session_timezone = 'UTC'")
            cursor.execute(inline_clickhouse(sql, files))
            names = [d[0] for d in cursor.description]
            types = [str(d[1]) for d in cursor.description]
            return names, [tuple(row) for row in cursor.fetchall()], types
        except Exception as exc:
            raise EngineError(f"the database said: {first_line(exc)}") from None
        finally:
            con.close()


def run_server(url: DatabaseUrl, files: list[TableFile], sql: str) -> Result:
    """Run `sql` on a ClickHouse server (read-only session) and return the aggregated rows."""
    if files:
        raise EngineError(
            "`files` is for in-process engines (duckdb://, chdb://, spark:local); a ClickHouse "
            "server reads its own tables",
            key="files",
        )
    clickhouse_connect = need("clickhouse_connect", "clickhouse-connect", "clickhouse")
    params = url.postgres_params()  # the same parts: host, port, user, password, database
    try:
        client = clickhouse_connect.get_client(
            host=params.get("host", "localhost"),
            port=int(params.get("port", 8123)),
            username=params.get("user", "default"),
            password=params.get("password", ""),
            database=params.get("dbname", "default"),
            settings={"readonly": 1},
            connect_timeout=10,
        )
    except Exception as exc:  # the server, the database, the user: at `url:`
        raise EngineError(f"the database said: {first_line(exc)}", key="url") from None
    try:
        try:
            result = client.query(sql)
            types = [getattr(t, "name", "") for t in getattr(result, "column_types", ())]
            return list(result.column_names), [tuple(r) for r in result.result_rows], types
        finally:
            client.close()
    except Exception as exc:  # clickhouse-connect's errors do not share one base class
        raise EngineError(f"the database said: {first_line(exc)}") from None
