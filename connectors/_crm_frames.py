"""Frames the `crm` connector builds from its scan (not a plugin module): months without an event
as zeros, and the customer stock at the start and end of every period.

Both work on the scan's small answer (periods and segments, or the days customers were won and
lost), never on the file's rows.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from kpiengine.periods import Calendar
from kpiengine.table import Frame


def empty(variables: list[str], dims: list[str]) -> Frame:
    return Frame(
        np.array([], dtype="datetime64[D]"),
        {d: np.array([], dtype=object) for d in dims},
        {v: np.array([], dtype=float) for v in variables},
    )


def concat(frames: list[Frame], variables: list[str], dims: list[str]) -> Frame:
    """One frame from several (absent variables NaN), keeping the first's grain and span."""
    if not frames:
        return empty(variables, dims)
    first = frames[0]
    return Frame(
        np.concatenate([f.dates for f in frames]),
        {d: np.concatenate([f.dims[d] for f in frames]) for d in dims},
        {
            v: np.concatenate([f.values.get(v, np.full(len(f), np.nan)) for f in frames])
            for v in variables
        },
        source=first.source,
        span=first.span,
        grain=first.grain,
        totals=np.concatenate(
            [f.totals if f.totals is not None else np.zeros(len(f), bool) for f in frames]
        ),
    )


def _periods(
    lo: dt.date, hi: dt.date, grain: str, calendar: Calendar
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ordinals, first days, last days) of the periods from the one holding `lo` to `hi`."""
    first, last = calendar.ordinals(np.array([lo, hi], dtype="datetime64[D]"), grain)
    ordinals = np.arange(int(first), int(last) + 1)
    starts = np.array([calendar.start_date(int(o), grain) for o in ordinals], "datetime64[D]")
    ends = np.array([calendar.end_date(int(o), grain) for o in ordinals], "datetime64[D]")
    return ordinals, starts, ends


def zeros(
    variables: list[str],
    span: tuple[dt.date, dt.date] | None,
    segments: list[tuple[str, ...]],
    dims: list[str],
    grain: str,
    calendar: Calendar,
) -> Frame:
    """Zeros for every period from the first to the last date of the columns used and every
    segment the scan found: a month without a deal won has 0 deals won, not a missing value."""
    if span is None or (dims and not segments):
        return empty(variables, dims)
    _, starts, _ = _periods(span[0], span[1], grain, calendar)
    keys = segments or [()]
    n = len(starts) * len(keys)
    return Frame(
        np.repeat(starts, len(keys)),
        {
            d: np.tile(np.array([key[i] for key in keys], dtype=object), len(starts))
            for i, d in enumerate(dims)
        },
        {v: np.zeros(n) for v in variables},
    )


def stock(
    days: np.ndarray,
    segments: dict[str, np.ndarray],
    won: np.ndarray,
    lost: np.ndarray,
    wanted: list[str],
    grain: str,
    calendar: Calendar,
    span: tuple[dt.date, dt.date] | None = None,
    names: tuple[str, str] = ("customers_at_start", "customers_at_end"),
) -> Frame:
    """Customers at the start and the end of each period, per segment: the customers won
    (`won` per day and segment, the scan's daily cells) less those lost, added up in day order
    from the first day with an event; every period from that day's to the last one's, and
    every period of `span` (the days the export covers; 0 before the first event). `names`:
    the variables of the stock at the start and at the end (the open deals: `_crm_pipeline`)."""
    dims = list(segments)
    ok = ~np.isnat(days)
    days = days[ok]
    delta = np.nan_to_num(won[ok]) - np.nan_to_num(lost[ok])
    keys = list(zip(*(segments[d][ok] for d in dims), strict=True)) if dims else [()] * len(days)
    if not len(days):
        return empty(wanted, dims)
    lo, hi = days.min().item(), days.max().item()
    if span is not None:
        lo, hi = min(lo, span[0]), max(hi, span[1])
    ordinals, starts, ends = _periods(lo, hi, grain, calendar)
    out_dates, out_keys, at_start, at_end = [], [], [], []
    for key in sorted(set(keys)):
        mine = np.array([k == key for k in keys])
        order = np.argsort(days[mine], kind="stable")
        when, change = days[mine][order], np.cumsum(delta[mine][order])
        # customers through a day: the running total at the last event on or before it
        before = np.searchsorted(when, starts, side="left") - 1
        through = np.searchsorted(when, ends, side="right") - 1
        at_start += [change[i] if i >= 0 else 0.0 for i in before]
        at_end += [change[i] if i >= 0 else 0.0 for i in through]
        out_dates.append(starts)
        out_keys += [key] * len(starts)
    values = {names[0]: np.array(at_start), names[1]: np.array(at_end)}
    frame = Frame(
        np.concatenate(out_dates),
        {d: np.array([k[i] for k in out_keys], dtype=object) for i, d in enumerate(dims)},
        {v: values[v] for v in wanted},
        grain=grain,
    )
    assert len(ordinals) * len(set(keys)) == len(frame)
    return frame
