"""`kpi mcp` end to end: the SDK's stdio client talks to the server on the sample workspace."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

pytest.importorskip("mcp")

from mcp import ClientSession  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402

from kpiengine.cli import cli  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TOOLS = {"list_kpis", "show_kpi", "evaluate", "explain_change", "solve_for_target", "lint"}
CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "list": ("list_kpis", {}),
    "show": ("show_kpi", {"kpi": "roi"}),
    "roi": ("evaluate", {"kpi": "roi", "period": "2024-06"}),
    "roi_may": ("evaluate", {"kpi": "roi", "period": "2024-05"}),
    "explain": ("explain_change", {"kpi": "roi", "start": "2024-05", "end": "2024-06"}),
    "explain_by": (
        "explain_change",
        {"kpi": "cac", "start": "2023-01", "end": "2023-02", "by": "channel"},
    ),
    "solve": ("solve_for_target", {"kpi": "roi", "target": 0.6, "period": "2024-06"}),
    "lint": ("lint", {"kpi": "roi"}),
    "unknown": ("evaluate", {"kpi": "roii", "period": "2024-06"}),
    "bad_period": ("evaluate", {"kpi": "roi", "period": "2024-13"}),
    "after": ("list_kpis", {}),
}


def _error(result: Any) -> bool:
    return bool(getattr(result, "is_error", None) or getattr(result, "isError", None))


async def _session() -> dict[str, Any]:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "kpiengine.cli", "mcp", "--sample"], cwd=str(ROOT)
    )
    out: dict[str, Any] = {"before": _files()}
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        out["tools"] = {tool.name for tool in (await session.list_tools()).tools}
        for key, (tool, arguments) in CALLS.items():
            result = await session.call_tool(tool, arguments)
            text = result.content[0].text
            out[key] = (text, True) if _error(result) else (json.loads(text), False)
    out["after_files"] = _files()
    return out


def _files() -> dict[str, tuple[int, int]]:
    """Every file of the sample workspace with its size and modification time."""
    sample = ROOT / "examples" / "sample"
    found = [p for p in sample.rglob("*") if "__pycache__" not in p.parts]
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in found}


@pytest.fixture(scope="module")
def answers() -> dict[str, Any]:
    return asyncio.run(_session())


def _ok(answers: dict[str, Any], key: str) -> Any:
    value, failed = answers[key]
    assert not failed, value
    return value


def _eval_json(period: str) -> dict[str, Any]:
    """What `kpi eval --format json` prints: a separate process, the CLI's own path."""
    command = [sys.executable, "-m", "kpiengine.cli", "eval", "--sample", "--kpi", "roi"]
    done = subprocess.run(
        [*command, "--period", period, "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    (record,) = json.loads(done.stdout)
    return record


def test_lists_the_tools(answers: dict[str, Any]) -> None:
    assert answers["tools"] == TOOLS
    ids = {row["kpi"] for row in _ok(answers, "list")}
    assert {"roi", "cac", "lead_velocity_rate"} <= ids


def test_evaluate_gives_the_cli_value_with_its_receipt(answers: dict[str, Any]) -> None:
    answer = _ok(answers, "roi")
    record = _eval_json("2024-06")
    assert answer["value"] == record["value"]
    assert answer["record"] == record
    receipt = answer["receipt"]
    assert receipt["formula"] == "(revenue - marketing_cost) / marketing_cost"
    assert receipt["unit"] == "ratio"
    assert (receipt["period"], receipt["segment"]) == ("2024-06", {})
    assert receipt["target"] == 0.6  # examples/sample/kpi.yaml
    assert receipt["status"] == record["status"] == "off_track"
    sources = {s["source"]: s for s in receipt["sources"]}
    assert set(sources) == {"hubspot_deals", "costs"}  # revenue and marketing_cost
    assert sources["costs"]["variables"] == ["marketing_cost"]
    assert all(s["period_coverage"] == "complete" for s in sources.values())
    assert all(f["kpi"] in ("roi", None) for f in receipt["findings"])
    linted = CliRunner().invoke(cli, ["lint", "--sample", "--kpi", "roi", "--format", "json"])
    codes = {f["code"] for f in json.loads(linted.output)["findings"] if f["kpi"] == "roi"}
    assert codes and {f["code"] for f in receipt["findings"]} <= codes | {"KPI307"}


def test_show_reads_the_definition(answers: dict[str, Any]) -> None:
    answer = _ok(answers, "show")
    library = yaml.safe_load((ROOT / "definitions/revenue.yaml").read_text(encoding="utf-8"))
    assert answer["formula"] == library["kpis"]["roi"]["formula"]
    assert answer["target"]["constant"] == 0.6
    assert answer["inputs"] == ["marketing_cost", "revenue"]
    assert "roi:" in answer["text"]


def test_explain_change_adds_up(answers: dict[str, Any]) -> None:
    answer = _ok(answers, "explain")
    assert answer["before"] == pytest.approx(_ok(answers, "roi_may")["value"], rel=1e-12)
    assert answer["after"] == pytest.approx(_ok(answers, "roi")["value"], rel=1e-12)
    total = sum(c["contribution"] for c in answer["contributions"])
    assert total == pytest.approx(answer["after"] - answer["before"], rel=1e-9)
    assert answer["receipt"]["period"] == "2024-06"
    assert answer["receipt"]["compared_with"] == "2024-05"


def test_explain_change_by_a_dimension_splits_it_as_the_cli_does(answers: dict[str, Any]) -> None:
    """`by: channel` splits the change across channels (mix, rate, entering and leaving, no
    remainder), the same numbers as `kpi explain --by channel --format json`."""
    answer = _ok(answers, "explain_by")
    split = answer["segments"]
    parts = split["mix"] + split["rate"] + (split["entering_leaving"] or 0.0)
    parts += split["without_denominator"] or 0.0
    assert parts == pytest.approx(answer["after"] - answer["before"], rel=1e-9)
    args = ["explain", "cac", "--sample", "--from", "2023-01", "--to", "2023-02", "--by"]
    shown = CliRunner().invoke(cli, [*args, "channel", "--format", "json"]).stdout
    expected = json.loads(shown)["segments"]
    for key in ("change", "mix", "rate"):
        assert split[key] == pytest.approx(expected[key], rel=1e-12)
    rows = [(r["segment"], r["change"]) for r in split["rows"]]
    assert rows == [(r["segment"], pytest.approx(r["change"])) for r in expected["rows"]]


def test_solve_for_target_reaches_it(answers: dict[str, Any]) -> None:
    answer = _ok(answers, "solve")
    by_input = {r["input"]: r for r in answer["solutions"]}
    revenue = by_input["revenue"]["input_value"]
    cost = by_input["marketing_cost"]["input_value"]
    assert (revenue - cost) / cost == pytest.approx(_ok(answers, "roi")["value"], rel=1e-12)
    needed_revenue = by_input["revenue"]["solutions"][0]["value"]
    needed_cost = by_input["marketing_cost"]["solutions"][0]["value"]
    assert (needed_revenue - cost) / cost == pytest.approx(0.6, rel=1e-9)
    assert (revenue - needed_cost) / needed_cost == pytest.approx(0.6, rel=1e-9)
    assert answer["receipt"]["period"] == "2024-06"


def test_lint_one_kpi(answers: dict[str, Any]) -> None:
    answer = _ok(answers, "lint")
    findings = answer["findings"]
    assert findings and all(f["kpi"] in ("roi", None) for f in findings)
    assert answer["summary"]["warnings"] == sum(f["severity"] == "warning" for f in findings)
    assert answer["receipt"]["kpis"] == ["roi"]
    assert answer["receipt"]["data_checked"] is True


def test_bad_input_is_a_tool_error_not_a_crash(answers: dict[str, Any]) -> None:
    text, failed = answers["unknown"]
    assert failed and "unknown KPI `roii`" in text and "roi" in text
    assert "Traceback" not in text
    text, failed = answers["bad_period"]
    assert failed and "2024-13" in text
    assert _ok(answers, "after") == _ok(answers, "list")  # the server is still up


def test_no_tool_writes_files(answers: dict[str, Any]) -> None:
    assert answers["after_files"] == answers["before"]


def test_missing_sdk_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "mcp" or m.startswith("mcp.")] + ["mcp"]:
        monkeypatch.setitem(sys.modules, name, None)  # `import mcp...` now fails
    result = CliRunner().invoke(cli, ["mcp", "--sample"])
    assert result.exit_code == 2
    assert "pip install 'kpiengine[mcp]'" in result.output
    assert "Traceback" not in result.output


def test_missing_workspace_is_a_message() -> None:
    result = CliRunner().invoke(cli, ["mcp", "--workspace", "/nonexistent/kpis"])
    assert result.exit_code == 2
    assert "workspace folder not found" in result.output


def test_cli_help_does_not_import_mcp() -> None:
    code = "import sys; from kpiengine.cli import cli; print('mcp' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_evaluate_accepts_current_like_the_other_tools():
    # explain_change and solve_for_target take `current` (and their errors suggest it)
    import kpiengine  # noqa: PLC0415
    from kpiengine import answers  # noqa: PLC0415
    from kpiengine.engine import Engine  # noqa: PLC0415

    ws = kpiengine.load_workspace(kpiengine.sample_workspace())
    got = answers.evaluate_kpi(Engine(ws), "roi", "current")
    last = [r for r in kpiengine.evaluate(ws, kpis=["roi"]).records() if not r["segment"]][-1]
    assert got["record"]["period"] == last["period"]
    assert got["value"] == pytest.approx(last["value"])
