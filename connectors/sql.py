"""The `sql` connector: push the aggregation down to a database (PostgreSQL, DuckDB, ClickHouse,
chDB, Spark, Snowflake; BigQuery and Trino as SQL).

The engine's request becomes one GROUP BY query (kpiengine.sqlgen), translated to the database's
dialect, so only the aggregated table crosses the network.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from kpiengine.connector import Connector, Mapping, Option, Request, SourceConfig
from kpiengine.distinct import given as distinct_given
from kpiengine.distinct import rows_counted
from kpiengine.errors import KpiError, did_you_mean, suggestion
from kpiengine.hookspecs import hookimpl
from kpiengine.model import DISTINCT, Aggregate
from kpiengine.redaction import redact
from kpiengine.sqlgen import (
    GENERATED_DIALECTS,
    TESTED_DIALECTS,
    AggregateSpec,
    Measure,
    aggregation_sql,
    date_range_sql,
    quote_ident,
    quote_text,
    translate,
    where_value,
)
from kpiengine.table import Frame, date_grain_of, span_of

from ._sql_clickhouse import run_chdb, run_server
from ._sql_engine import EngineError, Result, first_line
from ._sql_files import FilesError, table_files
from ._sql_query import QueryRejected, checked_query
from ._sql_snowflake import run_snowflake
from ._sql_spark import run_spark
from ._sql_url import DOCUMENTED, URL_FORMS, DatabaseUrl, UrlError

_PATHLIKE = re.compile(r"[/\\:*?]")


class SqlConnector(Connector):
    name = "sql"
    description = (
        "A database table or query, aggregated by the database "
        "(PostgreSQL, DuckDB, ClickHouse, chDB, Spark, Snowflake)"
    )
    mapping_dates = True
    renames_values = True  # `values:` are renamed in the query, before GROUP BY
    options = (
        Option(
            "url",
            "postgresql://user@host:5432/db, duckdb:///path.db, clickhouse://user@host:8123/db, "
            "chdb://PATH, spark:local[2], spark://HOST:7077, sc://HOST:15002, "
            "snowflake://user@account/db/schema; reads only the variables "
            f"{DOCUMENTED} (URL-encoded, never printed)",
            True,
        ),
        Option("table", "the table (or schema.table) to read"),
        Option("query", "one read-only SELECT to read instead of a table"),
        Option("date", "the date column", default="date"),
        Option(
            "files",
            "tables read from CSV or Parquet files by an in-process engine (duckdb, chdb, "
            "spark:local), e.g. {deals: exports/deals.parquet}",
        ),
        Option("dialect", "SQL dialect (default: from the URL); bigquery, trino: SQL only"),
        Option(
            "allow_files",
            "true lets `query` read files and URLs (read_csv, ...); DuckDB external access",
            default=False,
        ),
    )

    def __init__(self, config: SourceConfig) -> None:
        self.secrets: tuple[str, ...] = ()
        super().__init__(config)
        if bool(self.option("table")) == bool(self.option("query")):
            raise config.error("give either `table` or `query`", fix="e.g. `table: deals`")
        allow_files = self.option("allow_files")
        if not isinstance(allow_files, bool):
            raise config.error("`allow_files` must be true or false", "allow_files")
        self.allow_files: bool = allow_files
        try:
            self.url = DatabaseUrl.expand(str(self.option("url")))
        except UrlError as exc:
            raise config.error(str(exc), "url") from None
        self.secrets = tuple(self.url.secrets)
        dialect = self.option("dialect") or self.url.dialect
        if dialect is None:
            raise self.error(
                f"unknown database URL scheme `{self.url.scheme}`",
                "url",
                f"one of: {', '.join(URL_FORMS)}",
            )
        try:
            self.files = table_files(self.option("files"), config.root)
        except FilesError as exc:
            raise self.error(str(exc), "files") from None
        if dialect not in (*TESTED_DIALECTS, *GENERATED_DIALECTS):
            raise config.error(
                f"unknown dialect `{dialect}`{suggestion(str(dialect), GENERATED_DIALECTS)}",
                "dialect",
                f"one of {', '.join((*TESTED_DIALECTS, *GENERATED_DIALECTS))}",
            )
        self.dialect: str = dialect
        self.relation = self._relation()
        self._columns: list[str] | None = None

    def error(self, message: str, key: str | None = None, fix: str | None = None) -> KpiError:
        """A KpiError about this source with every secret of its URL shown as ***."""
        return self.config.error(redact(message, self.secrets), key, fix)

    def _relation(self) -> str:
        table = self.option("table")
        if table:
            name = str(table)
            if not self.allow_files and _PATHLIKE.search(name):
                raise self.config.error(
                    f"`table` names a file (`{name}`): only tables are read",
                    "table",
                    "set `allow_files: true` on this source to read a file through the database",
                )
            return ".".join(quote_ident(part) for part in name.split("."))
        try:
            query = checked_query(str(self.option("query")), self.dialect, self.allow_files)
        except QueryRejected as exc:
            raise self.config.error(str(exc), "query") from None
        return f"({query}) AS source_rows"

    def columns(self) -> list[str]:
        """The relation's column names (asked once from the database)."""
        if self._columns is None:
            names, _ = self._run(translate(f"SELECT * FROM {self.relation} LIMIT 0", self.dialect))
            self._columns = names
        return self._columns

    @property
    def runnable(self) -> bool:
        """True when the URL's engine runs this dialect (else the SQL is generated only)."""
        return self.dialect == self.url.dialect

    def provides(self) -> set[str]:
        if self.config.mappings:
            return set(self.config.mappings)
        if not self.runnable:
            raise self.config.error(
                f"with the generated-only dialect {self.dialect}, list the variables under `map:`"
            )
        return {c for c in self.columns() if c in self.config.variables}

    def dimensions(self) -> set[str]:
        return set(self.config.dimensions)

    def _column(self, name: str) -> str:
        if not self.runnable:
            return quote_ident(name)
        columns = self.columns()
        if name not in columns:
            close = did_you_mean(name, columns)
            hint = f"; did you mean `{close}`?" if close else ""
            raise self.error(
                f"the table has no column `{name}`{hint} (columns: {', '.join(columns)})"
            )
        return quote_ident(name)

    def _dimension(self, name: str, column: str) -> str:
        """A dimension's SQL: its column, with the source's `values:` renamed before rows are
        grouped, so that a merged segment's mean or distinct count reads all its rows."""
        sql = self._column(column)
        renames = self.config.dimension_values.get(name)
        return renamed_sql(sql, renames) if renames else sql

    def _measure(self, mapping: Mapping, time: str) -> str:
        condition = (
            " AND ".join(
                f"CAST({self._column(col)} AS VARCHAR) IN ({', '.join(map(quote_text, values))})"
                for col, values in mapping.where.items()
            )
            or "TRUE"
        )
        if mapping.count:
            if mapping.present is not None:  # a value: not NULL, not blank text
                text = f"CAST({self._column(mapping.present)} AS VARCHAR)"
                condition = f"{condition} AND NULLIF(TRIM({text}), '') IS NOT NULL"
            return f"(CASE WHEN {condition} THEN 1.0 ELSE 0.0 END)"
        if mapping.distinct is not None:  # counted distinct by sqlgen; NULL is not a value
            return f"(CASE WHEN {condition} THEN {self._column(mapping.distinct)} END)"
        assert mapping.column is not None  # sourceconfig: a mapping has `column:` or `count: true`
        value = f"CAST({self._column(mapping.column)} AS DOUBLE)"
        if mapping.scale != 1.0:
            value = f"({value} * {mapping.scale!r})"
        return where_value(condition, value, time) if mapping.where else value

    def sql(self, request: Request) -> str:
        """The query this source runs for `request`, in its dialect (one statement)."""
        mappings = self.config.mappings or {
            v: Mapping(v, self.config.location, column=v) for v in self.provides()
        }
        wanted = {v: mappings[v] for v in request.variables}
        rules = dict(request.variables)
        for variable in _given(request, mappings):  # a column of counts: its rows per cell too
            rows = f"__rows {variable}"
            wanted[rows] = replace(wanted[variable], count=True, present=None)
            rules[variable] = rules[rows] = Aggregate()
        default = str(self.option("date"))
        roles: dict[str, list[str]] = {}
        for variable, mapping in wanted.items():
            roles.setdefault(mapping.date or default, []).append(variable)
        dims = self.config.dimensions
        # the rows' values under internal names (ClickHouse reads a name as an alias of the
        # same SELECT before a column: `source AS channel, CAST(channel AS DOUBLE) AS x` would
        # read the alias); one SELECT per date column when variables are dated by other columns
        inner = {v: f"__m{i}" for i, v in enumerate(wanted)}
        named = {d: f"__d{i}" for i, d in enumerate(dims)}
        picked = "".join(f", {self._dimension(d, c)} AS {named[d]}" for d, c in dims.items())
        parts = []
        for column, variables in roles.items():
            values = ", ".join(
                f"{self._measure(m, rules[v].time) if v in variables else _absent(m)} AS {inner[v]}"
                for v, m in wanted.items()
            )
            parts.append(
                f"SELECT CAST({self._column(column)} AS DATE) AS __dated{picked}, {values} "
                f"FROM {self.relation}"
            )
        relation = f"({' UNION ALL '.join(parts)}) AS dated_rows"
        day = "__dated"
        dimensions = {d: named[d] for d in dims}
        measures = {v: Measure(inner[v], rules[v]) for v in wanted}
        spec = AggregateSpec(
            relation, day, dimensions, measures, date_range_sql(day, request.start, request.end)
        )
        sql = aggregation_sql(spec, request.grain, request.dimensions, request.calendar)
        return translate(sql, self.dialect)

    def fetch(self, request: Request) -> Frame:
        names, rows = self._run(self.sql(request))
        columns: list[Any] = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
        data = dict(zip(names, columns, strict=True))
        values = {v: np.array(data[v], dtype=float) for v in request.variables}
        notes: dict[str, str] = {}
        for variable in _given(request, self.config.mappings):
            counted = np.array(data[f"__rows {variable}"], dtype=float)
            values[variable], note = distinct_given(values[variable], counted, request.grain)
            notes |= {variable: note} if note else {}
        return Frame(
            np.array(data["__period"], dtype="datetime64[D]"),
            {d: np.array(data[d], dtype=object).astype(str) for d in request.dimensions},
            values,
            source=self.config.name,
            span=span_of(
                np.array(data["__first"], "datetime64[D]"),
                np.array(data["__last"], "datetime64[D]"),
            ),
            grain=request.grain,
            date_grain=date_grain_of(
                np.array(data["__first"], "datetime64[D]"),
                np.array(data["__last"], "datetime64[D]"),
            ),
            totals=np.array(data["__total"], dtype=bool),
            notes=notes,
        )

    def _run(self, sql: str) -> Result:
        runners: dict[str, Callable[[], Result]] = {
            "duckdb": lambda: self._run_duckdb(sql),
            "postgres": lambda: self._run_postgres(sql),
            "spark": lambda: run_spark(self.url, self.files, sql),
            "snowflake": lambda: run_snowflake(self.url, self.files, sql),
            "clickhouse": lambda: (
                run_chdb(self.url, self.config.root, self.files, sql)
                if self.url.scheme == "chdb"
                else run_server(self.url, self.files, sql)
            ),
        }
        if self.runnable:
            try:
                return runners[self.dialect]()
            except (EngineError, UrlError) as exc:
                raise self.error(
                    str(exc), getattr(exc, "key", "url"), getattr(exc, "fix", None)
                ) from None
        raise self.config.error(
            f"kpiengine generates {self.dialect} SQL but the URL's engine "
            f"({self.url.dialect}) does not run it",
            "dialect",
            f"`kpi sql --source {self.config.name}` prints the query for {self.dialect} "
            f"({', '.join(GENERATED_DIALECTS)} are generated only)",
        )

    def _run_duckdb(self, sql: str) -> Result:
        import duckdb

        database = self.url.duckdb_path()
        if database in ("", ":memory:"):
            if not self.files and not self.option("query"):  # a query may need no table
                raise self.error(
                    "an in-memory DuckDB (`duckdb://`) has no tables: add `files:`", "url"
                )
            target, read_only = ":memory:", False
        else:
            path = Path(database)
            path = path if path.is_absolute() else self.config.root / path
            if not path.is_file():
                raise self.error(f"no DuckDB database at {path}", "url")
            target, read_only = str(path), True
        try:
            with duckdb.connect(target, read_only=read_only) as con:
                # read-only, and (unless allowed) no file, URL or extension access beyond the
                # database and the `files:` tables
                if self.files and not self.allow_files:
                    paths = ", ".join(quote_text(str(f.path)) for f in self.files)
                    con.execute(f"SET allowed_paths = [{paths}]")
                if not self.allow_files:
                    con.execute("SET enable_external_access = false")
                con.execute("SET lock_configuration = true")
                for file in self.files:
                    reader = "read_parquet" if file.format == "Parquet" else "read_csv"
                    con.execute(
                        f"CREATE TEMP VIEW {quote_ident(file.name)} AS SELECT * FROM "
                        f"{reader}({quote_text(str(file.path))})"
                    )
                cursor = con.execute(sql)
                return [d[0] for d in cursor.description], cursor.fetchall()
        except duckdb.Error as exc:
            raise self.error(f"the database said: {first_line(exc)}") from None

    def _run_postgres(self, sql: str) -> Result:
        try:
            import psycopg
        except ImportError:
            raise self.config.error(
                "PostgreSQL needs the `psycopg` package", fix='pip install "psycopg[binary]"'
            ) from None
        try:
            params = self.url.postgres_params()
        except UrlError as exc:
            raise self.error(str(exc), "url") from None
        # every transaction of the session is read-only, and this one is declared so too
        options = f"{params.pop('options', '')} -c default_transaction_read_only=on".strip()
        params.setdefault("connect_timeout", "10")
        try:
            conninfo = psycopg.conninfo.make_conninfo("", **params, options=options)
            with psycopg.connect(conninfo) as con:
                con.read_only = True
                with con.cursor() as cursor:
                    cursor.execute(sql)
                    assert cursor.description is not None  # set after a query returning rows
                    return [d.name for d in cursor.description], cursor.fetchall()
        except psycopg.Error as exc:
            raise self.error(f"the database said: {first_line(exc)}") from None


def renamed_sql(sql: str, renames: dict[str, str]) -> str:
    """`sql` as the text its segment shows (NULL as '', as in `aggregation_sql`), a value that
    `renames` names replaced by its new name. Values compare exactly, case included, as in the
    file connectors (which trim cells first; this connector shows cells untrimmed). Keys and
    names are SQL string literals, re-quoted by sqlglot for each dialect it translates to."""
    text = f"COALESCE(CAST({sql} AS VARCHAR), '')"
    cases = " ".join(f"WHEN {quote_text(k)} THEN {quote_text(v)}" for k, v in renames.items())
    return f"(CASE {text} {cases} ELSE {text} END)"


def _given(request: Request, mappings: dict[str, Mapping]) -> list[str]:
    """The distinct counts mapped to a column of counts (`kpiengine.distinct.given`); counting
    rows of one is an error."""
    found = []
    for variable, rule in request.variables.items():
        mapping = mappings.get(variable)
        if rule.time != DISTINCT or (mapping is not None and mapping.distinct is not None):
            continue
        if mapping is not None and mapping.count:
            raise rows_counted(variable, mapping.location)
        found.append(variable)
    return found


def _absent(mapping: Mapping) -> str:
    """A variable's value on rows dated by another column: no event (0) for counts and
    filtered sums, missing for a plain column or a distinct count."""
    if mapping.distinct is not None:
        return "NULL"
    return "0.0" if mapping.count or mapping.where else "CAST(NULL AS DOUBLE)"


@hookimpl(trylast=True)
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(SqlConnector)
