"""`kpi solve`, `kpi drivers`, `kpi explain` and `kpi plan`: symbolic analysis."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    cli,
    data_option,
    handle_errors,
    open_engine,
    output_options,
    report_findings,
    workspace_options,
)

if TYPE_CHECKING:
    from ..analysis import Context
    from ..engine import Engine
    from ..model import Workspace


class FiniteFloat(click.ParamType):
    """A number, not nan or inf (which would turn every answer into nonsense)."""

    name = "number"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        number: float = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


FINITE = FiniteFloat()


def _analysis_context(
    engine: Engine,
    kpis: list[str],
    data: Path | None,
    period: str | None,
    grain: str | None,
    by: Iterable[str],
) -> Context:
    """Evaluate the inputs of `kpis` at the period's grain (analysis commands)."""
    from ..answers import analysis_context

    return analysis_context(engine, kpis, data, period, grain, by)


def _solve_kpis(ws: Workspace, kpi_id: str, name: str | None) -> list[str]:
    return [kpi_id] + ([name] if name in ws.kpis and name != kpi_id else [])


@cli.command("solve")
@click.argument("kpi_id")
@workspace_options
@data_option
@click.option("--target", type=FINITE, default=None, help="Value to reach (default: its target).")
@click.option("--for", "for_", default=None, help="Input (variable or KPI) to solve for.")
@click.option("--period", default=None, help="Period (default: the latest with a value).")
@output_options
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
    from ..analysis import parse_segment, solve_each, solve_for
    from ..analysis.expand import resolve_kpi
    from ..errors import KpiError
    from ..terminal.analysis import render_goalseek, to_json

    engine = open_engine(workspace, sample)
    ws = engine.workspace
    kpi_id = resolve_kpi(ws, kpi_id)
    where = parse_segment(segment)
    try:
        ctx = _analysis_context(engine, _solve_kpis(ws, kpi_id, for_), data, period, grain, where)
        if for_:
            results = [solve_for(ctx, kpi_id, target, for_, period, where)]
        else:
            results = solve_each(ctx, kpi_id, target, period, where)
    except KpiError as exc:  # no data, nothing to solve for, a past value...: JSON says why
        if fmt == "json":
            click.echo(to_json({"kpi": kpi_id, "error": str(exc)}))
        raise
    click.echo(to_json(results) if fmt == "json" else render_goalseek(ws, results))
    sys.exit(EXIT_FINDINGS if report_findings(ws) else EXIT_OK)


@cli.command("drivers")
@click.argument("kpi_id")
@workspace_options
@data_option
@click.option("--period", default=None, help="Period (default: the latest with a value).")
@output_options
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
    from ..analysis import driver_tree, drivers, parse_segment
    from ..analysis.expand import resolve_kpi
    from ..terminal.analysis import render_drivers, to_json

    engine = open_engine(workspace, sample)
    ws = engine.workspace
    kpi_id = resolve_kpi(ws, kpi_id)
    where = parse_segment(segment)
    ctx = _analysis_context(engine, [kpi_id], data, period, grain, where)
    report = drivers(ctx, kpi_id, period, where)
    tree = driver_tree(ctx, kpi_id, report.period, where)
    if fmt == "json":
        click.echo(to_json({**report.to_dict(), "tree": tree.to_dict()}))
    else:
        click.echo(render_drivers(ws, report, tree))
    sys.exit(EXIT_FINDINGS if report_findings(ws) else EXIT_OK)


@cli.command("explain")
@click.argument("kpi_id")
@workspace_options
@data_option
@click.option("--from", "start", default=None, help="First period (default: the one before).")
@click.option("--to", "end", default=None, help="Second period (default: the latest).")
@click.option("--by", default=None, help="Dimension to split the change across (mix vs rate).")
@click.option("--method", type=click.Choice(["shapley", "lmdi"]), default="shapley")
@output_options
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
    from ..analysis import contributions_to_dict, explain_change, parse_segment, split_by_segment
    from ..analysis.expand import resolve_kpi
    from ..errors import KpiError
    from ..terminal.analysis import render_explanation, to_json

    engine = open_engine(workspace, sample)
    ws = engine.workspace
    kpi_id = resolve_kpi(ws, kpi_id)
    where = parse_segment(segment)
    if by and where:
        raise click.UsageError("use either --by or --segment")
    dims = [by] if by else list(where)
    try:
        ctx = _analysis_context(engine, [kpi_id], data, end or start, grain, dims)
        explanation = explain_change(ctx, kpi_id, start, end, where, method)
        split = split_by_segment(ctx, kpi_id, explanation.start, explanation.end) if by else None
    except KpiError as exc:  # a change that cannot be explained or split: JSON says why, too
        if fmt == "json":
            click.echo(to_json({"kpi": kpi_id, "error": str(exc)}))
        raise
    if fmt == "json":
        out = contributions_to_dict(explanation)
        out["segments"] = split.to_dict() if split else None
        click.echo(to_json(out))
    else:
        click.echo(render_explanation(ws, explanation, split))
    sys.exit(EXIT_FINDINGS if report_findings(ws) else EXIT_OK)


@cli.command("plan")
@click.argument("kpi_id")
@workspace_options
@data_option
@click.option("--annual", type=FINITE, default=None, help="Annual target of an additive KPI.")
@click.option("--target", type=FINITE, default=None, help="Target of a ratio KPI.")
@click.option(
    "--year", type=click.IntRange(1, 9998), default=None, help="Year (default: the next one)."
)
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
    from ..analysis import plan_annual, plan_ratio
    from ..analysis.plan import parse_given, plan_kpi
    from ..terminal.analysis import render_plan, to_json
    from ..writeback import write_targets

    engine = open_engine(workspace, sample)
    ws = engine.workspace
    if (annual is None) == (target is None):
        raise click.UsageError("give either --annual (additive KPI) or --target (ratio KPI)")
    if write and sample:
        raise click.UsageError("--write needs a workspace folder, not --sample")
    kpi_id, notes = plan_kpi(ws, kpi_id)
    ctx = _analysis_context(engine, [kpi_id], data, None, "month", [])
    if annual is not None:
        plan = plan_annual(ctx, kpi_id, annual, year, weights)
    else:
        assert target is not None  # one of the two, checked above
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
    sys.exit(EXIT_FINDINGS if report_findings(ws) else EXIT_OK)
