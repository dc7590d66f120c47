"""The report's sources line: the days each source covers, as the run counts them.

A source of monthly rows covers its months whole, but the month in progress only to today
(its row is the month so far, see `kpiengine.today`): a range shown to a reader never goes
past today, nor past the day the evaluation was cut at.
"""

from __future__ import annotations

import dataclasses

from ..evaluation import Results
from ..table import SourceStatus
from ..today import today


def shown_sources(results: Results) -> list[SourceStatus]:
    """Each source with its dates ending by today and by the last day its variables count in
    the evaluation (`InputTable.spans`, cut at today or `--to`); no dates when none is left."""
    last_day = today()
    spans = results.table.spans
    out = []
    for source in results.sources:
        coverage = source.coverage
        if coverage is not None:
            ends = [spans[v][1] for v in source.variables if v in spans]
            end = min(coverage[1], last_day, max(ends, default=coverage[1]))
            coverage = (coverage[0], end) if coverage[0] <= end else None
        out.append(dataclasses.replace(source, coverage=coverage))
    return out
