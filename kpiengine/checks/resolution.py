"""KPI006, KPI007: names a formula uses that nothing defines, and KPIs defined through each other.

Load-stage checks: they run while the workspace is loaded and block the KPIs they are about.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable, Iterable

from ..errors import Finding
from ..graph import find_cycles
from ..hookspecs import hookimpl
from ..model import PERIODS_PER_YEAR
from .base import ERROR, LOAD, Check
from .common import at_column
from .context import CheckContext
from .selfref import own_names


class UnknownName(Check):
    code = "KPI006"
    severity = ERROR
    stage = LOAD
    blocking = True
    title = "an unknown name in a formula (with the closest known name)"
    fix = "define it under `variables:` or fix the spelling"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        known = set(ws.variables) | set(ws.kpis) | set(ws.parameters) | {PERIODS_PER_YEAR}
        suggestion: Suggestions | None = None  # built for the first unknown name
        for kpi in context.kpis:
            if kpi.formula is None:
                continue
            own = own_names(kpi)
            for name, column in kpi.formula.names.items():
                if name in known or name in own:  # a KPI's own alias: KPI211
                    continue
                alias = ws.aliases.get(name)
                suggestion = suggestion or Suggestions(known)
                hint = f"; `{name}` is an alias of KPI `{alias}`" if alias else suggestion(name)
                yield self.finding(f"unknown variable `{name}`{hint}", kpi, at_column(kpi, column))


class Suggestions:
    """`; did you mean `x`?` for many misspelt names against many known ones, in time that
    grows with the names rather than with their product: a name is compared (difflib, as
    `errors.suggestion`) only with a short list: the known names one deleted letter away on
    either side (a typo), and those sharing the most three-letter pieces with it."""

    SHORTLIST = 40
    POSTINGS = 200  # names looked at per key: a key most names share says little

    def __init__(self, known: Iterable[str]) -> None:
        self.grams: dict[str, list[str]] = {}
        self.deletions: dict[str, list[str]] = {}
        for name in sorted(set(known)):
            for gram in _grams(name):
                self.grams.setdefault(gram, []).append(name)
            for key in _deletions(name):
                self.deletions.setdefault(key, []).append(name)

    def __call__(self, name: str) -> str:
        shared: Counter[str] = Counter()
        for gram in _grams(name):
            shared.update(self.grams.get(gram, [])[: self.POSTINGS])
        shortlist = {n for n, _ in shared.most_common(self.SHORTLIST)}
        for key in _deletions(name):
            shortlist.update(self.deletions.get(key, [])[: self.POSTINGS])
        match = difflib.get_close_matches(name, sorted(shortlist), n=1, cutoff=0.6)
        return f"; did you mean `{match[0]}`?" if match else ""


def _grams(name: str) -> set[str]:
    padded = f"  {name} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _deletions(name: str) -> set[str]:
    return {name} | {name[:i] + name[i + 1 :] for i in range(len(name))}


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
            if len(set(cycle)) == 1:  # a KPI naming itself: KPI211
                continue
            path = " -> ".join(cycle)
            for name in dict.fromkeys(cycle):
                kpi = ws.kpis[name]
                yield self.finding(f"KPIs depend on each other in a cycle: {path}", kpi)


@hookimpl(trylast=True)
def register_checks(register: Callable[[type[Check]], None]) -> None:
    for check in (UnknownName, Cycle):
        register(check)
