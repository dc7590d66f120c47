"""The `ga_export` connector: Google Analytics CSV exports (Universal Analytics and GA4).

Reads the files as GA writes them ("Export > CSV" in Universal Analytics, "Download file > CSV"
in GA4 reports and explorations, or such a file re-saved by Excel as UTF-16 text): the `#`
metadata block (report, property, start and end dates), one or more tables separated by blank
and `#` lines, a totals row (`Grand total`, `Totals`, or empty dimension cells) that is checked
against the rows and never counted, numbers in the interface language's format, durations
(`00:02:13`) and percentages. Rates come back as counts: bounces = bounce rate x sessions,
engaged sessions = engagement rate x sessions (GA4: bounce rate = 1 - engagement rate),
conversions = key event rate x sessions, pageviews = pages per session x sessions.

Headers are recognised in English (UA and GA4), French, Chinese (simplified and traditional) and
Persian; the `headers:` option translates any other language. The reader is pure Python, and
fast on big exports because no step works row by row in Python: `_ga_file` reads a file into its
metadata and tables (the tables found by one regular expression, each table's lines read by one
csv reader into columns), `_ga_tables` reads a table's columns, with `_ga_headers` (what headers
mean), `_ga_values` (numbers: each distinct text once, checked a column at a time) and
`_ga_dates` (dates: each distinct text once); this module is the connector itself.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from kpiengine.connector import Connector, Mapping, Option, Request, SourceConfig
from kpiengine.errors import KpiError, did_you_mean, suggestion
from kpiengine.hookspecs import hookimpl
from kpiengine.table import Frame

from ._ga_file import Export, read_export
from ._ga_headers import ALIASES, ENGLISH, KIND, METADATA, METADATA_KEYS, header_key
from ._ga_tables import RECIPES, Table
from ._ga_values import currencies_written

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
)
ONLY_IF_DECLARED = frozenset({"new_visitors"})
DEFAULT_DIMENSIONS = ("channel", "source_medium", "landing_page", "campaign", "device")


class GaExportConnector(Connector):
    name = "ga_export"
    description = "Google Analytics CSV exports (Universal Analytics and GA4 reports)"
    options = (
        Option("path", "GA export file or glob, relative to the workspace", required=True),
        Option(
            "headers",
            "header text in the file -> English GA header, for other interface languages "
            "(English, French, Chinese and Persian are built in)",
            default={},
        ),
        Option(
            "table",
            "which table of a multi-table file to use: its number (1 = first) or its first "
            "header (default: the table with the metrics, or with dates when needed)",
        ),
        Option(
            "encoding",
            "`auto` (UTF-8 with or without BOM, UTF-16 as Excel saves it) or a Python codec",
            default="auto",
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
        self._exports: list[Export] | None = None

    def _translations(self) -> dict[str, str]:
        headers = self.option("headers") or {}
        if not isinstance(headers, dict):
            raise self.config.error(
                "`headers` maps header text in the file to English GA headers",
                "headers",
                "e.g. `headers: {Sessies: Sessions}`",
            )
        english = sorted(ENGLISH.values())
        metadata = {k for keys in METADATA.values() for k in keys}
        out = {}
        for text, target in headers.items():
            target = str(target)
            if header_key(target) not in ALIASES and header_key(target) not in METADATA_KEYS:
                raise self.config.error(
                    f"`headers`: `{target}` (for `{text}`) is not a GA header I know"
                    f"{suggestion(target, english + sorted(metadata))}",
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
            out = []
            for path in self.config.paths():
                name = _display(path, self.config.root)
                out.append(read_export(path, name, self.encoding, self.translations))
            self._exports = out
        return self._exports

    def _tables(self, export: Export) -> list[Table]:
        if self.table_choice is None:
            return export.tables
        chosen: list[Table] = []
        for choice in self.table_choice:
            if isinstance(choice, int):
                found = [t for t in export.tables if t.number == choice]
            else:
                found = [
                    t
                    for t in export.tables
                    if t.headers and header_key(t.headers[0]) == header_key(choice)
                ]
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
        if self.config.mappings:
            return set(self.config.mappings)
        declared = self.config.variables
        found = set()
        for export in self.exports():
            for table in self._tables(export):
                found |= {v for v in DEFAULT_VARIABLES if table.can(v)}
        if declared:
            found &= declared
        else:
            found -= ONLY_IF_DECLARED
        if not found:
            raise self._unrecognised(self.exports()[0], "no Google Analytics metric recognised")
        return found

    def dimensions(self) -> set[str]:
        if self.config.dimensions:
            return set(self.config.dimensions)
        found = set()
        for export in self.exports():
            for table in self._tables(export):
                found |= {d for d in DEFAULT_DIMENSIONS if table.has_dimension(None, d)}
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
        parts: list[tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]] = []
        served: set[str] = set()
        for export in self.exports():
            plan: dict[Table, list[str]] = {}
            for variable in request.variables:
                table = self._choose(export, variable, request)
                if table is not None:
                    plan.setdefault(table, []).append(variable)
                    served.add(variable)
            for table, variables in plan.items():
                dates = table.dated(request.grain)
                table.check_totals()
                dims = {
                    d: table.dimension(self.config.dimensions.get(d), d) for d in request.dimensions
                }
                values = {v: self._values(table, v) for v in variables}
                parts.append((dates, dims, values))
        for variable in request.variables:
            if variable not in served:
                raise self._missing(variable)
        return self._combine(parts, request)

    # -- helpers of fetch
    def _mapping(self, variable: str) -> Mapping | None:
        return self.config.mappings.get(variable)

    def _serves(self, table: Table, variable: str) -> bool:
        mapping = self._mapping(variable)
        if mapping is not None:
            return table.mappable(mapping)
        return variable in RECIPES and table.can(variable)

    def _values(self, table: Table, variable: str) -> np.ndarray:
        mapping = self._mapping(variable)
        if mapping is None:
            return table.derive(variable)
        values = table.mapped(mapping)
        if values is None:
            raise self._missing(variable)
        self._check_currency(table, mapping)
        return values

    def _choose(self, export: Export, variable: str, request: Request) -> Table | None:
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
        datable = [t for t in with_dims if t.datable(request.grain)]
        if not datable:
            with_dims[0].dated(request.grain)  # raises the reason
        return max(datable, key=lambda t: (t.metric_count, -t.number))

    def _missing(self, variable: str) -> KpiError:
        mapping = self._mapping(variable)
        export = self.exports()[0]
        if mapping is not None:
            what = f"column `{mapping.column}`" if mapping.column else "the `where` columns"
            headers = "; ".join(
                f"{e.name}: {', '.join(h for t in e.tables for h in t.headers)}"
                for e in self.exports()
            )
            error = self._unrecognised(
                export, f"no table has the {what} for `{variable}` (headers: {headers})"
            )
            message = f"source `{self.config.name}`: {error.message}"
            return KpiError(message, mapping.location, error.fix)
        return self._unrecognised(export, f"no column gives `{variable}`")

    def _unrecognised(self, export: Export, message: str) -> KpiError:
        unknown = export.unrecognised()
        table = export.tables[0]
        if not unknown:
            return KpiError(
                message,
                table.where,
                "export a report with these metrics (e.g. Traffic acquisition)",
            )
        english = sorted(set(ENGLISH.values()))
        lines = [f"      {_yaml(h)}: {did_you_mean(h, english) or '?'}" for h in unknown]
        fix = (
            f"if these are GA headers in another language, add to source `{self.config.name}` "
            "in kpi.yaml (replace each ? with the English header, delete the others):\n"
            "    headers:\n" + "\n".join(lines) + "\n    English headers: " + ", ".join(english)
        )
        return KpiError(
            f"{message}; unrecognised headers: {', '.join(unknown)}",
            table.where,
            fix,
        )

    def _check_currency(self, table: Table, mapping: Mapping) -> None:
        workspace = self.config.currency
        index = table.column(mapping.column) if mapping.column else None
        if index is None or KIND.get(table.fields[index] or "", "money") != "money":
            return
        written = currencies_written(table.cells(index)[:50])
        found = written | ({mapping.currency} if mapping.currency else set())
        if len(found) > 1:
            raise KpiError(
                f"column `{table.headers[index]}` mixes currencies ({', '.join(sorted(found))})",
                mapping.location,
                "export the report in one currency",
            )
        if found and workspace and found != {workspace}:
            raise KpiError(
                f"column `{table.headers[index]}` is in {found.pop()} but the workspace currency "
                f"is {workspace}",
                mapping.location,
                "change the property's currency, or set the workspace `currency:` to match",
            )

    def _combine(self, parts: list, request: Request) -> Frame:
        """One row per date and segment: repeated rows added up (by the variable's rule)."""
        names = list(request.variables)
        source = ", ".join(
            f"{e.name} ({e.meta['property']})" if e.meta.get("property") else e.name
            for e in self.exports()
        )
        if not parts:
            return Frame(
                np.array([], dtype="datetime64[D]"),
                {d: np.array([], dtype=object) for d in request.dimensions},
                {v: np.array([], dtype=float) for v in names},
                source,
            )
        dates = np.concatenate([p[0] for p in parts]).astype("datetime64[D]")
        dims = {d: np.concatenate([p[1][d] for p in parts]) for d in request.dimensions}
        values = {
            v: np.concatenate([p[2].get(v, np.full(len(p[0]), np.nan)) for p in parts])
            for v in names
        }
        keep = np.ones(len(dates), dtype=bool)
        if request.start:
            keep &= dates >= np.datetime64(request.start, "D")
        if request.end:
            keep &= dates <= np.datetime64(request.end, "D")
        dates = dates[keep]
        dims = {d: a[keep] for d, a in dims.items()}
        values = {v: a[keep] for v, a in values.items()}
        if not len(dates):
            return self._combine([], request)
        codes = [dates.astype(np.int64)] + [_codes(dims[d]) for d in dims]
        first, group = _groups(codes)
        n = len(first)
        out = {}
        for name in names:
            column = values[name]
            present = ~np.isnan(column)
            rule = request.variables[name].time
            if rule in ("min", "max"):
                result = np.full(n, np.nan)
                (np.fmin if rule == "min" else np.fmax).at(result, group, column)
            else:
                total = np.bincount(group, weights=np.where(present, column, 0.0), minlength=n)
                count = np.bincount(group, weights=present.astype(float), minlength=n)
                with np.errstate(invalid="ignore", divide="ignore"):
                    result = total / count if rule == "mean" else total
                result[count == 0] = np.nan
            out[name] = result
        return Frame(dates[first], {d: a[first] for d, a in dims.items()}, out, source)


def _codes(values: np.ndarray) -> np.ndarray:
    """The rank of each text among the distinct texts (as `np.unique(values.astype(str))`)."""
    unique = list(dict.fromkeys(values.tolist()))
    ranks = np.unique(np.array(unique, dtype=str), return_inverse=True)[1].reshape(-1)
    rank_of = dict(zip(unique, ranks.tolist(), strict=True))
    return np.fromiter(map(rank_of.__getitem__, values.tolist()), dtype=np.int64, count=len(values))


def _groups(codes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(first row of each distinct combination of codes, in their order; group of each row):
    `np.unique(rows, axis=0)`, on one number per row when the combinations fit in 62 bits."""
    lows = [int(c.min()) for c in codes]
    spans = [int(c.max()) - low + 1 for c, low in zip(codes, lows, strict=True)]
    if math.prod(spans) >= 2**62:
        _, first, group = np.unique(
            np.stack(codes, axis=1), axis=0, return_index=True, return_inverse=True
        )
        return first, group.reshape(-1)
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for column, low, span in zip(codes, lows, spans, strict=True):
        key = key * span + (column - low)
    _, first, group = np.unique(key, return_index=True, return_inverse=True)
    return first, group.reshape(-1)


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _yaml(text: str) -> str:
    """A header as a YAML key: plain when safe, else double-quoted."""
    if re.fullmatch(r"[^\W\d][^:#\[\]{},\"]*", text) and text == text.strip():
        return text
    return json.dumps(text, ensure_ascii=False)


@hookimpl(trylast=True)
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(GaExportConnector)
