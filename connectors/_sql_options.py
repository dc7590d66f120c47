"""The options of a `sql` source (not a plugin module)."""

from __future__ import annotations

from kpiengine.connector import Option, SourceConfig
from kpiengine.errors import Location

from ._sql_url import DOCUMENTED

OPTIONS = (
    Option(
        "url",
        "postgresql://user@host:5432/db, duckdb:///path.db, clickhouse://user@host:8123/db, "
        "chdb://PATH, spark:local[2], spark://HOST:7077, sc://HOST:15002, "
        "snowflake://user@account/db/schema; reads only the variables "
        f"{DOCUMENTED} (URL-encoded, never printed)",
        True,
        kind="text",
    ),
    Option("table", "the table (or schema.table) to read", kind="name"),
    Option("query", "one read-only SELECT to read instead of a table", kind="text"),
    Option("date", "the date column", default="date", kind="name"),
    Option(
        "files",
        "tables read from CSV or Parquet files by an in-process engine (duckdb, chdb, "
        "spark:local), e.g. {deals: exports/deals.parquet}; CSV read as the csv connector "
        "reads it",
        kind="mapping",
        expected="maps table names to CSV or Parquet files",
    ),
    Option(
        "date_format",
        "`files:` CSV: strptime format of dates, e.g. '%d/%m/%Y' (default: detected)",
        kind="text",
        expected="is a strptime format (text)",
    ),
    Option(
        "decimal",
        "`files:` CSV: decimal separator, `.` or `,` (default: detected)",
        kind="text",
        choices=(".", ","),
    ),
    Option(
        "encoding",
        "`files:` CSV: `auto` (UTF-8, UTF-16 with a BOM, Windows-1252 or DOS cp850, from the "
        "bytes) or a Python codec, e.g. `cp1252`, `cp850`",
        default="auto",
        kind="text",
    ),
    Option(
        "dialect",
        "SQL dialect (default: from the URL); bigquery, trino: SQL only",
        kind="text",
    ),
    Option(
        "allow_files",
        "true lets `query` read files and URLs (read_csv, ...); DuckDB external access",
        default=False,
        kind="boolean",
    ),
)


def naming(config: SourceConfig, column: str, date: str) -> Location:
    """Where kpi.yaml names a column of a `sql` source: the first mapping reading it (value,
    `where:`, `count:`, `distinct:` or own `date:` column), else `date:` or `dimensions:`."""
    for mapping in config.mappings.values():
        named = (mapping.column, *mapping.where, mapping.present, mapping.distinct, mapping.date)
        if column in named:
            return mapping.location
    if column == date:
        return config.where("date")
    if column in config.dimensions.values():
        return config.where("dimensions")
    return config.location
