"""The `ga_export` connector: Google Analytics CSV exports (Universal Analytics and GA4).

Reads the files as GA writes them ("Export > CSV" in Universal Analytics, "Download file > CSV"
in GA4 reports and Explorations, or such a file re-saved by Excel as UTF-16 text): the `#`
metadata block (report, property, start and end dates), one or more tables separated by blank
and `#` lines, a totals row (`Grand total`, `Totals`, empty dimension cells, or a GA4
Exploration's label one field beyond the header) that is checked against the rows and never
counted, numbers in the interface language's format, durations (`00:02:13`) and percentages.
Rates come back as counts: bounces = bounce rate x sessions, engaged sessions = engagement rate x
sessions (GA4: bounce rate = 1 - engagement rate), conversions = key event rate x sessions,
pageviews = pages per session x sessions; averages of time come back as totals: session_duration =
average session duration (GA4: average engagement time per session) x sessions, so that an
average over days or channels weighs each row by its sessions. Users are counts of distinct
people: never added up.

Headers are recognised in English (UA and GA4), French, Chinese (simplified and traditional) and
Persian; the `headers:` option translates any other language, the `#` block's keys too (the
start and end dates are known in a dozen languages). `date_format:` gives the format of a Date
column that detection cannot settle. Rows are dated by Date, Nth day, or another time dimension
(`Year month`, `ISO week of ISO year`, `Month`...: `_ga_periods`) when each row lies in one
period of the grain asked; hour and day of week are segments. `map:` adds variables to those the
headers give (or replaces one), `dimensions:` adds dimensions, `segment:` picks a segment
(`_ga_segments`). Files are read by `_ga_file`, each table by one scan (`_ga_scan`).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from functools import partial

import numpy as np

from kpiengine import monthgaps
from kpiengine.connector import Connector, Option, Request, SourceConfig
from kpiengine.errors import KpiError, suggestion
from kpiengine.filesource import display
from kpiengine.hookspecs import hookimpl
from kpiengine.model import DISTINCT
from kpiengine.table import Frame, union
from kpiengine.undatedfiles import at_grain, shared_note

from ._ga_file import Export, no_overlap, read_export, sampled
from ._ga_headers import ALIASES, ENGLISH, METADATA_KEYS, header_key
from ._ga_scan import combine, own_range, scan_table
from ._ga_segments import keep
from ._ga_suggest import hint
from ._ga_tables import RECIPES, Table

# workspace variables given by default, and how (see RECIPES)
DEFAULT_VARIABLES = (
    "sessions",
    "visitors",
    "new_visitors",
    "bounces",
    "engaged_sessions",
    "pageviews",
    "conversions",
    "goal_completions",
    "session_duration",
)
ONLY_IF_DECLARED = frozenset({"new_visitors"})
DEFAULT_DIMENSIONS = ("channel", "source_medium", "landing_page", "campaign", "device")


class GaExportConnector(Connector):
    name = "ga_export"
    renames_values = True
    description = "Google Analytics CSV exports (Universal Analytics and GA4 reports)"
    options = (
        Option(
            "path",
            "GA export file or glob, relative to the workspace",
            required=True,
            kind="path",
        ),
        Option(
            "headers",
            "header text in the file -> English GA header, for other interface languages "
            "(English, French, Chinese and Persian are built in)",
            default={},
            kind="mapping",
            expected="maps header text in the file to English GA headers",
        ),
        Option(
            "table",
            "which table of a multi-table file to use: its number (1 = first) or its first "
            "header (default: the table with the metrics, or with dates when needed)",
            kind="names",
        ),
        Option(
            "segment",
            "the segment to read when the export holds several (a `Segment` column, or one "
            "table per segment): segments overlap, their rows are never added up",
            kind="text",
            expected="is a segment's name as the export writes it (text)",
        ),
        Option(
            "encoding",
            "`auto` (UTF-8 with or without BOM, UTF-16 as Excel saves it) or a Python codec",
            default="auto",
            kind="text",
        ),
        Option(
            "date_format",
            "strptime format of the Date column, e.g. '%y. %m. %d.' (default: detected)",
            kind="text",
            expected="is a strptime format (text)",
        ),
    )

    def __init__(self, config: SourceConfig) -> None:
        super().__init__(config)
        self.translations = self._translations()
        self.table_choice = self._table_choice()
        encoding = self.option("encoding") or "auto"
        if encoding != "auto":
            try:
                codecs.lookup(str(encoding))
            except LookupError:
                raise config.error(
                    f"unknown encoding `{encoding}`", "encoding", "e.g. utf-8, utf-16, cp1252"
                ) from None
        self.encoding = str(encoding)
        date_format = self.option("date_format")
        if date_format is not None and not isinstance(date_format, str):
            raise config.error(
                "`date_format` is a strptime format",
                "date_format",
                "e.g. `date_format: '%d/%m/%Y'`",
            )
        self.date_format = date_format
        self._exports: list[Export] | None = None
        self._kept: dict[int, list[Table]] = {}  # the tables of each export, by `segment:`
        segment = self.option("segment")
        if segment is not None and not isinstance(segment, str):
            raise config.error(
                "`segment` is a segment's name", "segment", "e.g. `segment: All Users`"
            )
        self.segment = segment
        for mapping in config.mappings.values():
            if mapping.distinct is not None:  # rows are counts already, not one per visitor
                raise KpiError(
                    f"source `{config.name}`: connector `ga_export` does not take `distinct:` "
                    f"in a mapping (`{mapping.variable}: {{distinct: {mapping.distinct}}}`): "
                    "a Google Analytics export's rows are already counted, one row per "
                    "period and segment, not one per visitor or session",
                    mapping.location,
                    "map a column (`visitors: Users`, `signups: {column: Key events, where: "
                    "{Event name: sign_up}}`), or count rows with `count: COLUMN`",
                )

    def _translations(self) -> dict[str, str]:
        headers = self.option("headers") or {}
        if not isinstance(headers, dict):
            raise self.config.error(
                "`headers` maps header text in the file to English GA headers",
                "headers",
                "e.g. `headers: {Sessies: Sessions}`",
            )
        english = sorted(ENGLISH.values())
        out = {}
        for text, target in headers.items():
            target = str(target)
            if header_key(target) not in ALIASES and header_key(target) not in METADATA_KEYS:
                raise self.config.error(
                    f"`headers`: `{target}` (for `{text}`) is not a GA header I know"
                    f"{hint(target, *sampled(self.config.paths, text, self.option('encoding')))}",
                    "headers",
                    f"English headers: {', '.join(english)}",
                )
            out[header_key(str(text))] = target
        return out

    def _table_choice(self) -> list[int | str] | None:
        value = self.option("table")
        if value is None:
            return None
        values = value if isinstance(value, list) else [value]
        for v in values:
            if (
                isinstance(v, bool)
                or not isinstance(v, (int, str))
                or (isinstance(v, int) and v < 1)
            ):
                raise self.config.error(
                    "`table` is a table number (1 = first) or the table's first header",
                    "table",
                    "e.g. `table: 2` or `table: Day Index`",
                )
        return values

    # -- files
    def exports(self) -> list[Export]:
        if self._exports is None:
            read = partial(
                read_export,
                encoding=self.encoding,
                translations=self.translations,
                date_format=self.date_format,
            )
            root = self.config.root
            self._exports = [read(path, display(path, root)) for path in self.config.paths()]
            no_overlap(self._exports)
        return self._exports

    def _tables(self, export: Export) -> list[Table]:
        """The export's tables `table:` chooses, of the segment `segment:` chooses."""
        if id(export) not in self._kept:
            chosen = self._numbered(export)
            self._kept[id(export)] = keep(export, chosen, self.segment, self.config.name)
        return self._kept[id(export)]

    def _numbered(self, export: Export) -> list[Table]:
        if self.table_choice is None:
            return export.tables
        chosen: list[Table] = []
        for choice in self.table_choice:
            if isinstance(choice, int):
                found = [t for t in export.tables if t.number == choice]
            else:
                found = [
                    t for t in export.tables
                    if t.headers and header_key(t.headers[0]) == header_key(choice)
                ]  # fmt: skip
            if not found:
                listing = "; ".join(
                    f"{t.number}: line {t.line} `{', '.join(t.headers[:3])}`" for t in export.tables
                )
                raise KpiError(
                    f"source `{self.config.name}`: {export.name} has no table `{choice}` "
                    f"(its tables: {listing})",
                    self.config.where("table"),
                )
            chosen.extend(t for t in found if t not in chosen)
        return chosen

    # -- contract
    def provides(self) -> set[str]:
        """The variables the headers give (restricted to the workspace's, `new_visitors` only
        when it declares it) and those of `map:`, which add to them or replace them."""
        found = set()
        for export in self.exports():
            for table in self._tables(export):
                found |= {v for v in DEFAULT_VARIABLES if table.can(v)}
        declared = self.config.variables
        found = found & declared if declared else found - ONLY_IF_DECLARED
        found |= set(self.config.mappings)
        if not found:
            raise self.exports()[0].unrecognised_error(
                self.config.name, "no Google Analytics metric recognised"
            )
        return found

    def dimensions(self) -> set[str]:
        """The dimensions `dimensions:` names and those the headers give, but for a column
        `dimensions:` names otherwise (`traffic: Session source / medium` replaces
        `source_medium`)."""
        named = self.config.dimensions
        found = set(named)
        for export in self.exports():
            for table in self._tables(export):
                taken: set[str] = set()
                for dim, column in named.items():
                    taken.update(table.dimension_columns(column, dim) or ())
                for dim in DEFAULT_DIMENSIONS:
                    columns = table.dimension_columns(None, dim)
                    if columns is not None and not taken & set(columns):
                        found.add(dim)
        return found

    def fetch(self, request: Request) -> Frame:
        provided, available = self.provides(), self.dimensions()
        for variable in request.variables:
            if variable not in provided:
                raise self.config.error(
                    f"does not provide `{variable}` (it gives {', '.join(sorted(provided))})",
                    fix=f"map it: `map: {{{variable}: COLUMN}}`",
                )
        for dim in request.dimensions:
            if dim not in available:
                raise self.config.error(
                    f"has no dimension `{dim}`{suggestion(dim, available)} "
                    f"(it has {', '.join(sorted(available)) or 'none'})",
                    "dimensions",
                    f"name its column: `dimensions: {{{dim}: COLUMN}}`",
                )
        frames: list[Frame] = []
        served: set[str] = set()
        covers = []  # each file's stated range, else its rows' days: the days no file covers
        # are unknown, not days without sessions (`Frame.holes`)
        dims = {d: self.config.dimensions.get(d) for d in request.dimensions}
        spans = [e.date_range for e in self.exports() if e.date_range]
        others = len(spans) < len(self.exports())  # monthly downloads roll up into a quarter:
        together = at_grain(spans, request.grain, request.calendar, others)  # `undatedfiles`
        for export in self.exports():
            export.together = together
            chosen = {v: self._choose(export, v, request) for v in request.variables}
            if any(t is not None and _ranged(t, request) for t in chosen.values()):
                # a variable only an undated table gives makes the export one `range` period:
                # the others come from undated tables too when they can
                chosen = {v: self._choose(export, v, request, undated=True) for v in chosen}
            plan: dict[Table, dict] = {}
            for variable, table in chosen.items():
                if table is not None:
                    time = request.variables[variable].time
                    plan.setdefault(table, {})[variable] = self._maker(table, variable, time)
                    served.add(variable)
            source = (
                f"{export.name} ({export.meta['property']})" if export.meta.get("property")
                else export.name
            )  # fmt: skip
            tables = self._tables(export)
            before = len(frames)
            for table, variables in plan.items():
                # a dated table without totals of its own (a chart's, its top rows only?) must
                # reach an undated table's total
                dated = table.dating[0] != "range" and not table.file.totals
                table.peers = [t for t in tables if dated and t is not table and t.file.totals
                               and t.dating[0] == "range"]  # fmt: skip
                # rows of periods that do not each lie in one period of the grain: left out
                why = table.periods.check(request) if table.dating[0] == "period" else None
                renames = self.config.dimension_values
                frame = scan_table(table, variables, request, dims, source, renames)
                if why is not None:
                    frame.values.update({v: np.full(len(frame), np.nan) for v in variables})
                    frame.missing.update(dict.fromkeys(variables, why))
                frames.append(frame)
            rows = union([f.covered(request.calendar) for f in frames[before:]])
            covers.append((export.name, export.date_range or rows, bool(export.date_range)))
        for variable in request.variables:
            if variable not in served:
                raise self._missing(variable)
        names = ", ".join(e.name for e in self.exports())
        out = combine(frames, list(request.variables), list(request.dimensions), names)
        out.holes = monthgaps.holes(covers) if len(covers) > 1 else []
        if note := shared_note(spans, request.grain, request.calendar):  # users of several files
            out.notes.update({v: note for v, r in request.variables.items() if r.time == DISTINCT})
        return out

    # -- helpers of fetch
    def _maker(self, table: Table, variable: str, time: str) -> str | Callable:
        mapping = self.config.mappings.get(variable)
        if mapping is None:
            return variable  # a recipe
        currency = self.config.currency or ""
        return partial(table.mapped, mapping=mapping, currency=currency, time=time)

    def _serves(self, table: Table, variable: str) -> bool:
        mapping = self.config.mappings.get(variable)
        if mapping is not None:
            return table.mappable(mapping)
        return variable in RECIPES and table.can(variable)

    def _choose(
        self, export: Export, variable: str, request: Request, undated: bool = False
    ) -> Table | None:
        able = [t for t in self._tables(export) if self._serves(t, variable)]
        if not able:
            return None
        named = self.config.dimensions
        with_dims = [
            t for t in able if all(t.has_dimension(named.get(d), d) for d in request.dimensions)
        ]
        if not with_dims:
            lacking = [d for d in request.dimensions if not able[0].has_dimension(named.get(d), d)]
            raise KpiError(
                f"no table with `{variable}` has a column for dimension "
                f"`{lacking[0]}` (headers: {', '.join(able[0].headers)})",
                able[0].where,
                f"export the report with that dimension, or name its column: "
                f"`dimensions: {{{lacking[0]}: COLUMN}}`",
            )

        # a table whose rows are periods of the grain asked for first (dated by day; by month
        # for a month or more; undated when the export's range is exactly one), or an undated one
        # when `undated`, then the table with the most metrics, then one with a totals row (a
        # chart's table holds its top rows only), then the first
        def rank(table: Table) -> tuple[int, int, int, int]:
            first = table.dating[0] == "range" if undated else _exact(table, request)
            whole = 0 if table.file.totals else 1
            return (0 if first else 1, -table.metric_count, whole, table.number)

        return min(with_dims, key=rank)

    def unread(self) -> KpiError | None:
        export = self.exports()[0]
        if not export.unrecognised():
            return None
        return export.unrecognised_error(
            self.config.name, f"`{self.config.name}` has columns it does not read"
        )

    def _missing(self, variable: str) -> KpiError:
        mapping = self.config.mappings.get(variable)
        export = self.exports()[0]
        if mapping is not None:
            what = f"column `{mapping.column}`" if mapping.column else "the `where` columns"
            headers = "; ".join(
                f"{e.name}: {', '.join(h for t in e.tables for h in t.headers)}"
                for e in self.exports()
            )
            error = export.unrecognised_error(
                self.config.name, f"no table has the {what} for `{variable}` (headers: {headers})"
            )
            message = f"source `{self.config.name}`: {error.message}"
            return KpiError(message, mapping.location, error.fix)
        return export.unrecognised_error(self.config.name, f"no column gives `{variable}`")


def _exact(table: Table, request: Request) -> bool:
    """Whether the table's rows date at the request's grain without a `range` period."""
    how = table.dating[0]
    if how in ("day", "nth"):
        return True
    if how == "period":
        return table.periods.exact(request)
    span = table.export.date_range
    return span is not None and not own_range(span, request, table.export.together)


def _ranged(table: Table, request: Request) -> bool:
    """Whether the table is undated and its range is not exactly one period of the request's
    grain (8 to 31 July by month): it is a `range` period of its own."""
    export = table.export
    return table.dating[0] == "range" and own_range(export.date_range, request, export.together)


@hookimpl(trylast=True)
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(GaExportConnector)
