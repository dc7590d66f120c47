"""The `kpi` command line: thin wrappers that call the Python API and print.

Heavy modules (sympy, numpy) are imported inside commands so that `kpi --help` starts fast.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def handle_errors(func: Callable) -> Callable:
    """Turn user errors into a message and exit code 2, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .errors import KpiError
        from .periods import PeriodError

        try:
            return func(*args, **kwargs)
        except KpiError as exc:
            _fail(str(exc))
        except PeriodError as exc:
            _fail(str(exc))

    return wrapper


def workspace_options(func: Callable) -> Callable:
    func = click.option("--sample", is_flag=True, help="Use the bundled sample workspace.")(func)
    func = click.option(
        "--workspace",
        "-w",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Workspace folder (default: the current directory).",
    )(func)
    return func


def data_option(func: Callable) -> Callable:
    return click.option(
        "--data",
        "-d",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="CSV with `date`, dimension columns and one column per variable.",
    )(func)


def _load(workspace: Path | None, sample: bool):
    from .resources import sample_workspace
    from .workspace import load_workspace

    if sample and workspace:
        raise click.UsageError("use either --workspace or --sample")
    root = sample_workspace() if sample else (workspace or Path.cwd())
    return load_workspace(root)


def _report_findings(ws, extra=()) -> bool:
    """Print definition findings to stderr; True when any is an error."""
    from .errors import ERROR, sort_findings

    findings = sort_findings([*ws.findings, *extra])
    for finding in findings:
        click.echo(finding.format(), err=True)
    return any(f.severity == ERROR for f in findings)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kpi")
def cli() -> None:
    """Declarative marketing and sales KPIs: YAML formulas, checked units, evaluated data."""


@cli.command("list")
@workspace_options
@data_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@handle_errors
def list_command(workspace: Path | None, sample: bool, data: Path | None, fmt: str) -> None:
    """List the KPIs, their units and whether the data can feed them."""
    import json

    from .sources import Inputs

    ws = _load(workspace, sample)
    available = None
    if data or ws.settings.sources:
        available = Inputs(ws, data).available
    rows = []
    for kpi in ws.kpis.values():
        blocker = ws.blocked_by(kpi.id)
        missing = sorted(ws.inputs_of(kpi.id) - available) if available is not None else []
        if blocker:
            state = "errors" if blocker == kpi.id else f"blocked by {blocker}"
        elif available is None:
            state = "ok"
        else:
            state = "fed" if not missing else "missing " + ", ".join(missing)
        rows.append(
            {
                "kpi": kpi.id,
                "title": kpi.title_in(ws.settings.locale),
                "unit": str(kpi.unit) if kpi.unit else kpi.unit_text,
                "layer": kpi.layer + (" (override)" if kpi.overrides else ""),
                "state": state,
            }
        )
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        from .formatting import table

        headers = ["kpi", "title", "unit", "layer", "state"]
        click.echo(table(headers, [[r[h] for h in headers] for r in rows]))
    sys.exit(EXIT_FINDINGS if _report_findings(ws) else EXIT_OK)


@cli.command("show")
@click.argument("kpi_id")
@workspace_options
@click.option("--locale", default=None, help="Language of titles (en, fr, zh-Hans, zh-Hant, fa).")
@handle_errors
def show_command(kpi_id: str, workspace: Path | None, sample: bool, locale: str | None) -> None:
    """Show a KPI: formula, how it was read, unit, dependencies, targets, examples, findings."""
    from .describe import describe_kpi
    from .errors import suggestion

    ws = _load(workspace, sample)
    kpi = ws.kpis.get(kpi_id) or ws.kpi_for_alias(kpi_id)
    if kpi is None:
        raise click.UsageError(f"unknown KPI `{kpi_id}`{suggestion(kpi_id, ws.kpis)}")
    click.echo(describe_kpi(ws, kpi, locale or ws.settings.locale))
    sys.exit(EXIT_FINDINGS if any(f.severity == "error" for f in kpi.findings) else EXIT_OK)


@cli.command("eval")
@workspace_options
@data_option
@click.option("--kpi", "kpis", multiple=True, help="KPI to evaluate (repeatable).")
@click.option(
    "--grain", type=click.Choice(["day", "week", "month", "quarter", "year"]), default=None
)
@click.option("--by", multiple=True, help="Dimension to break down by (repeatable).")
@click.option("--from", "start", default=None, help="First period or date (2024-01, 2024-01-15).")
@click.option("--to", "end", default=None, help="Last period or date.")
@click.option("--period", default=None, help="One period (2024-06, 2024-Q2, 2024).")
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
    fmt: str,
    locale: str | None,
) -> None:
    """Evaluate KPIs for every period (and segment), against their targets."""
    from .evaluation import evaluate
    from .output import render_results
    from .periods import label_bounds, parse_label

    ws = _load(workspace, sample)
    if locale:
        ws.settings.locale = locale
    if period:
        if start or end:
            raise click.UsageError("use either --period or --from/--to")
        grain = grain or parse_label(period)[0]
        start = end = period
    first = label_bounds(start)[0] if start else None
    last = label_bounds(end)[1] if end else None
    results = evaluate(
        ws, data, grain=grain, by=list(by), start=first, end=last, kpis=list(kpis) or None
    )
    explicit_range = bool(start or end)
    click.echo(render_results(results, fmt, latest=None if explicit_range or fmt != "table" else 6))
    sys.exit(EXIT_FINDINGS if _report_findings(ws, results.findings) else EXIT_OK)


@cli.command("connectors")
@workspace_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@handle_errors
def connectors_command(workspace: Path | None, sample: bool, fmt: str) -> None:
    """List installed connectors, their options and where each comes from."""
    import json

    from .plugins import get_plugin_manager, registered
    from .resources import sample_workspace

    root = sample_workspace() if sample else (workspace or Path.cwd())
    found = registered(get_plugin_manager(root), "register_connectors")
    rows = [
        {
            "name": name,
            "description": item.obj.description,
            "origin": item.origin,
            "options": [
                {"name": o.name, "required": o.required, "default": o.default, "help": o.help}
                for o in item.obj.options
            ],
        }
        for name, item in sorted(found.items())
    ]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for row in rows:
        click.echo(f"{row['name']}  ({row['origin']})\n  {row['description']}")
        for option in row["options"]:
            flag = " (required)" if option["required"] else ""
            click.echo(f"    {option['name']}{flag}: {option['help']}")


@cli.command("sql")
@workspace_options
@click.option("--source", "source_name", required=True, help="A source whose connector is `sql`.")
@click.option("--kpi", "kpis", multiple=True, help="KPI whose inputs to query (repeatable).")
@click.option("--grain", type=click.Choice(["day", "week", "month", "quarter", "year"]))
@click.option("--by", multiple=True, help="Dimension to break down by (repeatable).")
@click.option("--dialect", default=None, help="Print for this dialect instead of the source's.")
@handle_errors
def sql_command(
    workspace: Path | None,
    sample: bool,
    source_name: str,
    kpis: tuple[str, ...],
    grain: str | None,
    by: tuple[str, ...],
    dialect: str | None,
) -> None:
    """Print the aggregation query a SQL source runs (useful for generated-only dialects)."""
    from .connector import Request
    from .errors import KpiError, suggestion
    from .sources import open_sources

    ws = _load(workspace, sample)
    configs = {c.name: c for c in ws.settings.sources}
    if source_name not in configs:
        raise KpiError(f"no source `{source_name}`{suggestion(source_name, configs)}")
    [source] = open_sources([configs[source_name]], ws.root, set(ws.variables))
    if not hasattr(source.connector, "sql"):
        raise KpiError(f"source `{source_name}` does not use SQL")
    wanted = set().union(*(ws.inputs_of(k) for k in kpis)) if kpis else source.provides
    variables = {v: ws.variables[v].aggregate for v in sorted(wanted & source.provides)}
    if dialect:
        source.connector.dialect = dialect
    request = Request(variables, grain or ws.settings.grain, list(by))
    click.echo(source.connector.sql(request))


def main() -> None:
    """Entry point of the `kpi` script: plugins may add commands first."""
    from .plugins import get_plugin_manager

    try:
        # built-in plugins add no commands; skipping them keeps `kpi --help` fast
        get_plugin_manager(builtins=False).hook.register_commands(cli=cli)
    except Exception as exc:  # a broken plugin must not stop the built-in commands
        click.echo(f"warning: plugins could not add commands: {exc}", err=True)
    cli(prog_name="kpi")


if __name__ == "__main__":  # pragma: no cover
    main()
