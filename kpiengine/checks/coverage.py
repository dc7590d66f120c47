"""Data checks on dates: a partial period compared with full ones, inputs over different ranges."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import numpy as np

from ..errors import Finding
from ..hookspecs import hookimpl
from ..periods import first_event_slack
from ..table import InputTable
from ..todatevalues import same_days
from ..transforms import year_ago_index
from .base import DATA, Check
from .common import shown
from .context import CheckContext

MAX_LISTED = 3
SLACK_DAYS = 7
SLACK = dt.timedelta(days=SLACK_DAYS)  # ranges a week apart or less count as the same


class PartialPeriod(Check):
    code = "KPI307"
    stage = DATA
    title = "a partial period (one the data starts or stops inside) compared with others"
    fix = "leave the partial period out (`--to` the last full period), or compare it pro rata"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        results = context.primary
        assert results is not None  # data checks run only when there are results
        table = results.table
        if table.grain == "day" or table.n_periods < 2 or not context.coverage:
            return
        ago = year_ago_index(table)
        for index, neighbour in ((table.n_periods - 1, table.n_periods - 2), (0, 1)):
            # the first period is a base too: of the next one's change and of last year's
            # at year grain the next period is also the one a year later: listed once
            later = (
                [] if index else list(dict.fromkeys(i for i in (1, *np.flatnonzero(ago == 0)) if i))
            )
            shown_at = [i for i in (index, *later) if i in results.selected]
            if not shown_at:
                continue
            start = table.period_start(index)
            end = table.period_end(index)
            if index:
                cut = {v: c[1] for v, c in context.coverage.items() if start <= c[1] < end}
            else:  # a late first day is often the first event, not missing data: allow a week
                late = start + first_event_slack(table.grain)
                cut = {v: c[0] for v, c in context.coverage.items() if late < c[0] <= end}
            if cut:
                yield self._finding(context, index, neighbour, cut, shown_at)

    def _finding(
        self, context: CheckContext, index: int, neighbour: int, cut: dict, shown_at: list[int]
    ) -> Finding:
        ws, results = context.workspace, context.primary
        assert results is not None  # data checks run only when there are results
        table = results.table
        start = table.period_start(index)
        end = table.period_end(index)
        day = min(cut.values()) if index else max(cut.values())
        held = (day - start).days + 1 if index else (end - day).days + 1
        length = (end - start).days + 1
        label, other = results.labels[index], results.labels[neighbour]
        names = ", ".join(f"`{v}`" for v in sorted(cut)[:MAX_LISTED])
        if len(cut) > MAX_LISTED:
            names += f" and {len(cut) - MAX_LISTED} more"
        span = f"to {day}" if index else f"from {day}"
        scope = {k.id for k in context.kpis}
        covered = table.coverage_of(set(cut))
        days_of = {i: round(covered[i] * _length(table, i)) for i in (neighbour, *shown_at)}
        whole = {i: days_of[i] == _length(table, i) for i in days_of}
        over = "" if whole[neighbour] else f" over its {days_of[neighbour]} days"
        affected = [
            f"`{k}` {shown(r.values[index, 0], r.kpi)} ({other}: "
            f"{shown(r.values[neighbour, 0], r.kpi)}{over})"
            for k, r in results.kpis.items()
            if k in scope and ws.inputs_of(k) & set(cut) and ws.is_additive(k)
        ]
        message = f"{label} holds {held} of {length} days of data ({span}) for {names}"
        if index:  # the evaluation compares it to date, or not at all
            message += (
                ": its totals are to date, compared with the same days of earlier periods (not "
                "at all without daily values)"
            )
        elif whole[neighbour]:  # a whole period beside it: its totals look low
            message += " and is compared with full periods"
            if affected:
                message += ": totals look low, e.g. " + ", ".join(affected[:MAX_LISTED])
        else:  # the next period is partial too (the data stops inside it): no "low" to say
            message += " and is compared with periods of other lengths"
            if affected:
                message += ", e.g. " + ", ".join(affected[:MAX_LISTED])
        full = [results.labels[i] for i in shown_at if i != index and whole[i]]
        if full:
            what = "a full period" if len(full) == 1 else "full periods"
            message += f"; the changes of {' and '.join(full)} against it compare {what} with "
            message += f"{held} days"
        for i in (i for i in shown_at if i != index and not whole[i]):  # the last, to date
            same = max(0, same_days(table, index, days_of[i]) - (length - held))
            message += (
                f"; the changes of {results.labels[i]} against it compare {days_of[i]} days to "
                f"date with its {same} to the same date (none without daily values)"
            )
        periods = [results.labels[i] for i in shown_at]
        return self.finding(message, period=label, periods=periods, days=held, period_days=length)


def _length(table: InputTable, index: int) -> int:
    """The days of the table's period `index`."""
    return (table.period_end(index) - table.period_start(index)).days + 1


class DifferentRanges(Check):
    code = "KPI308"
    stage = DATA
    title = "numerator and denominator from data covering date ranges over a week apart"
    fix = "restrict the evaluation to the dates every input covers (`--from`, `--to`)"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        results = context.primary
        assert results is not None  # data checks run only when there are results
        for kpi in context.kpis:
            if kpi.id not in results.kpis:
                continue
            spans: dict[str, tuple[dt.date, dt.date]] = {
                name: context.coverage[name]
                for name in sorted(ws.inputs_of(kpi.id))
                if name in context.coverage
            }
            if len(spans) < 2:  # one input (or none with known dates): nothing to compare
                continue
            starts = [a for a, _ in spans.values()]
            ends = [b for _, b in spans.values()]
            if max(starts) - min(starts) <= SLACK and max(ends) - min(ends) <= SLACK:
                continue
            ranges = ", ".join(f"`{n}` {a} to {b}" for n, (a, b) in spans.items())
            edges = [(min(starts), max(starts)), (min(ends), max(ends))]
            yield self.finding(
                f"`{kpi.id}` combines inputs covering different dates: {ranges}; periods at the "
                "edges compare amounts over different spans",
                kpi,
                ranges={n: [str(a), str(b)] for n, (a, b) in spans.items()},
                periods=_periods_over(results, [(a, b) for a, b in edges if b - a > SLACK]),
            )


def _periods_over(results, spans: list[tuple[dt.date, dt.date]]) -> list[str]:
    """The labels of the periods that overlap any of `spans` (where some input has no data)."""
    table = results.table
    return [
        results.labels[i]
        for i in range(table.n_periods)
        if any(table.period_start(i) <= b and a <= table.period_end(i) for a, b in spans)
    ]


@hookimpl(trylast=True)
def register_checks(register: Callable[[type[Check]], None]) -> None:
    for check in (PartialPeriod, DifferentRanges):
        register(check)
