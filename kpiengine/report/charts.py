"""Chart geometry for the inline-SVG macros of `_charts.html.j2`: scales, ticks, paths, bars.

Everything here is plain numbers in SVG user units; the templates draw and label them. Undefined
values (None) leave gaps in lines and no bar, never a point at 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeGuard

Number = float | None


def finite(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and math.isfinite(value)


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round tick values covering [low, high] (about `count` of them)."""
    if not (finite(low) and finite(high)):
        return []
    if high < low:
        low, high = high, low
    if high == low:
        pad = abs(high) * 0.1 or 1.0
        low, high = low - pad, high + pad
    power = 10 ** math.floor(math.log10((high - low) / max(count, 1)))
    steps = [m * power * scale for scale in (0.1, 1, 10) for m in (1, 2, 2.5, 5)]
    step = next(
        s for s in [*steps, power * 100]
        if math.ceil(high / s - 1e-9) - math.floor(low / s + 1e-9) <= count + 1
    )  # fmt: skip
    digits = max(0, 3 - math.floor(math.log10(step)))
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    return [round(k * step, digits) for k in range(first, max(last, first + 1) + 1)]


def _domain(numbers: Sequence[Number], include_zero: bool = False) -> list[float]:
    """Tick values for the numbers' range (empty when none is defined)."""
    defined = [float(v) for v in numbers if finite(v)]
    if not defined:
        return []
    low, high = min(defined), max(defined)
    if include_zero:
        low, high = min(low, 0.0), max(high, 0.0)
    return nice_ticks(low, high)


def _path(points: Sequence[tuple[float, float | None]]) -> list[str]:
    """SVG path data for each run of consecutive defined points."""
    runs: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    for x, y in points:
        if y is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((x, y))
    if current:
        runs.append(current)
    return [
        "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in run) if len(run) > 1 else "" for run in runs
    ]


@dataclass
class Point:
    x: float
    y: float | None  # None where the value is undefined
    value: Number
    target_y: float | None
    target: Number
    label: str
    reason: str | None = None


@dataclass
class LineChart:
    """A trend: value line (with gaps), target line, y ticks and a few x labels."""

    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float
    points: list[Point] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    target_paths: list[str] = field(default_factory=list)
    ticks: list[tuple[float, float]] = field(default_factory=list)  # (y, value)
    x_labels: list[tuple[float, str, str, bool]] = field(default_factory=list)  # x, label,
    # text-anchor, minor (hidden on narrow screens)
    step: float | None = None  # between ticks
    has_target: bool = False
    empty: bool = True
    from_zero: bool = True  # False: the axis starts above zero (or ends below it), said so
    outlier: Point | None = None  # one value far outside the others, drawn at the edge
    #: the last period's projection to its end: (x, y, y of the 80% interval's low and high)
    projection: tuple[float, float, float, float] | None = None


def single_outlier(values: Sequence[Number], factor: float = 8.0) -> int | None:
    """The index of the one value far outside all others (more than `factor` median absolute
    deviations from the median, and twice as far as any other value), else None."""
    defined = [(i, float(v)) for i, v in enumerate(values) if finite(v)]
    if len(defined) < 6:
        return None
    numbers = sorted(v for _, v in defined)
    median = numbers[len(numbers) // 2]
    deviations = sorted(abs(v - median) for v in numbers)
    mad = deviations[len(deviations) // 2]
    if mad == 0:
        return None
    far = max(defined, key=lambda p: abs(p[1] - median))
    if abs(far[1] - median) > factor * mad and abs(far[1] - median) > 2 * deviations[-2]:
        return far[0]
    return None


def line_chart(
    labels: Sequence[str],
    values: Sequence[Number],
    targets: Sequence[Number],
    reasons: Sequence[str | None] | None = None,
    width: float = 480,
    height: float = 210,
    x_label_count: int = 6,
    projection: tuple[float, float, float] | None = None,
) -> LineChart:
    """Geometry of a trend chart of `values` (and `targets`) over `labels`; `projection` is the
    last (partial) period's projected value and 80% interval, drawn as a dashed whisker."""
    chart = LineChart(width, height, left=66, right=width - 12, top=36, bottom=height - 28)
    outlier = single_outlier(values)
    ticks = _domain(
        [v for i, v in enumerate(values) if i != outlier] + [*targets] + list(projection or ())
    )
    n = len(labels)
    if not ticks or not n:
        return chart
    low, high = ticks[0], ticks[-1]
    step = (chart.right - chart.left) / max(n - 1, 1)

    def y_at(v: float) -> float:
        return chart.bottom - (v - low) / (high - low) * (chart.bottom - chart.top)

    def y_of(v: Number) -> float | None:
        if not finite(v):
            return None
        return min(max(y_at(float(v)), chart.top - 8), chart.bottom + 8)  # an outlier at the edge

    for i, name in enumerate(labels):
        x = chart.left + step * i if n > 1 else (chart.left + chart.right) / 2
        reason = reasons[i] if reasons else None
        point = Point(x, y_of(values[i]), values[i], y_of(targets[i]), targets[i], name, reason)
        chart.points.append(point)
    chart.paths = _path([(p.x, p.y) for p in chart.points])
    chart.target_paths = _path([(p.x, p.target_y) for p in chart.points])
    chart.ticks = [(y_at(t), t) for t in ticks]  # ticks are finite
    chart.step = ticks[1] - ticks[0] if len(ticks) > 1 else None
    every = max(1, math.ceil(n / x_label_count), math.ceil(80 / step) if n > 1 else 1)
    shown = [i for i in range(n) if (n - 1 - i) % every == 0]
    for k, i in enumerate(reversed(shown)):
        anchor = "end" if i == n - 1 and n > 1 else ("start" if i == 0 else "middle")
        chart.x_labels.append((chart.points[i].x, labels[i], anchor, k % 2 == 1))
    chart.has_target = any(p.target_y is not None for p in chart.points)
    chart.from_zero = low <= 0 <= high
    if outlier is not None:
        chart.outlier = chart.points[outlier]
    chart.empty = all(p.y is None for p in chart.points)
    if projection is not None and chart.points:
        value, low_value, high_value = projection
        y, y_low, y_high = y_of(value), y_of(low_value), y_of(high_value)
        if y is not None and y_low is not None and y_high is not None:
            chart.projection = (chart.points[-1].x, y, y_low, y_high)
    return chart


@dataclass
class Sparkline:
    """A small trend: value line, target line and the last point."""

    width: float
    height: float
    paths: list[str] = field(default_factory=list)
    target_paths: list[str] = field(default_factory=list)
    last: tuple[float, float] | None = None
    empty: bool = True


def sparkline(
    values: Sequence[Number], targets: Sequence[Number], width: float = 120, height: float = 32
) -> Sparkline:
    """Geometry of a sparkline of `values` with its `targets`."""
    spark = Sparkline(width, height)
    defined = [float(v) for v in [*values, *targets] if finite(v)]
    n = len(values)
    if not defined or not n:
        return spark
    low, high = min(defined), max(defined)
    if high == low:
        low, high = low - 1, high + 1
    pad = 3.0
    step = (width - 2 * pad) / max(n - 1, 1)

    def y_of(v: Number) -> float | None:
        if not finite(v):
            return None
        return height - pad - (float(v) - low) / (high - low) * (height - 2 * pad)

    points = [(pad + step * i, y_of(v)) for i, v in enumerate(values)]
    spark.paths = [p for p in _path(points) if p]
    spark.target_paths = [
        p for p in _path([(pad + step * i, y_of(t)) for i, t in enumerate(targets)]) if p
    ]
    last_x, last_y = points[-1]
    if last_y is not None:
        spark.last = (last_x, last_y)
    spark.empty = all(y is None for _, y in points)
    return spark


@dataclass
class Bar:
    y: float
    x: float
    width: float
    label: str
    value: Number
    status: str
    reason: str | None = None


@dataclass
class BarChart:
    """Horizontal bars, one per segment, from a shared zero line."""

    width: float
    height: float
    left: float
    right: float
    row: float
    bars: list[Bar] = field(default_factory=list)
    zero_x: float = 0.0
    target_x: float | None = None
    target: Number = None
    ticks: list[tuple[float, float]] = field(default_factory=list)  # (x, value)
    step: float | None = None
    empty: bool = True


def bar_chart(
    labels: Sequence[str],
    values: Sequence[Number],
    statuses: Sequence[str],
    target: Number = None,
    reasons: Sequence[str | None] | None = None,
    width: float = 480,
    row: float = 28,
) -> BarChart:
    """Geometry of horizontal bars for `values` by `labels`, with an optional common `target`."""
    height = row * len(labels) + 26
    chart = BarChart(width, height, left=150, right=width - 80, row=row)
    ticks = _domain([*values, target], include_zero=True)
    if not ticks:
        chart.bars = [
            Bar(row * i, chart.left, 0.0, name, None, statuses[i], reasons[i] if reasons else None)
            for i, name in enumerate(labels)
        ]
        return chart
    low, high = ticks[0], ticks[-1]

    def x_of(v: float) -> float:
        return chart.left + (v - low) / (high - low) * (chart.right - chart.left)

    chart.zero_x = x_of(0.0)
    for i, name in enumerate(labels):
        value = values[i]
        reason = reasons[i] if reasons else None
        if finite(value):
            start, end = sorted((chart.zero_x, x_of(float(value))))
            bar = Bar(row * i, start, max(end - start, 0.5), name, value, statuses[i], reason)
        else:
            bar = Bar(row * i, chart.zero_x, 0.0, name, None, statuses[i], reason)
        chart.bars.append(bar)
    if finite(target):
        chart.target_x, chart.target = x_of(float(target)), target
    chart.ticks = [(x_of(t), t) for t in (ticks[0], ticks[-1])] + (
        [(chart.zero_x, 0.0)] if low < 0 < high else []
    )
    chart.step = ticks[1] - ticks[0] if len(ticks) > 1 else None
    chart.empty = all(b.value is None for b in chart.bars)
    return chart


@dataclass
class WaterfallStep:
    y: float
    x: float
    width: float
    label: str
    kind: str  # "start" | "step" | "end"
    value: float  # the level (start, end) or the contribution (step)
    tone: str  # "total" | "good" | "bad" | "neutral"
    link_x: float | None = None  # where the dashed connector to the next row is drawn


@dataclass
class Waterfall:
    """Horizontal waterfall: the previous value, each input's contribution, the current value."""

    width: float
    height: float
    left: float
    right: float
    row: float
    steps: list[WaterfallStep] = field(default_factory=list)
    zero_x: float = 0.0
    ticks: list[tuple[float, float]] = field(default_factory=list)  # (x, value)
    step: float | None = None
    empty: bool = True


def _tone(delta: float, direction: str) -> str:
    if direction not in ("higher", "lower") or delta == 0:
        return "neutral"
    return "good" if (delta > 0) == (direction == "higher") else "bad"


def waterfall_chart(
    steps: Sequence[dict], direction: str = "none", width: float = 480, row: float = 26
) -> Waterfall:
    """Geometry of a waterfall from `kpiengine.analysis.waterfall` steps (`label`, `kind`,
    `start`, `end`, `delta`): totals from zero, each contribution floating from the level
    before it to the level after it, coloured by whether it moves the KPI the better way."""
    height = row * len(steps) + 24
    chart = Waterfall(width, height, left=170, right=width - 100, row=row)
    levels = [v for s in steps for v in (s.get("start"), s.get("end"))]
    ticks = _domain(levels, include_zero=True)
    if not ticks or not all(finite(v) for v in levels):
        return chart
    low, high = ticks[0], ticks[-1]

    def x_of(v: float) -> float:
        return chart.left + (v - low) / (high - low) * (chart.right - chart.left)

    chart.zero_x = x_of(0.0)
    for i, s in enumerate(steps):
        a, b = sorted((x_of(float(s["start"])), x_of(float(s["end"]))))
        total = s["kind"] != "step"
        value = float(s["end"] if total else s.get("delta", s["end"] - s["start"]))
        tone = "total" if total else _tone(value, direction)
        step = WaterfallStep(row * i, a, max(b - a, 0.8), str(s["label"]), s["kind"], value, tone)
        if i < len(steps) - 1:
            step.link_x = x_of(float(s["end"]))
        chart.steps.append(step)
    chart.ticks = [(x_of(t), t) for t in (low, high)]
    if low < 0 < high and min(chart.zero_x - chart.left, chart.right - chart.zero_x) > 40:
        chart.ticks.append((chart.zero_x, 0.0))  # unless it would overlap an end's label
    chart.step = ticks[1] - ticks[0] if len(ticks) > 1 else None
    chart.empty = False
    return chart
