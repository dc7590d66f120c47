"""The findings a report lists: definition and data pitfalls of the KPIs it shows.

The checks (run by the engine's `lint` on the report's own results) decide; findings a KPI
silences with `allow:` stay out, and only findings about the KPIs shown (and what they depend
on) or about the whole workspace are kept.
"""

from __future__ import annotations

from ..errors import Finding, sort_findings
from ..evaluation import Results
from ..lint import LintReport


def used_kpis(results: Results) -> set[str]:
    """The KPIs the report shows and every KPI they depend on."""
    used = set(results.kpis)
    for name in results.kpis:
        used |= results.workspace.kpi_deps_of(name)
    return used


def collect_findings(results: Results, report: LintReport) -> tuple[list[Finding], dict[str, str]]:
    """Findings about the report's KPIs or the whole workspace (most severe first), and check
    titles by code."""
    titles = {rule["code"]: rule["title"] for rule in report.rules()}
    used = used_kpis(results)
    relevant = [f for f in dict.fromkeys(report.findings) if f.kpi is None or f.kpi in used]
    return sort_findings(relevant), titles
