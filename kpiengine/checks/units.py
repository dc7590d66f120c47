"""KPI101-KPI103: the unit checks run while loading, reported by `kpi lint` like any check.

The findings come from `kpiengine.validate` (unit inference in `kpiengine.unitcheck`); these
checks only carry them, so they are documented, silenceable and shown in SARIF.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from ..errors import ERROR, Finding
from ..hookspecs import hookimpl
from ..lint import Check, LintContext
from ..unitcheck import CLASH, DECLARED_MISMATCH, TIME_SCALE


class _LoadTimeCheck(Check):
    severity = ERROR

    def run(self, context: LintContext) -> Iterable[Finding]:
        found = [f for f in context.workspace.findings if f.code == self.code]
        return [f if f.fix else replace(f, fix=self.fix) for f in found]


class UnitClash(_LoadTimeCheck):
    code = CLASH
    title = "unlike units added, subtracted or compared (`min`, `max`)"
    fix = "parenthesise the formula as meant (the consistent reading is suggested), or fix a unit"


class DeclaredUnitMismatch(_LoadTimeCheck):
    code = DECLARED_MISMATCH
    title = "the inferred unit differs from the declared one, or the ratio is inverted"
    fix = "swap numerator and denominator when inverted, else declare the unit the formula gives"


class TimeScale(_LoadTimeCheck):
    code = TIME_SCALE
    title = "time units mixed without conversion (a per-year rate times months)"
    fix = "express durations and rates in one time unit, or multiply by the factor given"


@hookimpl(trylast=True)
def register_checks(register):
    for check in (UnitClash, DeclaredUnitMismatch, TimeScale):
        register(check)
