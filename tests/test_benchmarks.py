"""The benchmark suite runs in quick mode (10k rows) so it cannot rot; no timing is asserted."""

import re
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_quick_benchmarks_run_and_agree(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--quick", "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [
        line
        for line in proc.stdout.splitlines()
        if re.match(r"\| (ingest|ga|evaluate|report) ", line)
    ]
    implementations = {tuple(cell.strip() for cell in row.split("|")[1:3]) for row in rows}
    assert {("ingest", "kpiengine"), ("ingest", "duckdb"), ("evaluate", "numpy")} <= implementations
    assert {("report", "kpiengine"), ("ga", "kpiengine"), ("ga", "duckdb")} <= implementations
    for row in rows:
        cells = [cell.strip() for cell in row.split("|")[1:-1]]
        assert float(cells[3]) > 0 and float(cells[4]) > 0  # seconds and ratio are numbers
        assert cells[6] == "yes", row  # every alternative computed the same result
    # the sql connector on DuckDB and chDB: the same KPIs, from one aggregation per request
    engines = {
        cells[0]: cells
        for line in proc.stdout.splitlines()
        if re.match(r"\| (duckdb|chdb) \| 10,000 ", line)
        for cells in [[cell.strip() for cell in line.split("|")[1:-1]]]
    }
    assert set(engines) == {"duckdb", "chdb"}, proc.stdout[-2000:]
    for cells in engines.values():
        assert cells[7] == "yes" and float(cells[2]) > 0 and float(cells[3]) > 0
        assert cells[5].startswith("2 (")  # the months by channel, and the partial month's days
