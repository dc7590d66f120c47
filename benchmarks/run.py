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
    "csv": "5M-row CSV to 7 KPIs by month x channel, whole process, within 1.5x of a hand-written "
    "DuckDB query; under 1 GB peak at 10M rows",
    "parquet": "the same data as Parquet within 1.5x of DuckDB over the Parquet file",
    "ingest": "1M-row CRM deals export within 1.3x of hand-written DuckDB, faster than pandas",
    "ga": "the GA-export connector within 2x of DuckDB on a 100k-row export",
    "evaluate": "kpiengine within 1.5x of hand-written numpy",
    "report": "1M rows to a finished HTML report in under 5 s; under 1 GB peak at 10M rows",
}


def run_once(name: str, rows: int, workdir: Path) -> dict:
    """One run of a case in a fresh process: its time, peak memory and check."""
    out = subprocess.run(
        [sys.executable, __file__, "--case", name, "--rows", str(rows), "--workdir", str(workdir)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"case {name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_cases(plan: list[tuple[str, int]], workdir: Path, repeat: int) -> dict[str, dict]:
    """Every case `repeat` times, the cases taking turns (a busy machine slows them alike);
    each case's median time and peak memory."""
    runs: dict[str, list[dict]] = {}
    for name, rows in plan:  # data are generated once, before any timing
        cases.CASES[name].prepare(rows, workdir)
    for _ in range(repeat):
        for name, rows in plan:
            runs.setdefault(f"{name}@{rows}", []).append(run_once(name, rows, workdir))
    return {
        key: {
            "seconds": statistics.median(r["seconds"] for r in results),
            "peak_mb": max(r["peak_mb"] for r in results),
            "check": results[-1]["check"],
        }
        for key, results in runs.items()
    }


def in_process(name: str, rows: int, workdir: Path) -> None:
    """The child side: prepare (untimed), run the case (timed), print seconds, memory, check."""
    case = cases.CASES[name]
    state = case.prepare(rows, workdir)
    start = time.perf_counter()
    check = case.run(state)
    seconds = time.perf_counter() - start
    if isinstance(state, dict) and "scale" in state:  # timed on a sample of cells
        seconds *= state["scale"]
    peak = _high_water_mb()
    if name.startswith(("csv:", "parquet:")):  # a whole process of its own: its peak
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": round(peak, 1), "check": check}))


def _high_water_mb() -> float:
    """This process's peak resident memory (`ru_maxrss` would count the parent's, kept across
    the exec on Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
    quick = args.quick
    sizes = [10_000] if quick else [1_000_000] + ([10_000_000] if args.full else [])
    big = 10_000 if quick else 5_000_000
    repeat = 1 if quick else 3
    plan = [(f"csv:{n}", big) for n in ("kpiengine", "duckdb")]
    plan += [(f"parquet:{n}", big) for n in ("kpiengine", "duckdb")]
    for rows in sizes:
        plan += [(f"ingest:{n}", rows) for n in ("kpiengine", "duckdb", "pandas")]
        plan += [(f"report:{n}", rows) for n in ("kpiengine",)]
    if args.full:
        plan += [(f"csv:{n}", 10_000_000) for n in ("kpiengine", "duckdb")]
    ga_rows = 10_000 if quick else 100_000
    plan += [(f"ga:{n}", ga_rows) for n in ("kpiengine", "duckdb")]
    plan += [(f"evaluate:{n}", 0) for n in ("kpiengine", "numpy", "sympy-subs")]
    if not cases.has_pandas():
        print("skip ingest:pandas: pandas is not installed", file=sys.stderr)
        plan = [p for p in plan if not p[0].endswith("pandas")]
    once = [p for p in plan if p[1] >= 10_000_000 or p[0].startswith("evaluate:sympy")]
    results = run_cases([p for p in plan if p not in once], workdir, repeat)
    results |= run_cases(once, workdir, 1)  # 10M rows and the sympy estimate: once each
    lines = []
    for key, result in results.items():
        name, rows = key.split("@")
        result["rows"] = int(rows) or cases.EVALUATE_CELLS
        result["estimated"] = name.endswith("sympy-subs")
        print(f"{key:32s} {result['seconds']:9.3f} s {result['peak_mb']:8.0f} MB", flush=True)
    groups = sorted({(k.split(":")[0], k.split("@")[1]) for k in results}, key=lambda g: g[0])
    order = ["csv", "parquet", "ingest", "report", "ga", "evaluate"]
    for group, rows in sorted(groups, key=lambda g: (order.index(g[0]), int(g[1]))):
        subset = {k.split("@")[0]: v for k, v in results.items() if k.endswith(f"@{rows}")}
        lines += compare(subset, group, f"{group}:kpiengine")
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
