"""The `ads` connector: Google Ads and Meta Ads Manager report exports, aggregated by DuckDB.

Reads the files as the platforms write them: Google Ads UI downloads (a title line and a date
range before the header, `Total: ...` rows at the end, `1,234` and `--` cells, UTF-16 with tabs
for the "CSV (Excel)" download), Google Ads API / BigQuery exports (`metrics.cost_micros`), and
Meta Ads Manager exports (`Amount spent (EUR)`, a summary row without a day). Summary rows are
never summed: they cross-check the sum of the rows. Rates (CTR, Avg. CPC, CPM, ...) are ignored:
the engine recomputes them from the counts.

A fetch reads each file twice, streaming it: one scan computes every check (values, currencies,
result kinds, the totals' cross-check), one aggregates; only a problem reads it again, to name
the line.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from kpiengine.connector import Connector, Mapping, Option, Request, SourceConfig
from kpiengine.errors import KpiError, Location, did_you_mean, suggestion
from kpiengine.filequery import (
    DELIMITERS,
    MISSING,
    Measure,
    Query,
    Sniffed,
    aggregate,
    date_sql,
    duckdb_module,
    first_bad_value,
    guess_date_format,
    guess_decimal,
    period_sql,
    quick_bad_number_sql,
    quick_number_sql,
    quote_ident,
    quote_text,
    require_column,
    scan,
    sniff,
)
from kpiengine.hookspecs import hookimpl
from kpiengine.periods import ordinals
from kpiengine.table import Frame

GOOGLE, META = "google_ads", "meta_ads"
#: platform -> (value of the `platform` dimension, default `channel`)
PLATFORMS = {GOOGLE: ("Google Ads", "Paid Search"), META: ("Meta Ads", "Paid Social")}

#: Column roles: where each thing is, by platform, most likely name first (matched ignoring case).
CANDIDATES: dict[str, dict[str, tuple[str, ...]]] = {
    GOOGLE: {
        "date": ("Day", "Date", "segments.date", "segments_date"),
        "campaign": ("Campaign", "Campaign name", "campaign.name", "campaign_name"),
        "campaign_type": (
            "Campaign type",
            "campaign.advertising_channel_type",
            "campaign_advertising_channel_type",
        ),
        "currency": (
            "Currency code",
            "Currency",
            "customer.currency_code",
            "customer_currency_code",
        ),
        "impressions": ("Impr.", "Impressions", "metrics.impressions", "metrics_impressions"),
        "clicks": ("Clicks", "metrics.clicks", "metrics_clicks"),
        "cost": ("Cost", "metrics.cost_micros", "metrics_cost_micros"),
        "conversions": ("Conversions", "metrics.conversions", "metrics_conversions"),
        "conversion_value": (
            "Conv. value",
            "Conversion value",
            "Total conv. value",
            "metrics.conversions_value",
            "metrics_conversions_value",
        ),
    },
    META: {
        "date": ("Day", "Date", "Reporting starts"),
        "date_end": ("Reporting ends",),
        "campaign": ("Campaign name", "Campaign"),
        "campaign_type": (),
        "currency": ("Currency",),
        "impressions": ("Impressions",),
        "clicks": ("Link clicks", "Clicks (all)", "Clicks"),
        "cost": ("Amount spent",),  # and `Amount spent (EUR)`: see _AMOUNT_SPENT
        "conversions": ("Results", "Purchases", "Conversions"),
        "conversion_value": (
            "Purchases conversion value",
            "Website purchases conversion value",
            "Purchase conversion value",
            "Conversion value",
        ),
        "result_type": ("Result type", "Result indicator"),
    },
}
ROLES = (
    "date",
    "date_end",
    "campaign",
    "campaign_type",
    "currency",
    "impressions",
    "clicks",
    "cost",
    "conversions",
    "conversion_value",
    "result_type",
)
ALIASES = {"ad_spend": "cost", "spend": "cost", "ad_revenue": "conversion_value", "day": "date"}
METRICS = ("impressions", "clicks", "cost", "conversions", "conversion_value")
MONEY = ("cost", "conversion_value")
#: Meta summary rows: every name column empty.
META_NAMES = ("campaign name", "ad set name", "ad name")
EXTRA_DATE_FORMATS = ("%B %d, %Y", "%a, %b %d, %Y", "%A, %B %d, %Y", "%d %B %Y")
RANGE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d", "%b %d %Y")
#: API enum values of campaign types, as the Google Ads UI writes them.
CAMPAIGN_TYPES = {
    "SEARCH": "Search",
    "DISPLAY": "Display",
    "SHOPPING": "Shopping",
    "VIDEO": "Video",
    "PERFORMANCE_MAX": "Performance Max",
    "DEMAND_GEN": "Demand Gen",
    "DISCOVERY": "Discovery",
    "MULTI_CHANNEL": "App",
    "SMART": "Smart",
    "HOTEL": "Hotel",
    "LOCAL": "Local",
    "LOCAL_SERVICES": "Local Services",
    "TRAVEL": "Travel",
}
#: `Total: Account`, `Total : campagnes`, `Gesamt: Kampagnen`, ... in the first column.
TOTAL_PATTERN = r"^(total|totals|totale|totales|totaal|gesamt|summe)\s*:"
#: Totals of every row shown (as opposed to the whole account, filters included).
SHOWN_TOTALS = ("campaigns", "all campaigns", "filtered campaigns", "all", "")
_AMOUNT_SPENT = re.compile(r"^amount spent(?:\s*\(([A-Za-z]{3})\))?$", re.IGNORECASE)
_CODE = re.compile(r"^[A-Z]{3}$")
_RANGE_SPLIT = re.compile(r"\s+[-–—]\s+|\s+to\s+")


def _missing_sql() -> str:
    return ", ".join(quote_text(m) for m in MISSING)


def _blank(column: str) -> str:
    return f"(coalesce(trim({quote_ident(column)}), '') = '')"


def _numbered(sniffed: Sniffed) -> str:
    return f"(SELECT row_number() OVER () AS __row, * FROM {sniffed.relation()})"


def _find(columns: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {c.strip().lower(): c for c in columns}
    return next((lowered[n.lower()] for n in names if n.lower() in lowered), None)


def detect_platform(columns: list[str]) -> str | None:
    """`google_ads` or `meta_ads` from a header row; None when it looks like neither."""
    lowered = {c.strip().lower() for c in columns}
    if "reporting starts" in lowered or any(_AMOUNT_SPENT.match(c.strip()) for c in columns):
        return META
    if lowered & {"impr.", "currency code", "conv. value", "avg. cpc"}:
        return GOOGLE
    if any(c.startswith(("metrics.", "metrics_", "segments.", "segments_")) for c in lowered):
        return GOOGLE
    if {"campaign", "cost"} <= lowered:
        return GOOGLE
    return None


def _known_headers() -> set[str]:
    names = {n.lower() for roles in CANDIDATES.values() for ns in roles.values() for n in ns}
    return names | {"campaign status", "ctr", "avg. cpc", "ad set name", "ad name", "reach"}


def _header_line(sniffed: Sniffed, extra: set[str]) -> tuple[str, int] | None:
    """(delimiter, lines before the header): the first line naming two known ads columns.

    Needed because Google's title and date-range lines come first and its quoted `"1,234"`
    cells make the data rows look wider than the header to a delimiter count.
    """
    known = _known_headers() | {e.lower() for e in extra}
    with sniffed.path.open(encoding=sniffed.python_encoding, newline="") as handle:
        lines = [line for _, line in zip(range(30), handle, strict=False)]
    order = [sniffed.delimiter, *[d for d in DELIMITERS if d != sniffed.delimiter]]
    for delimiter in order:
        for index, line in enumerate(lines):
            cells = next(csv.reader([line], delimiter=delimiter), [])
            names = {c.strip().lower() for c in cells}
            hits = len(names & known) + any(_AMOUNT_SPENT.match(c.strip()) for c in cells)
            if hits >= 2:
                return delimiter, index
    return None


def _sniff(path, extra: set[str]) -> Sniffed:
    sniffed = sniff(path)
    if sniffed.kind != "csv":
        return sniffed
    found = _header_line(sniffed, extra)
    if found and found != (sniffed.delimiter, sniffed.skip):
        sniffed = sniff(path, found[0], found[1])
    return sniffed


def _preamble(sniffed: Sniffed) -> list[str]:
    """The lines before the header (Google's title and date range)."""
    if sniffed.kind != "csv" or not sniffed.skip:
        return []
    with sniffed.path.open(encoding=sniffed.python_encoding, newline="") as handle:
        return [line.strip() for _, line in zip(range(sniffed.skip), handle, strict=False)]


def _parse_day(text: str) -> dt.date | None:
    text = text.strip().strip('"').strip()
    for fmt in RANGE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def report_range(sniffed: Sniffed) -> tuple[dt.date, dt.date, int] | None:
    """(first day, last day, line) of a `June 1, 2024 - June 30, 2024` line before the header."""
    for number, line in enumerate(_preamble(sniffed), start=1):
        parts = _RANGE_SPLIT.split(line.strip().strip('"').strip())
        if len(parts) == 2:
            first, last = _parse_day(parts[0]), _parse_day(parts[1])
            if first and last and first <= last:
                return first, last, number
    return None


@dataclass
class _Plan:
    """What a fetch checks in a file."""

    numeric: list[str]  # number columns
    decimal: str
    grain: str
    metrics: dict[str, str]  # variable -> column, summed and compared with the summary rows
    money: bool  # the currencies matter
    conversions: bool  # the kinds of `Results` matter


@dataclass
class _Layout:
    """Where things are in the files of this source."""

    platform: str
    columns: dict[str, str]  # role -> column
    label: str  # the first column, where Google writes `Total: ...`


class AdsConnector(Connector):
    name = "ads"
    description = "Google Ads and Meta Ads Manager report exports (UI downloads, API/BigQuery CSVs)"
    options = (
        Option("path", "file or glob, relative to the workspace", required=True),
        Option("platform", "`google_ads` or `meta_ads` (default: detected from the headers)"),
        Option(
            "channel",
            "value of the `channel` dimension (default: `Paid Search` for Google Ads, "
            "`Paid Social` for Meta)",
        ),
        Option(
            "columns",
            "role -> column overrides; roles: date, date_end, campaign, campaign_type, currency, "
            "impressions, clicks, cost, conversions, conversion_value, result_type",
            default={},
        ),
        Option("date_format", "strptime format of the dates, e.g. '%d/%m/%Y' (default: detected)"),
        Option("decimal", "decimal separator, `.` or `,` (default: detected per file)"),
        Option(
            "conversion_value_as",
            "the variable the conversion value is given as",
            default="ad_revenue",
        ),
    )

    def __init__(self, config: SourceConfig) -> None:
        super().__init__(config)
        self.overrides = self._check_option_values()
        self.files = [_sniff(p, set(self.overrides.values())) for p in config.paths()]
        self.layout_file = self.files[0]
        for other in self.files[1:]:
            if other.columns != self.layout_file.columns:
                raise KpiError(
                    f"the columns differ from {self.layout_file.path.name}'s "
                    f"({', '.join(self.layout_file.columns)})",
                    other.location(other.skip + 1),
                    "give each report layout its own source",
                )
        self.layout = self._layout()
        self.ranges = self._ranges()
        self.value_variable = str(self.option("conversion_value_as"))
        variable_of = {"cost": "ad_spend", "conversion_value": self.value_variable}
        self.role_of = {  # variable -> role, for the metrics the files have
            variable_of.get(role, role): role for role in METRICS if role in self.layout.columns
        }
        for variable in config.mappings:
            self.role_of.pop(variable, None)
        if not self.role_of and not config.mappings:
            self._no_metrics()
        platform_name, channel = PLATFORMS[self.layout.platform]
        self.platform_name = platform_name
        self.channel = str(self.option("channel") or channel)
        for column in config.dimensions.values():
            require_column(self.layout_file, column, "dimension column")
        for mapping in config.mappings.values():
            if mapping.column and not mapping.count:
                require_column(self.layout_file, mapping.column, "column")

    # --- configuration ----------------------------------------------------------------------

    def _check_option_values(self) -> dict[str, str]:
        platform = self.option("platform")
        if platform is not None and platform not in PLATFORMS:
            raise self.config.error(
                f"unknown platform `{platform}`{suggestion(str(platform), PLATFORMS)}",
                "platform",
                f"use one of {', '.join(PLATFORMS)}, or leave it out to detect it",
            )
        decimal = self.option("decimal")
        if decimal is not None and decimal not in (".", ","):
            raise self.config.error("`decimal` must be `.` or `,`", "decimal")
        for key in ("channel", "date_format", "conversion_value_as"):
            value = self.option(key)
            if value is not None and not isinstance(value, str):
                raise self.config.error(f"`{key}` must be a text", key)
        value_as = self.option("conversion_value_as")
        known = self.config.variables
        if known and value_as not in known:
            raise self.config.error(
                f"`conversion_value_as` names unknown variable `{value_as}`"
                f"{suggestion(value_as, known)}",
                "conversion_value_as",
            )
        columns = self.option("columns") or {}
        if not isinstance(columns, dict):
            raise self.config.error(
                "`columns` maps roles to column names",
                "columns",
                "e.g. `columns: {cost: Spend, date: Date}`",
            )
        out = {}
        for role, column in columns.items():
            name = ALIASES.get(str(role), str(role))
            if str(role) == value_as:
                name = "conversion_value"
            if name not in ROLES:
                raise self.config.error(
                    f"unknown role `{role}` in `columns`{suggestion(str(role), ROLES)}",
                    "columns",
                    f"roles: {', '.join(ROLES)}",
                )
            if not isinstance(column, str):
                raise self.config.error(f"the column of `{role}` must be a column name", "columns")
            out[name] = column
        return out

    def _layout(self) -> _Layout:
        file = self.layout_file
        platform = self.option("platform") or detect_platform(file.columns)
        if platform is None:
            raise KpiError(
                "cannot tell whether this is a Google Ads or a Meta Ads export "
                f"(columns: {', '.join(file.columns)})",
                file.location(file.skip + 1, file.columns[0]),
                "set the source option `platform: google_ads` or `platform: meta_ads`",
            )
        columns = {}
        for role, names in CANDIDATES[platform].items():
            found = _find(file.columns, names)
            if role == "cost" and platform == META and found is None:
                found = next((c for c in file.columns if _AMOUNT_SPENT.match(c.strip())), None)
            if found is not None:
                columns[role] = found
        if platform == META and columns.get("date", "").lower() != "reporting starts":
            columns.pop("date_end", None)  # a Day column dates the rows
        for role, column in self.overrides.items():
            columns[role] = require_column(file, column, f"{role} column")
        return _Layout(platform, columns, file.columns[0])

    def _ranges(self) -> dict[str, tuple[dt.date, dt.date, int]]:
        """Reports without a date column: the date range of their title lines, per file."""
        if "date" in self.layout.columns:
            return {}
        out = {}
        for file in self.files:
            found = report_range(file)
            if found is None:
                names = CANDIDATES[self.layout.platform]["date"]
                close = next((c for c in (did_you_mean(n, file.columns) for n in names) if c), None)
                hint = f"; did you mean `{close}`?" if close else ""
                raise KpiError(
                    f"no date column: expected `{names[0]}`{hint} "
                    f"(columns: {', '.join(file.columns)})",
                    file.location(file.skip + 1, file.columns[0]),
                    "download the report segmented by day, or name the column with "
                    "`columns: {date: COLUMN}`",
                )
            out[str(file.path)] = found
        return out

    def _no_metrics(self) -> None:
        file = self.layout_file
        names = [n for r in METRICS for n in CANDIDATES[self.layout.platform][r]]
        close = next((c for c in (did_you_mean(n, file.columns) for n in names) if c), None)
        hint = f"; did you mean `{close}`?" if close else ""
        raise KpiError(
            f"no ad metric columns: expected some of `{'`, `'.join(names[:8])}`{hint} "
            f"(columns: {', '.join(file.columns)})",
            file.location(file.skip + 1, file.columns[0]),
            "name them with the source option `columns: {clicks: COLUMN, cost: COLUMN}`",
        )

    # --- the contract -----------------------------------------------------------------------

    def provides(self) -> set[str]:
        return set(self.role_of) | set(self.config.mappings)

    def dimensions(self) -> set[str]:
        dims = {"channel", "platform"} | set(self.config.dimensions)
        return dims | {d for d in ("campaign", "campaign_type") if d in self.layout.columns}

    # --- SQL pieces -------------------------------------------------------------------------

    def summary_sql(self) -> str:
        """SQL true on total / summary rows (never summed)."""
        columns = self.layout.columns
        if self.layout.platform == GOOGLE:
            label = f"coalesce(trim({quote_ident(self.layout.label)}), '')"
            return f"regexp_matches({label}, {quote_text(TOTAL_PATTERN)}, 'i')"
        names = [c for c in self.layout_file.columns if c.strip().lower() in META_NAMES]
        parts = []
        if names:
            parts.append("(" + " AND ".join(_blank(c) for c in names) + ")")
        if "date" in columns and columns["date"].lower() != "reporting starts":
            parts.append(_blank(columns["date"]))
        return "(" + " OR ".join(parts) + ")" if parts else "FALSE"

    def _value_sql(self, column: str, decimal: str) -> str:
        value = quick_number_sql(column, decimal)
        if "micros" in column.lower():  # API money in millionths: never read as currency
            value = f"({value} * 1e-06)"
        return value

    def _mapping_sql(self, mapping: Mapping, decimal: str) -> str:
        where = " AND ".join(
            f"trim({quote_ident(require_column(self.layout_file, c, 'column'))}) IN "
            f"({', '.join(quote_text(v) for v in values)})"
            for c, values in mapping.where.items()
        )
        if mapping.count:
            return f"(CASE WHEN {where or 'TRUE'} THEN 1.0 ELSE 0.0 END)"
        assert mapping.column is not None  # sourceconfig: a mapping has `column:` or `count: true`
        column = require_column(self.layout_file, mapping.column, "column")
        value = self._value_sql(column, decimal)
        if mapping.scale != 1.0:
            value = f"({value} * {mapping.scale!r})"
        return f"(CASE WHEN {where} THEN {value} ELSE 0.0 END)" if where else value

    def _dimension_sql(self, dim: str) -> str:
        if dim in self.config.dimensions:
            column = require_column(self.layout_file, self.config.dimensions[dim], "column")
            return f"coalesce(trim({quote_ident(column)}), '')"
        if dim == "channel":
            return quote_text(self.channel)
        if dim == "platform":
            return quote_text(self.platform_name)
        column = quote_ident(self.layout.columns[dim])
        if dim == "campaign_type":
            cases = " ".join(
                f"WHEN {quote_text(k)} THEN {quote_text(v)}" for k, v in CAMPAIGN_TYPES.items()
            )
            return f"(CASE upper(trim({column})) {cases} ELSE coalesce(trim({column}), '') END)"
        return f"coalesce(trim({column}), '')"

    def _date_format(self, column: str) -> str:
        explicit = self.option("date_format")
        try:
            return guess_date_format(self.layout_file, column, explicit)
        except KpiError:
            index = self.layout_file.columns.index(column)
            values = [r[index].strip() for r in self.layout_file.sample if index < len(r)]
            values = [v for v in values if v and not re.match(TOTAL_PATTERN, v, re.I)]
            for fmt in EXTRA_DATE_FORMATS:
                if values and all(_parse(v, fmt) for v in values):
                    return fmt
            raise

    # --- checks -----------------------------------------------------------------------------
    #
    # A fetch scans each file once for every check (`_scan`): counts of bad values, the codes and
    # result kinds seen (their first and last in sort order: one when they are the same), the
    # summary rows and the sums they must match. Only a problem makes another scan, to name its
    # line (the `_check_*` methods, which hold the checks' messages).

    def _value_checks(
        self, numeric: list[str], decimal: str, summary: str
    ) -> list[tuple[str, str, str]]:
        """(column, SQL true on a bad value, what was expected), `summary` the SQL of summary
        rows (a shared column in the scan, the whole test on the error path)."""
        checks = []
        for column in numeric:
            condition = quick_bad_number_sql(column, decimal)
            if column == self.layout.label:
                condition = f"({condition} AND NOT {summary})"
            checks.append((column, condition, "a number"))
        for role in ("date", "date_end"):
            dated = self.layout.columns.get(role)
            if dated:
                fmt = self._date_format(dated)
                condition = f"(NOT {summary} AND {date_sql(dated, fmt)} IS NULL)"
                checks.append((dated, condition, f"a date like {fmt}"))
        return checks

    def _span_sql(self, file: Sniffed, grain: str, summary: str) -> str | None:
        """SQL true on a row from `Reporting starts` to `Reporting ends` across periods."""
        end = self.layout.columns.get("date_end")
        start = self.layout.columns.get("date")
        if str(file.path) in self.ranges or not end or not start:
            return None
        a = period_sql(date_sql(start, self._date_format(start)), grain)
        b = period_sql(date_sql(end, self._date_format(end)), grain)
        return f"(NOT {summary} AND {a} <> {b})"

    def _results_kind(self) -> str | None:
        """The `Result type` column when `Results` are the conversions (Meta)."""
        column = self.layout.columns.get("conversions", "")
        kind = self.layout.columns.get("result_type")
        if not kind or column.strip().lower() != "results" or "conversions" in self.overrides:
            return None
        return kind

    def _scan(self, file: Sniffed, plan: _Plan) -> dict[str, Any]:
        """Every check of the request on one file, in one scan (grouped by campaign type when the
        totals are checked: few groups), the groups' answers combined."""
        summary = quote_ident("__summary")
        shared = {"__summary": self.summary_sql()}
        aggregates = {}
        try:
            checks = self._value_checks(plan.numeric, plan.decimal, summary)
            span = self._span_sql(file, plan.grain, summary)
        except KpiError as exc:  # dates of no known format: raised in the checks' order
            return {"error": exc}
        for i, (_, condition, _) in enumerate(checks):
            aggregates[f"bad{i}"] = f"count(*) FILTER (WHERE {condition})"
        if span:
            aggregates["spans"] = f"count(*) FILTER (WHERE {span})"
        column = self.layout.columns.get("currency")
        if column and plan.money:
            code = f"upper(trim({quote_ident(column)}))"
            present = f"coalesce(trim({quote_ident(column)}), '') NOT IN ({_missing_sql()})"
            for edge in ("min", "max"):
                aggregates[f"code_{edge}"] = (
                    f"{edge}({code}) FILTER (WHERE NOT {summary} AND {present})"
                )
        kind = self._results_kind()
        if kind and plan.conversions:
            k = f"trim({quote_ident(kind)})"
            for edge in ("min", "max"):
                aggregates[f"kind_{edge}"] = (
                    f"{edge}({k}) FILTER (WHERE NOT {summary} AND coalesce({k}, '') <> '')"
                )
        by = None
        if plan.metrics:
            names = [f"__v{i}" for i in range(len(plan.metrics))]
            for name, metric in zip(names, plan.metrics.values(), strict=True):
                shared[name] = self._value_sql(metric, plan.decimal)
            label = f"coalesce(trim({quote_ident(self.layout.label)}), '')"
            row = ", ".join([f"'label': {label}", *(f"'{n}': {quote_ident(n)}" for n in names)])
            aggregates["totals"] = f"list({{{row}}}) FILTER (WHERE {summary})"
            aggregates["rows"] = f"count(*) FILTER (WHERE NOT {summary})"
            for name in names:
                aggregates[f"sum{name}"] = f"sum({quote_ident(name)}) FILTER (WHERE NOT {summary})"
            kind_column = self.layout.columns.get("campaign_type")
            by = f"lower(trim({quote_ident(kind_column)}))" if kind_column else None
        if not aggregates:
            return {}
        groups = scan(file, aggregates, shared, by)
        out: dict[str, Any] = {"groups": {}}
        for name in aggregates:
            values = [g[name] for g in groups if g[name] is not None]
            if name.startswith(("bad", "spans")):
                out[name] = sum(values)
            elif name.endswith("_min"):
                out[name] = min(values, default=None)
            elif name.endswith("_max"):
                out[name] = max(values, default=None)
            elif name == "totals":
                out[name] = [tuple(t.values()) for v in values for t in v]
        for group in groups if plan.metrics else ():
            if group["rows"]:  # a campaign type of summary rows only is no group of rows
                sums = tuple(group[f"sum__v{i}"] for i in range(len(plan.metrics)))
                out["groups"][group.get("__by") or ""] = (group["rows"], sums)
        return out

    def _check_values(
        self, file: Sniffed, numeric: list[str], decimal: str, found: dict[str, Any]
    ) -> None:
        for i, (column, condition, expected) in enumerate(
            self._value_checks(numeric, decimal, self.summary_sql())
        ):
            bad = found.get(f"bad{i}") and first_bad_value([file], column, condition)
            if bad:
                where, line, text = bad
                shown = "an empty cell" if text == "None" else f"`{text}`"
                raise KpiError(
                    f"expected {expected} in column `{column}`, found {shown}",
                    where.location(line, column),
                )

    def _check_spans(self, file: Sniffed, grain: str, found: dict[str, Any]) -> None:
        """Rows must each fall in one period: Meta rows from `Reporting starts` to `ends`."""
        if str(file.path) in self.ranges:
            first, last, line = self.ranges[str(file.path)]
            days = np.array([first, last], dtype="datetime64[D]")
            a, b = ordinals(days, grain)
            if a != b:
                raise KpiError(
                    f"the report has no day column and covers {first} to {last}, more than one "
                    f"{grain}",
                    Location(str(file.path), line, 1),
                    "download it segmented by day (Segments > Time > Day), or ask for a coarser "
                    "grain",
                )
            return
        if not found.get("spans"):
            return
        start, end = self.layout.columns["date"], self.layout.columns["date_end"]
        sql = (
            f"SELECT __row, {quote_ident(start)}, {quote_ident(end)} FROM {_numbered(file)} "
            f"WHERE {self._span_sql(file, grain, self.summary_sql())} ORDER BY __row LIMIT 1"
        )
        row, first, last = duckdb_module().sql(sql).fetchall()[0]
        raise KpiError(
            f"this row covers {first} to {last}, more than one {grain}",
            file.location(file.skip + 1 + int(row), end),
            "export with a daily breakdown (Breakdown > By time > Day), or ask for a coarser grain",
        )

    def _currencies(self, file: Sniffed) -> list[tuple[str, Location]]:
        """The currencies a file declares, each with where it is first said."""
        out = []
        column = self.layout.columns.get("currency")
        if column:
            sql = (
                f"SELECT upper(trim({quote_ident(column)})) AS c, min(__row) FROM "
                f"{_numbered(file)} WHERE NOT {self.summary_sql()} AND "
                f"coalesce(trim({quote_ident(column)}), '') NOT IN ({_missing_sql()}) "
                "GROUP BY c ORDER BY 2"
            )
            for code, row in duckdb_module().sql(sql).fetchall():
                out.append((code, file.location(file.skip + 1 + int(row), column)))
        out += self._header_currency(file)
        return out

    def _header_currency(self, file: Sniffed) -> list[tuple[str, Location]]:
        """Meta's `Amount spent (EUR)`: the code in the header."""
        cost = self.layout.columns.get("cost")
        match = _AMOUNT_SPENT.match(cost.strip()) if cost else None
        if match and match.group(1):
            return [(match.group(1).upper(), file.location(file.skip + 1, cost))]
        return []

    def _check_currency(self, variables: set[str], found: dict[str, dict[str, Any]]) -> None:
        money = {v for v, r in self.role_of.items() if r in MONEY} & variables
        mapped = [m for v, m in self.config.mappings.items() if v in variables and m.currency]
        if not money and not mapped:
            return
        codes = {str(m.currency).upper() for m in mapped}
        unknown = any("error" in f for f in found.values())  # not scanned: read them below
        if money:  # the scan's codes: fine when they are one valid code, the workspace's
            scanned = {f.get(e) for f in found.values() for e in ("code_min", "code_max")}
            codes |= {c for c in scanned if c is not None}
            codes |= {c for file in self.files for c, _ in self._header_currency(file)}
        workspace = self.config.currency
        if (
            not unknown
            and len(codes) <= 1
            and all(_CODE.match(c) and c == (workspace or c) for c in codes)
        ):
            return
        listed: list[tuple[str, Location]] = []  # where each code is: another scan
        if money:
            for file in self.files:
                listed += self._currencies(file)
        listed += [(str(m.currency).upper(), m.location) for m in mapped]
        codes_listed = sorted({c for c, _ in listed})
        for code, where in listed:
            if not _CODE.match(code):
                raise KpiError(f"expected a currency code such as USD, found `{code}`", where)
        if len(codes_listed) > 1:
            second = next(where for code, where in listed if code != listed[0][0])
            raise KpiError(
                f"the report mixes currencies ({', '.join(codes_listed)}) and there is no rate "
                "table",
                second,
                "export each currency's accounts as their own source in one currency, or "
                "convert the amounts first",
            )
        if codes_listed and workspace and codes_listed[0] != workspace:
            raise KpiError(
                f"the report's amounts are in {codes_listed[0]} but the workspace currency is "
                f"{workspace} (no rate table to convert them)",
                listed[0][1],
                "convert the amounts first, or set the workspace `currency:` to match",
            )

    def _check_results(self, file: Sniffed, found: dict[str, Any]) -> None:
        """Meta's `Results` count each campaign's own objective: one kind only can be summed."""
        kind = self._results_kind()
        if not kind or found.get("kind_min") == found.get("kind_max"):
            return
        sql = (
            f"SELECT trim({quote_ident(kind)}) AS k, min(__row) FROM {_numbered(file)} "
            f"WHERE NOT {self.summary_sql()} AND coalesce(trim({quote_ident(kind)}), '') <> '' "
            "GROUP BY k ORDER BY 2"
        )
        kinds = duckdb_module().sql(sql).fetchall()
        if len(kinds) > 1:
            names = ", ".join(sorted(k for k, _ in kinds))
            raise KpiError(
                f"`{self.layout.columns['conversions']}` counts different results ({names}): "
                "they cannot be added up as conversions",
                file.location(file.skip + 1 + int(kinds[1][1]), kind),
                "name a column counting one action, e.g. `columns: {conversions: Purchases}`, "
                "or export campaigns with one objective",
            )

    def _check_totals(
        self, file: Sniffed, metrics: dict[str, str], decimal: str, found: dict[str, Any]
    ) -> None:
        """Total / summary rows must match the sum of the rows they total (beyond rounding):
        checked on the scan's sums, and when one does not, read again to name its line."""
        if not metrics or not found.get("totals"):
            return
        totals = [(None, *t) for t in found["totals"]]
        if self._mismatch(totals, found["groups"], metrics) is None:
            return
        duck = duckdb_module()
        names = [f"__m{i}" for i in range(len(metrics))]  # no clash with the file's columns
        values = ", ".join(
            f"{self._value_sql(c, decimal)} AS {n}"
            for n, c in zip(names, metrics.values(), strict=True)
        )
        label = quote_ident(self.layout.label)
        totals = duck.sql(
            f"SELECT __row, coalesce(trim({label}), ''), {values} FROM {_numbered(file)} "
            f"WHERE {self.summary_sql()} ORDER BY __row"
        ).fetchall()
        mismatch = self._mismatch(totals, found["groups"], metrics)
        if mismatch is None:
            return
        row, text, column, expected, got = mismatch
        what = f"`{text}`" if self.layout.platform == GOOGLE else "the summary row"
        raise KpiError(
            f"the rows add up to {got:,.2f} in column `{column}` but {what} says {expected:,.2f}",
            file.location(file.skip + 1 + int(row), column),
            "the export was edited or is incomplete: download it again (without filters hiding "
            "rows)",
        )

    def _mismatch(
        self, totals: list[tuple], by_type: dict[str, tuple], metrics: dict[str, str]
    ) -> tuple | None:
        """The first total (row, label, values...) that the sum of its rows does not match:
        (row, label, column, total, sum); the totals of every row are checked first."""
        everything = (
            sum(count for count, _ in by_type.values()),
            tuple(sum(s[i] or 0.0 for _, s in by_type.values()) for i in range(len(metrics))),
        )
        scopes = [self._scope(text, by_type) for _, text, *_ in totals]
        shown = any(s == "shown" for s in scopes)
        checks = sorted(
            zip(totals, scopes, strict=True), key=lambda t: t[1] not in ("shown", "account")
        )
        for (row, text, *total), scope in checks:
            if scope is None or (scope == "account" and shown):
                continue  # an account total also counts the campaigns a filter hid
            count, sums = everything if scope in ("shown", "account") else by_type[scope]
            for column, expected, got in zip(metrics.values(), total, sums, strict=True):
                if expected is None:
                    continue
                got = got or 0.0
                if abs(got - expected) > 0.005 * (count + 1) + 1e-9 * abs(expected):
                    return row, text, column, expected, got
        return None

    def _scope(self, text: str, by_type: dict) -> str | None:
        """Which rows a total row totals: `shown`, `account`, a campaign type, or None."""
        if self.layout.platform == META:
            return "shown"
        kind = re.sub(TOTAL_PATTERN, "", text, flags=re.I).strip().lower()
        single = re.sub(r"\s+campaigns$", "", kind)
        if single in by_type and single:
            return single
        if kind == "account":
            return "account"
        if kind in SHOWN_TOTALS:
            return "shown"
        return None

    # --- fetch ------------------------------------------------------------------------------

    def fetch(self, request: Request) -> Frame:
        wanted = [v for v in request.variables if v in self.provides()]
        if not wanted:
            empty = np.array([], dtype="datetime64[D]")
            no_dims = {d: np.array([], dtype=object) for d in request.dimensions}
            return Frame(empty, no_dims, {}, source=self.config.name)
        decimals = {}
        for file in self.files:
            decimals[str(file.path)] = self.option("decimal") or self._decimal(file)
        metrics = {v: self.layout.columns[self.role_of[v]] for v in wanted if v in self.role_of}
        numeric = sorted(
            set(metrics.values())
            | {
                m.column
                for v, m in self.config.mappings.items()
                if v in wanted and m.column and not m.count
            }
        )
        money = any(self.role_of.get(v) in MONEY for v in wanted)
        conversions = any(self.role_of.get(v) == "conversions" for v in wanted)
        found = {}  # the first scan of each file: every check
        for file in self.files:
            decimal = decimals[str(file.path)]
            plan = _Plan(numeric, decimal, request.grain, metrics, money, conversions)
            found[str(file.path)] = self._scan(file, plan)
        self._check_currency(set(wanted), found)
        for file in self.files:
            decimal, checked = decimals[str(file.path)], found[str(file.path)]
            self._check_values(file, numeric, decimal, checked)
            self._check_spans(file, request.grain, checked)
            if conversions:
                self._check_results(file, checked)
            self._check_totals(file, metrics, decimal, checked)
        groups: dict[tuple[str, str], list[Sniffed]] = {}  # the second scan: the aggregation
        for file in self.files:
            groups.setdefault((decimals[str(file.path)], self._day_sql(file)), []).append(file)
        dims = {d: self._dimension_sql(d) for d in request.dimensions if d in self.dimensions()}
        frames = []
        for (decimal, day), files in groups.items():
            measures = {
                v: Measure(
                    self._mapping_sql(self.config.mappings[v], decimal)
                    if v in self.config.mappings
                    else self._value_sql(metrics[v], decimal),
                    request.variables[v],
                )
                for v in wanted
            }
            query = Query(files, day, dims, measures, f"NOT {self.summary_sql()}", request.calendar)
            requested = [d for d in request.dimensions if d in dims]
            frames.append(aggregate(query, request.grain, requested, self.config.location))
        return Frame.concat(frames)

    def _day_sql(self, file: Sniffed) -> str:
        if str(file.path) in self.ranges:
            first = self.ranges[str(file.path)][0]
            return f"DATE {quote_text(first.isoformat())}"
        column = self.layout.columns["date"]
        return date_sql(column, self._date_format(column))

    def _decimal(self, file: Sniffed) -> str:
        columns = {self.layout.columns[r] for r in METRICS if r in self.layout.columns}
        columns |= {m.column for m in self.config.mappings.values() if m.column}
        indexes = [file.columns.index(c) for c in columns if c in file.columns]
        values = [row[i] for row in file.sample for i in indexes if i < len(row)]
        return guess_decimal(values)


def _parse(value: str, fmt: str) -> bool:
    try:
        dt.datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


@hookimpl(trylast=True)
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(AdsConnector)
