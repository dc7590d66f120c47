"""`kpi lint`: run the pitfall checks registered through `register_checks`, apply `allow:`.

A check is a `Check` subclass with a stable `code`, a default `severity`, a one-line `title`, a
`fix` and `run(context)` yielding findings. Static checks see the workspace; data checks
(`data = True`) also see evaluated results and run only when data is available.
"""

from __future__ import annotations

import datetime as dt
import json
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .errors import ERROR, INFO, WARNING, Finding, Location, sort_findings
from .evaluation import Results
from .model import KPI
from .plugins import PluginManager, Registered, get_plugin_manager, registered
from .table import Frame
from .workspace import Workspace

CHECK_FAILED = "KPI200"

#: Codes reported while loading or evaluating (not by checks), for catalogues and SARIF rules.
ENGINE_CODES = {
    "KPI002": "unknown key",
    "KPI003": "a value of the wrong type or outside its choices",
    "KPI004": "an id defined twice in one layer",
    "KPI005": "a formula that does not parse or uses something not allowed",
    "KPI006": "an unknown name in a formula",
    "KPI007": "KPIs that depend on each other in a cycle",
    "KPI008": "an unknown or malformed unit",
    "KPI009": "a worked example the formula does not reproduce",
    "KPI010": "a worked example that is incomplete",
    "KPI011": "a KPI that was asked for but whose inputs the data lacks",
    "KPI012": "a source that failed",
    CHECK_FAILED: "a check that crashed (the other checks ran)",
}


class Check:
    """Base class of pitfall checks; `name` (the registry key) defaults to `code`."""

    code: ClassVar[str] = ""
    severity: ClassVar[str] = WARNING
    title: ClassVar[str] = ""
    fix: ClassVar[str] = ""
    data: ClassVar[bool] = False
    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.code and not cls.__dict__.get("name"):
            cls.name = cls.code

    def run(self, context: LintContext) -> Iterable[Finding]:
        """Yield the findings of this check."""
        raise NotImplementedError

    def finding(
        self,
        message: str,
        kpi: KPI | None = None,
        location: Location | None = None,
        *,
        fix: str | None = None,
        severity: str | None = None,
        **details: Any,
    ) -> Finding:
        """A finding of this check; located at the KPI's formula unless `location` is given."""
        if location is None and kpi is not None:
            location = kpi.formula_location or kpi.location
        return Finding(
            self.code,
            severity or self.severity,
            message,
            location,
            kpi.id if kpi else None,
            fix or self.fix or None,
            details,
        )


@dataclass
class LintContext:
    """What checks look at: the workspace, and the evaluated results when there is data.

    Checks read totals (segment 0) from `results[0]` and segments from every results that
    has them (`breakdowns()`). `coverage` maps variables to the first and last date of data.
    """

    workspace: Workspace
    kpis: list[KPI]
    results: list[Results] = field(default_factory=list)
    coverage: dict[str, tuple[dt.date, dt.date]] = field(default_factory=dict)

    @property
    def has_data(self) -> bool:
        return bool(self.results)

    @property
    def primary(self) -> Results | None:
        return self.results[0] if self.results else None

    def breakdowns(self) -> list[Results]:
        """Results with at least two segments besides the total."""
        return [r for r in self.results if len(r.table.segments) > 2]


@dataclass(frozen=True)
class Silenced:
    """A finding removed by `allow:`, with the definition's reason."""

    finding: Finding
    reason: str

    def to_dict(self) -> dict:
        return {**_finding_dict(self.finding), "reason": self.reason}


@dataclass
class LintReport:
    """The outcome of `lint()`: active findings, silenced ones, and the checks that ran."""

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

    def rules(self) -> list[dict]:
        """The catalogue entries for every check and engine code seen."""
        out = [
            {
                "code": r.obj.code,
                "severity": r.obj.severity,
                "title": r.obj.title,
                "fix": r.obj.fix,
                "kind": "data" if r.obj.data else "static",
                "origin": r.origin,
            }
            for r in self.checks
        ]
        known = {r["code"] for r in out}
        seen = {f.code for f in self.findings} | {s.finding.code for s in self.silenced}
        for code in sorted(seen - known):
            title = ENGINE_CODES.get(code, code)
            out.append(
                {"code": code, "severity": ERROR, "title": title, "fix": "", "kind": "engine"}
            )
        return sorted(out, key=lambda r: r["code"])

    def to_dict(self) -> dict:
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


def _finding_dict(finding: Finding) -> dict:
    return {**finding.to_dict(), "details": finding.details}


def jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dt.date | Path):
        return str(value)
    return repr(value)


def available_checks(pm: PluginManager | None = None, root: Path | None = None) -> list[Registered]:
    """Every registered check, sorted by code (a plugin's check replaces a built-in one)."""
    pm = pm or get_plugin_manager(root)
    return sorted(registered(pm, "register_checks").values(), key=lambda r: r.obj.code)


def lint(
    workspace: Workspace,
    results: Results | list[Results] | None = None,
    *,
    data: Frame | str | Path | bool | None = None,
    by: list[str] | None = None,
    kpis: list[str] | None = None,
    pm: PluginManager | None = None,
) -> LintReport:
    """Run every check; static ones always, data ones on `results` or on `data` evaluated here.

    `kpis` restricts the findings to those KPIs. Findings of a code a KPI lists under `allow:`
    move to `silenced`, with the reason.
    """
    from .checks._data import coverage_of, data_for_lint  # noqa: PLC0415

    checks = available_checks(pm, workspace.root)
    coverage: dict[str, tuple[dt.date, dt.date]] = {}
    if results is None and data is not None and data is not False:
        results, coverage = data_for_lint(workspace, data, by)
    results = [results] if isinstance(results, Results) else list(results or [])
    if results and not coverage:
        coverage = coverage_of(results[0])
    scope = [workspace.kpis[k] for k in kpis] if kpis else list(workspace.kpis.values())
    context = LintContext(workspace, scope, results, coverage)
    found: list[Finding] = []
    for item in checks:
        if item.obj.data and not context.has_data:
            continue
        found += _run(item, context)
    claimed = {item.obj.code for item in checks}
    found += [f for f in workspace.findings if f.code not in claimed]
    if results:
        found += results[0].findings
    if kpis:
        found = [f for f in found if f.kpi in kpis or f.code == CHECK_FAILED]
    active, silenced = _silence(workspace, list(dict.fromkeys(found)))
    return LintReport(workspace, sort_findings(active), silenced, checks, bool(results))


def _run(item: Registered, context: LintContext) -> list[Finding]:
    check = item.obj
    try:
        return list(check().run(context))
    except Exception as exc:  # a check's bug is a finding, not a traceback
        frames = traceback.extract_tb(exc.__traceback__)
        where = f" ({Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
        return [
            Finding(
                CHECK_FAILED,
                ERROR,
                f"check {check.code} ({check.title}, {item.origin}) failed: "
                f"{type(exc).__name__}: {exc}{where}",
                fix="report it to the check's author; the other checks ran",
            )
        ]


def _silence(workspace: Workspace, findings: list[Finding]) -> tuple[list[Finding], list[Silenced]]:
    active, silenced = [], []
    for finding in findings:
        kpi = workspace.kpis.get(finding.kpi) if finding.kpi else None
        reason = kpi.allow.get(finding.code) if kpi else None
        if reason and finding.code != CHECK_FAILED:
            silenced.append(Silenced(finding, reason))
        else:
            active.append(finding)
    return active, silenced


# --- text output -----------------------------------------------------------------------------

_COLOURS = {ERROR: "red", WARNING: "yellow", INFO: "cyan"}


def render_text(report: LintReport, color: bool = False) -> str:
    """Findings grouped by KPI, most severe first; silenced ones with their reason."""
    import click  # noqa: PLC0415 - only for styling

    def style(text: str, severity: str) -> str:
        return click.style(text, fg=_COLOURS.get(severity), bold=True) if color else text

    groups: dict[str | None, list[str]] = {}
    for f in report.findings:
        where = f" {f.location}" if f.location else ""
        lines = [f"  {style(f.severity, f.severity)} {f.code}{where}: {f.message}"]
        if f.fix:
            lines.append(f"      fix: {f.fix}")
        groups.setdefault(f.kpi, []).extend(lines)
    for s in report.silenced:
        line = f"  silenced {s.finding.code}: {s.finding.message}\n      reason: {s.reason}"
        groups.setdefault(s.finding.kpi, []).append(line)
    out = []
    for kpi_id in sorted(groups, key=lambda k: (k is not None, k or "")):
        kpi = report.workspace.kpis.get(kpi_id) if kpi_id else None
        header = f"{kpi_id}: {kpi.title_in(report.workspace.settings.locale)}" if kpi else None
        out.append(header or "workspace and data")
        out += groups[kpi_id]
    out.append(summary(report))
    return "\n".join(out)


def summary(report: LintReport) -> str:
    """`2 errors, 1 warning, 0 infos, 1 silenced; data checks ran`."""

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    data = "data checks ran" if report.data_checked else "no data: data checks skipped"
    return (
        f"{plural(report.count(ERROR), 'error')}, {plural(report.count(WARNING), 'warning')}, "
        f"{plural(report.count(INFO), 'info')}, {len(report.silenced)} silenced; {data}"
    )


def show_lines(workspace: Workspace, kpi: KPI) -> list[str]:
    """Lines for `kpi show`: lint findings of one KPI not already among its definition findings."""
    report = lint(workspace, kpis=[kpi.id])
    findings, silenced = report.for_kpi(kpi.id)
    known = {(f.code, f.message, f.location) for f in kpi.findings}
    new = [f for f in findings if (f.code, f.message, f.location) not in known]
    if not new and not silenced:
        return []
    lines = ["  lint:"] + ["    " + f.format().replace("\n", "\n    ") for f in new]
    lines += [f"    silenced {s.finding.code}: {s.finding.message} ({s.reason})" for s in silenced]
    return lines
