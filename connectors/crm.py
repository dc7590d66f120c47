"""The `crm` connector: HubSpot and Salesforce deal (opportunity) and contact (lead) exports.

A deals file gives the opportunities created by create date, and the deals won and lost, their
revenue and sales-cycle days by close date, each deal's stage being classed as won, lost or open.
A contacts file gives leads, MQLs, SQLs and new customers by their lifecycle dates, churned
customers by a churn date, and the customer stock as a daily series (so that the engine's `first`
and `last` time rules pick the period's first and last day). DuckDB aggregates every file: rows
never become Python objects, only the aggregated table (and a few distinct values) enter Python.

A fetch reads each file twice, streaming it: one scan computes every check of the request at once
(dates and amounts that do not parse, unknown stages, currencies, the date range to pad with
zeros), one aggregates every variable of every date column (the customer stock takes one more).
Date formats are guessed from the rows `sniff` read; only an error reads the file again.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kpiengine.connector import Connector, Mapping, Option, Request, SourceConfig
from kpiengine.errors import KpiError, suggestion
from kpiengine.filequery import (
    Measure,
    Query,
    Sniffed,
    aggregate_together,
    date_sql,
    duckdb_module,
    guess_decimal,
    quick_bad_number_sql,
    quick_number_sql,
    quote_ident,
    quote_text,
    require_column,
    scan,
    sniff,
)
from kpiengine.hookspecs import hookimpl
from kpiengine.model import Aggregate
from kpiengine.periods import ordinals, start_date
from kpiengine.runcache import duckdb_error
from kpiengine.table import Frame

from ._crm_dates import DateFormats
from ._crm_tables import (
    CLASSES,
    CLOSED,
    CONTACT_DATES,
    CONTACT_VARIABLES,
    CONVERTED_AMOUNTS,
    CURRENCY_MARKS,
    CURRENCY_PATTERN,
    DAY_ROLE,
    DEAL_VARIABLES,
    DEFAULT_COLUMNS,
    FALSE,
    NONE,
    OBJECT_ALIASES,
    OBJECT_MARKERS,
    OBJECTS,
    ROLES,
    STAGES,
    STOCKS,
    SYSTEM_MARKERS,
    SYSTEMS,
    TOTALS_PATTERN,
    TRUE,
)

#: Columns computed once per row in the scans (see `_shared`): the data-row test, the class.
DATA, CLASS = quote_ident("__data_row"), quote_ident("__class")


def _in(expr: str, values: tuple[str, ...]) -> str:
    return f"lower(trim({expr})) IN ({', '.join(quote_text(v) for v in values)})"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass
class _Plan:
    """What a request reads: variables grouped by date column, and what to check."""

    wanted: dict[str, Aggregate]
    mapped: dict[str, Mapping]
    derived: list[str]
    decimal: str
    #: (date column, where) -> the variables counted by that date on those rows
    groups: dict[tuple[str, str], dict[str, Measure]] = field(default_factory=dict)
    dates: set[str] = field(default_factory=set)  # date columns to check (and pad with zeros)
    numbers: set[str] = field(default_factory=set)  # number columns to check
    currencies: list[tuple[str, str | None]] = field(default_factory=list)  # amount, code column
    stages: bool = False  # every stage must be classed
    zeros: list[str] = field(default_factory=list)  # variables padded with zeros
    stocks: list[str] = field(default_factory=list)


class CrmConnector(Connector):
    name = "crm"
    description = "HubSpot or Salesforce exports of deals (opportunities) or contacts (leads)"
    options = (
        Option("path", "file or glob, relative to the workspace", required=True),
        Option("system", "`hubspot` or `salesforce` (default: detected from the headers)"),
        Option(
            "object",
            "`deals` (Salesforce opportunities) or `contacts` (Salesforce leads) "
            "(default: detected from the headers)",
        ),
        Option(
            "columns",
            "role -> column, to override the export's defaults (roles: stage, amount, "
            "close_date, create_date, source, campaign, pipeline, won, closed, currency, "
            "lifecycle_stage, became_lead_date, became_mql_date, became_sql_date, "
            "became_customer_date, churn_date, date)",
        ),
        Option(
            "stages",
            "deal stage -> won | lost | open, added to the built-in HubSpot and Salesforce stages",
        ),
        Option("date_format", "strptime format of the dates, e.g. '%m/%d/%Y' (default: detected)"),
        Option("decimal", "decimal separator of the amounts, `.` or `,` (default: detected)"),
        Option("churn_date", "contacts: the column holding the date a customer churned"),
    )

    def __init__(self, config: SourceConfig) -> None:
        super().__init__(config)
        self._check_option_values()
        self.files = [_sniff(path) for path in config.paths()]
        self.layout = self.files[0]
        for other in self.files[1:]:
            if other.columns != self.layout.columns:
                raise KpiError(
                    f"the columns differ from {self.layout.path.name}'s "
                    f"({', '.join(self.layout.columns)})",
                    other.location(other.skip + 1),
                )
        self.system = self._system()
        self.object = self._object()
        self.columns = self._columns()
        self.stage_classes = {**STAGES[self.system], **self._stage_option()}
        self.dims = self._dimensions()
        dates = ("create_date", "close_date", "churn_date", *CONTACT_DATES)
        self.formats = DateFormats(
            self.files,
            {self.columns[r] for r in dates if r in self.columns},
            self.option("date_format"),
            self._values,
        )

    # --- configuration -------------------------------------------------------------------------

    def _check_option_values(self) -> None:
        options = self.config.options
        for key, allowed in (("system", SYSTEMS), ("object", OBJECTS + tuple(OBJECT_ALIASES))):
            value = options.get(key)
            if value is not None and str(value).lower() not in allowed:
                raise self.config.error(
                    f"`{key}` must be one of {', '.join(allowed)}, not `{value}`"
                    f"{suggestion(str(value).lower(), allowed)}",
                    key,
                )
        if options.get("decimal") is not None and options["decimal"] not in (".", ","):
            raise self.config.error("`decimal` must be `.` or `,`", "decimal")
        for key in ("date_format", "churn_date"):
            if key in options and not (isinstance(options[key], str) and options[key].strip()):
                raise self.config.error(f"`{key}` must be a column name or text", key)
        for key in ("columns", "stages"):
            value = options.get(key)
            if value is not None and not (
                isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
            ):
                example = "{source: Lead Source}" if key == "columns" else "{Verbal yes: won}"
                raise self.config.error(f"`{key}` maps names to text", key, f"e.g. {example}")

    def _stage_option(self) -> dict[str, str]:
        out = {}
        for stage, klass in (self.option("stages") or {}).items():
            if klass.strip().lower() not in CLASSES:
                raise self.config.error(
                    f"stage `{stage}` is classed `{klass}`; the classes are won, lost and open"
                    f"{suggestion(klass.strip().lower(), CLASSES)}",
                    "stages",
                )
            out[str(stage).strip().lower()] = klass.strip().lower()
        return out

    def _detect(self, markers: dict[str, tuple[str, ...]], key: str) -> str:
        have = {c.lower() for c in self.layout.columns}
        scores = {name: sum(m.lower() in have for m in found) for name, found in markers.items()}
        best = max(scores.values())
        winners = [name for name, score in scores.items() if score == best]
        if best == 0 or len(winners) > 1:
            raise KpiError(
                f"cannot tell the {key} of this export from its columns "
                f"({', '.join(self.layout.columns)})",
                self.layout.location(self.layout.skip + 1),
                f"set the source option `{key}: {' | '.join(markers)}` in kpi.yaml",
            )
        return winners[0]

    def _system(self) -> str:
        explicit = self.option("system")
        return str(explicit).lower() if explicit else self._detect(SYSTEM_MARKERS, "system")

    def _object(self) -> str:
        explicit = self.option("object")
        if explicit:
            return OBJECT_ALIASES.get(str(explicit).lower(), str(explicit).lower())
        return self._detect(OBJECT_MARKERS, "object")

    def _columns(self) -> dict[str, str]:
        """role -> the file's column: the export's defaults, then `columns:` and `churn_date:`."""
        lowered = {c.lower(): c for c in self.layout.columns}
        out = {}
        for role, candidates in DEFAULT_COLUMNS[(self.system, self.object)].items():
            found = next((lowered[c.lower()] for c in candidates if c.lower() in lowered), None)
            if found:
                out[role] = found
        explicit = dict(self.option("columns") or {})
        if self.option("churn_date"):
            if self.object != "contacts":
                raise self.config.error("`churn_date` is for contacts files", "churn_date")
            explicit["churn_date"] = self.option("churn_date")
        allowed = ROLES[self.object]
        for role, column in explicit.items():
            if role not in allowed:
                raise self.config.error(
                    f"no column role `{role}` for {self.object} files"
                    f"{suggestion(str(role), allowed)}",
                    "columns",
                    f"roles: {', '.join(allowed)}",
                )
            out[role] = require_column(self.layout, column, f"{role.replace('_', ' ')} column")
        return out

    def _dimensions(self) -> dict[str, str]:
        if self.config.dimensions:
            return {
                dim: require_column(self.layout, column, "dimension column")
                for dim, column in self.config.dimensions.items()
            }
        defaults = (("channel", "source"), ("campaign", "campaign"), ("pipeline", "pipeline"))
        return {dim: self.columns[role] for dim, role in defaults if role in self.columns}

    def _has(self, role: str) -> bool:
        if role == "lead_date":
            return "became_lead_date" in self.columns or "create_date" in self.columns
        return role in self.columns

    def _column(self, role: str) -> str:
        if role == "lead_date":
            return self.columns.get("became_lead_date") or self.columns["create_date"]
        return self.columns[role]

    def provides(self) -> set[str]:
        derived = DEAL_VARIABLES if self.object == "deals" else CONTACT_VARIABLES
        found = {v for v, roles in derived.items() if all(self._has(r) for r in roles)}
        return found | set(self.config.mappings)

    def dimensions(self) -> set[str]:
        return set(self.dims)

    # --- SQL pieces ---------------------------------------------------------------------------

    def _rows(self) -> str:
        return (
            "("
            + " UNION ALL BY NAME ".join(f"SELECT * FROM {f.relation()}" for f in self.files)
            + ")"
        )

    def _data_row(self) -> str:
        """SQL true for data rows: not a report footer (blank, `Grand Totals (3 records)`,
        copyright, `Generated By:` lines), whose only cell is the first one."""
        first, *rest = self.layout.columns
        if not rest:
            return "TRUE"
        others = ", ".join(f"nullif(trim({quote_ident(c)}), '')" for c in rest)
        second = quote_ident(rest[0])  # mostly filled: the other cells need no trimming then
        filled = (
            f"(CASE WHEN {second} <> '' AND NOT starts_with({second}, ' ') THEN TRUE "
            f"ELSE coalesce({others}) IS NOT NULL END)"
        )
        totals = f"regexp_matches(trim({quote_ident(first)}), {quote_text(TOTALS_PATTERN)})"
        return f"({filled} AND NOT coalesce({totals}, FALSE))"

    def _dim_sql(self, column: str) -> str:
        return f"coalesce(nullif(trim({quote_ident(column)}), ''), {quote_text(NONE)})"

    def _day_sql(self, column: str) -> str:
        return date_sql(column, self._date_format(column))

    def _day(self, column: str) -> str:
        """The column's days as a shared column of the scans (see `_shared`)."""
        return quote_ident(f"__day {column}")

    def _shared(self, sql: str, dates: set[str]) -> dict[str, str]:
        """The per-row columns `sql` uses (data row, class, days), each computed once a row."""
        shared = {"__data_row": self._data_row()}
        if "stage" in self.columns:
            shared["__class"] = self._class_sql()
        shared |= {f"__day {c}": self._day_sql(c) for c in sorted(dates) if self._day(c) in sql}
        return {name: expr for name, expr in shared.items() if quote_ident(name) in sql}

    def _class_sql(self) -> str:
        """SQL for a deal's class (won | lost | open; NULL when the stage is unknown)."""
        stage = self.columns["stage"]
        # a MAP lookup, not `CASE x WHEN ...`: DuckDB expands that into one `x = ...` per stage,
        # and then computes `x` (a regexp_replace for `bare`) on every row, needed or not
        classes = ", ".join(
            f"{quote_text(n)}: {quote_text(k)}" for n, k in self.stage_classes.items()
        )
        text = f"lower(trim({quote_ident(stage)}))"
        bare = f"lower(trim(regexp_replace(trim({quote_ident(stage)}), '\\s*\\([^()]*\\)$', '')))"
        parts = [f"MAP {{{classes}}}[{text}]", f"MAP {{{classes}}}[{bare}]"]
        if "won" in self.columns and "closed" in self.columns:  # Salesforce's own flags
            won, closed = quote_ident(self.columns["won"]), quote_ident(self.columns["closed"])
            parts.append(
                f"CASE WHEN {_in(won, TRUE)} THEN 'won' WHEN {_in(closed, TRUE)} THEN 'lost' "
                f"WHEN {_in(closed, FALSE)} THEN 'open' END"
            )
        parts.append(f"CASE WHEN coalesce({text}, '') = '' THEN 'open' END")
        return f"coalesce({', '.join(parts)})"

    # --- formats ------------------------------------------------------------------------------

    def _values(self, column: str, limit: int = 200) -> list[str]:
        """A column's first values (data rows, not empty), read from the files: the error path
        of the date formats."""
        c = quote_ident(column)
        sql = (
            f"SELECT trim({c}) FROM {self._rows()} WHERE {self._data_row()} "
            f"AND coalesce(trim({c}), '') <> '' LIMIT {limit}"
        )
        return [row[0] for row in duckdb_module().sql(sql).fetchall()]

    def _date_format(self, column: str) -> str:
        """The column's date format (see `_crm_dates`)."""
        return self.formats[column]

    def _decimal(self, columns: set[str]) -> str:
        if self.option("decimal"):
            return self.option("decimal")
        values = []
        for sniffed in self.files:
            indexes = [sniffed.columns.index(c) for c in columns if c in sniffed.columns]
            values += [row[i] for row in sniffed.sample for i in indexes if i < len(row)]
        return guess_decimal(values)

    # --- fetch --------------------------------------------------------------------------------

    def fetch(self, request: Request) -> Frame:
        plan = self._plan(request)
        found = self._scan(plan)  # the first scan: every check at once
        if self._reguessed(plan, found):
            return self.fetch(request)
        self._raise_problems(plan, found)
        dims = [d for d in request.dimensions if d in self.dims]
        frames = []
        if plan.groups:  # the second scan: every variable of every date column
            dimensions = {d: self._dim_sql(self.dims[d]) for d in dims}
            queries = [
                Query(self.files, self._day(column), dimensions, measures, where, request.calendar)
                for (column, where), measures in plan.groups.items()
            ]
            text = " ".join(
                [q.day + " " + q.where for q in queries]
                + [m.expr for q in queries for m in q.measures.values()]
            )
            frames.append(
                aggregate_together(
                    queries,
                    request.grain,
                    dims,
                    self.config.location,
                    self._shared(text, plan.dates),
                )
            )
        if plan.zeros:
            lows = [row[f"lo{i}"] for row in found for i in range(len(plan.dates))]
            highs = [row[f"hi{i}"] for row in found for i in range(len(plan.dates))]
            lo = min((d for d in lows if d is not None), default=None)
            hi = max((d for d in highs if d is not None), default=None)
            frames.append(self._zero_frame(plan.zeros, lo, hi, frames, dims, request.grain))
        if plan.stocks:
            frames.append(self._stock_frame(plan.stocks, dims))
        return _concat(frames, list(plan.wanted), dims)

    def _plan(self, request: Request) -> _Plan:
        provided = self.provides()
        wanted = {v: a for v, a in request.variables.items() if v in provided}
        mapped = {v: self.config.mappings[v] for v in wanted if v in self.config.mappings}
        derived = [v for v in wanted if v not in mapped]
        mapped_numbers = {
            require_column(self.layout, m.column, "column")
            for m in mapped.values()
            if m.column and not m.count
        }
        amount = self.columns.get("amount") if "revenue" in derived else None
        numbers = mapped_numbers | ({amount} if amount else set())
        plan = _Plan(wanted, mapped, derived, self._decimal(numbers), numbers=numbers)
        for variable in derived:
            if variable in STOCKS:
                continue
            column = self._column(DAY_ROLE[variable])
            where = DATA
            if variable in CLOSED:
                where += f" AND {CLASS} IN ('won', 'lost')"
            if variable == "churned_customers":
                customer = self.columns["became_customer_date"]
                self._date_format(customer)
                where += f" AND {self._day(customer)} IS NOT NULL"
                plan.dates.add(customer)
            if variable == "sales_cycle_days":
                plan.dates.add(self.columns["create_date"])
            plan.dates.add(column)
            measure = Measure(self._measure_sql(variable, plan.decimal), wanted[variable])
            plan.groups.setdefault((column, where), {})[variable] = measure
        for variable, mapping in mapped.items():
            column = self._mapped_date(mapping)
            plan.dates.add(column)
            measure = Measure(self._mapping_sql(mapping, plan.decimal), wanted[variable])
            plan.groups.setdefault((column, DATA), {})[variable] = measure
        plan.stocks = [v for v in derived if v in STOCKS]
        if plan.stocks:
            plan.dates |= {
                self.columns[r] for r in ("became_customer_date", "churn_date") if r in self.columns
            }
        plan.stages = any(v in CLOSED for v in derived)
        if amount:
            converted = amount.lower() in CONVERTED_AMOUNTS
            plan.currencies.append((amount, None if converted else self.columns.get("currency")))
        for mapping in mapped.values():
            if mapping.column and not mapping.count and not mapping.currency:
                column = require_column(self.layout, mapping.column, "column")
                plan.currencies.append((column, None))
        if plan.dates:
            plan.zeros = [
                v for v in wanted if (v in mapped or v not in STOCKS) and wanted[v].time == "sum"
            ]
        return plan

    # --- checks -------------------------------------------------------------------------------

    def _value_checks(self, plan: _Plan) -> list[tuple[str, str, str]]:
        """(column, SQL true on a bad value, what was expected) for the dates and the numbers."""
        checks = []
        for column in sorted(plan.dates):
            fmt = self._date_format(column)
            bad = f"coalesce(trim({quote_ident(column)}), '') <> '' AND {self._day(column)} IS NULL"
            checks.append((column, f"{DATA} AND {bad}", f"a date like {fmt}"))
        for column in sorted(plan.numbers):
            bad = quick_bad_number_sql(column, plan.decimal)
            checks.append((column, f"{DATA} AND {bad}", "a number"))
        return checks

    def _scan(self, plan: _Plan) -> list[dict[str, Any]]:
        """Every check of the request computed in one scan per file, as aggregates: how many
        bad values each value check finds, the date range of each date column (for the zeros),
        how many stages are unknown, the currencies seen. Returns one dict per file.

        No row numbers (they make DuckDB read the file in order, on one thread): the error
        path finds the line with another scan."""
        aggregates = {}
        for i, (_, condition, _) in enumerate(self._value_checks(plan)):
            aggregates[f"bad{i}"] = f"count(*) FILTER (WHERE {condition})"
        if plan.zeros:
            for i, column in enumerate(sorted(plan.dates)):
                where = DATA
                if column == self.columns.get("close_date") and "stage" in self.columns:
                    where += f" AND {CLASS} IN ('won', 'lost')"  # open deals' dates left out
                aggregates[f"lo{i}"] = f"min({self._day(column)}) FILTER (WHERE {where})"
                aggregates[f"hi{i}"] = f"max({self._day(column)}) FILTER (WHERE {where})"
        if plan.stages:
            aggregates["unknown"] = f"count(*) FILTER (WHERE {DATA} AND {CLASS} IS NULL)"
        for i, (column, currency_column) in enumerate(plan.currencies):
            # the first and the last code in sort order: one code when they are the same (no
            # DISTINCT aggregate: DuckDB would hold the rows to feed it apart from the others)
            c = quote_ident(column)
            codes = f"regexp_extract_all(trim({c}), {quote_text(CURRENCY_PATTERN)})"
            marked = f"regexp_matches({c}, '[A-Z$€£¥]')"  # what a code needs: cheap, first
            for edge in ("min", "max"):
                aggregates[f"{edge}{i}"] = (
                    f"{edge}(CASE WHEN {DATA} AND {marked} THEN list_{edge}({codes}) END)"
                )
            if currency_column:
                k = quote_ident(currency_column)
                for edge in ("min", "max"):
                    aggregates[f"{edge}{i}k"] = (
                        f"{edge}(upper(trim({k}))) "
                        f"FILTER (WHERE {DATA} AND coalesce(trim({k}), '') <> '')"
                    )
        if not aggregates:
            return [{} for _ in self.files]
        shared = self._shared(" ".join(aggregates.values()), plan.dates)
        return [scan(sniffed, aggregates, shared)[0] for sniffed in self.files]

    def _first_row(
        self, plan: _Plan, condition: str, column: str
    ) -> tuple[Sniffed, int, str] | None:
        """The first row where `condition` holds: (file, line, the column's text). The error
        path: one more scan of the files up to the one holding the row."""
        aggregates = {
            "row": f"min(__row) FILTER (WHERE {condition})",
            "text": f"arg_min_null({quote_ident(column)}, __row) FILTER (WHERE {condition})",
        }
        shared = self._shared(" ".join(aggregates.values()), plan.dates)
        for sniffed in self.files:
            found = scan(sniffed, aggregates, shared)[0]
            if found["row"] is not None:
                return sniffed, sniffed.skip + 1 + int(found["row"]), str(found["text"])
        return None

    def _reguessed(self, plan: _Plan, found: list[dict[str, Any]]) -> bool:
        """A column without a date in the samples whose dates do not parse: its format detected
        from the file's values instead; True when that changed it (the fetch then starts over)."""
        changed = False
        for i, (column, _, expected) in enumerate(self._value_checks(plan)):
            if expected.startswith("a date") and any(row[f"bad{i}"] for row in found):
                changed |= self.formats.reguess(column)
        return changed

    def _raise_problems(self, plan: _Plan, found: list[dict[str, Any]]) -> None:
        """The first problem the scan found, in the order: values, stages, currencies."""
        for i, (column, condition, expected) in enumerate(self._value_checks(plan)):
            first = any(row[f"bad{i}"] for row in found) and self._first_row(
                plan, condition, column
            )
            if first:
                sniffed, line, text = first
                raise KpiError(
                    f"expected {expected} in column `{column}`, found `{text}`",
                    sniffed.location(line, column),
                    "set the source option `date_format`" if "date" in expected else None,
                )
        if plan.stages:
            self._raise_stages(found)
        checks = iter(enumerate(plan.currencies))  # the amount's first, then the mappings'
        if "revenue" in plan.derived:
            self._raise_currency(found, *next(checks))
        for mapping in plan.mapped.values():
            self._check_mapped_currency(mapping)
            if mapping.column and not mapping.count and not mapping.currency:
                self._raise_currency(found, *next(checks))

    def _raise_stages(self, found: list[dict[str, Any]]) -> None:
        """Every deal stage must be classed: list the unknown ones with the mapping to add
        (counted by another scan, grouped by stage: the error path)."""
        if not any(row["unknown"] for row in found):
            return
        stage = quote_ident(self.columns["stage"])
        counts: dict[str, int] = {}
        first: tuple[Sniffed, int] | None = None
        for sniffed in self.files:
            sql = (
                f"SELECT trim({stage}) AS s, count(*), min(__row) FROM (SELECT row_number() "
                f"OVER () AS __row, * FROM {sniffed.relation()}) WHERE {self._data_row()} "
                f"AND {self._class_sql()} IS NULL GROUP BY s ORDER BY min(__row)"
            )
            for name, n, row in _run(sql):
                counts[name] = counts.get(name, 0) + int(n)
                if first is None:
                    first = (sniffed, sniffed.skip + 1 + int(row))
        if not counts or first is None:
            return
        ordered = sorted(counts, key=lambda s: (-counts[s], s))
        listed = ", ".join(f"`{s}` ({_plural(counts[s], 'deal')})" for s in ordered)
        lines = "\n".join(
            f"      {json.dumps(s, ensure_ascii=False)}: {_suggested_class(s)}" for s in ordered
        )
        sniffed, line = first
        raise KpiError(
            f"source `{self.config.name}`: {_plural(len(counts), 'deal stage')} of column "
            f"`{self.columns['stage']}` are not known as won, lost or open: {listed}",
            sniffed.location(line, self.columns["stage"]),
            f"class them under the source `{self.config.name}` in kpi.yaml "
            f"(each one won, lost or open):\n    stages:\n{lines}",
        )

    def _raise_currency(
        self, found: list[dict[str, Any]], i: int, check: tuple[str, str | None]
    ) -> None:
        """One currency in the amounts (and the currency column), the workspace's if it has one.
        The scan gives the first and last code in sort order: one code when they are the same
        (`$` and `USD` differ there); otherwise `_currency_error` reads the codes and where."""
        edges = [row.get(f"{e}{i}{k}") for row in found for e in ("min", "max") for k in ("", "k")]
        codes = {CURRENCY_MARKS.get(code, code) for code in edges if code is not None}
        workspace = self.config.currency
        if len(set(edges) - {None}) > 1 or (codes and workspace and codes != {workspace}):
            self._currency_error(*check)

    def _currency_error(self, column: str, currency_column: str | None) -> None:
        """Raise the currency error with the line where each code is first seen."""
        found: dict[str, tuple[Sniffed, int, str]] = {}
        c = quote_ident(column)
        for sniffed in self.files:
            numbered = f"(SELECT row_number() OVER () AS __row, * FROM {sniffed.relation()})"
            sql = (
                f"SELECT code, min(__row) FROM (SELECT __row, unnest(regexp_extract_all("
                f"trim({c}), {quote_text(CURRENCY_PATTERN)})) AS code FROM {numbered} "
                f"WHERE {self._data_row()}) GROUP BY code ORDER BY min(__row)"
            )
            marks = [(CURRENCY_MARKS.get(code, code), row, column) for code, row in _run(sql)]
            if currency_column:
                k = quote_ident(currency_column)
                sql = (
                    f"SELECT upper(trim({k})) AS code, min(__row) FROM {numbered} WHERE "
                    f"{self._data_row()} AND coalesce(trim({k}), '') <> '' GROUP BY code "
                    f"ORDER BY min(__row)"
                )
                marks += [(code, row, currency_column) for code, row in _run(sql)]
            for code, row, where in sorted(marks, key=lambda m: m[1]):
                found.setdefault(code, (sniffed, sniffed.skip + 1 + int(row), where))
        if len(found) > 1:
            codes = sorted(found, key=lambda code: found[code][1])
            sniffed, line, where = found[codes[-1]]
            raise KpiError(
                f"the amounts of column `{column}` mix currencies ({', '.join(sorted(found))}) "
                "and there is no rate table",
                sniffed.location(line, where),
                "export the amounts in one currency (HubSpot: `Amount in company currency`, "
                "Salesforce: `Amount (converted)`)",
            )
        workspace = self.config.currency
        if found and workspace and set(found) != {workspace}:
            code = next(iter(found))
            sniffed, line, where = found[code]
            raise KpiError(
                f"the amounts of column `{column}` are in {code} but the workspace currency is "
                f"{workspace}",
                sniffed.location(line, where),
                "convert them first, or set the workspace `currency:` to match",
            )

    # --- frames -------------------------------------------------------------------------------

    def _zero_frame(
        self,
        variables: list[str],
        lo: dt.date | None,
        hi: dt.date | None,
        frames: list[Frame],
        dims: list[str],
        grain: str,
    ) -> Frame:
        """Zeros for every period and segment the export covers: a month without a deal won
        has 0 deals won (not a missing value), from the first to the last date of the columns
        used (the close dates of deals still open, often in the future, left out; the scan of
        the checks gives them) for the segments the aggregated frames hold."""
        segments = sorted(
            {key for f in frames for key in zip(*(f.dims[d] for d in dims), strict=True)}
        )
        if lo is None or (dims and not segments):
            return _concat([], variables, dims)
        first, last = ordinals(np.array([lo, hi], dtype="datetime64[D]"), grain)
        starts = np.array(
            [start_date(int(o), grain) for o in range(int(first), int(last) + 1)],
            dtype="datetime64[D]",
        )
        segments = segments or [()]
        n = len(starts) * len(segments)
        return Frame(
            np.repeat(starts, len(segments)),
            {
                d: np.tile(np.array([key[i] for key in segments], dtype=object), len(starts))
                for i, d in enumerate(dims)
            },
            {v: np.zeros(n) for v in variables},
        )

    def _measure_sql(self, variable: str, decimal: str) -> str:
        """A derived variable's value on a row (the class and days are shared columns)."""
        if variable in ("deals_won", "deals_lost"):
            klass = "won" if variable == "deals_won" else "lost"
            return f"(CASE WHEN {CLASS} = '{klass}' THEN 1.0 ELSE 0.0 END)"
        if variable == "revenue":
            value = quick_number_sql(self.columns["amount"], decimal)
            return f"(CASE WHEN {CLASS} = 'won' THEN coalesce({value}, 0.0) ELSE 0.0 END)"
        if variable == "sales_cycle_days":
            create = self._day(self.columns["create_date"])
            close = self._day(self.columns["close_date"])
            days = f"CAST(date_diff('day', {create}, {close}) AS DOUBLE)"
            return f"(CASE WHEN {CLASS} = 'won' THEN {days} ELSE 0.0 END)"
        return "1.0"  # a count by the variable's date

    def _mapped_date(self, mapping: Mapping) -> str:
        for role in ("date", "create_date"):
            if role in self.columns:
                return self.columns[role]
        raise KpiError(
            f"source `{self.config.name}`: `{mapping.variable}` is mapped but the export has no "
            "create date to count it by",
            mapping.location,
            "name the date column with `columns: {date: COLUMN}`",
        )

    def _mapping_sql(self, mapping: Mapping, decimal: str) -> str:
        parts = []
        for column, values in mapping.where.items():
            name = require_column(self.layout, column, "column")
            listed = ", ".join(quote_text(v) for v in values)
            parts.append(f"trim({quote_ident(name)}) IN ({listed})")
        condition = " AND ".join(parts) or "TRUE"
        if mapping.count:
            return f"(CASE WHEN {condition} THEN 1.0 ELSE 0.0 END)"
        assert mapping.column is not None  # sourceconfig: a mapping has `column:` or `count: true`
        value = quick_number_sql(require_column(self.layout, mapping.column, "column"), decimal)
        if mapping.scale != 1.0:
            value = f"({value} * {mapping.scale!r})"
        return f"(CASE WHEN {condition} THEN {value} ELSE 0.0 END)" if parts else value

    def _check_mapped_currency(self, mapping: Mapping) -> None:
        workspace = self.config.currency
        if mapping.currency and workspace and mapping.currency != workspace:
            raise KpiError(
                f"`{mapping.variable}` is in {mapping.currency} but the workspace currency is "
                f"{workspace}",
                mapping.location,
                "convert it first, or set the workspace `currency:` to match",
            )

    def _stock_frame(self, stocks: list[str], dims: list[str]) -> Frame:
        """Customers at the start and end of every day, per segment: a cumulative sum over a
        calendar from the first to the last event, so each period's first and last day exist."""
        became = self._day_sql(self.columns["became_customer_date"])
        churn = self.columns.get("churn_date")
        churned = self._day_sql(churn) if churn else "CAST(NULL AS DATE)"
        keys = ["__all", *dims]
        k = ", ".join(quote_ident(x) for x in keys)
        select_dims = "".join(f", {self._dim_sql(self.dims[d])} AS {quote_ident(d)}" for d in dims)
        on = " AND ".join(f"daily.{quote_ident(x)} = segments.{quote_ident(x)}" for x in keys)
        sql = f"""
            WITH base AS (
                SELECT 1 AS __all{select_dims}, {became} AS __became, {churned} AS __churned
                FROM {self._rows()} WHERE {self._data_row()}),
            events AS (
                SELECT {k}, __became AS __day, 1 AS __delta FROM base WHERE __became IS NOT NULL
                UNION ALL
                SELECT {k}, __churned AS __day, -1 AS __delta FROM base
                WHERE __became IS NOT NULL AND __churned IS NOT NULL),
            daily AS (SELECT {k}, __day, sum(__delta) AS __delta FROM events GROUP BY ALL),
            days AS (
                SELECT CAST(unnest(generate_series(CAST(min(__day) AS TIMESTAMP),
                    CAST(max(__day) AS TIMESTAMP), INTERVAL 1 DAY)) AS DATE) AS __day
                FROM events),
            segments AS (SELECT DISTINCT {k} FROM events),
            grid AS (
                SELECT days.__day, {", ".join(f"segments.{quote_ident(x)}" for x in keys)},
                    coalesce(daily.__delta, 0) AS __delta
                FROM days CROSS JOIN segments
                LEFT JOIN daily ON daily.__day = days.__day AND {on})
            SELECT __day{"".join(f", {quote_ident(d)}" for d in dims)},
                sum(__delta) OVER (PARTITION BY {k} ORDER BY __day) AS __end,
                sum(__delta) OVER (PARTITION BY {k} ORDER BY __day) - __delta AS __start
            FROM grid ORDER BY __day{"".join(f", {quote_ident(d)}" for d in dims)}
        """
        duck = duckdb_module()
        try:
            result = duck.sql(sql).fetchnumpy()
        except duckdb_error() as exc:
            raise KpiError(
                f"cannot read the data: {str(exc).splitlines()[0]}", self.config.location
            ) from None
        columns = {"customers_at_start": "__start", "customers_at_end": "__end"}
        return Frame(
            np.asarray(result["__day"], dtype="datetime64[D]"),
            {d: np.asarray(result[d], dtype=object).astype(str) for d in dims},
            {v: np.asarray(result[columns[v]], dtype=float) for v in stocks},
            source=", ".join(str(f.path) for f in self.files),
        )


def _sniff(path) -> Sniffed:
    """`sniff`, with the header line found by parsing the lines: a Salesforce report's amounts
    (`"USD 1,234.00"`) hold quoted commas, so counting the delimiters makes every data line look
    wider than the header."""
    sniffed = sniff(path)
    if sniffed.kind != "csv":
        return sniffed
    with sniffed.path.open(encoding=sniffed.python_encoding, errors="ignore", newline="") as f:
        lines = [line for _, line in zip(range(200), f, strict=False)]
    widths = [
        len(next(csv.reader([line], delimiter=sniffed.delimiter), [])) if line.strip() else 0
        for line in lines
    ]
    body = Counter(w for w in widths if w > 1)
    if not body:
        return sniffed
    width = body.most_common(1)[0][0]
    skip = next(
        (i for i, w in enumerate(widths) if w == width and not lines[i].lstrip().startswith("#")),
        sniffed.skip,
    )
    return sniffed if skip == sniffed.skip else sniff(path, sniffed.delimiter, skip)


def _run(sql: str) -> list[tuple]:
    return duckdb_module().sql(sql).fetchall()


def _suggested_class(stage: str) -> str:
    """A first guess at an unknown stage's class, for the suggested `stages:` mapping."""
    text = stage.lower()
    if any(word in text for word in ("won", "win", "signed", "booked")):
        return "won"
    if any(word in text for word in ("lost", "lose", "dead", "disqualified", "closed")):
        return "lost"
    return "open"


def _concat(frames: list[Frame], variables: list[str], dims: list[str]) -> Frame:
    """One Frame from several (flows by period, stocks by day); absent variables are NaN."""
    if not frames:
        return Frame(
            np.array([], dtype="datetime64[D]"),
            {d: np.array([], dtype=object) for d in dims},
            {v: np.array([], dtype=float) for v in variables},
        )
    return Frame(
        np.concatenate([f.dates for f in frames]),
        {d: np.concatenate([f.dims[d] for f in frames]) for d in dims},
        {
            v: np.concatenate([f.values.get(v, np.full(len(f), np.nan)) for f in frames])
            for v in variables
        },
        source=frames[0].source,
    )


@hookimpl(trylast=True)
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(CrmConnector)
