"""The connector contract: a source's configuration, the engine's request, the base class.

A connector is a class registered through the `register_connectors` hook. The engine builds one
instance per source listed in kpi.yaml, asks it which variables and dimensions it provides, then
calls `fetch(request)` with the variables, grain, dimensions and dates it needs. `fetch` returns a
`Frame`: one row per date (or per period, if the connector aggregates) and segment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from .errors import KpiError, suggestion
from .model import Aggregate
from .periods import DEFAULT, Calendar
from .sourceconfig import Mapping, SourceConfig
from .table import Frame

__all__ = [
    "Connector",
    "Frame",
    "Mapping",
    "NoDailyValues",
    "Option",
    "Request",
    "SourceConfig",
    "SqlGenerating",
]


class NoDailyValues(KpiError):
    """Raised by `fetch` for a request that its rows cannot answer because they are not days
    (a row covering 1 to 14 February is no set of days, nor in one week). Asked for by the
    engine to pace a partial period, that period is left unprojected; asked for by the user,
    the source's variables are left out with a finding (KPI015)."""


@dataclass(frozen=True)
class Option:
    """One documented option of a connector (shown by `kpi connectors`)."""

    name: str
    help: str
    required: bool = False
    default: Any = None


@dataclass
class Request:
    """What the engine asks a source for.

    `windows` (optional to answer): distinct counts (`aggregate: distinct`) read over windows,
    variable -> tokens (`ytd`, `qtd`, `mtd`, `rolling3`). A connector that counts the ids itself
    may answer with a column `VARIABLE__TOKEN` (`visitors__ytd`): the ids counted once from the
    window's first day to the end of each period, per segment and for the total (`totals`), on
    rows of their own (the variables NaN there; a row with such a value is read for windows
    only). A window left unanswered is undefined, with the reason (see `kpiengine.distinct`).
    """

    variables: dict[str, Aggregate]
    grain: str
    dimensions: list[str]
    start: dt.date | None = None
    end: dt.date | None = None
    calendar: Calendar = DEFAULT  # a connector that aggregates uses its weeks and fiscal years
    windows: dict[str, tuple[str, ...]] = field(default_factory=dict)


class Connector:
    """Base class of connectors: set `name`, `description`, `options`; implement `fetch`."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    options: ClassVar[tuple[Option, ...]] = ()
    #: True when the connector honours `date:` in a variable's mapping.
    mapping_dates: ClassVar[bool] = False
    #: True when the connector renames dimension values (`values:`) before it aggregates (a
    #: mean of a merged segment reads all its rows); else the engine renames its answer.
    renames_values: ClassVar[bool] = False
    #: Values the engine never prints (a password from the environment): shown as `***`.
    secrets: tuple[str, ...] = ()

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


@runtime_checkable
class SqlGenerating(Protocol):
    """A connector that pushes the aggregation down as SQL (`kpi sql` prints its query)."""

    dialect: str

    def sql(self, request: Request) -> str: ...
