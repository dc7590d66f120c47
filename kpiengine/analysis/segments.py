"""A KPI's change across segments: mix versus rate for a ratio, segment changes for a sum.

A ratio KPI is R = N / D with N = sum_s n_s and D = sum_s d_s over the segments s. Each segment
adds c_s = n_s / D to R, so R1 - R0 = sum_s (c_s1 - c_s0) exactly; each segment's term is
split by what happened to its denominator d_s:

- in both periods (d_s != 0 before and after), with its share w_s = d_s / D and its rate
  r_s = n_s / d_s, c_s = w_s r_s and the midpoint (two-factor Shapley) split is exact:
  mix = (w1 - w0)(r0 + r1)/2 (its share moving) and rate = (r1 - r0)(w0 + w1)/2 (its rate
  moving);
- entering (d_s = 0 before) or leaving (d_s = 0 after): entering/leaving = w1 r1, or -w0 r0;
- a numerator without a denominator (n_s != 0 where d_s = 0, e.g. cost in a channel that won
  no customers) counts in R but in no segment's rate: without_denominator = n_s1/D1 [if
  d_s1 = 0] - n_s0/D0 [if d_s0 = 0].

So R1 - R0 = mix + rate + entering/leaving + without_denominator, with nothing left over. The
terms are computed in exact rational arithmetic (`Fraction`s of the floats), so they sum to the
change exactly before each is rounded to a float once; R0 and R1 are the sums of the segments
(checked to match the totals to 1e-9).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction

import numpy as np
import sympy

from ..errors import KpiError
from ..symbolic import text
from .expand import Context, expand, number, resolve_kpi, segment_text
from .explain import periods
from .todate import change_basis

TOLERANCE = 1e-9


@dataclass
class SegmentRow:
    segment: dict[str, str]
    before: float | None  # the segment's KPI value (its rate); None without a denominator
    after: float | None
    weight_before: float | None  # share of the denominator (ratios only)
    weight_after: float | None
    change: float  # the segment's contribution to the total change (the sum of its terms)
    mix: float | None  # ratios, segments in both periods: the part from the shift of its weight
    rate: float | None  # ratios, segments in both periods: the part from the change of its rate
    #: ratios: `both`, `entering` or `leaving` (a denominator in one period only), or `neither`
    status: str | None = None
    entering_leaving: float | None = None  # ratios: w1 r1 when entering, -w0 r0 when leaving
    #: ratios: its numerator where it has no denominator (counted in the total, in no rate)
    without_denominator: float | None = None
    numerator_before: float | None = None  # ratios: the segment's numerator and denominator
    numerator_after: float | None = None
    denominator_before: float | None = None
    denominator_after: float | None = None


@dataclass
class SegmentSplit:
    """The total change of a KPI split across segments (`kind`: `mix_rate` or `sum`).

    For `mix_rate`, change = mix + rate + entering_leaving + without_denominator."""

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
    entering_leaving: float | None = None  # ratios: segments entering or leaving
    without_denominator: float | None = None  # ratios: numerators without a denominator
    numerator: str | None = None  # ratios: the formula's numerator and denominator, as text
    denominator: str | None = None
    compared: str = "period"  # or `to_date`: the same first days of both (see `todate`)
    start_days: list[str] = field(default_factory=list)  # first and last day compared (ISO)
    end_days: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # a partial period against a whole one

    def to_dict(self) -> dict:
        return asdict(self)


Number = float | int | Fraction


@dataclass(frozen=True)
class Terms:
    """One segment's exact part of a ratio's change (see the module docstring)."""

    status: str  # both | entering | leaving | neither
    mix: Fraction
    rate: Fraction
    entering_leaving: Fraction
    without_denominator: Fraction

    @property
    def total(self) -> Fraction:
        return self.mix + self.rate + self.entering_leaving + self.without_denominator


@dataclass(frozen=True)
class Decomposition:
    before: Fraction  # sum n0 / sum d0
    after: Fraction
    terms: list[Terms]
    denominator_before: Fraction  # sum d0
    denominator_after: Fraction

    @property
    def change(self) -> Fraction:
        return self.after - self.before


def decompose(
    n0: Sequence[Number], d0: Sequence[Number], n1: Sequence[Number], d1: Sequence[Number]
) -> Decomposition:
    """Exact mix / rate / entering-leaving / without-denominator terms of sum(n)/sum(d) moving
    from period 0 to period 1, per segment. Values must be finite; each total denominator
    must be nonzero (KpiError otherwise)."""
    if not len(n0) == len(d0) == len(n1) == len(d1):
        raise KpiError("the segments' numerators and denominators differ in number")
    n0_, d0_, n1_, d1_ = ([Fraction(v) for v in values] for values in (n0, d0, n1, d1))
    total0, total1 = sum(d0_, Fraction(0)), sum(d1_, Fraction(0))
    if total0 == 0 or total1 == 0:
        raise KpiError("the denominator's total is 0: the ratio is undefined")
    zero = Fraction(0)
    terms = []
    for a, b, c, d in zip(n0_, d0_, n1_, d1_, strict=True):
        share0, share1 = a / total0, c / total1  # what the segment adds to the ratio
        if b and d:
            w0, w1, r0, r1 = b / total0, d / total1, a / b, c / d
            terms.append(
                Terms("both", (w1 - w0) * (r0 + r1) / 2, (r1 - r0) * (w0 + w1) / 2, zero, zero)
            )
        elif d:
            terms.append(Terms("entering", zero, zero, share1, -share0))
        elif b:
            terms.append(Terms("leaving", zero, zero, -share0, share1))
        else:
            terms.append(Terms("neither", zero, zero, zero, share1 - share0))
    return Decomposition(sum(n0_, zero) / total0, sum(n1_, zero) / total1, terms, total0, total1)


def _check_partition(ctx: Context, values: np.ndarray, what: str, periods_: tuple[int, int]):
    """KpiError when the segments' values of `what` do not add up to its total in one of the
    periods (a segment without a value counts as 0 only where the others add up without it)."""
    for i in periods_:
        total, parts = values[i, 0], np.nansum(values[i, 1:])
        if not math.isfinite(total):
            raise KpiError(f"`{what}` is undefined in {ctx.labels[i]}")
        if abs(parts - total) <= TOLERANCE * max(1.0, abs(total)):
            continue
        dims = ", ".join(ctx.table.segments[1]) if len(ctx.table.segments) > 1 else "?"
        undefined = [
            segment_text(ctx.table.segments[k + 1]) for k in np.flatnonzero(np.isnan(values[i, 1:]))
        ]
        tail = "so the change cannot be split across them"
        if len(undefined) == len(ctx.table.segments) - 1:
            raise KpiError(
                f"no segment by {dims} has a value of `{what}` in {ctx.labels[i]} (its total is "
                f"{total:,.6g}: its data is not split by {dims}), {tail}"
            )
        lacking = f"; {', '.join(undefined)} without a value" if undefined else ""
        raise KpiError(
            f"the segments by {dims} do not add up to the total of `{what}` in "
            f"{ctx.labels[i]} ({parts:,.6g} vs {total:,.6g}{lacking}), {tail}"
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
    basis = change_basis(ctx, kpi_id, expr, i, j, segments=True)
    split = _split(basis.ctx, kpi_id, expr, i, j)
    split.compared = basis.compared
    split.start_days, split.end_days = basis.days()["start_days"], basis.days()["end_days"]
    split.warnings = [basis.warning] if basis.warning else []
    return split


def _split(ctx: Context, kpi_id: str, expr: sympy.Expr, i: int, j: int) -> SegmentSplit:
    """The split of the change from period i to j of the values in `ctx`."""
    ws = ctx.ws
    if ws.is_additive(kpi_id):
        return _sums(ctx, kpi_id, expr, i, j)
    numerator, denominator = sympy.fraction(sympy.together(expr))
    if (
        # A constant numerator (`500 / deals_won`, a KPI of KPIs once expanded) is the same
        # in every segment, so the segments' numerators would not add up to the total's.
        not numerator.free_symbols
        or not denominator.free_symbols
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
    num_text, den_text = text(numerator, "the numerator"), text(denominator, "the denominator")
    for k in (i, j):
        if np.nansum(bottom[k, 1:]) == 0:
            raise KpiError(
                f"`{kpi_id}` is undefined in {ctx.labels[k]}: its denominator `{den_text}` is 0, "
                "so its change cannot be split across segments"
            )
    segments = ctx.table.segments[1:]
    notes = [
        f"{segment_text(segment)} in {ctx.labels[k]}: no value for `{what}`, counted as 0"
        for n, segment in enumerate(segments)
        for k in (i, j)
        for what, values, other in (
            (num_text, top, bottom),
            (den_text, bottom, top),
        )
        if math.isnan(values[k, n + 1]) and not math.isnan(other[k, n + 1])
    ]
    top, bottom = np.nan_to_num(top[:, 1:], nan=0.0), np.nan_to_num(bottom[:, 1:], nan=0.0)
    found = decompose(top[i], bottom[i], top[j], bottom[j])
    rows = []
    for k, (segment, terms) in enumerate(zip(segments, found.terms, strict=True)):
        n0, d0, n1, d1 = top[i, k], bottom[i, k], top[j, k], bottom[j, k]
        both = terms.status == "both"
        moved = terms.status in ("entering", "leaving")
        without = n0 != 0 and d0 == 0 or n1 != 0 and d1 == 0
        rows.append(
            SegmentRow(
                dict(segment),
                number(n0 / d0) if d0 else None,
                number(n1 / d1) if d1 else None,
                _float(Fraction(d0) / found.denominator_before),
                _float(Fraction(d1) / found.denominator_after),
                _float(terms.total),
                _float(terms.mix) if both else None,
                _float(terms.rate) if both else None,
                terms.status,
                _float(terms.entering_leaving) if moved else None,
                _float(terms.without_denominator) if without else None,
                float(n0), float(n1), float(d0), float(d1),
            )
        )  # fmt: skip
    return SegmentSplit(
        kpi_id, "mix_rate", ctx.labels[i], ctx.labels[j], _float(found.before),
        _float(found.after), _float(found.change), _total(found, "mix"), _total(found, "rate"),
        rows, notes, _total(found, "entering_leaving"), _total(found, "without_denominator"),
        num_text, den_text,
    )  # fmt: skip


def _total(found: Decomposition, kind: str) -> float:
    """One kind of term summed over the segments, exactly, then rounded once."""
    return _float(sum((getattr(t, kind) for t in found.terms), Fraction(0)))


def _float(value: Fraction) -> float:
    try:
        return float(value)
    except OverflowError:  # a rate over a denominator of 1e-320: beyond any float
        raise KpiError(
            "a segment's term is too large for a number (a denominator near 0): the change "
            "cannot be split across segments"
        ) from None


def _linear(expr: sympy.Expr) -> bool:
    """A sum of inputs with constant factors (no products, powers or functions of them)."""
    symbols = sorted(expr.free_symbols, key=str)
    return not symbols or (
        expr.is_polynomial(*symbols) and sympy.Poly(expr, *symbols).total_degree() <= 1
    )


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
