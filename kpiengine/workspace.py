"""Load a workspace: kpi.yaml settings, then built-in definitions, then the workspace's own.

Reading reports KPI002-KPI005/KPI008/KPI010 as it goes; the load-stage checks (names, cycles,
units, worked examples) then run through the one check runner.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .checker import Checker
from .checks.base import WARNING
from .checks.definitions import BadValue, DuplicateId, UnknownKey
from .checks.runner import run_load_checks
from .errors import DefinitionError, KpiError, Location, suggestion
from .i18n import normalize_locale
from .model import BUILTIN, KPI, WORKSPACE, Settings, Variable, Workspace, otherwise_chain
from .paramspec import merge_parameters
from .periods import GRAINS, WEEK_STARTS
from .resources import builtin_definitions
from .schema import (
    FileDefinitions,
    build_kpi,
    build_variable,
    read_file,
)
from .sourceconfig import data_file_source, kind_of, parse_sources, scalar_text
from .targetspec import parse_target
from .units import UnitSystem
from .workspacefiles import describe_path, workspace_files
from .yamlio import YList, YMap, load_yaml, parse_yaml

__all__ = ["BUILTIN", "WORKSPACE", "Settings", "Workspace", "load_workspace"]

REPORT_KEYS = ("by", "kpis", "title")
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
    "fiscal_year_start",
    "week_start",
    "report",
    "parameters",
)


def _read_settings(root: Path, checker: Checker) -> Settings:
    path = root / "kpi.yaml"
    settings = Settings()
    if not os.path.lexists(path):
        return settings
    if not path.exists():  # a link to nowhere or in a loop is no missing kpi.yaml: say so
        raise KpiError(f"`kpi.yaml` is {describe_path(path)}", Location(str(path)))
    data = load_yaml(path)
    if data is None:
        return settings
    if not checker.mapping(data, Location(str(path), 1, 1), "kpi.yaml"):
        return settings
    checker.keys(data, SETTINGS_KEYS, "kpi.yaml")
    for key in ("name", "description"):
        if data.get(key) is not None:
            setattr(settings, key, _text(data, key, "kpi.yaml", checker))
    if data.get("locale") is not None:  # `zh-CN`, `fr_FR`: texts are keyed `zh-Hans`, `fr`
        settings.locale = normalize_locale(_text(data, "locale", "kpi.yaml", checker) or "en")
    if "grain" in data:  # every number depends on it: a bad one stops the command
        if data["grain"] not in GRAINS:
            raise KpiError(
                f"`grain` is {kind_of(data['grain'])}, not one of {', '.join(GRAINS)}",
                data.value_loc("grain"),
                "write one of them after `grain:`, or leave the key out (month)",
            )
        settings.grain = data["grain"]
    if "currency" in data:
        currency = str(data["currency"])
        if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
            checker.error(
                BadValue,
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
            checker.error(BadValue, "`kpis` must be a list of KPI ids", data.value_loc("kpis"))
    if "data" in data:  # every number depends on it: a bad one stops the command
        written = scalar_text(data, "data")
        if not written or isinstance(data["data"], bool):
            problem = f"`data` is the path of one CSV file (text), not {kind_of(data['data'])}"
            fix = "e.g. `data: data.csv`; several files are `sources:` (see README)"
            raise DefinitionError(
                [BadValue.finding(problem, None, data.value_loc("data"), fix=fix)]
            )
        settings.data = root / written
    settings.sources = parse_sources(
        data.get("sources"), data.value_loc("sources"), root, settings.currency
    )
    if settings.data is not None:
        settings.sources.append(
            data_file_source(settings.data, root, settings.currency, data.value_loc("data"))
        )
    choose = data.get("choose")
    if choose is not None:
        if isinstance(choose, YMap) and all(isinstance(v, str) for v in choose.values()):
            settings.choose = {str(k): v for k, v in choose.items()}
            settings.choose_location = data.value_loc("choose")
        else:
            checker.error(
                BadValue, "`choose` maps variables to source names", data.value_loc("choose")
            )
    if "at_risk" in data:
        value = checker.number(data, "at_risk", "kpi.yaml")
        if value is not None and 0 <= value < 1:
            settings.at_risk = value
        else:
            checker.error(
                BadValue,
                "`at_risk` is a fraction of the target, from 0 to 1",
                data.value_loc("at_risk"),
            )
    if "fiscal_year_start" in data:
        month = data["fiscal_year_start"]
        if isinstance(month, int) and not isinstance(month, bool) and 1 <= month <= 12:
            settings.fiscal_year_start = month
        else:
            checker.error(
                BadValue,
                "`fiscal_year_start` is the month number the fiscal year starts in (1-12)",
                data.value_loc("fiscal_year_start"),
            )
    if "week_start" in data:
        if data["week_start"] in WEEK_STARTS:
            settings.week_start = str(data["week_start"])
        else:
            checker.error(
                BadValue,
                f"`week_start` is one of {', '.join(WEEK_STARTS)}",
                data.value_loc("week_start"),
            )
    if "units" in data:
        units = data["units"]
        if isinstance(units, YList) and all(isinstance(u, str) for u in units):
            settings.units = list(units)
        else:
            checker.error(BadValue, "`units` must be a list of names", data.value_loc("units"))
    targets = data.get("targets")
    if targets is not None and checker.mapping(targets, data.value_loc("targets"), "`targets`"):
        for name, value in targets.items():
            where, written = targets.value_loc(name), targets.raw.get(name)
            spec = parse_target(value, where, str(name), checker, written)
            if spec is not None:
                settings.targets[str(name)] = spec
                settings.target_locations[str(name)] = targets.key_loc(name)
    parameters = data.get("parameters")
    if parameters is not None and checker.mapping(
        parameters, data.value_loc("parameters"), "`parameters`"
    ):
        settings.parameters = [(parameters[k], str(k), parameters.key_loc(k)) for k in parameters]
    report = data.get("report")
    if report is not None and checker.mapping(report, data.value_loc("report"), "`report`"):
        checker.keys(report, REPORT_KEYS, "`report`")
        for key in ("by", "kpis"):
            items = report.get(key)
            if items is None:
                continue
            if isinstance(items, YList) and all(isinstance(i, str) for i in items):
                setattr(settings.report, key, list(items))
                if key == "by":
                    settings.report.by_location = report.value_loc(key)
            else:
                checker.error(BadValue, f"`report.{key}` must be a list", report.value_loc(key))
        if report.get("title") is not None:
            settings.report.title = _text(report, "title", "`report`", checker)
    return settings


def _text(data: YMap, key: str, what: str, checker: Checker) -> str:
    """A text setting as written (a number or date as written too: `name: 2024`); a list or a
    mapping is KPI003 and leaves the setting empty."""
    text = scalar_text(data, key)
    if text is None:
        checker.error(
            BadValue,
            f"`{key}` of {what} is text, not {kind_of(data[key])}",
            data.value_loc(key),
            fix=f"write one line of text after `{key}:` (quote it if it holds `: `)",
        )
    return text or ""


def _builtin_files() -> list[tuple[str, Any]]:
    return [(name, parse_yaml(text, name)) for name, text in builtin_definitions()]


def load_workspace(path: str | Path | None = None, *, builtins: bool = True) -> Workspace:
    """Load the workspace at `path` (a folder; None for built-in definitions only)."""
    checker = Checker()
    root = Path(path) if path is not None else None
    if root is not None and not root.is_dir():
        if os.path.lexists(root):
            raise KpiError(f"the workspace `{root}` is {describe_path(root, 'a folder')}")
        raise KpiError(f"workspace folder not found: {root}")
    settings = _read_settings(root, checker) if root else Settings()
    layers: list[tuple[str, list[tuple[str, Any]]]] = []
    if builtins:
        layers.append((BUILTIN, _builtin_files()))
    if root is not None:
        files, unread = workspace_files(root)
        layers.append((WORKSPACE, files))
        for message, where in unread:
            fix = "move them up into definitions/ to use them, or out of definitions/"
            checker.findings.append(
                UnknownKey.finding(message, None, where, fix=fix, severity=WARNING)
            )

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
    layered = [(layer, defs.parameters) for layer, _, defs in parsed]
    parameters = merge_parameters([*layered, (WORKSPACE, settings.parameters)], units, checker)
    for name in [n for n in parameters if n in variables or n in kpis]:
        checker.error(
            DuplicateId,
            f"`{name}` is both a parameter and a {'KPI' if name in kpis else 'variable'}",
            parameters[name].location,
            fix="rename one of them",
        )
        del parameters[name]
    for variable in variables.values():
        problem = _otherwise_problem(variable, variables, kpis, parameters)
        if problem is None:
            continue
        shadowed = kpis.get(str(variable.otherwise))
        if variable.layer == BUILTIN and shadowed is not None and shadowed.layer != BUILTIN:
            # the workspace named a KPI as the library named a variable (`deals_won`): the
            # library's stand-in no longer applies, which is no error of the user's
            variable.otherwise = None
            continue
        checker.error(
            BadValue,
            f"variable `{variable.id}`: `otherwise: {variable.otherwise}` {problem}",
            variable.location,
            fix="name a variable in the same unit that the data may give instead",
        )
        variable.otherwise = None
    for variable in variables.values():
        loop = _otherwise_loop(variable, variables)
        if loop is not None:
            checker.error(
                BadValue,
                f"variable `{variable.id}`: `otherwise:` goes round in a circle: {loop}",
                variable.location,
                fix="end the chain at a variable the data gives, with no `otherwise:`",
            )
            variable.otherwise = None
    for name, spec in settings.targets.items():
        if name in kpis:
            kpis[name].target = spec
        else:
            checker.error(
                BadValue,
                f"target for unknown KPI `{name}`{suggestion(name, kpis)}",
                settings.target_locations[name],
                fix="write the id of a KPI (`kpi list` shows every KPI)",
            )
    for name in settings.kpis:
        if name not in kpis:
            checker.error(
                BadValue,
                f"kpi.yaml lists unknown KPI `{name}`{suggestion(name, kpis)}",
                settings.kpis_location or Location("kpi.yaml"),
                fix=f"define `{name}` under `kpis:` in a file of definitions/, or take it out "
                "of the list (`kpi list` shows every KPI)",
            )
    references = {r.id: r for _, _, defs in parsed for r in defs.references}
    workspace = Workspace(
        root,
        settings,
        units,
        variables,
        kpis,
        checker.findings,
        parameters=parameters,
        references=references,
    )
    run_load_checks(workspace)
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
                    DuplicateId,
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


def _otherwise_loop(variable: Variable, variables: dict[str, Variable]) -> str | None:
    """`a -> b -> a` when the variable's `otherwise:` chain comes back to it, else None."""
    chain = otherwise_chain(variables, variable.id)
    if not chain or chain[-1] != variable.id:
        return None
    return " -> ".join(f"`{n}`" for n in [variable.id, *chain])


def _otherwise_problem(
    variable: Variable, variables: dict, kpis: dict, parameters: dict
) -> str | None:
    """Why `otherwise:` cannot stand in for the variable (a KPI, a parameter, itself, another
    unit, an unknown name), None when it can."""
    name = variable.otherwise
    if name is None:
        return None
    other = variables.get(name)
    if name == variable.id:
        return "names the variable itself"
    if other is None and name in kpis:
        return "names a KPI; it must name a variable, which the data gives"
    if other is None and name in parameters:
        return "names a parameter; it must name a variable, which the data gives"
    if other is None:
        return f"names no variable{suggestion(name, variables)}"
    if other.unit != variable.unit:
        return f"is in {other.unit_text}, `{variable.id}` in {variable.unit_text}: units differ"
    return None
