"""The terminal: `kpi eval` and `kpi list` tables (rich) that fit, read like the report, and
keep colours for a real terminal; JSON and CSV unchanged for scripts."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

import kpiengine
from kpiengine.cli import cli
from kpiengine.terminal import console
from kpiengine.terminal.results import render_list, render_results

ANSI = re.compile(r"\x1b\[")


def run(*args: str, columns: int = 120) -> str:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": str(columns), "CI": ""})
    assert result.exit_code in (0, 1), result.output
    return result.output


@pytest.fixture(scope="module")
def sample_table() -> str:
    return run("eval", "--sample")


def test_eval_fits_in_120_columns_with_titles_and_units(sample_table):
    lines = sample_table.splitlines()
    assert max(cell_len(line) for line in lines) <= 120
    assert "Bounce rate" in sample_table and "bounce_rate" in sample_table
    assert "Average sales cycle length" in sample_table
    assert re.search(r"\d+\.\d days", sample_table)  # a KPI in days says so
    assert re.search(r"€\d[\d,]*\.\d\d", sample_table)  # currency symbol
    assert re.search(r"[▲▼] [+-]\d+\.\d pp", sample_table)  # a rate's change in points
    assert not ANSI.search(sample_table)  # no colours in a pipe


def test_eval_changes_of_rates_are_points_and_of_amounts_percent(sample_table):
    ws = kpiengine.load_workspace(kpiengine.sample_workspace())
    results = kpiengine.evaluate(ws)
    last = results.labels[results.table.last_complete()]  # the table's default, not the partial
    rows = {r["kpi"]: r for r in results.records() if r["period"] == last}
    line = next(s for s in sample_table.splitlines() if s.lstrip().startswith("Bounce rate"))
    pp = (rows["bounce_rate"]["value"] - rows["bounce_rate"]["previous"]) * 100
    assert f"{pp:+.1f} pp" in line
    line = next(s for s in sample_table.splitlines() if s.lstrip().startswith("Sales revenue"))
    revenue = rows["sales_revenue"]
    pct = (revenue["value"] - revenue["previous"]) / revenue["previous"] * 100
    assert f"{pct:+.1f}%" in line


def test_narrow_terminals_show_fewer_periods():
    wide = run("eval", "--sample", columns=260)
    narrow = run("eval", "--sample", columns=100)
    header = lambda text: [s for s in text.splitlines() if s.strip().startswith("KPI")][0]  # noqa: E731
    assert len(re.findall(r"20\d\d-\d\d", header(wide))) > len(
        re.findall(r"20\d\d-\d\d", header(narrow))
    )
    assert max(cell_len(line) for line in narrow.splitlines()) <= 100
    # the periods asked for that do not fit are named under the table, the earliest first
    periods = lambda text: re.findall(r"20\d\d-\d\d", header(text))  # noqa: E731
    hidden = [p for p in periods(wide) if p not in periods(narrow)]
    which = hidden[0] if len(hidden) == 1 else f"{hidden[0]} to {hidden[-1]} ({len(hidden)})"
    assert f"{which}: left out for the width (100 columns)" in " ".join(narrow.split())


def test_colours_only_on_a_terminal():
    assert ANSI.search(console.render("[red]x[/red]", columns=40, colour=True))
    assert not ANSI.search(console.render("[red]x[/red]", columns=40, colour=False))


def test_progress_is_silent_in_pipes_and_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with console.progress(3, "reading") as bar:
        bar.advance()  # does nothing, prints nothing
    assert not console.is_terminal()


def test_list_aligns_wide_characters():
    rows = [
        {"kpi": "roi", "title": "投资回报率", "unit": "ratio", "layer": "built-in", "state": "ok"},
        {"kpi": "cac", "title": "获客成本", "unit": "currency", "layer": "built-in", "state": "ok"},
        {"kpi": "ctr", "title": "CTR", "unit": "ratio", "layer": "built-in", "state": "ok"},
    ]
    lines = [
        s for s in render_list(rows, columns=100).splitlines() if re.match(r"\s*(roi|cac|ctr)", s)
    ]
    starts = {cell_len(line[: line.index("built-in")]) for line in lines}
    assert len(starts) == 1, lines  # the layer column starts at the same cell in every row


def test_json_and_csv_are_for_scripts_and_drop_bidi_controls():
    ws = kpiengine.load_workspace(kpiengine.sample_workspace())
    results = kpiengine.evaluate(ws, kpis=["roi"])
    ws.kpis["roi"].title = {"en": "R\u202eOI"}
    records = json.loads(render_results(results, "json"))
    assert set(records[0]) >= {"kpi", "value", "change", "change_pct", "status"}
    assert records[0]["title"] == "ROI"
    assert records[0]["change_pct"] is None  # a rate: its change is `change`, in its unit
    rows = list(csv.DictReader(io.StringIO(render_results(results, "csv"))))
    assert rows[0]["kpi"] == "roi" and "\u202e" not in "".join(rows[0].values())


@pytest.mark.parametrize("columns", [200, 120, 100, 80])
def test_no_number_or_header_is_cut_at_any_width(write_workspace, monkeypatch, columns):
    """A partial period's long label and a projected status take room: periods, then empty
    columns, give way; every value shown is whole, and the KPI ids stay."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-08-27")
    rows = "".join(f"2024-{m:02d}-{d:02d},{1000 + 37 * m + d}.25\n" for m in range(5, 9)
                   for d in range(1, 32 if m < 8 else 28) if not (m == 6 and d == 31))  # fmt: skip
    kpi_yaml = "currency: USD\ndata: data.csv\nkpis: [sales_revenue]\n"
    root = write_workspace({}, kpi_yaml, "date,revenue\n" + rows)
    text = run("eval", "-w", str(root), "--from", "2024-05", columns=columns)
    assert max(cell_len(line) for line in text.splitlines()) <= columns
    assert "…" not in text
    assert re.sub(r"\s+", "", text).count("sales_revenue") == 1  # the id, folded or not
    records = json.loads(run("eval", "-w", str(root), "--from", "2024-05", "--format", "json"))
    header = next(s for s in text.splitlines() if s.strip().startswith("KPI"))
    for record in records:
        if record["period"] in header:  # every period shown has its whole value
            assert f"${record['value']:,.2f}" in text
    assert "2024-08 (27/31 d)" in header
    projected = next(r["projected"] for r in records if r["period"] == "2024-08")
    assert "projected" in text and f"${projected:,.2f}" in text


def _columns(text: str) -> dict[str, list[str]]:
    """The cells of each column of a table rendered wide enough for one line per row."""
    lines = text.splitlines()
    header = next(i for i, s in enumerate(lines) if s.strip().startswith("KPI"))
    names = re.split(r"\s{2,}", lines[header].strip())
    out: dict[str, list[str]] = {name: [] for name in names}
    for line in lines[header + 2 :]:
        if not line.strip():
            break
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) == len(names):  # rows with every column filled: unambiguous
            for name, cell in zip(names, cells, strict=True):
                out[name].append(cell)
    return out


@pytest.mark.parametrize("columns", [40, 50, 58, 64, 72, 80, 90])
def test_narrow_terminals_leave_columns_out_and_say_so_rather_than_cut_them(columns):
    wide = _columns(run("eval", "--sample", "--period", "2024-11", columns=400))
    assert all(wide[name] for name in ("target", "status", "vs prev", "vs last year"))
    text = run("eval", "--sample", "--period", "2024-11", columns=columns)
    assert max(cell_len(line) for line in text.splitlines()) <= columns
    assert "…" not in text
    header = next(s for s in text.splitlines() if s.strip().startswith("KPI"))
    shown = [n for n in wide if re.search(rf"(^|\s){re.escape(n)}(\s|$)", header)]
    flat = " ".join(text.split())
    note = flat.split("left out for the width")[0] if "left out for the width" in flat else ""
    for name in ("target", "vs prev", "vs last year", "status"):
        assert name in shown or name in note, (name, header, note)
    for name in shown:
        if name not in ("KPI", "status"):  # titles fold and statuses wrap, by design
            assert all(" ".join(cell.split()) in flat for cell in wide[name]), name
    assert "2024-11" in shown  # the latest period stays, whatever the width


def test_a_partial_period_that_has_ended_says_where_the_data_stops(write_workspace, monkeypatch):
    days = [f"2024-07-{d:02d}" for d in range(1, 32)] + [f"2024-08-{d:02d}" for d in range(1, 21)]
    rows = "".join(f"{day},10\n" for day in days)
    root = write_workspace({}, "data: data.csv\nkpis: [sales_revenue]\n", "date,revenue\n" + rows)
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-08-20")  # August is still running
    running = run("eval", "-w", str(root))
    assert "2024-08 (20/31 d) is partial and left out" in running
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-12-01")  # an export taken on 20 August
    stale = run("eval", "-w", str(root))
    assert "is partial (the data stops on 2024-08-20, before the period ended)" in " ".join(
        stale.split()
    )
