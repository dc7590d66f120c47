"""Static checks on what a KPI means: ROI vs ROAS, flow over stock, names and duplicates."""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from ..errors import INFO, Finding, KpiError
from ..examples import example_value
from ..hookspecs import hookimpl
from ..model import KPI
from ..symbolic import SYMBOLIC_ERRORS, fingerprint, too_hard
from ..workspace import WORKSPACE, Workspace, load_workspace
from ._stocks import StockCase, stock_case
from .base import Check
from .common import is_count, is_currency, name_ratio, num, title_text, words
from .context import CheckContext

if TYPE_CHECKING:
    import sympy


def _is_roi(kpi: KPI) -> bool:
    text = title_text(kpi)
    return ("roi" in words(kpi) or "return on investment" in text) and "roas" not in words(kpi)


def _expanded(ws: Workspace, kpi_id: str) -> sympy.Expr | None:
    try:
        return ws.expanded(kpi_id)
    except (KpiError, RecursionError):
        return None


class RevenueRoi(Check):
    code = "KPI203"
    severity = INFO
    title = "ROI computed on revenue rather than on gross profit"
    fix = 'use `gross_profit` for revenue, or silence: `allow: [KPI203: "revenue ROI on purpose"]`'

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        for kpi in context.kpis:
            if kpi.formula is None or not _is_roi(kpi):
                continue
            inputs = sorted(ws.inputs_of(kpi.id))
            money = [v for v in inputs if v in ws.variables and is_currency(ws.variables[v].unit)]
            revenue = [v for v in money if "revenue" in v or "sales" in v]
            if revenue and not any(w in v for v in money for w in ("profit", "margin")):
                yield self.finding(
                    f"`{kpi.id}` is computed on revenue (`{revenue[0]}`), not on gross profit: "
                    "a campaign that sells at cost still shows a positive return",
                    kpi,
                )


class RoiWithoutSubtraction(Check):
    code = "KPI204"
    title = "an ROI without a subtraction: revenue / cost is a ROAS, not a return on investment"
    fix = "subtract the cost: `(revenue - cost) / cost`; or call the KPI a ROAS"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        for kpi in context.kpis:
            if kpi.formula is None or not _is_roi(kpi) or _subtracts(ws, kpi, set()):
                continue
            message = f"`{kpi.id}` is called an ROI but nothing is subtracted: it is a ROAS"
            for example in kpi.examples:
                try:
                    value = example_value(ws, kpi, example.given)
                except KeyError:
                    continue
                message += f" ({num(value)} where the ROI would be {num(value - 1)})"
                break
            yield self.finding(message, kpi)


def _subtracts(ws: Workspace, kpi: KPI, seen: set[str]) -> bool:
    assert kpi.formula is not None  # callers pass only KPIs with a formula
    seen.add(kpi.id)
    for node in ast.walk(kpi.formula.tree):
        if isinstance(node, ast.BinOp | ast.UnaryOp) and isinstance(node.op, ast.Sub | ast.USub):
            return True
    inner = [ws.kpis[n] for n in kpi.formula.names if n in ws.kpis and n not in seen]
    return any(k.formula is not None and _subtracts(ws, k, seen) for k in inner)


class FlowOverStock(Check):
    code = "KPI205"
    title = (
        "a flow divided by a stock: a share of new customers, churn over the customers at the "
        "end, costs over all customers"
    )
    fix = (
        "divide a flow by a flow (new customers / customers active in the period, "
        "`customers_at_start + new_customers`), or present it as a rate, not a share"
    )

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        for kpi in context.kpis:
            case = stock_case(ws, kpi) if kpi.evaluable else None
            if case is not None:
                yield self._stock_case(kpi, case)
                continue
            names = name_ratio(kpi.formula) if kpi.formula else None
            if names is None or not _is_share(kpi):
                continue
            flow, stock = (ws.variables.get(n) for n in names)
            if flow is None or stock is None or not (is_count(flow.unit) and is_count(stock.unit)):
                continue
            if flow.aggregate.time == "sum" and stock.aggregate.time in ("last", "first"):
                yield self.finding(
                    f"`{flow.id}` is a flow (summed over the period) and `{stock.id}` a stock "
                    f"(counted on one day, `{stock.aggregate.time}`): their ratio is not a share; "
                    "it grows with the period's length and counts those who already left",
                    kpi,
                )

    def _stock_case(self, kpi: KPI, case: StockCase) -> Finding:
        """Churn over the end stock, costs over a stock of customers (`_stocks`)."""
        assert kpi.formula is not None
        flows = ", ".join(f"`{v.id}`" for v in case.flows)
        stock = case.stock
        numerator = " + ".join(v.id for v in case.flows)
        better = (
            f"({numerator}) / {case.better}"
            if len(case.flows) > 1
            else f"{numerator} / {case.better}"
        )
        if case.kind == "churn":
            message = (
                f"`{kpi.id}` divides {flows}, lost over the period, by `{stock.id}`, the stock "
                "at its end: those who left are not in it and those who joined are, so the "
                "rate is understated while the base grows and can pass 100% when many leave"
            )
            fix = f"divide by the stock at the start of the period: `{better}`"
        else:
            message = (
                f"`{kpi.id}` divides costs ({flows}), spent over the period, by `{stock.id}`, "
                f"a stock counted on one day (`{stock.aggregate.time}`) that holds the "
                f"{stock.unit_text or 'customers'} of every earlier period too: it is no cost "
                "of acquisition and falls as the base grows"
            )
            fix = f"divide by those acquired in the period: `{better}`"
        return self.finding(
            message,
            kpi,
            fix=fix,
            flows=[v.id for v in case.flows],
            stock=stock.id,
            better=case.better,
        )


def _is_share(kpi: KPI) -> bool:
    return bool(words(kpi) & {"share", "proportion", "percentage", "pct"}) or (
        "% of" in title_text(kpi)
    )


def _equivalent(a: sympy.Expr | None, b: sympy.Expr | None) -> bool:
    """Equal values at fixed points, then (when sympy may try) `simplify(a - b) == 0`; a pair
    too hard to simplify counts as equivalent when the values agree at every point."""
    if a is None or b is None or a.free_symbols != b.free_symbols:
        return False
    if a == b:  # structurally equal: the same parsed formula
        return True
    first = fingerprint(a)
    if first is None or first != fingerprint(b):
        return False
    if too_hard(a) or too_hard(b):
        return fingerprint(a, points=4) == fingerprint(b, points=4)
    try:
        import sympy  # noqa: PLC0415 - loading the checks needs no sympy

        return sympy.simplify(a - b) == 0
    except SYMBOLIC_ERRORS:
        return False


def _called(kpi: KPI, name: str) -> str:
    alias = "" if kpi.id == name else f" (alias `{name}`)"
    return f"`{kpi.id}`{alias} = {' '.join(kpi.formula_text.split())}"


@functools.lru_cache(maxsize=1)
def _builtin_library() -> Workspace:
    return load_workspace(None)


class SameNameDifferentMeaning(Check):
    code = "KPI208"
    title = "one name, two meanings: an id or alias shared by KPIs whose formulas differ"
    fix = "rename one of them, or drop the alias; compare values only between equal definitions"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        scope = {k.id for k in context.kpis}
        owners: dict[str, list[KPI]] = {}
        for kpi in ws.kpis.values():
            for name in dict.fromkeys([kpi.id, *kpi.aliases]):
                owners.setdefault(name, []).append(kpi)
        reported: set[tuple[str, ...]] = set()
        for name, kpis in sorted(owners.items()):
            for first, other in zip(kpis, kpis[1:], strict=False):
                pair = tuple(sorted((first.id, other.id)))
                if pair in reported or not ({first.id, other.id} & scope):
                    continue
                reported.add(pair)
                if _equivalent(_expanded(ws, first.id), _expanded(ws, other.id)):
                    continue
                here, there = (first, other) if first.id == name else (other, first)
                if here.layer != WORKSPACE and there.layer == WORKSPACE:
                    here, there = there, here
                yield self.finding(
                    f"`{name}` names two different KPIs: {_called(here, name)} and "
                    f"{_called(there, name)}; the formulas are not equivalent",
                    here,
                    other=there.id,
                )
        for kpi in context.kpis:
            if kpi.overrides is None or kpi.layer != WORKSPACE or kpi.formula is None:
                continue
            builtin = _builtin_library().kpis.get(kpi.id)
            if builtin is None or builtin.formula is None:
                continue
            # the same formula is no override of it, whatever its names stand for here
            if _equivalent(kpi.formula.expr, builtin.formula.expr):
                continue
            if not _equivalent(_expanded(ws, kpi.id), _expanded(_builtin_library(), kpi.id)):
                yield self.finding(
                    f"`{kpi.id}` overrides the built-in definition with a different formula "
                    f"({kpi.formula_text} instead of {builtin.formula_text}): values are not "
                    "comparable with those computed elsewhere under that name",
                    kpi,
                    severity=INFO,
                    fix="keep it if intended; note the difference in the KPI's `notes`",
                )


class DuplicateFormula(Check):
    code = "KPI209"
    title = "two KPIs (two ids) with equivalent formulas: a duplicate under another name"
    fix = "keep one KPI and list the other name under its `aliases`"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        scope = {k.id for k in context.kpis}
        # grouped by inputs and values at fixed points: only formulas that agree there are
        # compared symbolically, so the work grows with the KPIs, not with their pairs
        by_inputs: dict[frozenset, list[tuple[KPI, sympy.Expr]]] = {}
        for kpi in ws.kpis.values():
            expr = _expanded(ws, kpi.id) if kpi.evaluable else None
            if expr is not None and expr.free_symbols:
                by_inputs.setdefault(frozenset(expr.free_symbols), []).append((kpi, expr))
        groups: dict[tuple, list[tuple[KPI, sympy.Expr]]] = {}
        for inputs, candidates in by_inputs.items():
            for kpi, expr in candidates if len(candidates) > 1 else []:
                values = fingerprint(expr)
                if values is not None:
                    groups.setdefault((inputs, values), []).append((kpi, expr))
        for members in groups.values():
            # each KPI is compared with the first of each class of equivalent ones: ten copies
            # of one formula are nine findings and nine comparisons, not forty-five
            classes: list[tuple[KPI, sympy.Expr]] = []
            for other, b in members:
                first = next(((k, a) for k, a in classes if _equivalent(a, b)), None)
                if first is None:
                    classes.append((other, b))
                    continue
                kpi = first[0]
                if not ({kpi.id, other.id} & scope):
                    continue
                later, earlier = (other, kpi) if other.layer == WORKSPACE else (kpi, other)
                if later.layer == WORKSPACE and earlier.layer != WORKSPACE:
                    yield self._builtin_twin(later, earlier)
                    continue
                yield self.finding(
                    f"`{later.id}` and `{earlier.id}` compute the same thing "
                    f"({later.formula_text}; {earlier.formula_text})",
                    later,
                    other=earlier.id,
                )

    def _builtin_twin(self, kpi: KPI, builtin: KPI) -> Finding:
        """A workspace KPI equivalent to a built-in one: an override under another id."""
        return self.finding(
            f"`{kpi.id}` computes the same as the built-in `{builtin.id}` "
            f"({builtin.title_in()} = {' '.join(builtin.formula_text.split())})",
            kpi,
            severity=INFO,
            fix=(
                f"to customise the built-in (title, target, notes), define it under its id "
                f"`{builtin.id}` in the workspace; or drop `{kpi.id}` and use `{builtin.id}`"
            ),
            other=builtin.id,
        )


@hookimpl(trylast=True)
def register_checks(register: Callable[[type[Check]], None]) -> None:
    for check in (
        RevenueRoi,
        RoiWithoutSubtraction,
        FlowOverStock,
        SameNameDifferentMeaning,
        DuplicateFormula,
    ):
        register(check)
