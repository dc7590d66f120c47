"""SMART target plans: an annual target split into quarters and months, and, for a ratio KPI,
the input values that reach its target given the planned values of the other inputs.

Splits use exact fractions and are rounded by largest remainder, so the months add up to the
annual target exactly (to the cent, or to the unit for counts). A count the plan derives (the
input of a ratio, the months of an annual count) is whole, rounded as `kpi solve` rounds it
(`goalseek.Reach`): toward the side of the target the KPI's direction calls reached.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from fractions import Fraction

import numpy as np
import sympy

from ..errors import KpiError
from ..formula import symbol
from ..model import Workspace
from ..symbolic import substitute
from .expand import Context, expand, input_names, resolve_kpi
from .feasible import count_entity, is_count
from .goalseek import Reach, Solution, no_whole_note, solution_at, solve_expr
from .shown import formatter, input_value, kpi_value
from .weights import MONTHS, read_weights


@dataclass
class PlanPeriod:
    label: str
    value: float
    weight: float  # share of the annual amount (1/12 for a ratio's constant target)


@dataclass
class Plan:
    """A KPI's target for a year by quarter and month; for a ratio, the inputs that reach it."""

    kpi: str
    kind: str  # "split" (additive KPI) | "ratio"
    year: int
    target: float  # the annual amount, or the ratio's target
    weights: str  # where the monthly split came from
    months: list[PlanPeriod]
    quarters: list[PlanPeriod]
    given: dict[str, float] = field(default_factory=dict)  # per month
    derived: dict[str, float] = field(default_factory=dict)  # per month
    held: dict[str, float] = field(default_factory=dict)  # per month, last year's average
    message: str = ""
    notes: list[str] = field(default_factory=list)
    #: what was solved, as `kpi solve` writes it: for a ratio, the derived input per month (its
    #: exact `value`; `change`s from its monthly average last year; a count's `whole`,
    #: `whole_kpi_value`, `whole_change`, `whole_change_pct`); for an annual count, the annual
    #: amount (`value` as given, `whole` as planned); else None
    solution: Solution | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def shown_derived(self) -> dict[str, float]:
        """The derived inputs per month as shown: a count as its whole number."""
        whole = self.solution.whole if self.solution is not None else None
        return {n: v if whole is None else whole for n, v in self.derived.items()}

    def reached(self) -> float:
        """The KPI's value every month of a ratio plan: at the whole count when one is derived."""
        solution = self.solution
        if solution is not None and solution.whole_kpi_value is not None:
            return solution.whole_kpi_value
        return self.target

    def reached_text(self, ws: Workspace) -> str:
        """`every month of 2025: cac €148.55 (target €150.00)`: the KPI at the derived inputs
        as shown (a count whole), and the target when that differs from it."""
        reached = kpi_value(ws, self.kpi, self.reached())
        target = kpi_value(ws, self.kpi, self.target)
        text = f"every month of {self.year}: {self.kpi} {reached}"
        return text if reached == target else f"{text} (target {target})"

    def target_entries(self) -> dict[str, float]:
        """What to write under `targets:` for the KPI: 12 months, or the year for a ratio."""
        if self.kind == "ratio":
            return {str(self.year): self.target}
        return {m.label: m.value for m in self.months}


def parse_given(items: list[str] | tuple[str, ...]) -> dict[str, float]:
    """`["ad_spend=25000"]` (or `25,000`, `25_000`) -> {"ad_spend": 25000.0}."""
    out = {}
    for item in items:
        name, sep, text = item.partition("=")
        try:
            out[name.strip()] = float(text.strip().replace(",", "").replace("_", ""))
        except ValueError:
            sep = ""
        if sep and not math.isfinite(out[name.strip()]):
            raise KpiError(f"`{item}`: the value must be a finite number, not {text.strip()}")
        if not sep or not name.strip():
            raise KpiError(f"`{item}` is not NAME=VALUE (e.g. ad_spend=25000)")
    return out


def plan_kpi(ws, name: str) -> tuple[str, list[str]]:
    """The KPI to plan for `name`: a KPI id or alias, or a variable that exactly one KPI is
    made of alone (`revenue` -> `sales_revenue`); notes say which KPI was chosen."""
    if name in ws.variables and name not in ws.kpis:
        matches = sorted(
            k for k, kpi in ws.kpis.items() if kpi.formula and kpi.formula.text.strip() == name
        )
        if len(matches) == 1:
            return matches[0], [f"`{name}` is a variable: planning KPI `{matches[0]}` = {name}"]
        found = ", ".join(matches) or "none"
        raise KpiError(f"`{name}` is a variable, not a KPI; KPIs equal to it: {found}")
    return resolve_kpi(ws, name), []


def default_year(ctx: Context) -> int:
    """The year after the data's last full year."""
    last = ctx.table.period_start(ctx.table.n_periods - 1)
    return last.year + 1 if last.month == 12 else last.year


def _monthly(ctx: Context, kpi_id: str, year: int) -> tuple[np.ndarray, list[str]]:
    """The KPI's total in each month of `year` (NaN where unknown), and the months left out
    because the data covers only part of them."""
    if ctx.table.grain != "month":
        raise KpiError("plans are made from monthly data: evaluate with grain month")
    values = ctx.series(expand(ctx.ws, kpi_id))[:, 0]
    complete = ctx.table.coverage_of(ctx.ws.inputs_of(kpi_id)) >= 1 - 1e-9
    labels = ctx.labels
    out = np.full(MONTHS, np.nan)
    partial = []
    for m in range(MONTHS):
        label = f"{year}-{m + 1:02d}"
        if label in labels:
            if complete[labels.index(label)]:
                out[m] = values[labels.index(label)]
            else:
                partial.append(label)
    return out, partial


def _last_year(ctx: Context, kpi_id: str, year: int) -> tuple[np.ndarray, list[str]]:
    """Last year's months; a partial month is replaced by the same month a year before,
    scaled by how the months both years have grew (and named in the notes)."""
    values, partial = _monthly(ctx, kpi_id, year - 1)
    notes = []
    result = ctx.results.kpis.get(kpi_id) if ctx.results else None
    projection = result.projection if result is not None else None
    if projection is not None and result is not None and result.partial is not None:
        label = ctx.labels[result.partial]
        if label in partial and np.isfinite(projection.value[0]):
            values[int(label[-2:]) - 1] = projection.value[0]
            partial.remove(label)
            notes.append(
                f"{label} is partial: its share comes from its projection to the month's end "
                f"({input_value(ctx.ws, kpi_id, projection.value[0])})"
            )
    if partial:
        before, _ = _monthly(ctx, kpi_id, year - 2)
        both = np.isfinite(values) & np.isfinite(before)
        growth = values[both].sum() / before[both].sum() if both.any() and before[both].sum() else 0
        for label in partial:
            m = int(label[-2:]) - 1
            if np.isfinite(before[m]) and growth > 0:
                values[m] = before[m] * growth
                notes.append(
                    f"{label} is partial: its share is {year - 2}-{m + 1:02d}'s, scaled by the "
                    f"growth of the other months ({growth:.3f})"
                )
    return values, notes


def month_weights(
    ctx: Context, kpi_id: str, year: int, weights: str = "last-year"
) -> tuple[list[Fraction], str]:
    """The 12 monthly shares (summing to 1) and where they come from."""
    if weights == "even":
        return [Fraction(1, MONTHS)] * MONTHS, "even weights"
    if weights == "last-year":
        values, notes = _last_year(ctx, kpi_id, year)
        lacking = [f"{year - 1}-{m + 1:02d}" for m in range(MONTHS) if not np.isfinite(values[m])]
        if lacking:
            raise KpiError(
                f"last year's seasonality needs `{kpi_id}` for every month of {year - 1}; "
                f"missing: {', '.join(lacking)} (use --weights even or a weights file)"
            )
        if (values < 0).any() or values.sum() <= 0:
            raise KpiError(f"`{kpi_id}` has negative or no values in {year - 1}: no seasonality")
        raw = [Fraction(float(v)) for v in values]
        source = f"last year ({year - 1})" + "".join(f"; {n}" for n in notes)
    else:
        raw, source = read_weights(weights), f"weights {weights}"
    total = sum(raw)
    return [w / total for w in raw], source


def _decimals(ctx: Context, kpi_id: str, amount: Fraction) -> int:
    if amount.denominator == 1 and count_entity(ctx.ws.kpis[kpi_id].unit) is not None:
        return 0
    decimals = 2
    while (amount * 10**decimals).denominator != 1 and decimals < 12:
        decimals += 1
    return decimals


def split_amount(amount: Fraction, weights: list[Fraction], decimals: int) -> list[Fraction]:
    """Shares of `amount` by `weights`, rounded to `decimals` by largest remainder: they add
    up to `amount` exactly when it has at most `decimals` decimals."""
    unit = Fraction(1, 10**decimals)
    shares = [amount * w / unit for w in weights]
    floors = [math.floor(s) for s in shares]
    left = round(amount / unit) - sum(floors)
    order = sorted(range(len(shares)), key=lambda k: (-(shares[k] - floors[k]), k))
    for k in order[: max(0, left)]:
        floors[k] += 1
    return [f * unit for f in floors]


def plan_annual(
    ctx: Context,
    kpi_id: str,
    annual: float,
    year: int | None = None,
    weights: str = "last-year",
) -> Plan:
    """Split an additive KPI's annual target into months (by `weights`: `last-year`, `even`,
    12 numbers or a file of them) and quarters."""
    kpi_id = resolve_kpi(ctx.ws, kpi_id)
    if not ctx.ws.is_additive(kpi_id):
        raise KpiError(
            f"`{kpi_id}` is not additive (a sum of summed inputs): its monthly values do not "
            "add up to a year; give its target with --target instead of --annual"
        )
    year = year or default_year(ctx)
    shares, source = month_weights(ctx, kpi_id, year, weights)
    amount = Fraction(repr(float(annual)))
    solution, notes = _whole_annual(ctx, kpi_id, float(annual))
    if solution is not None and solution.whole is not None:
        amount = Fraction(int(solution.whole))
    values = split_amount(amount, shares, _decimals(ctx, kpi_id, amount))
    months = [
        PlanPeriod(f"{year}-{m + 1:02d}", float(v), float(w))
        for m, (v, w) in enumerate(zip(values, shares, strict=True))
    ]
    quarters = [
        PlanPeriod(
            f"{year}-Q{q + 1}",
            float(sum(values[3 * q : 3 * q + 3])),
            float(sum(shares[3 * q : 3 * q + 3])),
        )  # fmt: skip
        for q in range(4)
    ]
    shown = input_value(ctx.ws, kpi_id, float(amount))
    message = f"`{kpi_id}` {shown} in {year}, split by {source}"
    return Plan(kpi_id, "split", year, float(annual), source, months, quarters, message=message,
                notes=notes, solution=solution)  # fmt: skip


def _whole_annual(ctx: Context, kpi_id: str, annual: float) -> tuple[Solution | None, list[str]]:
    """For a count KPI, the annual amount as a whole number (`Reach.whole`) and a note when it
    is not the amount given; (None, []) for any other KPI."""
    ws = ctx.ws
    if not is_count(ws, kpi_id):
        return None, []
    direction = ws.kpis[kpi_id].direction
    found = Reach(symbol(kpi_id), {}, kpi_id, annual, direction).whole(annual)
    whole = found[0] if found is not None else float(round(annual))
    solution = Solution(annual, repr(annual), whole=whole, whole_kpi_value=whole)
    if whole == annual:
        return solution, []
    which = "that reaches it" if direction in ("higher", "lower") else "nearest to it"
    note = (
        f"`{kpi_id}` is counted whole: the annual target {annual:,} is planned as "
        f"{input_value(ws, kpi_id, whole)}, the whole number {which}"
    )
    return solution, [note]


def plan_ratio(
    ctx: Context,
    kpi_id: str,
    target: float,
    given: dict[str, float],
    year: int | None = None,
    derive: str | None = None,
) -> Plan:
    """The monthly value of one input (`derive`, or the only one not `given`) that makes the
    KPI reach `target` with the given inputs; any other input is held at last year's average."""
    ws = ctx.ws
    kpi_id = resolve_kpi(ws, kpi_id)
    year = year or default_year(ctx)
    expr = expand(ws, kpi_id)
    names = input_names(expr)
    if any("__" in n for n in names):
        raise KpiError(f"`{kpi_id}` uses prev() or last_year(): plan it period by period")
    unknown_given = sorted(set(given) - set(names))
    if unknown_given:
        raise KpiError(
            f"`{unknown_given[0]}` is not an input of `{kpi_id}` (its inputs: {', '.join(names)})"
        )
    free = [n for n in names if n not in given]
    if derive is not None and derive not in free:
        raise KpiError(f"`{derive}` must be an input of `{kpi_id}` that is not given")
    if derive is None and len(free) != 1:
        raise KpiError(
            f"give the planned value of every input of `{kpi_id}` but one (--given NAME=VALUE), "
            f"or name the one to derive (--for); not given: {', '.join(free) or 'none'}"
        )
    derive = derive or free[0]
    held = {}
    for name in free:
        if name != derive:
            average = _average(ctx, name, year - 1)
            if average is None:
                raise KpiError(f"`{name}` needs a planned value: no full {year - 1} to hold it at")
            held[name] = average
    point = {**given, **held}
    known = {symbol(n): v for n, v in point.items()}
    pieces, _ = solve_expr(substitute(expr, known), derive, target)
    reach = Reach(expr, point, derive, float(target), ws.kpis[kpi_id].direction)
    try:
        before = _average(ctx, derive, year - 1)  # the base of the solution's changes
    except KpiError:  # an input the data lacks can still be planned
        before = None
    solutions = [solution_at(ctx, kpi_id, derive, p, before, point, frozenset(), (), reach)
                 for p in pieces if not isinstance(p, sympy.Set)]  # fmt: skip
    plan = Plan(kpi_id, "ratio", year, float(target), "constant", [], [], dict(given),
                held=held)  # fmt: skip
    feasible = [s for s in solutions if s.feasible]
    if not solutions:
        plan.message = f"no value of `{derive}` makes `{kpi_id}` = {target:,.6g} with these inputs"
        return plan
    if not feasible:
        plan.notes = solutions[0].why
        plan.message = f"no feasible value of `{derive}` makes `{kpi_id}` = {target:,.6g}"
        return plan
    plan.solution = chosen = feasible[0]
    assert chosen.value is not None  # a point, not an interval
    plan.derived = {derive: chosen.value}
    value = plan.shown_derived()[derive]
    plan.months = [PlanPeriod(f"{year}-{m + 1:02d}", float(target), 1 / MONTHS) for m in range(12)]
    plan.quarters = [PlanPeriod(f"{year}-Q{q + 1}", float(target), 0.25) for q in range(4)]
    shown = kpi_value(ws, kpi_id, target)
    point_text = ", ".join(f"{n} {input_value(ws, n, v)}/month" for n, v in point.items())
    plan.message = (
        f"to reach {kpi_id} {shown} with {point_text}, {derive} must be "
        f"{input_value(ws, derive, value)}/month ({input_value(ws, derive, value * MONTHS)} "
        f"in {year})"
    )
    if chosen.whole is not None and chosen.whole != chosen.value:
        plan.message += f", which gives {kpi_id} {kpi_value(ws, kpi_id, plan.reached())}"
        plan.notes.append(
            f"{derive} is counted whole: exactly {formatter(ws).number(chosen.value)}/month "
            f"would give {kpi_id} {shown}"
        )
    elif chosen.whole is None and is_count(ws, derive):
        plan.notes.append(no_whole_note(kpi_id, derive, chosen.value))
    if held:
        plan.notes.append(
            "held at their monthly average of " + f"{year - 1}: " + ", ".join(sorted(held))
        )
        used = {ctx.labels[i] for i in _year_indices(ctx, year - 1)}
        skipped = [f"{year - 1}-{m:02d}" for m in range(1, 13) if f"{year - 1}-{m:02d}" not in used]
        if skipped:
            plan.notes.append(f"left out as partial: {', '.join(skipped)}")
    if len(feasible) > 1:
        others = [s.value if s.whole is None else s.whole for s in feasible[1:]]
        plan.notes.append(
            "other solutions: " + ", ".join(input_value(ws, derive, v) for v in others)
        )
    return plan


def _average(ctx: Context, name: str, year: int) -> float | None:
    """An input's monthly average over `year`'s whole months; None without a full year."""
    values = [float(ctx.array(name)[i, 0]) for i in _year_indices(ctx, year)]
    if not values or any(math.isnan(v) for v in values):
        return None
    return math.fsum(values) / len(values)


def _year_indices(ctx: Context, year: int) -> list[int]:
    """The months of `year` the data covers whole (none unless all twelve are in the data)."""
    labels = ctx.labels
    wanted = [f"{year}-{m + 1:02d}" for m in range(MONTHS)]
    if not all(w in labels for w in wanted):
        return []
    complete = ctx.table.coverage_of(ctx.table.spans) >= 1 - 1e-9
    return [labels.index(w) for w in wanted if complete[labels.index(w)]]
