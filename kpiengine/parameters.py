"""Parameters and `periods_per_year` as arrays over a table's periods x segments."""

from __future__ import annotations

import numpy as np

from .model import PERIODS_PER_YEAR, Workspace
from .table import InputTable

#: periods in a year at each grain (a range period: 365 over its days)
PER_YEAR = {"day": 365.0, "week": 52.0, "month": 12.0, "quarter": 4.0, "year": 1.0}


def periods_per_year(table: InputTable) -> np.ndarray:
    """The number of periods of the table's grain in a year, for every period."""
    if table.grain in PER_YEAR:
        per_period = np.full(table.n_periods, PER_YEAR[table.grain])
    else:
        days = [
            (table.period_end(i) - table.period_start(i)).days + 1 for i in range(table.n_periods)
        ]
        per_period = 365.0 / np.asarray(days, dtype=float)
    return np.repeat(per_period[:, None], len(table.segments), axis=1)


def constant_array(workspace: Workspace, name: str, table: InputTable) -> np.ndarray | None:
    """A parameter's (or `periods_per_year`'s) value in every cell (NaN before its first
    period start); None for any other name."""
    if name == PERIODS_PER_YEAR:
        return periods_per_year(table)
    parameter = workspace.parameters.get(name)
    if parameter is None:
        return None
    values = [parameter.value_at(table.period_start(i)) for i in range(table.n_periods)]
    column = np.array([np.nan if v is None else v for v in values], dtype=float)
    return np.repeat(column[:, None], len(table.segments), axis=1)
