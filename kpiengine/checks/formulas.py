"""Static checks on how a formula is written: precedence, scale factors, rolled-up rates."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction
from typing import Any

from ..errors import ERROR, Finding
from ..examples import example_value
from ..formula import Formula, parse_formula
from ..hookspecs import hookimpl
from ..model import KPI, WORKSPACE, Example
from ..regroup import regroupings
from ..unitcheck import consistent_readings
from ..unitfactors import powers_of_ten
from ._factor import constant_factor
from ._fit import FormatFitsUnit, TargetScale
from ._yamlkeys import key_location
from .base import LOAD, Check
from .common import at_column, constants, expr_value, num, pct, words
from .context import CheckContext


def _first_value(ws, kpi: KPI) -> tuple[Example, float] | None:
    for example in kpi.examples:
        try:
            return example, example_value(ws, kpi, example.given)
        except KeyError:
            continue
    return None


class OperatorPrecedence(Check):
    code = "KPI201"
    severity = ERROR
    title = "operator precedence: a name cancels out because parentheses are missing"
    fix = "add the parentheses: `(revenue - cost) / cost`, not `revenue - cost / cost`"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        for kpi in context.kpis:
            if kpi.formula is None or not kpi.evaluable:
                continue
            node = _self_cancelling(kpi.formula)
            lost = _lost_names(kpi.formula)
            if node is None and not lost:
                continue
            readings = _readings(kpi.formula, ws, kpi)
            if not readings:
                continue
            text = " ".join(kpi.formula.text.split())
            if node is not None:
                what = "1" if isinstance(node.op, ast.Div) else "0"
                message = f"`{ast.unparse(node)}` is always {what}"
            else:
                message = f"{', '.join(f'`{n}`' for n in lost)} cancels out"
            message += f": `{text}` reads as `{kpi.formula.explicit}`"
            details: dict[str, Any] = {"readings": readings}
            example = _first_value(ws, kpi)
            if example:
                given, value = example[0].given, example[1]
                meant = expr_value(parse_formula(readings[0]).expr, given)
                message += (
                    f"; with the example's numbers it gives {num(value)}, while "
                    f"`{readings[0]}` gives {num(meant)}"
                )
                details.update(value=value, reading_value=meant)
            column = kpi.formula.column(node) if node is not None else 0
            yield self.finding(
                message,
                kpi,
                at_column(kpi, column),
                fix=f"did you mean `{readings[0]}`?",
                **details,
            )


def _self_cancelling(formula: Formula) -> ast.BinOp | None:
    for node in ast.walk(formula.tree):
        if (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Div | ast.Sub)
            and ast.dump(node.left) == ast.dump(node.right)
            and not isinstance(node.left, ast.Constant)
        ):
            return node
    return None


def _lost_names(formula: Formula) -> list[str]:
    present = {str(s).split("__")[0] for s in formula.expr.free_symbols}
    return sorted(n for n in formula.names if n not in present)


def _readings(formula: Formula, ws, kpi: KPI) -> list[str]:
    """Other parenthesisations keeping every name: unit-consistent ones first."""
    keep = set(formula.names)

    def complete(text: str) -> bool:
        return {str(s) for s in parse_formula(text).expr.free_symbols} >= keep

    unit_of = ws.unit_of
    readings = [r for r in consistent_readings(formula, unit_of, kpi.unit) if complete(r)]
    if readings:
        return readings
    return [r for r in (ast.unparse(t) for t in regroupings(formula.tree)) if complete(r)][:3]


class PercentScaling(Check):
    code = "KPI202"
    severity = ERROR
    stage = LOAD
    title = "`* 100` in a formula whose KPI is formatted as a percent (shown 100 times too big)"
    fix = "remove `* 100`: values are fractions; `format: percent` multiplies by 100 to show them"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        for kpi in context.kpis:
            if kpi.formula is None or kpi.format != "percent" or not kpi.evaluable:
                continue
            # the factor the formula evaluates to, not how it is written: `x / (y / 100)`
            # and `x * 10 * 10 / y` multiply by 100 as much as `x / y * 100`
            if constant_factor(kpi.formula) != 100:
                continue
            example = _first_value(context.workspace, kpi)
            value = example[1] if example else None
            message = "the formula multiplies by 100 and `format: percent` multiplies again"
            if not _written_hundred(kpi.formula):
                message += f" (`{' '.join(kpi.formula.text.split())}` is 100 times a fraction)"
            if value is not None:
                message += (
                    f": {num(value)} shows as {pct(value, 0)} instead of {pct(value / 100, 2)}"
                )
            else:
                message += ": every value shows 100 times too big"
            yield self.finding(
                message,
                kpi,
                at_column(kpi, _hundred_column(kpi.formula)),
                withholds=True,
                value=value,
            )


def _written_hundred(formula: Formula) -> bool:
    """`* 100` or `/ 0.01` as written."""
    return any(
        (isinstance(node.op, ast.Mult) and constant.value == 100)
        or (node.right is constant and constant.value == 0.01)
        for node, constant in constants(formula.tree)
    )


def _hundred_column(formula: Formula) -> int:
    """The column of the constant making the factor: a 100 or 0.01 first, else the first
    constant multiplying or dividing (`10 * 10`), else the formula's start."""
    found = sorted((formula.column(c), c.value) for _, c in constants(formula.tree))
    for column, value in found:
        if value in (100, 0.01):
            return column
    return found[0][0] if found else 0


class PerThousand(Check):
    code = "KPI210"
    title = "a cost per thousand (CPM) whose formula has no `* 1000`"
    fix = "multiply by 1000: `ad_spend / impressions * 1000`"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        for kpi in context.kpis:
            if kpi.formula is None or not _per_thousand(kpi):
                continue
            # the factor its powers of ten make: `* 100` is 10 times too small, `/ 1000` a
            # million times, `* 100 * 1000` 100 times too big; a VAT's 1.19 is no conversion
            if constant_factor(kpi.formula) == 1000:
                continue  # `ad_spend / (impressions / 1000)`, `2000 * ad_spend / impressions / 2`
            factor, rewritten = powers_of_ten(kpi.formula.tree)
            if factor == 1000:
                continue
            found = _first_value(context.workspace, kpi)
            off = Fraction(1000) / factor
            if factor == 1:
                message = f"`{kpi.id}` is a cost per thousand but the formula has no `* 1000`"
                what = "the cost of one impression, 1,000 times too small"
            else:
                which = "constants" if constant_factor(kpi.formula) == factor else "powers of ten"
                message = (
                    f"`{kpi.id}` is a cost per thousand but the formula's {which} make a "
                    f"factor of {num(float(factor))}, not 1,000"
                )
                size = (
                    f"{num(float(off))} times too small"
                    if off > 1
                    else (f"{num(float(1 / off))} times too big")
                )
                what = f"{num(float(factor))} times the cost of one impression, {size}"
            if found:
                message += f": it gives {num(found[1])} instead of {num(found[1] * float(off))}"
            else:
                message += f": it gives {what}"
            yield self.finding(message, kpi, fix=f"write `{rewritten}`")


def _per_thousand(kpi: KPI) -> bool:
    found = words(kpi)
    title = kpi.title.get("en", "").lower()
    return bool(found & {"cpm", "mille", "thousand"}) or "1,000" in title or "1000" in title


class RolledUpRates(Check):
    code = "KPI207"
    title = "rates added up (`aggregate: sum`) or ratio KPIs built on averaged variables"
    fix = (
        "store numerator and denominator as summed variables and divide in the formula; "
        "a KPI value is never summed or averaged"
    )

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        users: dict[str, list[KPI | None]] = {}
        for kpi in context.kpis:
            for name in kpi.formula.names if kpi.formula else ():
                users.setdefault(name, []).append(kpi)
        for var in ws.variables.values():
            if not _is_rate(var.unit) or "sum" not in (var.aggregate.time, var.aggregate.segments):
                continue
            message = (
                f"`{var.id}` is a rate ({var.unit}) but aggregates by sum: adding rates over days "
                "or segments is meaningless (two weeks at 5% do not make 10%)"
            )
            for user in users.get(var.id, []) or [None]:
                yield self.finding(message, user, var.location, variable=var.id)
        for kpi in context.kpis:
            yield from self._averaged(ws, kpi)

    def _averaged(self, ws, kpi: KPI) -> Iterator[Finding]:
        if kpi.formula is None:
            return
        nodes = ast.walk(kpi.formula.tree)
        divides = any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div) for n in nodes)
        dimensionless = kpi.unit is not None and kpi.unit.dimensionless
        ratio = divides or kpi.format == "percent" or dimensionless
        for name in sorted(kpi.formula.names):
            var = ws.variables.get(name)
            if var is None or "mean" not in (var.aggregate.time, var.aggregate.segments):
                continue
            rate = var.unit is not None and var.unit.dimensionless
            if not (ratio or rate):
                continue  # an average order value times a frequency: a product, not a ratio
            if divides:
                what = f"`{kpi.id}` is a ratio built on `{name}`"
            else:
                what = f"`{kpi.id}` is the rate `{name}` ({var.unit_text or var.unit})"
            where = None
            if var.layer == WORKSPACE:  # the user's own definition: point at its `aggregate:`
                where = key_location(var.location, "variables", var.id, "aggregate")
            how = "" if str(var.aggregate) == "mean" else f" ({var.aggregate})"
            yield self.finding(
                f"{what}, which aggregates by mean{how}: its total becomes an "
                "average of averages, weighting a small segment or week like a large one",
                kpi,
                where,
                variable=name,
            )
        yield from self._mean_of_ratios(kpi)

    def _mean_of_ratios(self, kpi: KPI) -> Iterator[Finding]:
        """`(a / b + c / d) / 2`: the plain mean of n ratios (a sum of ratios divided by n)."""
        assert kpi.formula is not None
        terms = _ratio_terms(kpi.formula.tree)
        if terms is None:
            return
        numerators = " + ".join(ast.unparse(n) for n, _ in terms)
        denominators = " + ".join(ast.unparse(d) for _, d in terms)
        pooled = f"({numerators}) / ({denominators})"
        yield self.finding(
            f"`{kpi.id}` averages {len(terms)} ratios "
            f"({', '.join(f'`{ast.unparse(n)} / {ast.unparse(d)}`' for n, d in terms)}): "
            "each counts the same whatever its denominator, so a ratio of 10 sessions weighs "
            "as much as one of 10,000 and the result is no rate of the whole",
            kpi,
            fix=f"pool the counts: `{pooled}`",
            pooled=pooled,
        )


def _ratio_terms(tree: ast.expr) -> list[tuple[ast.expr, ast.expr]] | None:
    """[(numerator, denominator)] of `(a / b + c / d + ...) / n` (or `* (1 / n)`, `0.5 * (...)`)
    when the n terms are ratios with names in their denominators, else None."""
    total, scale = None, None
    if isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Div):
        total, scale = tree.left, _number(tree.right)
        scale = None if not scale else 1 / scale
    elif isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Mult):
        for a, b in ((tree.left, tree.right), (tree.right, tree.left)):
            if _number(a) is not None:
                total, scale = b, _number(a)
    if total is None or scale is None:
        return None
    terms: list[ast.expr] = []
    pending = [total]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            pending += [node.right, node.left]
        else:
            terms.append(node)
    ratios = [
        (t.left, t.right)
        for t in terms
        if isinstance(t, ast.BinOp)
        and isinstance(t.op, ast.Div)
        and any(isinstance(n, ast.Name) for n in ast.walk(t.right))
    ]
    if len(ratios) < 2 or len(ratios) != len(terms) or abs(scale * len(terms) - 1) > 1e-9:
        return None
    return ratios


def _number(node: ast.expr) -> float | None:
    """The value of a constant, or of `1 / n`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        top, bottom = _number(node.left), _number(node.right)
        if top is not None and bottom:
            return top / bottom
    return None


def _is_rate(unit) -> bool:
    return unit is not None and (unit.dimensionless or any(e < 0 for _, e in unit.dims))


@hookimpl(trylast=True)
def register_checks(register: Callable[[type[Check]], None]) -> None:
    # KPI214 and KPI215 (`_fit`) look at the KPI's format and targets, not its formula: they
    # register here, as the module of the formula's own scale checks
    for check in (
        OperatorPrecedence,
        PercentScaling,
        RolledUpRates,
        PerThousand,
        FormatFitsUnit,
        TargetScale,
    ):
        register(check)
