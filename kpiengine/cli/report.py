"""`kpi report`: the shareable HTML or Markdown report."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..i18n import locales, normalize_locale
from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    cli,
    data_option,
    grain_option,
    handle_errors,
    open_engine,
    report_findings,
    workspace_options,
)


def _report_locale(tag: str | None) -> str | None:
    """`--locale` as the catalogs are keyed (`zh-CN` -> `zh-Hans`); one without report
    translations is a usage error naming those there are."""
    if not tag:
        return tag
    shown = normalize_locale(tag)
    if shown not in locales():
        raise click.BadParameter(f"`{tag}` has no report translations: {', '.join(locales())}")
    return shown


@cli.command("report")
@workspace_options
@data_option
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True),  # a str: a trailing `/` must be seen
    required=True,
    help="File to write (replaced only when rendering succeeds); `-` for standard output.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "md", "pdf"]),
    default=None,
    help="html, md or pdf (pdf: the `pdf` extra and Chromium; default: from the file name).",
)
@click.option(
    "--paper", type=click.Choice(["a4", "letter"]), default="a4", help="Paper size of a PDF."
)
@click.option("--kpi", "kpis", multiple=True, help="KPI to report on (repeatable).")
@grain_option
@click.option("--period", default=None, help="Period (default: the last complete one).")
@click.option(
    "--by",
    multiple=True,
    help="Dimension to break down by (repeatable; default: kpi.yaml's report).",
)
@click.option(
    "--locale",
    default=None,
    callback=lambda _ctx, _param, value: _report_locale(value),
    help=f"Language of the report: {', '.join(locales())}, as written (`zh-CN`, `fr_FR`) or "
    "not (default: the workspace's).",
)
@handle_errors
def report_command(
    workspace: Path | None,
    sample: bool,
    data: Path | None,
    output: str,
    fmt: str | None,
    kpis: tuple[str, ...],
    grain: str | None,
    period: str | None,
    by: tuple[str, ...],
    locale: str | None,
    paper: str,
) -> None:
    """Write a shareable report (self-contained HTML or Markdown) for one period."""
    from ..errors import KpiError
    from ..lint import report_dimension_findings
    from ..report import render_report, write_report
    from ..report.context import last_complete_period
    from ..safewrite import output_path
    from ..table import CURRENT
    from ..terminal.console import reading

    target = None if output == "-" else output_path(output, "the report")
    engine = open_engine(workspace, sample)
    ws = engine.workspace
    if period and period != CURRENT:
        grain = grain or ws.calendar.parse_label(period)[0]
    defaults = ws.settings.report  # kpi.yaml's `report:` when the command line is silent
    if not by and defaults.by:  # kpi.yaml's dimensions: a typo there is named at its place
        for bad in report_dimension_findings(ws, engine.inputs(data).dimension_counts()):
            raise KpiError(bad.message, bad.location, bad.fix)
    by = by or tuple(defaults.by)
    kpis = kpis or tuple(defaults.kpis)
    locale = locale or ws.settings.locale
    with reading(engine, data, passes=2) as bar:  # the report reads days too (date checks)
        results = engine.evaluate(data, grain=grain, by=list(by), kpis=list(kpis) or None)
        period = period or last_complete_period(results)
        if target is None:
            text = render_report(results, fmt or "html", locale, period, engine=engine)
            if fmt == "pdf":  # the PDF's bytes, as a file would hold them (`-o - > r.pdf`)
                from ..report.pdf import html_to_pdf

                pdf = html_to_pdf(text, paper)
                bar.done()
                click.get_binary_stream("stdout").write(pdf)
            else:
                bar.done()
                click.echo(text, nl=False)
        else:
            path = write_report(results, target, fmt, locale, period, engine=engine, paper=paper)
            bar.done()
            click.echo(f"wrote {path}")
    sys.exit(EXIT_FINDINGS if report_findings(ws, results.findings) else EXIT_OK)
