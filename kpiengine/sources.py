"""Workspace sources: `sources:` of kpi.yaml, connectors opened, fetched, merged into one table."""

from __future__ import annotations

import datetime as dt
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .connector import Connector, Mapping, Request, SourceConfig
from .errors import ERROR, Finding, KpiError, Location, suggestion
from .model import Aggregate
from .table import Frame, InputTable, build_table
from .yamlio import YList, YMap

SOURCE_KEYS = ("connector", "dimensions", "map")
MAPPING_KEYS = ("column", "count", "where", "scale", "currency", "date")
SOURCE_FAILED = "KPI012"


@dataclass
class SourceStatus:
    """What happened to one source during an evaluation (shown in reports)."""

    name: str
    connector: str
    origin: str
    variables: list[str] = field(default_factory=list)
    coverage: tuple[dt.date, dt.date] | None = None
    error: str | None = None


def parse_sources(
    data: Any, location: Location, root: Path, currency: str | None
) -> list[SourceConfig]:
    """`sources:` of kpi.yaml as SourceConfigs; structural mistakes raise KpiError."""
    if data is None:
        return []
    if not isinstance(data, YMap):
        raise KpiError("`sources` must map source names to their settings", location)
    configs = []
    for name, entry in data.items():
        where = data.value_loc(name)
        if not isinstance(entry, YMap) or "connector" not in entry:
            raise KpiError(
                f"source `{name}` needs `connector:` and the connector's options",
                where,
                "e.g. `connector: csv` and `path: data/costs.csv`",
            )
        config = SourceConfig(
            name=str(name),
            connector=str(entry["connector"]),
            root=root,
            location=entry.value_loc("connector"),
            currency=currency,
        )
        for key, value in entry.items():
            if key not in SOURCE_KEYS:
                config.options[key] = value
                config.option_locations[key] = entry.value_loc(key)
        config.dimensions = _dimensions(entry, config)
        config.mappings = _mappings(entry, config)
        configs.append(config)
    return configs


def _dimensions(entry: YMap, config: SourceConfig) -> dict[str, str]:
    """`dimensions: [channel]`, `{channel: Column}` or `{channel: {column: C, values: {a: b}}}`."""
    value = entry.get("dimensions")
    if value is None:
        return {}
    if isinstance(value, YList) and all(isinstance(v, str) for v in value):
        return {v: v for v in value}
    out = {}
    if isinstance(value, YMap):
        for name, spec in value.items():
            if isinstance(spec, str):
                out[str(name)] = spec
                continue
            if not isinstance(spec, YMap) or set(spec) - {"column", "values"}:
                break
            renames = spec.get("values", {})
            if not isinstance(renames, YMap):
                break
            config.dimension_values[str(name)] = {str(k): str(v) for k, v in renames.items()}
            if "column" in spec:
                out[str(name)] = str(spec["column"])
        else:
            return out
    raise config.error(
        "`dimensions` maps workspace dimensions to source columns, optionally renaming values",
        "dimensions",
        "e.g. `dimensions: {channel: {column: Source, values: {Email Marketing: Email}}}`",
    )


def relabel(frame: Frame, renames: dict[str, dict[str, str]]) -> Frame:
    """The frame with dimension values renamed (rows that become one segment are kept apart)."""
    for dim, mapping in renames.items():
        if dim in frame.dims and mapping:
            column = frame.dims[dim]
            values, inverse = np.unique(column.astype(str), return_inverse=True)
            renamed = np.array([mapping.get(v, v) for v in values], dtype=object)
            frame.dims[dim] = renamed[inverse.reshape(-1)]
    return frame


def _mappings(entry: YMap, config: SourceConfig) -> dict[str, Mapping]:
    value = entry.get("map")
    if value is None:
        return {}
    if not isinstance(value, YMap):
        raise KpiError("`map` maps variables to source columns", entry.value_loc("map"))
    out = {}
    for variable, spec in value.items():
        loc = value.value_loc(variable)
        if isinstance(spec, str):
            out[str(variable)] = Mapping(str(variable), loc, column=spec)
            continue
        if not isinstance(spec, YMap):
            raise KpiError(f"`{variable}` must map to a column name or {{column: ...}}", loc)
        for key in spec:
            if key not in MAPPING_KEYS:
                raise KpiError(
                    f"unknown key `{key}` in the mapping of `{variable}`"
                    f"{suggestion(str(key), MAPPING_KEYS)}",
                    spec.key_loc(key),
                    f"allowed keys: {', '.join(MAPPING_KEYS)}",
                )
        where = spec.get("where", YMap())
        if not isinstance(where, dict):
            raise KpiError(
                "`where` maps columns to a value or a list of values", spec.value_loc("where")
            )
        mapping = Mapping(
            str(variable),
            loc,
            column=spec.get("column"),
            count=bool(spec.get("count", False)),
            where={
                str(k): [str(x) for x in (v if isinstance(v, list) else [v])]
                for k, v in where.items()
            },
            scale=float(spec.get("scale", 1.0)),
            currency=spec.get("currency"),
            date=spec.get("date"),
        )
        if (mapping.column is None) == (not mapping.count):
            raise KpiError(
                f"the mapping of `{variable}` needs either `column:` or `count: true`", loc
            )
        out[str(variable)] = mapping
    return out


def data_file_source(path: Path, root: Path, currency: str | None) -> SourceConfig:
    """The source behind `--data FILE` or `data:`: a wide CSV whose columns name variables."""
    path = Path(path)
    return SourceConfig(
        name="data",
        connector="csv",
        root=root,
        location=Location(str(path)),
        options={"path": str(path.resolve())},
        currency=currency,
    )


@dataclass
class OpenSource:
    config: SourceConfig
    connector: Connector
    origin: str
    provides: set[str]


def open_sources(
    configs: list[SourceConfig], root: Path | None, variables: set[str]
) -> list[OpenSource]:
    """Instantiate each source's connector; an unknown connector lists the installed ones."""
    from .plugins import get_plugin_manager, registered  # noqa: PLC0415 - loads plugins lazily

    connectors = registered(get_plugin_manager(root), "register_connectors")
    out = []
    for config in configs:
        found = connectors.get(config.connector)
        if found is None:
            installed = ", ".join(sorted(connectors))
            raise KpiError(
                f"source `{config.name}`: unknown connector `{config.connector}`"
                f"{suggestion(config.connector, connectors)} (installed: {installed})",
                config.location,
            )
        config.variables = frozenset(variables)
        for name, mapping in config.mappings.items():
            if name not in variables:
                raise KpiError(
                    f"source `{config.name}` maps unknown variable `{name}`"
                    f"{suggestion(name, variables)}",
                    mapping.location,
                )
        dated = [m for m in config.mappings.values() if m.date]
        if dated and not found.obj.mapping_dates:
            raise KpiError(
                f"connector `{config.connector}` does not take `date:` in a mapping",
                dated[0].location,
                "use one source per date column",
            )
        connector = found.obj(config)
        out.append(
            OpenSource(config, connector, found.origin, set(connector.provides()) & variables)
        )
    return out


def owners(
    sources: list[OpenSource], choose: dict[str, str], location: Location | None
) -> dict[str, OpenSource]:
    """Which source gives each variable; two sources for one variable need `choose:`."""
    by_name = {s.config.name: s for s in sources}
    for variable, name in choose.items():
        if name not in by_name:
            raise KpiError(
                f"`choose` names unknown source `{name}` for `{variable}`"
                f"{suggestion(name, by_name)}",
                location,
            )
    out: dict[str, OpenSource] = {}
    for source in sources:
        for variable in source.provides:
            if variable in choose:
                if choose[variable] == source.config.name:
                    out[variable] = source
                continue
            if variable in out:
                other = out[variable].config.name
                raise KpiError(
                    f"variable `{variable}` is provided by sources `{other}` and "
                    f"`{source.config.name}`",
                    source.config.location,
                    f"choose one in kpi.yaml: `choose: {{{variable}: {other}}}`",
                )
            out[variable] = source
    return out


def fetch_table(
    sources: list[OpenSource],
    owner: dict[str, OpenSource],
    aggregates: dict[str, Aggregate],
    grain: str,
    by: list[str],
    dates: tuple[dt.date | None, dt.date | None] = (None, None),
) -> tuple[InputTable, list[SourceStatus], list[Finding]]:
    """Ask each source for its variables and merge the answers into one input table.

    `dates` is the range the evaluation needs (a connector may return more; the engine keeps
    what it needs).
    """
    tables, statuses, findings = [], [], []
    for source in sources:
        wanted = {v: a for v, a in aggregates.items() if owner.get(v) is source}
        status = SourceStatus(
            source.config.name, source.config.connector, source.origin, sorted(wanted)
        )
        statuses.append(status)
        if not wanted:
            continue
        dims = [d for d in by if d in source.connector.dimensions()]
        request = Request(wanted, grain, dims if len(dims) == len(by) else [], *dates)
        try:
            frame = source.connector.fetch(request)
        except KpiError:
            raise
        except Exception as exc:  # a plugin's bug: report it, keep the other sources
            last = traceback.extract_tb(exc.__traceback__)[-1]
            status.error = f"{type(exc).__name__}: {exc} ({Path(last.filename).name}:{last.lineno})"
            findings.append(
                Finding(
                    SOURCE_FAILED,
                    ERROR,
                    f"source `{status.name}` (connector `{status.connector}`, {status.origin}) "
                    f"failed: {status.error}",
                    source.config.location,
                    fix="its variables are missing from this evaluation",
                )
            )
            continue
        frame = relabel(frame, source.config.dimension_values)
        status.coverage = frame.coverage
        present = {v: a for v, a in wanted.items() if v in frame.values}
        if len(frame) and present:
            tables.append(
                build_table(
                    frame, present, grain, [d for d in request.dimensions if d in frame.dims]
                )
            )
    if not tables:
        failures = "; ".join(f.message for f in findings)
        raise KpiError(
            "the sources returned no data for the KPIs asked for"
            + (f": {failures}" if failures else "")
        )
    table = merge_tables(tables, by)
    for status in statuses:
        for variable in status.variables:
            if variable not in table.values:
                why = (
                    f"source `{status.name}` failed"
                    if status.error
                    else f"no data from `{status.name}`"
                )
                table.missing[variable] = why
                table.values[variable] = np.full((table.n_periods, len(table.segments)), np.nan)
    return table, statuses, findings


def merge_tables(tables: list[InputTable], by: list[str]) -> InputTable:
    """One table over all periods; a source without the `by` dimensions fills the total only."""
    first = min(t.first for t in tables)
    last = max(t.first + t.n_periods for t in tables)
    segments: list[dict[str, str]] = [{}]
    keys: dict[tuple, int] = {(): 0}
    for table in tables:
        for segment in table.segments[1:]:
            key = tuple(segment.get(d, "") for d in by)
            if key not in keys:
                keys[key] = len(segments)
                segments.append(dict(segment))
    order = [0] + sorted(
        range(1, len(segments)), key=lambda i: tuple(segments[i].get(d, "") for d in by)
    )
    segments = [segments[i] for i in order]
    position = {tuple(s.get(d, "") for d in by) if s else (): i for i, s in enumerate(segments)}
    values: dict[str, np.ndarray] = {}
    coverage = None
    for table in tables:
        offset = table.first - first
        columns = [position[tuple(s.get(d, "") for d in by) if s else ()] for s in table.segments]
        for name, array in table.values.items():
            out = np.full((last - first, len(segments)), np.nan)
            out[offset : offset + table.n_periods, columns] = array
            values[name] = out
        if table.coverage:
            coverage = (
                table.coverage
                if coverage is None
                else (
                    min(coverage[0], table.coverage[0]),
                    max(coverage[1], table.coverage[1]),
                )
            )
    return InputTable(tables[0].grain, first, values, segments, coverage)


class Inputs:
    """Where an evaluation's variables come from: a Frame given directly, or the sources."""

    def __init__(self, workspace: Any, data: Frame | str | Path | None = None):
        self.frame = data if isinstance(data, Frame) else None
        self.statuses: list[SourceStatus] = []
        if self.frame is not None:
            self.available = set(self.frame.values)
            return
        settings = workspace.settings
        root = workspace.root or Path.cwd()
        if data is not None:
            configs = [data_file_source(Path(data), root, settings.currency)]
        else:
            configs = settings.sources
        if not configs:
            raise KpiError(
                "no data: pass --data FILE.csv, or list `sources:` (or `data:`) in kpi.yaml",
                fix="the CSV needs a `date` column and one column per variable",
            )
        self.sources = open_sources(configs, workspace.root, set(workspace.variables))
        self.owner = owners(self.sources, settings.choose, settings.choose_location)
        self.available = set(self.owner)

    def table(
        self,
        aggregates: dict[str, Aggregate],
        grain: str,
        by: list[str],
        dates: tuple[dt.date | None, dt.date | None] = (None, None),
    ) -> tuple[InputTable, list[Finding]]:
        """Aggregate the variables to `grain`, for the total and each `by` segment."""
        if self.frame is not None:
            present = {v: a for v, a in aggregates.items() if v in self.frame.values}
            return build_table(self.frame, present, grain, by), []
        known = set().union(*(s.connector.dimensions() for s in self.sources))
        for dim in by:
            if dim not in known:
                raise KpiError(
                    f"no source has the dimension `{dim}`{suggestion(dim, known)} "
                    f"(dimensions: {', '.join(sorted(known)) or 'none'})"
                )
        table, self.statuses, findings = fetch_table(
            self.sources, self.owner, aggregates, grain, by, dates
        )
        return table, findings
