"""Run every benchmark: kpiengine against the alternatives, measured in the same run.

    python benchmarks/run.py            # 1M rows; writes benchmarks/RESULTS.md
    python benchmarks/run.py --full     # adds 10M rows
    python benchmarks/run.py --quick    # 10k rows, nothing written (CI runs this so it cannot rot)
    python benchmarks/run.py --engines  # the sql connector: DuckDB, chDB, Spark local on 10M rows

Each case runs in a fresh Python process, so its peak memory (ru_maxrss) is its own. Each case
also returns a checksum of its result, and the alternatives must agree with kpiengine.
"""

from __future__ import annotations

import argparse
import compileall
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
    "parquet": "the same data as Parquet within 1.5x of DuckDB over the Parquet file (at "
    "10,000 rows: none, the fixed cost of each process)",
    "scan": "none (the parquet case inside one process, imports and definitions untimed as "
    "for ingest: what the engine adds to DuckDB's own scan)",
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
    # A user's installed kpiengine has its bytecode: pip writes it at install time, an editable
    # install on first import. Write it here too, so a machine that sets
    # PYTHONDONTWRITEBYTECODE does not time compiling every module on every run.
    compileall.compile_dir(HERE.parent / "kpiengine", quiet=1)
    compileall.compile_dir(HERE.parent / "connectors", quiet=1)
    runs: dict[str, list[dict]] = {}
    for name, rows in plan:  # data are generated once, before any timing
        cases.CASES[name].prepare(rows, workdir)
    for _ in range(repeat):
        for name, rows in plan:
            runs.setdefault(f"{name}@{rows}", []).append(run_once(name, rows, workdir))
    summary = {}
    for key, results in runs.items():
        summary[key] = {
            "seconds": statistics.median(r["seconds"] for r in results),
            "peak_mb": max(r["peak_mb"] for r in results),
            "check": results[-1]["check"],
        }
        if "start_seconds" in results[-1]:  # the engine cases
            summary[key]["start_seconds"] = statistics.median(r["start_seconds"] for r in results)
            summary[key]["engine_mb"] = max(r["engine_mb"] for r in results)
            summary[key]["queries"] = results[-1]["queries"]
    return summary


def in_process(name: str, rows: int, workdir: Path) -> None:
    """The child side: prepare (untimed), run the case (timed), print seconds, memory, check."""
    case = cases.CASES[name]
    state = case.prepare(rows, workdir)
    extra: dict = {}
    if case.warm is not None:
        start = time.perf_counter()
        case.warm(state)
        extra["start_seconds"] = time.perf_counter() - start
    start = time.perf_counter()
    check = case.run(state)
    seconds = time.perf_counter() - start
    if isinstance(state, dict) and "scale" in state:  # timed on a sample of cells
        seconds *= state["scale"]
    peak = _high_water_mb()
    if name.startswith(("csv:", "parquet:")):  # a whole process of its own: its peak
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if isinstance(state, dict) and "queries" in state:
        extra["queries"] = state["queries"]
        extra["engine_mb"] = round(_children_high_water_mb(), 1)  # Spark's JVM
    print(json.dumps({"seconds": seconds, "peak_mb": round(peak, 1), "check": check, **extra}))


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


def _children_high_water_mb() -> float:
    """The peak resident memory of this process's running descendants (Spark's JVM)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    mine, total = {os.getpid()}, 0.0
    for _ in range(8):  # a few generations: spark-submit's shell, then java
        mine |= {pid for pid, parent in parents.items() if parent in mine}
    for pid in mine - {os.getpid()}:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


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


def engine_plan(rows: int) -> list[tuple[str, int]]:
    """The engine cases that can run here (each missing engine said on stderr)."""
    plan = []
    for engine in cases.ENGINE_URLS:
        why = cases.engine_missing(engine)
        if why:
            print(f"skip engines:{engine}: {why}", file=sys.stderr)
        else:
            plan.append((f"engines:{engine}", rows))
    return plan


def engine_table(results: dict) -> list[str]:
    """The engines benchmark as a table: each engine's time, its ratio to DuckDB's, start-up,
    queries and memory; whether its KPIs are DuckDB's."""
    lines = [
        "| engine | rows | seconds | this / duckdb | load + start-up s | aggregation queries "
        "(result rows) | peak MB: Python / JVM | same result |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, result in results.items():
        name, rows = key.split("@")
        if not name.startswith("engines:"):
            continue
        base = results.get(f"engines:duckdb@{rows}")
        ratio = result["seconds"] / base["seconds"] if base else float("nan")
        same = "yes" if base is None or result["check"] == base["check"] else "NO"
        q = result["queries"]
        jvm = f"{result['engine_mb']:.0f}" if name.endswith("spark") else "-"
        lines.append(
            f"| {name.split(':', 1)[1]} | {int(rows):,} | {result['seconds']:.3f} | {ratio:.3g} | "
            f"{result['start_seconds']:.2f} | {q['aggregations']} ({q['result_rows']:,}) | "
            f"{result['peak_mb']:.0f} / {jvm} | {same} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k rows, write nothing")
    parser.add_argument("--full", action="store_true", help="also 10M rows")
    parser.add_argument(
        "--engines",
        action="store_true",
        help="only the sql connector's engines (DuckDB, chDB, Spark local); writes their section",
    )
    parser.add_argument(
        "--engine-rows", type=int, default=10_000_000, help="rows for --engines (10M)"
    )
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, default=1_000_000, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help="where generated data is kept")
    args = parser.parse_args()
    if args.case:
        in_process(args.case, args.rows, args.workdir)
        return
    workdir = args.workdir or Path(tempfile.gettempdir()) / "kpiengine-bench"
    workdir.mkdir(parents=True, exist_ok=True)
    if args.engines:
        run_engines(args.engine_rows, workdir, 1 if args.quick else 3, write=not args.quick)
        return
    quick = args.quick
    sizes = [10_000] if quick else [1_000_000] + ([10_000_000] if args.full else [])
    big = 10_000 if quick else 5_000_000
    repeat = 1 if quick else 3
    plan = [(f"csv:{n}", big) for n in ("kpiengine", "duckdb")]
    plan += [(f"parquet:{n}", big) for n in ("kpiengine", "duckdb")]
    if not quick:  # the fixed cost of each process: the same run over a 10,000-row file
        plan += [(f"parquet:{n}", 10_000) for n in ("kpiengine", "duckdb")]
    plan += [(f"scan:{n}", big) for n in ("kpiengine", "duckdb")]
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
    if quick:  # DuckDB and chDB in CI too (Spark's start-up would add a minute to CI; the
        # parity tests run it, and `--engines --quick` runs all three on 10k rows)
        plan = [p for p in engine_plan(10_000) if p[0] != "engines:spark"]
        engines = run_cases(plan, workdir, 1)
        print("\n".join(engine_table(engines)))
        if any(line.endswith("| NO |") for line in engine_table(engines)):
            sys.exit("an engine disagrees with DuckDB")
    lines = []
    for key, result in results.items():
        name, rows = key.split("@")
        result["rows"] = int(rows) or cases.EVALUATE_CELLS
        result["estimated"] = name.endswith("sympy-subs")
        print(f"{key:32s} {result['seconds']:9.3f} s {result['peak_mb']:8.0f} MB", flush=True)
    groups = sorted({(k.split(":")[0], k.split("@")[1]) for k in results}, key=lambda g: g[0])
    order = ["csv", "parquet", "scan", "ingest", "report", "ga", "evaluate"]
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


def run_engines(rows: int, workdir: Path, repeat: int, write: bool) -> None:
    """The engines benchmark alone: print its table, and write it into RESULTS.md."""
    results = run_cases(engine_plan(rows), workdir, repeat)
    table = engine_table(results)
    print("\n".join(table))
    if any(line.endswith("| NO |") for line in table):
        sys.exit("an engine disagrees with DuckDB")
    if write:
        write_engine_results(table, repeat)


ENGINES_HEADING = "## Engines of the `sql` connector"


def write_engine_results(table: list[str], repeat: int) -> None:
    """Replace the engines section of RESULTS.md (its table and the line above it; the notes
    that follow the table are kept)."""
    path = HERE / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    head = (
        f"{ENGINES_HEADING} (issue 16)\n\n"
        f"Machine: {machine()}; load average {os.getloadavg()[0]:.1f} when it started. Run: "
        f"`python benchmarks/run.py --engines` on {time.strftime('%Y-%m-%d')} "
        f"(median of {repeat} runs).\n\n" + "\n".join(table) + "\n"
    )
    if ENGINES_HEADING in text:
        before, rest = text.split(ENGINES_HEADING, 1)
        after = rest.split("\n## ", 1)[1] if "\n## " in rest else ""
        notes = ""
        if "### Notes" in rest.split("\n## ", 1)[0]:
            notes = "\n### Notes" + rest.split("\n## ", 1)[0].split("### Notes", 1)[1]
        text = before + head + notes + ("\n## " + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + head
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)


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
