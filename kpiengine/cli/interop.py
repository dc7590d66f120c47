"""`kpi import metricflow|cube|osi` and `kpi export osi|metricflow`: other semantic layers."""

from __future__ import annotations

import copy
import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from ..model import Workspace

from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    cli,
    handle_errors,
    load,
    report_findings,
    workspace_options,
)


@cli.group("import")
def import_group() -> None:
    """Import metrics from dbt MetricFlow, Cube or Apache Ossie (OSI) as a workspace."""


@cli.group("export")
def export_group() -> None:
    """Export the workspace's KPIs as an OSI document or a MetricFlow project."""


def _import_options(func: Callable) -> Callable:
    func = click.option(
        "--data",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        default=None,
        help="Folder of <table>.csv or .parquet files: the sources read them through DuckDB.",
    )(func)
    func = click.option(
        "--url",
        default=None,
        help="Database URL for the sources (default: ${KPIENGINE_DATABASE_URL} at run time).",
    )(func)
    func = click.option("--check", is_flag=True, help="Only lint the imported metrics.")(func)
    func = click.option("--force", is_flag=True, help="Write into a folder that has files.")(func)
    func = click.option(
        "--output",
        "-o",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Workspace folder to write (kpi.yaml and definitions/imported.yaml).",
    )(func)
    return click.argument("path", type=click.Path(exists=True, path_type=Path))(func)


@import_group.command("metricflow")
@_import_options
@handle_errors
def import_metricflow(
    path: Path, output: Path | None, force: bool, check: bool, url: str | None, data: Path | None
):
    """Import a dbt project's semantic layer (folder, YAML file or semantic_manifest.json)."""
    from ..interop.metricflow import import_metricflow as read

    _import(read(path), output, force, check, url, data)


@import_group.command("cube")
@_import_options
@handle_errors
def import_cube(
    path: Path, output: Path | None, force: bool, check: bool, url: str | None, data: Path | None
):
    """Import a Cube data model (a folder of YAML files or one file)."""
    from ..interop.cube import import_cube as read

    _import(read(path), output, force, check, url, data)


@import_group.command("osi")
@_import_options
@click.option("--dialect", default="ANSI_SQL", help="Expression dialect to read (ANSI_SQL).")
@click.option("--no-extensions", is_flag=True, help="Ignore KPIENGINE custom extensions.")
@handle_errors
def import_osi(
    path: Path,
    output: Path | None,
    force: bool,
    check: bool,
    url: str | None,
    data: Path | None,
    dialect: str,
    no_extensions: bool,
):
    """Import an Apache Ossie (OSI) semantic model document."""
    from ..interop.osi import import_osi as read

    _import(read(path, dialect, not no_extensions), output, force, check, url, data)


def _import(
    model: Any, output: Path | None, force: bool, check: bool, url: str | None, data: Path | None
) -> None:
    from ..errors import KpiError
    from ..interop.datafit import boolean_notes
    from ..interop.writer import keep_secret, write_workspace
    from ..workspace import load_workspace

    if data is not None:
        for table in model.use_files(data):
            loc = next((s.loc for s in model.sources.values() if s.table == table), None)
            why = f"no {table.split('.')[-1]}.csv or .parquet in {data}"
            model.note(table, "table", why, loc)
    secret = None  # the variable the password of --url is read from (never written)
    if url:
        url, secret = keep_secret(url)
        model.use_database(url)
        if not any(s.options.get("url") == url for s in model.sources.values()):
            secret = None  # no source reads it
    if not check and output is None:
        raise click.UsageError("give the folder to write with -o DIR (or lint only with --check)")
    with tempfile.TemporaryDirectory() as scratch:
        if data is not None:
            _fit_to_files(model, Path(scratch) / "probe")
        else:
            boolean_notes(model)
        root = Path(scratch) / "workspace" if check or output is None else output
        write_workspace(model, root, force)
        if not check:
            click.echo(
                f"wrote {root}: {len(model.kpis)} KPIs, {len(model.variables)} variables, "
                f"{len(model.sources)} sources"
            )
            if secret:
                click.echo(
                    f"the password in --url is not written to kpi.yaml: its `url:` reads "
                    f"${{{secret}}} instead; set {secret} to the password (not URL-encoded) "
                    "where kpi runs"
                )
        # the data checks run when every source reads a file of --data (else some cannot open)
        files = data is not None and all("files" in s.options for s in model.sources.values())
        try:
            code, text = lint_imported(load_workspace(root), list(model.kpis), files)
        except KpiError as exc:
            if check and exc.location is not None:  # the scratch folder is gone: name it
                exc.location = replace(
                    exc.location, file=exc.location.file.replace(str(root), "<imported>")
                )
            raise
        if check:  # the scratch folder is gone once we return: name what it stood for
            text = text.replace(str(root), "<imported>")
    click.echo(text)
    for title, entries in (
        ("not imported", model.unmapped),
        ("imported with a caveat", model.notes),
    ):
        if entries:
            click.echo(f"{title} ({len(entries)}):")
            for entry in entries:
                click.echo(f"  {entry}")
    sys.exit(code)


def _fit_to_files(model: Any, scratch: Path) -> None:
    """Column names and boolean tests as the files of --data hold them: the model is written
    to `scratch` and each source reading a file asked its columns (`interop.datafit`)."""
    from ..engine import Engine
    from ..errors import KpiError
    from ..interop.datafit import fit
    from ..interop.guess import finish
    from ..interop.writer import write_workspace
    from ..workspace import load_workspace

    finish(model)  # ids settled once, for every source (the probe writes some)
    probe = copy.copy(model)
    probe.sources = {k: s for k, s in model.sources.items() if "files" in s.options}
    if not probe.sources:
        return
    ws = load_workspace(write_workspace(probe, scratch))
    tables: dict[str, list[str]] = {}
    try:
        opened = getattr(Engine(ws).inputs(), "opened", [])
    except KpiError:
        return  # the lint says why the sources do not open
    for source in opened:
        columns = getattr(source.connector, "columns", None)
        if callable(columns):
            try:
                tables[source.config.name] = list(columns())
            except KpiError:
                continue  # the lint reports the unreadable file
    fit(model, tables)


def lint_imported(ws: Workspace, kpis: list[str], data: bool = False) -> tuple[int, str]:
    """Exit code and text of the lint findings on the imported KPIs (the one call to lint),
    with the data checks when the sources read the files of --data (`data`)."""
    from ..engine import Engine
    from ..errors import sort_findings
    from ..terminal.lint import render_text

    report = Engine(ws).lint(True if data else None, kpis=kpis or None)
    root = str(ws.root)
    # a variable's finding has no KPI; keep those located in the imported files
    mine = [f for f in report.findings if f.kpi in kpis]
    mine += [
        f for f in ws.findings if not f.kpi and f.location and f.location.file.startswith(root)
    ]
    report.findings = sort_findings(list(dict.fromkeys(mine)))
    report.silenced = [s for s in report.silenced if s.finding.kpi in kpis]
    return report.exit_code(), render_text(report, color=sys.stdout.isatty())


@export_group.command("osi")
@workspace_options
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The OSI YAML file to write.",
)
@click.option("--own-only", is_flag=True, help="Only the workspace's KPIs, not the library's.")
@handle_errors
def export_osi(workspace: Path | None, sample: bool, output: Path, own_only: bool) -> None:
    """Write the KPIs, variables and sources as an OSI document (kpiengine data as extensions)."""
    from ..interop.osi_export import export_osi as build
    from ..interop.osi_export import osi_yaml
    from ..interop.writer import write_text

    ws = load(workspace, sample)
    document, notes = build(ws, own_only)
    write_text(output, osi_yaml(document))
    semantic = document["semantic_model"][0]
    counts = f"{len(semantic['metrics'])} metrics, {len(semantic['datasets'])} datasets"
    click.echo(f"wrote {output}: {counts}")
    _notes(notes)
    sys.exit(EXIT_FINDINGS if report_findings(ws) else EXIT_OK)


@export_group.command("metricflow")
@workspace_options
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the semantic models and metrics YAML into.",
)
@click.option("--own-only", is_flag=True, help="Only the workspace's KPIs, not the library's.")
@handle_errors
def export_metricflow(workspace: Path | None, sample: bool, output: Path, own_only: bool) -> None:
    """Write the KPIs as MetricFlow semantic models and metrics (dbt YAML).

    Semantic models and most metrics are in dbt's legacy spec (`type_params`, read by dbt 1.6
    and later); the cumulative metrics of windows (ytd, rolling) in dbt 1.12's spelling, on an
    `input_metric`. What MetricFlow would compute otherwise than kpiengine is listed: not
    exported, or exported with a caveat (also in the metric's description).
    """
    from ..interop.metricflow_export import export_metricflow as build

    ws = load(workspace, sample)
    written, notes = build(ws, output, own_only)
    click.echo(f"wrote {', '.join(str(p) for p in written)}")
    _notes(notes)
    sys.exit(EXIT_FINDINGS if report_findings(ws) else EXIT_OK)


def _notes(notes: list) -> None:
    if notes:
        click.echo(f"exported with a caveat ({len(notes)}):")
        for note in notes:
            click.echo(f"  {note}")
