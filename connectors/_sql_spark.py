"""Apache Spark for the `sql` connector: local, a standalone cluster, or Spark Connect.

`spark:local[2]` starts Spark in this process (Java 17), `spark://HOST:7077` joins a standalone
cluster, `sc://HOST:15002` talks to a Spark Connect server. One SparkSession per process and URL,
reused by every query. File tables (`files:`) become temporary views; only the aggregated table
is collected.
"""

from __future__ import annotations

import threading
from typing import Any

from ._sql_engine import EngineError, Result, first_line, need
from ._sql_files import TableFile
from ._sql_url import DatabaseUrl

_LOCK = threading.Lock()
_SESSIONS: dict[str, Any] = {}


def session(url: DatabaseUrl) -> Any:
    """The process's SparkSession for this URL (started on first use)."""
    kind, target = url.spark_master()
    need("pyspark", "pyspark", "spark")
    if target not in _SESSIONS:
        from pyspark.sql import SparkSession  # noqa: PLC0415

        builder: Any = SparkSession.builder.appName("kpiengine")
        try:
            if kind == "remote":
                _SESSIONS[target] = builder.remote(target).getOrCreate()
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
                reader = spark.read
                if file.format == "CSV":
                    reader = reader.option("header", True).option("inferSchema", True)
                    frame = reader.csv(str(file.path))
                else:
                    frame = reader.parquet(str(file.path))
                frame.createOrReplaceTempView(file.name)
            result = spark.sql(sql)
            names = list(result.columns)
            return names, [tuple(row) for row in result.collect()]
        except Exception as exc:  # pyspark's AnalysisException, Py4JJavaError, ...
            raise EngineError(f"Spark said: {first_line(exc)}") from None
