"""The days a `crm` export covers (not a plugin module): the same for every variable it gives,
whatever is asked, read by the connector's one scan.

A deals export covers its deals' create dates and its closed deals' close dates (an open deal's
close date is a forecast); a contacts export its date columns' first to last date (create and
lifecycle dates, churn dates). Counts are 0 in those months (and segments) where nothing
happened, so that a month's MQLs do not become "no data", nor a month complete or partial,
because of the other KPIs asked for.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kpiengine.filescan import Scan


def span_checks(
    scan: Scan, object_: str, columns: dict[str, str], klass: str, day: dict[str, str]
) -> None:
    """The first and last day of each date the export covers (see the module), as checks
    `span_lo<i>` and `span_hi<i>` of the scan; `day`: each date column's day on a row."""
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
