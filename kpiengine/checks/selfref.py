"""KPI211: a KPI defined through itself (its own id or alias in its formula).

French article 001 computes inbound revenue as "(Ventes totales pour l'année) - (Revenu total
des clients acquis via le marketing entrant)": written as `inbound_revenue: total_sales -
inbound_revenue`, no value satisfies it. A load-stage check that runs before the name and cycle
checks, which leave these names to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..errors import Finding
from ..hookspecs import hookimpl
from ..model import KPI
from .base import ERROR, LOAD, Check
from .common import at_column
from .context import CheckContext


def own_names(kpi: KPI) -> dict[str, str]:
    """The names that mean the KPI itself: its id and aliases, with how to call each."""
    names = {alias: f"its alias `{alias}`" for alias in kpi.aliases}
    names[kpi.id] = "its own id"
    return names


class SelfReference(Check):
    code = "KPI211"
    severity = ERROR
    stage = LOAD
    blocking = True
    title = "a KPI defined through itself (its own id or alias in its formula)"
    fix = (
        "compute it from other quantities: a variable for the input needs its own name "
        "(`inbound_revenue: total_sales - outbound_revenue`)"
    )

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        for kpi in context.kpis:
            if kpi.formula is None:
                continue
            own = own_names(kpi)
            for name, column in kpi.formula.names.items():
                if name not in own:
                    continue
                text = " ".join(kpi.formula_text.split())
                also = ""
                if name in ws.variables:
                    also = f" (the variable `{name}` is hidden by the KPI of that name)"
                elif name == kpi.id and kpi.overrides is not None:
                    also = f" (it replaces the built-in `{name}`: the name now means this KPI)"
                yield self.finding(
                    f"`{kpi.id}` is defined through itself: `{text}` uses {own[name]}"
                    f"{also}; no value satisfies it",
                    kpi,
                    at_column(kpi, column),
                    name=name,
                )


@hookimpl(trylast=True)
def register_checks(register: Callable[[type[Check]], None]) -> None:
    register(SelfReference)
