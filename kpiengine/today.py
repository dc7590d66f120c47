"""The day a run takes as today, and the cut of data dated after it.

A period that has not ended is never complete, whatever the data says: a deal closed "on" 15
March next year (a typo, or Salesforce's close date left as planned) would otherwise make the
months up to it look complete with nothing in them. `KPIENGINE_TODAY=2024-12-31` runs as of
that day (to reproduce a past report; tests use it too).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os

import numpy as np

from .errors import KpiError
from .table import InputTable

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
