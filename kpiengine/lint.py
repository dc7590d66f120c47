"""`kpi lint`: run the registered checks over a workspace and its results, then apply `allow:`.

Load-stage findings were made while the workspace loaded (they are in `workspace.findings`);
lint adds the static checks, and the data checks when there are results. A KPI silences a code
with `allow: [KPI203: "the reason"]`: its findings move to `silenced`, with the reason.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .checks.base import DATA
from .checks.context import CheckContext, Coverage
from .checks.definitions import BadValue
from .checks.runner import LOAD_CHECKS, run_checks
from .checks.runtime import CheckFailed
from .errors import ERROR, INFO, WARNING, Finding, sort_findings, suggestion
from .evaluation import Results
from .model import WORKSPACE, Workspace
from .plugins import Registered

BUILTIN_FILES = "<built-in>/"  # where the built-in definitions are located


@dataclass(frozen=True)
class Silenced:
    """A finding removed by `allow:`, with the definition's reason."""

    finding: Finding
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {**_finding_dict(self.finding), "reason": self.reason}


def catalogue(checks: Sequence[Registered]) -> list[dict[str, str]]:
    """One entry per registered check: code, severity, stage, title, fix, origin."""
    return [{**r.obj.describe(), "origin": r.origin} for r in sorted(checks, key=_code)]


def _code(item: Registered) -> str:
    return str(item.obj.code)


@dataclass
class LintReport:
    """The outcome of `lint()`: active findings, silenced ones, and the registered checks."""

    workspace: Workspace
    findings: list[Finding]
    silenced: list[Silenced]
    checks: list[Registered]
    data_checked: bool

    def count(self, severity: str) -> int:
        return sum(f.severity == severity for f in self.findings)

    def exit_code(self, strict: bool = False) -> int:
        """1 when errors (or, with `strict`, warnings) remain, else 0."""
        levels = {ERROR, WARNING} if strict else {ERROR}
        return 1 if any(f.severity in levels for f in self.findings) else 0

    def for_kpi(self, kpi_id: str) -> tuple[list[Finding], list[Silenced]]:
        return (
            [f for f in self.findings if f.kpi == kpi_id],
            [s for s in self.silenced if s.finding.kpi == kpi_id],
        )

    def rules(self) -> list[dict[str, str]]:
        """The catalogue of every registered check."""
        return catalogue(self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": {
                "errors": self.count(ERROR),
                "warnings": self.count(WARNING),
                "infos": self.count(INFO),
                "silenced": len(self.silenced),
                "data_checked": self.data_checked,
            },
            "findings": [_finding_dict(f) for f in self.findings],
            "silenced": [s.to_dict() for s in self.silenced],
            "checks": self.rules(),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1, default=jsonable)


def _finding_dict(finding: Finding) -> dict[str, Any]:
    return {**finding.to_dict(), "details": finding.details}


def jsonable(value: Any) -> Any:
    """JSON for what findings' details hold: numpy numbers and arrays, dates, paths."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dt.date | Path):
        return str(value)
    return repr(value)


def lint(
    workspace: Workspace,
    checks: Sequence[Registered],
    results: Sequence[Results] = (),
    coverage: Coverage | None = None,
    kpis: list[str] | None = None,
) -> LintReport:
    """Run the static `checks`, and the data ones on `results`; `kpis` restricts the findings.

    The first results give totals and the run's findings; `coverage` maps variables to the dates
    they cover (default: from the results when they come from a Frame).
    """
    results = list(results)
    if results and coverage is None:
        coverage = coverage_of(results[0])
    scope = [workspace.kpis[k] for k in kpis] if kpis else list(workspace.kpis.values())
    context = CheckContext(workspace, scope, results, coverage or {})
    to_run = [
        (item.obj, item.origin)
        for item in checks
        if item.obj not in LOAD_CHECKS and (item.obj.stage != DATA or results)
    ]
    found = run_checks(to_run, context) + workspace.findings
    if results:
        found += results[0].findings
    if kpis:  # their findings, and those about their inputs (a total row counted twice)
        inputs = {v for k in kpis for v in workspace.inputs_of(k)}
        found = [f for f in found if f.kpi in kpis or f.code == CheckFailed.code
                 or (f.kpi is None and bool(_about(f) & inputs))]  # fmt: skip
    active, silenced = _silence(workspace, list(dict.fromkeys(found)))
    if not kpis and (results or _has_own(workspace)):
        shown = in_use(workspace, results)
        data = {item.obj.code for item in checks if item.obj.stage == DATA}
        active = [f for f in active if _concerns_user(workspace, f, shown, data)]
        silenced = [s for s in silenced if _concerns_user(workspace, s.finding, set(), data)]
    return LintReport(workspace, sort_findings(active), silenced, list(checks), bool(results))


def _about(finding: Finding) -> set[str]:
    """The variables a finding concerns: a check's `variable`, a source's `variables`."""
    return {finding.details.get("variable"), *finding.details.get("variables", ())} - {None}


def in_use(workspace: Workspace, results: Sequence[Results] = ()) -> set[str]:
    """The KPIs a workspace uses: its own, those kpi.yaml lists (`kpis:`, `targets:`,
    `report.kpis`), those evaluated with a value, and every KPI these depend on."""
    settings = workspace.settings
    used = {k.id for k in workspace.kpis.values() if k.layer == WORKSPACE}
    used |= {*settings.kpis, *settings.targets, *settings.report.kpis}
    for result in results[:1]:
        used |= {k for k, r in result.kpis.items() if np.isfinite(r.values).any()}
    used &= set(workspace.kpis)
    return used | {d for k in used for d in workspace.kpi_deps_of(k)}


def _has_own(workspace: Workspace) -> bool:
    """A user's workspace: definitions or kpi.yaml lists of its own (else: the library)."""
    settings = workspace.settings
    layers = [k.layer for k in workspace.kpis.values()]
    layers += [v.layer for v in workspace.variables.values()]
    return WORKSPACE in layers or bool(settings.kpis or settings.targets or settings.report.kpis)


def _concerns_user(workspace: Workspace, finding: Finding, used: set[str], data: set[str]) -> bool:
    """In a user's lint, a built-in KPI's findings show only when the workspace uses it (in
    `used`), and the library's own notes (an info on the built-in definitions, not on data:
    codes in `data`) never."""
    kpi = workspace.kpis.get(finding.kpi) if finding.kpi else None
    where = str(finding.location.file) if finding.location else ""
    if kpi is None or kpi.layer == WORKSPACE:
        return True
    if where and not where.startswith(BUILTIN_FILES):
        return True  # about the user's own files (a target in kpi.yaml for a built-in KPI)
    if kpi.id not in used:
        return False
    note = finding.severity == INFO and finding.code not in data
    return not (note and where.startswith(BUILTIN_FILES))


def coverage_of(results: Results) -> Coverage:
    """Coverage known from results evaluated elsewhere: a Frame's dates; none for sources.

    Sources answer with dates already aggregated to periods, so their raw range is unknown.
    """
    if results.sources or not results.table.coverage:
        return {}
    return {name: results.table.coverage for name in results.table.values}


def _silence(workspace: Workspace, findings: list[Finding]) -> tuple[list[Finding], list[Silenced]]:
    active, silenced = [], []
    for finding in findings:
        kpi = workspace.kpis.get(finding.kpi) if finding.kpi else None
        reason = kpi.allow.get(finding.code) if kpi else None
        if reason and finding.code != CheckFailed.code:
            silenced.append(Silenced(finding, reason))
        else:
            active.append(finding)
    return active, silenced


def report_dimension_findings(workspace: Workspace, known: Iterable[str]) -> list[Finding]:
    """KPI003 for each of kpi.yaml's `report.by` dimensions that no source has."""
    known = set(known)
    report = workspace.settings.report
    return [
        BadValue.finding(
            f"`report.by` names the dimension `{dim}`, which no source has"
            f"{suggestion(dim, known)} (dimensions: {', '.join(sorted(known)) or 'none'})",
            location=report.by_location,
        )
        for dim in report.by
        if dim not in known
    ]
