"""The loaded workspace: settings, variables, KPIs, worked examples and targets, with locations."""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .additivity import UNDECIDED, Linear, linear_form
from .errors import ERROR, Finding, KpiError, Location
from .formula import Formula, symbol
from .graph import closure, topological_order
from .periods import Calendar
from .sourceconfig import SourceConfig
from .units import Unit, UnitSystem

if TYPE_CHECKING:
    import sympy

DISTINCT = "distinct"  # a count of distinct entities: never added up across dates or segments
AGGREGATES = ("sum", "mean", "last", "first", "min", "max", DISTINCT)
SEGMENT_AGGREGATES = ("sum", "mean", "min", "max")
FORMATS = ("number", "integer", "percent", "currency", "multiple")
DIRECTIONS = ("higher", "lower", "none")
DEFAULT_LOCALE = "en"
DEFAULT_AT_RISK = 0.1
BUILTIN = "built-in"
WORKSPACE = "workspace"

Text = dict[str, str]  # locale -> text


def localized(text: Text | None, locale: str = DEFAULT_LOCALE) -> str:
    """The text in `locale`, else its language, else English, else any; '' when absent."""
    if not text:
        return ""
    if locale in text:
        return text[locale]
    language = locale.split("-")[0]
    for key in (language, DEFAULT_LOCALE):
        if key in text:
            return text[key]
    return next(iter(text.values()))


def title_from_id(kpi_id: str) -> str:
    """`cost_per_mql` -> `Cost per mql`: the title of a KPI written without one."""
    words = kpi_id.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else kpi_id


@dataclass(frozen=True)
class Aggregate:
    """How a variable rolls up: over time within a period, then across segments."""

    time: str = "sum"
    segments: str = "sum"

    def __str__(self) -> str:
        if self.time == self.segments:
            return self.time
        return f"time: {self.time}, segments: {self.segments}"


@dataclass
class Variable:
    id: str
    unit_text: str
    unit: Unit | None
    aggregate: Aggregate
    title: Text
    description: Text
    location: Location
    layer: str
    overrides: Location | None = None
    otherwise: str | None = None  # read in its place when no source gives it


def otherwise_chain(variables: Mapping[str, Variable], name: str) -> list[str]:
    """The names `name`'s `otherwise:` leads to, in order (`a: {otherwise: b}`, `b: {otherwise:
    c}`: [b, c]); it stops after a name that is no variable or that came before (a loop)."""
    chain = [name]
    current = variables[name].otherwise if name in variables else None
    while current is not None:
        chain.append(current)
        if current not in variables or current in chain[:-1]:
            break
        current = variables[current].otherwise
    return chain[1:]


@dataclass
class Parameter:
    """An assumption (a gross margin, a customer lifetime): a number, or numbers by period,
    the same in every segment; formulas read it like a variable, no source provides it."""

    id: str
    unit_text: str
    unit: Unit | None
    constant: float | None  # None when the value changes by period
    by_period: tuple[tuple[dt.date, float], ...]  # (start, value from then on), sorted
    title: Text
    description: Text
    location: Location
    layer: str
    overrides: Location | None = None

    def value_at(self, day: dt.date) -> float | None:
        """The value on `day` (None before the first period start given)."""
        if self.constant is not None:
            return self.constant
        found = None
        for start, value in self.by_period:
            if start <= day:
                found = value
        return found

    def value_text(self) -> str:
        if self.constant is not None:
            return f"{self.constant:g}"
        return ", ".join(f"{v:g} from {s.isoformat()}" for s, v in self.by_period)


@dataclass
class Reference:
    """Where a KPI's definition comes from: a published article, with its title and language."""

    id: str
    title: str
    language: str
    location: Location
    published: str = ""


#: The built-in name formulas read for the number of periods in a year at the grain evaluated
PERIODS_PER_YEAR = "periods_per_year"


@dataclass
class Example:
    given: dict[str, float]
    expect: float
    tolerance: float
    location: Location
    reported: float | None = None
    note: Text = field(default_factory=dict)
    source: str = ""


@dataclass
class TargetSpec:
    """A KPI target: a constant, values by period label, or annual values split over the year."""

    location: Location
    constant: float | None = None
    by_period: dict[str, float] = field(default_factory=dict)
    annual: dict[str, float] = field(default_factory=dict)
    split: list[float] | None = None  # 12 monthly weights; None means even


@dataclass
class KPI:
    id: str
    title: Text
    description: Text
    formula_text: str
    formula: Formula | None
    unit_text: str
    unit: Unit | None
    format: str
    direction: str
    location: Location
    layer: str
    decimals: int | None = None
    target: TargetSpec | None = None
    at_risk: float | None = None
    examples: list[Example] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    notes: Text = field(default_factory=dict)
    allow: dict[str, str] = field(default_factory=dict)
    formula_location: Location | None = None
    inferred_unit: Unit | None = None
    overrides: Location | None = None
    findings: list[Finding] = field(default_factory=list)
    #: The values the KPI can take (`range: [0, 1]` for a share); None: no bound
    range: tuple[float | None, float | None] | None = None

    @property
    def evaluable(self) -> bool:
        """False when the formula could not be parsed or resolved."""
        return self.formula is not None and not any(f.blocking for f in self.findings)

    @property
    def sound(self) -> bool:
        """Evaluable, and no load-stage finding says its values would be wrong (unlike units
        added, a per-year rate times months) unless the KPI allows its code: what runs evaluate."""
        return self.evaluable and not any(
            f.withholds and f.code not in self.allow for f in self.findings
        )

    def title_in(self, locale: str = DEFAULT_LOCALE) -> str:
        """The title in `locale`; without any, one made from the id (`Cost per mql`)."""
        return localized(self.title, locale) or title_from_id(self.id)


@dataclass
class ReportDefaults:
    """kpi.yaml's `report:` key: what `kpi report` shows unless told otherwise."""

    by: list[str] = field(default_factory=list)  # dimensions to break down by
    kpis: list[str] = field(default_factory=list)  # KPIs to show (default: those evaluated)
    title: str = ""  # the report's title (default: the workspace name)
    by_location: Location | None = None  # where `by` is written, for its errors


@dataclass
class Settings:
    """What kpi.yaml says; every key is optional."""

    name: str = ""
    description: str = ""
    currency: str | None = None
    locale: str = "en"
    kpis: list[str] = field(default_factory=list)
    kpis_location: Location | None = None
    data: Path | None = None
    grain: str = "month"
    at_risk: float = DEFAULT_AT_RISK
    units: list[str] = field(default_factory=list)
    targets: dict[str, TargetSpec] = field(default_factory=dict)
    target_locations: dict[str, Location] = field(default_factory=dict)
    sources: list[SourceConfig] = field(default_factory=list)
    choose: dict[str, str] = field(default_factory=dict)
    choose_location: Location | None = None
    fiscal_year_start: int = 1  # the month years and quarters start in
    week_start: str = "monday"
    report: ReportDefaults = field(default_factory=ReportDefaults)
    #: kpi.yaml's `parameters:` as (entry, name, location), merged over the definitions'
    parameters: list[tuple[object, str, Location]] = field(default_factory=list)


@dataclass
class Workspace:
    """Definitions ready to evaluate, with every finding met while loading them."""

    root: Path | None
    settings: Settings
    units: UnitSystem
    variables: dict[str, Variable]
    kpis: dict[str, KPI]
    findings: list[Finding] = field(default_factory=list)
    parameters: dict[str, Parameter] = field(default_factory=dict)
    references: dict[str, Reference] = field(default_factory=dict)
    _additive: dict[str, bool] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.settings.name or (self.root.name if self.root else "kpiengine")

    @cached_property
    def calendar(self) -> Calendar:
        """When the workspace's years, quarters and weeks start."""
        return Calendar(self.settings.fiscal_year_start, self.settings.week_start)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @cached_property
    def deps(self) -> dict[str, set[str]]:
        """KPI id -> the variable and KPI ids its formula names (shifted names included)."""
        return {k.id: set(k.formula.names) if k.formula else set() for k in self.kpis.values()}

    @cached_property
    def order(self) -> list[str]:
        """KPI ids in evaluation order (dependencies first); KPIs on cycles are left out."""
        return topological_order(
            {k: {d for d in v if d in self.kpis} for k, v in self.deps.items()}
        )

    def inputs_of(self, kpi_id: str) -> set[str]:
        """The raw variables a KPI needs from the data, through every KPI it depends on
        (parameters and `periods_per_year` are not data: see `parameters_of`)."""
        return {n for n in closure(kpi_id, self.deps) if self.is_data(n)}

    def parameters_of(self, kpi_id: str) -> set[str]:
        """The parameters (and `periods_per_year`) a KPI reads, through every KPI it uses."""
        return {
            n for n in closure(kpi_id, self.deps) if n in self.parameters or n == PERIODS_PER_YEAR
        }

    def is_data(self, name: str) -> bool:
        """True for a name the sources provide (not a KPI, a parameter or a built-in)."""
        return name not in self.kpis and name not in self.parameters and name != PERIODS_PER_YEAR

    def blocked_by(self, kpi_id: str) -> str | None:
        """The KPI (this one or one it depends on) whose definition errors stop evaluation."""
        if kpi_id not in self.order:
            return kpi_id
        for name in [kpi_id, *sorted(self.kpi_deps_of(kpi_id))]:
            if not self.kpis[name].sound:
                return name
        return None

    def stand_in(self, name: str, available: set[str] | frozenset[str]) -> str | None:
        """The variable read in place of `name`: the first of its `otherwise:` chain that is
        `available` (`a: {otherwise: b}`, `b: {otherwise: c}`: b, else c); None for none."""
        chain = otherwise_chain(self.variables, name)
        return next((n for n in chain if n in available and n != name), None)

    def kpi_deps_of(self, kpi_id: str) -> set[str]:
        return {n for n in closure(kpi_id, self.deps) if n in self.kpis}

    def expanded(self, kpi_id: str) -> sympy.Expr:
        """The KPI's formula with every KPI it names replaced by its own formula."""
        kpi = self.kpis[kpi_id]
        if kpi.formula is None:
            raise KpiError(f"KPI `{kpi_id}` has no usable formula")
        expr = kpi.formula.expr
        inner = {symbol(n): self.expanded(n) for n in kpi.formula.names if n in self.kpis}
        return expr.xreplace(inner) if inner else expr

    def is_additive(self, kpi_id: str) -> bool:
        """True for a linear combination of summed variables (revenue, leads): targets add up."""
        if kpi_id not in self._additive:
            self._additive[kpi_id] = self._linear_in_sums(kpi_id)
        return self._additive[kpi_id]

    def _linear_in_sums(self, kpi_id: str) -> bool:
        kpi = self.kpis[kpi_id]
        if kpi.formula is None or kpi.formula.shifts:
            return False
        try:
            part = linear_form(kpi.formula.tree, self._kpi_tree)
        except KpiError:
            return False
        if part == UNDECIDED:
            return self._linear_by_sympy(kpi_id)
        return isinstance(part, Linear) and self._summed(part.coefficients) and part.constant == 0

    def _kpi_tree(self, name: str) -> ast.expr | None:
        """The formula tree of a KPI a formula names; None for a variable."""
        if name not in self.kpis:
            return None
        formula = self.kpis[name].formula
        if formula is None:
            raise KpiError(f"KPI `{name}` has no usable formula")
        return formula.tree

    def _summed(self, names: Iterable[str]) -> bool:
        """Some names, each a variable summed over time and across segments."""
        names = list(names)
        return bool(names) and all(
            n in self.variables and self.variables[n].aggregate == Aggregate() for n in names
        )

    def _linear_by_sympy(self, kpi_id: str) -> bool:
        """`_linear_in_sums` on the expanded sympy expression (see `additivity`)."""
        try:
            expr = self.expanded(kpi_id)
        except (KpiError, RecursionError):
            return False
        if not self._summed(s.name for s in expr.free_symbols):
            return False
        import sympy  # noqa: PLC0415 - loading and evaluating need no sympy (see formula)

        poly = (
            sympy.Poly(expr, *sorted(expr.free_symbols, key=str)) if expr.is_polynomial() else None
        )
        return (
            poly is not None
            and poly.total_degree() == 1
            and expr.subs({s: 0 for s in expr.free_symbols}) == 0
        )

    def at_risk_band(self, kpi: KPI) -> float:
        return kpi.at_risk if kpi.at_risk is not None else self.settings.at_risk

    @cached_property
    def aliases(self) -> dict[str, str]:
        """Alias -> the id of the KPI that declares it."""
        return {alias: kpi.id for kpi in self.kpis.values() for alias in kpi.aliases}

    def kpi_for_alias(self, name: str) -> KPI | None:
        kpi_id = self.aliases.get(name)
        return self.kpis[kpi_id] if kpi_id is not None else None

    def unit_of(self, name: str) -> Unit | None:
        """The declared unit of a variable or KPI (None when unknown or unreadable)."""
        if name in self.variables:
            return self.variables[name].unit
        if name in self.kpis:
            return self.kpis[name].unit
        if name in self.parameters:
            return self.parameters[name].unit
        if name == PERIODS_PER_YEAR:
            return self.units.parse("ratio")
        return None
