"""KPI212: a formula whose value is always the same, whatever its inputs.

Chinese article 002 defines engagement as 参与者人数/覆盖总人数 and then the reach as 参与活动的
用户总数 (the users who took part): participants / participants, always 100%. sympy decides
after expanding every KPI the formula names; `revenue - revenue` is always 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from ..errors import Finding
from ..hookspecs import hookimpl
from ..symbolic import SYMBOLIC_ERRORS, fingerprint, text, too_hard
from .base import ERROR, Check
from .common import num, pct
from .context import CheckContext
from .meaning import _expanded

if TYPE_CHECKING:
    import sympy


def constant_value(expr: sympy.Expr) -> sympy.Expr | None:
    """The value of `expr` when it does not depend on its inputs, else None."""
    if not expr.free_symbols:
        return expr
    values = fingerprint(expr, points=3)
    if values is None or len(set(values)) > 1 or too_hard(expr):
        return None  # values that differ at fixed points: not constant, no simplify needed
    try:
        import sympy  # noqa: PLC0415 - loading the checks needs no sympy

        simple = sympy.simplify(sympy.expand(expr))
    except SYMBOLIC_ERRORS:
        return None
    return simple if not simple.free_symbols else None


class ConstantFormula(Check):
    code = "KPI212"
    severity = ERROR
    title = "a formula that is constant: its inputs cancel out (`participants / participants`)"
    fix = "divide by (or subtract) a different quantity: `participants / reach`"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        for kpi in context.kpis:
            if not kpi.evaluable or kpi.formula is None or not kpi.formula.names:
                continue
            expr = _expanded(ws, kpi.id)
            value = constant_value(expr) if expr is not None else None
            if value is None:
                continue
            try:
                number = float(value)
                shown = pct(number, 0) if kpi.format == "percent" else num(number)
            except SYMBOLIC_ERRORS:
                shown = text(value, "a constant")
            names = ", ".join(f"`{n}`" for n in sorted(kpi.formula.names))
            yield self.finding(
                f"`{' '.join(kpi.formula_text.split())}` is always {shown}, whatever "
                f"{names} are: its inputs cancel out",
                kpi,
                value=shown,
            )


@hookimpl(trylast=True)
def register_checks(register: Callable[[type[Check]], None]) -> None:
    register(ConstantFormula)
