"""`kpi mcp`: a Model Context Protocol server over stdio, exposing `answers` as read-only tools.

Each tool loads the workspace afresh (so edits show), calls one function of `answers` and
returns its JSON; a user mistake (unknown KPI, bad period) is a tool error with the message.
The arguments are checked first: an unknown one is an error naming those the tool takes, one of
the wrong type a short message naming it and the type expected (not the SDK's validation text).
A message repeats at most `ECHO` characters of a text the client sent, and names the tools'
arguments, not the CLI's flags. Needs the `mcp` package: `pip install 'kpiengine[mcp]'`.
"""

from __future__ import annotations

import importlib
import inspect
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

#: the most characters of a client's text a message repeats (a 2 MB `kpi` is not echoed), and
#: the longest message
ECHO = 80
LONGEST = 2000
#: what each argument's annotation expects, in words
EXPECTED = {
    "str": "a string",
    "str | None": "a string",
    "float | None": "a number",
    "dict[str, str] | None": (
        'an object mapping each dimension to a value, e.g. {"channel": "Email"}'
    ),
}
#: what the analysis says with `kpi explain` and `kpi solve`'s flags, with the tools' arguments
IN_TOOL_TERMS = {
    "--from and --to name the same period": (
        "`start` and `end` name the same period (`end` is the latest one when not given): "
        "give `start` an earlier period"
    ),
    "give one with --target": "give one with `target`",
}


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
    tools: dict[str, inspect.Signature] = {}

    class Server(server_class):  # type: ignore[misc, valid-type]
        async def call_tool(self, name: str, arguments: dict[str, Any], *rest: Any, **options: Any):
            """The SDK's call, its arguments checked first (`unknown_argument`), its error messages
            short (`told`)."""
            given = arguments or {}
            try:
                if name in tools:
                    problem = unknown_argument(given, tools[name])
                    if problem is not None:
                        raise tool_error(f"Error executing tool {name}: {problem}")
                return await super().call_tool(name, arguments, *rest, **options)
            except tool_error as exc:
                if type(exc) is not tool_error:  # the SDK's crash (UnexpectedToolError)
                    raise
                raise tool_error(told(exc, given, tools.get(name))) from None

    server = Server(name="kpiengine", instructions=INSTRUCTIONS)

    def tool() -> Callable[[Callable[..., str]], Callable[..., str]]:
        """`server.tool()`, the tool's signature kept to check its arguments."""

        def add(function: Callable[..., str]) -> Callable[..., str]:
            tools[function.__name__] = inspect.signature(function)
            server.tool()(function)
            return function

        return add

    def run(job: Callable[[Any], Any]) -> str:
        try:
            answer = job(open_engine())
        except (KpiError, PeriodError) as exc:
            raise tool_error(str(exc)) from None
        return json.dumps(answer, ensure_ascii=False, indent=1, default=str)

    @tool()
    def list_kpis() -> str:
        """Every KPI: id, title, unit, layer (built-in or workspace) and whether the data
        can feed it."""
        return run(answers.list_rows)

    @tool()
    def show_kpi(kpi: str) -> str:
        """One KPI's definition: formula as written and as read, unit, inputs, target, worked
        examples and findings."""
        return run(lambda engine: answers.show(engine, kpi))

    @tool()
    def evaluate(kpi: str, period: str | None = None, segment: dict[str, str] | None = None) -> str:
        """The KPI's value in a period (default: the last complete one), for the total or one
        segment, with target, status, changes and its receipt."""
        return run(lambda engine: answers.evaluate_kpi(engine, kpi, period, segment))

    @tool()
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

    @tool()
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

    @tool()
    def lint(kpi: str | None = None) -> str:
        """Definitional and data pitfalls (findings with code, severity, message, fix), for
        one KPI or the whole workspace."""
        return run(lambda engine: answers.lint(engine, kpi))

    return server


def unknown_argument(arguments: dict[str, Any], signature: inspect.Signature) -> str | None:
    """The message about the first argument the tool does not take, or None (the SDK would
    ignore it: a misspelt `perod` would silently evaluate the default period)."""
    from .errors import did_you_mean  # noqa: PLC0415

    taken = list(signature.parameters)
    for name in arguments:
        if name not in taken:
            short = shortened(str(name))
            close = did_you_mean(short, taken)
            hint = f" (did you mean `{close}`?)" if close else ""
            return f"unknown argument `{short}`{hint}; the arguments: {', '.join(taken)}"
    return None


def told(exc: Exception, arguments: dict[str, Any], signature: inspect.Signature | None) -> str:
    """The message of a tool's error: a validation error of the SDK's as one line per argument
    (`invalid`), the CLI's flags named as the tool's arguments, the client's long texts cut."""
    message = str(exc)
    cause = exc.__cause__
    if signature is not None and type(cause).__name__ == "ValidationError":
        head = message.split(":", 1)[0]  # "Error executing tool NAME"
        message = f"{head}: {invalid(cause, arguments, signature)}"
    for said, meant in IN_TOOL_TERMS.items():
        message = message.replace(said, meant)
    return capped(message, arguments)


def invalid(error: Any, arguments: dict[str, Any], signature: inspect.Signature) -> str:
    """Which arguments pydantic refused, and the type each expects."""
    problems: dict[str, str] = {}
    for item in error.errors():
        loc = [str(part) for part in item.get("loc", ())]
        if not loc or loc[0] in problems:
            continue
        name = loc[0]
        parameter = signature.parameters.get(name)
        expected = EXPECTED.get(str(parameter.annotation), "") if parameter else ""
        expected = expected or "another value"
        if item.get("type") == "missing":
            problems[name] = f"`{name}` is required: {expected}"
            continue
        value = arguments.get(name)
        got = kind(value)
        if len(loc) > 1 and isinstance(value, dict):  # one of the object's values
            got = f"an object whose `{shortened(loc[1])}` is {kind(value.get(loc[1]))}"
        problems[name] = f"`{name}` must be {expected}, not {got}"
    return "; ".join(problems.values()) or "invalid arguments"


def kind(value: Any) -> str:
    """A JSON value's type, in words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an object" if isinstance(value, dict) else "a list"


def shortened(text: str) -> str:
    """`text`, or its first `ECHO` characters and an ellipsis."""
    return text if len(text) <= ECHO else text[:ECHO] + "…"


def capped(message: str, arguments: dict[str, Any]) -> str:
    """`message` with each long text of the client's shortened, and at most `LONGEST`
    characters (the log on the server's stderr repeats it too)."""
    texts: set[str] = set()
    for name, value in arguments.items():
        texts.add(str(name))
        items = value.items() if isinstance(value, dict) else [(value, "")]
        texts.update(str(t) for pair in items for t in pair if isinstance(t, str))
    for text in sorted({t for t in texts | {t.strip() for t in texts} if len(t) > ECHO},
                       key=len, reverse=True):  # fmt: skip
        message = message.replace(text, shortened(text))
    return message if len(message) <= LONGEST else message[:LONGEST] + "…"


def serve(root: Path) -> None:
    """Serve the workspace at `root` over stdio until the client closes the connection."""
    from .engine import Engine  # noqa: PLC0415
    from .workspace import load_workspace  # noqa: PLC0415

    load_workspace(root)  # a missing folder or broken kpi.yaml stops here, with its message
    server = build_server(lambda: Engine(load_workspace(root)))
    server.run("stdio")


__all__ = ["INSTALL_HINT", "MissingExtra", "build_server", "serve"]
