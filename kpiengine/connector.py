"""The connector contract: a source's configuration, the engine's request, the base class.

A connector is a class registered through the `register_connectors` hook. The engine builds one
instance per source listed in kpi.yaml, asks it which variables and dimensions it provides, then
calls `fetch(request)` with the variables, grain, dimensions and dates it needs. `fetch` returns a
`Frame`: one row per date (or per period, if the connector aggregates) and segment.
"""

from __future__ import annotations

import datetime as dt
import glob
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from .errors import KpiError, Location, suggestion
from .model import Aggregate
from .table import Frame

__all__ = ["Connector", "Frame", "Mapping", "Option", "Request", "SourceConfig"]


@dataclass(frozen=True)
class Option:
    """One documented option of a connector (shown by `kpi connectors`)."""

    name: str
    help: str
    required: bool = False
    default: Any = None


@dataclass
class Mapping:
    """How one workspace variable comes out of a source.

    `column`: sum (or last, ... by the variable's aggregate rule) that column;
    `count`: count rows; `where`: only rows whose columns hold one of the listed values;
    `scale`: multiply values (1e-6 for `cost_micros`); `currency`: the column's currency;
    `date`: the column that dates this variable (deals won by close date, created by create date).
    """

    variable: str
    location: Location
    column: str | None = None
    count: bool = False
    where: dict[str, list[str]] = field(default_factory=dict)
    scale: float = 1.0
    currency: str | None = None
    date: str | None = None  # the column dating this variable, when not the source's date


@dataclass
class SourceConfig:
    """A source as kpi.yaml declares it, with the positions needed for error messages."""

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

    def where(self, key: str | None = None) -> Location:
        return self.option_locations.get(key, self.location) if key else self.location

    def error(self, message: str, key: str | None = None, fix: str | None = None) -> KpiError:
        """A KpiError about this source, located at `key` in kpi.yaml."""
        return KpiError(f"source `{self.name}`: {message}", self.where(key), fix)

    def paths(self, key: str = "path") -> list[Path]:
        """The files an option names (a path or a glob, relative to the workspace), sorted."""
        pattern = self.options.get(key)
        if not pattern:
            raise self.error(f"option `{key}` is required", fix=f"add `{key}: FILE.csv`")
        full = Path(str(pattern)).expanduser()
        if not full.is_absolute():
            full = self.root / full
        matches = sorted(Path(p) for p in glob.glob(str(full), recursive=True))
        files = [p for p in matches if p.is_file()]
        if not files:
            raise self.error(f"no file matches `{pattern}` (looked in {full.parent})", key)
        return files


@dataclass
class Request:
    """What the engine asks a source for."""

    variables: dict[str, Aggregate]
    grain: str
    dimensions: list[str]
    start: dt.date | None = None
    end: dt.date | None = None


class Connector:
    """Base class of connectors: set `name`, `description`, `options`; implement `fetch`."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    options: ClassVar[tuple[Option, ...]] = ()
    #: True when the connector honours `date:` in a variable's mapping.
    mapping_dates: ClassVar[bool] = False

    def __init__(self, config: SourceConfig):
        self.config = config
        self.check_options()

    def check_options(self) -> None:
        """Reject unknown options (with a suggestion) and missing required ones."""
        known = {o.name for o in self.options}
        for key in self.config.options:
            if key not in known:
                raise self.config.error(
                    f"connector `{self.name}` has no option `{key}`{suggestion(key, known)}",
                    key,
                    f"options: {', '.join(sorted(known)) or 'none'}",
                )
        for option in self.options:
            if option.required and option.name not in self.config.options:
                raise self.config.error(f"option `{option.name}` is required ({option.help})")

    def option(self, name: str) -> Any:
        """An option's value, or its default."""
        for option in self.options:
            if option.name == name:
                return self.config.options.get(name, option.default)
        raise KeyError(name)

    def provides(self) -> set[str]:
        """The workspace variables this source can give (by default: those mapped)."""
        return set(self.config.mappings)

    def dimensions(self) -> set[str]:
        """The workspace dimensions this source can break its variables down by."""
        return set(self.config.dimensions)

    def fetch(self, request: Request) -> Frame:
        """Return the requested variables by date (or period) and requested dimensions."""
        raise NotImplementedError
