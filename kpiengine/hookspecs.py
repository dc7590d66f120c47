"""Hook specifications: everything a plugin can add to kpiengine.

A plugin is a module (built in, installed through the `kpiengine` entry-point group, or a
workspace's `plugins/*.py`) with functions decorated by `@kpiengine.hookimpl` and named like the
hooks below. Built-in connectors and checks use the same hooks as third-party ones.
`docs/plugin_hooks.md` documents each hook with an example; a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pluggy import HookimplMarker, HookspecMarker

if TYPE_CHECKING:  # the hooks' argument types, without importing them at run time
    import click
    import jinja2

    from .checks.base import Check
    from .connector import Connector

hookspec = HookspecMarker("kpiengine")
hookimpl = HookimplMarker("kpiengine")


@hookspec
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    """Register connector classes: call `register(MyConnector)` for each.

    Called once per run, when the first source is opened or `kpi connectors` lists them. A
    connector subclasses `kpiengine.connector.Connector`, sets a unique `name`, a one-line
    `description` and its `options`, and implements `fetch(request) -> Frame`. A name already
    registered by a built-in connector replaces it; two plugins registering one name is an error.
    """


@hookspec
def register_checks(register: Callable[[type[Check]], None]) -> None:
    """Register checks: call `register(MyCheck)` for each.

    Called once per run, when `kpi lint` (or a report) runs the checks or lists them. A check
    subclasses `kpiengine.checks.base.Check` with a stable `code` (like `KPI203`), a default
    `severity`, a one-line `title`, a `fix`, a `stage` (`static` or `data`) and
    `run(context) -> Iterable[Finding]`. A KPI silences a check with `allow: [KPI203: "reason"]`.
    """


@hookspec
def prepare_jinja2_environment(env: jinja2.Environment) -> None:
    """Customise the report's Jinja2 environment: add filters, globals or tests.

    Called once per rendered report, after the built-in filters are set, e.g.
    `env.filters["shout"] = str.upper`.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands to the `kpi` click group: `@cli.command()` inside the hook.

    Called once when the `kpi` command starts, before its arguments are parsed; only installed
    packages (entry points) can add commands.
    """
