"""Data checks on what the numbers are: spliced definitions, micros and mixed currencies,
negative counts and costs."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator

import numpy as np

from ..errors import ERROR, WARNING, Finding
from ..hookspecs import hookimpl
from .base import DATA, Check
from .common import is_count, is_currency, name_ratio, num, pct, segment_label
from .context import CheckContext

MIN_SIDE = 3


def level_shift(series: np.ndarray) -> tuple[int, float, float] | None:
    """The split (index, mean before, mean after) of a clear step in a series, if any.

    A step is clear when the means differ by 40% or more and by over four times the spread
    inside each side.
    """
    best = None
    for k in range(MIN_SIDE, len(series) - MIN_SIDE + 1):
        before, after = series[:k], series[k:]
        m1, m2 = float(before.mean()), float(after.mean())
        spread = math.sqrt(
            (before.var() * len(before) + after.var() * len(after)) / max(len(series) - 2, 1)
        )
        gap = abs(m1 - m2)
        if min(m1, m2) <= 0 or max(m1, m2) / min(m1, m2) < 1.4 or gap <= 4 * spread:
            continue
        score = gap / (spread or 1e-12)
        if best is None or score > best[0]:
            best = (score, k, m1, m2)
    return best[1:] if best else None


class SplicedDefinitions(Check):
    code = "KPI309"
    stage = DATA
    title = "one series spliced from two definitions (Universal Analytics and GA4 bounce rate)"
    fix = (
        "compare periods under one definition only; GA4's bounce rate is 1 - engagement rate, "
        "Universal Analytics counted single-page sessions"
    )

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        results = context.primary
        assert results is not None  # data checks run only when there are results
        scope = {k.id for k in context.kpis}
        for kpi_id, result in results.kpis.items():
            if kpi_id not in scope:
                continue
            if "bounce" not in kpi_id and "bounces" not in ws.inputs_of(kpi_id):
                continue
            periods = [i for i in results.selected if math.isfinite(result.values[i, 0])]
            if len(periods) < 2 * MIN_SIDE:
                continue
            found = level_shift(result.values[periods, 0])
            if found is None:
                continue
            k, before, after = found
            last, first = results.labels[periods[k - 1]], results.labels[periods[k]]
            yield self.finding(
                f"`{kpi_id}` jumps from {pct(before)} on average (to {last}) to {pct(after)} "
                f"(from {first}): a Universal Analytics bounce rate (single-page sessions) "
                "spliced with a GA4 one (sessions not engaged)?",
                result.kpi,
                before=before,
                after=after,
                split=first,
                periods=[results.labels[i] for i in periods],
            )


class MicrosAndCurrencies(Check):
    code = "KPI310"
    severity = ERROR
    stage = DATA
    title = "money in the wrong unit: Google Ads `cost_micros` read as currency, mixed currencies"
    fix = "scale micros by 0.000001 (`scale: 0.000001` in the mapping); convert to one currency"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        yield from self._mappings(context)
        yield from self._values(context)
        yield from self._currencies(context)

    def _mappings(self, context: CheckContext) -> Iterator[Finding]:
        ws = context.workspace
        for source in ws.settings.sources:
            for name, mapping in source.mappings.items():
                var = ws.variables.get(name)
                column = str(mapping.column or "")
                scaled = abs(mapping.scale - 1e-6) < 1e-12
                if var and is_currency(var.unit) and "micros" in column.lower() and not scaled:
                    yield self.finding(
                        f"source `{source.name}` reads `{column}` as `{name}` (currency), but "
                        "Google Ads reports micros: 48,710,000 micros are 48.71",
                        location=mapping.location,
                        fix="add `scale: 0.000001` to the mapping",
                        variable=name,
                    )

    def _values(self, context: CheckContext) -> Iterator[Finding]:
        ws = context.workspace
        results = context.primary
        assert results is not None  # data checks run only when there are results
        for name, values in sorted(results.table.values.items()):
            var = ws.variables.get(name)
            column = values[results.selected, 0]
            column = column[np.isfinite(column) & (column != 0)]
            if var is None or not is_currency(var.unit) or not len(column):
                continue
            if np.median(np.abs(column)) < 1e6 or np.any(np.mod(column, 10_000) != 0):
                continue
            message = (
                f"`{name}` looks like Google Ads `cost_micros` read as currency: every value is "
                f"a multiple of 10,000 (median {num(float(np.median(column)))})"
            )
            for kpi_id, result in results.kpis.items():
                names = name_ratio(result.kpi.formula) if result.kpi.formula else None
                if names and names[0] == name and is_count(ws.variables[names[1]].unit):
                    cost = float(np.nanmedian(result.values[results.selected, 0]))
                    message += (
                        f"; `{kpi_id}` is {num(cost)} per {names[1].rstrip('s')}, which divided "
                        f"by 1,000,000 is {num(cost / 1e6)}"
                    )
                    break
            yield self.finding(
                message, severity="warning", variable=name, fix="divide the column by 1,000,000"
            )

    def _currencies(self, context: CheckContext) -> Iterator[Finding]:
        ws = context.workspace
        currency_of: dict[str, str] = {}
        for source in ws.settings.sources:
            for name, mapping in source.mappings.items():
                if mapping.currency:
                    currency_of[name] = str(mapping.currency)
        for kpi in context.kpis:
            used = {v: currency_of[v] for v in sorted(ws.inputs_of(kpi.id)) if v in currency_of}
            if len(set(used.values())) > 1:
                listed = ", ".join(f"`{v}` in {c}" for v, c in used.items())
                yield self.finding(f"`{kpi.id}` mixes currencies: {listed}", kpi, currencies=used)


#: Words of a money variable's id that make it a cost (negative only as a refund or credit).
COST_WORDS = frozenset({"cost", "costs", "spend", "spending", "budget", "fee", "fees", "expense"})


class NegativeValues(Check):
    code = "KPI311"
    severity = ERROR
    stage = DATA
    title = "a negative count (sessions, conversions, deals) or a negative cost"
    fix = (
        "check the export: a count cannot be below zero; a negative cost is a refund or a "
        "credit, which belongs in its own variable"
    )

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        used = sorted({v for kpi in context.kpis for v in ws.inputs_of(kpi.id)})
        for name in used:
            var = ws.variables.get(name)
            if var is None:
                continue
            count = is_count(var.unit)
            cost = is_currency(var.unit) and bool(COST_WORDS & set(name.split("_")))
            if not (count or cost):
                continue
            cells = []  # (results, period, segment) of every negative value, totals first
            for results in context.results:
                values = results.table.values.get(name)
                if values is None:
                    continue
                first = 0 if results is context.primary else 1
                block = values[results.selected, first:]
                for i, s in zip(*np.nonzero(np.nan_to_num(block, nan=0.0) < 0), strict=True):
                    cells.append((results, results.selected[i], s + first))
            if not cells:
                continue
            results, i, s = cells[0]
            segment = results.table.segments[s]
            where = results.labels[i] + (f" ({segment_label(segment)})" if segment else "")
            more = f" (and {len(cells) - 1} more cells)" if len(cells) > 1 else ""
            what = "a count cannot be below zero" if count else "a cost below zero"
            yield self.finding(
                f"`{name}` is {num(float(results.table.values[name][i, s]))} in {where}{more}: "
                f"{what}",
                location=var.location,
                severity=None if count else WARNING,
                variable=name,
                cells=len(cells),
            )


@hookimpl(trylast=True)
def register_checks(register: Callable[[type[Check]], None]) -> None:
    for check in (SplicedDefinitions, MicrosAndCurrencies, NegativeValues):
        register(check)
