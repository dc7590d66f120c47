"""Bullet graphs (Stephen Few): a KPI's value as a bar over qualitative bands (off track, at
risk, on track) with its target as a marker, in SVG user units for `_charts.html.j2`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .charts import finite


@dataclass
class Band:
    kind: str  # "off_track" | "at_risk" | "on_track"
    x: float
    width: float


@dataclass
class Bullet:
    """Geometry of one bullet graph; `target_x` is where the target marker is drawn."""

    width: float
    height: float
    low: float  # the value at the left edge
    high: float  # the value at the right edge
    bands: list[Band] = field(default_factory=list)
    bar_x: float = 0.0
    bar_width: float = 0.0
    target_x: float = 0.0
    clipped: bool = False  # the value lies beyond the scale: its bar ends in an arrow


def bullet(
    value: float | None,
    target: float | None,
    direction: str,
    band: float,
    width: float = 120,
    height: float = 22,
) -> Bullet | None:
    """The bullet graph of `value` against `target` (None without both or without a direction).

    The scale starts at zero (a bar's length must mean its value) unless a value is negative,
    and ends a little past the larger of the value and the at-risk edge, at most at 3 x target
    so that one extreme value does not squash the bands: beyond it the bar is clipped.
    """
    if not (finite(value) and finite(target)) or direction not in ("higher", "lower"):
        return None
    edge = target * (1 - band) if direction == "higher" else target * (1 + band)
    low = min(0.0, value, edge, target)
    top = max(value, target, edge)
    cap = max(target, edge) * 3 if max(target, edge) > 0 else top
    high = min(top, cap) * 1.1 if min(top, cap) > 0 else 1.0
    if high <= low:
        high = low + 1.0

    def x_of(v: float) -> float:
        return (min(max(v, low), high) - low) / (high - low) * width

    chart = Bullet(width, height, low, high)
    if direction == "higher":
        cuts = [(low, edge, "off_track"), (edge, target, "at_risk"), (target, high, "on_track")]
    else:
        cuts = [(low, target, "on_track"), (target, edge, "at_risk"), (edge, high, "off_track")]
    for a, b, kind in cuts:
        if b > a:
            chart.bands.append(Band(kind, x_of(a), x_of(b) - x_of(a)))
    start, end = sorted((x_of(0.0 if low <= 0 else low), x_of(value)))
    chart.bar_x, chart.bar_width = start, max(end - start, 0.8)
    chart.target_x = x_of(target)
    chart.clipped = value > high or value < low or math.isclose(end, width)
    return chart
