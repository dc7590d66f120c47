"""`kpi mcp`'s messages about a call's arguments, end to end through the SDK's stdio client: an
unknown argument is refused (not ignored), a value of the wrong type is named with the type
expected (not the SDK's pydantic text), a message names the tool's arguments (not the CLI's
flags), and a long text the client sent is repeated in 80 characters and an ellipsis at most,
in the answer and in the server's log."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mcp")

from mcp import ClientSession  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIG = "x" * 2_000_000
SHORT = "x" * 80 + "…"
CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "same": ("explain_change", {"kpi": "roi", "start": "2024-03", "end": "2024-03"}),
    "no_target": ("solve_for_target", {"kpi": "cost_per_lead", "period": "2024-03"}),
    "big_kpi": ("evaluate", {"kpi": BIG}),
    "big_segment": ("evaluate", {"kpi": "roi", "segment": {"channel": BIG}}),
    "bogus": ("evaluate", {"kpi": "roi", "bogus": 1}),
    "misspelt": ("evaluate", {"kpi": "roi", "perod": "2024-03"}),
    "big_name": ("evaluate", {"kpi": "roi", BIG: 1}),
    "number": ("evaluate", {"kpi": 5}),
    "text_segment": ("evaluate", {"kpi": "roi", "segment": "Email"}),
    "number_in_segment": ("evaluate", {"kpi": "roi", "segment": {"channel": 3}}),
    "text_target": ("solve_for_target", {"kpi": "roi", "target": "high"}),
    "missing": ("evaluate", {}),
    "good": ("evaluate", {"kpi": "roi", "period": "2024-03"}),
}


async def _session(log: Path) -> dict[str, tuple[str, bool]]:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "kpiengine.cli", "mcp", "--sample"], cwd=str(ROOT)
    )
    out = {}
    with log.open("w") as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            for key, (tool, arguments) in CALLS.items():
                result = await session.call_tool(tool, arguments)
                failed = bool(getattr(result, "is_error", None) or getattr(result, "isError", 0))
                out[key] = (result.content[0].text, failed)
    return out


@pytest.fixture(scope="module")
def said(tmp_path_factory) -> dict[str, Any]:
    log = tmp_path_factory.mktemp("mcp") / "stderr.log"
    answers: dict[str, Any] = asyncio.run(_session(log))
    answers["log"] = log.read_text(encoding="utf-8", errors="replace")
    return answers


def error(said: dict[str, Any], key: str) -> str:
    text, failed = said[key]
    assert failed, text
    tool = CALLS[key][0]
    assert text.startswith(f"Error executing tool {tool}: ")
    return text.removeprefix(f"Error executing tool {tool}: ")


def test_the_same_period_twice_names_the_tools_arguments(said):
    text = error(said, "same")
    assert text.startswith("`start` and `end` name the same period")
    assert "--from" not in text and "--to" not in text


def test_a_kpi_without_target_asks_for_the_target_argument(said):
    text = error(said, "no_target")
    assert text == "`cost_per_lead` has no target in 2024-03: give one with `target`"


def test_a_long_text_is_repeated_in_80_characters(said):
    assert error(said, "big_kpi") == f"unknown KPI `{SHORT}`"
    assert error(said, "big_segment") == f"no segment channel={SHORT} in the data for `roi`"
    assert error(said, "big_name").startswith(f"unknown argument `{SHORT}`;")
    assert "x" * 81 not in said["log"].replace(" ", "").replace("\n", "")
    assert len(said["log"]) < 20_000


def test_an_unknown_argument_is_refused_with_the_accepted_ones(said):
    assert error(said, "bogus") == "unknown argument `bogus`; the arguments: kpi, period, segment"
    assert error(said, "misspelt") == (
        "unknown argument `perod` (did you mean `period`?); the arguments: kpi, period, segment"
    )


def test_a_wrong_type_is_named_with_the_type_expected(said):
    segment = 'an object mapping each dimension to a value, e.g. {"channel": "Email"}'
    assert error(said, "number") == "`kpi` must be a string, not a number"
    assert error(said, "text_segment") == f"`segment` must be {segment}, not a string"
    assert error(said, "number_in_segment") == (
        f"`segment` must be {segment}, not an object whose `channel` is a number"
    )
    assert error(said, "text_target") == "`target` must be a number, not a string"
    assert error(said, "missing") == "`kpi` is required: a string"
    assert "pydantic" not in said["log"]


def test_good_arguments_still_answer(said):
    text, failed = said["good"]
    assert not failed and json.loads(text)["record"]["period"] == "2024-03"
