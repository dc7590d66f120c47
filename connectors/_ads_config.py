"""The `ads` connector's configuration (not a plugin module): its options, the columns of each
role by the platform's profile and the `columns:` option, the date range each report states
(Google's title lines, Meta's summary row, Microsoft's `Report Time:` line: the whole period of
a report without a day column; the range its days must keep to and the days it covers), the
period a row covers, the date formats, Meta's name columns, the campaign types the totals rows
name, the columns a source reads and the currency of its money columns.
"""

from __future__ import annotations

from typing import Any

from kpiengine.connector import Connector
from kpiengine.errors import KpiError, did_you_mean, suggestion
from kpiengine.fileformats import CellError, DateFormat
from kpiengine.fileformats.currency import ISO_CODES
from kpiengine.fileformats.tables import FileTable
from kpiengine.filesource import date_format_of, find, require
from kpiengine.table import union

from ._ads_checks import floor
from ._ads_files import breakdowns, one_range, summary_range
from ._ads_headers import columns_block, unknown_headers
from ._ads_microsoft import check_columns, report_time, row_grain, stated_range
from ._ads_profiles import (
    ALIASES,
    AMOUNT_SPENT,
    META,
    META_ENDS,
    META_NAMES,
    META_STARTS,
    METRICS,
    MICROSOFT,
    MONEY,
    PERIOD_HEADERS,
    PLATFORMS,
    PROFILES,
    RESULTS,
    ROLES,
    header_currency,
)
from ._ads_totals import scope
from ._ads_weeks import DATE_GRAINS, week_rows


class AdsConfig(Connector):
    """The configuration half of `ads.AdsConnector`."""

    tables: list[FileTable]
    layout: FileTable
    platform: str
    overrides: dict[str, str]
    columns: dict[str, str]

    def _check_option_values(self) -> dict[str, str]:
        platform = self.option("platform")
        if platform is not None and platform not in PLATFORMS:
            raise self.config.error(
                f"unknown platform `{platform}`{suggestion(str(platform), PLATFORMS)}",
                "platform",
                f"use one of {', '.join(PLATFORMS)}, or leave it out to detect it",
            )
        if self.option("decimal") not in (None, ".", ","):
            raise self.config.error("`decimal` must be `.` or `,`", "decimal")
        for key in ("channel", "date_format", "conversion_value_as"):
            value = self.option(key)
            if value is not None and not isinstance(value, str):
                raise self.config.error(f"`{key}` must be a text", key)
        value_as, known = self.option("conversion_value_as"), self.config.variables
        if known and value_as not in known:
            raise self.config.error(
                f"`conversion_value_as` names unknown variable `{value_as}`"
                f"{suggestion(value_as, known)}",
                "conversion_value_as",
            )
        columns = self.option("columns") or {}
        if not isinstance(columns, dict):
            raise self.config.error(
                "`columns` maps roles to column names", "columns",
                "e.g. `columns: {cost: Spend, date: Date}`",
            )  # fmt: skip
        out = {}
        for role, column in columns.items():
            name = "conversion_value" if role == value_as else ALIASES.get(str(role), str(role))
            if role in DATE_GRAINS:  # `week: 週`: the date column, each row a week from its day
                self.__dict__["_date_grain"] = DATE_GRAINS[role]
                name = "date"
            if name not in ROLES:
                listed = (*ROLES, *DATE_GRAINS)
                raise self.config.error(
                    f"unknown role `{role}` in `columns`{suggestion(str(role), listed)}",
                    "columns",
                    f"roles: {', '.join(listed)}",
                )
            if not isinstance(column, str):
                raise self.config.error(f"the column of `{role}` must be a column name", "columns")
            out[name] = column
        return out

    def _roles(self) -> dict[str, str]:
        """role -> column: the platform's profile, then `columns:`."""
        columns = {}
        for role, names in PROFILES[self.platform].roles.items():
            found = find(self.layout, names)
            if role == "cost" and self.platform == META and found is None:
                found = next(
                    (c for c in self.layout.columns if AMOUNT_SPENT.match(c.strip())), None
                )
            if found is not None:
                columns[role] = found
        starts = {n.lower() for n in META_STARTS}
        if self.platform == META and columns.get("date", "").strip().lower() not in starts:
            columns.pop("date_end", None)  # a Day column dates the rows
        for role, column in self.overrides.items():
            columns[role] = require(self.layout, column, f"{role} column")
        if self.platform == MICROSOFT:  # `TimePeriod` by the report's aggregation
            check_columns(self.tables, columns, "date" in self.overrides)
        return columns

    def _ranges(self) -> list[tuple[Any, Any]]:
        """Reports without a date column: the date range of each file's title lines."""
        out = []
        for table in self.tables:
            found = table.sniffed.date_range if table.sniffed else None
            if self.platform == MICROSOFT:  # `Report Time:`, not a date in the report's name
                found = report_time(table)
            yearless = (
                table.sniffed.preamble.meta.get("range without a year") if table.sniffed else None
            )
            if found is None and yearless:
                raise KpiError(
                    f"the report's date range `{yearless}` names no year, and nothing else in "
                    "the file does",
                    table.header(table.columns[0]),
                    "download the report again with its year in the range, or segmented by day",
                )
            if found is None:
                names = PROFILES[self.platform].roles["date"]
                close = next(
                    (c for c in (did_you_mean(n, table.columns) for n in names) if c), None
                )
                hint = f"; did you mean `{close}`?" if close else ""
                raise KpiError(
                    f"no date column: expected `{names[0]}`{hint}, or a date range before the "
                    f"header (columns: {', '.join(table.columns)})",
                    table.header(table.columns[0]),
                    "download the report segmented by day, or name the column with "
                    "`columns: {date: COLUMN}`",
                )
            out.append(found)
        return out

    def _undated(self) -> list[tuple[Any, Any]] | None:
        """Each report's range when the reports have no days: Google's and Microsoft's without
        a day column (`_ranges`), Meta's without a time breakdown (`one_range`: each row from
        `Reporting starts` to `Reporting ends` of the report); None when rows are dated."""
        if "date" not in self.columns:
            return self._ranges()
        start, end = self.columns["date"], self.columns.get("date_end")
        if self.platform != META or end is None:
            return None
        fmt = self._format(start)

        def read(text: str) -> Any:
            try:
                return fmt.read(text)
            except CellError:
                return None

        spans = []
        for table, stated in zip(self.tables, self._stated(), strict=True):
            span = one_range(table, self._names(table), (start, end), read, stated)
            if span is None:
                return None  # rows of days, weeks or months: dated by them
            spans.append(span)
        return spans

    def _read_columns(self) -> set[str]:
        """The columns the source reads: every file must have them (the others may differ)."""
        mapped = self.config.mappings.values()
        names = {n for m in mapped for n in (m.column, m.distinct, *m.where) if n}
        return {*self.columns.values(), *self.config.dimensions.values(), *names}

    def _amounts(self, table: FileTable) -> dict[str, str]:
        """The currency of each money column of a file, for its decimal mark (`1.250` KWD is
        1.25 or 1250: `guess_decimal`): the account's (the first code of the currency column,
        or the cost header's `(KWD)`), else the workspace's; a mapped column's own
        `currency:`. Counts and conversions are no amounts."""
        code = self.columns.get("currency")
        codes = [c.strip().upper() for c in table.cells(code)] if code else []
        account = next((c for c in codes if c in ISO_CODES), None)
        account = account or header_currency(self.columns.get("cost", "")) or self.config.currency
        columns = [self.columns[r] for r in MONEY if r in self.columns]
        out = {c: account for c in columns if account and "micros" not in c.lower()}
        mapped = self.config.mappings.values()
        return out | {m.column: m.currency for m in mapped if m.column and m.currency}

    def _no_metrics(self) -> None:
        roles = PROFILES[self.platform].roles
        names = [n for r in METRICS for n in roles.get(r, ())]
        close = next((c for c in (did_you_mean(n, self.layout.columns) for n in names) if c), None)
        hint = f"; did you mean `{close}`?" if close else ""
        raise KpiError(
            f"no ad metric columns: expected some of `{'`, `'.join(names[:8])}`{hint} "
            f"(columns: {', '.join(self.layout.columns)})",
            self.layout.header(self.layout.columns[0]),
            columns_block(self.layout, self.platform, self.columns,
                          unknown_headers(self.layout.columns, self.platform), self.config.name),
        )  # fmt: skip

    def _names(self, table: FileTable) -> list[str]:
        """Meta's name columns (campaign, ad set, ad; the `campaign` role's whatever its
        language): all empty on the summary row."""
        mapped = self.columns.get("campaign", "").strip().lower()
        names = (*META_NAMES, mapped) if mapped else META_NAMES
        found = [c for c in table.columns if c.strip().lower() in names]
        if found or self.platform != META:
            return found
        known: dict[str, list[str]] = self.__dict__.setdefault("_breakdowns", {})
        if table.name not in known:  # once per file, from its sample
            known[table.name] = breakdowns(table, set(self.columns.values()))
        return known[table.name]

    def _format(self, column: str) -> DateFormat:
        """A date column's format; the day/month order the one that keeps the days in the
        reports' stated date ranges (`_stated`), else the profile's, else asked for."""
        known: dict[str, DateFormat] = self.__dict__.setdefault("_formats", {})
        if column not in known:  # detected once per column
            stated = union([r for r in self._stated() if r is not None])
            known[column] = date_format_of(
                self.tables, column, self.option("date_format"),
                day_first=PROFILES[self.platform].day_first,
                within=stated if column == self.columns.get("date") else None,
            )  # fmt: skip
        return known[column]

    def _stated(self) -> list[tuple[Any, Any] | None]:
        """Each file's date range as it states it (Google's title lines, Meta's summary row:
        `summary_range`; Microsoft's `Report Time:` line), or None."""
        if self.platform == MICROSOFT:  # not the preamble's guess: a title may hold dates
            return [stated_range(t) for t in self.tables]
        if self.platform != META:
            return [t.sniffed.date_range if t.sniffed else None for t in self.tables]
        ends = self.columns.get("date_end")
        start = self.columns["date"] if ends else find(self.layout, META_STARTS)
        end = ends or find(self.layout, META_ENDS)
        if start is None or end is None:
            return [None] * len(self.tables)
        return [summary_range(t, self._names(t), start, end) for t in self.tables]

    def _ranges_of(self, column: str) -> dict[str, tuple[Any, Any, Any]]:
        """Each file's stated range: file -> (the earliest date a row of `column` may have:
        a week's start may come before the range, a month's is its first day; first, last)."""
        grain = self._row_grain_of(column)
        spans = zip(self.tables, self._stated(), strict=True)
        return {t.name: (floor(r[0], grain), *r) for t, r in spans if r is not None}

    def _row_grain_of(self, column: str) -> str:
        """The period one row of a date column covers: the `columns:` role naming it (`week:
        週`), the segment its header names (`Week`, `Month`, ...), or Microsoft's `Report
        Aggregation` (`Weekly`: a `TimePeriod` is the Sunday starting a week), or `month` for
        dates that name months; else weeks when its dates say so (`_ads_weeks`), else `day`."""
        if column == self.columns.get("date") and self.__dict__.get("_date_grain"):
            return str(self.__dict__["_date_grain"])
        grain = PERIOD_HEADERS.get(column.strip().lower())
        if grain is None and self.platform == MICROSOFT:
            grain = row_grain(self.tables)
        grain = grain or self._format(column).grain
        if grain == "day" and column == self.columns.get("date") and not self._day_header(column):
            known: dict[str, str] = self.__dict__.setdefault("_inferred", {})
            if column not in known:  # once per column, from the sample
                fmt = self._format(column)
                known[column] = week_rows(self.tables, column, fmt, self._stated())
            grain = known[column]
        return grain

    def _day_header(self, column: str) -> bool:
        """Whether a date column's header is one the profile knows (`Day`, `Date`, `Tag`, ...,
        `Reporting starts`): its rows are what the header says, never guessed."""
        names = PROFILES[self.platform].roles["date"]
        return column.strip().lower() in {n.lower() for n in names}

    def _total_types(self) -> set[str]:
        """Campaign types the totals rows may name (`Total: Search`, `Total: Search
        campaigns`): none without a campaign type column to tell their rows."""
        if "campaign_type" not in self.columns:
            return set()
        labels = {total.label for table in self.tables for total in table.totals}
        return {s for s in (scope(label, self.platform) for label in labels) if s} - {
            "shown",
            "account",
        }

    def _results_kind(self) -> str | None:
        """The `Result type` column when the conversions are Meta's `Results` (`Ergebnisse`,
        `Résultats`, ...), found by the profile or named with `columns:` alike; or when
        `columns:` names the kind column itself (the conversions are then its results)."""
        column = self.columns.get("conversions", "").strip().lower()
        kind = self.columns.get("result_type")
        if not kind or "conversions" not in self.columns:
            return None
        results = column in {r.lower() for r in RESULTS} or "result_type" in self.overrides
        return kind if results else None
