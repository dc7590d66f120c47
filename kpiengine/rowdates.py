"""The dates behind rows a connector aggregated: how precise they are, and their overall span.

A scan that sums rows by period keeps each row's first and last raw date; these say whether the
raw dates were days or months (`Frame.date_grain`) and which days the data covers (`Frame.span`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np


def date_grain_of(first: np.ndarray, last: np.ndarray) -> str:
    """`month` when aggregated rows (of any grain) only ever saw the first day of months
    (monthly data dated on the 1st: it covers its months whole), else `day`."""
    first = np.asarray(first, dtype="datetime64[D]")
    last = np.asarray(last, dtype="datetime64[D]")
    held = ~np.isnat(first) & ~np.isnat(last)
    first, last = first[held], last[held]
    if len(np.unique(np.concatenate([first, last]))) < 2:  # one day: no sign of months
        return "day"
    starts = first.astype("datetime64[M]").astype("datetime64[D]")
    ends = last.astype("datetime64[M]").astype("datetime64[D]")
    return "month" if bool((first == starts).all() and (last == ends).all()) else "day"


def span_of(first: np.ndarray, last: np.ndarray) -> tuple[dt.date, dt.date] | None:
    """The overall date range of aggregated rows from their per-row first and last dates."""
    first = np.asarray(first, dtype="datetime64[D]")
    last = np.asarray(last, dtype="datetime64[D]")
    if not len(first) or np.isnat(first).all():
        return None
    return first[~np.isnat(first)].min().item(), last[~np.isnat(last)].max().item()
