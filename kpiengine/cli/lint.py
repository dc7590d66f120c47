"""`kpi lint`: definitional and data pitfalls."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .common import (
    cli,
    data_option,
    handle_errors,
    open_engine,
    workspace_options,
)


@cli.command("lint")
@workspace_options
@data_option
@click.option("--by", multiple=True, help="Dimension for the segment checks (default: each).")
@click.option("--kpi", "kpis", multiple=True, help="Only this KPI's findings (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@click.option("--list-checks", is_flag=True, help="List every check (code, severity, stage).")
@handle_errors
def lint_command(
    workspace: Path | None,
    sample: bool,
    data: Path | None,
    by: tuple[str, ...],
    kpis: tuple[str, ...],
    fmt: str,
    strict: bool,
    list_checks: bool,
) -> None:
    """Check definitions, and data when there is some, for KPI pitfalls (see README)."""
    from ..errors import KpiError, suggestion
    from ..terminal.lint import render_catalogue, render_text

    engine = open_engine(workspace, sample)
    ws = engine.workspace
    if list_checks:
        report = engine.lint()
        click.echo(
            json.dumps(report.rules(), indent=1) if fmt == "json" else render_catalogue(report)
        )
        return
    for kpi_id in kpis:
        if kpi_id not in ws.kpis:
            raise click.UsageError(f"unknown KPI `{kpi_id}`{suggestion(kpi_id, ws.kpis)}")
    source = data if data else (True if ws.settings.sources else None)
    if by and source is not None:  # as `kpi eval --by` says it, not "data checks ran"
        inputs = engine.inputs(data)  # the sources when no --data
        known = inputs.dimension_counts()
        for dim in by:
            if dim not in known and not inputs.failures:  # a failed source is reported as such
                raise KpiError(
                    f"no source has the dimension `{dim}`{suggestion(dim, known)} "
                    f"(dimensions: {', '.join(sorted(known)) or 'none'})"
                )
    report = engine.lint(source, by=list(by) or None, kpis=list(kpis) or None)
    if fmt == "json":
        click.echo(report.to_json())
    elif fmt == "sarif":
        from ..sarif import render_sarif

        click.echo(render_sarif(report))
    else:
        click.echo(render_text(report, color=sys.stdout.isatty()))
    sys.exit(report.exit_code(strict))
