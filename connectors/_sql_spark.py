"""Apache Spark for the `sql` connector: local, a standalone cluster, or Spark Connect.

`spark:local[2]` starts Spark in this process (Java 17), `spark://HOST:7077` joins a standalone
cluster, `sc://HOST:15002` talks to a Spark Connect server. One SparkSession per process and URL,
reused by every query, in UTC (`spark.sql.session.timeZone`: a timestamp is dated by its UTC day
on every machine). File tables (`files:`) become temporary views; only the aggregated table is
collected. A CSV file, read by kpiengine into a Parquet file on this machine (`_sql_csv`), is
read from that file by a local session and sent as rows to a server, which cannot see it.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

from ._sql_engine import EngineError, Result, first_line, need
from ._sql_files import TableFile, sql_text
from ._sql_url import DatabaseUrl

_LOCK = threading.Lock()
#: seconds to wait for a Spark server's TCP port before saying it does not answer
CONNECT_TIMEOUT = 10
_SESSIONS: dict[str, Any] = {}


def _reachable(url: DatabaseUrl) -> None:
    """EngineError unless a server of `sc://` or `spark://` accepts a connection: Spark's
    clients retry an unreachable server for many minutes before they give up."""
    tried = []
    for host, port in url.spark_servers():
        try:
            socket.create_connection((host, port), timeout=CONNECT_TIMEOUT).close()
            return
        except OSError as exc:
            tried.append(f"{host}:{port} ({exc.strerror or type(exc).__name__})")
    raise EngineError(
        f"no Spark server answers at {', '.join(tried)}",
        fix="start the Spark Connect server or cluster master, or check the URL's host and port",
        key="url",
    )


def session(url: DatabaseUrl) -> Any:
    """The process's SparkSession for this URL (started on first use)."""
    kind, target = url.spark_master()
    if target not in _SESSIONS and target.startswith(("sc://", "spark://")):
        _reachable(url)
    need("pyspark", "pyspark", "spark")
    if target not in _SESSIONS:
        from pyspark.sql import SparkSession  # noqa: PLC0415

        builder: Any = SparkSession.builder.appName("kpiengine")
        try:
            if kind == "remote":
                builder = builder.remote(target).config("spark.sql.session.timeZone", "UTC")
                _SESSIONS[target] = builder.getOrCreate()
            else:
                _SESSIONS[target] = (
                    builder.master(target)
                    .config("spark.ui.enabled", "false")
                    # no progress bars on the terminal of `kpi eval`
                    .config("spark.ui.showConsoleProgress", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.sql.session.timeZone", "UTC")
                    .getOrCreate()
                )
        except Exception as exc:  # Java missing, cluster unreachable, ...
            raise EngineError(f"Spark could not start: {first_line(exc)}", key="url") from None
    return _SESSIONS[target]


def run_spark(url: DatabaseUrl, files: list[TableFile], sql: str) -> Result:
    """Run `sql` (Spark dialect) and collect the aggregated rows."""
    spark = session(url)
    with _LOCK:  # temporary views are per session: register and query as one step
        try:
            for file in files:
                frame = _frame(spark, file, local=url.spark_master()[1].startswith("local"))
                frame.createOrReplaceTempView(file.name)
            result = spark.sql(sql)
            names = list(result.columns)
            types = [f.dataType.simpleString() for f in result.schema.fields]
            return names, [tuple(row) for row in result.collect()], types
        except Exception as exc:  # pyspark's AnalysisException, Py4JJavaError, ...
            raise EngineError(f"Spark said: {first_line(exc)}") from None


def _frame(spark: Any, file: TableFile, local: bool) -> Any:
    """A file table as a DataFrame: read by Spark, or (a CSV file kpiengine read, for a server
    that cannot see this machine's files) its rows sent from here."""
    if file.converted and not local:
        import duckdb  # noqa: PLC0415 - the file was written by DuckDB, which reads it back

        with duckdb.connect() as con:
            rows = con.sql(
                f"SELECT * FROM read_parquet({sql_text(str(file.path))})"
            ).to_arrow_table()
        return spark.createDataFrame(rows)
    return spark.read.parquet(str(file.path))
