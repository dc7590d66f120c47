"""A KPI's change across segments: mix versus rate for a ratio, segment changes for a sum.

For a ratio R = N / D over segments s, R = sum_s w_s r_s with w_s = D_s / D (the mix) and
r_s = N_s / D_s (the rates). With midpoint weights the change splits exactly:
R1 - R0 = sum_s (w1 - w0)(r0 + r1)/2  [mix]  +  sum_s (r1 - r0)(w0 + w1)/2  [rate].
A segment without denominator in one period has no rate there: its whole term is mix.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import sympy

from ..errors import KpiError
from ..symbolic import text
from .expand import Context, expand, number, resolve_kpi, segment_text
from .explain import periods

TOLERANCE = 1e-9


@dataclass
class SegmentRow:
    segment: dict[str, str]
    before: float | None  # the segment's KPI value (its rate)
    after: float | None
    weight_before: float | None  # share of the denominator (ratios only)
    weight_after: float | None
    change: float  # the segment's contribution to the total change
    mix: float | None  # ratios: the part from the shift of its weight
    rate: float | None  # ratios: the part from the change of its rate


@dataclass
class SegmentSplit:
    """The total change of a KPI split across segments (`kind`: `mix_rate` or `sum`)."""

    kpi: str
    kind: str
    start: str
    end: str
    before: float
    after: float
    change: float
    mix: float | None  # ratios: the total mix effect
    rate: float | None  # ratios: the total rate effect
    rows: list[SegmentRow]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _check_partition(ctx: Context, values: np.ndarray, what: str, periods_: tuple[int, int]):
    for i in periods_:
        total, parts = values[i, 0], np.nansum(values[i, 1:])
        if not math.isfinite(total):
            raise KpiError(f"`{what}` is undefined in {ctx.labels[i]}")
        if abs(parts - total) > TOLERANCE * max(1.0, abs(total)):
            dims = ", ".join(ctx.table.segments[1]) if len(ctx.table.segments) > 1 else "?"
            raise KpiError(
                f"the segments by {dims} do not add up to the total of `{what}` in "
                f"{ctx.labels[i]} ({parts:,.6g} vs {total:,.6g}), so the change cannot be "
                "split across them"
            )


def split_by_segment(
    ctx: Context, kpi_id: str, start: str | None = None, end: str | None = None
) -> SegmentSplit:
    """Mix-versus-rate for a ratio KPI; each segment's change for an additive one."""
    ws = ctx.ws
    kpi_id = resolve_kpi(ws, kpi_id)
    if len(ctx.table.segments) < 2:
        raise KpiError("splitting a change across segments needs --by DIMENSION")
    expr = expand(ws, kpi_id)
    i, j = periods(ctx, expr, start, end, 0)
    if ws.is_additive(kpi_id):
        return _sums(ctx, kpi_id, expr, i, j)
    numerator, denominator = sympy.fraction(sympy.together(expr))
    if (
        denominator.is_Number
        or any("__" in s.name for s in expr.free_symbols)
        or not (_linear(numerator) and _linear(denominator))
    ):
        raise KpiError(
            f"`{kpi_id}` = {text(expr)} is neither a ratio of sums nor a sum of its inputs: "
            "its change cannot be split across segments"
        )
    top, bottom = ctx.series(numerator), ctx.series(denominator)
    _check_partition(ctx, top, str(numerator), (i, j))
    _check_partition(ctx, bottom, str(denominator), (i, j))
    with np.errstate(all="ignore"):
        weights = bottom[:, 1:] / bottom[:, :1]
        rates = np.where(bottom[:, 1:] != 0, top[:, 1:] / bottom[:, 1:], np.nan)
    rows = []
    mixes: list[float] = []  # each row's mix and rate effects, summed below
    rate_effects: list[float] = []
    for k, segment in enumerate(ctx.table.segments[1:]):
        w0, w1 = _zero(weights[i, k]), _zero(weights[j, k])
        r0, r1 = rates[i, k], rates[j, k]
        if math.isfinite(r0) and math.isfinite(r1):
            mix, rate = (w1 - w0) * (r0 + r1) / 2, (r1 - r0) * (w0 + w1) / 2
        else:
            mix, rate = (
                (w1 * r1 if math.isfinite(r1) else 0.0) - (w0 * r0 if math.isfinite(r0) else 0.0),
                0.0,
            )
        row = SegmentRow(dict(segment), number(r0), number(r1), w0, w1, mix + rate, mix, rate)
        rows.append(row)
        mixes.append(mix)
        rate_effects.append(rate)
    before, after = top[i, 0] / bottom[i, 0], top[j, 0] / bottom[j, 0]
    total_mix, total_rate = math.fsum(mixes), math.fsum(rate_effects)
    split = SegmentSplit(
        kpi_id, "mix_rate", ctx.labels[i], ctx.labels[j], before, after, after - before,
        total_mix, total_rate, rows,
    )  # fmt: skip
    residual = total_mix + total_rate - split.change
    if abs(residual) > 1e-9 * max(1.0, abs(before), abs(after)):
        split.notes.append(
            f"a segment has a numerator but no denominator; {residual:+,.6g} is left unexplained"
        )
    return split


def _linear(expr: sympy.Expr) -> bool:
    """A sum of inputs with constant factors (no products, powers or functions of them)."""
    symbols = sorted(expr.free_symbols, key=str)
    return not symbols or (
        expr.is_polynomial(*symbols) and sympy.Poly(expr, *symbols).total_degree() <= 1
    )


def _zero(value: float) -> float:
    return float(value) if math.isfinite(value) else 0.0


def _sums(ctx: Context, kpi_id: str, expr: sympy.Expr, i: int, j: int) -> SegmentSplit:
    values = ctx.series(expr)
    values_filled = np.where(np.isnan(values), 0.0, values)
    _check_partition(ctx, values_filled, kpi_id, (i, j))
    rows = [
        SegmentRow(
            dict(seg),
            number(values[i, k]),
            number(values[j, k]),
            None,
            None,
            values_filled[j, k] - values_filled[i, k],
            None,
            None,
        )  # fmt: skip
        for k, seg in enumerate(ctx.table.segments[1:], start=1)
    ]
    before, after = values[i, 0], values[j, 0]
    notes = [
        f"no data for {segment_text(r.segment)} in one of the periods: counted as 0"
        for r in rows
        if r.before is None or r.after is None
    ]
    return SegmentSplit(
        kpi_id, "sum", ctx.labels[i], ctx.labels[j], before, after, after - before, None,
        None, rows, notes,
    )  # fmt: skip
