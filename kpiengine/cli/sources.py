"""`kpi connectors` and `kpi sql`: where the data comes from."""

from __future__ import annotations

from pathlib import Path

import click

from .common import (
    cli,
    grain_option,
    handle_errors,
    open_engine,
    workspace_options,
)


@cli.command("connectors")
@workspace_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@handle_errors
def connectors_command(workspace: Path | None, sample: bool, fmt: str) -> None:
    """List installed connectors, their options and where each comes from."""
    import json

    found = open_engine(workspace, sample).every_connector()
    rows = [
        {
            "name": name,
            "description": item.obj.description,
            "origin": item.origin,
            "options": [
                {
                    "name": o.name,
                    "required": o.required,
                    "default": o.default,
                    "kind": o.kind,
                    "choices": list(o.choices),
                    "help": o.help,
                }
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
            said = ["required"] if option["required"] else []
            said += [" | ".join(option["choices"]) or option["kind"]] if option["kind"] else []
            flag = f" ({', '.join(said)})" if said else ""
            click.echo(f"    {option['name']}{flag}: {option['help']}")


@cli.command("sql")
@workspace_options
@click.option("--source", "source_name", required=True, help="A source whose connector is `sql`.")
@click.option("--kpi", "kpis", multiple=True, help="KPI whose inputs to query (repeatable).")
@grain_option
@click.option("--by", multiple=True, help="Dimension to break down by (repeatable).")
@click.option(
    "--dialect",
    default=None,
    help="Print for this dialect instead of the source's: duckdb, postgres, clickhouse, spark, "
    "snowflake, bigquery, trino.",
)
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
    from ..connector import Request, SqlGenerating
    from ..errors import KpiError, did_you_mean, suggestion
    from ..sources import open_sources
    from ..sqlgen import GENERATED_DIALECTS, TESTED_DIALECTS

    dialects = (*TESTED_DIALECTS, *GENERATED_DIALECTS)
    if dialect is not None:
        dialect = dialect.lower()
        if dialect not in dialects:
            close = did_you_mean(dialect, dialects)
            hint = f" (did you mean `{close}`?)" if close else ""
            raise click.BadParameter(
                f"unknown dialect `{dialect}`{hint}; the dialects: {', '.join(dialects)}",
                param_hint="--dialect",
            )
    engine = open_engine(workspace, sample)
    ws = engine.workspace
    configs = {c.name: c for c in ws.settings.sources}
    if source_name not in configs:
        raise KpiError(f"no source `{source_name}`{suggestion(source_name, configs)}")
    [source] = open_sources([configs[source_name]], engine.connectors, ws.variables)
    connector = source.connector
    if not isinstance(connector, SqlGenerating):
        raise KpiError(f"source `{source_name}` does not use SQL")
    wanted = set().union(*(ws.inputs_of(k) for k in kpis)) if kpis else source.provides
    variables = {v: ws.variables[v].aggregate for v in sorted(wanted & source.provides)}
    if dialect:
        connector.dialect = dialect
    request = Request(variables, grain or ws.settings.grain, list(by))
    click.echo(connector.sql(request))
