"""The `sql` connector: push the aggregation down to a database (PostgreSQL, DuckDB, ClickHouse,
chDB, Spark, Snowflake; BigQuery and Trino as SQL).

The engine's request becomes one GROUP BY query (kpiengine.sqlgen), translated to the database's
dialect, so only the aggregated table crosses the network. A float column's NaN is a missing
value and an infinity an error, as in a CSV file (`_sql_floats`); an integer or DECIMAL column
is summed in its own type, and a text cell that is no number named (`_sql_types`). Before the
first query the date columns are checked (`_sql_dates`): numbers, text that is no ISO date, rows
with values but no date are errors. The module is longer than 420 lines: the query and the
reading of its answer stay in one class.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from kpiengine.connector import Connector, Mapping, Request, SourceConfig
from kpiengine.distinct import given as distinct_given
from kpiengine.errors import KpiError, did_you_mean, suggestion
from kpiengine.hookspecs import hookimpl
from kpiengine.model import Aggregate
from kpiengine.redaction import redact
from kpiengine.rowdates import date_grain_of, span_of
from kpiengine.sqlgen import (
    GENERATED_DIALECTS,
    TESTED_DIALECTS,
    AggregateSpec,
    Measure,
    aggregation_sql,
    date_range_sql,
    quote_ident,
    translate,
    where_value,
)
from kpiengine.table import Frame

from ._csv_subtotals import labelled
from ._sql_checks import checked
from ._sql_csv import Reading, as_parquet, holding
from ._sql_dates import check_dates
from ._sql_engine import EngineError, Result
from ._sql_files import FilesError, TableFile, source_reading, table_files
from ._sql_floats import PREFIX, RULE, finite_sql, infinite_sql, infinity_error
from ._sql_numeric import condition_sql, exact_sql, holds_nan
from ._sql_options import OPTIONS, naming
from ._sql_query import QueryRejected, checked_query
from ._sql_rows import (
    absent,
    extent_sql,
    given,
    id_windows,
    only_sql,
    present_sql,
    renamed_sql,
    widened,
    window_events,
    with_windows,
)
from ._sql_runners import run
from ._sql_sheet_errors import SHEET, error_sql, raise_sheet_errors, with_error_counts
from ._sql_textdates import blank_as_null, is_text
from ._sql_types import conversion_error, exact_type, raise_not_a_number
from ._sql_url import URL_FORMS, DatabaseUrl, UrlError

_PATHLIKE = re.compile(r"[/\\:*?]")


class SqlConnector(Connector):
    name = "sql"
    description = (
        "A database table or query, aggregated by the database "
        "(PostgreSQL, DuckDB, ClickHouse, chDB, Spark, Snowflake)"
    )
    mapping_dates = True
    renames_values = True  # `values:` are renamed in the query, before GROUP BY
    options = OPTIONS

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
        if self.option("decimal") not in (None, ".", ","):
            raise config.error("`decimal` must be `.` or `,`", "decimal")
        self.reading = source_reading(self)  # `files:` CSV (`_sql_files`)
        if dialect not in (*TESTED_DIALECTS, *GENERATED_DIALECTS):
            raise config.error(
                f"unknown dialect `{dialect}`{suggestion(str(dialect), GENERATED_DIALECTS)}",
                "dialect",
                f"one of {', '.join((*TESTED_DIALECTS, *GENERATED_DIALECTS))}",
            )
        self.dialect: str = dialect
        self.relation = self._relation()
        self._columns: list[str] | None = None
        self._types: dict[str, str] = {}
        self._probing = False  # looking for the column of a cell that is no number

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
            sql = translate(f"SELECT * FROM {self.relation} LIMIT 0", self.dialect)
            # a missing table or column, a query the database refuses: at `table:`/`query:`
            names, _, types = self._run(sql, "query" if self.option("query") else "table")
            self._columns, self._types = names, dict(zip(names, types, strict=False))
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
            error = self.error(
                f"{self._named()} has no column `{name}`{hint} (columns: {', '.join(columns)})"
            )
            error.location = naming(self.config, name, str(self.option("date")))
            raise error
        return quote_ident(name)

    def _dimension(self, name: str, column: str) -> str:
        """A dimension's SQL: its column, with the source's `values:` renamed before rows are
        grouped, so that a merged segment's mean or distinct count reads all its rows."""
        sql = self._column(column)
        renames = self.config.dimension_values.get(name)
        return renamed_sql(sql, renames) if renames else sql

    def _day(self, column: str) -> str:
        """A row's day. Every session runs in UTC (a timestamp with a zone has its UTC day);
        ClickHouse's CAST takes a DateTime column's day in the server's zone whatever the
        session's, so its day is asked in UTC (Nullable, as CAST gives it: a plain Date would
        be 1970-01-01 where the aggregation's joins find no row)."""
        day = self._column(column)
        if self.runnable and is_text(self._types.get(column, "")):
            day = blank_as_null(day)  # a blank cell is no date, as NULL (`_sql_textdates`)
        if self.dialect == "clickhouse":
            return f"CAST(toDate({day}, 'UTC') AS DATE)"
        return f"CAST({day} AS DATE)"

    def _condition(self, mapping: Mapping) -> str:
        return condition_sql(self, mapping)  # numbers as numbers (`_sql_numeric`)

    def _value(self, name: str, mapping: Mapping, time: str, dated: bool) -> str:
        """A row's value of a measure: its variable's, or the day of an infinite value
        (`_sql_floats`); `dated`: the row is dated by the variable's date column."""
        if not dated:
            return absent(mapping, time, self._exact(mapping))
        if name.startswith(PREFIX):
            value = f"CAST({self._column(str(mapping.column))} AS DOUBLE)"
            day = self._day(mapping.date or str(self.option("date")))
            return infinite_sql(value, day, self._condition(mapping), self.dialect)
        if name.startswith(SHEET):  # spreadsheet error values (`_sql_sheet_errors`)
            return error_sql(f"CAST({self._column(name[len(SHEET) :])} AS VARCHAR)", self.dialect)
        return self._measure(mapping, time)

    def _takes(self, mapping: Mapping) -> str:
        """SQL true on the rows a mapping reads: its `where:`, and for `count: COLUMN` and
        `distinct: COLUMN` a value (not NULL, blank or `n/a` in files) in that column."""
        condition = self._condition(mapping)
        present = mapping.distinct if mapping.distinct is not None else mapping.present
        if present is not None:
            text = f"CAST({self._column(present)} AS VARCHAR)"
            condition = f"{condition} AND {present_sql(text, self.dialect, bool(self.files))}"
        return condition

    def _measure(self, mapping: Mapping, time: str) -> str:
        condition = self._takes(mapping)
        if mapping.count:
            return f"(CASE WHEN {condition} THEN 1.0 ELSE 0.0 END)"
        if mapping.distinct is not None:  # counted distinct by sqlgen, ids with a value only
            return f"(CASE WHEN {condition} THEN {self._column(mapping.distinct)} END)"
        assert mapping.column is not None  # sourceconfig: a mapping has `column:` or `count: true`
        if self._exact(mapping):  # aggregated in its own type (`_sql_types`)
            other = " ELSE 0" if time == "sum" else ""  # NUMERIC's NaN: NULL (`_sql_numeric`)
            value = exact_sql(self._column(mapping.column), self._type(mapping), self.dialect)
            return f"(CASE WHEN {condition} THEN {value}{other} END)" if mapping.where else value
        value = finite_sql(f"CAST({self._column(mapping.column)} AS DOUBLE)", self.dialect)
        if mapping.scale != 1.0:
            value = f"({value} * {mapping.scale!r})"
        return where_value(condition, value, time) if mapping.where else value

    def _exact(self, mapping: Mapping) -> bool:
        """Whether a mapping's values are its integer or DECIMAL column as it is (`_sql_types`)."""
        if not self.runnable or mapping.column is None or mapping.count or mapping.scale != 1.0:
            return False
        return mapping.distinct is None and exact_type(self._type(mapping), self.dialect)

    def _type(self, mapping: Mapping) -> str:
        return self._types.get(str(mapping.column), "") if self.columns() else ""

    def _mappings(self) -> dict[str, Mapping]:
        return self.config.mappings or {
            v: Mapping(v, self.config.location, column=v) for v in self.provides()
        }

    def sql(self, request: Request) -> str:
        """The query this source runs for `request`, in its dialect (one statement)."""
        mappings = self._mappings()
        wanted = {v: mappings[v] for v in request.variables}
        rules = dict(request.variables)
        for variable in given(request, mappings):  # a column of counts: its rows per cell too
            rows = f"__rows {variable}"
            wanted[rows] = replace(wanted[variable], count=True, present=None)
            rules[variable] = rules[rows] = Aggregate()
        for variable, mapping in list(wanted.items()):  # its infinite values (`_sql_floats`)
            if mapping.column is not None and not mapping.count and mapping.distinct is None:
                if self._exact(mapping) and not holds_nan(self._type(mapping), self.dialect):
                    continue  # no infinity in its type
                wanted[PREFIX + variable], rules[PREFIX + variable] = mapping, RULE
        wanted, rules = with_error_counts(wanted, rules, bool(self.files))  # `#N/A` ids
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
        parts, taken = [], {}
        for column, variables in roles.items():
            values = ", ".join(
                f"{self._value(v, m, rules[v].time, v in variables)} AS {inner[v]}"
                for v, m in wanted.items()
            )
            # a mapping's own `date:` dates only the rows the source's mappings on that column
            # take (an open deal's expected close date is no event), whatever KPIs are asked
            own = [self._takes(m) for m in mappings.values() if column == m.date != default]
            taken[column] = only_sql(own)
            parts.append(
                f"SELECT {self._day(column)} AS __dated{picked}, {values} "
                f"FROM {self.relation}{taken[column]}"
            )
        relation = f"({' UNION ALL '.join(parts)}) AS dated_rows"
        day = "__dated"
        dimensions = {d: named[d] for d in dims}
        measures = {v: Measure(inner[v], rules[v], self._exact(m)) for v, m in wanted.items()}
        extent = None  # how far the rows go, when only some dates are asked for
        if request.start is not None or request.end is not None:
            extent = extent_sql([(self._day(c), w) for c, w in taken.items()], self.relation)
        where = date_range_sql(day, request.start, request.end)
        spec = AggregateSpec(relation, day, dimensions, measures, where, extent)
        spec.windows = id_windows(request, mappings)  # distinct counts over windows
        sql = aggregation_sql(spec, request.grain, request.dimensions, request.calendar)
        return translate(sql, self.dialect)

    def fetch(self, request: Request) -> Frame:
        # what the mapped columns of its CSV file hold: a cell they refuse is an error
        mappings = self.config.mappings.values()
        self.reading = holding(self.reading, mappings, request.quantities, request.variables)
        check_dates(self)  # numbers, text that is no ISO date, rows without a date (`_sql_dates`)
        names, rows, _ = self._run(self.sql(request))
        rows, events = window_events(names, rows)
        at = names.index("__period")  # NULL on the row of all the rows' first and last days
        edges = [r for r in rows if r[at] is None]
        rows = [r for r in rows if r[at] is not None]
        columns: list[Any] = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
        data = dict(zip(names, columns, strict=True))
        self._no_infinity(data)
        raise_sheet_errors(self, data)  # `#N/A` in a `count:` or `distinct:` column of `files:`
        values = {v: np.array(data[v], dtype=float) for v in request.variables}
        notes: dict[str, str] = {}
        for variable in given(request, self.config.mappings):
            counted = np.array(data[f"__rows {variable}"], dtype=float)
            values[variable], note = distinct_given(values[variable], counted, request.grain)
            notes |= {variable: note} if note else {}
        span = span_of(
            np.array(data["__first"], "datetime64[D]"), np.array(data["__last"], "datetime64[D]")
        )
        span = widened(span, names, edges)  # by the rows beyond the dates asked for
        stated = self._stated()
        if stated is not None and span is not None:
            # the export says how far it goes: days without activity are left out of its rows,
            # so rows to the 2nd of a report to the 31st are the whole month (as `csv` reads it)
            span = (min(span[0], stated[0]), max(span[1], stated[1]))
        frame = Frame(
            np.array(data["__period"], dtype="datetime64[D]"),
            {d: np.array(data[d], dtype=object).astype(str) for d in request.dimensions},
            values,
            source=self.config.name,
            span=span,
            grain=request.grain,
            date_grain=date_grain_of(
                np.array(data["__first"], "datetime64[D]"),
                np.array(data["__last"], "datetime64[D]"),
            ),
            totals=np.array(data["__total"], dtype=bool),
            notes=notes,
        )
        # subtotal rows beyond the sample, in a dimension grouped by: read again without them
        dims = {d: c for d, c in self.config.dimensions.items() if d in request.dimensions}
        later = labelled(frame, dims, self.reading.subtotals) if self.files else []
        if later:
            self.reading = replace(self.reading, subtotals=(*self.reading.subtotals, *later))
            return self.fetch(request)
        checked(self, frame, request)  # `files:`: as the `csv` connector checks them
        return with_windows(frame, names, events, request)

    def _no_infinity(self, data: dict[str, Any]) -> None:
        """The first infinite value the query found is an error (`_sql_floats`)."""
        error = infinity_error(data, self._mappings(), self._named())
        if error is not None:  # (no secret in it: the URL is not named)
            message, where, fix = error
            raise KpiError(f"source `{self.config.name}`: {message}", where, fix)

    def _engine_files(self) -> list[TableFile]:
        """The `files:` tables as in-process engines read them: a CSV file through kpiengine's
        reading layer, as the `csv` connector reads it (`_sql_csv`); the mappings type the
        columns of the table `table:` names (of every table for `query:`)."""
        if not (self.dialect in ("duckdb", "spark") or self.url.scheme == "chdb"):
            return self.files  # refused by the engine's runner
        options = Reading(
            self.reading.date_format, self.reading.decimal, encoding=self.reading.encoding
        )
        mapped = {self.option("table")} if self.option("table") else {f.name for f in self.files}
        return [
            f if f.format != "CSV" else as_parquet(
                f, self.config.root, self.reading if f.name in mapped else options
            )
            for f in self.files
        ]  # fmt: skip

    def _stated(self) -> tuple[dt.date, dt.date] | None:
        """The date range the CSV file of the table `table:` names states before its header
        (`_sql_csv`); None for a query (its rows may be some of a file's) or another table."""
        table = self.option("table")
        if not self.runnable or table not in {f.name for f in self.files}:
            return None
        return next((f.stated for f in self._engine_files() if f.name == table), None)

    def _run(self, sql: str, key: str | None = None) -> Result:
        """The rows of `sql`; a failure is the source's KpiError, at the engine's key for it
        (`url` for the connection) or else at `key`."""
        if not self.runnable:
            raise self.config.error(
                f"kpiengine generates {self.dialect} SQL but the URL's engine "
                f"({self.url.dialect}) does not run it",
                "dialect",
                f"`kpi sql --source {self.config.name}` prints the query for {self.dialect} "
                f"({', '.join(GENERATED_DIALECTS)} are generated only)",
            )
        try:
            return run(
                self.dialect,
                self.url,
                self.config.root,
                self._engine_files(),
                sql,
                allow_files=self.allow_files,
                query=bool(self.option("query")),
            )
        except (EngineError, UrlError) as exc:
            if isinstance(exc, EngineError) and conversion_error(str(exc)) and not self._probing:
                raise_not_a_number(self)  # the column and its cell (`_sql_types`)
            where = exc.key or key if isinstance(exc, EngineError) else "url"
            raise self.error(str(exc), where, getattr(exc, "fix", None)) from None

    def _named(self) -> str:
        """The table (and its file) or `the query`, as messages name what the source reads."""
        table = self.option("table")
        file = next((f.path for f in self.files if f.name == table), None)
        return f"table `{table}`" + (f" ({file})" if file else "") if table else "the query"


@hookimpl(trylast=True)
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(SqlConnector)
