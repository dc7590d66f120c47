"""The findings a fetch makes about what one source answered: its connector's failure
(KPI012), variables it left out (KPI015), rows that look wrong (KPI016: a connector's, or a few
dates years away from the rest), data without dates (KPI013), data dated after today (KPI015),
months missing from monthly rows and days no file of the source covers (KPI017)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .checks.runtime import MissingMonths, RowsLeftOut, SourceFailed, SuspectRows, Undatable
from .connector import NoDailyValues
from .errors import Finding, KpiError, Location
from .redaction import redact
from .sourceconfig import SourceConfig
from .table import Frame, SourceStatus


@dataclass
class Failure:
    """A source whose connector failed (its bug): its status and the KPI012 finding."""

    status: SourceStatus
    finding: Finding


def failure(config: SourceConfig, origin: str, text: str, secrets: tuple[str, ...] = ()) -> Failure:
    """The status and KPI012 finding of a source whose connector failed with `text`."""
    status = SourceStatus(config.name, config.connector, origin, error=redact(text, secrets))
    message = (
        f"source `{status.name}` (connector `{status.connector}`, {status.origin}) "
        f"failed: {status.error}"
    )
    return Failure(status, SourceFailed.finding(message, location=config.location))


def _names(variables: list[str]) -> str:
    return ", ".join(f"`{v}`" for v in variables)


def no_daily_values(
    name: str, where: Location, exc: NoDailyValues, variables: list[str], grain: str
) -> Finding:
    """KPI015: the source's rows are not days (or not in one period of the grain)."""
    return RowsLeftOut.finding(
        f"source `{name}` left {_names(variables)} out: it has rows no {grain} holds: "
        f"{exc.message}",
        location=exc.location or where,
        fix=exc.fix,
    )


def left_out(name: str, where: Location, missing: dict[str, str]) -> list[Finding]:
    """KPI015 for each reason a connector gave to leave variables out (`Frame.missing`)."""
    reasons: dict[str, list[str]] = {}
    for variable, why in sorted(missing.items()):
        reasons.setdefault(why, []).append(variable)
    return [
        RowsLeftOut.finding(
            f"source `{name}` left {_names(variables)} out: {why}; the KPIs that need them are "
            "undefined",
            location=where,
        )
        for why, variables in reasons.items()
    ]


def suspect(name: str, where: Location, warnings: list[KpiError]) -> list[Finding]:
    """KPI016 for each of the rows a connector counted but says look wrong (`Frame.warnings`)."""
    return [
        SuspectRows.finding(
            f"source `{name}`: {w.message}", location=w.location or where, fix=w.fix
        )
        for w in warnings
    ]


#: At most this many dates, years away from the others, look like typos ...
STRAY_DATES = 3
#: ... when the gap is over three years and twice what the other dates span.
STRAY_GAP_DAYS = 3 * 365


def stray_dates(name: str, where: Location, frame: Frame) -> Finding | None:
    """KPI016: the first or last few dates of a source lie years from the others, further than
    twice the rest of the data spans (`1900-01-06` typed for `2024-01-06`): the periods
    between get zeros or gaps, so the run says where they come from."""
    days = np.unique(frame.dates[~np.isnat(frame.dates)])
    n = min(STRAY_DATES, (len(days) - 1) // 2)  # fewer strays than other dates
    if n < 1:
        return None
    gaps = np.diff(days).astype(int)
    head = int(np.argmax(gaps[:n]))  # the widest gap after one of the first dates
    tail = len(gaps) - n + int(np.argmax(gaps[-n:]))  # ... before one of the last
    grain = frame.grain if frame.grain in ("week", "month", "quarter", "year") else "day"
    for gap, stray, rest in (
        (head, days[: head + 1], days[head + 1 :]),
        (tail, days[tail + 1 :], days[: tail + 1]),
    ):
        span = int((rest[-1] - rest[0]).astype(int))
        if gaps[gap] > max(STRAY_GAP_DAYS, 2 * span):
            side, near = ("before", rest[:1]) if stray[0] < rest[0] else ("after", rest[-1:])
            years = int(gaps[gap]) // 365
            return SuspectRows.finding(
                f"source `{name}` has rows {_when(stray, grain)}, {years} years {side} the "
                f"rest of its data ({_when(near, grain)}): a typo in the date? The periods "
                "between hold no rows",
                location=where,
                fix="correct the date in the source, or leave those rows out with `--from` "
                "and `--to`",
            )
    return None


def _when(days: np.ndarray, grain: str) -> str:
    """`dated 1900-01-06`, or for rows a connector summed by period `in the month of 1900-01`."""
    if grain == "day":
        return "dated " + ", ".join(str(d) for d in days)
    shown = [f"{d.item():%Y-%m}" if grain == "month" else str(d) for d in days]
    return f"in the {grain} of " + ", ".join(shown)


def after_today(
    name: str, where: Location, last: dt.date, now: dt.date, variables: list[str]
) -> Finding:
    """KPI015: the source's data goes on after today, which the run leaves out."""
    return RowsLeftOut.finding(
        f"source `{name}` has data dated after today ({now}), up to {last}: it is left out of "
        f"{_names(variables)}, and the current period is partial",
        location=where,
        fix="correct the dates in the source (a close date left as planned, a typo) or the "
        "export's date range; set KPIENGINE_TODAY to run as of another day",
    )


def undatable(
    name: str, where: Location, span: tuple[dt.date, dt.date], grain: str, variables: list[str]
) -> Finding:
    """KPI013: a source without dates over a range that no period of the grain holds."""
    return Undatable.finding(
        f"source `{name}` covers {span[0]} to {span[1]} without dates, which no {grain} holds: "
        f"{_names(variables)} cannot be dated by {grain}, and the KPIs that need them are left "
        "undefined",
        location=where,
    )


def missing_months(
    name: str, where: Location, months: list[dt.date], variables: list[str]
) -> Finding:
    """KPI017: a source of monthly rows lacks months between its first and its last."""
    listed = ", ".join(f"{m:%Y-%m}" for m in months)
    return MissingMonths.finding(
        f"source `{name}` has monthly rows but none for {listed}, between its first and last "
        f"month: {_names(variables)} are unknown there, and so are the quarters, years and "
        "windows that hold those months",
        location=where,
    )


def uncovered_days(
    name: str,
    where: Location,
    hole: tuple[dt.date, dt.date, str, str],
    variables: list[str],
) -> Finding:
    """KPI017: days between a source's files that none of them covers."""
    first, last, before, after = hole
    days = str(first) if first == last else f"{first} to {last}"
    return MissingMonths.finding(
        f"source `{name}` has no file for {days}, between `{before}` and `{after}`: "
        f"{_names(variables)} are unknown there (not 0), and so are the periods and windows "
        "that hold those days",
        location=where,
        fix="export those days too (a download with the missing date range), or evaluate "
        "only periods outside them",
    )
