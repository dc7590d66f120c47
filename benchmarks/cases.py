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
    #: started in the child process only, after `prepare` and before timing (an engine's
    #: start-up, timed on its own)
    warm: Callable[[Any], None] | None = None


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
    """The export, and the workspace loaded: imports and definitions are not ingestion (DuckDB
    too: the engine imports it on first use, and the DuckDB case imports it untimed)."""
    import duckdb  # noqa: F401 - imported before timing, as for the DuckDB case
    import kpiengine.connectors.crm  # noqa: F401

    import kpiengine
    import kpiengine.engine  # noqa: F401

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

GA_VARIABLES = ("sessions", "engaged_sessions")  # users are distinct: never added up
GA_SQL = """
SELECT date_trunc('month', strptime("Date", '%Y%m%d')) AS month,
       "Session default channel group" AS channel,
       sum(CAST(replace("Sessions", ',', '') AS DOUBLE)) AS sessions,
       sum(CAST(replace("Engaged sessions", ',', '') AS DOUBLE)) AS engaged_sessions
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


# --- 1c. the case: a 5M-row daily marketing CSV -> 7 KPIs by month x channel ------
#
# Both sides are whole processes, started fresh: `kpi eval` against a Python process running a
# hand-written DuckDB query over the same file (or the same data as Parquet).

HAND_CSV = """
WITH rows AS (
  SELECT date_trunc('month', Date) AS month, Channel AS channel,
    TRY_CAST(replace(CAST(Impressions AS VARCHAR), ',', '') AS DOUBLE) AS impressions,
    TRY_CAST(CAST(Clicks AS VARCHAR) AS DOUBLE) AS clicks,
    TRY_CAST(replace(replace(CAST(Cost AS VARCHAR), '$', ''), ',', '') AS DOUBLE) AS cost,
    TRY_CAST(CAST(Conversions AS VARCHAR) AS DOUBLE) AS conversions,
    TRY_CAST(replace(replace(CAST(Revenue AS VARCHAR), '$', ''), ',', '') AS DOUBLE) AS revenue,
    TRY_CAST(CAST(Sessions AS VARCHAR) AS DOUBLE) AS sessions,
    CASE WHEN ends_with(CAST(Engagement AS VARCHAR), '%')
      THEN TRY_CAST(rtrim(CAST(Engagement AS VARCHAR), '%') || 'e-2' AS DOUBLE)
      ELSE TRY_CAST(CAST(Engagement AS VARCHAR) AS DOUBLE) END AS engagement
  FROM {source})
SELECT month, channel, sum(impressions), sum(clicks), sum(cost), sum(conversions),
  sum(revenue), sum(sessions), avg(engagement)
FROM rows GROUP BY ALL
"""
HAND_PARQUET = """
SELECT date_trunc('month', Date) AS month, Channel AS channel, sum(Impressions), sum(Clicks),
  sum(Cost), sum(Conversions), sum(Revenue), sum(Sessions), avg(Engagement)
FROM {source} GROUP BY ALL
"""
HAND_SCRIPT = """
import json, sys, duckdb
duckdb.execute("SET enable_progress_bar = false")
rows = duckdb.sql(sys.argv[1]).fetchall()
print(json.dumps([[str(r[0])[:7], r[1], *r[2:]] for r in rows]))
"""


def _marketing(rows: int, workdir: Path, kind: str) -> dict:
    csv_path = datagen.marketing_csv(workdir / f"marketing-{rows}.csv", rows)
    data = csv_path
    if kind == "parquet":
        data = datagen.marketing_parquet(workdir / f"marketing-{rows}.parquet", rows)
    folder = datagen.marketing_workspace(workdir / f"marketing-{kind}-{rows}", data)
    return {"folder": folder, "data": data, "kind": kind}


def _kpi_eval(state: dict) -> list:
    """`kpi eval` as a user runs it: the 7 KPIs by month and channel, as JSON."""
    import json
    import subprocess
    import sys

    kpi = Path(sys.executable).with_name("kpi")
    out = subprocess.run(
        [str(kpi), "eval", "-w", str(state["folder"]), "--by", "channel", "--format", "json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    cells = {}
    for record in json.loads(out.stdout):
        segment = record["segment"].get("channel", "")
        cells[(record["kpi"], record["period"], segment)] = record["value"]
    return _kpi_checksum(cells)


def _hand_query(state: dict) -> str:
    data = state["data"]
    if state["kind"] == "parquet":  # typed columns: plain sums, as one would write them
        return HAND_PARQUET.format(source=f"read_parquet('{data}')")
    return HAND_CSV.format(source=f"read_csv('{data}')")


def _hand_duckdb(state: dict) -> list:
    """The hand-written query in a fresh Python process; the KPIs computed from its sums."""
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", HAND_SCRIPT, _hand_query(state)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return _hand_checksum(json.loads(out.stdout.strip().splitlines()[-1]))


def _hand_in_process(state: dict) -> list:
    """The hand-written query in this process (DuckDB imported untimed, as for ingest)."""
    import duckdb

    rows = duckdb.sql(_hand_query(state)).fetchall()
    return _hand_checksum([[str(r[0])[:7], r[1], *r[2:]] for r in rows])


def _hand_checksum(rows: list) -> list:
    """The 7 KPIs by month and channel (and for all channels) from the query's sums."""
    sums: dict = {}
    for month, channel, *values in rows:
        sums[(month, channel)] = values
    cells = {}
    for month in {m for m, _ in sums}:
        per = {c: v for (m, c), v in sums.items() if m == month}
        total = [sum(v[i] or 0.0 for v in per.values()) for i in range(6)]
        shares = [v[6] for v in per.values() if v[6] is not None]
        total.append(sum(shares) / len(shares) if shares else None)  # a mean of the means
        for channel, values in [*per.items(), ("", total)]:
            for kpi, value in _kpis(values).items():
                cells[(kpi, month, channel)] = value
    return _kpi_checksum(cells)


def _parquet_loaded(rows: int, workdir: Path) -> dict:
    """The Parquet workspace loaded, with its imports: only the evaluation is timed."""
    import duckdb  # noqa: F401 - imported before timing, as for the DuckDB case
    import kpiengine.connectors.csv_files  # noqa: F401

    import kpiengine
    import kpiengine.engine  # noqa: F401

    state = _marketing(rows, workdir, "parquet")
    state["ws"] = kpiengine.load_workspace(state["folder"])
    return state


def _engine_evaluate(state: dict) -> list:
    """`Engine.evaluate` by channel, as `kpi eval` runs it, without the process around it."""
    from kpiengine.engine import Engine

    results = Engine(state["ws"]).evaluate(by=["channel"])
    cells = {
        (r["kpi"], r["period"], r["segment"].get("channel", "")): r["value"]
        for r in results.records()
    }
    return _kpi_checksum(cells)


def _kpis(v: list) -> dict:
    impressions, clicks, cost, conversions, revenue, sessions, engagement = v

    def ratio(a, b):
        return a / b if a is not None and b else None

    return {
        "cpa": ratio(cost, conversions),
        "cpc": ratio(cost, clicks),
        "cpm": None if ratio(cost, impressions) is None else cost / impressions * 1000,
        "ctr": ratio(clicks, impressions),
        "roas": ratio(revenue, cost),
        "conversion_rate": ratio(conversions, sessions),
        "engagement": engagement,
    }


def _kpi_checksum(cells: dict) -> list:
    """Per KPI: how many cells are defined, and the sum and sum of squares of their values."""
    out = []
    for kpi in datagen.MARKETING_KPIS:
        values = np.array([v for (k, *_), v in cells.items() if k == kpi and v is not None])
        out.append([len(values), float(f"{values.sum():.6g}"), float(f"{(values**2).sum():.6g}")])
    return out


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
    import numpy.ma  # noqa: F401 - numpy imports it on the first np.unique: untimed, as imports are

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


# --- 4. the `sql` connector's engines: the same 7 KPIs pushed down to DuckDB, chDB, Spark ----
#
# The marketing Parquet file read through `files:` as the table `ads`; `kpiengine.evaluate` of the
# 7 KPIs by month and channel is timed in process, the workspace loaded and the engine started
# beforehand (Spark's start-up is timed on its own). Each engine runs the aggregation queries
# the engine's requests need (one per source and request) and returns only their result.

ENGINE_URLS = {"duckdb": "duckdb://", "chdb": "chdb://", "spark": "spark:local[2]"}


def engine_missing(engine: str) -> str | None:
    """Why `engine` cannot run here (None: it can)."""
    import os
    import shutil

    if engine == "chdb" and importlib.util.find_spec("chdb") is None:
        return "chdb is not installed"
    if engine == "spark":
        if importlib.util.find_spec("pyspark") is None:
            return "pyspark is not installed"
        if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
            return "no Java for Spark"
    return None


def _sql_engine(rows: int, workdir: Path, engine: str) -> dict:
    data = datagen.marketing_parquet(workdir / f"marketing-{rows}.parquet", rows)
    folder = datagen.sql_workspace(workdir / f"sql-{engine}-{rows}", data, ENGINE_URLS[engine])
    return {"folder": folder, "engine": engine}


def _sql_warm(state: dict) -> None:
    """The workspace loaded and the engine's process-wide part started (Spark's session)."""
    import kpiengine.connectors.sql  # noqa: F401 - imported before timing

    import kpiengine
    import kpiengine.engine  # noqa: F401

    state["workspace"] = kpiengine.load_workspace(state["folder"])
    if state["engine"] == "spark":
        from kpiengine.connectors._sql_spark import session
        from kpiengine.connectors._sql_url import DatabaseUrl

        session(DatabaseUrl.expand(ENGINE_URLS["spark"])).sql("SELECT 1").collect()
    elif state["engine"] == "chdb":
        import chdb  # noqa: F401


def _sql_evaluate(state: dict) -> list:
    """The 7 KPIs by month and channel through the `sql` connector; its queries counted (the
    aggregations, the date check and the `LIMIT 0` asking for the table's columns) with their
    result rows."""
    import kpiengine.connectors.sql as sql

    import kpiengine

    queries: list[tuple[str, int]] = []
    run = sql.SqlConnector._run

    def counted(self, text, *args, **kwargs):
        result = run(self, text, *args, **kwargs)  # (names, rows, types)
        queries.append((text, len(result[1])))
        return result

    sql.SqlConnector._run = counted
    try:
        results = kpiengine.evaluate(
            state["workspace"], kpis=list(datagen.MARKETING_KPIS), by=["channel"]
        )
    finally:
        sql.SqlConnector._run = run
    # the aggregations group rows; the date columns' one check scan and the `LIMIT 0` column
    # probes do not
    aggregations = [n for text, n in queries if "GROUP BY" in text.upper()]
    state["queries"] = {"aggregations": len(aggregations), "result_rows": sum(aggregations)}
    state["queries"]["column_probes"] = sum("LIMIT 0" in text for text, _ in queries)
    state["queries"]["checks"] = (
        len(queries) - len(aggregations) - state["queries"]["column_probes"]
    )
    cells = {}
    for record in results.records():
        segment = record["segment"].get("channel", "")
        cells[(record["kpi"], record["period"], segment)] = record["value"]
    return _kpi_checksum(cells)


def _sql_case(engine: str) -> Case:
    return Case(lambda rows, w: _sql_engine(rows, w, engine), _sql_evaluate, warm=_sql_warm)


CASES = {
    "csv:kpiengine": Case(lambda rows, w: _marketing(rows, w, "csv"), _kpi_eval),
    "csv:duckdb": Case(lambda rows, w: _marketing(rows, w, "csv"), _hand_duckdb),
    "parquet:kpiengine": Case(lambda rows, w: _marketing(rows, w, "parquet"), _kpi_eval),
    "parquet:duckdb": Case(lambda rows, w: _marketing(rows, w, "parquet"), _hand_duckdb),
    "scan:kpiengine": Case(_parquet_loaded, _engine_evaluate),
    "scan:duckdb": Case(lambda rows, w: _marketing(rows, w, "parquet"), _hand_in_process),
    "ingest:kpiengine": Case(_kpiengine_deals, _kpiengine_ingest),
    "ingest:duckdb": Case(_imported("duckdb", _deals), _duckdb_ingest),
    "ingest:pandas": Case(_imported("pandas", _deals), _pandas_ingest),
    "ga:kpiengine": Case(_kpiengine_ga_workspace, _kpiengine_ga),
    "ga:duckdb": Case(_imported("duckdb", _ga), _duckdb_ga),
    "evaluate:kpiengine": Case(lambda rows, w: _kpiengine_workspace(w), _kpiengine_evaluate),
    "evaluate:numpy": Case(lambda rows, w: _evaluate_data(w), _numpy_evaluate),
    "evaluate:sympy-subs": Case(lambda rows, w: _evaluate_data(w), _sympy_subs),
    "report:kpiengine": Case(_deals, _report),
    **{f"engines:{engine}": _sql_case(engine) for engine in ENGINE_URLS},
}
