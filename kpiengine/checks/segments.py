"""Data checks across segments: double counting against a total, and Simpson's paradox."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator

import numpy as np

from ..errors import Finding
from ..evaluation import Results
from ..hookspecs import hookimpl
from .base import DATA, Check
from .common import num, segment_label, shown
from .context import CheckContext

#: Dimension values that usually mark a total row in an export.
TOTAL_LABELS = frozenset({"", "total", "totals", "grand total", "all", "(all)", "overall", "sum"})
MAX_REPORTS = 3


def _dimension(results: Results) -> str:
    return ", ".join(results.table.segments[1])


class SegmentsOverTotal(Check):
    code = "KPI305"
    stage = DATA
    title = "segments that add up to more than the total (double counting)"
    fix = (
        "drop total rows from the data; for attributed conversions use one attribution model "
        "so that each conversion belongs to one segment"
    )

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        for results in context.breakdowns():
            for name, values in sorted(results.table.values.items()):
                var = ws.variables.get(name)
                if var is None or var.aggregate.segments != "sum":
                    continue
                yield from self._check(results, name, values)

    def _check(self, results: Results, name: str, values: np.ndarray) -> Iterator[Finding]:
        segments = results.table.segments
        dim = _dimension(results)
        labels = [str(segments[s].get(dim, "")).strip().lower() for s in range(len(segments))]
        labelled = [s for s in range(1, len(segments)) if labels[s] in TOTAL_LABELS - {""}]
        blank = [s for s in range(1, len(segments)) if labels[s] == ""]
        others = [s for s in range(1, len(segments)) if s not in labelled and s not in blank]
        for i in results.selected:
            # rows without a label are a total row (as Universal Analytics writes its totals)
            # only where they are at least as large as every labelled segment; else they are
            # data, part of the total (a few rows an export left without a channel)
            shown = np.abs(values[i, others])
            largest = shown[np.isfinite(shown)].max(initial=0.0)  # 0: no segment to compare
            totals = labelled + [s for s in blank if abs(values[i, s]) >= largest > 0]
            parts = [s for s in range(1, len(segments)) if s not in totals]
            claimed = np.nansum(values[i, parts]) if parts else math.nan
            for t in totals:
                stated = values[i, t]
                if not (math.isfinite(stated) and _same_sign(claimed, stated)):
                    continue
                row = segment_label(segments[t])
                if _over(claimed, stated):
                    # rows without a label, smaller than the segments together, may be data
                    # (as `kpi eval` counts them): the message gives both readings
                    data = (
                        f"; if the rows without a {dim} are data, not a total, the total is "
                        f"{num(values[i, 0])}, as `kpi eval` counts them"
                    )
                    yield self.finding(
                        f"`{name}` in {results.labels[i]}: the {dim} segments add up to "
                        f"{num(claimed)}, more than the total row {row} ({num(stated)}): "
                        f"{num(claimed - stated)} are claimed by more than one {dim}"
                        + (data if t in blank else ""),
                        claimed=float(claimed),
                        total=float(stated),
                        periods=[results.labels[i]],
                        variable=name,
                    )
                    return
                if _near(claimed, stated):
                    yield self.finding(
                        f"`{name}` in {results.labels[i]}: the data has a total row {row} "
                        f"({num(stated)}) besides the {dim} segments that add up to it, so every "
                        f"total counts it twice ({num(values[i, 0])})",
                        claimed=float(claimed),
                        total=float(values[i, 0]),
                        periods=[results.labels[i]],
                        variable=name,
                    )
                    return
            if not totals:
                total = values[i, 0]
                if math.isfinite(total) and _over(claimed, total):
                    yield self.finding(
                        f"`{name}` in {results.labels[i]}: the {dim} segments add up to "
                        f"{num(claimed)}, more than the total {num(total)}",
                        claimed=float(claimed),
                        total=float(total),
                        periods=[results.labels[i]],
                        variable=name,
                    )
                    return


def _near(claimed: float, stated: float) -> bool:
    """The segments add up to the total row, within rounding (0.5%)."""
    return math.isfinite(stated) and abs(claimed - stated) <= abs(stated) * 0.005


def _same_sign(a: float, b: float) -> bool:
    """Both finite, non-zero and of one sign (a refund total row is as much a total)."""
    return bool(math.isfinite(a) and a * b > 0)


def _over(claimed: float, total: float) -> bool:
    """The segments claim more than the total: further from zero on the total's side.

    Magnitudes, not values: segments of -12.5 under a total of -12.5 (a refund month)
    are the total, not more than it; -20 under -12.5 claim 7.5 twice.
    """
    if not math.isfinite(claimed):
        return False
    if total == 0:
        return claimed > 1e-9
    return claimed * total > 0 and abs(claimed) > abs(total) * 1.005 + 1e-9


class SimpsonsParadox(Check):
    code = "KPI306"
    stage = DATA
    title = "Simpson's paradox: the total moves one way while every segment moves the other"
    fix = "read the segments, not the total: the mix of segments changed between the periods"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        scope = {k.id for k in context.kpis}
        for results in context.breakdowns():
            for kpi_id, result in results.kpis.items():
                if kpi_id not in scope or context.workspace.is_additive(kpi_id):
                    continue
                found = 0
                for i in results.selected:
                    if i < 1:  # compared with the period before, selected or not
                        continue
                    message = _reversal(results, result.values, i, result.kpi)
                    if message:
                        found += 1
                        if found <= MAX_REPORTS:
                            yield self.finding(
                                message,
                                result.kpi,
                                period=results.labels[i],
                                periods=[results.labels[i]],
                            )


def _reversal(results: Results, values: np.ndarray, i: int, kpi) -> str | None:
    before, after = values[i - 1], values[i]
    change = after[0] - before[0]
    if not (math.isfinite(change) and abs(change) > 1e-12 * max(abs(after[0]), 1e-300)):
        return None
    moves = after[1:] - before[1:]
    if len(moves) < 2 or not np.all(np.isfinite(moves)):
        return None
    if not np.all(np.sign(moves) == -np.sign(change)):
        return None
    dim = _dimension(results)
    up, down = ("rose", "fell") if change > 0 else ("fell", "rose")
    segments = ", ".join(
        f"{results.table.segments[s][dim]} {shown(before[s], kpi)} -> {shown(after[s], kpi)}"
        for s in range(1, len(after))
    )
    return (
        f"`{kpi.id}` {up} in total from {shown(before[0], kpi)} to {shown(after[0], kpi)} "
        f"({results.labels[i - 1]} -> {results.labels[i]}) but {down} in every {dim}: "
        f"{segments}; the mix of {dim} segments changed"
    )


@hookimpl(trylast=True)
def register_checks(register: Callable[[type[Check]], None]) -> None:
    for check in (SegmentsOverTotal, SimpsonsParadox):
        register(check)
