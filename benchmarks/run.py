"""Run every benchmark: kpiengine against the alternatives, measured in the same run.

    python benchmarks/run.py            # 1M rows; writes benchmarks/RESULTS.md
    python benchmarks/run.py --full     # adds 10M rows
    python benchmarks/run.py --quick    # 10k rows, nothing written (CI runs this so it cannot rot)

Each case runs in a fresh Python process, so its peak memory (ru_maxrss) is its own. Each case
also returns a checksum of its result, and the alternatives must agree with kpiengine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cases  # noqa: E402 - the benchmark cases live beside this script

GOALS = {
    "ingest": "kpiengine within 1.3x of hand-written DuckDB, faster than pandas",
    "ga": "the GA-export connector within 2x of DuckDB on a 100k-row export",
    "evaluate": "kpiengine within 1.5x of hand-written numpy",
    "report": "1M rows to a finished HTML report in under 5 s; under 1 GB peak at 10M rows",
}


def run_case(name: str, rows: int, workdir: Path, repeat: int) -> dict:
    """Run one case `repeat` times in fresh processes; the median time and the peak memory."""
    times, peaks, check = [], [], None
    for _ in range(repeat):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--case",
                name,
                "--rows",
                str(rows),
                "--workdir",
                str(workdir),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(f"case {name} failed:\n{out.stderr[-3000:]}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        times.append(result["seconds"])
        peaks.append(result["peak_mb"])
        check = result["check"]
    return {"seconds": statistics.median(times), "peak_mb": max(peaks), "check": check}


def in_process(name: str, rows: int, workdir: Path) -> None:
    """The child side: prepare (untimed), run the case (timed), print seconds, memory, check."""
    case = cases.CASES[name]
    state = case.prepare(rows, workdir)
    start = time.perf_counter()
    check = case.run(state)
    seconds = time.perf_counter() - start
    if isinstance(state, dict) and "scale" in state:  # timed on a sample of cells
        seconds *= state["scale"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": round(peak, 1), "check": check}))


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def compare(results: dict, group: str, base: str) -> list[str]:
    """Table rows for one benchmark: each implementation's time, and kpiengine's time over it."""
    ours = results[base]
    rows = []
    for name, result in results.items():
        if not name.startswith(group):
            continue
        ratio = ours["seconds"] / result["seconds"] if result["seconds"] else float("nan")
        same = "yes" if result["check"] == ours["check"] or result.get("estimated") else "NO"
        label = name.split(":", 1)[1] + (" (estimated)" if result.get("estimated") else "")
        rows.append(
            f"| {group} | {label} | {result['rows']:,} | {result['seconds']:.3f} | "
            f"{ratio:.3g} | {result['peak_mb']:.0f} | {same} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k rows, write nothing")
    parser.add_argument("--full", action="store_true", help="also 10M rows")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, default=1_000_000, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help="where generated data is kept")
    args = parser.parse_args()
    if args.case:
        in_process(args.case, args.rows, args.workdir)
        return
    workdir = args.workdir or Path(tempfile.gettempdir()) / "kpiengine-bench"
    workdir.mkdir(parents=True, exist_ok=True)
    sizes = [10_000] if args.quick else [1_000_000] + ([10_000_000] if args.full else [])
    repeat = 1 if args.quick else 3
    plan = []
    for rows in sizes:
        plan += [(f"ingest:{n}", rows) for n in ("kpiengine", "duckdb", "pandas")]
        plan += [(f"report:{n}", rows) for n in ("kpiengine",)]
    ga_rows = 10_000 if args.quick else 100_000
    plan += [(f"ga:{n}", ga_rows) for n in ("kpiengine", "duckdb")]
    plan += [(f"evaluate:{n}", 0) for n in ("kpiengine", "numpy", "sympy-subs")]
    results: dict[str, dict] = {}
    lines = []
    for name, rows in plan:
        if name.endswith("pandas") and not cases.has_pandas():
            print(f"skip {name}: pandas is not installed", file=sys.stderr)
            continue
        key = f"{name}@{rows}"
        result = run_case(name, rows, workdir, repeat if rows <= 1_000_000 else 1)
        result["rows"] = rows or cases.EVALUATE_CELLS
        result["estimated"] = name.endswith("sympy-subs")
        results[key] = result
        print(f"{key:32s} {result['seconds']:9.3f} s {result['peak_mb']:8.0f} MB", flush=True)
    for rows in sizes:
        subset = {k.split("@")[0]: v for k, v in results.items() if k.endswith(f"@{rows}")}
        lines += compare(subset, "ingest", "ingest:kpiengine")
        lines += compare(subset, "report", "report:kpiengine")
    subset = {k.split("@")[0]: v for k, v in results.items() if k.endswith(f"@{ga_rows}")}
    lines += compare(subset, "ga", "ga:kpiengine")
    subset = {k.split("@")[0]: v for k, v in results.items() if k.endswith("@0")}
    lines += compare(subset, "evaluate", "evaluate:kpiengine")
    table = [
        "| benchmark | implementation | rows / cells | seconds | kpiengine / this | peak MB "
        "| same result |",
        "|---|---|---|---|---|---|---|",
        *lines,
    ]
    print("\n".join(table))
    if any(line.endswith("| NO |") for line in lines):
        sys.exit("an alternative disagrees with kpiengine")
    if not args.quick:
        write_results(table)


def write_results(table: list[str]) -> None:
    text = (
        "# Benchmark results\n\n"
        f"Machine: {machine()}. Run: `python benchmarks/run.py` on "
        f"{time.strftime('%Y-%m-%d')}.\n\n"
        + "\n".join(table)
        + "\n\nGoals: "
        + "; ".join(f"{k}: {v}" for k, v in GOALS.items())
        + ".\n\nSee the notes below the table for goals that are missed and why.\n"
    )
    path = HERE / "RESULTS.md"
    notes = ""
    if path.exists() and "## Notes" in path.read_text():
        notes = "\n## Notes" + path.read_text().split("## Notes", 1)[1]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text + notes)
    tmp.replace(path)


if __name__ == "__main__":
    main()
