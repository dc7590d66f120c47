"""Data checks on ratios: zero or tiny denominators, growth on a small base, small samples,
rates outside [0, 1]."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from ..errors import ERROR, INFO, Finding
from ..evaluation import Results
from ..hookspecs import hookimpl
from ..model import KPI
from .base import DATA, Check
from .common import expr_array, input_arrays, is_count, name_ratio, num, pct, segment_label, shown
from .context import CheckContext

Z95 = 1.959963984540054
MAX_CELLS = 5
WIDE = 0.25  # an interval wider than 25 percentage points


def wilson(successes: float, trials: float, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95% by default)."""
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _columns(context: CheckContext, results: Results) -> list[int]:
    """The total (from the first results only) and the segments of breakdowns."""
    segments = list(range(1, len(results.table.segments)))
    return [0, *segments] if results is context.primary else segments


def _evaluated(context: CheckContext) -> Iterator[tuple[Results, KPI, list[int]]]:
    scope = {k.id for k in context.kpis}
    for results in context.results:
        columns = _columns(context, results)
        for kpi_id, result in results.kpis.items():
            if kpi_id in scope and result.kpi.formula is not None:
                yield results, result.kpi, columns


def _cells(results: Results, cells: list[tuple[int, int]]) -> dict[str, Any]:
    """`periods` and `segments` ({} for the total) of cells, for filtering findings."""
    segments = results.table.segments
    return {
        "periods": list(dict.fromkeys(results.labels[i] for i, _ in cells)),
        "segments": [dict(segments[s]) for s in dict.fromkeys(s for _, s in cells)],
    }


def _where(results: Results, i: int, s: int) -> str:
    segment = results.table.segments[s]
    return results.labels[i] + (f" ({segment_label(segment)})" if segment else "")


class ZeroDenominator(Check):
    code = "KPI301"
    stage = DATA
    title = "zero or tiny denominators: undefined or exploding values"
    fix = "check the data for the periods named; a tiny denominator needs a longer period"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        for results, kpi, columns in _evaluated(context):
            assert kpi.formula is not None  # _evaluated yields KPIs with a formula
            arrays = input_arrays(results, kpi.formula)
            if arrays is None:
                continue
            values = results.kpis[kpi.id].values
            for guard in kpi.formula.guards:
                if guard.kind != "nonzero" or any("__" in str(s) for s in guard.expr.free_symbols):
                    continue
                den = expr_array(guard.expr, arrays, values.shape)
                yield from self._zero(results, kpi, guard.text, den, columns)
                yield from self._tiny(results, kpi, guard.text, den, values, columns)

    def _zero(self, results, kpi, text, den, columns) -> Iterator[Finding]:
        # a segment where the denominator is always 0 simply lacks it (no clicks for Direct)
        columns = [s for s in columns if np.any(den[results.selected, s] != 0)]
        for group, severity in (([0], None), ([s for s in columns if s], INFO)):
            cells = [
                (i, s) for s in group if s in columns for i in results.selected if den[i, s] == 0
            ]
            if not cells:
                continue
            listed = ", ".join(_where(results, i, s) for i, s in cells[:MAX_CELLS])
            more = f" and {len(cells) - MAX_CELLS} more" if len(cells) > MAX_CELLS else ""
            yield self.finding(
                f"`{kpi.id}` is undefined where `{text}` is 0: {listed}{more}",
                kpi,
                severity=severity,
                cells=len(cells),
                **_cells(results, cells),
            )

    def _tiny(self, results, kpi, text, den, values, columns) -> Iterator[Finding]:
        for s in columns:
            column = np.abs(den[results.selected, s])
            usable = column[np.isfinite(column) & (column > 0)]
            if len(usable) < 3:
                continue
            median = float(np.median(usable))
            for i in results.selected:
                if 0 < abs(den[i, s]) < 0.02 * median:
                    typical = float(np.nanmedian(values[results.selected, s]))
                    yield self.finding(
                        f"in {_where(results, i, s)} `{text}` is {num(den[i, s])} against a "
                        f"median of {num(median)}: `{kpi.id}` is {shown(values[i, s], kpi)} "
                        f"(median {shown(typical, kpi)})",
                        kpi,
                        denominator=float(den[i, s]),
                        median=median,
                        **_cells(results, [(i, s)]),
                    )


class SmallBase(Check):
    code = "KPI302"
    stage = DATA
    title = "growth on a near-zero base: a huge percentage from a tiny starting value"
    fix = "show the absolute change for these periods, or compare over a longer period"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        for results, kpi, columns in _evaluated(context):
            assert kpi.formula is not None  # _evaluated yields KPIs with a formula
            arrays = input_arrays(results, kpi.formula)
            if arrays is None:
                continue
            values = results.kpis[kpi.id].values
            for guard in kpi.formula.guards:
                symbols = [str(s) for s in guard.expr.free_symbols]
                if guard.kind != "nonzero" or len(symbols) != 1 or "__" not in symbols[0]:
                    continue
                base = expr_array(guard.expr, arrays, values.shape)
                current = arrays.get(symbols[0].split("__")[0])
                found = [
                    (part, (i, s))
                    for s in columns
                    for part, i in _small_bases(results, kpi, base, current, values, s)
                ]
                parts = [part for part, _ in found]
                if parts:
                    more = f"; {len(parts) - MAX_CELLS} more" if len(parts) > MAX_CELLS else ""
                    yield self.finding(
                        f"`{kpi.id}` divides by a near-zero `{guard.text}`: "
                        f"{'; '.join(parts[:MAX_CELLS])}{more}",
                        kpi,
                        cells=len(parts),
                        **_cells(results, [cell for _, cell in found]),
                    )


def _small_bases(results, kpi, base, current, values, s) -> Iterator[tuple[str, int]]:
    column = np.abs(base[results.selected, s])
    usable = column[np.isfinite(column) & (column > 0)]
    median = float(np.median(usable)) if len(usable) else math.nan
    for i in results.selected:
        b = base[i, s]
        if not math.isfinite(b) or not (b == 0 or abs(b) < 0.05 * median):
            continue
        now = current[i, s] if current is not None else math.nan
        if b == 0 and not (math.isfinite(now) and now != 0):
            continue
        growth = shown(values[i, s], kpi) if math.isfinite(values[i, s]) else "undefined"
        yield (
            f"in {_where(results, i, s)} it is {growth} on a base of {num(b)} (typically "
            f"{num(median)}): {num(b)} -> {num(now)}, an absolute change of {num(now - b)}",
            i,
        )


class SmallSample(Check):
    code = "KPI303"
    stage = DATA
    title = "a rate from too few cases: its 95% interval is wide or straddles the target"
    fix = "report the interval with the rate, or aggregate over a longer period or more segments"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        for results, kpi, columns in _evaluated(context):
            assert kpi.formula is not None  # _evaluated yields KPIs with a formula
            names = name_ratio(kpi.formula)
            if names is None or kpi.format != "percent" or not results.selected:
                continue
            if not all(n in ws.variables and is_count(ws.variables[n].unit) for n in names):
                continue
            result = results.kpis[kpi.id]
            i = results.selected[-1]
            cells = []
            for s in columns:
                k, n = (results.table.values[name][i, s] for name in names)
                if not (math.isfinite(k) and math.isfinite(n)) or n <= 0 or not 0 <= k <= n:
                    continue
                low, high = wilson(k, n)
                target = result.targets[i, s]
                straddles = (
                    math.isfinite(target)
                    and low < target < high
                    and result.status[i, s] in ("on_track", "off_track")
                )
                if high - low < WIDE and not straddles:
                    continue
                d = 0 if high - low >= 0.1 else 1
                where = segment_label(results.table.segments[s])
                text = (
                    f"{where}: {num(k)} of {num(n)} = {pct(k / n, d)}, could be "
                    f"{pct(low, d)}-{pct(high, d)}"
                )
                if straddles:
                    text += f", around the target {pct(target, d)}"
                where_cell = {"low": low, "high": high, "successes": k, "trials": n, "s": s}
                cells.append((text, where_cell))
            if cells:
                more = f"; {len(cells) - MAX_CELLS} more" if len(cells) > MAX_CELLS else ""
                yield self.finding(
                    f"`{kpi.id}` in {results.labels[i]} rests on few cases (95% Wilson "
                    f"intervals): {'; '.join(t for t, _ in cells[:MAX_CELLS])}{more}",
                    kpi,
                    cells=[{k: v for k, v in c.items() if k != "s"} for _, c in cells],
                    **_cells(results, [(i, c["s"]) for _, c in cells]),
                )


class RateOutOfRange(Check):
    code = "KPI304"
    severity = ERROR
    stage = DATA
    title = "a rate outside [0, 1] although its numerator is part of its denominator"
    fix = "the numerator counts something the denominator does not: check both sources' filters"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        for results, kpi, columns in _evaluated(context):
            assert kpi.formula is not None  # _evaluated yields KPIs with a formula
            names = name_ratio(kpi.formula)
            if not names:
                continue
            part, whole = (ws.variables.get(n) for n in names)
            if part is None or whole is None or not is_count(part.unit):
                continue
            if part.unit != whole.unit:
                continue
            values = results.kpis[kpi.id].values
            cells = [
                (i, s)
                for s in columns
                for i in results.selected
                if math.isfinite(values[i, s]) and not -1e-9 <= values[i, s] <= 1 + 1e-9
            ]
            if not cells:
                continue
            i, s = cells[0]
            a, b = (results.table.values[n][i, s] for n in names)
            more = f" (and {len(cells) - 1} more cells)" if len(cells) > 1 else ""
            yield self.finding(
                f"`{kpi.id}` is {pct(values[i, s])} in {_where(results, i, s)}: `{names[0]}` "
                f"{num(a)} against `{names[1]}` {num(b)}, though `{names[0]}` should be part "
                f"of `{names[1]}`{more}",
                kpi,
                cells=len(cells),
                **_cells(results, cells),
            )


@hookimpl(trylast=True)
def register_checks(register: Callable[[type[Check]], None]) -> None:
    for check in (ZeroDenominator, SmallBase, SmallSample, RateOutOfRange):
        register(check)
