"""`kpi list`, `kpi show` and `kpi eval`: the definitions and their values."""

from __future__ import annotations

import sys
import textwrap
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


@cli.command("list")
@workspace_options
@data_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@handle_errors
def list_command(workspace: Path | None, sample: bool, data: Path | None, fmt: str) -> None:
    """List the KPIs, their units and whether the data can feed them."""
    import json

    from ..answers import list_rows

    engine = open_engine(workspace, sample)
    ws = engine.workspace
    rows = list_rows(engine, data)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        from ..terminal.results import render_list

        click.echo(render_list(rows))
    sys.exit(EXIT_FINDINGS if report_findings(ws) else EXIT_OK)


@cli.command("show")
@click.argument("kpi_id")
@workspace_options
@click.option("--locale", default=None, help="Language of titles (en, fr, zh-Hans, zh-Hant, fa).")
@click.option(
    "--references", is_flag=True, help="Also list the articles the definition comes from."
)
@handle_errors
def show_command(
    kpi_id: str, workspace: Path | None, sample: bool, locale: str | None, references: bool
) -> None:
    """Show a KPI: formula, how it was read, unit, dependencies, targets, examples, findings."""
    from ..describe import describe_kpi
    from ..errors import suggestion
    from ..terminal.lint import show_lines

    engine = open_engine(workspace, sample)
    ws = engine.workspace
    kpi = ws.kpis.get(kpi_id) or ws.kpi_for_alias(kpi_id)
    if kpi is None:
        raise click.UsageError(f"unknown KPI `{kpi_id}`{suggestion(kpi_id, ws.kpis)}")
    shown_in = locale or ws.settings.locale
    click.echo(describe_kpi(ws, kpi, shown_in, references))
    for line in show_lines(engine.lint(kpis=[kpi.id]), kpi, shown_in):
        click.echo(line)
    sys.exit(EXIT_FINDINGS if any(f.severity == "error" for f in kpi.findings) else EXIT_OK)


@cli.command("eval")
@workspace_options
@data_option
@click.option("--kpi", "kpis", multiple=True, help="KPI to evaluate (repeatable).")
@grain_option
@click.option("--by", multiple=True, help="Dimension to break down by (repeatable).")
@click.option("--from", "start", default=None, help="First period or date (2024-01, 2024-01-15).")
@click.option("--to", "end", default=None, help="Last period or date.")
@click.option(
    "--period",
    default=None,
    help="One period (2024-06, 2024-Q2, 2024), or `current` for the period to date "
    "(default: every period up to the last complete one).",
)
@click.option(
    "--window",
    default=None,
    help="Evaluate over a window instead of each period: ytd, qtd, mtd or rolling:N.",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@click.option("--locale", default=None, help="Language of titles.")
@handle_errors
def eval_command(
    workspace: Path | None,
    sample: bool,
    data: Path | None,
    kpis: tuple[str, ...],
    grain: str | None,
    by: tuple[str, ...],
    start: str | None,
    end: str | None,
    period: str | None,
    window: str | None,
    fmt: str,
    locale: str | None,
) -> None:
    """Evaluate KPIs for every period (and segment), against their targets."""
    from ..table import CURRENT
    from ..terminal.console import reading, width
    from ..terminal.results import base_note, partial_note, render_results

    engine = open_engine(workspace, sample)
    ws = engine.workspace
    if locale:
        ws.settings.locale = locale
    calendar = ws.calendar
    current = period == CURRENT
    if period and (start or end):
        raise click.UsageError("use either --period or --from/--to")
    if period and not current:
        grain = grain or calendar.parse_label(period)[0]
        start = end = period
    first = calendar.label_bounds(start)[0] if start else None
    last = calendar.label_bounds(end)[1] if end else None
    with reading(engine, data) as bar:
        results = engine.evaluate(
            data,
            grain=grain,
            by=list(by),
            start=first,
            end=last,
            kpis=list(kpis) or None,
            window=window,
        )
        bar.done()
    table = results.table
    if current:
        results.selected = [table.n_periods - 1]
    elif not (start or end) and fmt == "table":  # the default: up to the last complete period
        results.selected = [i for i in results.selected if i <= table.last_complete()]
    explicit_range = bool(start or end or current)
    click.echo(render_results(results, fmt, latest=None if explicit_range or fmt != "table" else 6))
    for note in (partial_note(results), base_note(results)) if fmt == "table" else ():
        if note:
            click.echo(textwrap.fill(note, width(), break_on_hyphens=False))
    sys.exit(EXIT_FINDINGS if report_findings(ws, results.findings) else EXIT_OK)
