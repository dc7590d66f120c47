"""Shareable KPI reports: one self-contained HTML file or GitHub-flavoured Markdown.

>>> from kpiengine.report import render_report, write_report
>>> html = render_report(results, fmt="html", locale="fr", period="2024-06")
>>> write_report(results, "report.html")  # atomic: temporary file, then rename
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..engine import Engine
from ..errors import Finding, KpiError
from ..evaluation import Results
from ..i18n import locales
from ..safewrite import write_atomic
from .context import build_context, period_index
from .environment import make_environment, render
from .findings import report_findings

FORMATS = {"html": "report.html.j2", "md": "report.md.j2", "pdf": "report.html.j2"}
LOCALES = locales()

__all__ = ["FORMATS", "LOCALES", "render_report", "write_report"]


def _templates_folder(results: Results, workspace_templates: Path | str | None) -> Path | None:
    if workspace_templates is not None:
        return Path(workspace_templates)
    root = results.workspace.root
    return root / "templates" if root is not None else None


def render_report(
    results: Results,
    fmt: str = "html",
    locale: str = "en",
    period: str | None = None,
    workspace_templates: Path | str | None = None,
    *,
    generated_at: dt.datetime | None = None,
    findings: list[Finding] | None = None,
    engine: Engine | None = None,
) -> str:
    """The report as text: `fmt` is `html` or `md`; `period` defaults to the last one selected.

    Templates are taken from `workspace_templates` (default: the workspace's `templates/`
    folder) before the built-in ones. `findings` replaces the checks' findings. `engine` is the
    run that evaluated `results` (its checks and plugins; default: a new one).
    """
    if fmt not in FORMATS:
        raise KpiError(f"unknown report format `{fmt}`", fix="use html, md or pdf")
    engine = engine or Engine(results.workspace)
    titles: dict[str, str] = {}
    if findings is None:
        findings, titles = report_findings(engine, results, period_index(results, period))
    context = build_context(results, locale, period, generated_at, findings, titles)
    templates = _templates_folder(results, workspace_templates)
    currency = results.workspace.settings.currency
    env = make_environment(locale, currency, templates, engine.prepare_environment)
    return render(env, FORMATS[fmt], context)


def format_for(path: Path | str) -> str:
    """`md` for a `.md` or `.markdown` file name, `pdf` for `.pdf`, else `html`."""
    name = str(path).lower()
    return (
        "md" if name.endswith((".md", ".markdown")) else "pdf" if name.endswith(".pdf") else "html"
    )


def write_report(
    results: Results,
    path: Path | str,
    fmt: str | None = None,
    locale: str = "en",
    period: str | None = None,
    workspace_templates: Path | str | None = None,
    *,
    generated_at: dt.datetime | None = None,
    findings: list[Finding] | None = None,
    engine: Engine | None = None,
    paper: str = "a4",
) -> Path:
    """Render and write the report atomically; an existing file is replaced only on success,
    keeps its mode, and is written through a symlink (see `kpiengine.safewrite`).

    `fmt` `pdf` prints the HTML report with headless Chromium on `paper` (`a4` or `letter`)."""
    path = Path(path)
    fmt = fmt or format_for(path)
    text = render_report(
        results,
        fmt,
        locale,
        period,
        workspace_templates,
        generated_at=generated_at,
        findings=findings,
        engine=engine,
    )
    content = text.encode("utf-8")
    if fmt == "pdf":
        from .pdf import html_to_pdf  # noqa: PLC0415 - the optional extra

        content = html_to_pdf(text, paper)
    write_atomic(path, content, "the report")
    return path
