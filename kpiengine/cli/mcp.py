"""`kpi mcp`: serve the workspace to AI assistants over the Model Context Protocol (stdio)."""

from __future__ import annotations

from pathlib import Path

import click

from .common import cli, fail, handle_errors, workspace_options


@cli.command("mcp")
@workspace_options
@handle_errors
def mcp_command(workspace: Path | None, sample: bool) -> None:
    """Serve the KPIs read-only over MCP (stdio): list, show, evaluate, explain, solve, lint."""
    from ..mcpserver import MissingExtra, serve
    from ..resources import sample_workspace

    if sample and workspace:
        raise click.UsageError("use either --workspace or --sample")
    root = sample_workspace() if sample else (workspace or Path.cwd())
    try:
        serve(Path(root))
    except MissingExtra as exc:
        fail(str(exc))
