"""KPI214, KPI215: a format that does not fit the unit, a target on the wrong scale.

KPI214: `format: percent` multiplies by 100 and adds `%`: it fits a ratio (a dimensionless unit,
or counts over counts such as `conversions / sessions`, possibly per unit of time) and nothing
else (revenue of 1,234.50 shows as 123,450.0%); `format: currency` fits money (`currency`,
`currency / customers`), not a rate (a conversion rate of 0.43 shown as an amount).

KPI215: a target is written in the KPI's own values: a percent KPI's target 5 is 500%, not 5%.
A target outside the range the KPI declares (`range: [0, 1]`) is an error, with `0.05` or `5%`
suggested. A target written with `%` for a KPI in money or in a count (`cpc: 50%`, read as 0.5)
is an error. Without a declared range, a percent KPI's whole-number target above 1 is a warning
when the data shows every value of the KPI below 1 (its target is then over 100 times the scale
of what it does: 30 for an ROI running at 5-11%), or when it is 10 (1,000%) or more without
data; a whole number between 2 and 9 without data may be meant (an ROI of 300%) and is left.
Any KPI's target at least `APART` (30) times above or below every value the data gives it (all
periods, the same sign) is a warning naming the likely cause: percent data (45.5 for 45.5%, or
a formula's `* 100`) against a fraction target, a ratio's target written as a percentage (400
for a 4x ROAS), or a thousands separator YAML reads as a decimal point (`60.000` is 60). Without
data, a target written with a dot and three zeros (`60.000`) is a warning too (with data, only
when the data is far from the written value: `aov: 40.000` beside an AOV of 40 is meant).
A target is compared on its own span: an additive KPI's target for a quarter at a daily grain is
spread over the quarter's days (91,000 is 1,000 a day), as `kpiengine.targets` spreads it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from ..errors import ERROR, WARNING, Finding, Location
from ..model import KPI, TargetSpec
from ..units import TIME, TIME_UNITS, Unit
from ..yamlio import YMap
from ._factor import constant_factor
from ._yamlkeys import key_location, written_at
from .base import Check
from .common import is_count, is_currency, num, pct, shown
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


@dataclass(frozen=True)
class _Target:
    """One target value a KPI's values are compared with, and how it is written."""

    what: str  # `the target`, `the target for 2024-06`
    value: float
    location: Location
    written: str | None  # the YAML text (`60.000`, `50%`); None when it cannot be read
    label: str | None = None  # the period it is given for (`2024-Q1`); None for a constant
    per_period: float | None = None  # an additive target spread to one period of the grain
    spread: str = ""  # ` (1,000.00 a day over its 91 days)`: how `per_period` was made

    @property
    def compared(self) -> float:
        """The value compared with the data's: per period of the grain."""
        return self.value if self.per_period is None else self.per_period


def _targets(spec: TargetSpec) -> Iterator[_Target]:
    """Each target value of a KPI: the constant, and each period's."""
    found = written_at(spec.location)
    if spec.constant is not None:
        yield _Target("the target", spec.constant, spec.location, found[1] if found else None)
    mapping = found[0] if found is not None and isinstance(found[0], YMap) else None
    for label, value in spec.by_period.items():
        key = next((k for k in mapping or () if str(k) == label), None)
        where = mapping.value_loc(key) if mapping is not None and key is not None else None
        written = mapping.raw.get(key) if mapping is not None and key is not None else None
        yield _Target(f"the target for {label}", value, where or spec.location, written, label)


def _spread_to_grain(context: CheckContext, kpi: KPI, target: _Target) -> _Target:
    """An additive KPI's target for a period longer or shorter than the grain's, spread to one
    period of the grain (a quarter's 91,000 at a daily grain is 1,000 a day); any other as is."""
    results = context.primary
    if target.label is None or results is None or not context.workspace.is_additive(kpi.id):
        return target
    grain = results.table.grain
    length = TIME_UNITS.get(grain)
    try:
        start, end = results.table.calendar.label_bounds(target.label)
    except ValueError:
        return target
    days = (end - start).days + 1
    if length is None or days == length:
        return target
    per = target.value * float(length) / days  # a month's mean length: a scale, not a sum
    spread = f" ({shown(per, kpi)} a {grain} over its {days:,} days)"
    return replace(target, per_period=per, spread=spread)


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
            history = _history(context, kpi)
            for target in _targets(spec):
                target = _spread_to_grain(context, kpi, target)
                found = (
                    self._outside(kpi, target)
                    or self._percent_of_amount(kpi, target)
                    or self._percent(kpi, target, history)
                    or self._scale(kpi, target, history)
                    or self._thousands(kpi, target, history)
                )
                if found is not None:
                    yield found
                    break  # one finding per target: the first value on the wrong scale

    def _outside(self, kpi: KPI, target: _Target) -> Finding | None:
        if kpi.range is None:
            return None
        low, high = kpi.range
        value = target.value
        if (low is None or value >= low) and (high is None or value <= high):
            return None
        bounds = f"[{'' if low is None else num(low)}, {'' if high is None else num(high)}]"
        message = (
            f"{target.what} of `{kpi.id}` is {num(value)}, outside its declared range {bounds}"
        )
        fix = f"write a target within {bounds}"
        fraction = value / 100
        if kpi.format == "percent":
            message += f": a percent target is a fraction, so {num(value)} means {pct(value, 0)}"
        if (low is None or fraction >= low) and (high is None or fraction <= high):
            fix = _suggestion(value)
        return self.finding(message, kpi, target.location, fix=fix, target=value)

    def _percent_of_amount(self, kpi: KPI, target: _Target) -> Finding | None:
        """`cpc: 50%`: a percentage for a KPI in money or in a count, read as 0.5."""
        written = (target.written or "").strip()
        if not written.endswith("%"):
            return None
        unit = kpi.unit
        money = is_currency(unit) or (unit is None and kpi.format == "currency")
        if not (money or is_count(unit)):
            return None
        what = "an amount of money" if money else f"a count of {kpi.unit_text or unit}"
        return self.finding(
            f"{target.what} of `{kpi.id}` is written `{written}`, which reads "
            f"as {num(target.value)}, but `{kpi.id}` is {what} ({kpi.unit_text or kpi.format}), "
            "not a share: a percentage of it means nothing",
            kpi,
            target.location,
            fix=f"write the target in the KPI's own unit, without `%` (`{num(target.value)}` "
            "if that is meant)",
            target=target.value,
        )

    def _percent(self, kpi: KPI, target: _Target, history: np.ndarray | None) -> Finding | None:
        """A percent KPI without an upper bound: a whole number above 1 out of scale."""
        value = target.value
        if kpi.format != "percent" or (kpi.range and kpi.range[1] is not None):
            return None
        if value <= 1 or value != int(value):
            return None
        if history is None and value < NO_DATA_LIMIT:
            return None
        if history is not None and (history.size == 0 or np.abs(history).max() >= 1):
            return None
        message = (
            f"{target.what} of `{kpi.id}` is {num(value)}, which a percent KPI shows as "
            f"{pct(value, 0)}"
        )
        if history is not None:
            message += f", while its value in the data {_spread(history, kpi)}"
        message += ": a percent target is a fraction"
        return self.finding(
            message,
            kpi,
            target.location,
            fix=_suggestion(value),
            severity=WARNING,
            target=value,
        )

    def _scale(self, kpi: KPI, target: _Target, history: np.ndarray | None) -> Finding | None:
        """A target about 100 or 1,000 times (at least `APART` times) away from every value
        the KPI takes in the data, on the same side of every one."""
        value = target.compared
        if history is None or history.size == 0 or not value:
            return None
        if not (np.all(history > 0) if value > 0 else np.all(history < 0)):
            return None  # values of both signs, or zero: no scale to compare
        low, high = float(np.abs(history).min()), float(np.abs(history).max())
        size = abs(value)
        if size >= APART * high:
            above, factor = True, size / math.sqrt(low * high)
        elif size * APART <= low:
            above, factor = False, math.sqrt(low * high) / size
        else:
            return None
        times = 10 ** round(math.log10(factor))
        side = "above" if above else "below"
        message = (
            f"{target.what} of `{kpi.id}` is {_both(target.value, kpi)}{target.spread}, while "
            "its value in the data "
            f"{_spread(history, kpi, stored=True)}: the target is about {times:,} times {side} "
            "every value"
        )
        fix = "write the target on the scale of the KPI's values"
        ratio = (kpi.unit is not None and percent_fits(kpi.unit)) or kpi.format == "percent"
        hundred = 30 <= factor <= 300
        if ratio and hundred and not above:
            message += (
                f": the data looks like percentages ({low:.4g} for {low:.4g}%) and the "
                f"target like a fraction ({num(value)} for {pct(value, 0)})"
            )
            fix = _percent_data_fix(kpi, value)
        elif ratio and hundred:
            message += (
                f": a ratio's target is the ratio itself, so {num(value)} is {pct(value, 0)}; "
                f"a target of {num(value)}% is `{num(value / 100)}`"
            )
            fix = _suggestion(value)
        elif not above and _three_decimals(target.written):
            written = target.value
            message += f": `{target.written}` is {num(written)} in YAML, not {num(written * 1000)}"
            fix = _thousands_fix(target.written or "")
        return self.finding(message, kpi, target.location, fix=fix, severity=WARNING, target=value)

    def _thousands(self, kpi: KPI, target: _Target, history: np.ndarray | None) -> Finding | None:
        """`60.000`: a dot and three zeros, a thousands separator in German and many locales;
        not when the data's values are on the written value's scale (`aov: 40.000`, AOV 40)."""
        written = (target.written or "").strip()
        if not _three_decimals(written) or not written.endswith(".000"):
            return None
        if history is not None and history.size:
            # the data far above the value (1,000 times) is `_scale`'s; near it confirms it
            typical = float(np.median(np.abs(history)))
            if typical < APART * abs(target.compared):
                return None
        return self.finding(
            f"{target.what} of `{kpi.id}` is written `{written}`, which YAML reads as "
            f"{num(target.value)}: if a thousands separator is meant (German notation), it is "
            f"{num(target.value * 1000)}",
            kpi,
            target.location,
            fix=_thousands_fix(written),
            severity=WARNING,
            target=target.value,
        )


#: How far apart (at least) a target and every value of the KPI are before a scale is suspected.
APART = 30
_THREE_DECIMALS = re.compile(r"[-+]?[1-9]\d{0,2}\.\d{3}")


def _three_decimals(written: str | None) -> bool:
    """`60.000`, `1.500`: one to three digits, a dot and three more (a thousands separator?)."""
    return written is not None and _THREE_DECIMALS.fullmatch(written.strip()) is not None


def _thousands_fix(written: str) -> str:
    whole = written.strip().replace(".", "")
    return f"write `{int(whole)}` for {int(whole):,}; a number in YAML has no thousands separator"


def _percent_data_fix(kpi: KPI, value: float) -> str:
    """Percent data against a fraction target: the formula's `* 100`, or the data's scale."""
    multiplies = kpi.formula is not None and constant_factor(kpi.formula) == 100
    points = num(value * 100)
    keep = f"or keep percentage points with `format: number` and write the target as `{points}`"
    if multiplies:
        return f"remove `* 100` from the formula and show the KPI with `format: percent`, {keep}"
    names = ", ".join(f"`{n}`" for n in sorted(kpi.formula.names)) if kpi.formula else "its input"
    return f"divide the percentage ({names}) by 100 in the formula to get a fraction, {keep}"


def _both(value: float, kpi: KPI) -> str:
    """`50.0% (0.5)`: a value as the KPI shows it and as it is stored, when they differ."""
    text = shown(value, kpi)
    return f"{text} ({num(value)})" if kpi.format == "percent" else text


def _spread(history: np.ndarray, kpi: KPI, stored: bool = False) -> str:
    """`runs from 5.3% to 11.1%`; `stored`: with the values as stored (`5,275.0% (52.75)`)."""
    low, high = float(history.min()), float(history.max())
    said = _both if stored else shown
    if shown(low, kpi) == shown(high, kpi):
        return f"is {said(low, kpi)} in every period"
    return f"runs from {said(low, kpi)} to {said(high, kpi)}"


def _suggestion(value: float) -> str:
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
