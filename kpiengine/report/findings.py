"""The findings a report lists: every pitfall about the KPIs, period and segments it shows.

The checks (run by the engine's `lint` on the report's own results, narrowed to the report's
period) decide; findings a KPI silences with `allow:` stay out. A finding is kept when it is
about a KPI shown (or one it depends on) or the whole workspace, and, when its `details` name
`periods` or `segments`, when one of them is the report's period and one a segment it shows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

from ..errors import Finding, sort_findings
from ..evaluation import Results
from ..lint import LintReport
from ..lintdata import eval_coverage

if TYPE_CHECKING:
    from ..engine import Engine

Coverage = dict[str, tuple[dt.date, dt.date]]


def used_kpis(results: Results) -> set[str]:
    """The KPIs the report shows and every KPI they depend on."""
    used = set(results.kpis)
    for name in results.kpis:
        used |= results.workspace.kpi_deps_of(name)
    return used


def _periods(details: dict[str, Any]) -> list[str] | None:
    if "periods" in details:
        return [str(p) for p in details["periods"]]
    if "period" in details:
        return [str(details["period"])]
    return None


def concerns(finding: Finding, period: str, segments: list[dict[str, str]]) -> bool:
    """True unless the finding names periods or segments and none is shown."""
    details = finding.details or {}
    periods = _periods(details)
    if periods is not None and period not in periods:
        return False
    named = details.get("segments")
    return named is None or any(dict(s) in segments for s in named)


def collect_findings(
    results: Results, report: LintReport, period: str | None = None
) -> tuple[list[Finding], dict[str, str]]:
    """Findings about the report's KPIs, `period` and segments (most severe first), and check
    titles by code."""
    titles = {rule["code"]: rule["title"] for rule in report.rules()}
    used = used_kpis(results)
    shown = [dict(s) for s in results.table.segments]
    relevant = [
        f
        for f in dict.fromkeys(report.findings)
        if (f.kpi is None or f.kpi in used) and (period is None or concerns(f, period, shown))
    ]
    return sort_findings(relevant), titles


def source_coverage(results: Results) -> Coverage | None:
    """The days each variable's source covers, as the evaluation counts them
    (`lintdata.eval_coverage`); None without sources (the checks then read the results' own
    dates)."""
    if not results.sources or not results.workspace.settings.sources:
        return None
    return eval_coverage(results)


def report_findings(
    engine: Engine, results: Results, index: int
) -> tuple[list[Finding], dict[str, str]]:
    """Lint the report's results at its period (index `index`) and keep what concerns it."""
    at_period = dataclasses.replace(results, selected=[index])
    report = engine.lint(results=at_period, coverage=source_coverage(results))
    return collect_findings(at_period, report, results.labels[index])
