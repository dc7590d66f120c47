"""KPI214, KPI215: a format that does not fit the unit, a target on the wrong scale.

KPI214: `format: percent` multiplies by 100 and adds `%`: it fits a ratio (a dimensionless unit,
or counts over counts such as `conversions / sessions`, possibly per unit of time) and nothing
else (revenue of 1,234.50 shows as 123,450.0%); `format: currency` fits money (`currency`,
`currency / customers`), not a rate (a conversion rate of 0.43 shown as an amount).

KPI215: a target is written in the KPI's own values: a percent KPI's target 5 is 500%, not 5%.
A target outside the range the KPI declares (`range: [0, 1]`) is an error, with `0.05` or `5%`
suggested. Without a declared range, a percent KPI's whole-number target above 1 is a warning
when the data shows every value of the KPI below 1 (its target is then over 100 times the scale
of what it does: 30 for an ROI running at 5-11%), or when it is 10 (1,000%) or more without
data; a whole number between 2 and 9 without data may be meant (an ROI of 300%) and is left.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import numpy as np

from ..errors import ERROR, WARNING, Finding, Location
from ..model import KPI, TargetSpec
from ..units import TIME, Unit
from ._yamlkeys import key_location
from .base import Check
from .common import is_currency, num, pct, shown
from .context import CheckContext

__all__ = ["FormatFitsUnit", "TargetScale"]

#: Without data, a percent KPI's whole-number target from this value on is taken as a percent
#: written as a whole number (1,000% and more).
NO_DATA_LIMIT = 10


def percent_fits(unit: Unit) -> bool:
    """A ratio: no money, counts cancelling out, time only in a denominator (`per month`)."""
    dims = unit.dim_map
    if any(d.startswith("currency") for d in dims):
        return False
    time = dims.pop(TIME, 0)
    return time <= 0 and sum(dims.values()) == 0


class FormatFitsUnit(Check):
    code = "KPI214"
    severity = ERROR
    title = "a format that does not fit the unit (`format: percent` on money, currency on a rate)"
    fix = "use `format: percent` for ratios, `currency` for money, `number` or `integer` otherwise"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        for kpi in context.kpis:
            unit = kpi.unit
            if unit is None or kpi.format not in ("percent", "currency"):
                continue
            if kpi.format == "percent" and not percent_fits(unit):
                yield self._percent(context, kpi, unit)
            elif kpi.format == "currency" and not is_currency(unit):
                yield self._currency(context, kpi, unit)

    def _where(self, kpi: KPI) -> Location | None:
        return key_location(kpi.location, "kpis", kpi.id, "format")

    def _percent(self, context: CheckContext, kpi: KPI, unit: Unit) -> Finding:
        value = _a_value(context, kpi)
        message = (
            f"`{kpi.id}` is in {kpi.unit_text or unit}, not a ratio, but `format: percent` "
            "shows it multiplied by 100 with a % sign"
        )
        if value is not None:
            message += f": {num(value)} shows as {pct(value)}"
        better = "currency" if is_currency(unit) else "integer` or `number"
        return self.finding(message, kpi, self._where(kpi), fix=f"use `format: {better}`")

    def _currency(self, context: CheckContext, kpi: KPI, unit: Unit) -> Finding:
        value = _a_value(context, kpi)
        what = "a ratio" if percent_fits(unit) else "no amount of money"
        message = (
            f"`{kpi.id}` is in {kpi.unit_text or unit}, {what}, but `format: currency` shows "
            "it as an amount of money"
        )
        if value is not None:
            message += f" ({num(value)} shown as {value:,.2f})"
        better = "percent" if percent_fits(unit) else "number"
        return self.finding(
            message, kpi, self._where(kpi), fix=f"use `format: {better}`", severity=WARNING
        )


def _a_value(context: CheckContext, kpi: KPI) -> float | None:
    """A value to show: the first worked example's, else the latest total the data gives."""
    for example in kpi.examples:
        if math.isfinite(example.expect):
            return example.expect
    results = context.primary
    found = results.kpis.get(kpi.id) if results is not None else None
    if found is None:
        return None
    values = found.values[:, 0]
    finite = values[np.isfinite(values)]
    return float(finite[-1]) if finite.size else None


def _targets(spec: TargetSpec) -> Iterator[tuple[str, float]]:
    """(what, value) of each target value a KPI's values are compared with."""
    if spec.constant is not None:
        yield "the target", spec.constant
    for label, value in spec.by_period.items():
        yield f"the target for {label}", value


class TargetScale(Check):
    code = "KPI215"
    severity = ERROR
    title = "a target outside the KPI's range or on the wrong scale (5 for 5%)"
    fix = "write a percent target as a fraction (`0.05`) or as a percentage (`5%`)"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        for kpi in context.kpis:
            spec = kpi.target
            if spec is None:
                continue
            for what, value in _targets(spec):
                found = self._outside(kpi, spec, what, value) or self._percent(
                    context, kpi, spec, what, value
                )
                if found is not None:
                    yield found
                    break  # one finding per target: the first value on the wrong scale

    def _outside(self, kpi: KPI, spec: TargetSpec, what: str, value: float) -> Finding | None:
        if kpi.range is None:
            return None
        low, high = kpi.range
        if (low is None or value >= low) and (high is None or value <= high):
            return None
        bounds = f"[{'' if low is None else num(low)}, {'' if high is None else num(high)}]"
        message = f"{what} of `{kpi.id}` is {num(value)}, outside its declared range {bounds}"
        fix = f"write a target within {bounds}"
        fraction = value / 100
        if kpi.format == "percent":
            message += f": a percent target is a fraction, so {num(value)} means {pct(value, 0)}"
        if (low is None or fraction >= low) and (high is None or fraction <= high):
            fix = _suggestion(kpi, value)
        return self.finding(message, kpi, spec.location, fix=fix, target=value)

    def _percent(
        self, context: CheckContext, kpi: KPI, spec: TargetSpec, what: str, value: float
    ) -> Finding | None:
        """A percent KPI without an upper bound: a whole number above 1 out of scale."""
        if kpi.format != "percent" or (kpi.range and kpi.range[1] is not None):
            return None
        if value <= 1 or value != int(value):
            return None
        history = _history(context, kpi)
        if history is None and value < NO_DATA_LIMIT:
            return None
        if history is not None and (history.size == 0 or np.abs(history).max() >= 1):
            return None
        message = (
            f"{what} of `{kpi.id}` is {num(value)}, which a percent KPI shows as {pct(value, 0)}"
        )
        if history is not None:
            low, high = shown(float(history.min()), kpi), shown(float(history.max()), kpi)
            spread = f"is {low} in every period" if low == high else f"runs from {low} to {high}"
            message += f", while its value in the data {spread}"
        message += ": a percent target is a fraction"
        return self.finding(
            message, kpi, spec.location, fix=_suggestion(kpi, value), severity=WARNING, target=value
        )


def _suggestion(kpi: KPI, value: float) -> str:
    fraction = value / 100
    return f"did you mean `{num(fraction)}` or `{num(value)}%`?"


def _history(context: CheckContext, kpi: KPI) -> np.ndarray | None:
    """The KPI's finite totals over every period of the data; None without data."""
    results = context.primary
    found = results.kpis.get(kpi.id) if results is not None else None
    if found is None:
        return None
    values = found.values[:, 0]
    return values[np.isfinite(values)]
