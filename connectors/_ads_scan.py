"""The `ads` connector's checks in its scan (not a plugin module): the SQL of Meta's summary rows,
the aggregates the cross-checks read (sums beside totals rows, currency codes, result kinds,
rows outside their report's range or across periods, each file's first and last day when there
are several, the rows of a Microsoft report), and the cross-checks on them once the scan has
run (`_ads_checks`, `_ads_totals`, `_ads_microsoft`).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from kpiengine.cellreader import Reader
from kpiengine.connector import Mapping
from kpiengine.errors import KpiError
from kpiengine.fileformats import CellError
from kpiengine.fileformats.missing import is_missing, missing_sql
from kpiengine.fileformats.sql import Expr
from kpiengine.fileformats.tables import FileTable
from kpiengine.filescan import Scan
from kpiengine.periods import RANGE
from kpiengine.sqlgen import quote_ident, quote_text
from kpiengine.table import Frame

from ._ads_checks import ONE_KIND, check_codes, kinds_why
from ._ads_microsoft import check_rows
from ._ads_profiles import (
    COUNTS,
    GOOGLE,
    META,
    METRICS,
    MICROSOFT,
    MONEY,
    RESULTS,
    header_currency,
)
from ._ads_segments import Pairs, Segment, segment_cells, segment_filters, segment_sql
from ._ads_spans import RowSpans, crossing_sql, overlaps
from ._ads_totals import UNSEGMENTED, Gap, Total, check_totals, conversion_segment, scope
from ._ads_weeks import raise_weekday, sample_weekday


class AdsScan(RowSpans):
    """The scan-side half of `ads.AdsConnector`: its checks."""

    role_of: dict[str, str]

    def _summary_sql(self) -> str:
        """SQL true on Meta's summary rows (every name empty; or no day in a Day column)."""
        if self.platform != META:
            return "FALSE"  # Google's `Total:` rows are the reading layer's totals rows
        blank = [
            f"coalesce(trim(CAST({quote_ident(c)} AS VARCHAR)), '') = ''"
            for c in self._names(self.layout)
        ]
        parts = ["(" + " AND ".join(blank) + ")"] if blank else []
        date = self.columns.get("date", "")
        if date and "date_end" not in self.columns:  # a Day column: the summary has no day
            parts.append(f"{quote_ident(date)} IS NULL")
        return "(" + " OR ".join(parts) + ")" if parts else "FALSE"

    def _checked(
        self, metrics: dict[str, str], mapped: dict[str, Mapping], quantities: dict[str, str]
    ) -> tuple[dict[str, str], dict[str, str | None]]:
        """What the checks read of the metrics (variable -> column) and the mappings asked for:
        the columns totals rows total (variable -> column, once each: a mapped column summed
        over every row too, not one with `where:` or `scale:`), and the amount columns (the
        profile's cost and conversion value, mapped or not, and a mapped column of an amount
        variable or whose header names a currency): the report's currency is theirs, and the
        workspace's the one their cells may write (`€45`; none in API micros)."""
        money = {self.columns[r] for r in MONEY if r in self.columns}
        summed, amounts = dict(metrics), money & set(metrics.values())
        for variable, m in mapped.items():
            if m.column is None or m.count or m.distinct is not None:
                continue
            if (
                m.column in money
                or header_currency(m.column)
                or quantities.get(variable) == "amount"
            ):
                amounts.add(m.column)
            if not m.where and m.scale == 1.0 and m.column not in summed.values():
                summed[variable] = m.column
        workspace = self.config.currency or ""
        return summed, {c: None if "micros" in c.lower() else workspace for c in amounts}

    def _add_checks(
        self,
        scan: Scan,
        metrics: dict[str, str],
        money: dict[str, str | None],
        values: dict[str, str],
        days: dict[str, str],
        rows: tuple[str, str | None],
        grain: str,
        calendar: Any,
        bounds: tuple[Any, Any],
        totals: list[tuple[FileTable, int, str, list[str]]],
        files: dict[str, str],
    ) -> None:
        """The scan's aggregates the cross-checks read: sums and rows (by campaign type when a
        total names one; by file when several have totals), the codes (`money`: the amount
        columns read), the result kinds, rows
        across periods or outside their report's date range, the days rows cover (`rows`: SQL
        of a row's first and last day; None for rows of one day), each file's (`files`: table
        name -> key, for several files) in `first<key>` and `last<key>`."""
        index = {name: i for i, name in enumerate(files)}
        fileno = scan.row(lambda t: str(index.get(t.name, -1))) if files else ""
        first, last = rows
        if self.platform == MICROSOFT:  # the rows of each file, against its `Rows:` line
            keys = [(files[n], f"{fileno} = {index[n]}") for n in files] or [("", "TRUE")]
            for key, where in keys:
                scan.check(f"listed{key}", "count", where)
        for name, key in files.items():
            mine = f"CASE WHEN {fileno} = {index[name]} THEN"
            scan.check(f"first{key}", "min", f"{mine} {first} END")
            scan.check(f"last{key}", "max", f"{mine} {last or first} END")
        if metrics and totals:
            kind = self.columns.get("campaign_type")
            is_type = {}
            if kind:
                typed_as = scan.text(kind)
                is_type = {t: f"lower({typed_as}) = {quote_text(t)}" for t in self._total_types()}
            held = {t.name for t, *_ in totals}
            groups = [(files[n], f"{fileno} = {index[n]}") for n in files if n in held] or [
                ("", "TRUE")
            ]
            _, rows_of = self._segments(totals, metrics)
            tests = {t: is_type.get(t, "FALSE") for t in self._total_types()}
            segmented = {
                k: segment_sql(r, scan.text, partial(self._day_test, days), tests.__getitem__)
                for k, r in rows_of.items()
            }  # the rows of each segment a totals row names (`_ads_segments`)
            for key, in_file in groups:
                for t, test in [
                    ("", "TRUE"),
                    *((f"_{t}", s) for t, s in is_type.items()),
                    *segmented.items(),
                ]:
                    where = f"{in_file} AND {test}"
                    scan.check(f"rows{t}{key}", "count", where)
                    for i, variable in enumerate(metrics):
                        sql = f"CASE WHEN {where} THEN {values[variable]} END"
                        scan.check(f"sum_m{i}{t}{key}", "sum", sql)
        counts = {self.columns[r] for r in COUNTS if r in self.columns}
        for i, (variable, column) in enumerate(metrics.items()):  # clicks: whole, 0 or more
            if column in counts:
                scan.check(f"count_m{i}", "min", _not_whole(values[variable]))
        code = self.columns.get("currency")
        if code and money:
            text = scan.text(code)
            present = f"NOT {missing_sql(Expr(text))}"
            scan.check("code_min", "min", f"CASE WHEN {present} THEN upper({text}) END")
            scan.check("code_max", "max", f"CASE WHEN {present} THEN upper({text}) END")
        kind = self._results_kind()
        if kind and self.columns.get("conversions") in metrics.values():
            text = scan.text(kind)
            scan.check("kind_min", "min", f"nullif({text}, '')")
            scan.check("kind_max", "max", f"nullif({text}, '')")
        for variable in self._untold_results(metrics):  # rows with results, of no told kind
            scan.check("results_rows", "count", f"{values[variable]} IS NOT NULL")
        date = self.columns.get("date")
        if date in days and self.platform != META:  # Meta's summary row has no day: not counted
            scan.check("undated", "count", f"{days[date]} IS NULL")
        if date in days and self._ranges_of(date):  # Google: days in the report's range
            ranges = self._ranges_of(date)
            lo = scan.row(lambda t: f"DATE '{ranges[t.name][0]}'" if t.name in ranges else "NULL")
            hi = scan.row(lambda t: f"DATE '{ranges[t.name][2]}'" if t.name in ranges else "NULL")
            scan.check("outside", "count", f"{days[date]} < {lo} OR {days[date]} > {hi}")
        if date in days and self._inferred_weeks(date):  # rows past the sample: weeks too?
            scan.check("weekday_min", "min", f"isodow({days[date]})")
            scan.check("weekday_max", "max", f"isodow({days[date]})")
        if last is not None and grain != RANGE:
            scan.check("spans", "count", crossing_sql(first, last, grain, calendar, bounds))
            asked = overlaps(first, last, bounds)
            scan.check("last_end", "max", f"CASE WHEN {asked} THEN {last} END")
            scan.check("row_first", "min", first)
            scan.check("row_last", "max", last)
            if grain == "day" and "date_end" in self.columns:  # Meta rows of whole months
                scan.check("widest", "max", f"CASE WHEN {asked} THEN {last} - {first} END")

    def _segments(
        self, totals: list[Total], metrics: dict[str, str]
    ) -> tuple[dict[tuple[str, int], Segment], dict[str, tuple[Pairs, str | None]]]:
        """The segment of each Google totals row that fills a segment cell (`Total: Account`
        once per device), and the rows each check key takes (`_ads_segments`)."""
        if self.platform != GOOGLE:
            return {}, {}
        read = {self.columns[r] for r in (*METRICS, "currency", "campaign_type")
                if r in self.columns} | set(metrics.values())  # fmt: skip
        dates = {self.columns["date"]} if "date" in self.columns else set()
        types = self._total_types()

        def pairs(table: FileTable, cells: list[str]) -> Pairs:
            return segment_cells(table, cells, read | {table.columns[0]}, dates)

        def typed(label: str) -> str | None:
            kind = scope(label, self.platform)
            return kind if kind in types else None

        return segment_filters(totals, pairs, typed)

    def _day_test(self, days: dict[str, str], column: str, text: str) -> str | None:
        """SQL true on the rows of a date column's segment cell's day; None if it reads none."""
        if column not in days:
            return None
        try:
            day = self._format(column).read(text)
        except CellError:
            return None
        return f"{days[column]} = DATE '{day}'" if day is not None else None

    def _segment(self) -> tuple[str, set[str]] | None:
        """The conversion segment column (`Conversion action`) and the columns of the metrics
        its rows leave out (`_ads_totals.UNSEGMENTED`), else None."""
        found = conversion_segment(self.layout.columns)
        if found is None:
            return None
        return found, {self.columns[r] for r in UNSEGMENTED if r in self.columns}

    def _inferred_weeks(self, column: str) -> bool:
        """Whether a column is read as weeks from its sample alone (`_ads_weeks`) in files
        larger than it: the scan checks the other rows' weekdays."""
        inferred = self.__dict__.get("_inferred", {}).get(column) == "week"
        return inferred and not all(t.complete for t in self.tables)

    def _cross_check(
        self,
        tables: list[FileTable],
        checks: dict[str, Any],
        metrics: dict[str, str],
        money: dict[str, str | None],
        decimals: dict[str, str],
        mapped: dict[str, Mapping],
        totals: list[tuple[FileTable, int, str, list[str]]],
        files: dict[str, str],
        gaps: list[Gap],
    ) -> dict[str, str]:
        """The cross-checks once the scan has run; the account totals the rows do not make
        are added to `gaps` (`_ads_totals.raise_gaps`: the source's files together). Returns
        the variables that cannot be counted, and why: Meta's `Results` of several kinds."""
        for i, (variable, column) in enumerate(metrics.items()):
            low = checks.get(f"count_m{i}")
            if low is not None and low < 0:  # a count written fractional or negative
                raise_count(tables, column, variable, decimals)
        code = self.columns.get("currency")
        declared = [(m.currency.upper(), m.location) for m in mapped.values() if m.currency]
        for column in sorted(money, key=self.layout.columns.index):
            named = header_currency(column)  # `Amount spent (EUR)`, `Montant dépensé (EUR)`
            if named:
                declared.append((named, self.layout.header(column)))
        if money or declared:
            check_codes(tables, code, checks if code else {}, declared, self.config.currency)
        if self.platform == MICROSOFT:
            check_rows(tables, checks, files)
        low, high = checks.get("weekday_min"), checks.get("weekday_max")
        if low is not None and low != high:  # a column read as weeks from its sample
            date = self.columns["date"]
            fmt = self._format(date)
            raise_weekday(tables, date, fmt, sample_weekday(self.tables, date, fmt))
        kind = self._results_kind()
        why = kinds_why(tables, kind, self.columns["conversions"], checks) if kind else None
        if why is None and checks.get("results_rows"):
            why = self._summary_results(totals)
        results = self.columns.get("conversions")  # the variables reading them: undefined
        unusable = {v: why for v, c in metrics.items() if why and c == results}
        if metrics and totals:
            names = {
                c: (f"m{i}", self.layout.columns.index(c)) for i, c in enumerate(metrics.values())
            }
            types = self._total_types()
            spans = {t.name: r for t, r in zip(self.tables, self._stated(), strict=True)}
            segments, _ = self._segments(totals, metrics)
            gaps += check_totals(totals, names, checks, decimals, types, self.platform, files,
                                 spans, segments)  # fmt: skip
        return unusable

    def _untold_results(self, metrics: dict[str, str]) -> list[str]:
        """The variables (of `metrics`: variable -> column) read from Meta's `Results` in an
        export without a column telling their kind (`Result indicator`)."""
        column = self.columns.get("conversions", "")
        if self.platform != META or self._results_kind() or "result_type" in self.columns:
            return []
        if column.strip().lower() not in {r.lower() for r in RESULTS}:
            return []
        return [v for v, c in metrics.items() if c == column]

    def _summary_results(self, totals: list[tuple[FileTable, int, str, list[str]]]) -> str | None:
        """Why `Results` cannot be added up when a summary row leaves them empty above rows
        that have them: Ads Manager sums only results of one kind, and the export has no
        `Result indicator` column to tell them."""
        column = self.columns["conversions"]
        for table, line, _, cells in totals:
            index = table.columns.index(column)
            if index >= len(cells) or is_missing(cells[index]):
                return (
                    f"the summary row leaves `{column}` empty (at {table.location(line, column)}) "
                    "above rows that have them: Meta does so when the campaigns' results are of "
                    "different kinds, which cannot be added up as conversions; add the `Result "
                    f"indicator` column to the export to tell them, or {ONE_KIND}"
                )
        return None

    def _totals(self, tables: list[FileTable]) -> list[tuple[FileTable, int, str, list[str]]]:
        """The totals rows: Google's `Total:` rows and Microsoft's `Total` row (the reading
        layer's), Meta's summary rows (the first rows, in the sample)."""
        out = []
        for table in tables:
            if self.platform != META:
                out += [(table, t.line, t.label, t.cells) for t in table.totals]
                continue
            names = [table.columns.index(c) for c in self._names(table)]
            sniffed = table.sniffed
            for record in (sniffed.sample if sniffed else [])[:5]:
                if names and all(not record.fields[i].strip() for i in names):
                    out.append((table, record.line, "", record.fields))
        return out


def uncounted(frame: Frame, why: dict[str, str]) -> Frame:
    """The frame with the variables of `why` without a value, and why (`Frame.missing`: its
    KPIs undefined, the others stand)."""
    for variable, reason in why.items():
        if variable in frame.values:
            frame.values[variable] = np.full(len(frame), np.nan)
            frame.missing[variable] = reason
    return frame


def _not_whole(value: str) -> str:
    """SQL below 0 where a count's value (SQL) is negative or not whole, else 0 or more: its
    minimum over the rows says whether any is (missing cells are NULL: left out)."""
    return f"least({value}, -abs({value} - round({value})))"


def raise_count(
    tables: list[FileTable], column: str, variable: str, decimals: dict[str, str]
) -> None:
    """The first cell of a count column (impressions, clicks) that is negative or not whole:
    an error at it (`(1,200)` is -1,200 impressions, `20.5` half a click)."""
    for table in tables:
        value = Reader("number", decimals[table.name], quantity="count").sql(column, "VARCHAR")
        found = table.first_cell(column, f"{_not_whole(value)} < 0", lambda _: False)
        if found is not None:
            where, text = found
            raise KpiError(
                f"`{text}` in column `{column}` is no count of {variable}: {variable} are whole "
                "numbers, 0 or more",
                where,
                "download the report again as the platform writes it, or correct the cell "
                "(a number edited by hand, a formula's result, another column pasted there?)",
            )
    raise KpiError(f"column `{column}` holds {variable} that are not whole, or below 0")
