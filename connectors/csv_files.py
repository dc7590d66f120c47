"""The `csv` connector: CSV/TSV spreadsheets (wide or long), Parquet and JSON lines, via DuckDB.

Wide files have a column per variable (auto-mapped by name) and long ones a variable and a value
column. Every file is read by the reading layer (`kpiengine.fileformats`) and aggregated in one
DuckDB scan per request (`kpiengine.filescan`): each value cell parsed by the one number grammar
or reported at `file:line:column` (also a cell its variable's unit refuses: `45%` in a column
of `currency`, `€45` in one of `clicks`; `Request.quantities`), the currency written in the
cells checked, each variable dated by the source's date column or its mapping's own `date:`.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from itertools import zip_longest

import numpy as np

from kpiengine.cellreader import number_readers
from kpiengine.connector import Connector, Mapping, Option, Request, SourceConfig
from kpiengine.distinct import given as distinct_given
from kpiengine.distinct import rows_counted
from kpiengine.errors import KpiError, did_you_mean
from kpiengine.fileformats import DateFormat
from kpiengine.fileformats.decimals import deciding, disagreeing
from kpiengine.fileformats.headerdates import check_header_dates
from kpiengine.fileformats.tables import FileTable
from kpiengine.filescan import Reader, Scan
from kpiengine.filesource import (
    count_columns,
    date_format_of,
    date_format_option,
    decimal_of,
    decimal_option,
    find,
    open_files,
    own_decimal,
    require,
    typed,
)
from kpiengine.hookspecs import hookimpl
from kpiengine.model import DISTINCT, Aggregate
from kpiengine.rowdates import joined_range
from kpiengine.sqlgen import where_value
from kpiengine.table import Frame

from ._csv_decimals import other_export, telling, voting
from ._csv_rows import rows_option, settle, watch
from ._csv_subtotals import Subtotals, sampled
from ._csv_totals import Totals, group_totals
from ._csv_undated import raise_undated

DATE_NAMES = ("date", "day", "datum", "fecha", "month", "week", "period", "日期", "تاریخ")


class CsvConnector(Connector):
    name = "csv"
    renames_values = True
    description = "CSV or TSV spreadsheets (wide or long), Parquet and JSON lines files"
    mapping_dates = True
    options = (
        Option("path", "file or glob, relative to the workspace", required=True, kind="path"),
        Option(
            "format",
            "`wide` (a column per variable) or `long` (variable and value columns)",
            default="wide",
            kind="text",
            choices=("wide", "long"),
        ),
        Option("date", "the date column (default: a column named like `date`)", kind="name"),
        date_format_option(),
        rows_option(),
        decimal_option(),
        Option("delimiter", "field separator (default: detected)", kind="text"),
        Option("skip", "lines before the header row (default: detected)", kind="whole_number"),
        Option(
            "variable_column",
            "long format: the column naming the variable",
            default="variable",
            kind="name",
        ),
        Option(
            "value_column",
            "long format: the column holding the value",
            default="value",
            kind="name",
        ),
        Option(
            "encoding",
            "`auto` (UTF-8, UTF-16 with a BOM, Windows-1252 or DOS cp850, from the bytes) or "
            "a Python codec, e.g. `cp1252`, `cp850`",
            default="auto",
            kind="text",
        ),
    )

    def __init__(self, config: SourceConfig) -> None:
        super().__init__(config)
        if self.option("decimal") not in (None, ".", ","):
            raise config.error("`decimal` must be `.` or `,`", "decimal")
        skip = self.option("skip")
        encoding = str(self.option("encoding") or "auto")
        try:
            codecs.lookup("utf-8" if encoding == "auto" else encoding)
        except LookupError:
            raise config.error(
                f"unknown encoding `{encoding}`", "encoding", "e.g. utf-8, utf-16, cp1252"
            ) from None
        self.tables = open_files(
            config,
            delimiter=self.option("delimiter"),
            header_line=None if skip is None else int(skip) + 1,
            encoding=None if encoding == "auto" else encoding,
        )
        self.layout = self.tables[0]
        self.date_column = self._date_column()
        self.mappings = config.mappings or self._auto_mappings()
        self.dims = {d: require(self.layout, c, "dimension column") for d, c in
                     (config.dimensions or self._auto_dimensions()).items()}  # fmt: skip
        for mapping in self.mappings.values():
            for column in [mapping.column, mapping.distinct, mapping.date, *mapping.where]:
                if column and not self._long():
                    require(self.layout, column)

    # --- layout -------------------------------------------------------------------------------

    def _long(self) -> bool:
        return self.option("format") == "long"

    def _date_column(self) -> str:
        explicit = self.option("date")
        found = find(self.layout, [str(explicit)] if explicit else DATE_NAMES)
        if found is None:  # months in the header (`Jan 2024`): an error of their own
            check_header_dates(self.layout, [m.column for m in self.config.mappings.values()])
        if explicit:
            return require(self.layout, str(explicit), "date column")
        if found is None:
            raise KpiError(
                f"no date column (columns: {', '.join(self.layout.columns)})",
                self.layout.header(),
                "name it with the source option `date: COLUMN`",
            )
        return found

    def _auto_mappings(self) -> dict[str, Mapping]:
        variables = self.config.variables
        if self._long():
            column = require(self.layout, self.option("variable_column"), "variable column")
            names = {c.strip() for t in self.tables for c in t.cells(column)}
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
                        self.layout.header(column),
                        "rename the column, map it with `map:`, or declare the variable",
                    )
        return out

    def _auto_dimensions(self) -> dict[str, str]:
        if self.config.mappings or self._long():
            skip = {self.date_column, self.option("variable_column"), self.option("value_column")}
            return {c: c for c in self.layout.columns if c not in skip} if self._long() else {}
        used = {m.column for m in self.mappings.values()}
        return {c: c for c in self.layout.columns if c not in used and c != self.date_column}

    def provides(self) -> set[str]:
        return set(self.mappings)

    def dimensions(self) -> set[str]:
        return set(self.dims)

    # --- reading ------------------------------------------------------------------------------

    def _value_column(self, mapping: Mapping) -> str | None:
        if self._long():
            return require(self.layout, self.option("value_column"), "value column")
        return None if mapping.column is None else require(self.layout, mapping.column)

    def _formats(self, mappings: dict[str, Mapping]) -> dict[str, DateFormat]:
        columns = {self.date_column} | {require(self.layout, m.date) for m in mappings.values()
                                        if m.date}  # fmt: skip
        formats = {}
        for column in sorted(columns):
            others = [c for o in columns - {column} for t in self.tables for c in t.cells(o)]
            formats[column] = date_format_of(
                self.tables, column, self.option("date_format"), extra=others
            )
        return formats

    def _decimals(self) -> dict[str, str]:
        """Each file's decimal mark, told by the cells of every mapped column (not only those
        asked for: a column of counts may tell what a column of amounts cannot). A file whose
        cells cannot tell (`1,500` alone) takes the mark the source's other files tell (one
        export, one number format), else `guess_decimal`'s reading of grouped cells. But a
        file of another export than those telling the mark (another delimiter: `;` beside
        `,`) whose cells read otherwise by that rule (`1.500 €`: 1500) is an error naming
        both files: which reading is right, only the source's `decimal:` can say."""
        numbers = sorted({c for m in self.mappings.values() if (c := self._value_column(m))})
        option = self.option("decimal")
        whole = self._whole()
        # the amounts' currency: `1.250` KWD are 1.25 or 1250, the source's `decimal:` decides
        currency = {c: code for m in self.mappings.values() if (c := self._value_column(m))
                    and c not in whole and (code := self._currency(m))}  # fmt: skip
        kinds = {c: k for v, m in self.mappings.items() if (c := self._value_column(m))
                 and (k := self.config.quantities.get(v))}  # fmt: skip
        told: dict[str, str | None] = {}
        for table in self.tables:
            dot, comma = (
                decimal_of(table, numbers, option, default=d, whole=whole, quantities=kinds)
                for d in (".", ",")
            )
            told[table.name] = dot if dot == comma else None
        agreed = {mark for mark in told.values() if mark}
        shared = agreed.pop() if len(agreed) == 1 else None
        guessing = {"whole": whole, "currency": currency, "quantities": kinds}
        tellers = [t for t in self.tables if shared and told[t.name] == shared]
        for table in self.tables:  # the others' mark, unless another export's cells disagree
            if told[table.name] or shared is None or not other_export(table, tellers):
                continue
            own = own_decimal(table, numbers, **guessing)
            if own is not None and own[0] != shared:  # the first file telling it, its cell
                cells = [c for n in numbers if n in tellers[0].columns for c in tellers[0].cells(n)]
                told_by = (tellers[0].name, deciding(cells, shared) or "")
                message, fix = disagreeing(own[1], own[0], shared, told_by)
                raise KpiError(message, own[2], fix)
        return {
            t.name: told[t.name]
            or shared
            or decimal_of(t, numbers, option, whole=whole, currency=currency, quantities=kinds)
            for t in self.tables
        }

    def _whole(self) -> set[str]:
        """The value columns of whole counts: every mapping reading the column is of a variable
        the workspace counts whole (`SourceConfig.counts`), without `currency:` or `scale:`; a
        column one mapping reads as an amount stays one. In a long file the value column holds
        every variable's values: whole only when each sampled row's variable is such a count
        (an amount of a variable the workspace does not map would vote as a count)."""
        read = [(self._value_column(m), m) for m in self.mappings.values()]
        whole = count_columns(read, self.config.counts)
        if whole and self._long():
            names = {m.column or m.variable for m in self.mappings.values()}
            [value] = whole
            name = require(self.layout, self.option("variable_column"), "variable column")
            for table in self.tables:
                rows = zip_longest(voting(table, name), voting(table, value), fillvalue="")
                if any(cell.strip() and row.strip() not in names for row, cell in rows):
                    return set()
        return whole

    def fetch(self, request: Request, subtotals: list[str] | None = None) -> Frame:
        """The request's variables; `subtotals`: the label columns whose totals labels mark
        subtotal rows (`_csv_subtotals`; found from the sample when not given)."""
        if subtotals is None:  # a label column (a dimension or not) of the sampled rows
            read = {self.date_column, self.option("value_column")}
            for m in self.mappings.values():
                read |= {self._value_column(m), m.date and require(self.layout, m.date)}
            subtotals = sampled(self.tables, [c for c in self.layout.columns if c not in read])
        mappings = {v: self.mappings[v] for v in request.variables if v in self.mappings}
        numbers = sorted({c for m in mappings.values() if (c := self._value_column(m))})
        formats = self._formats(mappings)
        decimals = self._decimals()
        tables = [
            typed(t, numbers, decimals[t.name], {c: f.spec for c, f in formats.items()})
            for t in self.tables
        ]
        scan = Scan(
            tables,
            request.grain,
            request.calendar,
            request.start,
            request.end,
            ", ".join(t.name for t in self.tables),
            windows=request.windows,
        )
        days = {c: scan.read(c, Reader("date", fmt=f)) for c, f in formats.items()}
        roles: dict[str, dict] = {}
        given = []  # distinct counts the export counted: see `_given`
        for variable, mapping in mappings.items():
            number = number_readers(  # per file
                decimals, request.quantities.get(variable, ""), telling(decimals, numbers)
            )
            date = self._dated_by(mapping)
            rule = request.variables[variable]
            measures = roles.setdefault(date, {})
            if rule.time == DISTINCT and mapping.distinct is None:
                given.append(variable)
                measures |= self._given(scan, mapping, number)
            else:
                measures[variable] = (self._measure(scan, mapping, number, rule.time), rule)
        subtotal = Subtotals(scan, subtotals)
        for date, measures in roles.items():
            # a mapping's own `date:` dates only the rows the source's mappings on that column
            # take (an open deal's expected close date is no event), whatever KPIs are asked
            own = date != self.date_column
            taken = [self._condition(scan, m) for m in self.mappings.values()
                     if own and self._dated_by(m) == date]  # fmt: skip
            where = subtotal.keep
            if taken and "TRUE" not in taken:
                where = " AND ".join(f"({c})" for c in [where, " OR ".join(taken)] if c != "TRUE")
            scan.role(days[date], measures, where=where)
            # the rows a subtotal row adds up to: a column summed over every row
            plain = [v for v in measures if v in mappings and not mappings[v].where]
            summed = {v: measures[v] for v in plain if mappings[v].column}
            subtotal.watch(days[date], summed, (date, formats[date]))
        for dim in request.dimensions:
            if dim in self.dims:
                scan.dimension(
                    dim, scan.text(self.dims[dim]), self.config.dimension_values.get(dim)
                )
        # rows without a date: an error when they hold values a mapping reads (`_csv_undated`);
        # an empty own `date:` is an event not (yet) happened (a cancel date), unless the
        # mapping's `where:` says it happened (a won deal without its close date)
        undated: dict[str, list[Mapping]] = {}
        for m in mappings.values():
            if not m.date or m.where:
                undated.setdefault(self._dated_by(m), []).append(m)
        for date, dated in undated.items():
            # a row a `where:` leaves out is no row of that mapping's (a pending order)
            taken = [self._condition(scan, m) if m.where else "TRUE" for m in dated]
            kept = "TRUE" if "TRUE" in taken else " OR ".join(f"({c})" for c in taken)
            scan.check(f"undated {date}", "count", f"{days[date]} IS NULL AND ({kept})")
        watch(scan, days, self.option("rows"))  # `rows: month`: rows dated as months?
        totals = Totals.watch(self, request, scan, roles, decimals)  # see `_csv_totals`
        grouped = {d: self.dims[d] for d in request.dimensions if d in self.dims}
        if not all(t.sniffed is not None and t.sniffed.whole for t in self.tables):
            subtotal.watch_labels(c for d, c in self.dims.items() if d not in grouped)
        scanned = scan.run()
        for date, dated in undated.items():
            if scanned.checks.get(f"undated {date}"):
                raise_undated(self.tables, date, formats[date], self._filled(dated))
        later = subtotal.found(scanned.frame, grouped, scanned.checks)
        if later:  # subtotal rows beyond the sample, in a dimension grouped by
            return self.fetch(request, [*subtotals, *later])
        frame = subtotal.settle(scanned.frame, grouped)
        for variable in given:
            rows = frame.values.pop(f"__rows {variable}")
            frame.values[variable], note = distinct_given(
                frame.values[variable], rows, request.grain
            )
            if note:
                frame.notes[variable] = note
        for variable in mappings:  # no event of a sum in a period only another date has
            if len(roles) > 1 and request.variables[variable].time == "sum":
                values = frame.values[variable]
                frame.values[variable] = np.where(np.isnan(values), 0.0, values)
        frame.warnings += totals.check(scan, scanned, frame) if totals is not None else []
        frame.warnings += group_totals(self, request, roles, decimals)  # totals between rows
        settle(self.config, self.tables, formats, frame, scanned.checks, request.grain)
        stated = joined_range(
            [t.sniffed.preamble.date_range if t.sniffed else None for t in self.tables]
        )
        if stated is not None and frame.span is not None:
            # the export says how far it goes: days without activity are left out of its rows,
            # so rows to the 20th of a report to the 29th are the whole month
            frame.span = (min(frame.span[0], stated[0]), max(frame.span[1], stated[1]))
        frame.dated_by = {
            v: m.date or self.date_column for v, m in mappings.items() if len(roles) > 1
        }
        return frame

    def _dated_by(self, mapping: Mapping) -> str:
        """The header of the column dating a mapping: its own `date:`, else the source's."""
        return require(self.layout, mapping.date) if mapping.date else self.date_column

    def _filled(self, mappings: list[Mapping]) -> list[tuple[list[str], dict[str, list[str]]]]:
        """Each mapping's columns holding its values, and its `where:` (headers)."""
        out = []
        for m in mappings:
            columns = [c for c in (self._value_column(m), m.distinct, m.present, *m.where) if c]
            where = {require(self.layout, c): vs for c, vs in m.where.items()}
            out.append(([require(self.layout, c) for c in columns], where))
        return out

    def _given(
        self, scan: Scan, mapping: Mapping, number: Callable[[FileTable], Reader]
    ) -> dict[str, tuple[str, Aggregate]]:
        """A distinct count mapped to a column of counts: its values and its rows per cell
        (`kpiengine.distinct.given`)."""
        if mapping.count:
            raise rows_counted(mapping.variable, mapping.location)
        value = self._measure(scan, mapping, number, "sum")
        rows = f"(CASE WHEN {self._condition(scan, mapping)} THEN 1.0 ELSE 0.0 END)"
        name = mapping.variable
        return {name: (value, Aggregate()), f"__rows {name}": (rows, Aggregate())}

    def _condition(self, scan: Scan, mapping: Mapping) -> str:
        """SQL true on the rows the mapping reads (its `where:`, `count: COLUMN`, long rows;
        for `distinct: COLUMN`, those whose id has a value: not a missing mark, `—`, `n/a`)."""
        where = dict(mapping.where)
        if self._long():
            variable = require(self.layout, self.option("variable_column"), "variable column")
            where = {variable: [mapping.column or mapping.variable], **where}
        return scan.rows(
            {require(self.layout, c): vs for c, vs in where.items()},
            (present := mapping.present or mapping.distinct) and require(self.layout, present),
            mapping.location,
        )

    def _measure(
        self, scan: Scan, mapping: Mapping, number: Callable[[FileTable], Reader], time: str
    ) -> str:
        condition = self._condition(scan, mapping)
        if mapping.count:
            return f"(CASE WHEN {condition} THEN 1.0 ELSE 0.0 END)"
        if mapping.distinct is not None:
            text = scan.text(require(self.layout, mapping.distinct), empty="")
            return f"(CASE WHEN {condition} THEN {text} END)"  # a value: see `_condition`
        column = self._value_column(mapping)
        assert column is not None  # sourceconfig: `column:`, `count:` or `distinct:`
        currency: str | None = self._currency(mapping)
        if number(self.tables[0]).quantity in ("count", "rate"):
            currency = None  # a currency mark is a bad cell there: no currency to check
        value = scan.read(column, number, currency=currency)
        if mapping.scale != 1.0:
            value = f"({value} * {mapping.scale!r})"
        return where_value(condition, value, time) if condition != "TRUE" else value

    def _currency(self, mapping: Mapping) -> str:
        """The currency a value column's cells must be in: the mapping's, the workspace's, or
        any one ("")."""
        workspace = self.config.currency
        if mapping.currency and workspace and mapping.currency.upper() != workspace.upper():
            raise KpiError(
                f"`{mapping.variable}` is in {mapping.currency} but the workspace currency is "
                f"{workspace}",
                mapping.location,
                "convert it first, or set the workspace `currency:` to match",
            )
        return str(mapping.currency or workspace or "")


@hookimpl(trylast=True)
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(CsvConnector)
