"""The `crm` connector: HubSpot and Salesforce deal (opportunity) and contact (lead) exports.

A deals file gives the opportunities created by create date, and the deals won and lost, their
revenue and sales-cycle days by close date, each deal's stage being classed as won, lost or open.
A contacts file gives leads, MQLs, SQLs and new customers by their lifecycle dates, churned
customers by a churn date, and the customer stock as a daily series (so that the engine's `first`
and `last` time rules pick the period's first and last day). DuckDB aggregates every file: rows
never become Python objects, only the aggregated table (and a few distinct values) enter Python.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
from collections import Counter

import numpy as np

from kpiengine.connector import Connector, Mapping, Option, Request
from kpiengine.errors import KpiError, suggestion
from kpiengine.filequery import (
    Measure,
    Query,
    Sniffed,
    aggregate,
    bad_number_sql,
    date_sql,
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
from kpiengine.periods import ordinals, start_date
from kpiengine.table import Frame

SYSTEMS = ("hubspot", "salesforce")
OBJECTS = ("deals", "contacts")
OBJECT_ALIASES = {"opportunities": "deals", "leads": "contacts"}
CLASSES = ("won", "lost", "open")
NONE = "(none)"  # the dimension value of rows whose source (campaign, ...) is empty

#: role -> the columns that play it in each export, the first one present wins (any case).
DEFAULT_COLUMNS: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("hubspot", "deals"): {
        "stage": ("Deal Stage",),
        "amount": ("Amount in company currency", "Amount"),
        "close_date": ("Close Date",),
        "create_date": ("Create Date",),
        "source": ("Original Source Type", "Original Traffic Source", "Original Source"),
        "campaign": ("Campaign", "Campaign Name", "UTM Campaign"),
        "pipeline": ("Pipeline",),
        "currency": ("Currency", "Deal currency code"),
    },
    ("hubspot", "contacts"): {
        "create_date": ("Create Date",),
        "lifecycle_stage": ("Lifecycle Stage",),
        "source": ("Original Source", "Original Traffic Source", "Original Source Type"),
        "campaign": ("Campaign", "Campaign Name", "UTM Campaign"),
        "became_lead_date": ("Became a Lead Date",),
        "became_mql_date": ("Became a Marketing Qualified Lead Date",),
        "became_sql_date": ("Became a Sales Qualified Lead Date",),
        "became_customer_date": ("Became a Customer Date",),
    },
    ("salesforce", "deals"): {
        "stage": ("Stage",),
        "amount": ("Amount (converted)", "Amount"),
        "close_date": ("Close Date",),
        "create_date": ("Created Date", "Create Date"),
        "source": ("Lead Source",),
        "campaign": ("Primary Campaign Source", "Campaign Source", "Campaign"),
        "won": ("Won",),
        "closed": ("Closed",),
        "currency": ("Opportunity Currency", "Currency"),
    },
    ("salesforce", "contacts"): {
        "create_date": ("Create Date", "Created Date"),
        "lifecycle_stage": ("Lead Status",),
        "source": ("Lead Source",),
        "campaign": ("Campaign", "Primary Campaign Source"),
    },
}
_CONTACT_DATES = ("became_lead_date", "became_mql_date", "became_sql_date", "became_customer_date")
#: The roles the `columns:` option may set, per object (`date`: the date of `map:` variables).
ROLES = {
    "deals": sorted(
        {r for (_, o), t in DEFAULT_COLUMNS.items() if o == "deals" for r in t} | {"date"}
    ),
    "contacts": sorted(
        {r for (_, o), t in DEFAULT_COLUMNS.items() if o == "contacts" for r in t}
        | {*_CONTACT_DATES, "churn_date", "date"}
    ),
}
#: Amount columns already converted to one currency (a currency column then does not matter).
CONVERTED_AMOUNTS = ("amount in company currency", "amount (converted)")

#: Headers that tell the exports apart (matched without case).
SYSTEM_MARKERS = {
    "hubspot": (
        "Record ID", "Deal Stage", "Deal Name", "Deal owner", "Pipeline", "Create Date",
        "Lifecycle Stage", "Contact owner", "Original Source", "Original Source Type",
        "Original Traffic Source", "Became a Lead Date", "Became a Customer Date",
    ),
    "salesforce": (
        "Opportunity Name", "Opportunity Owner", "Account Name", "Stage", "Created Date",
        "Lead Source", "Lead Status", "Lead Owner", "Converted", "Converted Date", "Won",
        "Closed", "Fiscal Period", "Probability (%)", "Age", "Company / Account",
    ),
}  # fmt: skip
OBJECT_MARKERS = {
    "deals": (
        "Deal Stage", "Deal Name", "Deal owner", "Opportunity Name", "Opportunity Owner",
        "Stage", "Amount", "Close Date", "Won", "Probability (%)",
    ),
    "contacts": (
        "Lifecycle Stage", "Email", "First Name", "Contact owner", "Lead Status", "Lead Owner",
        "Converted", "Became a Lead Date", "Became a Customer Date",
    ),
}  # fmt: skip

#: Deal stages by their exported label or internal id (lower case) -> won | lost | open.
STAGES = {
    "hubspot": {
        "appointment scheduled": "open",
        "appointmentscheduled": "open",
        "qualified to buy": "open",
        "qualifiedtobuy": "open",
        "presentation scheduled": "open",
        "presentationscheduled": "open",
        "decision maker bought-in": "open",
        "decisionmakerboughtin": "open",
        "contract sent": "open",
        "contractsent": "open",
        "closed won": "won",
        "closedwon": "won",
        "closed lost": "lost",
        "closedlost": "lost",
    },
    "salesforce": {
        "prospecting": "open",
        "qualification": "open",
        "needs analysis": "open",
        "value proposition": "open",
        "id. decision makers": "open",
        "perception analysis": "open",
        "proposal/price quote": "open",
        "negotiation/review": "open",
        "closed won": "won",
        "closed lost": "lost",
    },
}

#: Derived variables -> the roles they need.
DEAL_VARIABLES = {
    "opportunities": ("create_date",),
    "sqos": ("create_date",),
    "deals_won": ("stage", "close_date"),
    "deals_lost": ("stage", "close_date"),
    "revenue": ("stage", "close_date", "amount"),
    "sales_cycle_days": ("stage", "close_date", "create_date"),
}
CONTACT_VARIABLES = {
    "leads": ("lead_date",),  # the became-a-lead date, else the create date
    "mqls": ("became_mql_date",),
    "sqls": ("became_sql_date",),
    "new_customers": ("became_customer_date",),
    "churned_customers": ("became_customer_date", "churn_date"),
    "customers_at_start": ("became_customer_date",),
    "customers_at_end": ("became_customer_date",),
}
STOCKS = ("customers_at_start", "customers_at_end")
CLOSED = ("deals_won", "deals_lost", "revenue", "sales_cycle_days")
_DAY_ROLE = {
    "opportunities": "create_date",
    "sqos": "create_date",
    "deals_won": "close_date",
    "deals_lost": "close_date",
    "revenue": "close_date",
    "sales_cycle_days": "close_date",
    "leads": "lead_date",
    "mqls": "became_mql_date",
    "sqls": "became_sql_date",
    "new_customers": "became_customer_date",
    "churned_customers": "churn_date",
}

CURRENCY_MARKS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
_CURRENCY_PATTERN = r"\b(?:USD|EUR|GBP|JPY|CNY|CAD|AUD|CHF|SEK|NOK|DKK|INR|BRL|MXN)\b|[$€£¥]"
_TOTALS_PATTERN = r"^(Grand )?Totals?\s*\(\d+ records?\)"
_TRUE = ("1", "true", "yes", "y", "x")
_FALSE = ("0", "false", "no", "n")


def _duckdb():
    import duckdb  # noqa: PLC0415 - only commands that read files pay for the import

    return duckdb


def _fits(value: str, fmt: str) -> bool:
    try:
        dt.datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def _in(expr: str, values: tuple[str, ...]) -> str:
    return f"lower(trim({expr})) IN ({', '.join(quote_text(v) for v in values)})"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


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

    def __init__(self, config):
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
        self._formats: dict[str, str] = {}

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
        totals = f"regexp_matches(trim({quote_ident(first)}), {quote_text(_TOTALS_PATTERN)})"
        return f"(coalesce({others}) IS NOT NULL AND NOT coalesce({totals}, FALSE))"

    def _dim_sql(self, column: str) -> str:
        return f"coalesce(nullif(trim({quote_ident(column)}), ''), {quote_text(NONE)})"

    def _day_sql(self, column: str) -> str:
        return date_sql(column, self._date_format(column))

    def _class_sql(self) -> str:
        """SQL for a deal's class (won | lost | open; NULL when the stage is unknown)."""
        stage = self.columns["stage"]
        whens = " ".join(
            f"WHEN {quote_text(name)} THEN {quote_text(klass)}"
            for name, klass in self.stage_classes.items()
        )
        text = f"lower(trim({quote_ident(stage)}))"
        bare = f"lower(trim(regexp_replace(trim({quote_ident(stage)}), '\\s*\\([^()]*\\)$', '')))"
        parts = [f"CASE {text} {whens} END", f"CASE {bare} {whens} END"]
        if "won" in self.columns and "closed" in self.columns:  # Salesforce's own flags
            won, closed = quote_ident(self.columns["won"]), quote_ident(self.columns["closed"])
            parts.append(
                f"CASE WHEN {_in(won, _TRUE)} THEN 'won' WHEN {_in(closed, _TRUE)} THEN 'lost' "
                f"WHEN {_in(closed, _FALSE)} THEN 'open' END"
            )
        parts.append(f"CASE WHEN coalesce({text}, '') = '' THEN 'open' END")
        return f"coalesce({', '.join(parts)})"

    # --- formats and checks -----------------------------------------------------------------

    def _values(self, column: str, limit: int = 200) -> list[str]:
        """Non-empty values of a column (data rows only), for format detection."""
        c = quote_ident(column)
        sql = (
            f"SELECT trim({c}) FROM {self._rows()} WHERE {self._data_row()} "
            f"AND coalesce(trim({c}), '') <> '' LIMIT {limit}"
        )
        return [row[0] for row in _duckdb().sql(sql).fetchall()]

    def _guess(self, column: str, values: list[str]) -> str:
        index = self.layout.columns.index(column)
        probe = dataclasses.replace(self.layout, sample=[[""] * index + [v] for v in values])
        return guess_date_format(probe, column)

    def _date_format(self, column: str) -> str:
        """The column's date format: the option, else detected; a column whose own dates are
        ambiguous (6/1/2024) takes the format the export's other date columns settle."""
        explicit = self.option("date_format")
        if explicit:
            return explicit
        if column in self._formats:
            return self._formats[column]
        values = self._values(column)
        if not values:
            fmt = "%Y-%m-%d"  # no date at all: nothing to parse
        else:
            try:
                fmt = self._guess(column, values)
            except KpiError as exc:
                fmt = self._pooled_format(column, values, exc)
        self._formats[column] = fmt
        return fmt

    def _pooled_format(self, column: str, values: list[str], error: KpiError) -> str:
        roles = ("create_date", "close_date", "churn_date", *_CONTACT_DATES)
        others = {self.columns[r] for r in roles if r in self.columns} - {column}
        pooled = values + [v for other in sorted(others) for v in self._values(other)]
        try:
            fmt = self._guess(column, pooled)
        except KpiError:
            raise error from None
        if not all(_fits(v, fmt) for v in values):
            raise error
        return fmt

    def _decimal(self, columns: set[str]) -> str:
        if self.option("decimal"):
            return self.option("decimal")
        values = []
        for sniffed in self.files:
            indexes = [sniffed.columns.index(c) for c in columns if c in sniffed.columns]
            values += [row[i] for row in sniffed.sample for i in indexes if i < len(row)]
        return guess_decimal(values)

    def _check_values(self, dates: set[str], numbers: set[str], decimal: str) -> None:
        checks = []
        for column in sorted(dates):
            fmt = self._date_format(column)
            c = quote_ident(column)
            bad = f"coalesce(trim({c}), '') <> '' AND {date_sql(column, fmt)} IS NULL"
            checks.append((column, bad, f"a date like {fmt}"))
        for column in sorted(numbers):
            checks.append((column, bad_number_sql(column, decimal), "a number"))
        for column, condition, expected in checks:
            found = first_bad_value(self.files, column, f"{self._data_row()} AND {condition}")
            if found:
                sniffed, line, text = found
                raise KpiError(
                    f"expected {expected} in column `{column}`, found `{text}`",
                    sniffed.location(line, column),
                    "set the source option `date_format`" if "date" in expected else None,
                )

    def _check_stages(self) -> None:
        """Every deal stage must be classed: list the unknown ones with the mapping to add."""
        stage = quote_ident(self.columns["stage"])
        counts: dict[str, int] = {}
        first: tuple[Sniffed, int, str] | None = None
        for sniffed in self.files:
            sql = (
                f"SELECT trim({stage}) AS s, count(*), min(__row) FROM (SELECT row_number() "
                f"OVER () AS __row, * FROM {sniffed.relation()}) WHERE {self._data_row()} "
                f"AND {self._class_sql()} IS NULL GROUP BY s ORDER BY min(__row)"
            )
            for name, n, row in _duckdb().sql(sql).fetchall():
                counts[name] = counts.get(name, 0) + int(n)
                if first is None:
                    first = (sniffed, sniffed.skip + 1 + int(row), name)
        if not counts or first is None:
            return
        ordered = sorted(counts, key=lambda s: (-counts[s], s))
        listed = ", ".join(f"`{s}` ({_plural(counts[s], 'deal')})" for s in ordered)
        lines = "\n".join(
            f"      {json.dumps(s, ensure_ascii=False)}: {_suggested_class(s)}" for s in ordered
        )
        sniffed, line, _ = first
        raise KpiError(
            f"source `{self.config.name}`: {_plural(len(counts), 'deal stage')} of column "
            f"`{self.columns['stage']}` are not known as won, lost or open: {listed}",
            sniffed.location(line, self.columns["stage"]),
            f"class them under the source `{self.config.name}` in kpi.yaml "
            f"(each one won, lost or open):\n    stages:\n{lines}",
        )

    def _check_currency(self, column: str, currency_column: str | None) -> None:
        """One currency in the amounts (and the currency column), the workspace's if it has one."""
        found: dict[str, tuple[Sniffed, int, str]] = {}
        c = quote_ident(column)
        for sniffed in self.files:
            numbered = f"(SELECT row_number() OVER () AS __row, * FROM {sniffed.relation()})"
            sql = (
                f"SELECT code, min(__row) FROM (SELECT __row, unnest(regexp_extract_all("
                f"trim({c}), {quote_text(_CURRENCY_PATTERN)})) AS code FROM {numbered} "
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

    # --- fetch --------------------------------------------------------------------------------

    def fetch(self, request: Request) -> Frame:
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
        decimal = self._decimal(mapped_numbers | ({amount} if amount else set()))

        groups: dict[tuple[str, str], dict[str, Measure]] = {}
        dates: set[str] = set()
        for variable in derived:
            if variable in STOCKS:
                continue
            column = self._column(_DAY_ROLE[variable])
            where = self._data_row()
            if variable in CLOSED:
                where += f" AND {self._class_sql()} IN ('won', 'lost')"
            if variable == "churned_customers":
                customer = self.columns["became_customer_date"]
                where += f" AND {self._day_sql(customer)} IS NOT NULL"
                dates.add(customer)
            if variable == "sales_cycle_days":
                dates.add(self.columns["create_date"])
            dates.add(column)
            measure = Measure(self._measure_sql(variable, decimal), wanted[variable])
            groups.setdefault((column, where), {})[variable] = measure
        for variable, mapping in mapped.items():
            column = self._mapped_date(mapping)
            dates.add(column)
            measure = Measure(self._mapping_sql(mapping, decimal), wanted[variable])
            groups.setdefault((column, self._data_row()), {})[variable] = measure
        stocks = [v for v in derived if v in STOCKS]
        if stocks:
            dates |= {
                self.columns[r] for r in ("became_customer_date", "churn_date") if r in self.columns
            }

        self._check_values(dates, mapped_numbers | ({amount} if amount else set()), decimal)
        if any(v in CLOSED for v in derived):
            self._check_stages()
        if amount:
            converted = amount.lower() in CONVERTED_AMOUNTS
            self._check_currency(amount, None if converted else self.columns.get("currency"))
        for mapping in mapped.values():
            self._check_mapped_currency(mapping)
            if mapping.column and not mapping.count and not mapping.currency:
                self._check_currency(require_column(self.layout, mapping.column, "column"), None)

        dims = [d for d in request.dimensions if d in self.dims]
        frames = []
        for (column, where), measures in groups.items():
            query = Query(
                self.files,
                self._day_sql(column),
                {d: self._dim_sql(self.dims[d]) for d in dims},
                measures,
                where,
            )
            frames.append(aggregate(query, request.grain, dims, self.config.location))
        zeros = [v for v in wanted if (v in mapped or v not in STOCKS) and wanted[v].time == "sum"]
        if zeros and dates:
            frames.append(self._zero_frame(zeros, dates, frames, dims, request.grain))
        if stocks:
            frames.append(self._stock_frame(stocks, dims))
        return _concat(frames, list(wanted), dims)

    def _zero_frame(
        self,
        variables: list[str],
        dates: set[str],
        frames: list[Frame],
        dims: list[str],
        grain: str,
    ) -> Frame:
        """Zeros for every period and segment the export covers: a month without a deal won
        has 0 deals won (not a missing value), from the first to the last date of the columns
        used (the close dates of deals still open, often in the future, left out)."""
        parts = []
        for column in sorted(dates):
            where = self._data_row()
            if column == self.columns.get("close_date") and "stage" in self.columns:
                where += f" AND {self._class_sql()} IN ('won', 'lost')"
            parts.append(f"SELECT {self._day_sql(column)} AS d FROM {self._rows()} WHERE {where}")
        lo, hi = _run(f"SELECT min(d), max(d) FROM ({' UNION ALL '.join(parts)})")[0]
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
        if variable in ("deals_won", "deals_lost"):
            klass = "won" if variable == "deals_won" else "lost"
            return f"(CASE WHEN {self._class_sql()} = '{klass}' THEN 1.0 ELSE 0.0 END)"
        if variable == "revenue":
            value = number_sql(self.columns["amount"], decimal)
            return (
                f"(CASE WHEN {self._class_sql()} = 'won' THEN coalesce({value}, 0.0) ELSE 0.0 END)"
            )
        if variable == "sales_cycle_days":
            create = self._day_sql(self.columns["create_date"])
            close = self._day_sql(self.columns["close_date"])
            days = f"CAST(date_diff('day', {create}, {close}) AS DOUBLE)"
            return f"(CASE WHEN {self._class_sql()} = 'won' THEN {days} ELSE 0.0 END)"
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
        value = number_sql(require_column(self.layout, mapping.column, "column"), decimal)
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
        duck = _duckdb()
        try:
            result = duck.sql(sql).fetchnumpy()
        except duck.Error as exc:
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
    return _duckdb().sql(sql).fetchall()


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
def register_connectors(register):
    register(CrmConnector)
