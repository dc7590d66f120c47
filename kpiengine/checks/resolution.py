"""KPI006, KPI007: names a formula uses that nothing defines, and KPIs defined through each other.

Load-stage checks: they run while the workspace is loaded and block the KPIs they are about.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..errors import Finding, suggestion
from ..graph import find_cycles
from ..hookspecs import hookimpl
from .base import ERROR, LOAD, Check
from .common import at_column
from .context import CheckContext


class UnknownName(Check):
    code = "KPI006"
    severity = ERROR
    stage = LOAD
    blocking = True
    title = "an unknown name in a formula (with the closest known name)"
    fix = "define it under `variables:` or fix the spelling"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        known = set(ws.variables) | set(ws.kpis)
        for kpi in context.kpis:
            if kpi.formula is None:
                continue
            for name, column in kpi.formula.names.items():
                if name in known:
                    continue
                alias = ws.aliases.get(name)
                hint = (
                    f"; `{name}` is an alias of KPI `{alias}`" if alias else suggestion(name, known)
                )
                yield self.finding(f"unknown variable `{name}`{hint}", kpi, at_column(kpi, column))


class Cycle(Check):
    code = "KPI007"
    severity = ERROR
    stage = LOAD
    blocking = True
    title = "KPIs that depend on each other in a cycle (with the path)"
    fix = "one of these KPIs must be computed from variables only"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        graph = {k: {d for d in deps if d in ws.kpis} for k, deps in ws.deps.items()}
        for cycle in find_cycles(graph):
            path = " -> ".join(cycle)
            for name in dict.fromkeys(cycle):
                kpi = ws.kpis[name]
                yield self.finding(f"KPIs depend on each other in a cycle: {path}", kpi)


@hookimpl(trylast=True)
def register_checks(register: Callable[[type[Check]], None]) -> None:
    for check in (UnknownName, Cycle):
        register(check)
