"""The `query:` of a `sql` source: exactly one read-only SELECT, checked with sqlglot.

The query is parsed in the source's dialect and rejected when it is not one SELECT (or a set
operation of SELECTs), when any part of it writes or changes the session (DDL, DML, COPY,
PRAGMA, ATTACH, SET, SELECT ... INTO, a data-modifying WITH), or when it reads files or the
network (`read_csv`, `read_text`, `pg_read_file`, a path as a table, ...) without
`allow_files: true`. The SQL that runs is the one sqlglot regenerates from the checked tree, so
nothing the parser did not see reaches the database.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

#: Statement and clause types a read-only query never contains (names looked up in sqlglot,
#: so a type a sqlglot version lacks is skipped).
FORBIDDEN = (
    "DDL",
    "DML",
    "Command",
    "Copy",
    "Pragma",
    "Set",
    "Attach",
    "Detach",
    "Install",
    "Into",
    "Lock",
    "TruncateTable",
    "Use",
    "Transaction",
    "Commit",
    "Rollback",
    "Describe",
    "Show",
    "Kill",
    "Grant",
    "Revoke",
    "Analyze",
    "LoadData",
    "Cache",
    "Uncache",
    "Refresh",
    "Summarize",
    "Export",
    "Declare",
    "Execute",
)
#: Functions that read files, URLs, other databases, the environment or server settings, or
#: change the session (matched on the lower-case name's start).
FILE_FUNCTIONS = (
    "read_",
    "glob",
    "parquet_",
    "sniff_csv",
    "iceberg_",
    "delta_scan",
    "query",
    "getenv",
    "sqlite_",
    "postgres_",
    "mysql_",
    "pg_read",
    "pg_ls_",
    "pg_stat_file",
    "pg_file",
    "lo_",
    "dblink",
    "set_config",
    "current_setting",
    "http",
    "copy",
)
#: Table functions that generate rows without reading anything.
ROW_GENERATORS = ("generate_series", "exploding_generate_series", "range", "unnest")
_PATH_LIKE = re.compile(r"[/\\:*?]|\.\w+$")


class QueryRejected(ValueError):
    """Why a `query:` is refused (the message says what to change)."""


def checked_query(text: str, dialect: str, allow_files: bool = False) -> str:
    """The query as DuckDB-dialect SQL regenerated from its checked parse tree."""
    import sqlglot  # noqa: PLC0415 - only SQL sources pay for the import
    from sqlglot import exp  # noqa: PLC0415

    try:
        with _quiet_sqlglot():
            trees = [t for t in sqlglot.parse(text, read=dialect) if t is not None]
    except sqlglot.errors.SqlglotError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise QueryRejected(f"`query` is not SQL sqlglot can read: {first}") from None
    if len(trees) != 1:
        raise QueryRejected(f"`query` must be one SELECT statement, not {len(trees)} statements")
    tree = trees[0]
    while isinstance(tree, exp.Subquery):
        tree = tree.this
    if not isinstance(tree, exp.Select | exp.SetOperation):
        raise QueryRejected(f"`query` must be a SELECT, not {_kind(tree)}")
    forbidden = tuple(t for t in (getattr(exp, n, None) for n in FORBIDDEN) if t is not None)
    for node in tree.walk():
        if isinstance(node, forbidden):
            raise QueryRejected(f"`query` may only read: it contains {_kind(node)}")
        if allow_files:
            continue
        if isinstance(node, exp.Func) and _name(node).startswith(FILE_FUNCTIONS):
            raise QueryRejected(_file_message(f"the function {_name(node)}()"))
        if isinstance(node, exp.Table):
            source = node.this
            if isinstance(source, exp.Func) and _name(source) not in ROW_GENERATORS:
                raise QueryRejected(_file_message(f"the table function {_name(source)}()"))
            if isinstance(source, exp.Identifier) and _PATH_LIKE.search(source.name):
                raise QueryRejected(_file_message(f"the file `{source.name}`"))
    return tree.sql(dialect="duckdb")


def _name(func: object) -> str:
    from sqlglot import exp  # noqa: PLC0415

    if isinstance(func, exp.Anonymous):
        return str(func.name).lower()
    assert isinstance(func, exp.Func)
    return func.sql_name().lower()


def _kind(node: object) -> str:
    key = getattr(node, "key", type(node).__name__)
    return str(key).upper().replace("_", " ")


def _file_message(what: str) -> str:
    return (
        f"`query` may not read files, URLs or settings ({what}); "
        "set `allow_files: true` on this source to allow it"
    )


@contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    """sqlglot logs warnings (`FOR UPDATE` dropped, a statement read as a command) to stderr."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
