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
    from .lint import show_lines

    ws = _load(workspace, sample)
    kpi = ws.kpis.get(kpi_id) or ws.kpi_for_alias(kpi_id)
    if kpi is None:
        raise click.UsageError(f"unknown KPI `{kpi_id}`{suggestion(kpi_id, ws.kpis)}")
    click.echo(describe_kpi(ws, kpi, locale or ws.settings.locale))
    for line in show_lines(ws, kpi):
        click.echo(line)
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


def _analysis_context(ws, kpis: list[str], data, period, grain, by):
    """Load the inputs of `kpis` at the period's grain (analysis commands)."""
    from .analysis import load_context
    from .periods import parse_label

    grain = grain or (parse_label(period)[0] if period else None)
    return load_context(ws, kpis, data, grain=grain, by=list(by))


def _solve_kpis(ws, kpi_id: str, name: str | None) -> list[str]:
    return [kpi_id] + ([name] if name in ws.kpis and name != kpi_id else [])


@cli.command("solve")
@click.argument("kpi_id")
@workspace_options
@data_option
@click.option("--target", type=float, default=None, help="Value to reach (default: its target).")
@click.option("--for", "for_", default=None, help="Input (variable or KPI) to solve for.")
@click.option("--period", default=None, help="Period (default: the latest with a value).")
@click.option("--segment", multiple=True, help="DIMENSION=VALUE, e.g. channel=Email.")
@click.option("--grain", type=click.Choice(["day", "week", "month", "quarter", "year"]))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@handle_errors
def solve_command(
    kpi_id: str,
    workspace: Path | None,
    sample: bool,
    data: Path | None,
    target: float | None,
    for_: str | None,
    period: str | None,
    segment: tuple[str, ...],
    grain: str | None,
    fmt: str,
) -> None:
    """Goal-seek: the value an input needs for the KPI to reach a target (all else held)."""
    from .analysis import parse_segment, solve_each, solve_for
    from .analysis.expand import resolve_kpi
    from .analysis.text import render_goalseek, to_json

    ws = _load(workspace, sample)
    kpi_id = resolve_kpi(ws, kpi_id)
    where = parse_segment(segment)
    ctx = _analysis_context(ws, _solve_kpis(ws, kpi_id, for_), data, period, grain, where)
    if for_:
        results = [solve_for(ctx, kpi_id, target, for_, period, where)]
    else:
        results = solve_each(ctx, kpi_id, target, period, where)
    click.echo(to_json(results) if fmt == "json" else render_goalseek(ws, results))
    sys.exit(EXIT_FINDINGS if _report_findings(ws) else EXIT_OK)


@cli.command("drivers")
@click.argument("kpi_id")
@workspace_options
@data_option
@click.option("--period", default=None, help="Period (default: the latest with a value).")
@click.option("--segment", multiple=True, help="DIMENSION=VALUE, e.g. channel=Email.")
@click.option("--grain", type=click.Choice(["day", "week", "month", "quarter", "year"]))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@handle_errors
def drivers_command(
    kpi_id: str,
    workspace: Path | None,
    sample: bool,
    data: Path | None,
    period: str | None,
    segment: tuple[str, ...],
    grain: str | None,
    fmt: str,
) -> None:
    """Drivers: each input's derivative and elasticity, ranked, and the driver tree."""
    from .analysis import driver_tree, drivers, parse_segment
    from .analysis.expand import resolve_kpi
    from .analysis.text import render_drivers, to_json

    ws = _load(workspace, sample)
    kpi_id = resolve_kpi(ws, kpi_id)
    where = parse_segment(segment)
    ctx = _analysis_context(ws, [kpi_id], data, period, grain, where)
    report = drivers(ctx, kpi_id, period, where)
    tree = driver_tree(ctx, kpi_id, report.period, where)
    if fmt == "json":
        click.echo(to_json({**report.to_dict(), "tree": tree.to_dict()}))
    else:
        click.echo(render_drivers(ws, report, tree))
    sys.exit(EXIT_FINDINGS if _report_findings(ws) else EXIT_OK)


@cli.command("explain")
@click.argument("kpi_id")
@workspace_options
@data_option
@click.option("--from", "start", default=None, help="First period (default: the one before).")
@click.option("--to", "end", default=None, help="Second period (default: the latest).")
@click.option("--by", default=None, help="Dimension to split the change across (mix vs rate).")
@click.option("--segment", multiple=True, help="DIMENSION=VALUE, e.g. channel=Email.")
@click.option("--method", type=click.Choice(["shapley", "lmdi"]), default="shapley")
@click.option("--grain", type=click.Choice(["day", "week", "month", "quarter", "year"]))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@handle_errors
def explain_command(
    kpi_id: str,
    workspace: Path | None,
    sample: bool,
    data: Path | None,
    start: str | None,
    end: str | None,
    by: str | None,
    segment: tuple[str, ...],
    method: str,
    grain: str | None,
    fmt: str,
) -> None:
    """Explain a KPI's change between two periods: each input's exact contribution."""
    from .analysis import contributions_to_dict, explain_change, parse_segment, split_by_segment
    from .analysis.expand import resolve_kpi
    from .analysis.text import render_explanation, to_json

    ws = _load(workspace, sample)
    kpi_id = resolve_kpi(ws, kpi_id)
    where = parse_segment(segment)
    if by and where:
        raise click.UsageError("use either --by or --segment")
    dims = [by] if by else list(where)
    ctx = _analysis_context(ws, [kpi_id], data, end or start, grain, dims)
    explanation = explain_change(ctx, kpi_id, start, end, where, method)
    split = split_by_segment(ctx, kpi_id, explanation.start, explanation.end) if by else None
    if fmt == "json":
        out = contributions_to_dict(explanation)
        out["segments"] = split.to_dict() if split else None
        click.echo(to_json(out))
    else:
        click.echo(render_explanation(ws, explanation, split))
    sys.exit(EXIT_FINDINGS if _report_findings(ws) else EXIT_OK)


@cli.command("plan")
@click.argument("kpi_id")
@workspace_options
@data_option
@click.option("--annual", type=float, default=None, help="Annual target of an additive KPI.")
@click.option("--target", type=float, default=None, help="Target of a ratio KPI.")
@click.option("--year", type=int, default=None, help="Year planned (default: the next one).")
@click.option(
    "--weights", default="last-year", help="last-year, even, 12 numbers (10,8,...) or a file."
)
@click.option("--given", multiple=True, help="Planned input per month: NAME=VALUE.")
@click.option("--for", "for_", default=None, help="Input to derive (ratio KPIs).")
@click.option("--write", is_flag=True, help="Write the targets into kpi.yaml.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@handle_errors
def plan_command(
    kpi_id: str,
    workspace: Path | None,
    sample: bool,
    data: Path | None,
    annual: float | None,
    target: float | None,
    year: int | None,
    weights: str,
    given: tuple[str, ...],
    for_: str | None,
    write: bool,
    fmt: str,
) -> None:
    """SMART targets: split an annual target by month and quarter, or derive input targets."""
    from .analysis import plan_annual, plan_ratio, write_targets
    from .analysis.plan import parse_given, plan_kpi
    from .analysis.text import render_plan, to_json

    ws = _load(workspace, sample)
    if (annual is None) == (target is None):
        raise click.UsageError("give either --annual (additive KPI) or --target (ratio KPI)")
    if write and sample:
        raise click.UsageError("--write needs a workspace folder, not --sample")
    kpi_id, notes = plan_kpi(ws, kpi_id)
    ctx = _analysis_context(ws, [kpi_id], data, None, "month", [])
    if annual is not None:
        plan = plan_annual(ctx, kpi_id, annual, year, weights)
    else:
        plan = plan_ratio(ctx, kpi_id, target, parse_given(given), year, for_)
    plan.notes = notes + plan.notes
    written = None
    if write:
        if not (plan.months or plan.kind == "ratio" and plan.derived):
            raise click.UsageError("nothing to write: the plan has no feasible target")
        root = workspace or Path.cwd()
        additive = plan.kind == "split"
        written = write_targets(root, kpi_id, plan.target_entries(), plan.year, additive)
    if fmt == "json":
        out = plan.to_dict()
        out["written"] = {"path": str(written.path), "entry": written.entry} if written else None
        click.echo(to_json(out))
    else:
        click.echo(render_plan(ws, plan, written))
    sys.exit(EXIT_FINDINGS if _report_findings(ws) else EXIT_OK)


@cli.command("lint")
@workspace_options
@data_option
@click.option("--by", multiple=True, help="Dimension for the segment checks (default: each).")
@click.option("--kpi", "kpis", multiple=True, help="Only this KPI's findings (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@handle_errors
def lint_command(
    workspace: Path | None,
    sample: bool,
    data: Path | None,
    by: tuple[str, ...],
    kpis: tuple[str, ...],
    fmt: str,
    strict: bool,
) -> None:
    """Check definitions, and data when there is some, for KPI pitfalls (see README)."""
    from .errors import suggestion
    from .lint import lint, render_text

    ws = _load(workspace, sample)
    for kpi_id in kpis:
        if kpi_id not in ws.kpis:
            raise click.UsageError(f"unknown KPI `{kpi_id}`{suggestion(kpi_id, ws.kpis)}")
    source = data if data else (True if ws.settings.sources else None)
    report = lint(ws, data=source, by=list(by) or None, kpis=list(kpis) or None)
    if fmt == "json":
        click.echo(report.to_json())
    elif fmt == "sarif":
        from .sarif import render_sarif

        click.echo(render_sarif(report))
    else:
        click.echo(render_text(report, color=sys.stdout.isatty()))
    sys.exit(report.exit_code(strict))


@cli.command("report")
@workspace_options
@data_option
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="File to write (replaced only when rendering succeeds).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "md"]),
    default=None,
    help="html or md (default: from the file name, else html).",
)
@click.option("--kpi", "kpis", multiple=True, help="KPI to report on (repeatable).")
@click.option(
    "--grain", type=click.Choice(["day", "week", "month", "quarter", "year"]), default=None
)
@click.option("--period", default=None, help="Period to report on (default: the latest).")
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
    from .evaluation import evaluate
    from .periods import parse_label
    from .report import write_report

    ws = _load(workspace, sample)
    if period:
        grain = grain or parse_label(period)[0]
    results = evaluate(ws, data, grain=grain, by=list(by), kpis=list(kpis) or None)
    path = write_report(results, output, fmt, locale or ws.settings.locale, period)
    click.echo(f"wrote {path}")
    sys.exit(EXIT_FINDINGS if _report_findings(ws, results.findings) else EXIT_OK)


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
