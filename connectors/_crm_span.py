"""The days a `crm` export covers (not a plugin module): the same for every variable it gives,
whatever is asked, read by the connector's one scan.

A deals export covers its deals' create dates and its closed deals' close dates (an open deal's
close date is a forecast); a contacts export its date columns' first to last date (create and
lifecycle dates, churn dates). Counts are 0 in those months (and segments) where nothing
happened, so that a month's MQLs do not become "no data", nor a month complete or partial,
because of the other KPIs asked for.

Either export was taken on or after the latest day its records were changed (`modified_date`,
the system's `Last Modified Date`): the days it covers run to that day too, so a month that
ended before it is complete however early its last deal closed, and the month it was taken in
is partial to it. That stamp only ever ends the span later (a record changed in June says
nothing of the deals before it). A stamp after today, or a cell that reads as no date, proves
nothing and is passed over, as is the whole column when its date format cannot be told: it
dates no variable, and without it the span is what the other dates say.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from kpiengine.errors import KpiError
from kpiengine.fileformats import DateFormat
from kpiengine.filescan import Scan
from kpiengine.today import today


def stamp_format(
    columns: dict[str, str], format_of: Callable[[str], DateFormat]
) -> DateFormat | None:
    """The date format of the `modified_date` column, None without one or when its format
    cannot be told (no evidence: see the module); `format_of`: the connector's, of a column."""
    if "modified_date" not in columns:
        return None
    try:
        return format_of(columns["modified_date"])
    except KpiError:
        return None


def span_checks(
    scan: Scan,
    object_: str,
    columns: dict[str, str],
    klass: str,
    day: dict[str, str],
    stamp: DateFormat | None = None,
) -> None:
    """The first and last day of each date the export covers (see the module), as checks
    `span_lo<i>` and `span_hi<i>` of the scan, and the last day a record was changed by today
    as `span_seen`; `day`: each date column's day on a row; `stamp`: the `modified_date`
    column's format (`stamp_format`)."""
    if stamp is not None:
        column = columns["modified_date"]
        # NULL where a cell is no date: no bad-cell check, it is evidence and no value
        seen = scan.row(lambda t: stamp.sql(column, t.type_of(column)))
        by = f"DATE '{today().isoformat()}'"  # a stamp after today proves nothing
        scan.check("span_seen", "max", f"CASE WHEN {seen} <= {by} THEN {seen} END")
    if object_ == "deals":
        dated = [day[columns["create_date"]]] if "create_date" in columns else []
        if "stage" in columns and "close_date" in columns:
            close = day[columns["close_date"]]
            dated.append(f"CASE WHEN {klass} IN ('won', 'lost') THEN {close} END")
    else:
        dated = [day[c] for c in sorted(day)]
    for i, sql in enumerate(dated):
        scan.check(f"span_lo{i}", "min", sql)
        scan.check(f"span_hi{i}", "max", sql)


def covered(checks: dict[str, Any]) -> list[tuple[dt.date, dt.date]]:
    """The ranges `span_checks` found (none for a date column without a date)."""
    out, i = [], 0
    while f"span_lo{i}" in checks:
        lo, hi = checks[f"span_lo{i}"], checks[f"span_hi{i}"]
        if lo is not None and hi is not None:
            out.append((lo, hi))
        i += 1
    return out


def seen_to(
    span: tuple[dt.date, dt.date] | None, checks: dict[str, Any]
) -> tuple[dt.date, dt.date] | None:
    """`span` ending on the last day a record was changed (`span_seen`) when that is later."""
    seen = checks.get("span_seen")
    if span is None or seen is None or seen <= span[1]:
        return span
    return span[0], seen
