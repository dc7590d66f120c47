"""What checks look at: the workspace, the KPIs in scope, evaluated results when there are some."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..evaluation import Results
from ..model import KPI, Workspace

Coverage = dict[str, tuple[dt.date, dt.date]]


@dataclass
class CheckContext:
    """Checks read totals (segment 0) from `results[0]` and segments from every results that
    has them (`breakdowns()`). `coverage` maps variables to the first and last date of data;
    `memo` lets the checks of one run share a computation (unit inference, expansions)."""

    workspace: Workspace
    kpis: list[KPI]
    results: list[Results] = field(default_factory=list)
    coverage: Coverage = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)

    @property
    def has_data(self) -> bool:
        return bool(self.results)

    @property
    def primary(self) -> Results | None:
        return self.results[0] if self.results else None

    def breakdowns(self) -> list[Results]:
        """Results with at least two segments besides the total."""
        return [r for r in self.results if len(r.table.segments) > 2]
