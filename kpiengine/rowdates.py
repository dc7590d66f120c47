"""The dates behind rows a connector aggregated: how precise they are, and their overall span.

A scan that sums rows by period keeps each row's first and last raw date; these say whether the
raw dates were days or months (`Frame.date_grain`) and which days the data covers (`Frame.span`).
An export without dates over a range is the period of the grain its range is, whole
(`whole_period`) or from its first day on (`period_so_far`: 1 to 15 January is the month so
far), else one period of that range; `periods_so_far` says it of a source's several exports.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from .periods import RANGE, Calendar


def date_grain_of(first: np.ndarray, last: np.ndarray) -> str:
    """`month` when aggregated rows (of any grain) only ever saw the first day of months, or
    only their last (monthly data dated on the 1st or on the month's end: it covers its months
    whole), else `day`."""
    first = np.asarray(first, dtype="datetime64[D]")
    last = np.asarray(last, dtype="datetime64[D]")
    held = ~np.isnat(first) & ~np.isnat(last)
    first, last = first[held], last[held]
    if len(np.unique(np.concatenate([first, last]))) < 2:  # one day: no sign of months
        return "day"
    days = np.concatenate([first, last])
    months = days.astype("datetime64[M]")
    on_first = bool((days == months.astype("datetime64[D]")).all())
    on_last = bool((days == (months + 1).astype("datetime64[D]") - 1).all())
    return "month" if on_first or on_last else "day"


def span_of(first: np.ndarray, last: np.ndarray) -> tuple[dt.date, dt.date] | None:
    """The overall date range of aggregated rows from their per-row first and last dates."""
    first = np.asarray(first, dtype="datetime64[D]")
    last = np.asarray(last, dtype="datetime64[D]")
    if not len(first) or np.isnat(first).all():
        return None
    return first[~np.isnat(first)].min().item(), last[~np.isnat(last)].max().item()


def whole_period(span: tuple[dt.date, dt.date], grain: str, calendar: Calendar) -> bool:
    """Whether a date range is exactly one period of `grain` (June 1 to 30 by month, a quarter
    by quarter): an export without dates over it is that period's; over any other range it is
    one `range` period, labelled by its dates (8 to 31 July is not July, nor the third quarter)."""
    if grain == RANGE:
        return False
    ordinal = calendar.ordinal_of(span[0], grain)
    return (calendar.start_date(ordinal, grain), calendar.end_date(ordinal, grain)) == tuple(span)


def period_so_far(span: tuple[dt.date, dt.date], grain: str, calendar: Calendar) -> bool:
    """Whether a date range is one period of `grain`, whole or from its first day on (1 to 15
    January by month: the month so far, which the engine judges as a partial period); a range
    starting inside a period (8 to 31 July) is not."""
    if grain == RANGE:
        return False
    ordinal = calendar.ordinal_of(span[0], grain)
    first, last = calendar.start_date(ordinal, grain), calendar.end_date(ordinal, grain)
    return span[0] == first and span[1] <= last


def periods_so_far(spans: list[tuple[dt.date, dt.date]], grain: str, calendar: Calendar) -> bool:
    """Whether exports without dates over `spans` (a source's files) are each one period of
    `grain`, whole or so far (`period_so_far`), as one export is: a period so far ends the
    data (1 to 15 June beside July is June with days missing, not June so far), and the
    exports of one period cover the same days (a file per campaign or account). Else each
    is one period of its own range."""
    if not spans or not all(period_so_far(s, grain, calendar) for s in spans):
        return False
    end = max(s[1] for s in spans)
    seen: dict[int, tuple[dt.date, dt.date]] = {}
    for first, last in spans:
        span = (first, last)
        if seen.setdefault(calendar.ordinal_of(first, grain), span) != span:
            return False
        if last != end and not whole_period(span, grain, calendar):
            return False
    return True


def joined_range(ranges: list[tuple[dt.date, dt.date] | None]) -> tuple[dt.date, dt.date] | None:
    """The dates several exports' preambles say they cover together (`Report Time: 1/1/2024 -
    2/29/2024`): None unless every one states its range and they leave no gap."""
    if not ranges or any(r is None for r in ranges):
        return None
    known = sorted(r for r in ranges if r is not None)
    start, end = known[0]
    for first, last in known[1:]:
        if first > end + dt.timedelta(days=1):
            return None
        end = max(end, last)
    return start, end
