"""PostgreSQL for the `sql` connector, through psycopg: a read-only session in UTC.

The session's time zone is set to UTC after connecting (libpq sends `PGTZ` from the environment,
which would otherwise decide the day of a `timestamptz`), so a row's day is its UTC day on
every machine. Every transaction is read-only (`default_transaction_read_only`), and this one
is declared so too.
"""

from __future__ import annotations

from ._sql_engine import EngineError, Result, first_line
from ._sql_url import DatabaseUrl


def run_postgres(url: DatabaseUrl, sql: str) -> Result:
    """Run `sql` (PostgreSQL dialect) and return the aggregated rows."""
    try:
        import psycopg  # noqa: PLC0415 - only PostgreSQL sources pay for the import
    except ImportError:
        raise EngineError(
            "PostgreSQL needs the `psycopg` package", fix='pip install "psycopg[binary]"'
        ) from None
    params = url.postgres_params()  # UrlError: the caller's, at `url:`
    options = f"{params.pop('options', '')} -c default_transaction_read_only=on".strip()
    params.setdefault("connect_timeout", "10")
    try:
        conninfo = psycopg.conninfo.make_conninfo("", **params, options=options)
        con = psycopg.connect(conninfo)
    except psycopg.Error as exc:  # the server, the database, the user: at `url:`
        raise EngineError(f"the database said: {first_line(exc)}", key="url") from None
    try:
        with con:
            con.read_only = True
            with con.cursor() as cursor:
                cursor.execute("SET TIME ZONE 'UTC'")
                cursor.execute(sql)
                assert cursor.description is not None  # set after a query returning rows
                columns = cursor.description
                types = [d.type_display for d in columns]
                return [d.name for d in columns], cursor.fetchall(), types
    except psycopg.Error as exc:
        raise EngineError(f"the database said: {first_line(exc)}") from None
