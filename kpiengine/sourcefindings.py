"""The findings a fetch makes about what one source answered: variables it left out (KPI015),
rows that look wrong (KPI016), data without dates (KPI013), data dated after today (KPI015),
months missing from monthly rows (KPI017)."""

from __future__ import annotations

import datetime as dt

from .checks.runtime import MissingMonths, RowsLeftOut, SuspectRows, Undatable
from .connector import NoDailyValues
from .errors import Finding, KpiError, Location


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
