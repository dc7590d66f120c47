"""KPI312, KPI313: values a KPI cannot take, and rates whose two inputs count different cohorts.

A KPI may declare `range: [0, 1]` (a share): a value outside is impossible and usually means
the numerator and the denominator do not count the same things. A rate whose numerator and
denominator are dated by different events (deals won by close date over opportunities by
creation date) compares two cohorts: in a short period it can exceed 100% (or look low), and
only dating both by the same event gives the cohort rate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from ..errors import ERROR, Finding
from ..hookspecs import hookimpl
from .base import DATA, Check
from .common import name_ratio, num, shown
from .context import CheckContext
from .denominators import MAX_CELLS, _cells, _evaluated, _where


class OutsideRange(Check):
    code = "KPI312"
    severity = ERROR
    stage = DATA
    title = "a value outside the range the KPI declares (a share above 100%, a negative rate)"
    fix = "check that the numerator counts a subset of what the denominator counts"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        for results, kpi, columns in _evaluated(context):
            if kpi.range is None:
                continue
            low, high = kpi.range
            values = results.kpis[kpi.id].values
            cells = [
                (i, s)
                for s in columns
                for i in results.selected
                if math.isfinite(values[i, s])
                and (
                    (low is not None and values[i, s] < low - 1e-9)
                    or (high is not None and values[i, s] > high + 1e-9)
                )
            ]
            if not cells:
                continue
            shown_cells = ", ".join(
                f"{_where(results, i, s)}: {shown(values[i, s], kpi)}" for i, s in cells[:MAX_CELLS]
            )
            more = f" and {len(cells) - MAX_CELLS} more" if len(cells) > MAX_CELLS else ""
            bounds = f"[{'' if low is None else num(low)}, {'' if high is None else num(high)}]"
            yield self.finding(
                f"`{kpi.id}` is declared in {bounds} but is {shown_cells}{more}",
                kpi,
                **_cells(results, cells),
            )


class CohortMismatch(Check):
    code = "KPI313"
    stage = DATA
    title = "a rate whose numerator and denominator are dated by different events (cohorts)"
    fix = (
        "date both inputs by the same event for the cohort rate: add `date: <column>` to the "
        "numerator's mapping in kpi.yaml, or read the rate as a flow ratio"
    )

    def run(self, context: CheckContext) -> Iterable[Finding]:
        seen = set()
        for results, kpi, _ in _evaluated(context):
            assert kpi.formula is not None  # _evaluated yields KPIs with a formula
            names = name_ratio(kpi.formula)
            if not names or kpi.id in seen or not (kpi.format == "percent" or kpi.range):
                continue  # a rate: an amount per customer is no cohort comparison
            dated = results.table.dated_by
            part, whole = names
            if part not in dated or whole not in dated or dated[part] == dated[whole]:
                continue
            seen.add(kpi.id)
            values = results.kpis[kpi.id].values[:, 0]
            over = [i for i in results.selected if math.isfinite(values[i]) and values[i] > 1]
            extra = ""
            if over:
                i = over[-1]
                extra = f"; in {results.labels[i]} it is {shown(values[i], kpi)}"
            yield self.finding(
                f"`{kpi.id}` divides `{part}`, dated by {dated[part]}, by `{whole}`, dated by "
                f"{dated[whole]}: each period compares the {part} of one cohort with the {whole} "
                f"of another, so the rate drifts (and can pass 100%) when volumes change{extra}",
                kpi,
                columns=[dated[part], dated[whole]],
                **_cells(results, [(i, 0) for i in over[-1:]]),
            )


@hookimpl(trylast=True)
def register_checks(register: Callable[[type[Check]], None]) -> None:
    for check in (OutsideRange, CohortMismatch):
        register(check)
