"""SMART target plans: an annual target split into quarters and months, and, for a ratio KPI,
the input values that reach its target given the planned values of the other inputs.

Splits use exact fractions and are rounded by largest remainder, so the months add up to the
annual target exactly (to the cent, or to the unit for counts).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import sympy

from ..errors import KpiError
from ..formula import symbol
from ..symbolic import substitute
from .expand import Context, expand, input_names, resolve_kpi
from .feasible import count_entity, share_problems, value_problems
from .goalseek import solve_expr
from .shown import input_value, kpi_value

MONTHS = 12


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

    def to_dict(self) -> dict:
        return asdict(self)

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


def read_weights(text: str) -> list[Fraction]:
    """12 non-negative monthly weights from `10,8,8,...` or a file holding them (commas,
    spaces, semicolons or new lines between them; `#` starts a comment)."""
    path = Path(text)
    if path.is_file():
        source = path.read_text(encoding="utf-8-sig")
    elif re.search(r"[,;\s]", text.strip()):
        source = text
    else:
        raise KpiError(f"weights file not found: {text} (or give 12 numbers: 10,8,8,...)")
    source = "\n".join(line.split("#")[0] for line in source.splitlines())
    items = [t for t in re.split(r"[,;\s\[\]]+", source) if t]
    try:
        weights = [Fraction(t) for t in items]
    except ValueError:
        raise KpiError(f"weights must be numbers, got {items}") from None
    if len(weights) != MONTHS or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise KpiError(f"weights must be 12 non-negative numbers, not all 0 (got {len(weights)})")
    return weights


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
    return Plan(kpi_id, "split", year, float(amount), source, months, quarters, message=message)


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
            values = [float(ctx.array(name)[i, 0]) for i in _year_indices(ctx, year - 1)]
            if not values or any(math.isnan(v) for v in values):
                raise KpiError(f"`{name}` needs a planned value: no full {year - 1} to hold it at")
            held[name] = math.fsum(values) / len(values)
    point = {**given, **held}
    known = {symbol(n): v for n, v in point.items()}
    pieces, _ = solve_expr(substitute(expr, known), derive, target)
    values = [float(p.evalf(30)) for p in pieces if not isinstance(p, sympy.Set)]
    plan = Plan(kpi_id, "ratio", year, float(target), "constant", [], [], dict(given),
                held=held)  # fmt: skip
    feasible = [v for v in values if not _problems(ctx, kpi_id, derive, v, point)]
    if not values:
        plan.message = f"no value of `{derive}` makes `{kpi_id}` = {target:,.6g} with these inputs"
        return plan
    if not feasible:
        plan.notes = _problems(ctx, kpi_id, derive, values[0], point)
        plan.message = f"no feasible value of `{derive}` makes `{kpi_id}` = {target:,.6g}"
        return plan
    value = feasible[0]
    plan.derived = {derive: value}
    plan.months = [PlanPeriod(f"{year}-{m + 1:02d}", float(target), 1 / MONTHS) for m in range(12)]
    plan.quarters = [PlanPeriod(f"{year}-Q{q + 1}", float(target), 0.25) for q in range(4)]
    ws, shown = ctx.ws, kpi_value(ctx.ws, kpi_id, target)
    point_text = ", ".join(f"{n} {input_value(ws, n, v)}/month" for n, v in point.items())
    plan.message = (
        f"to reach {kpi_id} {shown} with {point_text}, {derive} must be "
        f"{input_value(ws, derive, value)}/month ({input_value(ws, derive, value * MONTHS)} "
        f"in {year})"
    )
    if held:
        plan.notes.append(
            "held at their monthly average of " + f"{year - 1}: " + ", ".join(sorted(held))
        )
        used = {ctx.labels[i] for i in _year_indices(ctx, year - 1)}
        skipped = [f"{year - 1}-{m:02d}" for m in range(1, 13) if f"{year - 1}-{m:02d}" not in used]
        if skipped:
            plan.notes.append(f"left out as partial: {', '.join(skipped)}")
    if len(feasible) > 1:
        plan.notes.append("other solutions: " + ", ".join(f"{v:,.6g}" for v in feasible[1:]))
    return plan


def _year_indices(ctx: Context, year: int) -> list[int]:
    """The months of `year` the data covers whole (none unless all twelve are in the data)."""
    labels = ctx.labels
    wanted = [f"{year}-{m + 1:02d}" for m in range(MONTHS)]
    if not all(w in labels for w in wanted):
        return []
    complete = ctx.table.coverage_of(ctx.table.spans) >= 1 - 1e-9
    return [labels.index(w) for w in wanted if complete[labels.index(w)]]


def _problems(ctx: Context, kpi_id: str, name: str, value: float, point: dict) -> list[str]:
    full = {**point, name: value}
    return value_problems(ctx.ws, name, value) + share_problems(ctx.ws, kpi_id, full)
