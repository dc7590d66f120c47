"""The `ads` connector: Google Ads, Meta Ads Manager and Microsoft Advertising report exports,
aggregated by DuckDB.

Reads the files as the platforms write them (profiles in `_ads_profiles`): Google Ads UI downloads
(a title line and a date range before the header, `Total: ...` rows at the end, `1,234` and `--`
cells, `Thu, 5 Feb 2026` dates, UTF-16 with tabs for the "CSV (Excel)" download), API / BigQuery
exports (`metrics.cost_micros`), and Meta Ads Manager exports (`Amount spent (EUR)`, a summary row
without a name), and Microsoft Advertising (Bing Ads) reports from its UI and its Reporting API
(`"Report Time: 1/1/2024,1/31/2024"` lines, a `Total` row and a copyright footer:
`_ads_microsoft`), with their headers in the languages Google Ads writes them (a file whose day, or
cost and clicks, are unknown headers is an error with a `columns:` block to paste: `_ads_headers`).
Total and summary rows are never summed: they cross-check the rows of their own file, `Total:
Account` those of the files of its range with that total (`_ads_totals`). A report without a day
column (a Meta export without a time breakdown: each row from `Reporting starts` to `Reporting
ends` of the report) covers the range its preamble gives: that period of the grain asked for when
the range is one, whole (June 1 to 30 by month) or from its first day on (1 to 15 January: the
month so far, as `ga_export` reads a GA download: `rowdates`), else one period of that range (8 to
31 July: `2025-07-08/2025-07-31`); a report with one keeps its days in the range it states
(Google's preamble, Meta's summary row), which is how far its data goes (the day/month order is the
one that keeps them in it). A Microsoft report flagged `Potential Incomplete Data: true` is a
warning, and its period not complete (`settle`). A row of a `Week` or `Month` segment holds its
period's days in the range, and Meta rows from `Reporting starts` to `Reporting ends` the days to
their end: a period counts a row only when it holds all of its days (`_ads_spans`: otherwise no
period gets a value from the source, and why is said; no daily values by day). Files of a source
over overlapping dates with a campaign in common are the same report twice: an error
(`_ads_files`). The decimal mark comes from every number column of a file (counts are whole), else
the `decimal:` option. Files of several platforms (Google's and Meta's in one folder): each
platform's are read as a source of their own, and their answers added up (`_ads_platforms`).
Rates (CTR, Avg. CPC, ...) are ignored: the engine recomputes them from the counts.

One DuckDB scan per request reads and checks every cell (`kpiengine.filescan`), the currencies
written in the amounts included; only a problem reads a file again, to name the line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from kpiengine import monthgaps
from kpiengine.cellreader import number_readers
from kpiengine.connector import Connector, Mapping, Option, Request, SourceConfig
from kpiengine.fileformats.tables import FileTable
from kpiengine.filescan import Reader, Scan
from kpiengine.filesource import (
    date_format_option,
    decimal_of,
    decimal_option,
    open_files,
    require,
    require_rows,
    same_layout_of,
    typed,
)
from kpiengine.hookspecs import hookimpl
from kpiengine.periods import RANGE
from kpiengine.sqlgen import quote_text, where_value
from kpiengine.table import Frame, union
from kpiengine.undatedfiles import at_grain

from . import _ads_platforms as platforms
from ._ads_checks import raise_outside, raise_undated
from ._ads_files import check_overlaps
from ._ads_headers import check_recognised, unrecognised, with_codes
from ._ads_microsoft import settle, settled_sql
from ._ads_profiles import (
    CAMPAIGN_TYPES,
    COUNTS,
    METRICS,
    MICROSOFT,
    MONEY,
    PLATFORMS,
    detect_platform,
    held_as,
)
from ._ads_records import with_records
from ._ads_scan import AdsScan, uncounted
from ._ads_spans import mixed, unanswered
from ._ads_totals import UNSEGMENTED, Gap, raise_gaps, segmented_why

__all__ = ["AdsConnector", "detect_platform", "register_connectors"]


class Breakdown(Exception):
    """A Meta export read as one without a time breakdown has rows of other ranges."""


class AdsConnector(AdsScan):
    name = "ads"
    renames_values = True
    description = (
        "Google Ads, Meta Ads Manager and Microsoft Advertising report exports (UI downloads, "
        "API/BigQuery CSVs)"
    )
    options = (
        Option("path", "file or glob, relative to the workspace", required=True, kind="path"),
        Option(
            "platform",
            "`google_ads`, `meta_ads` or `microsoft_ads` (default: detected from the headers)",
            kind="text",
        ),
        Option(
            "channel",
            "value of the `channel` dimension (default: `Paid Search` for Google Ads and "
            "Microsoft Advertising, `Paid Social` for Meta)",
            kind="name",
        ),
        Option(
            "columns",
            "role -> column overrides; roles: date, date_end, campaign, campaign_type, currency, "
            "impressions, clicks, cost, conversions, conversion_value, result_type; `week`, "
            "`month`, `quarter` or `day` name the date column with the period of its rows",
            default={},
            kind="mapping",
        ),
        date_format_option(),
        decimal_option("detected per file from its number columns"),
        Option(
            "conversion_value_as",
            "the variable the conversion value is given as",
            default="ad_revenue",
            kind="name",
        ),
    )

    def __init__(self, config: SourceConfig, tables: list[FileTable] | None = None) -> None:
        super().__init__(config)
        self.overrides = self._check_option_values()
        self.tables = tables or open_files(config, same_layout=False)  # the columns: below
        told = tables or self.option("platform")  # `tables`: one platform's of a source
        groups = {} if told else platforms.by_platform(self.tables, config.name)
        self.parts = platforms.combine(AdsConnector, config, groups) if groups else []
        if self.parts:  # files of several platforms, each read as a source of its own
            return
        self.layout = self.tables[0]
        meta = self.layout.sniffed.preamble.meta if self.layout.sniffed else {}
        platform = self.option("platform") or detect_platform(self.layout.columns, meta)
        if platform is None:  # a TikTok, LinkedIn, ... export: no platform claimed
            raise unrecognised(self.layout, config.name)
        self.platform: str = str(platform)
        self.columns = with_codes(self.layout, self._roles())  # a code column, any header
        self.value_variable = str(self.option("conversion_value_as"))
        variable_of = {"cost": "ad_spend", "conversion_value": self.value_variable}
        self.role_of = {  # variable -> role, for the metrics the files have
            variable_of.get(role, role): role for role in METRICS if role in self.columns
        }
        for variable in config.mappings:
            self.role_of.pop(variable, None)
        if not self.role_of and not config.mappings:
            self._no_metrics()
        if not self.overrides:  # headers in a language the profiles do not list
            check_recognised(self.layout, self.platform, self.columns, set(config.mappings),
                             config.name)  # fmt: skip
        self.platform_name, channel = PLATFORMS[self.platform]
        self.channel = str(self.option("channel") or channel)
        for column in config.dimensions.values():
            require(self.layout, column, "dimension column")
        for mapping in config.mappings.values():
            for name in [mapping.column, mapping.distinct, *mapping.where]:
                if name:
                    require(self.layout, name)
        self.tables = same_layout_of(self.tables, self._read_columns())
        self.tables = with_records(self.tables, self.platform, self.columns, self._names)
        require_rows(self.tables)  # an empty export: no days, no zeros, an error at its header
        if "date" not in self.columns:
            self._ranges()  # a report without days needs its date range

    # --- the contract -----------------------------------------------------------------------

    def provides(self) -> set[str]:
        if self.parts:  # any platform's (`_ads_platforms`)
            return platforms.provided(self.parts)
        return set(self.role_of) | set(self.config.mappings)

    def dimensions(self) -> set[str]:
        if self.parts:  # every platform's
            return platforms.dimensions(self.parts)
        dims = {"channel", "platform"} | set(self.config.dimensions)
        return dims | {d for d in ("campaign", "campaign_type") if d in self.columns}

    # --- SQL pieces -------------------------------------------------------------------------

    def _dimension_sql(self, scan: Scan, dim: str) -> str:
        if dim in self.config.dimensions:
            return scan.text(require(self.layout, self.config.dimensions[dim]))
        if dim == "channel":
            return quote_text(self.channel)
        if dim == "platform":
            return quote_text(self.platform_name)
        text = scan.text(self.columns[dim])
        if dim == "campaign_type":
            cases = ", ".join(
                f"{quote_text(k)}: {quote_text(v)}" for k, v in CAMPAIGN_TYPES.items()
            )
            return f"coalesce(MAP {{{cases}}}[upper({text})], {text})"
        return text

    # --- fetch ------------------------------------------------------------------------------

    def fetch(self, request: Request) -> Frame:
        if self.parts:  # the platforms' answers added up
            return platforms.fetch_parts(self.parts, request, self.config.name)
        wanted = [v for v in request.variables if v in self.provides()]
        dims = [d for d in request.dimensions if d in self.dimensions()]
        if not wanted:
            empty = np.array([], dtype="datetime64[D]")
            return Frame(empty, {d: np.array([], dtype=object) for d in dims}, {})
        frame = None
        spans = self._undated()  # reports without days: each one range
        if spans is not None:
            frame = self._fetch_ranges(request, wanted, dims, spans)
        if frame is None:  # rows dated by their days
            frame = self._fetch(self.tables, request, wanted, dims, None)
        if self.platform == MICROSOFT:  # `Potential Incomplete Data: true`
            by_day = spans is None and self._daily_microsoft(None, None)
            frame = settle(frame, self.tables, request.grain, request.calendar, by_day)
        return frame

    def _daily_microsoft(self, span: Any, last: str | None) -> bool:
        """Whether the source is Microsoft reports of rows of days (not over `span`, a report
        without days, nor to a row's `last` day)."""
        dated = span is None and last is None and "date" in self.columns
        return self.platform == MICROSOFT and dated and self._row_grain() == "day"

    def _fetch_ranges(
        self, request: Request, wanted: list[str], dims: list[str], spans: list[Any]
    ) -> Frame | None:
        """Reports without days: each dated by the period of the grain holding it (a month's
        campaign report by month, 1 to 15 January the month so far, monthly reports by quarter:
        `undatedfiles.at_grain`), as a dated source's days are; else each one period: its
        range. None when a Meta export turns out to have rows of other ranges than its sample's
        (`_ads_files.one_range`)."""
        check_overlaps(self.tables, spans, self.columns.get("campaign"))
        whole = at_grain(spans, request.grain, request.calendar)
        mixed(self.tables, spans, request.grain, request.calendar)  # as `ga_export` refuses
        gaps: list[Gap] = []  # account totals a file's rows do not make: the files together
        frames: list[Frame] = []
        try:
            for table, span in zip(self.tables, spans, strict=True):
                frames.append(self._fetch([table], request, wanted, dims, span, whole, gaps))
        except Breakdown:
            return None
        raise_gaps(gaps, len(self.tables) > 1, self._segment())
        out = uncounted(Frame.concat(frames), {k: v for f in frames for k, v in f.missing.items()})
        ranges = zip([t.name for t in self.tables], spans, [True] * len(spans), strict=True)
        out.holes = monthgaps.holes(list(ranges))  # reports without days: ranges stated
        out.grain = request.grain if whole else RANGE
        return out

    def _fetch(
        self,
        tables: list[FileTable],
        request: Request,
        wanted: list[str],
        dims: list[str],
        span: tuple[Any, Any] | None,
        whole: bool = False,
        gaps: list[Gap] | None = None,
    ) -> Frame:
        """The frame of `tables` (one report without days over `span`, or dated reports):
        `whole` when the span is exactly one period of the grain asked for. The account totals
        their rows do not make are added to `gaps` (None: `tables` are all the source's)."""
        metrics = {v: self.columns[self.role_of[v]] for v in wanted if v in self.role_of}
        mapped = {v: self.config.mappings[v] for v in wanted if v in self.config.mappings}
        # the columns totals rows check (mapped ones too), the amounts in the report's currency
        summed, money = self._checked(metrics, mapped, request.quantities)
        numbers = set(metrics.values()) | {m.column for m in mapped.values() if m.column}
        # the decimal mark from every number column the profile knows (counts are whole:
        # `1.204` impressions say `,`), not only those asked for; none when nothing tells
        known = {self.columns[r] for r in METRICS if r in self.columns} | numbers
        counts = [self.columns[r] for r in COUNTS if r in self.columns]
        amounts = {self.columns[r]: "amount" for r in MONEY if r in self.columns}
        option = self.option("decimal")
        decimals = {
            t.name: decimal_of(
                t, known, option, None, whole=counts, currency=self._amounts(t), quantities=amounts
            )  # a `45%` cost: the scan names it
            for t in tables
        }
        formats = {
            self.columns[r]: self._format(self.columns[r])
            for r in ("date", "date_end")
            if r in self.columns
        }
        tables = [
            typed(t, numbers, decimals[t.name], {c: f.spec for c, f in formats.items()})
            for t in tables
        ]
        grain, calendar = request.grain, request.calendar
        if span is not None and not whole:
            grain, calendar = RANGE, calendar.for_range(*span)
        scan = Scan(
            tables, grain, calendar, request.start, request.end,
            ", ".join(t.name for t in tables), keep=f"NOT {self._summary_sql()}",
        )  # fmt: skip
        values: dict[str, str] = {}
        for variable, column in metrics.items():
            number = number_readers(decimals, held_as(self.role_of[variable] in MONEY, column))
            values[variable] = self._value(scan.read(column, number, money.get(column)), column)
        for variable, mapping in mapped.items():
            time = request.variables[variable].time
            held = request.quantities.get(variable, "")
            number = number_readers(decimals, held_as(held == "amount", mapping.column or "", held))
            written = mapping.currency or money.get(mapping.column or "")
            values[variable] = self._mapping_sql(scan, mapping, number, written, time)
        days = {c: scan.read(c, Reader("date", fmt=f)) for c, f in formats.items()}
        # rows dated by their first day (in the report's range); `last`: None for days
        day, last = self._row_days(scan, days) if span is None else (f"DATE '{span[0]}'", None)
        # rows of days Microsoft may still change are not counted (`settle`)
        where = settled_sql(scan, tables, day) if self._daily_microsoft(span, last) else "TRUE"
        scan.role(day, {v: (values[v], request.variables[v]) for v in wanted}, where)
        for dim in dims:
            renames = self.config.dimension_values.get(dim)
            scan.dimension(dim, self._dimension_sql(scan, dim), renames)
        totals = self._totals(tables)
        files = {t.name: f"@{i}" for i, t in enumerate(tables)} if len(tables) > 1 else {}
        bounds = (request.start, request.end)
        rows = (day, last)
        self._add_checks(scan, summed, money, values, days, rows, grain, calendar, bounds, totals,
                         files)  # fmt: skip
        ends = [days[self.columns[r]] for r in ("date", "date_end") if r in self.columns]
        sampled = all(t.sniffed and t.sniffed.whole for t in tables)
        if span is not None and len(ends) == 2 and not sampled:  # Meta: past `one_range`'s rows
            pairs = zip(ends, span, strict=True)
            other = " OR ".join(f"{e} IS DISTINCT FROM DATE '{d}'" for e, d in pairs)
            scan.check("ranges", "count", other)  # each row the report's range?
        scanned = scan.run()
        checks = scanned.checks
        if checks.get("ranges"):
            raise Breakdown  # a time breakdown after all: rows dated by their days
        if files:  # each file's stated range, else its rows' days: none counted twice
            spans = [s or (checks.get(f"first{files[t.name]}"), checks.get(f"last{files[t.name]}"))
                     for t, s in zip(self.tables, self._stated(), strict=True)]  # fmt: skip
            check_overlaps(self.tables, spans, self.columns.get("campaign"))
            says = [s is not None for s in self._stated()]  # a range stated, else rows' days
            holes = monthgaps.holes(
                list(zip([t.name for t in self.tables], spans, says, strict=True))
            )
        found: list[Gap] = []
        off = self._cross_check(tables, checks, summed, money, decimals, mapped, totals, files,
                                found)  # fmt: skip
        if gaps is None:
            raise_gaps(found, len(self.tables) > 1, self._segment())
        else:
            gaps += found
        if checks.get("undated"):
            raise_undated(tables, self.columns["date"], formats[self.columns["date"]])
        if checks.get("outside"):
            date = self.columns["date"]
            raise_outside(tables, date, formats[date], self._ranges_of(date))
        if checks.get("spans"):  # rows no period can count: none is counted (see _ads_spans)
            why = self._crossing(tables, grain, calendar, bounds, self._summary_sql())
            stated = [r for r in self._stated() if r is not None]
            covered = union([*stated, (checks["row_first"], checks["row_last"])])
            assert covered is not None  # rows across periods have days
            return unanswered(wanted, covered, why)
        frame = uncounted(scanned.frame, off)  # `Results` of several kinds: undefined
        frame.holes = holes if files else []  # days no file covers: unknown, not 0
        segment = self._segment()
        for variable in [v for v in wanted if segment and self.role_of.get(v) in UNSEGMENTED]:
            got = frame.values.get(variable)  # `--` in every row of a metric: the segment's doing
            if segment and got is not None and not np.isfinite(got).any():
                frame.missing[variable] = segmented_why(segment[0])
        if span is not None:
            frame.span = span
        elif frame.span is not None:  # Google and Meta leave out days without activity: the
            # report's stated range says how far the data goes (rows to the 20th of a month)
            read = {t.name for t in tables}
            stated = [r for t, r in zip(self.tables, self._stated(), strict=True)
                      if r is not None and t.name in read]  # fmt: skip
            frame.span = union([frame.span, *stated])
        if any(f.grain == "month" for f in formats.values()):
            frame.date_grain = "month"
        if frame.span and checks.get("last_end"):
            # rows of a week, a month, or from `Reporting starts` to `Reporting ends` cover
            # the days to the last one's end; by day, rows of whole months are months
            end = max(frame.span[1], checks["last_end"])
            months = self._row_grain() in ("month", "quarter", "year") or checks.get("widest")
            monthly = grain == "day" and months  # Meta's rows of months (`widest`: of days)
            frame.span, frame.date_grain = (frame.span[0], end), "month" if monthly else "day"
        return frame

    def _value(self, value: str, column: str) -> str:
        # API money in millionths of the currency: never read as currency
        return f"({value} * 1e-06)" if "micros" in column.lower() else value

    def _mapping_sql(
        self,
        scan: Scan,
        mapping: Mapping,
        number: Callable[[FileTable], Reader],
        written: str | None,
        time: str,
    ) -> str:
        """A mapping's SQL; `written`: the currency its cells may write (`€45`)."""
        where = scan.rows(
            {require(self.layout, c): vs for c, vs in mapping.where.items()},
            mapping.present and require(self.layout, mapping.present),
            mapping.location,
        )
        if mapping.count:
            return f"(CASE WHEN {where} THEN 1.0 ELSE 0.0 END)"
        if mapping.distinct is not None:
            text = scan.text(require(self.layout, mapping.distinct))
            return f"(CASE WHEN {where} AND {text} <> '' THEN {text} END)"
        assert mapping.column is not None  # sourceconfig: `column:`, `count:` or `distinct:`
        column = require(self.layout, mapping.column)
        value = self._value(scan.read(column, number, written), column)
        if mapping.scale != 1.0:
            value = f"({value} * {mapping.scale!r})"
        return where_value(where, value, time) if mapping.where else value


@hookimpl(trylast=True)
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(AdsConnector)
