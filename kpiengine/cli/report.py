"""`kpi report`: the shareable HTML or Markdown report."""

from __future__ import annotations

import sys
from pathlib import Path

import click

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


@cli.command("report")
@workspace_options
@data_option
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    required=True,
    help="File to write (replaced only when rendering succeeds); `-` for standard output.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "md"]),
    default=None,
    help="html or md (default: from the file name, else html).",
)
@click.option("--kpi", "kpis", multiple=True, help="KPI to report on (repeatable).")
@grain_option
@click.option("--period", default=None, help="Period (default: the last complete one).")
@click.option("--by", multiple=True, help="Dimension to break down by (repeatable).")
@click.option(
    "--locale",
    type=click.Choice(["en", "fr", "zh-Hans", "zh-Hant", "fa"]),
    default=None,
    help="Language of the report (default: the workspace's).",
)
@handle_errors
def report_command(
    workspace: Path | None,
    sample: bool,
    data: Path | None,
    output: Path,
    fmt: str | None,
    kpis: tuple[str, ...],
    grain: str | None,
    period: str | None,
    by: tuple[str, ...],
    locale: str | None,
) -> None:
    """Write a shareable report (self-contained HTML or Markdown) for one period."""
    from ..periods import parse_label
    from ..report import render_report, write_report
    from ..report.context import last_complete_period

    engine = open_engine(workspace, sample)
    ws = engine.workspace
    if period:
        grain = grain or parse_label(period)[0]
    results = engine.evaluate(data, grain=grain, by=list(by), kpis=list(kpis) or None)
    period = period or last_complete_period(results)
    locale = locale or ws.settings.locale
    if str(output) == "-":
        click.echo(render_report(results, fmt or "html", locale, period, engine=engine), nl=False)
    else:
        path = write_report(results, output, fmt, locale, period, engine=engine)
        click.echo(f"wrote {path}")
    sys.exit(EXIT_FINDINGS if report_findings(ws, results.findings) else EXIT_OK)
