"""The loaded definitions: variables, KPIs, worked examples and targets, with their locations."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import Finding, Location
from .formula import Formula
from .units import Unit

AGGREGATES = ("sum", "mean", "last", "first", "min", "max")
SEGMENT_AGGREGATES = ("sum", "mean", "min", "max")
FORMATS = ("number", "integer", "percent", "currency", "multiple")
DIRECTIONS = ("higher", "lower", "none")
DEFAULT_LOCALE = "en"

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


@dataclass
class Example:
    given: dict[str, float]
    expect: float
    tolerance: float
    location: Location
    reported: float | None = None
    note: str = ""
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

    @property
    def evaluable(self) -> bool:
        """False when the formula could not be parsed or resolved."""
        return self.formula is not None and not any(f.code in BLOCKING for f in self.findings)

    def title_in(self, locale: str = DEFAULT_LOCALE) -> str:
        return localized(self.title, locale) or self.id


#: Finding codes that leave a KPI without a usable formula.
BLOCKING = frozenset({"KPI003", "KPI005", "KPI006", "KPI007", "KPI008"})
