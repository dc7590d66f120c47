"""KPI314: what a KPI's denominator leaves out, and the bias it would cause counted in.

A variable may stand for part of another (`deals_won_with_amount` of `deals_won`, declared with
`otherwise: deals_won`): a KPI that divides by the part (the average deal size) leaves the rest
out on purpose, since won deals without an amount add nothing to the revenue and would pull the
average down. The finding says, per period, how many are left out and what the KPI would be
with them, so that the missing amounts get filled in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from ..errors import Finding
from ..hookspecs import hookimpl
from ..model import KPI
from .base import DATA, Check
from .common import name_ratio, num, shown
from .context import CheckContext
from .denominators import MAX_CELLS, _cells, _evaluated


class LeftOut(Check):
    code = "KPI314"
    stage = DATA
    title = "a denominator that leaves some out (won deals without an amount), and the bias"
    fix = "fill in what is missing (the won deals' amounts in the CRM): the KPI leaves them out"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        seen = set()
        for results, kpi, _ in _evaluated(context):
            assert kpi.formula is not None  # _evaluated yields KPIs with a formula
            names = name_ratio(kpi.formula)
            if names is None or kpi.id in seen:
                continue
            part, whole = names
            variable = ws.variables.get(whole)
            values = results.table.values
            if variable is None or variable.otherwise is None:
                continue
            every = variable.otherwise
            if every not in values or whole not in values or part not in values:
                continue
            seen.add(kpi.id)
            cells = []
            for i in results.selected:
                counted, total = values[whole][i, 0], values[every][i, 0]
                if math.isfinite(counted) and math.isfinite(total) and total > counted:
                    cells.append(i)
            if not cells:
                continue
            label = results.labels
            left = {label[i]: float(values[every][i, 0] - values[whole][i, 0]) for i in cells}
            without = {label[i]: _ratio(values[part][i, 0], values[whole][i, 0]) for i in cells}
            with_them = {label[i]: _ratio(values[part][i, 0], values[every][i, 0]) for i in cells}
            shown_cells = cells[-MAX_CELLS:]  # the latest periods
            listed = "; ".join(
                self._period(label[i], kpi, left, without, with_them) for i in shown_cells
            )
            earlier = len(cells) - len(shown_cells)
            more = f"; and {_periods(earlier)} before" if earlier else ""
            title = variable.title.get("en")
            count = sum(left.values())
            yield self.finding(
                f"`{kpi.id}` divides by `{whole}`{f' ({title})' if title else ''}: "
                f"{num(count)} `{every}` {'is' if count == 1 else 'are'} left out of it, in "
                f"{_periods(len(cells))}; counted in, they would bias it: {listed}{more}",
                kpi,
                left_out=left,
                without=without,
                with_them=with_them,
                **_cells(results, [(i, 0) for i in cells]),
            )

    @staticmethod
    def _period(
        label: str,
        kpi: KPI,
        left: dict[str, float],
        without: dict[str, float | None],
        with_them: dict[str, float | None],
    ) -> str:
        before, after = without[label], with_them[label]
        text = f"{label}: {num(left[label])} left out"
        if before is None:  # every one is left out: the KPI is undefined without them
            return f"{text}, undefined without them"
        change = f", {after / before - 1:+.1%}" if after is not None and before else ""
        shown_after = shown(after, kpi) if after is not None else "undefined"
        return f"{text}, {shown(before, kpi)} without them, {shown_after} with them{change}"


def _ratio(numerator: float, denominator: float) -> float | None:
    if not math.isfinite(numerator) or not denominator:
        return None
    return float(numerator / denominator)


def _periods(count: int) -> str:
    return f"{count} period" + ("" if count == 1 else "s")


@hookimpl(trylast=True)
def register_checks(register: Callable[[type[Check]], None]) -> None:
    register(LeftOut)
