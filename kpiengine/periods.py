"""Calendar periods at each grain (day, ISO week, month, quarter, year) as integer ordinals."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np

GRAINS = ("day", "week", "month", "quarter", "year")
_EPOCH_MONDAY_OFFSET = 3  # 1970-01-01 was a Thursday; ISO weeks start on Monday


class PeriodError(ValueError):
    pass


def ordinals(days: np.ndarray, grain: str) -> np.ndarray:
    """Period ordinal for each date (`datetime64[D]` array) at `grain`."""
    d = days.astype("datetime64[D]")
    if grain == "day":
        return d.astype(np.int64)
    if grain == "week":
        return (d.astype(np.int64) + _EPOCH_MONDAY_OFFSET) // 7
    months = d.astype("datetime64[M]").astype(np.int64)
    if grain == "month":
        return months
    if grain == "quarter":
        return months // 3
    if grain == "year":
        return months // 12
    raise PeriodError(f"unknown grain `{grain}`; use one of {', '.join(GRAINS)}")


def start_date(ordinal: int, grain: str) -> dt.date:
    """First day of a period."""
    epoch = dt.date(1970, 1, 1)
    if grain == "day":
        return epoch + dt.timedelta(days=int(ordinal))
    if grain == "week":
        return epoch + dt.timedelta(days=int(ordinal) * 7 - _EPOCH_MONDAY_OFFSET)
    months = {"month": 1, "quarter": 3, "year": 12}[grain] * int(ordinal)
    return dt.date(1970 + months // 12, months % 12 + 1, 1)


def end_date(ordinal: int, grain: str) -> dt.date:
    """Last day of a period."""
    return start_date(ordinal + 1, grain) - dt.timedelta(days=1)


def label(ordinal: int, grain: str) -> str:
    """`2024-06-01`, `2024-W23`, `2024-06`, `2024-Q2`, `2024`."""
    start = start_date(ordinal, grain)
    if grain == "day":
        return start.isoformat()
    if grain == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if grain == "month":
        return f"{start.year}-{start.month:02d}"
    if grain == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


_LABEL = re.compile(
    r"^(?P<y>\d{4})(?:-(?:Q(?P<q>[1-4])|W(?P<w>\d{2})|(?P<m>\d{2})(?:-(?P<d>\d{2}))?))?$"
)


def parse_label(text: str) -> tuple[str, dt.date]:
    """The grain and first day of a period label (`2024`, `2024-Q2`, `2024-06`, ...)."""
    match = _LABEL.match(str(text).strip())
    if not match:
        raise PeriodError(
            f"`{text}` is not a period: use 2024, 2024-Q2, 2024-06, 2024-W23 or 2024-06-15"
        )
    year = int(match["y"])
    try:
        if match["q"]:
            return "quarter", dt.date(year, 3 * int(match["q"]) - 2, 1)
        if match["w"]:
            return "week", dt.date.fromisocalendar(year, int(match["w"]), 1)
        if match["d"]:
            return "day", dt.date(year, int(match["m"]), int(match["d"]))
        if match["m"]:
            return "month", dt.date(year, int(match["m"]), 1)
    except ValueError as exc:
        raise PeriodError(f"`{text}` is not a valid period: {exc}") from None
    return "year", dt.date(year, 1, 1)


def label_bounds(text: str) -> tuple[dt.date, dt.date]:
    """First and last day covered by a period label."""
    grain, start = parse_label(text)
    ordinal = int(ordinals(np.array([start], dtype="datetime64[D]"), grain)[0])
    return start, end_date(ordinal, grain)


def ordinal_of(day: dt.date, grain: str) -> int:
    return int(ordinals(np.array([day], dtype="datetime64[D]"), grain)[0])


def year_ago(ordinal: int, grain: str) -> int | None:
    """The same period one year earlier (None for an ISO week 53 with no counterpart)."""
    if grain == "month":
        return ordinal - 12
    if grain == "quarter":
        return ordinal - 4
    if grain == "year":
        return ordinal - 1
    start = start_date(ordinal, grain)
    if grain == "day":
        day = start.day if not (start.month == 2 and start.day == 29) else 28
        return ordinal_of(dt.date(start.year - 1, start.month, day), "day")
    year, week, _ = start.isocalendar()
    try:
        return ordinal_of(dt.date.fromisocalendar(year - 1, week, 1), "week")
    except ValueError:
        return None


def days_in(ordinal: int, grain: str) -> int:
    return (end_date(ordinal, grain) - start_date(ordinal, grain)).days + 1


def contains(outer: str, inner: str) -> bool:
    """True when the period labelled `inner` lies within the period labelled `outer`."""
    o_start, o_end = label_bounds(outer)
    i_start, i_end = label_bounds(inner)
    return o_start <= i_start and i_end <= o_end
