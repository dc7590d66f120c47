"""DuckDB for the `sql` connector: a database file opened read-only, or an in-memory database
holding only the `files:` tables.

The session's time zone is UTC, so a TIMESTAMPTZ is dated by its UTC day on every machine (a
session takes the machine's zone otherwise). File and network access is limited to the files
the tables read (unless `allow_files: true`), and the configuration locked, before any query.
"""

from __future__ import annotations

from pathlib import Path

from kpiengine.sqlgen import quote_ident, quote_text

from ._sql_engine import EngineError, Result, first_line
from ._sql_files import TableFile
from ._sql_url import DatabaseUrl


def run_duckdb(
    url: DatabaseUrl,
    root: Path,
    files: list[TableFile],
    sql: str,
    *,
    allow_files: bool,
    query: bool,
) -> Result:
    """Run `sql` (DuckDB dialect) and return the aggregated rows (`query`: the source reads a
    query, which may need no table)."""
    import duckdb  # noqa: PLC0415 - only DuckDB sources pay for the import

    database = url.duckdb_path()
    if database in ("", ":memory:"):
        if not files and not query:
            raise EngineError(
                "an in-memory DuckDB (`duckdb://`) has no tables: add `files:`", key="url"
            )
        target, read_only = ":memory:", False
    else:
        path = Path(database)
        path = path if path.is_absolute() else root / path
        if not path.is_file():
            raise EngineError(f"no DuckDB database at {path}", key="url")
        target, read_only = str(path), True
    try:
        con = duckdb.connect(target, read_only=read_only)
    except duckdb.Error as exc:  # not a DuckDB database, locked, ...: at `url:`
        raise EngineError(f"the database said: {first_line(exc)}", key="url") from None
    try:
        with con:
            con.execute("SET TimeZone = 'UTC'")
            # read-only, and (unless allowed) no file, URL or extension access beyond the
            # database and the `files:` tables
            if files and not allow_files:
                paths = ", ".join(quote_text(str(f.path)) for f in files)
                con.execute(f"SET allowed_paths = [{paths}]")
            if not allow_files:
                con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
            for file in files:  # Parquet: a CSV file was read into one by `_sql_csv`
                con.execute(
                    f"CREATE TEMP VIEW {quote_ident(file.name)} AS SELECT * FROM "
                    f"read_parquet({quote_text(str(file.path))})"
                )
            cursor = con.execute(sql)
            description = cursor.description
            names, types = [d[0] for d in description], [str(d[1]) for d in description]
            return names, cursor.fetchall(), types
    except duckdb.Error as exc:
        raise EngineError(f"the database said: {first_line(exc)}") from None
