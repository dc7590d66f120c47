"""Benchmark: render a 50-KPI x 24-period x 20-segment report to HTML and Markdown.

Run as a script (`python benchmarks/bench_report.py`); it prints how long each step takes.
Not a test: nothing is asserted about the time.
"""

from __future__ import annotations

import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

import kpiengine
from kpiengine.report import render_report
from kpiengine.report.context import build_context

KPIS, PERIODS, SEGMENTS, VARIABLES = 50, 24, 20, 10


def definitions() -> str:
    """Ten summed variables and fifty KPIs: ratios, sums, growth rates; half with targets."""
    lines = ["units: [things]", "variables:"]
    lines += [f"  v{i}: {{unit: things, aggregate: sum}}" for i in range(VARIABLES)]
    lines.append("kpis:")
    for k in range(KPIS):
        a, b = k % VARIABLES, (k * 3 + 1) % VARIABLES
        if k % 5 == 0:
            body = f"formula: v{a} + v{b}\n    unit: things\n    format: integer"
        elif k % 5 == 1:
            body = (
                f"formula: (v{a} - prev(v{a})) / prev(v{a})\n    unit: ratio\n    format: percent"
            )
        else:
            body = f"formula: v{a} / (v{a} + v{b})\n    unit: ratio\n    format: percent"
        target = f"\n    target: {0.4 if k % 5 > 1 else 0.02}" if k % 2 and k % 5 else ""
        lines.append(
            f"  k{k:02d}:\n    title: KPI number {k}\n    {body}\n    direction: higher{target}"
        )
    return "\n".join(lines) + "\n"


def frame() -> kpiengine.Frame:
    """One row per month and segment, random positive values (a few zeros)."""
    rng = np.random.default_rng(7)
    months = np.arange(np.datetime64("2023-01"), np.datetime64("2023-01") + PERIODS)
    dates = np.repeat(months.astype("datetime64[D]"), SEGMENTS)
    segments = np.tile([f"Segment {s:02d}" for s in range(SEGMENTS)], PERIODS)
    values = {}
    for i in range(VARIABLES):
        column = rng.uniform(50, 500, len(dates)).round()
        column[rng.random(len(dates)) < 0.02] = 0
        values[f"v{i}"] = column
    return kpiengine.Frame(dates, {"segment": segments}, values)


def timed(label: str, func, repeat: int = 3):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<28} {best:8.3f} s")
    return result


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "definitions").mkdir()
        (root / "definitions" / "bench.yaml").write_text(definitions(), "utf-8")
        (root / "kpi.yaml").write_text(textwrap.dedent("name: Benchmark\ncurrency: EUR\n"), "utf-8")
        ws = kpiengine.load_workspace(root)
        data = frame()
        results = timed("evaluate", lambda: kpiengine.evaluate(ws, data, by=["segment"]), 1)
        shape = f"{len(results.kpis)} KPIs x {results.table.n_periods} periods"
        print(f"{shape} x {len(results.table.segments) - 1} segments")
        timed("build context", lambda: build_context(results))
        html = timed("render html", lambda: render_report(results, "html"))
        md = timed("render markdown", lambda: render_report(results, "md"))
        timed("render html (fa)", lambda: render_report(results, "html", locale="fa"))
        print(f"html {len(html) / 1e6:.2f} MB, markdown {len(md) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
