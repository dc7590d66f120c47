"""The findings a report lists: definition and data pitfalls of the KPIs it shows.

The pitfall checks (`kpiengine.lint`, through the `register_checks` hook) run on the report's own
results; findings a KPI silences with `allow:` stay out. Without the checks, the findings met
while loading and evaluating are used.
"""

from __future__ import annotations

from ..errors import ERROR, Finding, sort_findings
from ..evaluation import Results

CHECKS_FAILED = "KPI200"


def used_kpis(results: Results) -> set[str]:
    """The KPIs the report shows and every KPI they depend on."""
    used = set(results.kpis)
    for name in results.kpis:
        used |= results.workspace.kpi_deps_of(name)
    return used


def collect_findings(results: Results) -> tuple[list[Finding], dict[str, str]]:
    """Findings about the report's KPIs or the whole workspace (most severe first), and check
    titles by code."""
    ws = results.workspace
    titles: dict[str, str] = {}
    try:
        from ..lint import ENGINE_CODES, lint
    except ImportError:  # pragma: no cover - the checks are an optional part of the engine
        found = [*ws.findings, *results.findings]
        for name in results.kpis:
            found += ws.kpis[name].findings
    else:
        titles.update(ENGINE_CODES)
        try:
            report = lint(ws, results)
        except Exception as exc:  # a broken check plugin must not stop the report
            found = [*ws.findings, *results.findings]
            found.append(Finding(CHECKS_FAILED, ERROR, f"the pitfall checks could not run: {exc}"))
        else:
            found = report.findings
            titles.update({item.obj.code: item.obj.title for item in report.checks})
    used = used_kpis(results)
    relevant = [f for f in dict.fromkeys(found) if f.kpi is None or f.kpi in used]
    return sort_findings(relevant), titles
