"""Snowflake for the `sql` connector, through snowflake-connector-python.

`snowflake://user@account/database/schema?warehouse=WH&role=R`, the password in the URL (e.g.
`${SNOWFLAKE_PASSWORD}`), passed to the connector as a keyword, never in a message. The session
runs in UTC (`timezone`), so a TIMESTAMP_LTZ is dated by its UTC day (not by the account's zone).
The suite runs it against fakesnow (Snowflake's SQL emulated on DuckDB).
"""

from __future__ import annotations

from typing import Any

from ._sql_engine import EngineError, Result, first_line, need
from ._sql_files import TableFile
from ._sql_url import DatabaseUrl


def run_snowflake(url: DatabaseUrl, files: list[TableFile], sql: str) -> Result:
    """Run `sql` (Snowflake dialect) and return the aggregated rows."""
    if files:
        raise EngineError("`files` is for in-process engines, not Snowflake", key="files")
    need("snowflake.connector", "snowflake-connector-python", "snowflake")
    import snowflake.connector  # noqa: PLC0415

    params = url.postgres_params()
    database, _, schema = params.pop("dbname", "").partition("/")
    keywords = {
        "account": params.pop("host", ""),
        "user": params.pop("user", ""),
        "password": params.pop("password", ""),
        "database": database or None,
        "schema": schema or None,
        "timezone": "UTC",
        **{k: v for k, v in params.items() if k in ("warehouse", "role")},
    }
    try:
        con = snowflake.connector.connect(**keywords)
    except Exception as exc:  # the account, the user, the database: at `url:`
        raise EngineError(f"the database said: {first_line(exc)}", key="url") from None
    try:
        with con, con.cursor() as cursor:
            cursor.execute(sql)
            assert cursor.description is not None  # set after a query returning rows
            names = [d[0].lower() if d[0].startswith("__") else d[0] for d in cursor.description]
            return names, [tuple(row) for row in cursor.fetchall()], _types(cursor.description)
    except Exception as exc:  # snowflake.connector.Error and fakesnow's own
        raise EngineError(f"the database said: {first_line(exc)}") from None


def _types(description: Any) -> list[str]:
    """The columns' types: `NUMBER(p,s)` for Snowflake's FIXED (type code 0), else its name."""
    from snowflake.connector.constants import FIELD_ID_TO_NAME  # noqa: PLC0415

    return [
        f"NUMBER({d.precision},{d.scale})" if d.type_code == 0 and d.precision is not None
        else FIELD_ID_TO_NAME.get(d.type_code, "TEXT")
        for d in description
    ]  # fmt: skip
