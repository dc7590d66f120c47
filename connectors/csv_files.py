"""The `csv` connector: CSV/TSV spreadsheets (wide or long), Parquet and JSON lines, via DuckDB."""

from __future__ import annotations

import re
from collections.abc import Callable

from kpiengine.connector import Connector, Mapping, Option, Request, SourceConfig
from kpiengine.errors import KpiError, did_you_mean
from kpiengine.filequery import (
    Measure,
    Query,
    Sniffed,
    aggregate,
    bad_number_sql,
    date_range_sql,
    date_sql,
    first_bad_rows,
    first_bad_value,
    guess_date_format,
    guess_decimal,
    number_sql,
    quote_ident,
    quote_text,
    require_column,
    sniff,
)
from kpiengine.hookspecs import hookimpl
from kpiengine.table import Frame

DATE_NAMES = ("date", "day", "datum", "fecha", "month", "week", "period", "日期", "تاریخ")
CURRENCY_MARKS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "﷼": "IRR"}
_CODES = re.compile(r"\b(USD|EUR|GBP|JPY|CNY|IRR|CAD|AUD|CHF)\b")


def condition_sql(where: dict[str, list[str]]) -> str:
    """SQL true for rows whose columns hold one of the listed values."""
    parts = [
        f"trim({quote_ident(column)}) IN ({', '.join(quote_text(v) for v in values)})"
        for column, values in where.items()
    ]
    return " AND ".join(parts) or "TRUE"


def currencies_in(values: list[str]) -> set[str]:
    """Currencies written in a sample of cells (`$`, `€`, `EUR`, ...)."""
    found = {code for value in values for mark, code in CURRENCY_MARKS.items() if mark in value}
    found |= {m for value in values for m in _CODES.findall(value)}
    return found


class CsvConnector(Connector):
    name = "csv"
    description = "CSV or TSV spreadsheets (wide or long), Parquet and JSON lines files"
    options = (
        Option("path", "file or glob, relative to the workspace", required=True),
        Option(
            "format",
            "`wide` (a column per variable) or `long` (variable and value columns)",
            default="wide",
        ),
        Option("date", "the date column (default: a column named like `date`)"),
        Option("date_format", "strptime format of the dates, e.g. '%d/%m/%Y' (default: detected)"),
        Option("decimal", "decimal separator, `.` or `,` (default: detected per file)"),
        Option("delimiter", "field separator (default: detected)"),
        Option("skip", "lines before the header row (default: detected)"),
        Option(
            "variable_column", "long format: the column naming the variable", default="variable"
        ),
        Option("value_column", "long format: the column holding the value", default="value"),
    )

    def __init__(self, config: SourceConfig) -> None:
        super().__init__(config)
        self.files = [
            sniff(path, self.option("delimiter"), self.option("skip")) for path in config.paths()
        ]
        self.layout = self.files[0]
        for other in self.files[1:]:
            if other.columns != self.layout.columns:
                raise KpiError(
                    f"the columns differ from {self.layout.path.name}'s "
                    f"({', '.join(self.layout.columns)})",
                    other.location(other.skip + 1),
                )
        self.date_column = self._date_column()
        self.mappings = config.mappings or self._auto_mappings()
        self.dims = config.dimensions or self._auto_dimensions()
        for column in self.dims.values():
            require_column(self.layout, column, "dimension column")

    def _date_column(self) -> str:
        explicit = self.option("date")
        if explicit:
            return require_column(self.layout, str(explicit), "date column")
        for column in self.layout.columns:
            if column.strip().lower() in DATE_NAMES:
                return column
        raise KpiError(
            f"no date column (columns: {', '.join(self.layout.columns)})",
            self.layout.location(self.layout.skip + 1, self.layout.columns[0]),
            "name it with the source option `date: COLUMN`",
        )

    def _is_long(self) -> bool:
        return self.option("format") == "long"

    def _auto_mappings(self) -> dict[str, Mapping]:
        variables = self.config.variables
        if self._is_long():
            column = require_column(self.layout, self.option("variable_column"), "variable column")
            index = self.layout.columns.index(column)
            names = {row[index].strip() for row in self.layout.sample if index < len(row)}
            return {n: Mapping(n, self.config.location, column=n) for n in names if n in variables}
        out = {}
        for column in self.layout.columns:
            if column in variables:
                out[column] = Mapping(column, self.config.location, column=column)
            elif column != self.date_column:
                close = did_you_mean(column, variables)
                if close and close not in self.layout.columns:
                    raise KpiError(
                        f"column `{column}` is not a variable; did you mean `{close}`?",
                        self.layout.location(self.layout.skip + 1, column),
                        "rename the column, map it with `map:`, or declare the variable",
                    )
        return out

    def _auto_dimensions(self) -> dict[str, str]:
        if self.config.mappings or self._is_long():
            skip = {self.date_column, self.option("variable_column"), self.option("value_column")}
            if self._is_long():
                return {c: c for c in self.layout.columns if c not in skip}
            return {}
        used = {m.column for m in self.mappings.values()}
        return {c: c for c in self.layout.columns if c not in used and c != self.date_column}

    def provides(self) -> set[str]:
        return set(self.mappings)

    def dimensions(self) -> set[str]:
        return set(self.dims)

    def _measure_sql(self, mapping: Mapping, decimal: str) -> str:
        if self._is_long():
            variable = require_column(
                self.layout, self.option("variable_column"), "variable column"
            )
            value = require_column(self.layout, self.option("value_column"), "value column")
            where = {variable: [mapping.column or mapping.variable], **mapping.where}
            return f"(CASE WHEN {condition_sql(where)} THEN {number_sql(value, decimal)} END)"
        condition = condition_sql(mapping.where)
        if mapping.count:
            return f"(CASE WHEN {condition} THEN 1.0 ELSE 0.0 END)"
        assert mapping.column is not None  # sourceconfig: a mapping has `column:` or `count: true`
        column = require_column(self.layout, mapping.column, "column")
        value = number_sql(column, decimal)
        if mapping.scale != 1.0:
            value = f"({value} * {mapping.scale!r})"
        return value if not mapping.where else f"(CASE WHEN {condition} THEN {value} ELSE 0.0 END)"

    def _check_currency(self, mapping: Mapping) -> None:
        if mapping.count or self._is_long():
            return
        assert mapping.column is not None  # sourceconfig: a mapping has `column:` or `count: true`
        column = require_column(self.layout, mapping.column, "column")
        index = self.layout.columns.index(column)
        written = currencies_in([row[index] for row in self.layout.sample if index < len(row)])
        declared = {mapping.currency} if mapping.currency else set()
        found = written | declared
        if len(found) > 1:
            raise KpiError(
                f"column `{column}` mixes currencies ({', '.join(sorted(found))}) and there is no "
                "rate table",
                self.layout.location(self.layout.skip + 1, column),
                "convert the column to one currency before importing it",
            )
        workspace = self.config.currency
        if found and workspace and found != {workspace}:
            raise KpiError(
                f"column `{column}` is in {found.pop()} but the workspace currency is {workspace}",
                mapping.location,
                "convert it first, or set the workspace `currency:` to match",
            )

    def _check_values(self, sniffed: Sniffed, columns: list[str], decimal: str, fmt: str) -> None:
        checks = [(c, bad_number_sql(c, decimal), "a number") for c in columns]
        date = quote_ident(self.date_column)
        checks.append(
            (
                self.date_column,
                f"(trim({date}) <> '' AND {date_sql(self.date_column, fmt)} IS NULL)",
                f"a date like {fmt}",
            )
        )
        failing = first_bad_rows([sniffed], {c: cond for c, cond, _ in checks})
        if failing:  # the earliest bad cell; its text needs a second look at the file
            column = min(failing, key=lambda c: failing[c][1])
            condition, expected = next((cond, e) for c, cond, e in checks if c == column)
            bad = first_bad_value([sniffed], column, condition)
            assert bad is not None  # first_bad_rows found a row where the condition holds
            file, line, text = bad
            raise KpiError(
                f"expected {expected} in column `{column}`, found `{text}`",
                file.location(line, column),
            )

    def fetch(self, request: Request) -> Frame:
        mappings = {v: self.mappings[v] for v in request.variables if v in self.mappings}
        fmt = guess_date_format(self.layout, self.date_column, self.option("date_format"))
        frames = []
        decimals = {}
        for sniffed in self.files:
            decimals[sniffed.path] = self.option("decimal") or self._decimal(sniffed, mappings)
        for decimal in sorted(set(decimals.values())):
            files = [f for f in self.files if decimals[f.path] == decimal]
            numeric = sorted(
                {
                    m.column
                    for m in mappings.values()
                    if m.column and not m.count and not self._is_long()
                }
                | ({self.option("value_column")} if self._is_long() else set())
            )
            for mapping in mappings.values():
                self._check_currency(mapping)
            for sniffed in files:
                self._check_values(sniffed, numeric, decimal, fmt)
            day = date_sql(self.date_column, fmt)
            query = Query(
                files,
                day,
                {
                    d: f"trim({quote_ident(c)})"
                    for d, c in self.dims.items()
                    if d in request.dimensions
                },
                {
                    v: Measure(self._measure_sql(m, decimal), request.variables[v])
                    for v, m in mappings.items()
                },
                date_range_sql(day, request.start, request.end),
                request.calendar,
            )
            frames.append(aggregate(query, request.grain, request.dimensions, self.config.location))
        return Frame.concat(frames)

    def _decimal(self, sniffed: Sniffed, mappings: dict[str, Mapping]) -> str:
        columns = {m.column for m in mappings.values() if m.column and not self._is_long()}
        if self._is_long():
            columns = {self.option("value_column")}
        indexes = [sniffed.columns.index(c) for c in columns if c in sniffed.columns]
        values = [row[i] for row in sniffed.sample for i in indexes if i < len(row)]
        return guess_decimal(values)


@hookimpl(trylast=True)
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(CsvConnector)
