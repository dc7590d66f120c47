"""Load a workspace: kpi.yaml settings, then built-in definitions, then the workspace's own."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import sympy

from .connector import SourceConfig
from .errors import ERROR, Finding, KpiError, Location, suggestion
from .formula import symbol
from .graph import closure, topological_order
from .model import KPI, Aggregate, TargetSpec, Variable
from .resources import builtin_definitions
from .schema import (
    Checker,
    FileDefinitions,
    build_kpi,
    build_variable,
    parse_target,
    read_file,
)
from .sources import data_file_source, parse_sources
from .targets import DEFAULT_AT_RISK
from .units import UnitSystem
from .yamlio import YList, YMap, load_yaml, parse_yaml

SETTINGS_KEYS = (
    "name",
    "description",
    "currency",
    "locale",
    "kpis",
    "data",
    "grain",
    "at_risk",
    "units",
    "targets",
    "sources",
    "choose",
)
BUILTIN = "built-in"
WORKSPACE = "workspace"


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


@dataclass
class Workspace:
    """Definitions ready to evaluate, with every finding met while loading them."""

    root: Path | None
    settings: Settings
    units: UnitSystem
    variables: dict[str, Variable]
    kpis: dict[str, KPI]
    findings: list[Finding] = field(default_factory=list)
    _additive: dict[str, bool] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.settings.name or (self.root.name if self.root else "kpiengine")

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
        """The raw variables a KPI needs, through every KPI it depends on."""
        return {n for n in closure(kpi_id, self.deps) if n not in self.kpis}

    def blocked_by(self, kpi_id: str) -> str | None:
        """The KPI (this one or one it depends on) whose definition errors stop evaluation."""
        if kpi_id not in self.order:
            return kpi_id
        for name in [kpi_id, *sorted(self.kpi_deps_of(kpi_id))]:
            if not self.kpis[name].evaluable:
                return name
        return None

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
            expr = self.expanded(kpi_id)
        except (KpiError, RecursionError):
            return False
        names = [s.name for s in expr.free_symbols]
        if not names or any(n not in self.variables for n in names):
            return False
        if any(self.variables[n].aggregate != Aggregate() for n in names):
            return False
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

    def kpi_for_alias(self, name: str) -> KPI | None:
        for kpi in self.kpis.values():
            if name in kpi.aliases:
                return kpi
        return None


def _read_settings(root: Path, checker: Checker) -> Settings:
    path = root / "kpi.yaml"
    settings = Settings()
    if not path.exists():
        return settings
    data = load_yaml(path)
    if data is None:
        return settings
    if not checker.mapping(data, Location(str(path), 1, 1), "kpi.yaml"):
        return settings
    checker.keys(data, SETTINGS_KEYS, "kpi.yaml")
    for key in ("name", "description", "locale", "grain"):
        if key in data:
            setattr(settings, key, str(data[key]))
    if "currency" in data:
        currency = str(data["currency"])
        if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
            checker.error(
                "KPI003",
                "`currency` must be an ISO 4217 code such as EUR",
                data.value_loc("currency"),
            )
        else:
            settings.currency = currency
    if "kpis" in data:
        kpis = data["kpis"]
        if isinstance(kpis, YList) and all(isinstance(k, str) for k in kpis):
            settings.kpis = list(kpis)
            settings.kpis_location = data.value_loc("kpis")
        else:
            checker.error("KPI003", "`kpis` must be a list of KPI ids", data.value_loc("kpis"))
    if "data" in data:
        settings.data = root / str(data["data"])
    settings.sources = parse_sources(
        data.get("sources"), data.value_loc("sources"), root, settings.currency
    )
    if settings.data is not None:
        settings.sources.append(data_file_source(settings.data, root, settings.currency))
    choose = data.get("choose")
    if choose is not None:
        if isinstance(choose, YMap) and all(isinstance(v, str) for v in choose.values()):
            settings.choose = {str(k): v for k, v in choose.items()}
            settings.choose_location = data.value_loc("choose")
        else:
            checker.error(
                "KPI003", "`choose` maps variables to source names", data.value_loc("choose")
            )
    if "at_risk" in data:
        value = checker.number(data, "at_risk", "kpi.yaml")
        if value is not None and 0 <= value < 1:
            settings.at_risk = value
        else:
            checker.error(
                "KPI003",
                "`at_risk` is a fraction of the target, from 0 to 1",
                data.value_loc("at_risk"),
            )
    if "units" in data:
        units = data["units"]
        if isinstance(units, YList) and all(isinstance(u, str) for u in units):
            settings.units = list(units)
        else:
            checker.error("KPI003", "`units` must be a list of names", data.value_loc("units"))
    targets = data.get("targets")
    if targets is not None and checker.mapping(targets, data.value_loc("targets"), "`targets`"):
        for name, value in targets.items():
            spec = parse_target(value, targets.value_loc(name), str(name), checker)
            if spec is not None:
                settings.targets[str(name)] = spec
                settings.target_locations[str(name)] = targets.key_loc(name)
    return settings


def _workspace_files(root: Path) -> list[tuple[str, Any]]:
    folder = root / "definitions"
    if not folder.is_dir():
        return []
    paths = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    return [(str(p), load_yaml(p)) for p in paths]


def _builtin_files() -> list[tuple[str, Any]]:
    return [(name, parse_yaml(text, name)) for name, text in builtin_definitions()]


def load_workspace(path: str | Path | None = None, *, builtins: bool = True) -> Workspace:
    """Load the workspace at `path` (a folder; None for built-in definitions only)."""
    from .validate import validate  # noqa: PLC0415 - validate imports this module

    checker = Checker()
    root = Path(path) if path is not None else None
    if root is not None and not root.is_dir():
        raise KpiError(f"workspace folder not found: {root}")
    settings = _read_settings(root, checker) if root else Settings()
    layers: list[tuple[str, list[tuple[str, Any]]]] = []
    if builtins:
        layers.append((BUILTIN, _builtin_files()))
    if root is not None:
        layers.append((WORKSPACE, _workspace_files(root)))

    parsed = [
        (layer, name, read_file(data, name, checker))
        for layer, files in layers
        for name, data in files
    ]
    extra_units = frozenset(settings.units) | frozenset(
        u for _, _, defs in parsed for u in defs.units
    )
    units = UnitSystem(settings.currency, extra_units)
    variables, kpis = _merge(parsed, units, checker)
    for name, spec in settings.targets.items():
        if name in kpis:
            kpis[name].target = spec
        else:
            checker.error(
                "KPI003",
                f"target for unknown KPI `{name}`{suggestion(name, kpis)}",
                settings.target_locations[name],
            )
    workspace = Workspace(root, settings, units, variables, kpis, checker.findings)
    validate(workspace)
    return workspace


def _merge(
    parsed: list[tuple[str, str, FileDefinitions]], units: UnitSystem, checker: Checker
) -> tuple[dict[str, Variable], dict[str, KPI]]:
    """Build every entry; a later layer replaces an id, the same layer may not repeat it."""
    variables: dict[str, Variable] = {}
    kpis: dict[str, KPI] = {}
    seen: dict[str, tuple[str, Location]] = {}  # id -> (layer, location) of the current owner
    for layer, _file, defs in parsed:
        entries: list[tuple[YMap, str, bool]] = [(e, n, False) for e, n in defs.variables]
        entries += [(e, n, True) for e, n in defs.kpis]
        for entry, name, is_kpi in entries:
            previous = seen.get(name)
            if previous and previous[0] == layer:
                checker.error(
                    "KPI004",
                    f"`{name}` is defined twice: here and at {previous[1]}",
                    entry.loc,
                    name if is_kpi else None,
                    "rename one of them, or override a built-in from the workspace's definitions",
                )
                continue
            overrides = previous[1] if previous else None
            variables.pop(name, None)
            kpis.pop(name, None)
            if is_kpi:
                kpis[name] = build_kpi(name, entry, layer, units, checker)
                kpis[name].overrides = overrides
            else:
                variables[name] = build_variable(name, entry, layer, units, checker)
                variables[name].overrides = overrides
            seen[name] = (layer, entry.loc)
    return variables, kpis
