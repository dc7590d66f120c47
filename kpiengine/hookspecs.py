"""Hook specifications: everything a plugin can add to kpiengine.

A plugin is a module (built in, installed through the `kpiengine` entry-point group, or a
workspace's `plugins/*.py`) with functions decorated by `@kpiengine.hookimpl` and named like the
hooks below. Built-in connectors use the same hooks as third-party ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("kpiengine")
hookimpl = HookimplMarker("kpiengine")


@hookspec
def register_connectors(register: Callable[[type], None]) -> None:
    """Register connector classes: call `register(MyConnector)` for each.

    A connector subclasses `kpiengine.connector.Connector`, sets a unique `name`, a one-line
    `description` and its `options`, and implements `fetch(request) -> Frame`. A name already
    registered by a built-in connector replaces it; two plugins registering one name is an error.
    """


@hookspec
def register_checks(register: Callable[[type], None]) -> None:
    """Register pitfall checks: call `register(MyCheck)` for each.

    A check has a stable `code` (like `KPI203`), a default `severity`, a one-line `title`, and
    returns findings for the workspace's definitions, or for definitions with evaluated data.
    A KPI silences one check with `allow: [KPI203: "the reason"]`.
    """


@hookspec
def prepare_jinja2_environment(env: Any) -> None:
    """Customise the report's Jinja2 environment: add filters, globals or tests.

    Called once per report, after the built-in filters are set, e.g.
    `env.filters["shout"] = str.upper`.
    """


@hookspec
def register_commands(cli: Any) -> None:
    """Add commands to the `kpi` click group: `@cli.command()` inside the hook."""
