"""Benchmark: the reading layer's SQL against plain DuckDB on a 2M-row export.

Two files are generated (once, in `--dir`): a clean one, and one where about 10% of the rows
carry the mess exports have (thousand separators, currency symbols, percentages, empty and
`--` cells, scientific notation). Each is aggregated by month and channel:
- plain DuckDB: `read_csv` with all columns as text, `SUM(TRY_CAST(...))` (which reads the
  mess wrongly or not at all), and `read_csv` with DuckDB's own types on the clean file;
- the reading layer: `sniff`, its `read_csv_sql`, `number_sql` and the date format's SQL, with
  the bad cells counted in the same scan (`bad_number_sql`); on the clean file also with the
  types DuckDB finds (numbers never cast to text).
Run as a script (`python benchmarks/bench_fileformats.py [--rows N] [--dir DIR]`); it prints
the best of a few runs of each query and the ratios. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import duckdb

from kpiengine.fileformats import detect_date_format, sniff
from kpiengine.fileformats.numbers import bad_number_sql, number_sql

NUMBERS = ("sessions", "revenue", "rate")
CHANNELS = ("Direct", "Email", "Paid Search", "Organic Search", "Referral")


def generate(path: Path, rows: int, mess: float, seed: int = 1) -> None:
    """A CSV of `rows` rows; a share `mess` of them written as messy exports write them."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("date,channel,sessions,revenue,rate\n")
        for i in range(rows):
            day = f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"
            sessions, cents, rate = rng.randint(0, 5000), rng.randint(0, 2_000_000), rng.random()
            revenue = cents / 100
            cells = (str(sessions), f"{revenue:.2f}", f"{rate:.4f}")
            if rng.random() < mess:
                cells = rng.choice(
                    [
                        (f'"{sessions:,}"', f'"${revenue:,.2f}"', f"{rate * 100:.2f}%"),
                        ("", "", ""),
                        ("--", f"€{revenue:.2f}", f"{rate * 100:.1f} %"),
                        (f"{sessions}", f'"US${revenue:,.2f}"', f"{rate:.3e}"),
                        (f"{sessions:.1e}", f"{revenue:.3e}", "--"),
                    ]
                )
            out.write(f"{day},{rng.choice(CHANNELS)},{','.join(cells)}\n")


def timed(queries: dict[str, str], runs: int) -> dict[str, tuple[float, list]]:
    """Best time and result of each query; the queries take turns, run after run, so that a
    busy machine slows them alike."""
    times: dict[str, list[float]] = {name: [] for name in queries}
    results: dict[str, list] = {}
    for _ in range(runs):
        for name, query in queries.items():
            connection = duckdb.connect()
            start = time.perf_counter()
            results[name] = connection.sql(query).fetchall()
            times[name].append(time.perf_counter() - start)
            connection.close()
    return {name: (min(times[name]), results[name]) for name in queries}


def plain_sql(path: Path, typed: bool) -> str:
    if typed:
        sums = ", ".join(f"sum({c})" for c in NUMBERS)
        source = f"read_csv('{path}')"
        day = "date"
    else:
        sums = ", ".join(f"sum(TRY_CAST({c} AS DOUBLE))" for c in NUMBERS)
        source = f"read_csv('{path}', all_varchar=true)"
        day = "TRY_CAST(date AS DATE)"
    return (
        f"SELECT date_trunc('month', {day}) AS month, channel, {sums} FROM {source} "
        "GROUP BY ALL ORDER BY ALL"
    )


def layer_sql(path: Path, typed: bool) -> str:
    """The reading layer's query: values and bad-cell counts in one scan."""
    sniffed = sniff(path)
    types = None
    if typed:  # the types DuckDB's sniffer finds: numeric columns stay numeric
        described = duckdb.sql(f"DESCRIBE SELECT * FROM read_csv('{path}')").fetchall()
        types = {name: kind for name, kind, *_ in described}
    kinds = types or {}
    dates = [row.fields[0] for row in sniffed.sample[:200]]
    day = detect_date_format(dates, column="date").sql("date", kinds.get("date"))
    values = ", ".join(f"{number_sql(c, '.', kinds.get(c))} AS v_{c}, {c}" for c in NUMBERS)
    sums = ", ".join(
        f"sum(v_{c}), count(*) FILTER (WHERE {bad_number_sql(c, '.', kinds.get(c), f'v_{c}')})"
        for c in NUMBERS
    )
    rows = f"SELECT {day} AS day, channel, {values} FROM {sniffed.read_csv_sql(types)}"
    return (
        f"SELECT date_trunc('month', day) AS month, channel, {sums} FROM ({rows}) "
        "GROUP BY ALL ORDER BY ALL"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "kpi_bench")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    files = {"clean": 0.0, "mixed": 0.1}
    for name, mess in files.items():
        path = args.dir / f"{name}_{args.rows}.csv"
        if not path.exists():
            generate(path, args.rows, mess)
        print(f"\n{name}: {path} ({path.stat().st_size / 1e6:.0f} MB, {args.rows:,} rows)")
        queries = {"plain": plain_sql(path, typed=False), "ours": layer_sql(path, typed=False)}
        if mess == 0.0:
            queries["plain typed"] = plain_sql(path, typed=True)
            queries["ours typed"] = layer_sql(path, typed=True)
        found = timed(queries, args.runs)
        plain, ours = found["plain"][0], found["ours"][0]
        print(f"  plain DuckDB, text + TRY_CAST     {plain:6.3f} s")
        print(f"  reading layer, text               {ours:6.3f} s   {ours / plain:4.2f}x")
        result = found["ours"][1]
        bad = [sum(row[3 + 2 * i] for row in result) for i in range(len(NUMBERS))]
        print(f"    bad cells found in the same scan: {dict(zip(NUMBERS, bad, strict=True))}")
        if mess == 0.0:
            typed_plain, typed_ours = found["plain typed"][0], found["ours typed"][0]
            print(f"  plain DuckDB, its own types       {typed_plain:6.3f} s")
            print(
                f"  reading layer, DuckDB's types     {typed_ours:6.3f} s   "
                f"{typed_ours / typed_plain:4.2f}x"
            )


if __name__ == "__main__":
    main()
