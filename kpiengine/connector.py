"""The connector contract: a source's configuration, the engine's request, the base class.

A connector is a class registered through the `register_connectors` hook. The engine builds one
instance per source listed in kpi.yaml, asks it which variables and dimensions it provides, then
calls `fetch(request)` with the variables, grain, dimensions and dates it needs. `fetch` returns a
`Frame`: one row per date (or per period, if the connector aggregates) and segment.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from .errors import DefinitionError, KpiError, Location, suggestion
from .model import Aggregate, Workspace
from .periods import DEFAULT, Calendar
from .sourceconfig import Mapping, SourceConfig, kind_of
from .table import Frame
from .units import CURRENCY, Unit

if TYPE_CHECKING:
    from .checks.base import Check

__all__ = [
    "Connector",
    "Frame",
    "KINDS",
    "Mapping",
    "NoDailyValues",
    "Option",
    "OptionError",
    "Request",
    "SourceConfig",
    "SqlGenerating",
    "quantities",
    "quantity_of",
]


class NoDailyValues(KpiError):
    """Raised by `fetch` for a request that its rows cannot answer because they are not days
    (a row covering 1 to 14 February is no set of days, nor in one week). Asked for by the
    engine to pace a partial period, that period is left unprojected; asked for by the user,
    the source's variables are left out with a finding (KPI015)."""


#: The kinds of value an `Option` may declare (`kind=`), as a message says what is expected:
#: `text` (a number is no text: `date_format: 5`); `name` (of a column, table, variable: text,
#: or a number written as a name, `2024`); `path` (a file or a glob, text or a number);
#: `whole_number` (0, 1, 2...); `number`; `boolean`; `names` (a name or a list of names);
#: `mapping` (names to names, e.g. role -> column). Text, names and paths are never empty.
KINDS: dict[str, str] = {
    "text": "text",
    "name": "a name (text)",
    "path": "the path of a file, or a pattern such as `exports/*.csv` (text)",
    "whole_number": "a whole number (0 or more)",
    "number": "a number",
    "boolean": "true or false",
    "names": "a name or a list of names",
    "mapping": "a mapping of names to names",
}


class OptionError(KpiError):
    """A source's option whose value is not of its `Option`'s kind or choices (a bad value in
    kpi.yaml, as KPI003 reports them), located at the value."""

    def stopping(self, check: type[Check]) -> DefinitionError:
        """The error as the finding of `check` (KPI003's) that stops the command."""
        return DefinitionError([check.finding(self.message, None, self.location, fix=self.fix)])


@dataclass(frozen=True)
class Option:
    """One documented option of a connector (shown by `kpi connectors`).

    `kind` (one of `KINDS`) is the kind of value it takes, checked with the option's position
    in kpi.yaml before the connector reads it (None: the connector checks it itself); a value
    of a declared kind is also one of `choices` when they are given. `expected` says what the
    value is after the option's name in a message (`maps table names to files`; default: its
    kind's, `is text`). Null is no value: the option's default."""

    name: str
    help: str
    required: bool = False
    default: Any = None
    kind: str | None = None
    choices: tuple[str, ...] = ()
    expected: str = ""

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in KINDS:
            raise ValueError(
                f"option `{self.name}`: unknown kind `{self.kind}` ({', '.join(KINDS)})"
            )


@dataclass
class Request:
    """What the engine asks a source for.

    `windows` (optional to answer): distinct counts (`aggregate: distinct`) read over windows,
    variable -> tokens (`ytd`, `qtd`, `mtd`, `rolling3`). A connector that counts the ids itself
    may answer with a column `VARIABLE__TOKEN` (`visitors__ytd`): the ids counted once from the
    window's first day to the end of each period, per segment and for the total (`totals`), on
    rows of their own (the variables NaN there; a row with such a value is read for windows
    only). A window left unanswered is undefined, with the reason (see `kpiengine.distinct`).

    `quantities` (optional to use): what each variable's number column holds, from its unit
    (`quantity_of`): `amount` (money), `count` (a counted entity), `rate` (a ratio); absent or
    "" when the unit says nothing. A connector reading text cells may pass it to
    `cellreader.Reader(..., quantity=...)`, so that `45%` in a column of amounts, or `€45` in
    one of counts, is an error at its cell rather than a number taken for another.
    """

    variables: dict[str, Aggregate]
    grain: str
    dimensions: list[str]
    start: dt.date | None = None
    end: dt.date | None = None
    calendar: Calendar = DEFAULT  # a connector that aggregates uses its weeks and fiscal years
    windows: dict[str, tuple[str, ...]] = field(default_factory=dict)
    quantities: dict[str, str] = field(default_factory=dict)  # variable -> `quantity_of`


def quantity_of(unit: Unit | None, entities: Iterable[str]) -> str:
    """What a number column of a variable of `unit` holds (`fileformats.quantities`): `amount`
    for money (`currency`, `EUR`), `rate` for a ratio, `count` for one of the counted
    `entities` (`clicks`, `1000 impressions`), "" for anything else (a duration, a compound
    unit such as `currency / clicks`, an unknown one): no check."""
    if unit is None:
        return ""
    if unit.dimensionless:
        return "rate" if unit.scale == 1 else ""
    [(name, power), *rest] = unit.dims
    if rest or power != 1:
        return ""
    if name == CURRENCY or name.startswith(f"{CURRENCY}:"):
        return "amount"
    return "count" if name in set(entities) else ""


def quantities(workspace: Workspace, variables: Iterable[str]) -> dict[str, str]:
    """`Request.quantities`: what the number column of each of `variables` holds."""
    entities = workspace.units.entities
    kinds = {v: quantity_of(workspace.unit_of(v), entities) for v in variables}
    return {v: kind for v, kind in kinds.items() if kind}


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
        """Reject unknown options (with a suggestion), missing required ones, and values not of
        their option's declared kind or choices (`OptionError`, at the value's position)."""
        known = {o.name for o in self.options}
        for key in self.config.options:
            if key not in known:
                raise self.config.error(
                    f"connector `{self.name}` has no option `{key}`{suggestion(key, known)}",
                    key,
                    f"options: {', '.join(sorted(known)) or 'none'}",
                )
        for option in self.options:
            value = self.config.options.get(option.name)
            if value is None:
                if option.required:
                    raise self.config.error(
                        f"option `{option.name}` is required ({option.help})", option.name
                    )
                continue
            if option.kind is not None:
                self._check_kind(option, value)

    def _check_kind(self, option: Option, value: Any) -> None:
        key, kind = option.name, str(option.kind)
        if kind == "names" and isinstance(value, list):
            for i, item in enumerate(value):
                if _bad("name", item):
                    where = value.item_loc(i) if hasattr(value, "item_loc") else None
                    raise self._bad_value(option, f"its item {i + 1} is {_said(item)}", where)
        elif kind == "mapping" and isinstance(value, dict):
            for item, target in value.items():
                if isinstance(item, bool) or item is None:
                    where = value.key_loc(item) if hasattr(value, "key_loc") else None
                    raise self._bad_value(option, f"a key is {_said(item)}", where)
                if _bad("name", target):
                    where = value.value_loc(item) if hasattr(value, "value_loc") else None
                    raise self._bad_value(option, f"`{item}` maps to {_said(target)}", where)
        elif _bad(kind, value):
            raise self._bad_value(option, f"not {_said(value)}", value=value)
        elif option.choices and value not in option.choices:
            listed = ", ".join(f"`{c}`" for c in option.choices)
            raise self._error(
                f"`{key}` is one of {listed}, not {_said(value)}"
                f"{suggestion(str(value), option.choices)}",
                key,
                f"`{key}`: {option.help}",
            )

    def _bad_value(
        self, option: Option, said: str, where: Location | None = None, value: Any = None
    ) -> OptionError:
        """The option's `value` (or its item or key at `where`) is not of its kind."""
        joint = ", " if said.startswith("not ") else ": "
        fix = f"`{option.name}`: {option.help}"
        if "true/false" in said and option.kind not in ("whole_number", "number", "boolean"):
            fix = f"write it in quotes (YAML reads yes, no, on, off as true/false); {fix}"
        quoted = isinstance(value, str) and value.strip().lstrip("-").isdigit()
        if quoted and option.kind in ("whole_number", "number"):  # `skip: '2'`
            fix = f"write the number without quotes, `{option.name}: {value.strip()}`; {fix}"
        expected = option.expected or f"is {KINDS[str(option.kind)]}"
        return self._error(f"`{option.name}` {expected}{joint}{said}", option.name, fix, where)

    def _error(
        self, message: str, key: str, fix: str, where: Location | None = None
    ) -> OptionError:
        """The error about this source's option `key`, located at it (or at `where`)."""
        located = where or self.config.where(key)
        return OptionError(f"source `{self.config.name}`: {message}", located, fix)

    def option(self, name: str) -> Any:
        """An option's value, or its default (also when kpi.yaml gives it no value, null)."""
        for option in self.options:
            if option.name == name:
                value = self.config.options.get(name)
                return option.default if value is None else value
        raise KeyError(name)

    def provides(self) -> set[str]:
        """The workspace variables this source can give (by default: those mapped)."""
        return set(self.config.mappings)

    def dimensions(self) -> set[str]:
        """The workspace dimensions this source can break its variables down by."""
        return set(self.config.dimensions)

    def unread(self) -> KpiError | None:
        """What the source holds but cannot read (headers it does not know), with how to map
        it: said when KPIs lack inputs; None by default."""
        return None

    def fetch(self, request: Request) -> Frame:
        """Return the requested variables by date (or period) and requested dimensions."""
        raise NotImplementedError


def _bad(kind: str, value: Any) -> bool:
    """True when `value` (not None) is not of `kind` (one of `KINDS`)."""
    if kind in ("text", "name", "path", "names"):
        typed = str if kind == "text" else (str, int)
        return isinstance(value, bool) or not isinstance(value, typed) or not str(value).strip()
    if kind == "whole_number":
        return isinstance(value, bool) or not isinstance(value, int) or value < 0
    if kind == "number":
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return not number or not math.isfinite(value)
    if kind == "boolean":
        return not isinstance(value, bool)
    return not isinstance(value, dict)  # mapping


def _said(value: Any) -> str:
    """A wrong value as a message says it: `the text `2``, `a list`, `1.5`..."""
    if isinstance(value, str) and value.strip():
        shown = value if len(value) <= 40 else value[:39] + "…"
        return f"the text `{shown}`"
    return "empty text" if isinstance(value, str) else kind_of(value)


@runtime_checkable
class SqlGenerating(Protocol):
    """A connector that pushes the aggregation down as SQL (`kpi sql` prints its query)."""

    dialect: str

    def sql(self, request: Request) -> str: ...
