"""The `kpi` command line: thin wrappers that call the Python API and print.

Heavy modules (sympy, numpy, duckdb) are imported inside commands so that `kpi --help` starts
fast. Each module of this package holds the commands of one job.
"""

from __future__ import annotations

import gc

import click

from . import analysis, evaluate, interop, lint, mcp, report, schema, sources  # noqa: F401 - they register commands
from .common import cli

__all__ = ["cli", "main"]


def main() -> None:
    """Entry point of the `kpi` script: installed plugins may add commands first.

    The plugin manager made here is the run's one: commands hand it to their engine, which
    adds the built-ins and the workspace's plugins.
    """
    # a command keeps most of what it allocates (modules, definitions, the records it prints):
    # the cyclic collector's default passes (every 700 allocations) free almost nothing and took
    # 40 ms of a 0.8 s evaluation; collect young cycles every 100,000 allocations instead
    gc.set_threshold(100_000, 50, 50)
    from ..plugins import PluginManager

    pm = PluginManager()
    try:
        # built-in plugins add no commands; loading them later keeps `kpi --help` fast
        pm.load_entry_points()
        pm.hook.register_commands(cli=cli)
    except Exception as exc:  # a broken plugin must not stop the built-in commands
        click.echo(f"warning: plugins could not add commands: {exc}", err=True)
    for why in pm.broken.values():  # the others are loaded: say what is missing, and why
        click.echo(f"warning: {why}: its connectors, checks and commands are missing", err=True)
    try:
        cli(prog_name="kpi", obj=pm)
    finally:
        # the process ends: leave its objects to the OS instead of collecting them one by one
        # at exit (about a tenth of a second's run, on an evaluation of 5M rows)
        gc.freeze()
