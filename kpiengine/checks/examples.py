"""KPI009, KPI010, KPI206: worked examples the formula does not reproduce, and why.

KPI009 (the formula does not give `expect`) and KPI010 (an example that is incomplete) are
load-stage errors; KPI010 warns of an input the formula does not read too (a misspelt name
leaves the example checking another value). KPI206 explains a disagreement, in two cases: an
example whose `expect` the formula does not give, and one whose `reported` value (what a
source printed) differs from the formula's. Tried in order: truncation instead of rounding,
percent vs fraction, swapped numerator and denominator, another parenthesisation, a time-unit
factor (12 months in a year).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Iterable
from decimal import Decimal

from ..errors import Finding
from ..examples import example_inputs, example_matches, example_value, tree_value
from ..hookspecs import hookimpl
from ..model import KPI, Example, Workspace
from ..refs import describe
from ..regroup import regroupings
from ..units import TIME_UNITS
from ..yamlio import YMap
from ._yamlkeys import written_at
from .base import ERROR, INFO, LOAD, WARNING, Check
from .common import num
from .context import CheckContext

_TIME_FACTORS = [
    (float(TIME_UNITS[big] / TIME_UNITS[small]), f"{small}s in a {big}")
    for small in TIME_UNITS
    for big in TIME_UNITS
    if TIME_UNITS[big] > TIME_UNITS[small]
]


def _decimals(value: float) -> int:
    exponent = Decimal(repr(value)).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 6


def _close(a: float, b: float, tolerance: float) -> bool:
    return math.isfinite(a) and math.isfinite(b) and abs(a - b) <= max(tolerance, 1e-9 * abs(a))


def explain(
    claimed: float, computed: float, decimals: int, readings: list[tuple[str, float]]
) -> list[str]:
    """Likely reasons why a source wrote `claimed` where the formula gives `computed`."""
    if not (math.isfinite(claimed) and math.isfinite(computed)):
        return []
    tolerance = max(0.5 * 10.0**-decimals, 0.005 * abs(claimed))
    out = []
    scale = 10**decimals
    truncated = math.trunc(computed * scale) / scale
    rounded = round(computed, decimals)
    exact = 0.05 / scale
    if _close(truncated, claimed, exact) and not _close(rounded, claimed, exact):
        out.append(
            f"truncated instead of rounded: {num(computed)} cut to {decimals} decimals is "
            f"{num(truncated)}, rounded it is {num(rounded)}"
        )
    if _close(claimed, computed * 100, tolerance):
        out.append(f"a percentage where a fraction is meant: {num(computed)} x 100")
    if _close(claimed, computed / 100, tolerance):
        out.append(f"a fraction where a percentage is meant: {num(computed)} / 100")
    if computed and _close(claimed, 1 / computed, tolerance):
        out.append(f"numerator and denominator swapped: 1 / {num(computed)} = {num(1 / computed)}")
    for text, value in readings:
        if _close(claimed, value, tolerance):
            out.append(f"the formula read as `{text}` gives {num(value)} (parentheses)")
            break
    if computed and claimed:
        ratio = claimed / computed
        for factor, what in _TIME_FACTORS:
            for f, way in ((factor, "multiplied"), (1 / factor, "divided")):
                if abs(ratio / f - 1) < 0.01:
                    out.append(
                        f"{num(claimed)} is {num(computed)} {way} by {num(factor)} ({what}): "
                        "a duration or rate in another time unit"
                    )
    return out


class ExampleIncomplete(Check):
    code = "KPI010"
    severity = ERROR
    stage = LOAD
    title = "a worked example that is incomplete (an input without a value)"
    fix = "give a value under `given:` for every input of the formula"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        for kpi in context.kpis:
            if not kpi.evaluable:
                continue
            for example in kpi.examples:
                try:
                    example_value(ws, kpi, example.given)
                    yield from self._unused(ws, kpi, example)
                except KeyError as exc:
                    missing = exc.args[0]
                    what = describe(missing.split("(")[0]) if "(" in missing else ""
                    yield self.finding(
                        f"the example gives no value for `{missing}`{f' ({what})' if what else ''}",
                        kpi,
                        example.location,
                        fix=f"add `{missing}: ...` under `given:`",
                    )

    def _unused(self, ws: Workspace, kpi: KPI, example: Example) -> Iterable[Finding]:
        """A warning for each input of `given:` the formula does not read: a misspelt or
        stale name, while the example checks another value than meant."""
        used = example_inputs(ws, kpi, example.given)
        unused = [name for name in example.given if name not in used]
        if not unused:
            return
        found = written_at(example.location)
        item = found[0] if found is not None and isinstance(found[0], YMap) else None
        given = item.get("given") if item is not None else None
        reads = ", ".join(f"`{n}`" for n in sorted(used)) or "no input"
        for name in unused:
            place = example.location
            if isinstance(given, YMap):  # `prev(revenue)` is written so in `given:`
                key = next((k for k in given if str(k).replace(" ", "") == name), None)
                place = given.key_loc(key) if key is not None else place
            yield self.finding(
                f"the example gives `{name}`, which `{kpi.id}` does not use (it reads {reads} "
                "from the example)",
                kpi,
                place,
                fix=f"remove `{name}` from `given:`, or check the formula's names",
                severity=WARNING,
            )


class ExampleMismatch(Check):
    code = "KPI009"
    severity = ERROR
    stage = LOAD
    title = "a worked example the formula does not reproduce"
    fix = "fix the formula or the example"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        for kpi in context.kpis:
            if not kpi.evaluable:
                continue
            for example in kpi.examples:
                try:
                    value = example_value(ws, kpi, example.given)
                except KeyError:
                    continue  # KPI010
                if example_matches(value, example):
                    continue
                shown = "undefined" if not math.isfinite(value) else f"{value:.6g}"
                yield self.finding(
                    f"worked example: the formula gives {shown} but the example expects "
                    f"{example.expect:g}",
                    kpi,
                    example.location,
                    value=value,
                    expect=example.expect,
                )


class ExampleExplained(Check):
    code = "KPI206"
    severity = INFO
    title = "a worked example that disagrees with the formula, with the likely explanation"
    fix = "fix the formula or the example; a source's wrong figure belongs under `reported:`"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        for kpi in context.kpis:
            if not kpi.evaluable:
                continue
            for example in kpi.examples:
                try:
                    value = example_value(ws, kpi, example.given)
                    readings = _readings(ws, kpi, example)
                except KeyError:
                    continue
                yield from self._check(kpi, example, value, readings)

    def _check(
        self, kpi: KPI, example: Example, value: float, readings: list[tuple[str, float]]
    ) -> Iterable[Finding]:
        if not example_matches(value, example):
            decimals = max(0, round(-math.log10(2 * example.tolerance))) if example.tolerance else 6
            reasons = explain(example.expect, value, decimals, readings)
            if reasons:
                yield self.finding(
                    f"the example expects {num(example.expect)} but the formula gives "
                    f"{num(value)}: likely {'; or '.join(reasons)}",
                    kpi,
                    example.location,
                    claimed=example.expect,
                    value=value,
                    explanations=reasons,
                )
        if example.reported is None:
            return
        decimals = _decimals(example.reported)
        if _close(round(value, decimals), example.reported, 0.5 * 10.0**-decimals / 10):
            return
        reasons = explain(example.reported, value, decimals, readings)
        why = f"likely {'; or '.join(reasons)}" if reasons else "no simple explanation found"
        yield self.finding(
            f"a source reported {num(example.reported)} where the formula gives {num(value)}: "
            f"{why}",
            kpi,
            example.location,
            fix="nothing, if the definition is right: `reported:` records the source's figure",
            claimed=example.reported,
            value=value,
            explanations=reasons,
        )


def _readings(ws: Workspace, kpi: KPI, example: Example) -> list[tuple[str, float]]:
    """The value of every other parenthesisation, for the example's inputs."""
    assert kpi.formula is not None
    given = dict(example.given)
    for name in kpi.formula.names:
        if name not in given and name in ws.kpis:
            given[name] = example_value(ws, ws.kpis[name], example.given)
    return [(ast.unparse(t), tree_value(t, given)) for t in regroupings(kpi.formula.tree)]


@hookimpl(trylast=True)
def register_checks(register: Callable[[type[Check]], None]) -> None:
    for check in (ExampleMismatch, ExampleIncomplete, ExampleExplained):
        register(check)
