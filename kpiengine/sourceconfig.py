"""Sources as kpi.yaml declares them: connector, options, dimensions and variable mappings.

Parsed while the workspace loads (structural mistakes stop with the kpi.yaml position); the
connectors are opened and asked for data later, by `kpiengine.sources`.
"""

from __future__ import annotations

import glob
import math
import os
from collections.abc import Mapping as Named
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .errors import KpiError, Location, suggestion
from .units import CURRENCY, TIME, Unit
from .workspacefiles import describe_path, looked_in, shown_path
from .yamlio import YList, YMap

SOURCE_KEYS = ("connector", "dimensions", "map", "timeout")
#: Seconds a source's `fetch` may take unless its `timeout:` says otherwise: generous, since a
#: warehouse may aggregate millions of rows; the point is that a hung plugin cannot hang the run.
DEFAULT_TIMEOUT = 600.0
MAPPING_KEYS = ("column", "count", "distinct", "where", "scale", "currency", "date")


@dataclass
class Mapping:
    """How one workspace variable comes out of a source.

    `column`: sum (or last, ... by the variable's aggregate rule) that column;
    `count`: count rows (`count: COLUMN`: the rows where COLUMN has a value); `distinct`: count
    the distinct values of a column (`user_id`) at the requested grain, per segment and in
    total, never added up; `where`: only rows whose columns hold one of the listed values;
    `scale`: multiply values (1e-6 for `cost_micros`); `currency`: the column's currency;
    `date`: the column that dates this variable (deals won by close date, created by create date).
    """

    variable: str
    location: Location
    column: str | None = None
    count: bool = False
    present: str | None = None  # `count: COLUMN`: only rows where this column has a value
    distinct: str | None = None  # the column whose distinct values are counted
    where: dict[str, list[str]] = field(default_factory=dict)
    scale: float = 1.0
    currency: str | None = None
    date: str | None = None  # the column dating this variable, when not the source's date


@dataclass
class SourceConfig:
    """A source as kpi.yaml declares it, with the positions needed for error messages.

    Besides what kpi.yaml says of the source, the engine gives each connector what the
    workspace says of its variables: `currency`, the workspace currency; `variables`, the
    variables' ids; `counts`, the variables whose source values are whole counts (a unit that
    is one counted entity, `orders`, not in a multiple such as `1000 impressions`, summed or
    counted distinct): a column of them holds no amount, so a file connector may let its cells
    tell the decimal mark (`1.500` orders are 1500) without asking, whatever the currency.
    Empty when a connector is built by hand, as before the field existed.
    """

    name: str
    connector: str
    root: Path
    location: Location
    options: dict[str, Any] = field(default_factory=dict)
    option_locations: dict[str, Location] = field(default_factory=dict)
    mappings: dict[str, Mapping] = field(default_factory=dict)
    dimensions: dict[str, str] = field(default_factory=dict)  # workspace name -> source column
    dimension_values: dict[str, dict[str, str]] = field(default_factory=dict)  # value renames
    currency: str | None = None  # the workspace currency
    variables: frozenset[str] = frozenset()  # the workspace's variable ids
    counts: frozenset[str] = frozenset()  # the variables whose values are whole counts
    quantities: dict[str, str] = field(default_factory=dict)  # `Request.quantities`, all of them
    timeout: float = DEFAULT_TIMEOUT  # seconds `fetch` may take before the source is dropped

    def where(self, key: str | None = None) -> Location:
        return self.option_locations.get(key, self.location) if key else self.location

    def error(self, message: str, key: str | None = None, fix: str | None = None) -> KpiError:
        """A KpiError about this source, located at `key` in kpi.yaml."""
        return KpiError(f"source `{self.name}`: {message}", self.where(key), fix)

    def paths(self, key: str = "path") -> list[Path]:
        """The files an option names (a path or a glob, relative to the workspace), sorted; a
        folder, pipe, device or broken link standing there is named (`describe_path`)."""
        pattern = self.options.get(key)
        if pattern is None or pattern == "":
            raise self.error(f"option `{key}` is required", fix=f"add `{key}: FILE.csv`")
        if isinstance(pattern, bool) or not isinstance(pattern, str | int):
            raise self.error(
                f"`{key}` is the path of a file, or a pattern such as `exports/*.csv` (text), "
                f"not {kind_of(pattern)}",
                key,
                "write one path; a pattern with `*` reads several files of one layout",
            )
        full = Path(str(pattern)).expanduser()
        if not full.is_absolute():
            full = self.root / full
        if os.path.lexists(full):
            matches = [full]
        else:
            matches = sorted(Path(p) for p in glob.glob(str(full), recursive=True))
        files = [p for p in matches if p.is_file()]
        if files:
            return files
        shown = shown_path(matches[0] if matches else full, self.root)
        if matches:
            folder = matches == [full] and full.is_dir()  # `path: exports`
            fix = f"`{shown}/*.csv` reads the CSV files in it" if folder else None
            raise self.error(f"`{shown}` is {describe_path(matches[0])}", key, fix)
        raise self.error(f"no file matches `{shown}` ({looked_in(full.parent)})", key)


def kind_of(value: Any) -> str:
    """What a YAML value is, as a message says it: `a list`, `a mapping`, `nothing (null)`..."""
    if value is None or value == "":
        return "nothing (null)" if value is None else "empty text"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"`{str(value).lower()}` (read as true/false)"
    return f"`{value}`"


def scalar_text(container: YMap, key: Any) -> str | None:
    """A value that is text, or a number, date or yes/no a name may be (`2024`, `2024-01`,
    `Yes`), as written in the file; None for null, a list or a mapping."""
    value = container.get(key)
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, str):
        return value
    raw = container.raw.get(key) if isinstance(container, YMap) else None
    return raw if raw is not None else str(value)


class _Rule(Protocol):
    @property
    def time(self) -> str: ...

    @property
    def segments(self) -> str: ...


class _Variable(Protocol):
    """What `whole_counts` reads of a `model.Variable` (which imports this module)."""

    @property
    def unit(self) -> Unit | None: ...

    @property
    def aggregate(self) -> _Rule: ...


_WHOLE_RULES = frozenset({"sum", "distinct", "last", "first", "min", "max"})


def whole_counts(variables: Named[str, _Variable]) -> frozenset[str]:
    """The variables whose source values are whole counts (`SourceConfig.counts`): a unit of
    one counted entity (not money, time or a ratio), not in a multiple (`1000 impressions` may
    be 1.5 thousand), taken by a rule that keeps whole values whole: summed, counted distinct,
    or a stock's last, first, least or greatest value (a mean of orders may be 1.5)."""
    out = set()
    for name, variable in variables.items():
        unit, rule = variable.unit, variable.aggregate
        if unit is None or unit.scale != 1 or len(unit.dims) != 1:
            continue
        entity, exponent = unit.dims[0]
        if exponent != 1 or entity == TIME or entity.startswith(CURRENCY):
            continue
        if {rule.time, rule.segments} <= _WHOLE_RULES:
            out.add(name)
    return frozenset(out)


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
        connector = scalar_text(entry, "connector")
        if connector is None or isinstance(entry["connector"], bool):
            raise KpiError(
                f"the `connector` of source `{name}` is a connector's name (text), "
                f"not {kind_of(entry['connector'])}",
                entry.value_loc("connector"),
                "e.g. `connector: csv` (`kpi connectors` lists them)",
            )
        config = SourceConfig(
            name=str(name),
            connector=connector,
            root=root,
            location=entry.value_loc("connector"),
            currency=currency,
        )
        for key, value in entry.items():
            if key not in SOURCE_KEYS:
                config.options[key] = value
                config.option_locations[key] = entry.value_loc(key)
        config.timeout = _timeout(entry)
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
            renames = spec.get("values")
            if renames is not None and not isinstance(renames, YMap):
                break
            if renames:
                config.dimension_values[str(name)] = _renames(renames, str(name), config)
            if "column" in spec:
                column = scalar_text(spec, "column")
                if column is None:
                    raise KpiError(
                        f"source `{config.name}`: the `column` of dimension `{name}` is the "
                        f"name of a column (text), not {kind_of(spec['column'])}",
                        spec.value_loc("column"),
                        f"e.g. `{name}: {{column: Channel}}`",
                    )
                out[str(name)] = column
        else:
            return out
    raise config.error(
        "`dimensions` maps workspace dimensions to source columns, optionally renaming values",
        "dimensions",
        "e.g. `dimensions: {channel: {column: Source, values: {Email Marketing: Email}}}`",
    )


def _renames(renames: YMap, dimension: str, config: SourceConfig) -> dict[str, str]:
    """`values: {Email Marketing: Email}`: each value as the source writes it, and the segment
    it counts in; both text (a number or a date as written: `2024: FY24`)."""
    out = {}
    what = f"source `{config.name}`: `values` of dimension `{dimension}`"
    for old in renames:  # keys as written: `Yes` is the text a source writes (`yamlio`)
        text = scalar_text(renames, old)
        if text is None:
            raise KpiError(
                f"{what} renames `{old}` to one segment name (text), not {kind_of(renames[old])}",
                renames.value_loc(old),
                f"e.g. `values: {{{old}: Email}}`; each value the source writes that belongs "
                "to the segment is a key of its own",
            )
        out[str(old)] = text
    return out


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
        mapping = Mapping(
            str(variable),
            loc,
            column=_name(spec, "column"),
            count=spec.get("count", False) is not False,
            present=_counted_column(spec),
            distinct=_name(spec, "distinct"),
            where=_where(spec),
            scale=_scale(spec),
            currency=_name(spec, "currency"),
            date=_name(spec, "date"),
        )
        if (mapping.column is not None) + mapping.count + (mapping.distinct is not None) != 1:
            raise KpiError(
                f"the mapping of `{variable}` needs one of `column:`, `count: true` (or "
                "`count: COLUMN`) or `distinct: COLUMN`",
                loc,
            )
        out[str(variable)] = mapping
    return out


def _timeout(entry: YMap) -> float:
    value = entry.get("timeout", DEFAULT_TIMEOUT)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and math.isfinite(value) and value > 0:
        return float(value)
    raise KpiError(
        "`timeout` is the seconds a source may take: a positive number",
        entry.value_loc("timeout"),
        f"e.g. `timeout: 1800` (default {DEFAULT_TIMEOUT:g})",
    )


def _name(spec: YMap, key: str) -> str | None:
    """A column (or currency) name: text, or a number written as a name (`2024`)."""
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, str | int) and not isinstance(value, bool):
        return str(value)
    raise KpiError(f"`{key}` must be a column name", spec.value_loc(key))


def _counted_column(spec: YMap) -> str | None:
    """`count: true` (every row), `count: COLUMN` (the rows where COLUMN has a value, as SQL's
    COUNT(COLUMN)), or `count: false`; a number is neither."""
    value = spec.get("count", False)
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip():
        return value
    raise KpiError(
        f"`count` is `true` or a column name (count the rows where it has a value), not `{value}`",
        spec.value_loc("count"),
        "e.g. `deals_won_with_amount: {count: Amount, where: {Stage: [Closed won]}}`",
    )


def _scale(spec: YMap) -> float:
    """A finite, non-zero number (1e-6 for `cost_micros`)."""
    value = spec.get("scale", 1.0)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and math.isfinite(value) and value != 0:
        return float(value)
    raise KpiError(
        "`scale` must be a finite, non-zero number such as 0.000001",
        spec.value_loc("scale"),
        "e.g. `scale: 1e-6` for Google Ads `cost_micros`",
    )


def _where(spec: YMap) -> dict[str, list[str]]:
    """`{column: value}` or `{column: [values]}`: values are text, numbers or booleans."""
    where = spec.get("where", YMap())
    message = "`where` maps columns to a value or a list of values"
    if not isinstance(where, YMap):
        raise KpiError(message, spec.value_loc("where"))
    out = {}
    for column, values in where.items():
        items = values if isinstance(values, list) else [values]
        if not items or any(isinstance(v, dict | list) or v is None for v in items):
            raise KpiError(
                f"{message}: `{column}` holds {'nothing' if not items else 'a nested value'}",
                where.value_loc(column),
                f"e.g. `where: {{{column}: [Closed won]}}`",
            )
        # as written: `NO` (Norway) and `true` are cells' text, not YAML 1.1's booleans
        raws = values.raw if isinstance(values, YList) else [where.raw.get(column)]
        out[str(column)] = [str(v) if r is None else r for v, r in zip(items, raws, strict=True)]
    return out


def data_file_source(
    path: Path, root: Path, currency: str | None, location: Location | None = None
) -> SourceConfig:
    """The source behind `--data FILE` or `data:` (its position in kpi.yaml is `location`): a
    wide CSV whose columns name variables."""
    path = Path(path)
    return SourceConfig(
        name="data",
        connector="csv",
        root=root,
        location=Location(str(path)),
        # absolute without following links: a link that loops is said to, when it is opened
        options={"path": os.path.abspath(path)},
        option_locations={"path": location} if location else {},
        currency=currency,
    )
