"""Lint findings as text: grouped by KPI, most severe first, silenced ones with their reason."""

from __future__ import annotations

import click

from ..errors import ERROR, INFO, WARNING, Finding
from ..lint import LintReport
from ..model import KPI
from .console import clean

_COLOURS = {ERROR: "red", WARNING: "yellow", INFO: "cyan"}


def render_text(report: LintReport, color: bool = False) -> str:
    """Findings grouped by KPI, most severe first; silenced ones with their reason."""

    def style(text: str, severity: str) -> str:
        return click.style(text, fg=_COLOURS.get(severity), bold=True) if color else text

    groups: dict[str | None, list[str]] = {}
    # messages quote ids, titles, file names and data as written: their control characters are
    # escaped before the colours are added (`terminal.safe`)
    for f in report.findings:
        where = f" {clean(f.location)}" if f.location else ""
        lines = [f"  {style(f.severity, f.severity)} {f.code}{where}: {clean(f.message, True)}"]
        if f.fix:
            lines.append(f"      fix: {clean(f.fix, True)}")
        groups.setdefault(f.kpi, []).extend(lines)
    for s in report.silenced:
        message, reason = clean(s.finding.message, True), clean(s.reason, True)
        line = f"  silenced {s.finding.code}: {message}\n      reason: {reason}"
        groups.setdefault(s.finding.kpi, []).append(line)
    out = []
    for kpi_id in sorted(groups, key=lambda k: (k is not None, k or "")):
        kpi = report.workspace.kpis.get(kpi_id) if kpi_id else None
        title = kpi.title_in(report.workspace.settings.locale) if kpi else ""
        header = f"{clean(kpi_id)}: {clean(title)}" if kpi else None
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


def render_catalogue(report: LintReport) -> str:
    """`kpi lint --list-checks`: every registered check, one line each, with its fix."""
    lines = []
    for rule in report.rules():
        lines.append(f"{rule['code']}  {rule['severity']:<7} {rule['stage']:<6} {rule['title']}")
        if rule["origin"] != "built-in":
            lines.append(f"        from {rule['origin']}")
    return "\n".join(lines)


def show_lines(report: LintReport, kpi: KPI, locale: str = "en") -> list[str]:
    """Lines for `kpi show`: lint findings of one KPI not already among its definition findings
    (the heading and the word "silenced" in `locale`; findings are English)."""
    from ..i18n import label  # noqa: PLC0415 - `kpi show` only

    findings, silenced = report.for_kpi(kpi.id)
    known = {(f.code, f.message, f.location) for f in kpi.findings}
    new: list[Finding] = [f for f in findings if (f.code, f.message, f.location) not in known]
    if not new and not silenced:
        return []
    lines = [f"  {label('show_lint', locale)}:"]
    lines += ["    " + clean(f.format(), True).replace("\n", "\n    ") for f in new]
    word = label("show_silenced", locale)
    lines += [
        f"    {word} {s.finding.code}: {clean(s.finding.message, True)} ({clean(s.reason, True)})"
        for s in silenced
    ]
    return lines
