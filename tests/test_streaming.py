"""Large files are aggregated by DuckDB: their rows never become Python objects.

The check is on the code path: the Python work (function calls) and memory of a fetch must not
grow with the number of rows.
"""

import cProfile
import pstats
import sys
import tracemalloc
from pathlib import Path

import pytest

import kpiengine
from kpiengine.engine import Engine
from kpiengine.plan import variables_plan

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import datagen  # noqa: E402 - the benchmarks' deterministic export generator

SMALL, LARGE = 20_000, 200_000
SOURCES = {
    "crm": ("connector: crm\n    path: deals.csv", ("opportunities", "deals_won", "revenue")),
    "csv": (
        "connector: csv\n    path: deals.csv\n    date: Create Date\n"
        "    dimensions: {channel: Original Source Type}\n    map: {revenue: Amount}",
        ("revenue",),
    ),
}


def measure(folder: Path, rows: int, connector: str) -> tuple[int, int, int]:
    """(Python calls, Python peak bytes, file size) of one fetch by month and channel."""
    folder.mkdir()
    path = datagen.deals_csv(folder / "deals.csv", rows)
    source, variables = SOURCES[connector]
    (folder / "kpi.yaml").write_text(f"sources:\n  deals:\n    {source}\n")
    ws = kpiengine.load_workspace(folder)
    engine = Engine(ws)
    engine.inputs()  # connectors opened before the measurement, as a run does
    aggregates = {v: ws.variables[v].aggregate for v in variables}
    plan = variables_plan(ws, aggregates, "month", ["channel"])
    profile = cProfile.Profile()
    tracemalloc.start()
    profile.enable()
    table = engine.fetch(plan)
    profile.disable()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert table.values[variables[0]][:, 0].sum() > 0
    return pstats.Stats(profile).total_calls, peak, path.stat().st_size


@pytest.mark.parametrize("connector", sorted(SOURCES))
def test_a_large_export_is_not_read_row_by_row(tmp_path, connector):
    import duckdb  # noqa: F401 - imported before measuring: an import allocates too

    measure(tmp_path / "warm", 1_000, connector)  # first use: caches, regexes, plugins
    calls_small, _, _ = measure(tmp_path / "small", SMALL, connector)
    calls_large, peak, size = measure(tmp_path / "large", LARGE, connector)
    # ten times the rows: Python code running per row would add 180,000 calls or more
    assert calls_large - calls_small < (LARGE - SMALL) / 20, (calls_small, calls_large)
    # rows held as Python objects would need more than the file's size
    assert peak < size / 4, f"Python allocated {peak:,} bytes for a {size:,}-byte file"
