"""The day a run takes as today, and the cut of data dated after it.

A period that has not ended is never complete, whatever the data says: a deal closed "on" 15
March next year (a typo, or Salesforce's close date left as planned) would otherwise make the
months up to it look complete with nothing in them. `KPIENGINE_TODAY=2024-12-31` runs as of
that day (to reproduce a past report; tests use it too).

Rows of days are cut at the day (`--to` or today) exactly. Rows coarser than days (months, an
export's range without a Date column) cannot be: when the row holding the cut day reaches past
it, the period holding that day is unknown for their source (`unknown_past_cut`; distinct
counts too), not the whole month judged pro rata. Rows wholly after the cut day are left out,
as later days are (December's row from a quarter cut on 30 November). Monthly rows without a
stated range reach today at most (the month in progress is the month so far, as in the
README's "Today"), and a stated range ending by the cut day is the period so far.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Iterable

import numpy as np

from .connector import NoDailyValues, Request
from .errors import KpiError
from .periods import RANGE, Calendar
from .plugincall import PluginFailure
from .table import Frame, InputTable

TODAY_VARIABLE = "KPIENGINE_TODAY"


def today() -> dt.date:
    """`KPIENGINE_TODAY` (an ISO date) when set, else the machine's date."""
    given = os.environ.get(TODAY_VARIABLE, "").strip()
    if not given:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(given)
    except ValueError:
        raise KpiError(
            f"the environment variable {TODAY_VARIABLE} is `{given}`, not a date",
            fix=f"set {TODAY_VARIABLE} to a date such as 2024-12-31, or unset it",
        ) from None


def cut_at(table: InputTable, day: dt.date) -> InputTable:
    """The table without the periods that start after `day`, its spans ending by `day`: the
    data of the days to come is not known yet, and the period holding `day` is partial."""
    keep = sum(1 for i in range(table.n_periods) if table.period_start(i) <= day)
    spans = {n: (a, min(b, day)) for n, (a, b) in table.spans.items() if a <= day}
    if keep == table.n_periods and spans == table.spans:
        return table
    coverage = table.coverage
    if coverage is not None:
        coverage = (coverage[0], min(coverage[1], day))
    return dataclasses.replace(
        table,
        values={n: np.asarray(v)[:keep] for n, v in table.values.items()},
        spans=spans,
        coverage=coverage,
    )


def rows_reach(
    frame: Frame, calendar: Calendar, now: dt.date, cut: dt.date
) -> tuple[str, dt.date] | None:
    """What the frame's rows are, should they have no days ("monthly rows", "1-31 Jan 2024
    without days"), and the last day the row holding the `cut` day counts: the end of its
    period or today, whichever is first (the month in progress is the month so far), or the
    end of the range the export states when it ends in that period (1-10 February downloaded
    on the 10th is February so far). None for rows of days, and when no row holds the cut
    day: rows wholly before it are whole, rows after it are left out as later days are."""
    if frame.grain == RANGE:
        if frame.span is None or frame.span[0] > cut:
            return None
        return f"{_days(*frame.span)} without days", frame.span[1]
    grain = frame.date_grain
    if grain == "day":
        grain = "month" if frame.month_dated() else frame.grain or "day"
    days = frame.dates[~np.isnat(frame.dates)]
    if grain in ("day", RANGE) or not len(days):
        return None
    held = [d for d in days.astype(dt.date) if d <= cut]
    if not held:
        return None
    coarse = frame.grain if frame.grain not in (None, "day") else grain
    last = calendar.ordinal_of(max(held), coarse)
    if calendar.end_date(last, coarse) < cut:  # the rows end before the cut's period
        return None
    ordinal = calendar.ordinal_of(cut, grain)
    first, end = calendar.start_date(ordinal, grain), calendar.end_date(ordinal, grain)
    rows = f"{ROWS.get(grain, grain)} rows"
    if frame.span is not None and frame.grain is not None and frame.span[1] >= first:
        return rows, min(frame.span[1], end)  # an export's stated range says how far it goes
    return rows, min(end, now)


def files_reach(frame: Frame, cut: dt.date) -> tuple[str, dt.date] | None:
    """The range of the export without days holding the `cut` day, of a frame of files each
    dated at its start (a `range` answer by day), and its last day: the day before the next
    file's or the frame's last. None when every file starts after the cut day."""
    if frame.span is None:
        return None
    starts = sorted({d for d in frame.dates[~np.isnat(frame.dates)].astype(dt.date)})
    held = [d for d in starts if d <= cut]
    if not held:
        return None
    later = [d for d in starts if d > held[-1]]
    last = later[0] - dt.timedelta(days=1) if later else frame.span[1]
    return f"{_days(held[-1], last)} without days", last


def unknown_rows(
    frame: Frame,
    calendar: Calendar,
    now: dt.date,
    cut: dt.date,
    ask: Callable[[Request], Frame],
    request: Request,
) -> str | None:
    """What the frame's rows are (`today.rows_reach`) when the one holding the `cut` day counts
    days after it. Rows the connector made of a period's (an export's range) may be of days, of
    months or of files without days: the source asked again by day from that period's start,
    only then (`ask` calls it with a `request`), says which."""
    rows = rows_reach(frame, calendar, now, cut)
    if rows is None or rows[1] <= cut:
        return None
    if frame.date_grain != "day" or frame.span is None or frame.grain in (None, "day", RANGE):
        return rows[0]
    first = calendar.start_date(calendar.ordinal_of(cut, frame.grain), frame.grain)
    try:
        days = ask(dataclasses.replace(request, grain="day", dimensions=[], start=first, end=cut))
    except (NoDailyValues, KpiError, PluginFailure):  # months without their days, or unknown
        return rows[0]
    if days.grain == RANGE:  # files without days, dated at their start
        rows = files_reach(days, cut)
        return None if rows is None or rows[1] <= cut else rows[0]
    return rows[0] if days.missing or days.date_grain != "day" else None


ROWS = {
    "day": "daily",
    "week": "weekly",
    "month": "monthly",
    "quarter": "quarterly",
    "year": "yearly",
}


def past_cut(name: str, rows: str, cut: dt.date) -> str:
    """Why a source's value to the cut day is unknown (`InputTable.past_cut`)."""
    return (
        f"source `{name}` has {rows}, which count days after {cut}: its value to {cut} is unknown"
    )


def unknown_past_cut(table: InputTable, undated: Iterable[str]) -> None:
    """Make the last period (the one holding the cut day) unknown for the variables of
    `undated` (without daily values) whose rows count days after the cut (`InputTable.past_cut`):
    their value to that day is not known, and the whole month's would be judged as if it were.
    A source of days was asked up to the cut day and is left as it is."""
    last = table.n_periods - 1
    cut = [v for v in set(undated) & set(table.past_cut) if v in table.values and last >= 0]
    table.past_cut = {v: table.past_cut[v] for v in sorted(cut)}  # a source of days: cut exactly
    for variable in table.past_cut:
        table.values[variable][..., last, :] = np.nan
        day = table.period_start(last)  # windows over the period are unknown too
        table.gaps[variable] = sorted({*table.gaps.get(variable, []), day})


def _days(first: dt.date, last: dt.date) -> str:
    """A range of days as people write it: 1-31 Jan 2024, 1 Jan-29 Feb 2024."""
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}-{last.day} {last:%b %Y}"
    start = f"{first.day} {first:%b}" + ("" if first.year == last.year else f" {first.year}")
    return f"{start}-{last.day} {last:%b %Y}"


def cut_reasons(
    table: InputTable, inputs: Iterable[str], values: np.ndarray, reasons: np.ndarray
) -> np.ndarray:
    """The reasons, with why the last period is unknown where an input's rows reach past the
    day the run is cut at (`today.unknown_past_cut`)."""
    why = sorted({table.past_cut[v] for v in inputs if v in table.past_cut})
    last = np.isnan(values[-1:]) if why else None
    if last is None or not last.any():
        return reasons
    reasons = np.array(reasons, dtype=object, copy=True)
    reasons[-1][last[0]] = "; ".join(why)
    return reasons
