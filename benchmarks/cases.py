"""The benchmark cases: each prepares its data (untimed), then runs (timed) and returns a check.

Preparing includes each implementation's imports and, for kpiengine, loading the workspace's
definitions: the timed part is the work itself. `kpi report` is timed whole, imports included.

Implementations of one benchmark return the same check (sums and sums of squares of their
result, rounded), so a faster alternative that computes something else is caught.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datagen
import numpy as np

FUNNEL = ("opportunities", "deals_won", "deals_lost", "revenue", "sales_cycle_days")
N_KPIS, N_PERIODS, N_SEGMENTS, N_VARIABLES = 50, 120, 50, 20
EVALUATE_CELLS = N_KPIS * N_PERIODS * (N_SEGMENTS + 1)


@dataclass
class Case:
    prepare: Callable[[int, Path], Any]
    run: Callable[[Any], list]


def has_pandas() -> bool:
    return importlib.util.find_spec("pandas") is not None


def checksum(cube: np.ndarray) -> list[float]:
    """Sum and sum of squares of the defined cells, to six significant digits."""
    values = cube[np.isfinite(cube)]
    return [float(f"{values.sum():.6g}"), float(f"{(values**2).sum():.6g}")]


# --- 1. ingest and aggregate a CRM deals export ---------------------------------------------


def _deals(rows: int, workdir: Path) -> Path:
    return datagen.deals_workspace(workdir / f"deals-{rows}", rows)


def _kpiengine_deals(rows: int, workdir: Path):
    """The export, and the workspace loaded: imports and definitions are not ingestion."""
    import kpiengine
    import kpiengine.engine  # noqa: F401 - imported before timing

    return kpiengine.load_workspace(_deals(rows, workdir))


def _kpiengine_ingest(ws) -> list:
    from kpiengine.engine import Engine
    from kpiengine.plan import variables_plan

    aggregates = {v: ws.variables[v].aggregate for v in FUNNEL}
    table = Engine(ws).fetch(variables_plan(ws, aggregates, "month", ["channel"]))
    return [checksum(table.values[v][:, 1:]) for v in FUNNEL]


def _imported(module: str, prepare: Callable[[int, Path], Any]) -> Callable[[int, Path], Any]:
    """`prepare`, after importing `module` (each implementation's imports are untimed)."""

    def run(rows: int, workdir: Path) -> Any:
        importlib.import_module(module)
        return prepare(rows, workdir)

    return run


DUCKDB_SQL = """
WITH d AS (
  SELECT "Deal Stage" AS stage, CAST("Close Date" AS DATE) AS closed,
         CAST("Create Date" AS DATE) AS created, "Amount" AS amount,
         "Original Source Type" AS source
  FROM read_csv('{path}')
)
SELECT month, source, sum(opps) AS opportunities, sum(won) AS deals_won, sum(lost) AS deals_lost,
       sum(rev) AS revenue, sum(cycle) AS sales_cycle_days
FROM (
  SELECT date_trunc('month', created) AS month, source, 1 AS opps, 0 AS won, 0 AS lost,
         0.0 AS rev, 0 AS cycle
  FROM d
  UNION ALL
  SELECT date_trunc('month', closed), source, 0, (stage = 'Closed won')::INT,
         (stage = 'Closed lost')::INT,
         CASE WHEN stage = 'Closed won' THEN coalesce(amount, 0) ELSE 0 END,
         CASE WHEN stage = 'Closed won' THEN closed - created ELSE 0 END
  FROM d WHERE stage IN ('Closed won', 'Closed lost')
) GROUP BY ALL
"""


def _duckdb_ingest(folder: Path) -> list:
    import duckdb

    result = duckdb.sql(DUCKDB_SQL.format(path=folder / "deals.csv")).fetchnumpy()
    return [checksum(np.asarray(result[v], dtype=float)) for v in FUNNEL]


def _pandas_ingest(folder: Path) -> list:
    import pandas as pd

    d = pd.read_csv(folder / "deals.csv")
    created = pd.to_datetime(d["Create Date"], format="%Y-%m-%d %H:%M").dt.normalize()
    closed = pd.to_datetime(d["Close Date"], format="%Y-%m-%d %H:%M").dt.normalize()
    source = d["Original Source Type"]
    opened = pd.DataFrame(
        {"month": created.dt.to_period("M"), "source": source, "opportunities": 1}
    )
    done = d["Deal Stage"].isin(["Closed won", "Closed lost"])
    won = (d["Deal Stage"] == "Closed won") & done
    closed_rows = pd.DataFrame(
        {
            "month": closed[done].dt.to_period("M"),
            "source": source[done],
            "deals_won": won[done].astype(int),
            "deals_lost": (d["Deal Stage"][done] == "Closed lost").astype(int),
            "revenue": d["Amount"][done].fillna(0).where(won[done], 0.0),
            "sales_cycle_days": (closed - created).dt.days[done].where(won[done], 0),
        }
    )
    cells = pd.concat([opened, closed_rows]).fillna(0).groupby(["month", "source"]).sum()
    return [checksum(cells[v].to_numpy(dtype=float)) for v in FUNNEL]


# --- 1b. a Google Analytics export (the connector parses it in Python) ---------------------

GA_VARIABLES = ("sessions", "engaged_sessions", "visitors")
GA_SQL = """
SELECT date_trunc('month', strptime("Date", '%Y%m%d')) AS month,
       "Session default channel group" AS channel,
       sum(CAST(replace("Sessions", ',', '') AS DOUBLE)) AS sessions,
       sum(CAST(replace("Engaged sessions", ',', '') AS DOUBLE)) AS engaged_sessions,
       sum(CAST(replace("Users", ',', '') AS DOUBLE)) AS visitors
FROM read_csv('{path}', skip=7, header=true, all_varchar=true)
GROUP BY ALL
"""


def _ga(rows: int, workdir: Path) -> Path:
    return datagen.ga_workspace(workdir / f"ga-{rows}", rows)


def _kpiengine_ga_workspace(rows: int, workdir: Path):
    import kpiengine
    import kpiengine.engine  # noqa: F401 - imported before timing

    return kpiengine.load_workspace(_ga(rows, workdir))


def _kpiengine_ga(ws) -> list:
    from kpiengine.engine import Engine
    from kpiengine.plan import variables_plan

    aggregates = {v: ws.variables[v].aggregate for v in GA_VARIABLES}
    table = Engine(ws).fetch(variables_plan(ws, aggregates, "month", ["channel"]))
    return [checksum(table.values[v][:, 1:]) for v in GA_VARIABLES]


def _duckdb_ga(folder: Path) -> list:
    import duckdb

    result = duckdb.sql(GA_SQL.format(path=folder / "ga4.csv")).fetchnumpy()
    return [checksum(np.asarray(result[v], dtype=float)) for v in GA_VARIABLES]


# --- 2. evaluate 50 KPIs over 120 periods x 50 segments --------------------------------------

PATTERNS = (
    ("v{a} / v{b}", "ratio", lambda v, a, b, c, d: v[a] / v[b]),
    ("(v{a} - v{b}) / v{b}", "ratio", lambda v, a, b, c, d: (v[a] - v[b]) / v[b]),
    ("v{a} + v{b}", "currency", lambda v, a, b, c, d: v[a] + v[b]),
    ("v{a} * v{b} / v{c}", "currency", lambda v, a, b, c, d: v[a] * v[b] / v[c]),
    ("max(v{a}, v{b}) / (v{c} + v{d})", "ratio",
     lambda v, a, b, c, d: np.maximum(v[a], v[b]) / (v[c] + v[d])),
)  # fmt: skip


def _kpi_specs() -> list[tuple[str, str, Callable, tuple[int, int, int, int]]]:
    specs = []
    for k in range(N_KPIS):
        text, unit, func = PATTERNS[k % len(PATTERNS)]
        idx = (
            k % N_VARIABLES,
            (k * 7 + 3) % N_VARIABLES,
            (k * 3 + 1) % N_VARIABLES,
            (k + 11) % N_VARIABLES,
        )
        if len(set(idx[:2])) < 2:
            idx = (idx[0], (idx[1] + 1) % N_VARIABLES, idx[2], idx[3])
        a, b, c, d = idx
        specs.append((text.format(a=a, b=b, c=c, d=d), unit, func, idx))
    return specs


def _evaluate_data(workdir: Path) -> dict:
    rng = np.random.default_rng(11)
    months = np.arange(np.datetime64("2015-01"), np.datetime64("2015-01") + N_PERIODS)
    dates = np.repeat(months.astype("datetime64[D]"), N_SEGMENTS)
    segments = np.tile(np.array([f"s{i:02d}" for i in range(N_SEGMENTS)], dtype=object), N_PERIODS)
    values = {f"v{i}": rng.uniform(1, 1000, len(dates)) for i in range(N_VARIABLES)}
    folder = workdir / "evaluate"
    (folder / "definitions").mkdir(parents=True, exist_ok=True)
    lines = ["variables:"] + [f"  v{i}: {{unit: currency}}" for i in range(N_VARIABLES)] + ["kpis:"]
    for k, (text, unit, _, _) in enumerate(_kpi_specs()):
        lines.append(f"  k{k}: {{title: K{k}, formula: '{text}', unit: {unit}}}")
    (folder / "definitions" / "bench.yaml").write_text("\n".join(lines) + "\n")
    return {"folder": folder, "dates": dates, "segments": segments, "values": values}


def _kpiengine_workspace(workdir: Path) -> dict:
    """The data, and the 50 definitions loaded (parsing is not evaluation; compiling is)."""
    import kpiengine

    state = _evaluate_data(workdir)
    state["workspace"] = kpiengine.load_workspace(state["folder"], builtins=False)
    import kpiengine.engine  # noqa: F401 - imported before timing

    return state


def _kpiengine_evaluate(state: dict) -> list:
    import kpiengine

    frame = kpiengine.Frame(state["dates"], {"segment": state["segments"]}, state["values"])
    kpis = [f"k{k}" for k in range(N_KPIS)]
    results = kpiengine.evaluate(state["workspace"], frame, by=["segment"], kpis=kpis)
    return checksum(np.stack([r.values for r in results.kpis.values()]))


def _numpy_evaluate(state: dict) -> list:
    period = state["dates"].astype("datetime64[M]").astype(np.int64)
    period = period - period.min()
    _, segment = np.unique(state["segments"], return_inverse=True)
    cell = period * N_SEGMENTS + segment
    cubes = {}
    for name, column in state["values"].items():
        cube = np.bincount(cell, column, N_PERIODS * N_SEGMENTS).reshape(N_PERIODS, N_SEGMENTS)
        cubes[int(name[1:])] = np.hstack([cube.sum(axis=1, keepdims=True), cube])
    out = []
    with np.errstate(all="ignore"):
        for _, _, func, (a, b, c, d) in _kpi_specs():
            out.append(func(cubes, a, b, c, d))
    return checksum(np.stack(out))


def _sympy_subs(state: dict) -> list:
    """sympy `subs` per cell on a sample of cells; the time is scaled to every cell."""

    from kpiengine.formula import parse_formula

    sample = 0
    for text, *_ in _kpi_specs()[:5]:
        formula = parse_formula(text)
        symbols = {s.name: s for s in formula.expr.free_symbols}
        for row in range(20):
            values = {symbols[n]: state["values"][n][row] for n in symbols}
            float(formula.expr.subs(values).evalf())
            sample += 1
    state["scale"] = EVALUATE_CELLS / sample
    return []


# --- 3. end to end: kpi report -------------------------------------------------------------


def _report(folder: Path) -> list:
    from kpiengine.cli import cli

    out = folder / "report.html"
    try:
        cli.main(["report", "-w", str(folder), "-o", str(out)], standalone_mode=False)
    except SystemExit as exc:  # 1: the report was written and lists error findings
        if exc.code not in (0, 1, None):
            raise
    return [out.stat().st_size > 0]


CASES = {
    "ingest:kpiengine": Case(_kpiengine_deals, _kpiengine_ingest),
    "ingest:duckdb": Case(_imported("duckdb", _deals), _duckdb_ingest),
    "ingest:pandas": Case(_imported("pandas", _deals), _pandas_ingest),
    "ga:kpiengine": Case(_kpiengine_ga_workspace, _kpiengine_ga),
    "ga:duckdb": Case(_imported("duckdb", _ga), _duckdb_ga),
    "evaluate:kpiengine": Case(lambda rows, w: _kpiengine_workspace(w), _kpiengine_evaluate),
    "evaluate:numpy": Case(lambda rows, w: _evaluate_data(w), _numpy_evaluate),
    "evaluate:sympy-subs": Case(lambda rows, w: _evaluate_data(w), _sympy_subs),
    "report:kpiengine": Case(_deals, _report),
}
