"""How a source's several exports without dates are dated at a grain (`ga_export`, `ads`).

An export without dates over a range holds rows of those days only. Alone, it is the period of
the grain asked for when its range is one, whole or so far (`rowdates.period_so_far`), else one
period of its own range (8 to 31 July is not July). Beside other files of its source (monthly
downloads), the files roll up into any grain whose periods each hold whole files: January's,
February's and March's reports make the first quarter; January's and February's make it so
far (60 of its 91 days, a partial period judged as others are); files leaving days between
them uncovered leave their periods unknown (`Frame.holes`, KPI017). A file over days of two
periods (15 February to 15 March by month) cannot be split between them: `across` names it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from .errors import KpiError
from .periods import RANGE, Calendar
from .rowdates import periods_so_far

__all__ = ["across", "at_grain", "shared_note", "undatable", "within_one"]

Span = tuple[dt.date, dt.date]


def within_one(span: Span, grain: str, calendar: Calendar) -> bool:
    """Whether one period of `grain` holds every day of `span`."""
    if grain == RANGE:
        return False
    return calendar.ordinal_of(span[0], grain) == calendar.ordinal_of(span[1], grain)


def at_grain(spans: Sequence[Span], grain: str, calendar: Calendar, others: bool = False) -> bool:
    """Whether exports without dates over `spans` (a source's files; `others`: the source has
    dated files too) are each dated by the period of `grain` that holds it: each is one period,
    whole or so far (`periods_so_far`), or, being one of several files, each lies within one
    period and files over days in common cover the same days (a file per account, not 1 to 15
    and 1 to 31 July)."""
    if grain == RANGE or not spans:
        return False
    if periods_so_far(list(spans), grain, calendar):
        return True
    if len(spans) + bool(others) < 2 or across(spans, grain, calendar) is not None:
        return False
    known = sorted(set(spans))
    return all(a[1] < b[0] for a, b in zip(known, known[1:], strict=False))


def across(spans: Sequence[Span], grain: str, calendar: Calendar) -> int | None:
    """The index of the first span over days of two periods of `grain`, None when none is."""
    return next((i for i, s in enumerate(spans) if not within_one(s, grain, calendar)), None)


def shared_note(spans: Sequence[Span], grain: str, calendar: Calendar) -> str | None:
    """Why a distinct count (users) is undefined in the first period of `grain` holding several
    files' date ranges (January's and February's by quarter; any two at the `range` grain): each
    file's total counts its own days, and those do not add up. None when no period does."""
    periods: dict[int, set[Span]] = {}
    for span in spans:
        ordinal = 0 if grain == RANGE else calendar.ordinal_of(span[0], grain)
        periods.setdefault(ordinal, set()).add(span)
    shared = next((o for o, held in periods.items() if len(held) > 1), None)
    if shared is None:
        return None
    label = "the date range" if grain == RANGE else calendar.label(shared, grain)
    return f"{label} holds the date ranges of several files, and distinct counts do not add up"


def undatable(
    ranged: str,
    span: Span | tuple[None, None],
    dated: str,
    grain: str,
    hole: tuple[dt.date, dt.date] | None = None,
    dates: str = "the Date dimension",
) -> KpiError:
    """The error of a file without dates over `span` that no period of `grain` holds (it lies
    across two: `across`), beside `dated`, a file dated by `grain` (the same file: another of
    its tables); `hole`: days no file covers; `dates`: how the platform exports dates."""
    first, last = span
    if ranged == dated:
        message = (
            f"`{ranged}` has a table without dates over {first} to {last}, not within one "
            f"{grain}, beside one dated by {grain}"
        )
    else:
        message = (
            f"`{ranged}` covers {first} to {last} without dates, not within one {grain}, "
            f"beside `{dated}`, dated by {grain}"
        )
    if hole is not None:
        message += f", and no file covers {hole[0]} to {hole[1]}"
    return KpiError(
        f"{message}: no {grain} can count its rows",
        None,
        f"export every file over days of one {grain} each, or with {dates}, give that file a "
        "source of its own, or ask for a grain one of whose periods holds its date range",
    )
