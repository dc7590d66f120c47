"""`kpi mcp`: a Model Context Protocol server over stdio, exposing `answers` as read-only tools.

Each tool loads the workspace afresh (so edits show), calls one function of `answers` and
returns its JSON; a user mistake (unknown KPI, bad period) is a tool error with the message.
Needs the `mcp` package: `pip install 'kpiengine[mcp]'`.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

INSTALL_HINT = "`kpi mcp` needs the MCP SDK: pip install 'kpiengine[mcp]'"
INSTRUCTIONS = (
    "Marketing and sales KPIs of one kpiengine workspace, read-only. Start with list_kpis; "
    "periods are labels such as 2024-06, 2024-Q2, 2024 or 2024-W23; segments map a dimension "
    'to a value, e.g. {"channel": "Email"}. Every answer has a `receipt`: quote the '
    "formula, period, sources and their coverage, target, status and findings with a number."
)


class MissingExtra(RuntimeError):
    """The `mcp` package is not installed."""


def _sdk() -> tuple[type, type[Exception]]:
    """The server class and ToolError of the installed SDK (MCPServer in 2.x, FastMCP in 1.x)."""
    try:
        from mcp.server.mcpserver import MCPServer  # noqa: PLC0415
        from mcp.server.mcpserver.exceptions import ToolError  # noqa: PLC0415

        return MCPServer, ToolError
    except ImportError:
        pass
    try:  # SDK 1.x, imported by name: its modules are absent from 2.x
        v1 = importlib.import_module("mcp.server.fastmcp")
        errors = importlib.import_module("mcp.server.fastmcp.exceptions")
    except ImportError as exc:
        raise MissingExtra(INSTALL_HINT) from exc
    return v1.FastMCP, errors.ToolError


def build_server(open_engine: Callable[[], Any]) -> Any:
    """The MCP server; `open_engine()` gives a fresh Engine on the workspace for each call."""
    from . import answers  # noqa: PLC0415
    from .errors import KpiError  # noqa: PLC0415
    from .periods import PeriodError  # noqa: PLC0415

    server_class, tool_error = _sdk()
    server = server_class(name="kpiengine", instructions=INSTRUCTIONS)

    def run(job: Callable[[Any], Any]) -> str:
        try:
            answer = job(open_engine())
        except (KpiError, PeriodError) as exc:
            raise tool_error(str(exc)) from None
        return json.dumps(answer, ensure_ascii=False, indent=1, default=str)

    @server.tool()
    def list_kpis() -> str:
        """Every KPI: id, title, unit, layer (built-in or workspace) and whether the data
        can feed it."""
        return run(answers.list_rows)

    @server.tool()
    def show_kpi(kpi: str) -> str:
        """One KPI's definition: formula as written and as read, unit, inputs, target, worked
        examples and findings."""
        return run(lambda engine: answers.show(engine, kpi))

    @server.tool()
    def evaluate(kpi: str, period: str | None = None, segment: dict[str, str] | None = None) -> str:
        """The KPI's value in a period (default: the last complete one), for the total or one
        segment, with target, status, changes and its receipt."""
        return run(lambda engine: answers.evaluate_kpi(engine, kpi, period, segment))

    @server.tool()
    def explain_change(
        kpi: str,
        start: str | None = None,
        end: str | None = None,
        segment: dict[str, str] | None = None,
        method: str = "shapley",
        by: str | None = None,
    ) -> str:
        """Why the KPI moved from `start` to `end` (default: the latest period and the one
        before): each input's exact contribution (shapley or lmdi); with `by` (a dimension,
        e.g. channel), the change split across its segments: mix, rate, entering, leaving.
        With the current, partial period it compares the same days of both (`compared`:
        `to_date`, `start_days`, `end_days`); otherwise `warnings` says the change is of part
        of a period against a whole one."""
        return run(lambda engine: answers.explain(engine, kpi, start, end, segment, method, by=by))

    @server.tool()
    def solve_for_target(
        kpi: str,
        target: float | None = None,
        for_input: str | None = None,
        period: str | None = None,
        segment: dict[str, str] | None = None,
    ) -> str:
        """Goal-seek: the value each input (or `for_input`) needs for the KPI to reach
        `target` (default: its target) in a period, everything else held."""
        return run(lambda engine: answers.solve(engine, kpi, target, for_input, period, segment))

    @server.tool()
    def lint(kpi: str | None = None) -> str:
        """Definitional and data pitfalls (findings with code, severity, message, fix), for
        one KPI or the whole workspace."""
        return run(lambda engine: answers.lint(engine, kpi))

    return server


def serve(root: Path) -> None:
    """Serve the workspace at `root` over stdio until the client closes the connection."""
    from .engine import Engine  # noqa: PLC0415
    from .workspace import load_workspace  # noqa: PLC0415

    load_workspace(root)  # a missing folder or broken kpi.yaml stops here, with its message
    server = build_server(lambda: Engine(load_workspace(root)))
    server.run("stdio")


__all__ = ["INSTALL_HINT", "MissingExtra", "build_server", "serve"]
