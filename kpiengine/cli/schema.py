"""`kpi schema`: the JSON Schemas of definitions files and kpi.yaml, for editors."""

from __future__ import annotations

from pathlib import Path

import click

from .common import cli, handle_errors


@cli.command("schema")
@click.argument("kind", type=click.Choice(["kpi", "definitions"]), required=False)
@click.option("--path", "show_path", is_flag=True, help="Print the installed file's path.")
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to copy both schema files into (e.g. .vscode/).",
)
@handle_errors
def schema_command(kind: str | None, show_path: bool, output: Path | None) -> None:
    """Print a JSON Schema (kpi.yaml or definitions/*.yaml), its installed path, or copy both."""
    from ..interop.writer import write_text
    from ..jsonschema import FILES
    from ..resources import schema_file

    if output is not None:
        for name in FILES.values():
            written = write_text(output / name, schema_file(name).read_text(encoding="utf-8"))
            click.echo(f"wrote {written}")
        return
    if kind is None:
        raise click.UsageError(
            "name the schema: kpi (kpi.yaml) or definitions (definitions/*.yaml)"
        )
    path = schema_file(FILES[kind])
    click.echo(str(path) if show_path else path.read_text(encoding="utf-8"), nl=show_path)
