"""The evaluations `kpi lint` checks data on: breakdowns, totals, and the dates inputs cover."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .errors import KpiError
from .evaluation import Results
from .periods import end_date, ordinal_of
from .table import Frame

MAX_DIMENSIONS = 2  # breakdowns by default: the dimensions most sources provide
MAX_FRAME_DIMENSIONS = 4
MAX_SEGMENTS = 20
Coverage = dict[str, tuple[dt.date, dt.date]]


def data_for_lint(
    evaluate: Callable[..., Results],
    dimension_counts: dict[str, int],
    data: Frame | str | Path | None,
    by: list[str] | None = None,
) -> tuple[list[Results], Coverage]:
    """Evaluate a breakdown by each of `by` (default: the main dimensions), or just totals.

    `evaluate(data, by=..., grain=...)` is the run's evaluation; `dimension_counts` says how
    many sources give each dimension; `data` is a Frame, a CSV path, or None for the sources.
    """
    results = []
    for dim in by if by is not None else _dimensions(dimension_counts, data):
        try:
            broken_down = evaluate(data, by=[dim])
        except KpiError:
            continue
        if len(broken_down.table.segments) - 1 <= MAX_SEGMENTS:
            results.append(broken_down)  # its column 0 is the total
    if not results:
        results = [evaluate(data)]
    if isinstance(data, Frame):
        return results, _frame_coverage(data)
    return results, eval_coverage(results[0])


def _dimensions(counts: dict[str, int], data: Any) -> list[str]:
    if isinstance(data, Frame):
        return sorted(data.dims)[:MAX_FRAME_DIMENSIONS]
    widest = max(counts.values(), default=0)
    return sorted(d for d in counts if counts[d] == widest)[:MAX_DIMENSIONS]


def _span(days: list[dt.date]) -> tuple[dt.date, dt.date]:
    """First and last date; data dated on the 1st of each month covers the whole month."""
    first, last = min(days), max(days)
    if len(days) > 1 and all(d.day == 1 for d in days):
        last = end_date(ordinal_of(last, "month"), "month")
    return first, last


def _frame_coverage(frame: Frame) -> Coverage:
    out = {}
    for name, column in frame.values.items():
        held = frame.dates[~np.isnan(np.asarray(column, dtype=float))]
        if len(held):
            out[name] = _span([d.item() for d in np.unique(held)])
    return out


def eval_coverage(results: Results) -> Coverage:
    """The days each variable's data covers, as the evaluation counts them (`InputTable.spans`:
    a file's stated range, rows standing for whole months, a `sql` table's first and last
    dates, cut at today): what makes a period complete in `kpi eval` makes it so in the checks.
    """
    return dict(results.table.spans)
