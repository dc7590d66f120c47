"""Plain-text formatting of KPI values for terminals, by the KPI's `format`."""

from __future__ import annotations

import math

STATUS_MARKS = {
    "on_track": "✓ on track",
    "at_risk": "! at risk",
    "off_track": "✗ off track",
    "no_target": "",
    "undefined": "? undefined",
}
UNDEFINED = "—"


def format_value(value: float | None, fmt: str = "number", decimals: int | None = None) -> str:
    """`42.9%`, `12,345.68`, `3.2x`, `1,234`; an undefined value is `—`."""
    if value is None or not math.isfinite(value):
        return UNDEFINED
    if fmt == "percent":
        return f"{value * 100:,.{1 if decimals is None else decimals}f}%"
    if fmt == "integer":
        return f"{value:,.0f}"
    if fmt == "multiple":
        return f"{value:,.{1 if decimals is None else decimals}f}x"
    if fmt == "currency":
        return f"{value:,.{2 if decimals is None else decimals}f}"
    if decimals is not None:
        return f"{value:,.{decimals}f}"
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"


def format_change(change: float | None) -> str:
    """A relative change as `+12.5%`; `—` when undefined."""
    if change is None or not math.isfinite(change):
        return UNDEFINED
    return f"{change * 100:+.1f}%"


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A left-aligned text table with a rule under the header."""
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)
